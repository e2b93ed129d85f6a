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
    (s.CANCER, "I don't think so", {s.CANCER: U}),
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


# Misreadings of the first answer reader, none of them from its tests: words ending in "nt"
# read as "not", hedges read as "no", someone else's condition read as the patient's, and the
# first polarity of a self-correction kept.
ISSUE_10 = [
    (s.CANCER, "I'm getting chemo treatment for my lymphoma", {s.CANCER: Y}),
    (s.CANCER, "I have bowel cancer, I'm in treatment at the moment", {s.CANCER: Y}),
    (s.FOLLOW_UP_AVAILABLE, "I have an appointment at the clinic on Friday", {s.FOLLOW_UP_AVAILABLE: Y}),
    (s.ANTICOAGULANT_STARTED, "not on any anticoagulant yet", {s.ANTICOAGULANT_STARTED: N}),
    (s.ANTICOAGULANT_STARTED, "I'm not taking anything for it", {s.ANTICOAGULANT_STARTED: N}),
    (s.KIDNEY_DISEASE, "my nephrologist says my kidney disease is significant", {s.KIDNEY_DISEASE: Y}),
    (s.HEART_DISEASE, "I'm an AFib patient", {s.HEART_DISEASE: Y}),
    (s.SEVERE_SYMPTOMS, "the pain is constant, it's terrible", {s.SEVERE_SYMPTOMS: Y}),
    (s.CLOTTING_DISORDER, "my brother has Factor V Leiden, not me", {s.CLOTTING_DISORDER: N}),
    (s.RECURRENT_CLOTS, "no wait, actually yes, one in 2019", {s.RECURRENT_CLOTS: Y}),
    (s.EMERGENCY_SCREEN, "not really sure", {s.EMERGENCY_SCREEN: U}),
]

# One case per rule of the reader (each a class of wording, not a phrase).
RULES = [
    # tokens, not strings: "-nt" words are no negation; shorthand and contractions are
    (s.HEART_DISEASE, "yes, current treatment is bisoprolol", {s.HEART_DISEASE: Y}),
    (s.CLOTTING_DISORDER, "i dont have that", {s.CLOTTING_DISORDER: N}),
    (s.KIDNEY_DISEASE, "nah", {s.KIDNEY_DISEASE: N}),
    (s.KIDNEY_DISEASE, "yep 👍", {s.KIDNEY_DISEASE: Y}),
    # a typo of a clinical word within one letter, never of an everyday word
    (s.CANCER, "no cancr", {s.CANCER: N}),
    (
        s.FOLLOW_UP_AVAILABLE,
        "I had to cancel my appointment and there's no new one",
        {s.FOLLOW_UP_AVAILABLE: N},
    ),
    # hedges are unsure, whatever their polarity words
    (s.HEART_DISEASE, "probably not", {s.HEART_DISEASE: U}),
    (s.HIGH_PE_RISK, "not that anyone told me", {s.HIGH_PE_RISK: U}),
    (s.DIAGNOSIS_CONFIRMED, "had the scan, waiting for the results", {s.DIAGNOSIS_CONFIRMED: U}),
    (s.BLOOD_THINNER_UNSAFE, "dunno", {s.BLOOD_THINNER_UNSAFE: U}),
    # a hedge given as the answer covers the story after it; a hedge after it qualifies it
    (s.RECURRENT_CLOTS, "maybe, my leg swelled up years ago", {s.RECURRENT_CLOTS: U}),
    (s.HEART_DISEASE, "high blood pressure, not sure if that counts", {s.HEART_DISEASE: U}),
    # double negatives are no clear no; a figure of speech then a clear answer is the answer
    (s.CANCER, "it's not that I haven't had it", {s.CANCER: U}),
    (s.FOLLOW_UP_AVAILABLE, "Not that I don't have one - I do, on Monday", {s.FOLLOW_UP_AVAILABLE: Y}),
    # a leading "no" is reinforced by a second negation, not cancelled
    (s.RECURRENT_CLOTS, "NO NEVER", {s.RECURRENT_CLOTS: N}),
    (s.DIAGNOSIS_CONFIRMED, "no not yet", {s.DIAGNOSIS_CONFIRMED: N}),
    # someone else's condition answers nothing about the patient
    (s.CANCER, "my dad has prostate cancer", {s.CANCER: U}),
    (s.KIDNEY_DISEASE, "no, but my husband is on dialysis", {s.KIDNEY_DISEASE: N}),
    (s.CANCER, "my mum has breast cancer and so do I", {s.CANCER: Y}),
    # a past condition with no clear status is unsure; a past clot is what "before" asks
    (s.CANCER, "had leukaemia as a child, in remission now", {s.CANCER: U}),
    (s.HEART_DISEASE, "I had a heart attack years ago and I still have heart failure", {s.HEART_DISEASE: Y}),
    (s.RECURRENT_CLOTS, "one in 2015 after surgery", {s.RECURRENT_CLOTS: Y}),
    # not yet done is no for a condition; an appointment to come is follow-up arranged
    (s.ANTICOAGULANT_STARTED, "I'm starting Xarelto tomorrow", {s.ANTICOAGULANT_STARTED: N}),
    (s.FOLLOW_UP_AVAILABLE, "booked in with the GP next Tuesday", {s.FOLLOW_UP_AVAILABLE: Y}),
    # the last polarity of a self-correction wins
    (s.HEART_DISEASE, "yes - sorry, I mean no", {s.HEART_DISEASE: N}),
    (s.CLOTTING_DISORDER, "they thought so but the test came back negative, so no", {s.CLOTTING_DISORDER: N}),
    # without a correction, disagreeing clauses give the reading that is not the safer-looking one
    (s.SEVERE_SYMPTOMS, "it's fine during the day, agony at night", {s.SEVERE_SYMPTOMS: Y}),
    # a two-part question needs both parts
    (s.CLOT_SMALL_STABLE, "they said it's small", {s.CLOT_SMALL_STABLE: U}),
    (s.CLOT_SMALL_STABLE, "small and not moving", {s.CLOT_SMALL_STABLE: Y}),
    # a symptom named is no severity: the severity words decide
    (s.SEVERE_SYMPTOMS, "some swelling but it's mild", {s.SEVERE_SYMPTOMS: N}),
    # a negated inability is an ability: "no reason I can't take them"
    (s.BLOOD_THINNER_UNSAFE, "no reason I can't take them", {s.BLOOD_THINNER_UNSAFE: N}),
    # not discussed is not told: "didn't really talk about it", with or without the contraction
    (s.HIGH_PE_RISK, "they didn't really talk about that", {s.HIGH_PE_RISK: U}),
    (s.HIGH_PE_RISK, "the doctor did not mention it", {s.HIGH_PE_RISK: U}),
    # reassurance is no denial: "nothing to worry about"
    (s.CLOT_SMALL_STABLE, "small and stable, nothing to worry about", {s.CLOT_SMALL_STABLE: Y}),
    # a denial carries over "or"; a denied "no" word ("not moving") is no clear yes
    (s.CLOT_SMALL_STABLE, "it's tiny and it isn't growing or moving", {s.CLOT_SMALL_STABLE: U}),
    (s.SEVERE_SYMPTOMS, "no swelling or pain to speak of", {s.SEVERE_SYMPTOMS: N}),
    # found but not diagnosed is no yes: a lump with results awaited
    (s.CANCER, "they found a lump, waiting on the biopsy", {s.CANCER: U}),
    # a risk factor is not the condition itself
    (s.HEART_DISEASE, "no heart disease, my blood pressure is a bit high", {s.HEART_DISEASE: N}),
    # a test result of one's own
    (s.CLOTTING_DISORDER, "my cousin has it but I got tested and I'm clear", {s.CLOTTING_DISORDER: N}),
    # "once" as "when" is no past
    (
        s.ANTICOAGULANT_STARTED,
        "yes, on injections until my INR is sorted, then warfarin once it is",
        {s.ANTICOAGULANT_STARTED: Y},
    ),
    # the emergency screen: the sign's own words are no denial
    (s.EMERGENCY_SCREEN, "YES CANT BREATHE", {s.EMERGENCY_SCREEN: Y}),
    (s.EMERGENCY_SCREEN, "no chest pain, breathing fine, no blood", {s.EMERGENCY_SCREEN: N}),
    (s.EMERGENCY_SCREEN, "had some chest pain yesterday but it's gone", {s.EMERGENCY_SCREEN: U}),
]


@pytest.mark.parametrize("asked, reply, expected", ISSUE_10 + RULES, ids=[c[1] for c in ISSUE_10 + RULES])
def test_each_rule_of_the_reader(asked, reply, expected):
    assert interpret(reply, asked) == expected


@pytest.mark.parametrize("asked, reply, expected", CASES, ids=[c[1] for c in CASES])
def test_natural_language_answers(asked, reply, expected):
    assert interpret(reply, asked) == expected


@pytest.mark.parametrize("reply", ["banana", "hello", "", "   ", "why do you ask?", "what is a DVT?"])
def test_a_reply_that_answers_nothing_fills_nothing(reply):
    assert interpret(reply, s.CANCER) == {}


def test_the_emergency_screen_is_only_answered_when_asked():
    assert s.EMERGENCY_SCREEN not in interpret("no chest pain", s.CANCER)


# Safety is asymmetric, whatever the question: a hedge is never the safer-looking reading, and
# someone else's condition is never the patient's.
HEDGES = [
    "I don't think so",
    "probably not",
    "not really sure",
    "not that I know of",
    "maybe",
    "I guess so",
    "dunno 🤷",
]
OTHERS = ["my mum has it", "my brother does", "my dad had that"]


@pytest.mark.parametrize("asked", s.FORM_SLOTS)
@pytest.mark.parametrize("reply", HEDGES)
def test_a_hedge_is_unsure_for_every_question(asked, reply):
    assert interpret(reply, asked).get(asked) == U


@pytest.mark.parametrize("asked", s.EXCLUSIONS)
@pytest.mark.parametrize("reply", OTHERS)
def test_someone_elses_condition_never_answers_yes_or_no_for_the_patient(asked, reply):
    assert interpret(reply, asked).get(asked) in (None, U)
