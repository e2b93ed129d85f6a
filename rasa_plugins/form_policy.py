"""Dialogue policy that fills the assessment form from free-text replies, inside the Rasa server.

The form (`assessment_form`, Rasa's own FormAction) asks the questions; this policy reads
each reply with `dvt_triage.form_turn` and hands the answers to the form as policy events,
so that a form turn needs no round trip to the action server (that call was about
a quarter of the time a message took). A reply that leaves the question open ("why
do you ask?", a question, "banana") gets its response first and the question again.

It ranks below `TriageOverridePolicy`, so an emergency, a "right now?" check, stop and
start over always win, and above RulePolicy's form happy path, which it replaces.
When the form completes it reads the answers back (`dvt_triage.read_back`): a numbered
list, a domain response filled from the slots, and "is this right?". A correction changes
the answers and shows the list again; only a confirmation asks the action server for the
outcome. If the outcome could not be given (action server down), the next message asks
for it again. After the outcome, "measures" and "summary" (typed or by button) give the
home-care measures and the summary for the doctor.

Questions. A question asked during the check or the read-back (QUESTION_REPLIES:
the FAQ topics, a medicine change, another medical question, "I have a question") gets its
answer, then the same question of the check again. The background in a question ("I'm on
Eliquis, can I take ibuprofen?") fills no answer unless the message opens with a direct
answer to the question asked ("No. What is a DVT anyway?"). Outside the check, a reply to
the greeting or to the offer of the check that is not understood, or a yes or a "start the
check" the model is not sure of (below MIN_CONFIDENCE), never starts the check: it gets
the two choices again (utter_offer_check).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from dvt_triage import answers, form_turn, intents, read_back, responses
from dvt_triage import slots as s
from rasa_plugins import override_policy
from rasa_plugins.deterministic_policy import DeterministicPolicy

# Intents that TriageOverridePolicy answers: never read as an answer to the form.
OVERRIDE_INTENTS = {intents.EMERGENCY, intents.RED_FLAG_CONTEXT, intents.STOP, intents.RESTART}
# Replies after which the read-back (or the item's question) is asked again.
RESUME_READ_BACK_AFTER = {responses.CLARIFY, responses.RED_FLAG_CLEARED, responses.TOO_LONG}
# Read-back replies after which the patient has the word.
LISTEN_AFTER = {responses.READ_BACK, responses.READ_BACK_WHICH, responses.READ_BACK_UNCLEAR, responses.READ_BACK_PROMPT}
OUTCOME_LEVELS = {s.HOME_CARE_POSSIBLE, s.NOT_HOME_CARE, s.NEEDS_EVALUATION}
AFTER_OUTCOME_RESPONSES = {responses.HOME_CARE_MEASURES, responses.ANSWER_SUMMARY}

# A question, by intent, and its answer (an FAQ intent faq_x is answered by utter_faq_x).
QUESTION_REPLIES = {
    intents.MEDICATION_CHANGE: responses.MEDICATION_CHANGE,
    intents.OTHER_MEDICAL: responses.REFER_TO_DOCTOR,
    intents.ASK_QUESTION: responses.ASK_QUESTION,
    intents.BOT_CHALLENGE: responses.BOT_CHALLENGE,
}
# The message is worded as a question: a question mark, a question word, or a question's
# opening ("r stockings needed", "do u take blue cross").
ASKS = re.compile(
    r"\?"
    r"|^\W*(is|are|r|am|do|does|did|any|may|must|shd|cn|can|could|should|will|would|what|whats|wat|why|how|"
    r"when|wen|where|who|which)\b"
    r"|\b(can|could|should|will|would)\s+(i|u|you|we|my|it|they|the|a|an|this|that|there|he|she)\b"
    r"|\b(do|does|is|are)\s+(i|u|you|we|it|they|this|that|there|he|she)\b"
    r"|\b(what|whats|wat)\s+(is|are|does|do|should|can|about|if|happens|'s)\b"
    r"|\bwhy\s+(is|are|do|does|can|cant|can't|should|would|did|does)\b"
    r"|\bhow\s+(do|does|can|long|much|many|often|soon|should|is|are|about|risky|bad|safe)\b"
    r"|\b(wondering|want to know|like to know|tell me|explain)\b",
    re.I,
)
# Intents a question may get when the model cannot place it: referred, never the fallback.
UNPLACED = {intents.INFORM, intents.NLU_FALLBACK}
# A yes, no or not sure worded as a question of more than a few words ("she takes ginkgo with
# it, is that alright") is no answer either: a question the model could not place.
ANSWER_INTENTS = {intents.AFFIRM, intents.DENY, intents.UNSURE}
MAX_ANSWER_WORDS = 5
# A message that opens with a direct answer to the question asked: only then does a question
# also answer it ("No. What is a DVT anyway?").
DIRECT_ANSWER = re.compile(
    r"^\W*(yes|yeah|yep|yup|no|nope|nah|not sure|i'?m not sure|i don'?t know|dunno|unsure"
    # a hedge is a direct answer too ("possibly, ...", "can't remember, ...")
    r"|possibly|maybe|perhaps|probably|i think|i don'?t think|can'?t remember|i can'?t remember"
    r"|don'?t remember|not that i know)\b",
    re.I,
)

# The greeting and the offer of the check: what the patient's reply may start.
OFFERS = {responses.GREET, responses.OFFER_CHECK}
START_INTENTS = {intents.AFFIRM, intents.START_CHECK}
# Below this confidence a yes to the offer, or "start the check", is asked again.
MIN_CONFIDENCE = 0.5
# After the offer, replies that are not understood get the two choices again.
UNCLEAR_AFTER_OFFER = {intents.NLU_FALLBACK, intents.DENY, intents.UNSURE}


def question_reply(intent: str) -> Optional[str]:
    """The answer to a question with this intent, or None when the intent is no question."""
    if intent.startswith(intents.FAQ_PREFIX):
        return responses.faq_answer(intent)
    return QUESTION_REPLIES.get(intent)


def asks(text: str) -> bool:
    return bool(ASKS.search(text))


def unplaced_question(intent: str, text: str) -> bool:
    """A question the model could not place on a topic: to be referred, never the fallback."""
    if intent in ANSWER_INTENTS:
        return asks(text) and len(text.split()) > MAX_ANSWER_WORDS and not DIRECT_ANSWER.search(text)
    return intent in UNPLACED and asks(text)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class AssessmentFormPolicy(DeterministicPolicy):
    """Reads the answers to the assessment form in-process and keeps the form going."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Below the safety overrides, above RulePolicy's form happy path.
        return {"priority": override_policy.PRIORITY - 1}

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
        state = tracker.get_slot(s.READ_BACK)
        slot_values = {slot: tracker.get_slot(slot) for slot in s.FORM_SLOTS}
        if last_action != ACTION_LISTEN_NAME or not tracker.latest_message:
            if in_form and (form_turn.is_reply(last_action, intent) or last_action in (question_reply(intent), responses.REFER_TO_DOCTOR)):
                # The reply to a non-answer was said: the form asks its next question.
                return self._predict(s.ASSESSMENT_FORM, domain)
            if in_form:
                return self._abstain(domain)
            if last_action in (responses.REFER_TO_DOCTOR, responses.OFFER_CHECK) and not read_back.pending(state):
                # The referral or the two choices again, outside the check: the patient has the word.
                return self._predict(ACTION_LISTEN_NAME, domain)
            if last_action == s.ASSESSMENT_FORM and form_turn.all_answered(slot_values):
                # The form is complete: read the answers back before any outcome.
                return self._predict(responses.READ_BACK, domain, [SlotSet(s.READ_BACK, s.READ_BACK_SHOWN)])
            if last_action == s.ACTION_ASSESS_HOME_CARE or (
                last_action in AFTER_OUTCOME_RESPONSES and tracker.get_slot(s.TRIAGE_LEVEL) in OUTCOME_LEVELS
            ):
                # The outcome was given (a failed call is the override policy's), or what
                # was asked for after it: the patient has the word.
                return self._predict(ACTION_LISTEN_NAME, domain)
            return self._after_read_back_reply(last_action or "", state, domain)
        if intent in OVERRIDE_INTENTS and not (
            intent == intents.RED_FLAG_CONTEXT and override_policy.answer_in_the_questions_words(tracker, domain)
        ):
            return self._abstain(domain)
        if in_form:
            return self._read_reply(tracker, domain, intent)
        if not read_back.pending(state) and tracker.get_slot(s.TRIAGE_LEVEL) is None:
            unsure_start = self._unsure_start(tracker, intent)
            if unsure_start:
                return self._predict(unsure_start, domain)
        if read_back.pending(state):
            return self._read_correction(tracker, domain, intent, state)
        if form_turn.outcome_pending(slot_values, tracker.get_slot(s.TRIAGE_LEVEL), state):
            return self._predict(s.ACTION_ASSESS_HOME_CARE, domain)
        if tracker.get_slot(s.TRIAGE_LEVEL) in OUTCOME_LEVELS:
            response = form_turn.after_outcome(tracker.latest_message.text or "", intent)
            if response:
                return self._predict(response, domain)
        if unplaced_question(intent, tracker.latest_message.text or ""):
            # A question the model cannot place: the referral, never the fallback.
            return self._predict(responses.REFER_TO_DOCTOR, domain)
        return self._abstain(domain)

    def _read_correction(
        self, tracker: DialogueStateTracker, domain: Domain, intent: Text, state: Text
    ) -> PolicyPrediction:
        """The patient's reply to the read-back: confirm, correct, or ask again."""
        current = {slot: tracker.get_slot(slot) for slot in s.READ_BACK_ITEMS}
        reading = read_back.read_reply(tracker.latest_message.text or "", current, state)
        if reading.confirmed:
            return self._predict(s.ACTION_ASSESS_HOME_CARE, domain, [SlotSet(s.READ_BACK, s.READ_BACK_CONFIRMED)])
        events: List[Event] = [SlotSet(slot, value) for slot, value in reading.changes.items()]
        if reading.ask_value:
            events.append(SlotSet(s.READ_BACK, s.READ_BACK_ASK_PREFIX + reading.ask_value))
            return self._predict(responses.ask(reading.ask_value), domain, events)
        if reading.changes:
            events.append(SlotSet(s.READ_BACK, s.READ_BACK_SHOWN))
            return self._predict(responses.READ_BACK_CHANGED, domain, events)
        if reading.ask_which:
            return self._predict(responses.READ_BACK_WHICH, domain, [SlotSet(s.READ_BACK, s.READ_BACK_WHICH)])
        # Not understood: never a confirmation. A question is answered, then asked again.
        if question_reply(intent):
            return self._predict(question_reply(intent), domain)
        if read_back.asked_item(state):
            return self._predict(responses.CLARIFY, domain)
        return self._predict(responses.READ_BACK_UNCLEAR, domain)

    def _after_read_back_reply(self, last_action: Text, state: Optional[Text], domain: Domain) -> PolicyPrediction:
        """What follows the assistant's own reply while the read-back waits."""
        if not read_back.pending(state):
            return self._abstain(domain)
        if last_action == responses.READ_BACK_CHANGED:
            return self._predict(responses.READ_BACK, domain)
        if (
            last_action in RESUME_READ_BACK_AFTER
            or last_action.startswith(responses.faq_answer(intents.FAQ_PREFIX))
            or last_action in QUESTION_REPLIES.values()
        ):
            asked = read_back.asked_item(state)
            return self._predict(responses.ask(asked) if asked else responses.READ_BACK_PROMPT, domain)
        if last_action in LISTEN_AFTER or last_action.startswith(responses.ASK_PREFIX):
            return self._predict(ACTION_LISTEN_NAME, domain)
        return self._abstain(domain)

    @staticmethod
    def _unsure_start(tracker: DialogueStateTracker, intent: Text) -> Optional[Text]:
        """utter_offer_check (the two choices) when a reply would start the check, refuse it or
        hesitate, but the model is unsure of it, or after the offer when it is not understood;
        None otherwise."""
        confidence = float(tracker.latest_message.intent.get("confidence") or 0.0)
        if intent == intents.START_CHECK and confidence < MIN_CONFIDENCE:
            return responses.OFFER_CHECK
        if unplaced_question(intent, tracker.latest_message.text or ""):
            return None  # referred (below)
        if intent in UNCLEAR_AFTER_OFFER | START_INTENTS and intent != intents.NLU_FALLBACK and confidence < MIN_CONFIDENCE:
            # A yes, no or not sure the model is unsure of ("asdfgh" read as yes at 0.32).
            return responses.OFFER_CHECK
        last_bot = tracker.get_last_event_for(ActionExecuted, action_names_to_exclude=[ACTION_LISTEN_NAME])
        if intent == intents.NLU_FALLBACK and last_bot and last_bot.action_name in OFFERS:
            # Not understood after the offer: the two choices again, unless it is a question
            # (referred below).
            return None if asks(tracker.latest_message.text or "") else responses.OFFER_CHECK
        return None

    def _read_reply(self, tracker: DialogueStateTracker, domain: Domain, intent: Text) -> PolicyPrediction:
        requested = tracker.get_slot(s.REQUESTED_SLOT)
        text = tracker.latest_message.text or ""
        reply = question_reply(intent)
        if requested and (reply or unplaced_question(intent, text)):
            # A question: answered (or referred), then the same question of the check again.
            # Its background answers nothing; it answers the question asked only when it opens
            # with a direct answer, or when it is no question at all but reads as an answer.
            # A message the model could not place is a question only when it answers nothing.
            found = answers.interpret(text, requested)
            # An answer the model reads as a topic ("I'm on Eliquis") is still an answer.
            worded_as_question = bool(reply) and asks(text)
            if requested not in found or (worded_as_question and not DIRECT_ANSWER.search(text)):
                return self._predict(reply or responses.REFER_TO_DOCTOR, domain, [SlotSet(s.REQUESTED_SLOT, None)])
        turn = form_turn.read_answer(text, intent, requested)
        events = [SlotSet(slot, value) for slot, value in turn.answers.items()]
        if turn.reply is None:
            return self._predict(s.ASSESSMENT_FORM, domain, events)
        if not turn.answered_requested:
            # With no requested slot the form asks for the first open one (this one) again,
            # instead of rejecting the turn for want of an answer.
            events.append(SlotSet(s.REQUESTED_SLOT, None))
        return self._predict(turn.reply, domain, events)
