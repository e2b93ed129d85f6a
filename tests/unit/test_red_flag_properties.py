"""Property-based tests (Hypothesis) of what the assistant reads: any text at all goes
through the cleaning and the red-flag detector without an error, and a red-flag phrase
stays a current emergency whatever neutral text surrounds it.

The surrounding text is built from everyday words that appear nowhere in the red-flag
lexicon (no negation, person, time or hypothetical cue, no sign word), computed from the
lexicon itself, so that the property is true by construction and stays true when the
lexicon grows."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dvt_triage import message_limits, red_flags

DETECTOR = red_flags.get_detector(red_flags.DEFAULT_LEXICON)
STATUSES = {red_flags.CURRENT, red_flags.NEGATED, red_flags.CONTEXT, red_flags.NONE}

# First-person, present-tense phrases, each a current emergency on its own.
PHRASES = [
    "I can't breathe",
    "chest pain",
    "I have chest pain",
    "I am coughing up blood",
    "my heart is racing",
    "I fainted",
    "I'm short of breath",
]
EVERYDAY = (
    "the weather is nice hello thanks please tea coffee garden book cat dog blue green red table window "
    "music quiet happy kind lovely sunny rain cloud apple bread soup shoes hat paper pencil river "
    "mountain city street bus train ticket photo song dance idea plan story letter card gift shop "
    "market piano guitar movie cookie orange lemon flower tree bird ok well um hmm yes sure great"
).split()


def _lexicon_words() -> set[str]:
    lexicon = yaml.safe_load(red_flags.DEFAULT_LEXICON.read_text(encoding="utf-8"))
    words: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                collect(key)
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, str):
            words.update(re.findall(r"[a-z]+", value.lower()))

    collect(lexicon)
    return words


SAFE_WORDS = sorted(set(EVERYDAY) - _lexicon_words())
neutral_text = st.lists(st.sampled_from(SAFE_WORDS), max_size=25).map(" ".join)
sentence_end = st.sampled_from([". ", "! ", ".\n", "\n"])
# Every code point, unpaired surrogates and control characters included.
ANY_CHARACTER = st.characters(exclude_categories=())


def test_there_are_enough_safe_words_for_the_property_to_mean_something():
    assert len(SAFE_WORDS) >= 30


@pytest.mark.parametrize("phrase", PHRASES)
def test_each_phrase_is_a_current_emergency_on_its_own(phrase):
    assert DETECTOR.detect(phrase).status == red_flags.CURRENT


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=ANY_CHARACTER, max_size=3000))
def test_any_text_is_read_and_checked_without_error(text):
    reading = message_limits.part_to_read(text, lambda t: DETECTOR.detect(t).status == red_flags.CURRENT)
    assert len(reading.text) <= 2 * message_limits.MAX_MESSAGE_CHARS + 2  # symbols spaced out
    assert reading.too_long == (len(message_limits.clean(text)) > message_limits.MAX_MESSAGE_CHARS)
    assert DETECTOR.detect(reading.text).status in STATUSES


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=500))
def test_the_detector_classifies_any_text(text):
    assert DETECTOR.detect(text).status in STATUSES


@settings(max_examples=200, deadline=None)
@given(
    phrase=st.sampled_from(PHRASES),
    before=neutral_text,
    after=neutral_text,
    end_before=sentence_end,
    end_after=sentence_end,
    shout=st.booleans(),
)
def test_a_red_flag_in_neutral_text_is_still_current(phrase, before, after, end_before, end_after, shout):
    text = f"{before}{end_before if before else ''}{phrase}{end_after}{after}"
    if shout:
        text = text.upper()
    assert DETECTOR.detect(text).status == red_flags.CURRENT, text


@settings(max_examples=30, deadline=None)
@given(phrase=st.sampled_from(PHRASES), data=st.data())
def test_a_red_flag_anywhere_in_the_scanned_part_of_an_over_long_message_is_found(phrase, data):
    """An over-long message is not read, but an emergency in its first MAX_SCAN_CHARS is."""
    filler = " ".join(SAFE_WORDS) + ". "
    scanned = message_limits.MAX_SCAN_CHARS - len(phrase) - 4
    before = (filler * (scanned // len(filler) + 1))[: data.draw(st.integers(0, scanned), label="position")]
    after = filler * (message_limits.MAX_MESSAGE_CHARS // len(filler) + 1)
    text = f"{before}. {phrase}. {after}"
    reading = message_limits.part_to_read(text, lambda t: DETECTOR.detect(t).status == red_flags.CURRENT)
    assert reading.too_long
    assert DETECTOR.detect(reading.text).status == red_flags.CURRENT
