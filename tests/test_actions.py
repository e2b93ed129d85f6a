"""Custom actions run against real rasa_sdk trackers, checking what the patient is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAssessHomeCare, ValidateAssessmentForm
from dvt_triage import slots as s

DATA = Path(__file__).parent / "data"
DOMAIN: dict[str, Any] = {}
ALL_GOOD = {**{c: s.YES for c in s.CONDITIONS}, **{e: s.NO for e in s.EXCLUSIONS}}


def tracker(
    text: str = "", intent: str = "inform", slots: Optional[dict] = None, requested: Optional[str] = None
) -> Tracker:
    """A tracker as the Rasa server sends it: the form active, `requested` being asked."""
    slots = dict(slots or {})
    if requested:
        slots[s.REQUESTED_SLOT] = requested
        slots.setdefault(requested, text)  # what the form's from_text mapping stored
    return Tracker.from_dict(
        {
            "sender_id": "test",
            "slots": slots,
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": s.ASSESSMENT_FORM},
            "latest_action_name": "action_listen",
        }
    )


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


async def validate(t: Tracker) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateAssessmentForm().run(dispatcher, t, DOMAIN)
    return slot_events(events), responses(dispatcher)


async def assess(slots: dict) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAssessHomeCare().run(dispatcher, tracker(slots=slots), DOMAIN)
    return slot_events(events), responses(dispatcher)


async def test_fixture_tracker_mid_form_fills_the_answer_from_free_text():
    t = Tracker.from_dict(json.loads((DATA / "tracker_mid_form.json").read_text()))
    filled, said = await validate(t)
    assert filled == {s.CANCER: s.YES}
    assert said == []


async def test_a_plain_no_answers_the_question_asked():
    filled, said = await validate(tracker("nope", "deny", requested=s.KIDNEY_DISEASE))
    assert filled == {s.KIDNEY_DISEASE: s.NO}
    assert said == []


async def test_one_message_fills_several_answers():
    filled, _ = await validate(
        tracker("no cancer, my kidneys are fine and no heart problems", requested=s.CANCER)
    )
    assert filled == {s.CANCER: s.NO, s.KIDNEY_DISEASE: s.NO, s.HEART_DISEASE: s.NO}


async def test_an_answer_to_other_questions_is_kept_and_the_question_asked_again():
    filled, said = await validate(tracker("I've had clots twice before", requested=s.CLOT_SMALL_STABLE))
    assert filled == {s.RECURRENT_CLOTS: s.YES, s.CLOT_SMALL_STABLE: None}
    assert said == ["utter_noted"]


async def test_a_reply_that_answers_nothing_is_clarified_and_asked_again():
    filled, said = await validate(tracker("banana", "nlu_fallback", requested=s.CANCER))
    assert filled == {s.CANCER: None}
    assert said == ["utter_clarify"]


async def test_why_do_you_ask_gets_the_reason_for_that_question():
    filled, said = await validate(tracker("why do you ask?", "ask_why", requested=s.KIDNEY_DISEASE))
    assert filled == {s.KIDNEY_DISEASE: None}
    assert said == ["utter_why_kidney_disease"]


async def test_a_question_mid_form_is_answered_then_the_form_asks_again():
    filled, said = await validate(tracker("should I wear compression stockings?", "faq_compression", requested=s.CANCER))
    assert filled == {s.CANCER: None}
    assert said == ["utter_faq_compression"]


async def test_an_answer_with_a_question_gets_both():
    filled, said = await validate(tracker("no. what is a DVT anyway?", "faq_what_is_dvt", requested=s.CANCER))
    assert filled == {s.CANCER: s.NO}
    assert said == ["utter_faq_what_is_dvt"]


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
