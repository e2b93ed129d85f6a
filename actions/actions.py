"""Custom actions: thin adapters between Rasa trackers and `dvt_triage`.

`action_assess_home_care` applies the criteria and explains the outcome in at most three
messages. All wording is in domain.yml: the reason texts filled into the verdict are read
from the domain the Rasa server sends with the call. (The form's answers are read inside the Rasa server, by
rasa_plugins.form_policy, so that a form turn needs no call to this server.)
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from dvt_triage import criteria, responses
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
        answers = {slot: tracker.get_slot(slot) for slot in s.ASSESSMENT_SLOTS}
        result = criteria.evaluate(answers)
        for response, fill in outcome_messages(result, answers, ResponseTexts(domain)):
            dispatcher.utter_message(response=response, **fill)
        logger.info("conversation %s: triage level %s", pseudonym(tracker.sender_id), result.level)
        return [
            SlotSet(s.TRIAGE_LEVEL, result.level),
            SlotSet(s.EXCLUSION_REASONS, list(result.exclusion_reasons)),
        ]


class ResponseTexts:
    """The default wording of a domain response, read from the domain the Rasa server sends
    with the call (reason texts live in domain.yml like every other word)."""

    def __init__(self, domain: Dict[Text, Any]) -> None:
        self._responses = domain.get("responses") or {}

    def __call__(self, name: str) -> str:
        variants = self._responses.get(name) or []
        for variant in variants:
            if not variant.get("channel") and variant.get("text"):
                return str(variant["text"])
        raise KeyError(f"response {name} missing from the domain")


def _listed(items: List[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def outcome_messages(
    result: criteria.Assessment, answers: Dict[str, Any], text: Callable[[str], str]
) -> List[Tuple[Text, Dict[Text, Text]]]:
    """The outcome's messages, in the order the patient reads them, each a response and the
    values filled into it: the verdict with its reasons, the next step, and the offer of
    the home-care measures and the summary for the doctor."""
    if result.level == s.NOT_HOME_CARE:
        reasons = _listed([text(responses.reason(slot)) for slot in result.exclusion_reasons])
        verdict = (responses.outcome(result.level), {"reasons": reasons})
    elif result.level == s.NEEDS_EVALUATION:
        parts = [text(responses.missing(slot)) for slot in result.unmet_conditions]
        if result.unknown:
            unsure = _listed([text(responses.unsure(slot)) for slot in result.unknown])
            parts.append(text(responses.REASON_UNSURE).format(items=unsure))
        verdict = (responses.outcome(result.level), {"reasons": "; ".join(parts)})
    else:
        verdict = (responses.outcome(result.level), {})
    return [verdict, (next_step(answers), {}), (responses.OUTCOME_MORE, {})]


def next_step(answers: Dict[str, Any]) -> Text:
    """A clot not confirmed by a scan, or not yet treated, is to be seen today (the article:
    a clot "always requires medical evaluation"); an unknown answer counts as not."""
    confirmed_and_treated = all(answers.get(slot) == s.YES for slot in (s.DIAGNOSIS_CONFIRMED, s.ANTICOAGULANT_STARTED))
    return responses.NEXT_STEP if confirmed_and_treated else responses.NEXT_STEP_TODAY


def outcome_responses(result: criteria.Assessment) -> List[Text]:
    """Every response an outcome can use, the reason texts included (for checks of the domain)."""
    used = [responses.outcome(result.level), responses.NEXT_STEP, responses.NEXT_STEP_TODAY, responses.OUTCOME_MORE]
    used += [responses.reason(slot) for slot in result.exclusion_reasons]
    used += [responses.missing(slot) for slot in result.unmet_conditions]
    used += [responses.unsure(slot) for slot in result.unknown] + [responses.REASON_UNSURE]
    return used
