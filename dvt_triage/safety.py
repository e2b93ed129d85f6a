"""The safety net: one short line that ends every reply the assistant gives when it did not
understand, so that a misreading never leaves a patient with an emergency sign without the
instruction. It names the article's signs ("any new chest pain, shortness of breath, or
sudden leg swelling requires immediate emergency care"). Written as in domain.yml: the
emergency number is filled in from the clinic settings (dvt_triage.clinic) when sent."""

from __future__ import annotations

from dvt_triage import responses

SAFETY_LINE = "If you have new chest pain, shortness of breath or sudden leg swelling, call {emergency_number} now."

# Every reply that did not understand, or could not help, and so ends with SAFETY_LINE
# (tests/unit/test_domain.py checks each of their variants).
SAFETY_NET_RESPONSES = (
    responses.DEFAULT,
    responses.FALLBACK,
    responses.CLARIFY,
    responses.OUT_OF_SCOPE,
    responses.NOTED,
    responses.READ_BACK_UNCLEAR,
    responses.UNAVAILABLE,
    responses.TOO_LONG,
    responses.SPANISH_ONLY,
    responses.REFER_TO_DOCTOR,
    responses.MEDICATION_CHANGE,
)
