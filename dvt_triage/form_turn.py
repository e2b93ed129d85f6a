"""One reply during the assessment: the answers it gives, and what to say before the form goes on.

Plain Python, so that the dialogue's reading of a reply can be reviewed and tested without
Rasa; `rasa_plugins.form_policy` applies it to the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from dvt_triage import answers, intents, responses
from dvt_triage import slots as s

WHY = re.compile(r"\bwhy\b|what for|what does (that|this) (have to do|matter)|why do you (ask|need)", re.I)

# After the outcome, one word away: the article's home-care measures and the summary of the
# answers for the doctor (typed, or a button whose payload is the intent).
MEASURES = re.compile(r"\bmeasures?\b", re.I)
SUMMARY = re.compile(r"\bsummary\b", re.I)
MAX_KEYWORD_WORDS = 6

# Responses (domain.yml) said before the form asks its next question.


@dataclass(frozen=True)
class FormTurn:
    """`answers`: slot -> yes/no/unsure for every question the reply answers.
    `reply`: the response to send before the next question, or None.
    `answered_requested`: False when the question asked is still open and must be asked again."""

    answers: dict[str, str] = field(default_factory=dict)
    reply: Optional[str] = None
    answered_requested: bool = True


def read_answer(text: str, intent: str, requested: Optional[str]) -> FormTurn:
    """What a reply to the question `requested` says, and how the assistant responds first."""
    found = answers.interpret(text, requested)
    if requested and requested not in found:
        reply = responses.NOTED if found else _reply_to_non_answer(intent, text, requested)
        return FormTurn(found, reply, answered_requested=False)
    if intents.is_faq(intent) and found:
        # "No. And what is a DVT, anyway?" answers and asks: answer the question too.
        return FormTurn(found, responses.faq_answer(intent))
    return FormTurn(found)


# The replies `read_answer` gives whatever the intent; an FAQ answer depends on the intent.
_REPLIES = frozenset({responses.NOTED, responses.CLARIFY, *(responses.why(slot) for slot in s.FORM_SLOTS)})


def is_reply(action: Optional[str], intent: str) -> bool:
    """Whether `action` is a response `read_answer` may have given to a reply with `intent`."""
    return action in _REPLIES or (intents.is_faq(intent) and action == responses.faq_answer(intent))


def _reply_to_non_answer(intent: str, text: str, requested: str) -> str:
    if intent == intents.ASK_WHY or WHY.search(text):
        return responses.why(requested)
    if intents.is_faq(intent):
        return responses.faq_answer(intent)
    return responses.CLARIFY


def all_answered(slot_values: dict[str, Optional[str]]) -> bool:
    return all(slot_values.get(slot) in s.ANSWER_VALUES for slot in s.FORM_SLOTS)


def outcome_pending(
    slot_values: dict[str, Optional[str]], triage_level: Optional[str], read_back: Optional[str]
) -> bool:
    """Every question answered and the read-back confirmed, but no outcome given (the
    outcome could not be produced)."""
    return triage_level is None and read_back == s.READ_BACK_CONFIRMED and all_answered(slot_values)


def after_outcome(text: str, intent: str) -> Optional[str]:
    """The response a request after the outcome asks for: the home-care measures or the
    summary, by button (intent) or by a short message naming it ("measures", "the summary
    please"). None for anything else, or a message naming both."""
    if intent == intents.SHOW_MEASURES:
        return responses.HOME_CARE_MEASURES
    if intent == intents.SHOW_SUMMARY:
        return responses.ANSWER_SUMMARY
    if len(text.split()) > MAX_KEYWORD_WORDS:
        return None
    measures, summary = bool(MEASURES.search(text)), bool(SUMMARY.search(text))
    if measures != summary:
        return responses.HOME_CARE_MEASURES if measures else responses.ANSWER_SUMMARY
    return None
