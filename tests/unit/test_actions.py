"""Custom actions run against real rasa_sdk trackers, checking what the patient is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAssessHomeCare
from dvt_triage import slots as s

# The domain as the Rasa server sends it with the call: the reason texts are read from it.
DOMAIN: dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
ALL_GOOD = {**{c: s.YES for c in s.CONDITIONS}, **{e: s.NO for e in s.EXCLUSIONS}}


def tracker(text: str = "", intent: str = "inform", slots: Optional[dict] = None) -> Tracker:
    """A tracker as the Rasa server sends it when the form has just been completed."""
    slots = dict(slots or {})
    return Tracker.from_dict(
        {
            "sender_id": "test",
            "slots": slots,
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def text(response: str) -> str:
    return DOMAIN["responses"][response][0]["text"]


async def assess_messages(slots: dict) -> tuple[dict, list[str], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAssessHomeCare().run(dispatcher, tracker(slots=slots), DOMAIN)
    return slot_events(events), responses(dispatcher), dispatcher.messages


async def assess(slots: dict) -> tuple[dict, list[str]]:
    filled, said, _ = await assess_messages(slots)
    return filled, said


async def test_home_care_possible_outcome_leaves_measures_and_summary_one_tap_away():
    filled, said = await assess(ALL_GOOD)
    assert filled == {s.TRIAGE_LEVEL: s.HOME_CARE_POSSIBLE, s.EXCLUSION_REASONS: []}
    assert said == ["utter_outcome_home_care_possible", "utter_next_step", "utter_outcome_more"]


async def test_not_home_care_outcome_fills_in_each_reason_from_the_domain():
    filled, said, messages = await assess_messages({**ALL_GOOD, s.CANCER: s.YES, s.BLOOD_THINNER_UNSAFE: s.YES})
    assert filled == {s.TRIAGE_LEVEL: s.NOT_HOME_CARE, s.EXCLUSION_REASONS: [s.CANCER, s.BLOOD_THINNER_UNSAFE]}
    assert said == ["utter_outcome_not_home_care", "utter_next_step", "utter_outcome_more"]
    reasons = messages[0]["reasons"]
    assert reasons == f"{text('utter_reason_cancer')} and {text('utter_reason_blood_thinner_unsafe')}"


async def test_needs_evaluation_outcome_says_what_is_missing_and_what_is_unknown():
    filled, said, messages = await assess_messages({**ALL_GOOD, s.FOLLOW_UP_AVAILABLE: s.NO, s.HEART_DISEASE: s.UNSURE})
    assert filled == {s.TRIAGE_LEVEL: s.NEEDS_EVALUATION, s.EXCLUSION_REASONS: []}
    assert said == ["utter_outcome_needs_evaluation", "utter_next_step", "utter_outcome_more"]
    missing, unsure = messages[0]["reasons"].split("; ")
    assert missing == text("utter_missing_follow_up_available")
    assert unsure == text("utter_reason_unsure").format(items=text("utter_unsure_heart_disease"))


@pytest.mark.parametrize("changed", [
    {s.DIAGNOSIS_CONFIRMED: s.NO},
    {s.DIAGNOSIS_CONFIRMED: s.UNSURE},
    {s.ANTICOAGULANT_STARTED: s.NO},
    {s.ANTICOAGULANT_STARTED: s.UNSURE},
    {s.ANTICOAGULANT_STARTED: s.NO, s.CANCER: s.YES},  # excluded and untreated: still today
])
async def test_a_clot_not_confirmed_by_a_scan_or_not_yet_treated_is_to_be_seen_today(changed):
    _, said = await assess({**ALL_GOOD, **changed})
    assert said[1] == "utter_next_step_today"


@pytest.mark.parametrize("changed", [{}, {s.CANCER: s.YES}, {s.FOLLOW_UP_AVAILABLE: s.UNSURE}])
async def test_a_confirmed_and_treated_clot_gets_the_usual_next_step(changed):
    _, said = await assess({**ALL_GOOD, **changed})
    assert said[1] == "utter_next_step"


async def test_a_reason_text_missing_from_the_domain_fails_loudly():
    with pytest.raises(KeyError):
        await ActionAssessHomeCare().run(CollectingDispatcher(), tracker(slots={**ALL_GOOD, s.CANCER: s.YES}), {})
