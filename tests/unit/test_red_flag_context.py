"""The red-flag detector's context rules, one test per rule.

The labelled set (`tests/data/red_flag_cases.yml`) measures the detector as a whole; these
tests pin down each ConText-style rule of `dvt_triage.red_flags` on its own, with the
examples that motivated it and the near misses on its other side, so a lexicon change
that breaks one rule says which.
"""

from __future__ import annotations

import pytest

from dvt_triage.red_flags import (
    CONDITION,
    CONTEXT,
    CURRENT,
    HISTORICAL,
    HYPOTHETICAL,
    NEGATED,
    NONE,
    OTHER_PERSON,
    SUSPECTED,
    get_detector,
)


@pytest.fixture(scope="module")
def detector():
    return get_detector()


def status(detector, text: str) -> str:
    return detector.detect(text).status


def kinds(detector, text: str) -> set:
    """Context kinds of the findings that decide the message's status."""
    result = detector.detect(text)
    return {f.context for f in result.findings if f.status == result.status}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("no chest pain", NEGATED),
        ("I don't have any chest pain", NEGATED),
        # a denial ends at the clause: a full stop, a comma, "and", "but", or five words on
        ("no cancer. chest pain though", CURRENT),
        ("no fever and I'm short of breath", CURRENT),
        ("no previous clots, no cancer, and I can't catch my breath", CURRENT),
        ("I'm not sleeping well because I'm short of breath", CURRENT),
        ("I do not smoke and I have never had a clot before and I feel faint", CURRENT),
        ("I don't know what's happening, I can't breathe", CURRENT),
    ],
)
def test_negation_has_a_small_scope(detector, text, expected):
    assert status(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I can't breathe",
        "I'm unable to catch my breath",
        "I'm not able to breathe properly",
        "I'm not getting enough air",
        "I don't feel like I'm getting enough air",
        "my breathing hasn't got any better",
        "I can't seem to catch my breath",
        "I can never catch my breath lately",
        "why can't I breathe properly?",
        "I cannot stop coughing up blood",
        "my chest won't stop hurting",
    ],
)
def test_a_sign_is_not_denied_by_its_own_words(detector, text):
    assert status(detector, text) == CURRENT


@pytest.mark.parametrize(
    "text, expected",
    [
        # "no" answers the form's question; the statement after it is new
        ("No, I have chest pain", CURRENT),
        ("no I feel dizzy", CURRENT),
        ("no but I feel dizzy", CURRENT),
        ("Nope. Chest is tight though.", CURRENT),
        # ... unless the statement denies the sign itself
        ("no, no chest pain", NEGATED),
        ("No I don't have chest pain", NEGATED),
        ("No, I haven't coughed up blood", NEGATED),
    ],
)
def test_an_answer_word_is_closed_before_a_new_statement(detector, text, expected):
    assert status(detector, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("chest pain? no", NEGATED),
        ("chest pain?? nope", NEGATED),
        ("chest pain: none", NEGATED),
        ("shortness of breath - no", NEGATED),
        # an answer that is not a denial, or no answer at all, leaves the sign current
        ("chest pain? no idea why", CURRENT),
        ("chest pain? yes", CURRENT),
        ("chest pain???", CURRENT),
    ],
)
def test_a_sign_as_a_heading_is_denied_only_by_a_one_word_answer(detector, text, expected):
    assert status(detector, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I never had chest pain until today", CURRENT),
        ("I didn't have chest pain before, now I do", CURRENT),
        ("I'm not short of breath today but I was yesterday", CURRENT),
        ("No chest pain before today", CURRENT),
        ("no chest pain, now I'm dizzy", CURRENT),
        ("I've never been short of breath like this before", CURRENT),
        ("the chest pain hasn't gone away", CURRENT),
        # right after the denial the same words confirm it
        ("no chest pain today", NEGATED),
        ("no chest pain right now", NEGATED),
        ("I haven't fainted again", NEGATED),
    ],
)
def test_until_now_again_after_a_denial_make_it_current(detector, text, expected):
    assert status(detector, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("no chest pain or shortness of breath", NEGATED),
        ("neither chest pain nor breathlessness", NEGATED),
        ("I don't have chest pain or palpitations", NEGATED),
        # "and" starts a new statement: the denial stays behind
        ("no chest pain, and I'm short of breath", CURRENT),
        ("I'm not short of breath but my chest hurts", CURRENT),
    ],
)
def test_a_denial_carries_over_or_and_nor(detector, text, expected):
    assert status(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "my mom had chest pain",
        "my husband is short of breath",
        "my dad had chest pain and passed out",
        "my mother-in-law gets dizzy spells",
        "my roommate's chest hurts",
        "a friend of mine passed out at the gym",
    ],
)
def test_someone_elses_sign_is_context(detector, text):
    assert status(detector, text) == CONTEXT
    assert kinds(detector, text) == {OTHER_PERSON}


@pytest.mark.parametrize(
    "text",
    [
        "my husband says I'm short of breath",
        "my mom had chest pain and so do I",
        "my wife says I've been breathless all week",
        "she says my heart is racing",
        "my husband had chest pain. I'm dizzy",
    ],
)
def test_the_person_speaking_of_themself_after_someone_else_is_current(detector, text):
    assert status(detector, text) == CURRENT


@pytest.mark.parametrize(
    "text",
    [
        "what if I get short of breath?",
        "is chest pain a sign of PE?",
        "should I call 911 if I feel faint?",
        "can blood thinners make you dizzy?",
        "what would chest pain from a clot feel like",
        "I'm scared I'll get chest pain",
        "I'm scared of getting chest pain",
    ],
)
def test_a_hypothetical_or_general_question_is_context(detector, text):
    assert status(detector, text) == CONTEXT
    assert kinds(detector, text) == {HYPOTHETICAL}


@pytest.mark.parametrize(
    "text",
    [
        "why is my heart racing?",
        "why do I feel so faint?",
        "should I be worried that I'm coughing blood?",
        "what should I do, I'm short of breath?",
        "I have chest pain, what should I do?",
    ],
)
def test_a_question_about_ones_own_sign_is_current(detector, text):
    assert status(detector, text) == CURRENT


@pytest.mark.parametrize(
    "text",
    [
        "I had chest pain two years ago, nothing since",
        "I passed out after my operation in 2020",
        "Back when I had my first clot I couldn't breathe",
        "my breathlessness was from my PE in 2018, it's gone now",
        "hace muchos años me desmayé cuando me sacaron sangre, pero nada desde entonces",
    ],
)
def test_a_past_sign_without_a_current_cue_is_context(detector, text):
    assert status(detector, text) == CONTEXT
    assert kinds(detector, text) == {HISTORICAL}


@pytest.mark.parametrize(
    "text",
    [
        "I had palpitations years ago and they're back today",
        "I fainted last year and again this morning",
        "my palpitations from years ago came back last night",
        "I used to be short of breath but it's much worse now",
        "I had a PE years ago and I'm short of breath",
    ],
)
def test_a_past_sign_with_a_current_cue_is_current(detector, text):
    assert status(detector, text) == CURRENT


@pytest.mark.parametrize(
    "text, expected_kinds",
    [
        ("I have COPD, same as always", {CONDITION}),
        ("I've had asthma since I was a kid", {CONDITION}),
        ("both my parents have COPD", {CONDITION}),
        ("I get dizzy when I stand up too fast, always have", {HISTORICAL}),
        ("I've been short of breath for years with my COPD, nothing new", {HISTORICAL, CONDITION}),
    ],
)
def test_a_long_standing_condition_is_context(detector, text, expected_kinds):
    assert status(detector, text) == CONTEXT
    assert kinds(detector, text) == expected_kinds


@pytest.mark.parametrize(
    "text",
    [
        "My COPD is flaring up today",
        "my asthma is really bad today, I can't breathe",
        "asthma, but this breathlessness is new",
    ],
)
def test_a_long_standing_condition_that_is_worse_now_is_current(detector, text):
    assert status(detector, text) == CURRENT


@pytest.mark.parametrize(
    "text, normalised",
    [
        ("coughingupblood", "coughing up blood"),
        ("hardtobreathe", "hard to breathe"),
        ("heartpounding", "heart pounding"),
        ("my hearts racing", "my heart is racing"),
        ("I wouldn't say", "i would not say"),
        ("no I feel dizzy", "no, i feel dizzy"),
        ("I'm not getting enough air", "i am unable to get enough air"),
        ("chest pain 2nite", "chest pain tonight"),
        ("blood-streaked mucus", "blood streaked mucus"),
    ],
)
def test_normalise_rewrites_run_together_words_and_shorthand(detector, text, normalised):
    assert detector.normalise(text) == normalised


@pytest.mark.parametrize(
    "text, sign",
    [
        ("chst pn", "chest_pain"),
        ("cant brthe", "breathlessness"),
        ("coughd up blud", "coughing_blood"),
        ("coughing up bloood", "coughing_blood"),
        ("palpitaions", "racing_heart"),
        ("hrt poundin", "racing_heart"),
        ("I fainded", "fainting"),
        ("I'm breathles and lightheded", "fainting"),
        ("diziness", "fainting"),
    ],
)
def test_typos_and_sms_spellings_are_found(detector, text, sign):
    result = detector.detect(text)
    assert result.status == CURRENT
    assert sign in result.signs


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I'm out of breath mints", NONE),
        ("I have a faint bruise on my calf", NONE),
        ("there's a faint red mark on my leg", NONE),
        ("my vein collapsed during the blood draw", NONE),
        ("it's hard to say", NONE),
        # only adjacent words make the trap; the sign itself still counts
        ("I'm out of breath, mints don't help", CURRENT),
        ("my vein collapsed and I fainted", CURRENT),
        ("a faint pink streak in my phlegm", CURRENT),
    ],
)
def test_phrases_that_only_look_like_a_sign_are_not_one(detector, text, expected):
    assert status(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I was short of breath last week but I'm fine now",
        "coughed up blood on Tuesday, fine since",
        "the chest pain went away an hour ago",
        "passed out last night, ok now",
        "a couple of days ago my spit came up pink after coughing, nothing since",
        "el domingo me faltó el aire, ya estoy mejor",
    ],
)
def test_a_new_sign_in_the_last_few_days_is_current_even_if_it_has_passed(detector, text):
    """The article: "any NEW chest pain, shortness of breath, or sudden leg swelling requires
    immediate emergency care". New means recent, not only now."""
    assert status(detector, text) == CURRENT


@pytest.mark.parametrize("text", ["the chest pain has gone", "my dizziness went away", "the racing heart settled"])
def test_a_sign_that_has_passed_with_no_time_gets_the_confirming_question(detector, text):
    result = detector.detect(text)
    assert result.status == SUSPECTED and result.needs_confirming
