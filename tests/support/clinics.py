"""Clinic settings for tests: the longest the loader accepts (the wording's length limits must
hold with them) and another clinic that shares no detail with clinic.yml's."""

from __future__ import annotations

from dvt_triage import clinic


def environment(settings: clinic.Clinic) -> dict[str, str]:
    """The environment variables that give a server these settings."""
    return {
        clinic.ENVIRONMENT["name"]: settings.name,
        clinic.ENVIRONMENT["phone"]: settings.phone,
        clinic.ENVIRONMENT["emergency_number"]: settings.emergency_number,
        clinic.ENVIRONMENT["insurance_note"]: settings.insurance_note,
    }


def _accepted(settings: clinic.Clinic) -> clinic.Clinic:
    """The settings as the loader reads them from the environment (so a test can never use
    values a server would refuse)."""
    loaded = clinic.load(environment(settings))
    assert loaded == settings
    return loaded


_NOTE_START = "{clinic_name} will check your benefits"
LONGEST = _accepted(
    clinic.Clinic(
        name="Whitfield Vein & Vascular Co".ljust(clinic.MAX_NAME_CHARS, "."),
        phone="+1 (925)477-3030".ljust(clinic.MAX_PHONE_CHARS, "0"),
        emergency_number="9" * clinic.MAX_EMERGENCY_DIGITS,
        insurance_note=(
            _NOTE_START + ", so you know what you pay yourself before treatment; ask us about payment plans too."
        )[: clinic.MAX_INSURANCE_NOTE_CHARS - clinic.MAX_NAME_CHARS + len("{clinic_name}")],
    )
)

# Another clinic, in another country: no name, number or emergency number in common with
# clinic.yml's, so a reply that still shows an old detail cannot pass for a new one.
OTHER = _accepted(
    clinic.Clinic(
        name="Lakeside Leg Clinic",
        phone="+44 20 7946 0018",
        emergency_number="112",
        insurance_note="{clinic_name} can tell you before your visit what your plan covers.",
    )
)
