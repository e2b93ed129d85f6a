"""The home-care criteria of the source article, as one pure function.

Article: home care "may be considered" when the clot is small and stable, symptoms
are mild, there are no high-risk conditions, anticoagulation is started promptly and
close follow-up is available; it is "not appropriate" with severe swelling or pain,
recurrent clots, high pulmonary-embolism risk, cancer, kidney disease, heart disease,
clotting disorders, or when blood thinners cannot be taken safely. Diagnosis needs
imaging such as ultrasound. An unknown answer never counts as safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from dvt_triage.slots import (
    CONDITIONS,
    EXCLUSIONS,
    HOME_CARE_POSSIBLE,
    NEEDS_EVALUATION,
    NO,
    NOT_HOME_CARE,
    YES,
)


@dataclass(frozen=True)
class Assessment:
    """The outcome of the criteria check and every reason behind it."""

    level: str
    exclusion_reasons: tuple[str, ...] = ()
    unmet_conditions: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


def evaluate(answers: Mapping[str, Optional[str]]) -> Assessment:
    """Classify the answers; any value other than an explicit yes/no counts as unknown."""
    exclusion_reasons = tuple(s for s in EXCLUSIONS if answers.get(s) == YES)
    unmet = tuple(s for s in CONDITIONS if answers.get(s) == NO)
    unknown = tuple(
        s for s in CONDITIONS + EXCLUSIONS if answers.get(s) not in (YES, NO)
    )
    if exclusion_reasons:
        level = NOT_HOME_CARE
    elif unmet or unknown:
        level = NEEDS_EVALUATION
    else:
        level = HOME_CARE_POSSIBLE
    return Assessment(level, exclusion_reasons, unmet, unknown)
