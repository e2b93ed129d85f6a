"""Custom actions: thin adapters between Rasa trackers and `dvt_triage`.

`validate_assessment_form` turns free-text replies into yes/no/unsure answers (several at
once when a message answers several questions) and answers questions asked mid-form;
`action_assess_home_care` applies the criteria and explains the outcome. All wording is in
domain.yml.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from dvt_triage import answers, criteria
from dvt_triage import slots as s
from rasa_plugins.log_privacy import install as install_log_privacy
from rasa_plugins.log_privacy import pseudonym

logger = logging.getLogger(__name__)
# Over SMS the conversation id is a phone number: logs name conversations by a salted hash.
install_log_privacy()

WHY = re.compile(r"\bwhy\b|what for|what does (that|this) (have to do|matter)|why do you (ask|need)", re.I)
FAQ_PREFIX = "faq_"


class ValidateAssessmentForm(FormValidationAction):
    """Understands the answer to the question asked, and any other answers in the message."""

    def name(self) -> Text:
        return f"validate_{s.ASSESSMENT_FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        requested = tracker.get_slot(s.REQUESTED_SLOT)
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        found = answers.interpret(text, requested)
        events: List[EventType] = [SlotSet(slot, value) for slot, value in found.items()]
        if requested and requested not in found:
            # Undo the raw text the form's from_text mapping stored, so the question is asked again.
            events.append(SlotSet(requested, None))
            reply = "utter_noted" if found else _reply_to_non_answer(intent, text, requested)
            dispatcher.utter_message(response=reply)
        elif intent.startswith(FAQ_PREFIX) and found:
            # "No. And what is a DVT, anyway?" answers and asks: answer the question too.
            dispatcher.utter_message(response=f"utter_{intent}")
        logger.debug("conversation %s: form answers %s", pseudonym(tracker.sender_id), sorted(found))
        return events


def _reply_to_non_answer(intent: Text, text: Text, requested: Text) -> Text:
    if intent == "ask_why" or WHY.search(text):
        return f"utter_why_{requested}"
    if intent.startswith(FAQ_PREFIX):
        return f"utter_{intent}"
    return "utter_clarify"


class ActionAssessHomeCare(Action):
    """Applies the article's criteria to the answers and explains the outcome."""

    def name(self) -> Text:
        return "action_assess_home_care"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        result = criteria.evaluate({slot: tracker.get_slot(slot) for slot in s.ASSESSMENT_SLOTS})
        for response in outcome_responses(result):
            dispatcher.utter_message(response=response)
        logger.info("conversation %s: triage level %s", pseudonym(tracker.sender_id), result.level)
        return [
            SlotSet(s.TRIAGE_LEVEL, result.level),
            SlotSet(s.EXCLUSION_REASONS, list(result.exclusion_reasons)),
        ]


def outcome_responses(result: criteria.Assessment) -> List[Text]:
    """The responses that explain an outcome, in the order the patient reads them."""
    responses = [f"utter_outcome_{result.level}"]
    if result.level == s.HOME_CARE_POSSIBLE:
        responses.append("utter_home_care_measures")
    elif result.level == s.NOT_HOME_CARE:
        responses += [f"utter_reason_{slot}" for slot in result.exclusion_reasons]
        responses.append("utter_not_home_care_next")
    else:
        if result.unmet_conditions:
            responses.append("utter_needs_evaluation_missing")
            responses += [f"utter_missing_{slot}" for slot in result.unmet_conditions]
    if result.unknown and result.level != s.HOME_CARE_POSSIBLE:
        responses.append("utter_unknown_intro")
        responses += [f"utter_unsure_{slot}" for slot in result.unknown]
    responses += ["utter_warning_signs", "utter_booking", "utter_answer_summary"]
    return responses
