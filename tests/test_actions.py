"""Custom actions run against real rasa_sdk trackers, checking what the patient is sent."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAssessHomeCare
from dvt_triage import slots as s

DOMAIN: dict[str, Any] = {}
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


async def assess(slots: dict) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAssessHomeCare().run(dispatcher, tracker(slots=slots), DOMAIN)
    return slot_events(events), responses(dispatcher)


async def test_home_care_possible_outcome_lists_the_doctor_guided_measures():
    filled, said = await assess(ALL_GOOD)
    assert filled == {s.TRIAGE_LEVEL: s.HOME_CARE_POSSIBLE, s.EXCLUSION_REASONS: []}
    assert said == [
        "utter_outcome_home_care_possible",
        "utter_home_care_measures",
        "utter_warning_signs",
        "utter_booking",
        "utter_answer_summary",
    ]


async def test_not_home_care_outcome_gives_each_reason():
    filled, said = await assess({**ALL_GOOD, s.CANCER: s.YES, s.BLOOD_THINNER_UNSAFE: s.YES})
    assert filled == {s.TRIAGE_LEVEL: s.NOT_HOME_CARE, s.EXCLUSION_REASONS: [s.CANCER, s.BLOOD_THINNER_UNSAFE]}
    assert said == [
        "utter_outcome_not_home_care",
        "utter_reason_cancer",
        "utter_reason_blood_thinner_unsafe",
        "utter_not_home_care_next",
        "utter_warning_signs",
        "utter_booking",
        "utter_answer_summary",
    ]


async def test_needs_evaluation_outcome_says_what_is_missing_and_what_is_unknown():
    filled, said = await assess({**ALL_GOOD, s.DIAGNOSIS_CONFIRMED: s.NO, s.HEART_DISEASE: s.UNSURE})
    assert filled == {s.TRIAGE_LEVEL: s.NEEDS_EVALUATION, s.EXCLUSION_REASONS: []}
    assert said == [
        "utter_outcome_needs_evaluation",
        "utter_needs_evaluation_missing",
        "utter_missing_diagnosis_confirmed",
        "utter_unknown_intro",
        "utter_unsure_heart_disease",
        "utter_warning_signs",
        "utter_booking",
        "utter_answer_summary",
    ]


@pytest.mark.parametrize("level_slots, level", [
    (ALL_GOOD, s.HOME_CARE_POSSIBLE),
    ({**ALL_GOOD, s.RECURRENT_CLOTS: s.YES}, s.NOT_HOME_CARE),
    ({**ALL_GOOD, s.FOLLOW_UP_AVAILABLE: s.UNSURE}, s.NEEDS_EVALUATION),
])
async def test_every_outcome_ends_with_warning_signs_booking_and_summary(level_slots, level):
    filled, said = await assess(level_slots)
    assert filled[s.TRIAGE_LEVEL] == level
    assert said[-3:] == ["utter_warning_signs", "utter_booking", "utter_answer_summary"]
