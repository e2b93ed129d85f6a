"""Dialogue policy that fills the assessment form from free-text replies, inside the Rasa server.

The form (`assessment_form`, Rasa's own FormAction) asks the questions; this policy reads
each reply with `dvt_triage.form_turn` and hands the answers to the form as policy events,
so that a form turn needs no round trip to the action server (issue 5: that call was
about a quarter of the time a message took). A reply that leaves the question open ("why
do you ask?", a question, "banana") gets its response first and the question again.

It ranks below `TriageOverridePolicy`, so an emergency, a "right now?" check, stop and
start over always win, and above RulePolicy's form happy path, which it replaces.
If every question was answered but the outcome could not be given (action server down),
the next message asks for the outcome again.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from dvt_triage import form_turn
from dvt_triage import slots as s
from rasa_plugins.deterministic_policy import DeterministicPolicy

# Intents that TriageOverridePolicy answers: never read as an answer to the form.
OVERRIDE_INTENTS = {s.INTENT_EMERGENCY, s.INTENT_RED_FLAG_CONTEXT, s.INTENT_STOP, s.INTENT_RESTART}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class AssessmentFormPolicy(DeterministicPolicy):
    """Reads the answers to the assessment form in-process and keeps the form going."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7}

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        in_form = tracker.active_loop_name == s.ASSESSMENT_FORM
        last_action = tracker.latest_action_name
        intent = (tracker.latest_message.intent.get("name") if tracker.latest_message else None) or ""
        if last_action != ACTION_LISTEN_NAME or not tracker.latest_message:
            if in_form and form_turn.is_reply(last_action, intent):
                # The reply to a non-answer was said: the form asks its next question.
                return self._predict(s.ASSESSMENT_FORM, domain)
            return self._abstain(domain)
        if intent in OVERRIDE_INTENTS:
            return self._abstain(domain)
        if in_form:
            return self._read_reply(tracker, domain, intent)
        slot_values = {slot: tracker.get_slot(slot) for slot in s.FORM_SLOTS}
        if form_turn.outcome_pending(slot_values, tracker.get_slot(s.TRIAGE_LEVEL)):
            return self._predict(s.ACTION_ASSESS_HOME_CARE, domain)
        return self._abstain(domain)

    def _read_reply(self, tracker: DialogueStateTracker, domain: Domain, intent: Text) -> PolicyPrediction:
        requested = tracker.get_slot(s.REQUESTED_SLOT)
        turn = form_turn.read(tracker.latest_message.text or "", intent, requested)
        events: List[Event] = [SlotSet(slot, value) for slot, value in turn.answers.items()]
        if turn.reply is None:
            return self._predict(s.ASSESSMENT_FORM, domain, events)
        if not turn.answered_requested:
            # With no requested slot the form asks for the first open one (this one) again,
            # instead of rejecting the turn for want of an answer.
            events.append(SlotSet(s.REQUESTED_SLOT, None))
        return self._predict(turn.reply, domain, events)
