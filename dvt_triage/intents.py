"""The names of the intents (domain.yml, `intents:`) that the code reads, each defined once.

tests/unit/test_names.py checks that every name here is an intent in domain.yml.
"""

from __future__ import annotations

GREET = "greet"
AFFIRM = "affirm"
DENY = "deny"
UNSURE = "unsure"
INFORM = "inform"
START_CHECK = "start_check"
ASK_WHY = "ask_why"
BOT_CHALLENGE = "bot_challenge"
ASK_QUESTION = "ask_question"
MEDICATION_CHANGE = "medication_change"
OTHER_MEDICAL = "other_medical"
# Safety overrides (rasa_plugins.override_policy).
EMERGENCY = "emergency"
RED_FLAG_CONTEXT = "red_flag_context"
STOP = "stop"
RESTART = "restart"
# After the outcome: the home-care measures and the summary for the doctor, on request
# (typed, or a button whose payload is the intent).
SHOW_MEASURES = "show_home_care_measures"
SHOW_SUMMARY = "show_answer_summary"
# Every question about the article's topics is an intent faq_<topic>.
FAQ_PREFIX = "faq_"
# What Rasa's FallbackClassifier predicts below its threshold (rasa.shared.nlu.constants).
NLU_FALLBACK = "nlu_fallback"


def is_faq(intent: str) -> bool:
    return intent.startswith(FAQ_PREFIX)
