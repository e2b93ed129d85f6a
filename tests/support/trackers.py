"""Trackers built from events, and what a policy predicts on them: shared by the policy tests."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from rasa.core.policies.policy import Policy
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from dvt_triage import slots as s

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def user(text: str, intent: str, confidence: float = 0.9) -> list[Event]:
    """The events of the patient sending `text`, classified as `intent`."""
    return [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, {"name": intent, "confidence": confidence})]


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


def predict(policy: Policy, events: list[Event]) -> tuple[Optional[str], dict]:
    """The action the policy predicts (None when it abstains) and the slots it sets."""
    tracker = DialogueStateTracker.from_events("test", events, DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None, {}
    action = DOMAIN.action_names_or_texts[prediction.probabilities.index(max(prediction.probabilities))]
    return action, {e.key: e.value for e in prediction.optional_events if isinstance(e, SlotSet)}
