"""The names of the responses (domain.yml, `responses:`) that the code chooses, each defined once.

The wording lives in domain.yml; tests/unit/test_names.py checks that every name here, and
every name the functions below build for each question, outcome level and FAQ intent, is a
response there.
"""

from __future__ import annotations

from dvt_triage import intents

# Greeting and the offer of the check.
GREET = "utter_greet"
OFFER_CHECK = "utter_offer_check"
RESTART = "utter_restart"
STOPPED = "utter_stopped"

# Emergency instructions, and the question that confirms a possible sign.
EMERGENCY = "utter_emergency"
EMERGENCY_BLEEDING = "utter_emergency_bleeding"
EMERGENCY_SPANISH = "utter_emergency_es"
ASK_RED_FLAG_NOW = "utter_ask_red_flag_now"
RED_FLAG_CLEARED = "utter_red_flag_cleared"

# Replies to messages the assistant cannot take as they are.
DEFAULT = "utter_default"
FALLBACK = "utter_fallback"
CLARIFY = "utter_clarify"
NOTED = "utter_noted"
OUT_OF_SCOPE = "utter_out_of_scope"
TOO_LONG = "utter_message_too_long"
SPANISH_ONLY = "utter_spanish_only"
UNAVAILABLE = "utter_assessment_unavailable"

# Questions outside the check.
ASK_QUESTION = "utter_ask_question"
BOT_CHALLENGE = "utter_bot_challenge"
REFER_TO_DOCTOR = "utter_refer_to_doctor"
MEDICATION_CHANGE = "utter_medication_change"

# The read-back of the answers before the outcome (dvt_triage.read_back).
READ_BACK = "utter_read_back"  # the numbered list and "is this right?"
READ_BACK_CHANGED = "utter_read_back_changed"  # "changed", before the list again
READ_BACK_WHICH = "utter_read_back_which"  # "which answer should I change?"
READ_BACK_UNCLEAR = "utter_read_back_unclear"  # a reply that could not be read
READ_BACK_PROMPT = "utter_read_back_prompt"  # "is the list above right?" after a question

# The outcome and what comes after it.
NEXT_STEP = "utter_next_step"
NEXT_STEP_TODAY = "utter_next_step_today"
OUTCOME_MORE = "utter_outcome_more"
REASON_UNSURE = "utter_reason_unsure"
HOME_CARE_MEASURES = "utter_home_care_measures"
ANSWER_SUMMARY = "utter_answer_summary"

# SMS keywords (STOP, START, HELP) and media sent over SMS.
SMS_OPTED_OUT = "utter_sms_opted_out"
SMS_OPTED_IN = "utter_sms_opted_in"
SMS_HELP = "utter_sms_help"
SMS_TEXT_ONLY = "utter_sms_text_only"

# Families of responses, one per question (slot), outcome level or FAQ intent.
ASK_PREFIX = "utter_ask_"


def ask(slot: str) -> str:
    """The question of the check that fills `slot` (Rasa's form convention)."""
    return f"{ASK_PREFIX}{slot}"


def why(slot: str) -> str:
    """Why the check asks about `slot`."""
    return f"utter_why_{slot}"


def outcome(level: str) -> str:
    """The verdict for a triage level."""
    return f"utter_outcome_{level}"


def reason(slot: str) -> str:
    """The reason an exclusion gives, filled into the verdict."""
    return f"utter_reason_{slot}"


def missing(slot: str) -> str:
    """What a condition that is not met means, filled into the verdict."""
    return f"utter_missing_{slot}"


def unsure(slot: str) -> str:
    """What an answer of "not sure" leaves open, filled into the verdict."""
    return f"utter_unsure_{slot}"


def faq_answer(intent: str) -> str:
    """The answer to an FAQ intent: faq_x is answered by utter_faq_x."""
    assert intent.startswith(intents.FAQ_PREFIX), intent
    return f"utter_{intent}"
