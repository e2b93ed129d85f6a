"""The domain, the constants and the wording agree, and the wording is safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.actions import outcome_responses
from dvt_triage import form_turn
from dvt_triage import slots as s
from dvt_triage.criteria import Assessment
from rasa_plugins import override_policy

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RESPONSES = DOMAIN["responses"]
ALL_TEXT = [v["text"] for variants in RESPONSES.values() for v in variants]


def test_form_asks_the_contract_slots_in_order_emergency_screen_first():
    assert tuple(DOMAIN["forms"][s.ASSESSMENT_FORM]["required_slots"]) == s.FORM_SLOTS


def test_every_answer_slot_holds_yes_no_or_unsure():
    for slot in s.FORM_SLOTS:
        assert DOMAIN["slots"][slot]["values"] == list(s.ANSWER_VALUES)


def test_triage_level_slot_holds_the_four_levels():
    assert DOMAIN["slots"][s.TRIAGE_LEVEL]["values"] == list(s.TRIAGE_LEVELS)


@pytest.mark.parametrize("slot", s.FORM_SLOTS)
def test_each_question_has_its_wording_buttons_and_reason(slot):
    ask = RESPONSES[f"utter_ask_{slot}"][0]
    assert [b["payload"] for b in ask["buttons"]] == ["yes", "no", "not sure"]
    assert f"utter_why_{slot}" in RESPONSES


def test_every_response_an_outcome_can_use_exists():
    used = set()
    for level in (s.HOME_CARE_POSSIBLE, s.NOT_HOME_CARE, s.NEEDS_EVALUATION):
        used |= set(outcome_responses(Assessment(level, s.EXCLUSIONS, s.CONDITIONS, s.ASSESSMENT_SLOTS)))
    assert used - set(RESPONSES) == set()


def test_every_faq_intent_has_an_answer():
    for intent in DOMAIN["intents"]:
        if intent.startswith("faq_"):
            assert f"utter_{intent}" in RESPONSES


def test_override_policy_responses_exist():
    for name in dir(override_policy):
        if name.startswith("UTTER_"):
            assert getattr(override_policy, name) in RESPONSES


def test_form_policy_responses_exist():
    assert form_turn.UTTER_NOTED in RESPONSES and form_turn.UTTER_CLARIFY in RESPONSES


def test_form_answers_are_set_only_by_the_form_policy_never_as_raw_text():
    for slot in s.FORM_SLOTS:
        assert DOMAIN["slots"][slot]["mappings"] == [{"type": "custom"}], slot
    assert f"validate_{s.ASSESSMENT_FORM}" not in DOMAIN["actions"]


def test_the_emergency_instruction_says_call_now_and_do_not_drive():
    text = RESPONSES["utter_emergency"][0]["text"]
    assert "911" in text and "now" in text and "Do not drive yourself" in text


FORBIDDEN = [
    r"\byou can (treat|manage) (it|your clot|the clot|this) at home\b",
    r"\b(it is|it's) safe (for you )?to treat\b",
    r"\byou (do not|don't) need (a|to see a) doctor\b",
    r"\byou have (a )?(dvt|blood clot|pulmonary embolism)\b",
]


@pytest.mark.parametrize("pattern", FORBIDDEN)
def test_no_response_tells_anyone_they_can_treat_a_clot_at_home_or_diagnoses(pattern):
    assert [t for t in ALL_TEXT if re.search(pattern, t, re.I)] == []


def test_home_care_outcome_leaves_the_decision_to_the_physician():
    text = RESPONSES["utter_outcome_home_care_possible"][0]["text"]
    assert "physician" in text and "may be a candidate" in text


def test_booking_line_and_insurance_note_from_the_article():
    text = RESPONSES["utter_booking"][0]["text"]
    assert "925-477-3030" in text and "insurance" in text
