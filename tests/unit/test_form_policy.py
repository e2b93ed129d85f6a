"""AssessmentFormPolicy on real Rasa trackers: what it predicts after each kind of reply, and
the answers it hands to the form (read in the Rasa server, no action-server call)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from dvt_triage import intents, responses
from dvt_triage import slots as s
from rasa_plugins.form_policy import AssessmentFormPolicy
from tests.support.trackers import DOMAIN, in_form, predict, user

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def policy(make_policy) -> AssessmentFormPolicy:
    return make_policy(AssessmentFormPolicy)


def test_fixture_tracker_mid_form_hands_the_free_text_answer_to_the_form(policy):
    data = json.loads((ROOT / "tests" / "data" / "tracker_mid_form.json").read_text())
    tracker = DialogueStateTracker.from_dict(data["sender_id"], data["events"], DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert DOMAIN.action_names_or_texts[prediction.probabilities.index(1.0)] == s.ASSESSMENT_FORM
    assert prediction.optional_events == [SlotSet(s.CANCER, s.YES)]
    assert prediction.is_no_user_prediction


def test_an_answer_goes_to_the_form_with_every_slot_it_answers(policy):
    events = in_form(s.CANCER) + user("no cancer, my kidneys are fine", "deny")
    assert predict(policy, events) == (s.ASSESSMENT_FORM, {s.CANCER: s.NO, s.KIDNEY_DISEASE: s.NO})


def test_an_answer_to_another_question_is_noted_and_the_question_left_open(policy):
    events = in_form(s.CLOT_SMALL_STABLE) + user("I've had clots twice before", "inform")
    assert predict(policy, events) == ("utter_noted", {s.RECURRENT_CLOTS: s.YES, s.REQUESTED_SLOT: None})


@pytest.mark.parametrize("text, intent, reply", [
    ("why do you ask?", "ask_why", "utter_why_kidney_disease"),
    ("should I wear compression stockings?", "faq_compression", "utter_faq_compression"),
    ("banana", "nlu_fallback", "utter_clarify"),
])
def test_a_non_answer_gets_its_reply_then_the_form_asks_again(policy, text, intent, reply):
    events = in_form(s.KIDNEY_DISEASE) + user(text, intent)
    assert predict(policy, events) == (reply, {s.REQUESTED_SLOT: None})
    # After the reply, the form goes on (and, with no requested slot, asks the open one).
    after = events + [SlotSet(s.REQUESTED_SLOT, None), ActionExecuted(reply), BotUttered("reply")]
    assert predict(policy, after) == (s.ASSESSMENT_FORM, {})


def test_an_answer_with_a_question_gets_the_answer_and_keeps_the_value(policy):
    events = in_form(s.CANCER) + user("no. what is a DVT anyway?", "faq_what_is_dvt")
    assert predict(policy, events) == ("utter_faq_what_is_dvt", {s.CANCER: s.NO})


@pytest.mark.parametrize("intent", [intents.EMERGENCY, intents.RED_FLAG_CONTEXT, intents.STOP, intents.RESTART])
def test_it_leaves_overrides_to_the_override_policy(policy, intent):
    events = in_form(s.CANCER) + user("no, but I can't breathe", intent)
    assert predict(policy, events) == (None, {})


def test_outside_the_form_it_abstains(policy):
    assert predict(policy, user("hi", "greet")) == (None, {})
    assert predict(policy, user("no", "deny")) == (None, {})


ALL_ANSWERED = [SlotSet(slot, s.NO) for slot in s.FORM_SLOTS]


def form_completed() -> list[Event]:
    """The last answer given: the form has just filled every slot and deactivated."""
    return [
        *in_form(s.BLOOD_THINNER_UNSAFE, {slot: s.NO for slot in s.FORM_SLOTS[:-1]}),
        *user("no", "deny"),
        SlotSet(s.BLOOD_THINNER_UNSAFE, s.NO),
        ActionExecuted(s.ASSESSMENT_FORM),
        ActiveLoop(None),
        SlotSet(s.REQUESTED_SLOT, None),
    ]


def read_back_shown(state: str = s.READ_BACK_SHOWN) -> list[Event]:
    return [
        *form_completed(),
        SlotSet(s.READ_BACK, state),
        ActionExecuted(responses.READ_BACK),
        BotUttered("1. Clot confirmed by a scan: no ..."),
    ]


def test_when_the_form_completes_the_answers_are_read_back_not_judged(policy):
    assert predict(policy, form_completed()) == (responses.READ_BACK, {s.READ_BACK: s.READ_BACK_SHOWN})
    assert predict(policy, read_back_shown()) == (ACTION_LISTEN_NAME, {})


@pytest.mark.parametrize("text, intent", [("that's right", "affirm"), ("looks good", "affirm"), ("yes", "affirm")])
def test_only_a_confirmation_asks_for_the_outcome(policy, text, intent):
    assert predict(policy, read_back_shown() + user(text, intent)) == (
        s.ACTION_ASSESS_HOME_CARE,
        {s.READ_BACK: s.READ_BACK_CONFIRMED},
    )


def test_a_correction_changes_the_answer_and_shows_the_list_again(policy):
    events = read_back_shown() + user("cancer should be yes", "inform")
    assert predict(policy, events) == (responses.READ_BACK_CHANGED, {s.CANCER: s.YES, s.READ_BACK: s.READ_BACK_SHOWN})
    after = events + [SlotSet(s.CANCER, s.YES), ActionExecuted(responses.READ_BACK_CHANGED), BotUttered("changed")]
    assert predict(policy, after) == (responses.READ_BACK, {})


def test_two_items_corrected_in_one_message(policy):
    events = read_back_shown() + user("8 and 10 are yes", "inform")
    assert predict(policy, events) == (
        responses.READ_BACK_CHANGED,
        {s.CANCER: s.YES, s.HEART_DISEASE: s.YES, s.READ_BACK: s.READ_BACK_SHOWN},
    )


def test_a_bare_no_asks_which_item_and_a_bare_yes_then_is_not_a_confirmation(policy):
    events = read_back_shown() + user("no", "deny")
    assert predict(policy, events) == (responses.READ_BACK_WHICH, {s.READ_BACK: s.READ_BACK_WHICH})
    which = events + [SlotSet(s.READ_BACK, s.READ_BACK_WHICH), ActionExecuted(responses.READ_BACK_WHICH), BotUttered("?")]
    assert predict(policy, which) == (ACTION_LISTEN_NAME, {})
    assert predict(policy, which + user("yes", "affirm")) == (responses.READ_BACK_UNCLEAR, {})
    assert predict(policy, which + user("9 is yes", "inform")) == (
        responses.READ_BACK_CHANGED,
        {s.KIDNEY_DISEASE: s.YES, s.READ_BACK: s.READ_BACK_SHOWN},
    )


def test_an_unsure_item_said_to_be_wrong_is_asked_again_and_its_answer_taken(policy):
    shown = read_back_shown()
    shown.insert(-3, SlotSet(s.HEART_DISEASE, s.UNSURE))
    events = shown + user("10 is wrong", "inform")
    asked = s.READ_BACK_ASK_PREFIX + s.HEART_DISEASE
    assert predict(policy, events) == ("utter_ask_heart_disease", {s.READ_BACK: asked})
    events += [SlotSet(s.READ_BACK, asked), ActionExecuted("utter_ask_heart_disease"), BotUttered("heart?")]
    assert predict(policy, events) == (ACTION_LISTEN_NAME, {})
    assert predict(policy, events + user("banana", "nlu_fallback")) == ("utter_clarify", {})
    assert predict(policy, events + user("no", "deny")) == (
        responses.READ_BACK_CHANGED,
        {s.HEART_DISEASE: s.NO, s.READ_BACK: s.READ_BACK_SHOWN},
    )


@pytest.mark.parametrize("text, intent", [("banana", "nlu_fallback"), ("hi", "greet"), ("ok", "affirm"),
                                          ("change 13 to yes", "inform")])
def test_an_unclear_reply_is_asked_again_never_confirmed(policy, text, intent):
    assert predict(policy, read_back_shown() + user(text, intent)) == (responses.READ_BACK_UNCLEAR, {})


def test_a_question_during_the_read_back_is_answered_then_the_list_asked_about_again(policy):
    events = read_back_shown() + user("what is a DVT?", "faq_what_is_dvt")
    assert predict(policy, events) == ("utter_faq_what_is_dvt", {})
    after = events + [ActionExecuted("utter_faq_what_is_dvt"), BotUttered("A DVT is ...")]
    assert predict(policy, after) == (responses.READ_BACK_PROMPT, {})


@pytest.mark.parametrize("intent", [intents.EMERGENCY, intents.RED_FLAG_CONTEXT, intents.STOP, intents.RESTART])
def test_during_the_read_back_overrides_are_left_to_the_override_policy(policy, intent):
    assert predict(policy, read_back_shown() + user("yes, and my chest hurts", intent)) == (None, {})


def test_an_outcome_that_could_not_be_given_is_asked_for_again_on_the_next_message(policy):
    confirmed = [*ALL_ANSWERED, SlotSet(s.READ_BACK, s.READ_BACK_CONFIRMED)]
    failed = [*confirmed, ActionExecuted(s.ACTION_ASSESS_HOME_CARE), ActionExecuted("utter_assessment_unavailable")]
    assert predict(policy, failed + user("ok", "affirm")) == (s.ACTION_ASSESS_HOME_CARE, {})
    given = [*confirmed, ActionExecuted(s.ACTION_ASSESS_HOME_CARE), SlotSet(s.TRIAGE_LEVEL, s.HOME_CARE_POSSIBLE)]
    assert predict(policy, given + user("ok", "affirm")) == (None, {})
    # Never without the confirmation.
    unconfirmed = [*ALL_ANSWERED, SlotSet(s.READ_BACK, s.READ_BACK_SHOWN), ActionExecuted("utter_assessment_unavailable")]
    assert predict(policy, unconfirmed + user("ok", "affirm"))[0] != s.ACTION_ASSESS_HOME_CARE


@pytest.mark.parametrize("text, intent, response", [
    ("measures", "nlu_fallback", "utter_home_care_measures"),
    ("/show_home_care_measures", intents.SHOW_MEASURES, "utter_home_care_measures"),
    ("SUMMARY", "out_of_scope", "utter_answer_summary"),
    ("/show_answer_summary", intents.SHOW_SUMMARY, "utter_answer_summary"),
])
def test_after_the_outcome_measures_and_summary_are_one_word_away(policy, text, intent, response):
    given = [*ALL_ANSWERED, SlotSet(s.READ_BACK, s.READ_BACK_CONFIRMED), ActionExecuted(s.ACTION_ASSESS_HOME_CARE),
             SlotSet(s.TRIAGE_LEVEL, s.NOT_HOME_CARE), BotUttered("For people with ...")]
    assert predict(policy, given + user(text, intent)) == (response, {})
    assert predict(policy, given + user(text, intent) + [ActionExecuted(response)]) == (ACTION_LISTEN_NAME, {})


def test_after_the_outcome_the_patient_has_the_word(policy):
    given = [*ALL_ANSWERED, SlotSet(s.READ_BACK, s.READ_BACK_CONFIRMED), *user("yes", "affirm"),
             ActionExecuted(s.ACTION_ASSESS_HOME_CARE), SlotSet(s.TRIAGE_LEVEL, s.NOT_HOME_CARE)]
    assert predict(policy, given) == (ACTION_LISTEN_NAME, {})
