"""TriageOverridePolicy on real trackers, with messages read by the real RedFlagClassifier:
serious bleeding gets its own instruction, Spanish gets Spanish then English, a hedge to the
emergency screen gets the confirming question, and a Spanish message that is no emergency gets
the short Spanish reply before the question is asked again."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from dvt_triage import slots as s
from dvt_triage import responses
from rasa_plugins.override_policy import (
    RED_FLAG_CHECK,
    TriageOverridePolicy,
)
from rasa_plugins.red_flag_classifier import RedFlagClassifier

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
CLASSIFIER = RedFlagClassifier({})


@pytest.fixture(scope="module")
def policy(make_policy) -> TriageOverridePolicy:
    return make_policy(TriageOverridePolicy)


def user(text: str, intent: str = "inform") -> UserUttered:
    """The message as the NLU pipeline hands it to the policies (intent, red flag, language)."""
    message = Message({TEXT: text, INTENT: {"name": intent, "confidence": 0.5}, INTENT_RANKING_KEY: []})
    CLASSIFIER.process([message])
    data = {**message.as_dict(only_output_properties=True), INTENT: message.get(INTENT), "text": text}
    return UserUttered(text, data[INTENT], parse_data=data)


class Conversation:
    """Runs the policy as Rasa does: each prediction's events, then the action, until it listens."""

    def __init__(self, policy: TriageOverridePolicy, events: Optional[list[Event]] = None) -> None:
        self.policy = policy
        self.tracker = DialogueStateTracker.from_events("test", events or [], DOMAIN.slots)

    def say(self, text: str, intent: str = "inform") -> list[str]:
        self.tracker.update_with_events([ActionExecuted(ACTION_LISTEN_NAME), user(text, intent)], DOMAIN)
        actions = []
        for _ in range(5):
            prediction = self.policy.predict_action_probabilities(self.tracker, DOMAIN)
            if max(prediction.probabilities) == 0:
                break  # the policy abstains: the form or the rules go on
            action = DOMAIN.action_names_or_texts[prediction.probabilities.index(max(prediction.probabilities))]
            if action == ACTION_LISTEN_NAME:
                break
            actions.append(action)
            self.tracker.update_with_events([*prediction.optional_events, ActionExecuted(action)], DOMAIN)
            if action.startswith("utter_"):
                self.tracker.update_with_events([BotUttered(action)], DOMAIN)
        return actions


def asking(slot: str) -> list[Event]:
    return [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("start the check", {"name": "start_check", "confidence": 1.0}),
        ActionExecuted(s.ASSESSMENT_FORM),
        ActiveLoop(s.ASSESSMENT_FORM),
        SlotSet(s.REQUESTED_SLOT, slot),
        BotUttered(f"utter_ask_{slot}"),
    ]


def test_serious_bleeding_gets_its_own_instruction_and_keeps_getting_it(policy):
    chat = Conversation(policy)
    assert chat.say("I threw up blood this morning") == [responses.EMERGENCY_BLEEDING]
    assert chat.tracker.get_slot(s.TRIAGE_LEVEL) == s.EMERGENCY
    assert chat.say("ok thanks") == [responses.EMERGENCY_BLEEDING]


def test_a_pe_sign_gets_the_pe_instruction(policy):
    assert Conversation(policy).say("I can't breathe") == [responses.EMERGENCY]


def test_a_spanish_emergency_gets_the_instruction_in_spanish_then_in_english(policy):
    chat = Conversation(policy, asking(s.EMERGENCY_SCREEN))
    assert chat.say("me duele el pecho y no puedo respirar") == [responses.EMERGENCY_SPANISH, responses.EMERGENCY]
    assert chat.tracker.get_slot(s.TRIAGE_LEVEL) == s.EMERGENCY and chat.tracker.active_loop_name is None
    assert chat.say("muchas gracias por la ayuda") == [responses.EMERGENCY_SPANISH, responses.EMERGENCY]  # the same persistence


def test_a_spanish_bleed_gets_the_spanish_then_the_bleeding_instruction(policy):
    assert Conversation(policy).say("tengo las heces negras desde ayer") == [responses.EMERGENCY_SPANISH, responses.EMERGENCY_BLEEDING]


def test_a_spanish_message_that_is_no_emergency_gets_the_spanish_reply_and_the_question_again(policy):
    chat = Conversation(policy, asking(s.EMERGENCY_SCREEN))
    assert chat.say("hola, tengo una pregunta sobre mi cita") == [responses.SPANISH_ONLY, s.ASSESSMENT_FORM]
    assert chat.tracker.get_slot(s.TRIAGE_LEVEL) is None


def test_a_spanish_suspicion_gets_the_spanish_reply_then_the_confirming_question(policy):
    chat = Conversation(policy)
    assert chat.say("siento algo raro en el pecho, no se que es") == [responses.SPANISH_ONLY, responses.ASK_RED_FLAG_NOW]
    assert chat.say("yes") == [responses.EMERGENCY]


@pytest.mark.parametrize("text", ["yes", "yes I do", "yeah"])
def test_a_plain_yes_to_the_screen_is_the_emergency_instruction(policy, text):
    assert Conversation(policy, asking(s.EMERGENCY_SCREEN)).say(text, "affirm") == [responses.EMERGENCY]


@pytest.mark.parametrize(
    "text", ["not sure", "maybe", "the swelling is about the same as when I saw the doctor", "I'm fine on all of those"]
)
def test_a_hedge_or_a_named_sign_without_a_yes_at_the_screen_gets_the_confirming_question(policy, text):
    chat = Conversation(policy, asking(s.EMERGENCY_SCREEN))
    assert chat.say(text) == [responses.ASK_RED_FLAG_NOW]
    assert chat.tracker.get_slot(RED_FLAG_CHECK) == "asked"


def test_a_no_to_the_confirming_question_at_the_screen_answers_the_screen(policy):
    chat = Conversation(policy, asking(s.EMERGENCY_SCREEN))
    chat.say("not sure")
    assert chat.say("no")[:1] == [responses.RED_FLAG_CLEARED]
    assert chat.tracker.get_slot(s.EMERGENCY_SCREEN) == s.NO


def test_not_sure_to_the_confirming_question_is_the_emergency_instruction(policy):
    chat = Conversation(policy, asking(s.EMERGENCY_SCREEN))
    chat.say("not sure")
    assert chat.say("not sure") == [responses.EMERGENCY]


def test_a_sign_that_passed_days_ago_is_still_an_emergency(policy):
    assert Conversation(policy).say("coughed up blood on Tuesday, fine since") == [responses.EMERGENCY]


@pytest.mark.parametrize(
    "slot, text",
    [
        (s.HIGH_PE_RISK, "yes, they told me it could travel to my lungs"),
        (s.HEART_DISEASE, "I had a heart attack 8 years ago, they put a stent in"),
        (s.HEART_DISEASE, "yes, I've got angina and carry a spray for it"),
    ],
)
def test_an_answer_in_the_questions_own_words_is_read_as_an_answer(policy, slot, text):
    # the override policy leaves it to the form, which reads the answer
    assert Conversation(policy, asking(slot)).say(text, "red_flag_context") == []


@pytest.mark.parametrize(
    "slot, text",
    [
        (s.CANCER, "no, but my lungs feel weird"),
        (s.EMERGENCY_SCREEN, "my breathing is a bit weird"),
        (s.HIGH_PE_RISK, "my chest feels odd today"),
    ],
)
def test_a_suspicion_in_other_words_or_at_the_screen_is_always_asked_about(policy, slot, text):
    assert Conversation(policy, asking(slot)).say(text, "red_flag_context")[:1] in (
        [responses.ASK_RED_FLAG_NOW],
        [responses.EMERGENCY],
    )
