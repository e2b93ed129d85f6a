"""The domain, the constants and the wording agree, and the wording is safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.actions import outcome_responses
from dvt_triage import intents, responses
from dvt_triage import clinic, read_back, safety
from dvt_triage import slots as s
from dvt_triage.criteria import Assessment
from tests.support import clinics

ROOT = Path(__file__).resolve().parents[2]
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


def test_form_answers_are_set_only_by_the_form_policy_never_as_raw_text():
    for slot in s.FORM_SLOTS:
        assert DOMAIN["slots"][slot]["mappings"] == [{"type": "custom"}], slot
    assert f"validate_{s.ASSESSMENT_FORM}" not in DOMAIN["actions"]


FORBIDDEN = [
    r"\byou can (treat|manage) (it|your clot|the clot|this) at home\b",
    r"\b(it is|it's) safe (for you )?to treat\b",
    r"\byou (do not|don't) need (a|to see a) doctor\b",
    r"\byou have (a )?(dvt|blood clot|pulmonary embolism)\b",
]


@pytest.mark.parametrize("pattern", FORBIDDEN)
def test_no_response_tells_anyone_they_can_treat_a_clot_at_home_or_diagnoses(pattern):
    assert [t for t in ALL_TEXT if re.search(pattern, t, re.I)] == []


def test_home_care_outcome_promises_nothing_and_leaves_the_decision_to_the_doctor():
    text = RESPONSES["utter_outcome_home_care_possible"][0]["text"]
    assert "sometimes allow" in text and "only your doctor can decide" in text
    assert "supervise it closely" not in text and "you can" not in text.lower()


def test_not_home_care_describes_what_doctors_usually_do_and_keeps_the_blood_thinner():
    text = RESPONSES["utter_outcome_not_home_care"][0]["text"]
    assert text.startswith("For people with {reasons}, doctors usually")
    assert "closer monitoring or hospital-based care" in text
    assert "current plan" in text and "do not stop a blood thinner" in text
    assert "not appropriate for you" not in text


def test_an_unconfirmed_or_untreated_clot_is_to_be_seen_today_not_booked():
    for variant in RESPONSES["utter_next_step_today"]:
        assert "today" in variant["text"] and "urgent care" in variant["text"] and "{clinic_phone}" in variant["text"]
        assert "schedule" not in variant["text"] and "insurance" not in variant["text"]
    assert "always requires medical evaluation" in RESPONSES["utter_outcome_needs_evaluation"][0]["text"]


@pytest.mark.parametrize("name", ["utter_next_step", "utter_next_step_today"])
def test_every_next_step_gives_the_clinic_and_the_emergency_warning_signs(name):
    for variant in RESPONSES[name]:
        text = variant["text"]
        assert "{clinic_phone}" in text and "Call {emergency_number}" in text
        assert all(sign in text for sign in ("chest pain", "shortness of breath", "coughing up blood", "sudden leg swelling"))


def test_reason_texts_are_plain_phrases_to_fill_into_the_verdict():
    for slot in s.EXCLUSIONS:
        assert not RESPONSES[f"utter_reason_{slot}"][0]["text"].endswith(".")
    for slot in s.CONDITIONS:
        assert not RESPONSES[f"utter_missing_{slot}"][0]["text"].endswith(".")
    assert "{items}" in RESPONSES["utter_reason_unsure"][0]["text"]


def test_the_read_back_lists_the_twelve_answers_numbered_in_the_order_asked():
    for variant in RESPONSES[responses.READ_BACK]:
        lines = [line for line in variant["text"].split("\n") if re.match(r"\d+\. ", line)]
        assert [int(line.split(".")[0]) for line in lines] == list(range(1, 13))
        assert [re.search(r"\{(\w+)\}", line).group(1) for line in lines] == list(s.READ_BACK_ITEMS)


def test_read_back_responses_exist_and_the_slot_is_set_only_by_the_policy():
    assert set(read_back.RESPONSES) <= set(RESPONSES)
    assert DOMAIN["slots"][s.READ_BACK]["mappings"] == [{"type": "custom"}]
    assert DOMAIN["slots"][s.READ_BACK]["influence_conversation"] is False
    assert {intents.SHOW_MEASURES, intents.SHOW_SUMMARY} <= set(DOMAIN["intents"])
    assert {responses.HOME_CARE_MEASURES, responses.ANSWER_SUMMARY} <= set(RESPONSES)


@pytest.mark.parametrize("name", safety.SAFETY_NET_RESPONSES)
def test_every_reply_that_did_not_understand_ends_with_the_one_safety_line(name):
    # A misread reply must not leave someone with an emergency sign without the instruction:
    # the same line everywhere, naming the article's signs.
    for variant in RESPONSES[name]:
        assert variant["text"].endswith(safety.SAFETY_LINE), (name, variant.get("channel"))


def test_the_safety_line_names_the_articles_signs_and_the_emergency_number():
    line = safety.SAFETY_LINE.lower()
    signs = ("new chest pain", "shortness of breath", "sudden leg swelling", "call {emergency_number} now")
    assert all(sign in line for sign in signs)


def test_the_policy_replies_that_did_not_understand_are_all_in_the_safety_net():
    not_understood = {
        responses.CLARIFY,
        responses.NOTED,
        responses.SPANISH_ONLY,
        responses.TOO_LONG,
        responses.UNAVAILABLE,
    }
    assert not_understood <= set(safety.SAFETY_NET_RESPONSES)


@pytest.mark.parametrize("name", ["utter_emergency", "utter_emergency_bleeding", "utter_emergency_es"])
def test_every_emergency_instruction_says_call_the_emergency_number_now_and_not_to_drive(name):
    for variant in RESPONSES[name]:
        text = variant["text"]
        assert "call {emergency_number}" in text or "llame al {emergency_number}" in text
        assert ("now" in text and "Do not drive yourself" in text) or ("ahora" in text and "No maneje" in text)


def test_the_bleeding_instruction_is_its_own_and_names_serious_bleeding():
    text = RESPONSES["utter_emergency_bleeding"][0]["text"]
    assert "bleeding" in text and "blood thinner" in text and text != RESPONSES["utter_emergency"][0]["text"]


@pytest.mark.parametrize("name", ["utter_emergency", "utter_emergency_bleeding"])
def test_the_sms_emergency_instructions_fit_one_message_even_with_the_longest_clinic_details(name):
    sms = [clinics.LONGEST.fill(v["text"]) for v in RESPONSES[name] if v.get("channel") == "sms"]
    assert sms and all(len(text) <= 320 for text in sms)


def test_the_spanish_reply_says_english_only_the_signs_the_emergency_number_and_the_clinic():
    text = RESPONSES["utter_spanish_only"][0]["text"]
    assert "solo funciona en inglés" in text and "llame al {emergency_number}" in text and "{clinic_phone}" in text
    assert "dolor de pecho" in text and "falta de aire" in text and "hinchazón repentina" in text


def test_the_screen_and_the_confirming_question_ask_about_now_and_the_last_few_days():
    for name in ("utter_ask_emergency_screen", "utter_ask_red_flag_now"):
        assert "last few days" in RESPONSES[name][0]["text"], name
    assert "serious bleeding" in RESPONSES["utter_ask_emergency_screen"][0]["text"].lower()


# --- the clinic's details: placeholders filled from clinic.yml ---------------------------------

# Values an action sends with its response ({reasons}) or fills into a reason text ({items}).
ACTION_VALUES = {"reasons", "items"}


def test_the_wording_names_the_clinic_only_by_placeholder():
    # A detail written out would stay the same when the clinic changes clinic.yml.
    settings = clinic.current()
    for name, variants in RESPONSES.items():
        for variant in variants:
            text = variant["text"]
            assert settings.name not in text and settings.phone not in text, name
            assert not re.search(rf"\b{settings.emergency_number}\b", text), name


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_placeholder_is_a_clinic_detail_a_slot_or_a_value_an_action_sends(name):
    # Rasa leaves a whole response unfilled when one placeholder has no value: a typo such as
    # {emergency_numbr} would show the patient "{emergency_number}" in its place.
    known = set(clinic.PLACEHOLDER_NAMES) | set(DOMAIN["slots"]) | ACTION_VALUES
    for variant in RESPONSES[name]:
        assert set(re.findall(r"\{(\w+)\}", variant["text"])) <= known, variant.get("channel")


def test_no_slot_shares_a_name_with_a_clinic_detail():
    assert not set(DOMAIN["slots"]) & set(clinic.PLACEHOLDER_NAMES)


def test_the_reason_texts_an_action_fills_in_name_no_clinic_detail():
    # The action server sends them as a value ({reasons}), which is filled in as it is.
    for name, variants in RESPONSES.items():
        if name.startswith(("utter_reason_", "utter_missing_", "utter_unsure_")):
            assert not clinic.PLACEHOLDER.search(variants[0]["text"]), name
