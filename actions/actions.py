"""Custom actions: thin adapters between Rasa trackers and `dvt_triage`.

`action_assess_home_care` applies the criteria and explains the outcome. All wording is in
domain.yml. (The form's answers are read inside the Rasa server, by
rasa_plugins.form_policy, so that a form turn needs no call to this server.)
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from dvt_triage import criteria
from dvt_triage import slots as s
from rasa_plugins.log_privacy import install as install_log_privacy
from rasa_plugins.log_privacy import pseudonym

logger = logging.getLogger(__name__)
# Over SMS the conversation id is a phone number: logs name conversations by a salted hash.
install_log_privacy()


class ActionAssessHomeCare(Action):
    """Applies the article's criteria to the answers and explains the outcome."""

    def name(self) -> Text:
        return s.ACTION_ASSESS_HOME_CARE

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
