"""Every response a patient can read is plain: US grade 8 or below (Flesch-Kincaid, textstat).

A frightened patient reads these on a phone. Measured over every response and every
channel variant of domain.yml, as the patient sees it: a markdown link reads as its words, a
slot placeholder as a short value, each line of a list as its own sentence. Fragments that are
never sent alone (utter_reason_*, utter_missing_*, utter_unsure_*) are measured inside the
verdict they are filled into. Also: no sentence longer than MAX_SENTENCE_WORDS words, and none
of the words a patient should not have to look up (JARGON).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat
import yaml

from dvt_triage import clinic

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]

MAX_GRADE = 8.0
MAX_SENTENCE_WORDS = 30
JARGON = re.compile(r"\btriage\b|\bvenous\b|\bthromboembolism\b|\bprophyla|\bcontraindicat|\boutpatient\b", re.I)
FRAGMENTS = ("utter_reason_", "utter_missing_", "utter_unsure_")

# Responses that failed this test when it was written and belong to someone else:
# each is reported to its owner; remove a name here as soon as its wording is fixed.
TEMPORARILY_ALLOWED: set[str] = set()


def plain(text: str) -> str:
    """The text as the patient reads it."""
    settings = clinic.current()
    text = settings.fill(text)  # the clinic's details from clinic.yml
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)  # [tap here](tel:911) -> tap here
    text = text.replace("**", "")
    text = re.sub(r"\{items\}", "past clots", text)
    text = re.sub(r"\{reasons\}", "cancer", text)
    text = re.sub(r"\{\w+\}", "yes", text)
    text = text.replace(settings.phone, "the clinic")  # a phone number is not a word to read
    lines = [line.strip(" -") for line in text.split("\n") if line.strip(" -")]
    return " ".join(line if line[-1] in ".?!:" else line + "." for line in lines)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!:])\s+", plain(text)) if s]


def variants() -> list[tuple[str, str]]:
    out = []
    for name, items in sorted(RESPONSES.items()):
        if name.startswith(FRAGMENTS):
            continue
        for variant in items:
            out.append((f"{name}[{variant.get('channel', 'default')}]", variant["text"]))
    return out


def filled_verdicts() -> list[tuple[str, str]]:
    """Each fragment inside the verdict it is filled into."""
    out = []
    for name, items in sorted(RESPONSES.items()):
        if name.startswith("utter_reason_") and name != "utter_reason_unsure":
            host = RESPONSES["utter_outcome_not_home_care"][0]["text"]
            out.append((name, host.replace("{reasons}", items[0]["text"])))
        elif name.startswith(("utter_missing_", "utter_reason_unsure")):
            host = RESPONSES["utter_outcome_needs_evaluation"][0]["text"]
            out.append((name, host.replace("{reasons}", items[0]["text"])))
        elif name.startswith("utter_unsure_"):
            unsure = RESPONSES["utter_reason_unsure"][0]["text"].replace("{items}", items[0]["text"])
            host = RESPONSES["utter_outcome_needs_evaluation"][0]["text"]
            out.append((name, host.replace("{reasons}", unsure)))
    return out


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(plain(text))


@pytest.mark.parametrize("name,text", [pytest.param(n, t, id=n) for n, t in variants() + filled_verdicts()])
def test_every_response_reads_at_grade_8_or_below(name, text):
    if name.split("[")[0] in TEMPORARILY_ALLOWED:
        return
    assert grade(text) <= MAX_GRADE, f"{name}: grade {grade(text):.1f}: {plain(text)}"
    long = [s for s in sentences(text) if len(s.split()) > MAX_SENTENCE_WORDS]
    assert not long, f"{name}: sentences over {MAX_SENTENCE_WORDS} words: {long}"
    assert not JARGON.search(text), f"{name}: {JARGON.search(text).group(0)!r}"


def test_the_measure_can_fail():
    hard = (
        "Deep vein thrombosis necessitates comprehensive diagnostic evaluation, including duplex "
        "ultrasonography, to characterise thrombus extent and determine anticoagulation duration."
    )
    assert grade(hard) > MAX_GRADE
    assert grade("A clot in the leg is serious. See a doctor.") <= MAX_GRADE


def test_the_temporary_list_names_only_responses_that_exist_and_still_fail():
    for name in TEMPORARILY_ALLOWED:
        assert name in RESPONSES
        assert any(grade(v["text"]) > MAX_GRADE for v in RESPONSES[name]), f"{name} passes now: remove it"
