"""The NLU components on messages from any channel, as `rasa run` passes them: MessageGuard
(first: cleans and bounds the text) and RedFlagClassifier (last) on what it passes on."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from dvt_triage import message_limits
from dvt_triage import intents
from rasa_plugins.message_guard import TOO_LONG_KEY, MessageGuard
from rasa_plugins.red_flag_classifier import RedFlagClassifier

GUARD = MessageGuard()
CLASSIFIER = RedFlagClassifier({})


def through(text: object) -> Message:
    message = Message({TEXT: text, INTENT: {"name": "greet", "confidence": 0.9}})
    GUARD.process([message])
    CLASSIFIER.process([message])
    return message


@pytest.mark.parametrize("text", [None, "", "\x00\x01", "\ud800", "   "])
def test_no_text_or_unreadable_text_becomes_text_the_pipeline_can_read(text):
    message = through(text)
    assert isinstance(message.get(TEXT), str) and message.get(TOO_LONG_KEY) is None


def test_an_over_long_message_is_marked_for_the_policy_and_bounded():
    message = through("my leg aches a little. " * 500)
    assert message.get(TOO_LONG_KEY) == {"chars": len("my leg aches a little. " * 500)}
    assert TOO_LONG_KEY in message.as_dict(only_output_properties=True)  # reaches the tracker
    assert len(message.get(TEXT)) <= message_limits.MAX_MESSAGE_CHARS


def test_an_emergency_late_in_an_over_long_message_is_still_an_emergency():
    message = through("my leg aches a little. " * 300 + "and now I can't breathe. " + "ok. " * 1000)
    assert message.get(TOO_LONG_KEY) and message.get(INTENT)["name"] == intents.EMERGENCY


@pytest.mark.parametrize("text", ["/I can't breathe", "/ chest pain", "<b>I have chest pain</b>", "\uff43\uff48\uff45\uff53\uff54 pain"])
def test_red_flags_in_odd_text_set_the_emergency_intent(text):
    assert through(text).get(INTENT)["name"] == intents.EMERGENCY


@pytest.mark.parametrize("text, intent", [("/restart", intents.RESTART), ("/stop", intents.STOP), ("start over", intents.RESTART)])
def test_commands_still_work(text, intent):
    assert through(text).get(INTENT)["name"] == intent
