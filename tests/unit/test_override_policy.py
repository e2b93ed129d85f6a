"""TriageOverridePolicy on real Rasa trackers: the "are you having it right now?" check."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from dvt_triage import responses
from rasa_plugins.override_policy import (
    ASKED,
    RED_FLAG_CHECK,
    TriageOverridePolicy,
)

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def policy(make_policy) -> TriageOverridePolicy:
    return make_policy(TriageOverridePolicy)


def reply_to_right_now_check(
    policy: TriageOverridePolicy, text: str, intent: str = "inform"
) -> Optional[str]:
    events: list[Event] = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("my husband had chest pain", {"name": "red_flag_context", "confidence": 1.0}),
        ActionExecuted(responses.ASK_RED_FLAG_NOW),
        SlotSet(RED_FLAG_CHECK, ASKED),
        BotUttered("are you having it right now?"),
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered(text, {"name": intent, "confidence": 0.5}),
    ]
    tracker = DialogueStateTracker.from_events("test", events, DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    return DOMAIN.action_names_or_texts[prediction.probabilities.index(max(prediction.probabilities))]


@pytest.mark.parametrize(
    "text", ["no", "not right now", "nope, that was my husband", "no I'm fine", "I'm fine"]
)
def test_a_clear_no_clears_the_check(policy, text):
    assert reply_to_right_now_check(policy, text) == responses.RED_FLAG_CLEARED


@pytest.mark.parametrize("text", ["yes", "kind of", "not sure", "I think so", "sort of, yes"])
def test_a_yes_or_a_hedge_gets_the_emergency_instruction(policy, text):
    assert reply_to_right_now_check(policy, text) == responses.EMERGENCY


@pytest.mark.parametrize("text", ["what do you mean?", "banana", "why?", "a bit"])
def test_a_reply_not_understood_is_asked_again_never_taken_as_a_no(policy, text):
    assert reply_to_right_now_check(policy, text) in (responses.ASK_RED_FLAG_NOW, responses.EMERGENCY)
