"""Red-flag detector against a labelled set of patient utterances.

The set (`tests/data/red_flag_cases.yml`) holds lay phrasing, public PE guidance wording,
typos, run-together words, SMS shorthand, mentions inside other answers, negations,
lexical traps, other people's symptoms, hypotheticals and history. Sensitivity (every
current case detected as current) and specificity (no negated or none case ever current)
must both be 100%.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from dvt_triage.red_flags import CONTEXT, CURRENT, NEGATED, NONE, get_detector

CASES_FILE = Path(__file__).resolve().parents[1] / "data" / "red_flag_cases.yml"
LABELS = (CURRENT, NEGATED, CONTEXT, NONE)
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def detector():
    return get_detector()


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_case(detector, case):
    result = detector.detect(case["text"])
    if case["label"] == CONTEXT:
        # In context or suspected: either way the assistant asks the confirming question.
        assert result.needs_confirming, (
            f"{case['category']}: {case['text']!r} -> {result.status}, expected a confirming question"
        )
        return
    assert result.status == case["label"], (
        f"{case['category']}: {case['text']!r} -> {result.status}, expected {case['label']}; "
        f"findings={result.findings}"
    )


def test_case_set_is_well_formed():
    assert len(CASES) >= 100
    for case in CASES:
        assert set(case) == {"text", "label", "category"}, case
        assert case["label"] in LABELS, case
        assert case["text"].strip() and case["category"].strip(), case
    texts = [" ".join(c["text"].lower().split()) for c in CASES]
    duplicates = [t for t, n in Counter(texts).items() if n > 1]
    assert not duplicates, duplicates


def test_every_label_has_enough_cases():
    counts = Counter(c["label"] for c in CASES)
    for label in LABELS:
        assert counts[label] >= 15, counts


def test_sensitivity_and_specificity(detector):
    positives = [c["text"] for c in CASES if c["label"] == CURRENT]
    negatives = [c["text"] for c in CASES if c["label"] in (NEGATED, NONE)]
    missed = [t for t in positives if detector.detect(t).status != CURRENT]
    false_alarms = [t for t in negatives if detector.detect(t).status == CURRENT]
    sensitivity = 1 - len(missed) / len(positives)
    specificity = 1 - len(false_alarms) / len(negatives)
    print(f"\nsensitivity {sensitivity:.1%} ({len(positives)} current cases), "
          f"specificity {specificity:.1%} ({len(negatives)} negated/none cases)")
    assert not missed, f"missed emergencies: {missed}"
    assert not false_alarms, f"false alarms: {false_alarms}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("chestpain", "chest pain"),
        ("my chesttightness", "my chest tightness"),
        ("shortofbreath", "short of breath"),
        ("cantbreathe", "unable to breathe"),
        ("I passedout", "i passed out"),
        ("sob rn", "short of breath right now"),
        ("heartracing", "heart racing"),
        ("coughingblood", "coughing blood"),
    ],
)
def test_normalise_splits_run_together_words(detector, text, expected):
    assert detector.normalise(text) == expected


def test_signs_of_a_result(detector):
    result = detector.detect("I have chest pain and I'm short of breath, and my heart is racing")
    assert result.status == CURRENT
    assert result.is_emergency
    assert result.signs == ("chest_pain", "breathlessness", "racing_heart")


def test_signs_only_name_the_deciding_status(detector):
    result = detector.detect("no chest pain, but I fainted")
    assert result.status == CURRENT
    assert result.signs == ("fainting",)
    assert {f.sign: f.status for f in result.findings} == {"chest_pain": NEGATED, "fainting": CURRENT}


def test_no_sign_gives_none(detector):
    result = detector.detect("my leg hurts")
    assert result.status == NONE
    assert result.signs == ()
    assert not result.findings
    assert detector.detect("   ").status == NONE


def test_context_kinds(detector):
    assert detector.detect("my mom had chest pain").findings[0].context == "other_person"
    assert detector.detect("what if I get short of breath?").findings[0].context == "hypothetical"
    assert detector.detect("I passed out once years ago").findings[0].context == "historical"
    assert detector.detect("asthma for years, nothing new").findings[0].context == "condition"
