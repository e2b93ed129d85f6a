"""AssessmentFormPolicy on real Rasa trackers: what it predicts after each kind of reply, and
the answers it hands to the form (read in the Rasa server, no action-server call)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from dvt_triage import slots as s
from rasa_plugins.form_policy import AssessmentFormPolicy

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> AssessmentFormPolicy:
    return AssessmentFormPolicy.create(
        AssessmentFormPolicy.get_default_config(),
        LocalModelStorage(tmp_path_factory.mktemp("storage")),
        Resource("form_policy"),
        ExecutionContext(GraphSchema({})),
    )


def user(text: str, intent: str) -> list[Event]:
    return [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, {"name": intent, "confidence": 0.9})]


def in_form(requested: str, answered: Optional[dict] = None) -> list[Event]:
    """The form active and asking `requested`, with `answered` already filled."""
    return [
        *user("yes, start the check", "start_check"),
        ActionExecuted(s.ASSESSMENT_FORM),
        ActiveLoop(s.ASSESSMENT_FORM),
        *[SlotSet(slot, value) for slot, value in (answered or {}).items()],
        SlotSet(s.REQUESTED_SLOT, requested),
        BotUttered("the question"),
    ]


def predict(policy: AssessmentFormPolicy, events: list[Event]) -> tuple[Optional[str], dict]:
    """The action the policy predicts (None when it abstains) and the slots it sets."""
    tracker = DialogueStateTracker.from_events("test", events, DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None, {}
    action = DOMAIN.action_names_or_texts[prediction.probabilities.index(max(prediction.probabilities))]
    return action, {e.key: e.value for e in prediction.optional_events if isinstance(e, SlotSet)}


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


@pytest.mark.parametrize("intent", [s.INTENT_EMERGENCY, s.INTENT_RED_FLAG_CONTEXT, s.INTENT_STOP, s.INTENT_RESTART])
def test_it_leaves_overrides_to_the_override_policy(policy, intent):
    events = in_form(s.CANCER) + user("no, but I can't breathe", intent)
    assert predict(policy, events) == (None, {})


def test_outside_the_form_it_abstains(policy):
    assert predict(policy, user("hi", "greet")) == (None, {})
    assert predict(policy, user("no", "deny")) == (None, {})


ALL_ANSWERED = [SlotSet(slot, s.NO) for slot in s.FORM_SLOTS]


def test_an_outcome_that_could_not_be_given_is_asked_for_again_on_the_next_message(policy):
    failed = [*ALL_ANSWERED, ActionExecuted(s.ACTION_ASSESS_HOME_CARE), ActionExecuted("utter_assessment_unavailable")]
    assert predict(policy, failed + user("ok", "affirm")) == (s.ACTION_ASSESS_HOME_CARE, {})
    given = [*ALL_ANSWERED, ActionExecuted(s.ACTION_ASSESS_HOME_CARE), SlotSet(s.TRIAGE_LEVEL, s.HOME_CARE_POSSIBLE)]
    assert predict(policy, given + user("ok", "affirm")) == (None, {})
