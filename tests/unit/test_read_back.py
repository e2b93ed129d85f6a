"""The read-back before the outcome (dvt_triage.read_back): confirmations, corrections, and
replies that must be asked again, never taken as a confirmation.

Only clear topic words are used ("cancer", "follow-up", "kidney disease"), so that these
tests do not depend on borderline readings of the free-text reader.
"""

from __future__ import annotations

import pytest

from dvt_triage import read_back
from dvt_triage import slots as s
from dvt_triage.read_back import Reading

CURRENT = {slot: s.YES if slot in s.CONDITIONS else s.NO for slot in s.READ_BACK_ITEMS}
CURRENT[s.SEVERE_SYMPTOMS] = s.UNSURE  # item 5


def read(text: str, state: str = s.READ_BACK_SHOWN) -> Reading:
    return read_back.read_reply(text, CURRENT, state)


def test_items_are_numbered_one_to_twelve_in_the_order_asked():
    assert [read_back.item_slot(n) for n in range(1, 13)] == list(s.ASSESSMENT_SLOTS)
    assert read_back.item_slot(0) is None and read_back.item_slot(13) is None


@pytest.mark.parametrize("text", ["That's right", "that's right", "yes", "Yes.", "correct", "looks good",
                                  "Yes, that's right", "all correct", "it's all correct!", "perfect"])
def test_a_confirmation(text):
    assert read(text) == Reading(confirmed=True)


@pytest.mark.parametrize("text, changes", [
    ("cancer should be yes", {s.CANCER: s.YES}),
    ("Cancer: yes", {s.CANCER: s.YES}),
    ("I do have a follow-up", {s.FOLLOW_UP_AVAILABLE: s.YES}),
    ("change 3 to no", {s.ANTICOAGULANT_STARTED: s.NO}),
    ("8 and 10 are yes", {s.CANCER: s.YES, s.HEART_DISEASE: s.YES}),
    ("8 is yes and 10 is not sure", {s.CANCER: s.YES, s.HEART_DISEASE: s.UNSURE}),
    ("number 9 should be yes", {s.KIDNEY_DISEASE: s.YES}),
    ("number nine should be yes", {s.KIDNEY_DISEASE: s.YES}),
    ("No. 9 is yes", {s.KIDNEY_DISEASE: s.YES}),
    ("number 6 is wrong", {s.RECURRENT_CLOTS: s.YES}),  # flipped: no -> yes
    ("1 is wrong", {s.DIAGNOSIS_CONFIRMED: s.NO}),  # flipped: yes -> no
    ("3 and 4 are wrong", {s.ANTICOAGULANT_STARTED: s.NO, s.FOLLOW_UP_AVAILABLE: s.NO}),
    ("kidney disease is wrong", {s.KIDNEY_DISEASE: s.YES}),
    ("heart disease should be no", {s.HEART_DISEASE: s.NO}),
    ("heart disease: not sure", {s.HEART_DISEASE: s.UNSURE}),
    ("no, cancer should be yes", {s.CANCER: s.YES}),
    ("not right: 12 is yes", {s.BLOOD_THINNER_UNSAFE: s.YES}),
])
def test_a_correction(text, changes):
    assert read(text) == Reading(changes=changes)


def test_a_value_word_overrides_the_polarity_of_the_topic_mention():
    # "no" in "cancer should be no" is the value, even though the sentence mentions cancer.
    assert read("cancer should be no", s.READ_BACK_SHOWN) == Reading(changes={s.CANCER: s.NO})
    yes_now = {**CURRENT, s.CANCER: s.YES}
    assert read_back.read_reply("cancer should be no", yes_now) == Reading(changes={s.CANCER: s.NO})


@pytest.mark.parametrize("text", ["number 5 is wrong", "5 is wrong", "5"])
def test_an_unsure_item_said_to_be_wrong_or_only_named_is_asked_for_its_value(text):
    assert read(text) == Reading(ask_value=s.SEVERE_SYMPTOMS)


@pytest.mark.parametrize("text", ["no", "No.", "not right", "that's wrong", "something is wrong",
                                  "I want to change an answer", "nope, not quite"])
def test_only_saying_it_is_wrong_asks_which_item(text):
    assert read(text) == Reading(ask_which=True)


@pytest.mark.parametrize("text", [
    "banana",
    "hi",
    "is that right?",
    "yes?",
    "change 13 to yes",  # no item 13
    "change 0 to no",
    "I had 2 clots before",  # a number that is not an item number
    "8 is yes and no",  # two values for one item
    "cancer is yes and cancer is no",  # two values for one item
    "yes and no",
    "ok",
    "maybe",
    "",
])
def test_anything_unclear_is_asked_again_never_confirmed(text):
    reading = read(text)
    assert not reading.confirmed
    assert reading == read_back.UNCLEAR


def test_after_which_one_a_bare_yes_is_not_a_confirmation_but_an_explicit_one_is():
    assert not read("yes", s.READ_BACK_WHICH).confirmed
    assert read("yes", s.READ_BACK_WHICH) == read_back.UNCLEAR
    assert read("that's right", s.READ_BACK_WHICH) == Reading(confirmed=True)
    assert read("8 is yes", s.READ_BACK_WHICH) == Reading(changes={s.CANCER: s.YES})


def test_after_an_item_is_asked_a_bare_answer_is_its_value():
    asked = s.READ_BACK_ASK_PREFIX + s.SEVERE_SYMPTOMS
    assert read("yes", asked) == Reading(changes={s.SEVERE_SYMPTOMS: s.YES})
    assert read("no", asked) == Reading(changes={s.SEVERE_SYMPTOMS: s.NO})
    assert read("not sure", asked) == Reading(changes={s.SEVERE_SYMPTOMS: s.UNSURE})
    # A numbered correction is still read as one.
    assert read("8 is yes", asked) == Reading(changes={s.CANCER: s.YES})
    assert not read("banana", asked).understood


def test_the_states_of_the_read_back():
    assert read_back.pending(s.READ_BACK_SHOWN) and read_back.pending(s.READ_BACK_WHICH)
    assert read_back.pending(s.READ_BACK_ASK_PREFIX + s.CANCER)
    assert not read_back.pending(s.READ_BACK_CONFIRMED) and not read_back.pending(None)
    assert not read_back.pending(s.READ_BACK_ASK_PREFIX + "banana")
    assert read_back.asked_item(s.READ_BACK_ASK_PREFIX + s.CANCER) == s.CANCER
    assert read_back.asked_item(s.READ_BACK_SHOWN) is None
