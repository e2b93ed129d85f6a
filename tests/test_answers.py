"""Free-text answers to the assessment questions, as patients write them."""

import pytest

from dvt_triage import slots as s
from dvt_triage.answers import interpret

Y, N, U = s.YES, s.NO, s.UNSURE

CASES = [
    # (asked slot, reply, expected answers)
    (s.CANCER, "nope", {s.CANCER: N}),
    (s.CANCER, "yes", {s.CANCER: Y}),
    (s.CANCER, "Yeah", {s.CANCER: Y}),
    (s.CANCER, "I'm not sure", {s.CANCER: U}),
    (s.CANCER, "not that I know of", {s.CANCER: U}),
    (s.CANCER, "I don't know", {s.CANCER: U}),
    (s.CANCER, "I don't think so", {s.CANCER: N}),
    (s.CANCER, "I had breast cancer and I'm on chemo", {s.CANCER: Y}),
    (s.CANCER, "no cancer", {s.CANCER: N}),
    (s.RECURRENT_CLOTS, "I've had clots twice before", {s.RECURRENT_CLOTS: Y}),
    (s.RECURRENT_CLOTS, "this is my first clot", {s.RECURRENT_CLOTS: N}),
    (s.RECURRENT_CLOTS, "I've never had a clot before", {s.RECURRENT_CLOTS: N}),
    (s.KIDNEY_DISEASE, "my kidneys are fine", {s.KIDNEY_DISEASE: N}),
    (s.KIDNEY_DISEASE, "I'm on dialysis", {s.KIDNEY_DISEASE: Y}),
    (s.BLOOD_THINNER_UNSAFE, "I had a bad bleed on warfarin", {s.BLOOD_THINNER_UNSAFE: Y}),
    (s.BLOOD_THINNER_UNSAFE, "I can't take blood thinners", {s.BLOOD_THINNER_UNSAFE: Y}),
    (s.BLOOD_THINNER_UNSAFE, "I'm allergic to heparin", {s.BLOOD_THINNER_UNSAFE: Y}),
    (s.BLOOD_THINNER_UNSAFE, "no bleeding problems", {s.BLOOD_THINNER_UNSAFE: N}),
    (s.ANTICOAGULANT_STARTED, "I started apixaban yesterday", {s.ANTICOAGULANT_STARTED: Y}),
    (s.ANTICOAGULANT_STARTED, "I'm on eliquis", {s.ANTICOAGULANT_STARTED: Y}),
    (s.ANTICOAGULANT_STARTED, "I haven't started any blood thinner yet", {s.ANTICOAGULANT_STARTED: N}),
    (s.DIAGNOSIS_CONFIRMED, "yes, the ultrasound confirmed it", {s.DIAGNOSIS_CONFIRMED: Y}),
    (s.DIAGNOSIS_CONFIRMED, "no scan yet", {s.DIAGNOSIS_CONFIRMED: N}),
    (s.CLOT_SMALL_STABLE, "they said it's small and stable", {s.CLOT_SMALL_STABLE: Y}),
    (s.CLOT_SMALL_STABLE, "it's quite a large clot", {s.CLOT_SMALL_STABLE: N}),
    (s.SEVERE_SYMPTOMS, "the swelling is mild", {s.SEVERE_SYMPTOMS: N}),
    (s.SEVERE_SYMPTOMS, "my leg is very swollen and the pain is terrible", {s.SEVERE_SYMPTOMS: Y}),
    (s.FOLLOW_UP_AVAILABLE, "I see my doctor on Friday", {s.FOLLOW_UP_AVAILABLE: Y}),
    (s.FOLLOW_UP_AVAILABLE, "no appointment yet", {s.FOLLOW_UP_AVAILABLE: N}),
    (s.HEART_DISEASE, "my heart is fine", {s.HEART_DISEASE: N}),
    (s.CLOTTING_DISORDER, "I have factor V Leiden", {s.CLOTTING_DISORDER: Y}),
    (s.EMERGENCY_SCREEN, "no chest pain", {s.EMERGENCY_SCREEN: N}),
    (s.EMERGENCY_SCREEN, "no", {s.EMERGENCY_SCREEN: N}),
    (s.EMERGENCY_SCREEN, "not sure", {s.EMERGENCY_SCREEN: U}),
    # one message answering several questions
    (
        s.CANCER,
        "no cancer, my kidneys are fine and no heart problems",
        {s.CANCER: N, s.KIDNEY_DISEASE: N, s.HEART_DISEASE: N},
    ),
    (
        s.CANCER,
        "I have kidney disease but no cancer",
        {s.CANCER: N, s.KIDNEY_DISEASE: Y},
    ),
    (
        s.CLOT_SMALL_STABLE,
        "I've had clots twice before. I have cancer",
        {s.RECURRENT_CLOTS: Y, s.CANCER: Y},
    ),
]


@pytest.mark.parametrize("asked, reply, expected", CASES, ids=[c[1] for c in CASES])
def test_natural_language_answers(asked, reply, expected):
    assert interpret(reply, asked) == expected


@pytest.mark.parametrize("reply", ["banana", "hello", "", "   ", "why do you ask?", "what is a DVT?"])
def test_a_reply_that_answers_nothing_fills_nothing(reply):
    assert interpret(reply, s.CANCER) == {}


def test_the_emergency_screen_is_only_answered_when_asked():
    assert s.EMERGENCY_SCREEN not in interpret("no chest pain", s.CANCER)
