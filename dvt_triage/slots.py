"""Slot names, answer values and triage levels: defined once, used everywhere.

The slot names are a contract: stories, actions, reports and channels read them.
"""

from __future__ import annotations

# Answer values every assessment slot holds.
YES = "yes"
NO = "no"
UNSURE = "unsure"
ANSWER_VALUES = (YES, NO, UNSURE)

# The emergency screen asked before the assessment.
EMERGENCY_SCREEN = "emergency_screen"

# Conditions under which doctor-supervised home care may be considered.
DIAGNOSIS_CONFIRMED = "diagnosis_confirmed"
CLOT_SMALL_STABLE = "clot_small_stable"
ANTICOAGULANT_STARTED = "anticoagulant_started"
FOLLOW_UP_AVAILABLE = "follow_up_available"
CONDITIONS = (
    DIAGNOSIS_CONFIRMED,
    CLOT_SMALL_STABLE,
    ANTICOAGULANT_STARTED,
    FOLLOW_UP_AVAILABLE,
)

# Exclusions under which home care is not appropriate.
SEVERE_SYMPTOMS = "severe_symptoms"
RECURRENT_CLOTS = "recurrent_clots"
HIGH_PE_RISK = "high_pe_risk"
CANCER = "cancer"
KIDNEY_DISEASE = "kidney_disease"
HEART_DISEASE = "heart_disease"
CLOTTING_DISORDER = "clotting_disorder"
BLOOD_THINNER_UNSAFE = "blood_thinner_unsafe"
EXCLUSIONS = (
    SEVERE_SYMPTOMS,
    RECURRENT_CLOTS,
    HIGH_PE_RISK,
    CANCER,
    KIDNEY_DISEASE,
    HEART_DISEASE,
    CLOTTING_DISORDER,
    BLOOD_THINNER_UNSAFE,
)

ASSESSMENT_SLOTS = CONDITIONS + EXCLUSIONS
# The order the form asks in: the emergency screen first, as real triage does.
FORM_SLOTS = (EMERGENCY_SCREEN,) + ASSESSMENT_SLOTS

# Slots the outcome action sets.
TRIAGE_LEVEL = "triage_level"
EXCLUSION_REASONS = "exclusion_reasons"
REQUESTED_SLOT = "requested_slot"

# Triage levels.
EMERGENCY = "emergency"
NOT_HOME_CARE = "not_home_care"
NEEDS_EVALUATION = "needs_evaluation"
HOME_CARE_POSSIBLE = "home_care_possible"
TRIAGE_LEVELS = (EMERGENCY, NOT_HOME_CARE, NEEDS_EVALUATION, HOME_CARE_POSSIBLE)

# The form, the custom action and the entity of the domain that the plugins and actions share
# (intents: dvt_triage.intents; responses: dvt_triage.responses).
ASSESSMENT_FORM = "assessment_form"
ACTION_ASSESS_HOME_CARE = "action_assess_home_care"
RED_FLAG_ENTITY = "red_flag"

# The read-back of the answers before the outcome (dvt_triage.read_back): the slot holds
# where the read-back is. Items are numbered 1-12 in ASSESSMENT_SLOTS order.
READ_BACK = "read_back"
READ_BACK_SHOWN = "shown"  # the list is shown; waiting for "that's right" or a correction
READ_BACK_WHICH = "which"  # "not right": asked which answer to change
READ_BACK_ASK_PREFIX = "ask:"  # "ask:<slot>": asked what an item's answer should be
READ_BACK_CONFIRMED = "confirmed"  # the patient confirmed the list: the outcome may be given
READ_BACK_ITEMS = ASSESSMENT_SLOTS
