"""Dialogue policy that obeys the safety overrides deterministically, at any point.

It outranks every other policy, including an active form's happy path, so that:
- a current red flag (intent `emergency`), a "yes" to the emergency screen, or a "yes" or
  "not sure" to the confirming question ("do you have it now, or did you have it in the last
  few days?"), gives the emergency instruction at once, ends any form and sets
  `triage_level` to `emergency`. Serious bleeding gets its own wording; a message in Spanish
  gets the instruction in Spanish first, then in English;
- "not sure" (or an answer with a hedge) to the emergency screen gets the confirming question;
- after an emergency, every later message gets the instruction again first, until the
  person explicitly starts over;
- a mention that is not clearly current (someone else's, hypothetical, past) is never
  dropped: the assistant asks whether it is happening right now;
- "stop" ends the check (and the read-back of the answers) and "start over" starts afresh;
- when the action server is down, slow or erroring, the patient is told to call the clinic
  instead of getting silence, and the check goes on once it is back;
- a message too long to read (`MessageGuard`) gets "please send a shorter message", and the
  question is asked again; an emergency sign in it still gets the emergency instruction;
- a message in Spanish that is no emergency gets a short Spanish reply (the assistant works
  in English; the signs that mean 911; the clinic's number), and the question is asked again.
It needs neither the action server nor any ML confidence.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, Restarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from dvt_triage import answers, intents, language, read_back, red_flags, responses
from dvt_triage import slots as s
from rasa_plugins import action_server_timeout
from rasa_plugins.deterministic_policy import DeterministicPolicy
from rasa_plugins.message_guard import TOO_LONG_KEY
from rasa_plugins.red_flag_classifier import LANGUAGE_KEY, RED_FLAG_KEY

# The sign class with its own emergency wording (dvt_triage/data/red_flags.yml).
SERIOUS_BLEEDING = "serious_bleeding"
ENGLISH_EMERGENCIES = (responses.EMERGENCY, responses.EMERGENCY_BLEEDING)
# Every emergency instruction: a channel sends each at once and on its own.
EMERGENCY_INSTRUCTIONS = (*ENGLISH_EMERGENCIES, responses.EMERGENCY_SPANISH)
RED_FLAG_CHECK = "red_flag_check"
# The policies' order is set here and in AssessmentFormPolicy, not in config.yml: the safety
# overrides outrank every policy, including the form's reader (one below) and RulePolicy
# (rasa.core.constants.RULE_POLICY_PRIORITY, 4), so that an active form cannot hide them.
PRIORITY = 8
# The custom action that always returns events when it succeeds: an ActionExecuted with
# nothing after it means the action server failed (down, timed out, or erroring).
# (The form's answers are read in-process by AssessmentFormPolicy.)
CUSTOM_ACTIONS = {s.ACTION_ASSESS_HOME_CARE}
ASKED = "asked"

# Actions after which the only sensible next step is to listen.
LISTEN_AFTER = {*ENGLISH_EMERGENCIES, responses.ASK_RED_FLAG_NOW, responses.STOPPED, responses.GREET, responses.UNAVAILABLE}


def _words(text: str) -> set[str]:
    """Content words, by their first five letters ("lung" and "lungs" are one word)."""
    return {w[:5] for w in re.findall(r"[a-z]{4,}", text.lower())}


def answer_in_the_questions_words(tracker: DialogueStateTracker, domain: Domain) -> bool:
    """During the check (not at the emergency screen, which asks about the signs themselves), a
    reply that answers the question asked is read as an answer, not met with the confirming
    question, when the only alarm is
    - a suspicion, or a mention in the past, whose words repeat the question ("lungs" when
      asked whether a doctor said a clot may travel to the lungs, "had a heart attack" when
      asked about heart disease), or
    - a long-standing condition ("I've got angina", "my asthma"), which is what the
      exclusion questions ask about, or
    - the intent classifier's guess, with no sign or suspicion in the words at all.
    A sign in the words, or a suspicion in other words, is always asked about."""
    requested = tracker.get_slot(s.REQUESTED_SLOT) if tracker.active_loop_name else None
    if not requested or requested == s.EMERGENCY_SCREEN:
        return False
    red_flag = tracker.latest_message.parse_data.get(RED_FLAG_KEY) or {}
    status = red_flag.get("status")
    conditions = red_flag.get("contexts") and all(c == red_flags.CONDITION for c in red_flag["contexts"])
    if status == red_flags.CONTEXT and conditions:
        pass  # a long-standing condition ("I've got angina") is what the exclusions ask about
    elif status in (red_flags.SUSPECTED, red_flags.CONTEXT):
        question = _words(domain.responses.get(responses.ask(requested), [{}])[0].get("text", ""))
        mentions = red_flag.get("words") or []
        if not mentions or not all(_words(m) & question for m in mentions):
            return False
    elif status != red_flags.NONE:
        return False
    return requested in answers.interpret(tracker.latest_message.text or "", requested)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class TriageOverridePolicy(DeterministicPolicy):
    """Safety overrides that win over forms, rules and ML predictions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action_server_timeout.configure()

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": PRIORITY}

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        last_action = tracker.latest_action_name
        if self._custom_action_failed(tracker):
            # The answers are kept: the next message asks for the outcome again.
            return self._predict(responses.UNAVAILABLE, domain)
        if last_action == ACTION_LISTEN_NAME and tracker.latest_message:
            return self._after_user_message(tracker, domain)
        if last_action in LISTEN_AFTER:
            return self._predict(ACTION_LISTEN_NAME, domain)
        if last_action == responses.EMERGENCY_SPANISH:
            return self._predict(self._english_emergency(tracker), domain)
        if last_action in (responses.TOO_LONG, responses.SPANISH_ONLY):
            # Ask again whatever was asked before the message that could not be read.
            if tracker.get_slot(RED_FLAG_CHECK) == ASKED:
                return self._predict(responses.ASK_RED_FLAG_NOW, domain)
            return self._resume(tracker, domain)
        if last_action == responses.RED_FLAG_CLEARED:
            return self._resume(tracker, domain)
        if last_action == responses.RESTART:
            return self._predict(responses.GREET, domain)
        return self._abstain(domain)

    def _after_user_message(self, tracker: DialogueStateTracker, domain: Domain) -> PolicyPrediction:
        intent = tracker.latest_message.intent.get("name")
        text = tracker.latest_message.text or ""
        if intent == intents.RESTART:
            # A fresh conversation: the Restarted event clears every slot and the form.
            return self._predict(responses.RESTART, domain, [Restarted()])
        spanish = tracker.latest_message.parse_data.get(LANGUAGE_KEY) == language.SPANISH
        first = responses.EMERGENCY_SPANISH if spanish else self._english_emergency(tracker)
        emergency = self._predict(first, domain, self._end_assessment(tracker, s.EMERGENCY))
        if intent == intents.EMERGENCY or tracker.get_slot(s.TRIAGE_LEVEL) == s.EMERGENCY:
            return emergency
        if tracker.latest_message.parse_data.get(TOO_LONG_KEY):
            return self._predict(responses.TOO_LONG, domain, self._forget_current_answer(tracker))
        confirming = [SlotSet(RED_FLAG_CHECK, ASKED), *self._forget_current_answer(tracker)]
        if spanish and intent != intents.STOP:
            # Not an emergency the detector can see, and not English: a Spanish reply with the
            # signs that mean 911, then the pending question again (a suspicion: the
            # confirming question).
            if intent == intents.RED_FLAG_CONTEXT:
                return self._predict(responses.SPANISH_ONLY, domain, confirming)
            return self._predict(responses.SPANISH_ONLY, domain, self._forget_current_answer(tracker))
        if tracker.get_slot(RED_FLAG_CHECK) == ASKED:
            if self._not_a_clear_no(text):
                return emergency
            if self._reading(text) is None:
                # Not understood ("what do you mean?"): never taken as a no; asked again.
                return self._predict(responses.ASK_RED_FLAG_NOW, domain)
            return self._predict(responses.RED_FLAG_CLEARED, domain, self._cleared(tracker))
        if intent == intents.RED_FLAG_CONTEXT and not answer_in_the_questions_words(tracker, domain):
            return self._predict(responses.ASK_RED_FLAG_NOW, domain, confirming)
        requested = tracker.get_slot(s.REQUESTED_SLOT) if tracker.active_loop_name else None
        if requested == s.EMERGENCY_SCREEN:
            reading = self._reading(text)
            if reading == s.YES and answers.says_yes(text):
                return emergency
            if reading in (s.YES, s.UNSURE):
                # A hedge to the screen, or words that name a sign without saying yes ("the
                # swelling is the same"): the confirming question, whose "not sure" is a yes.
                # (A sign the detector reads as current has had the instruction already.)
                return self._predict(responses.ASK_RED_FLAG_NOW, domain, confirming)
        if intent == intents.STOP:
            return self._predict(responses.STOPPED, domain, self._end_assessment(tracker, None, reset=True))
        return self._abstain(domain)

    def _resume(self, tracker: DialogueStateTracker, domain: Domain) -> PolicyPrediction:
        """Back to the form, or to the read-back of the answers (AssessmentFormPolicy asks
        it again), or to listening."""
        if tracker.active_loop_name:
            return self._predict(tracker.active_loop_name, domain)
        if read_back.pending(tracker.get_slot(s.READ_BACK)):
            return self._abstain(domain)
        return self._predict(ACTION_LISTEN_NAME, domain)

    @staticmethod
    def _english_emergency(tracker: DialogueStateTracker) -> str:
        """The instruction for the signs that raised the alarm: those of the latest message
        that names any, else the one already given in this conversation."""
        for event in reversed(tracker.events):
            if isinstance(event, ActionExecuted) and event.action_name in ENGLISH_EMERGENCIES:
                return event.action_name
            if isinstance(event, UserUttered):
                signs = (event.parse_data.get(RED_FLAG_KEY) or {}).get("signs") or []
                if signs:
                    return responses.EMERGENCY_BLEEDING if set(signs) == {SERIOUS_BLEEDING} else responses.EMERGENCY
            if isinstance(event, Restarted):
                break
        return responses.EMERGENCY

    @staticmethod
    def _cleared(tracker: DialogueStateTracker) -> List[Event]:
        """A clear no to the confirming question, which asks what the emergency screen asks:
        during the check, before the screen is answered, it answers the screen too."""
        events: List[Event] = [SlotSet(RED_FLAG_CHECK, None)]
        if tracker.active_loop_name and tracker.get_slot(s.EMERGENCY_SCREEN) is None:
            events.append(SlotSet(s.EMERGENCY_SCREEN, s.NO))
        return events

    @staticmethod
    def _custom_action_failed(tracker: DialogueStateTracker) -> bool:
        last = tracker.events[-1] if tracker.events else None
        return isinstance(last, ActionExecuted) and last.action_name in CUSTOM_ACTIONS

    @staticmethod
    def _reading(text: str) -> Optional[str]:
        """The reply to "are you having it right now?" as yes / no / unsure, None if not read."""
        return answers.interpret(text, s.EMERGENCY_SCREEN).get(s.EMERGENCY_SCREEN)

    @classmethod
    def _not_a_clear_no(cls, text: str) -> bool:
        """A yes or a hedge to "is this happening right now?" counts as yes."""
        return cls._reading(text) in (s.YES, s.UNSURE)

    @staticmethod
    def _forget_current_answer(tracker: DialogueStateTracker) -> List[Event]:
        """Leave the question being asked open, to be asked again when the form resumes
        (with no requested slot the form asks for the first open one instead of rejecting)."""
        requested = tracker.get_slot(s.REQUESTED_SLOT)
        if not tracker.active_loop_name or not requested:
            return []
        return [SlotSet(requested, None), SlotSet(s.REQUESTED_SLOT, None)]

    def _end_assessment(
        self, tracker: DialogueStateTracker, level: Optional[str], reset: bool = False
    ) -> List[Event]:
        events: List[Event] = self._forget_current_answer(tracker)
        if tracker.active_loop_name:
            events.append(ActiveLoop(None))
        events += [SlotSet(s.REQUESTED_SLOT, None), SlotSet(RED_FLAG_CHECK, None), SlotSet(s.READ_BACK, None)]
        if reset:
            events += [SlotSet(slot, None) for slot in s.FORM_SLOTS]
            events += [SlotSet(s.EXCLUSION_REASONS, None)]
        events.append(SlotSet(s.TRIAGE_LEVEL, level))
        return events
