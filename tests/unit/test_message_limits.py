"""What the assistant reads of a message (dvt_triage.message_limits), the REST channel's
input check, and the "too long" wording agreeing with the limit."""

from __future__ import annotations

import pytest

from dvt_triage import clinic
from dvt_triage import message_limits as m
from dvt_triage import red_flags
from rasa_plugins.channels.rest import BadRequest, parse_body
from tests.support.robustness import response

DETECTOR = red_flags.get_detector(red_flags.DEFAULT_LEXICON)


def is_current(text: str) -> bool:
    return DETECTOR.detect(text).status == red_flags.CURRENT


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("hello", "hello"),
        ("", ""),
        (None, ""),
        (5, ""),
        ("a\x00b\x07c\x1b[31md\x7f\x85", "abc[31md"),
        ("line one\nline two\ttab\r\n", "line one\nline two\ttab\r\n"),
        ("\ud800 lone surrogate", "\ufffd lone surrogate"),
        ("\uff43\uff48\uff45\uff53\uff54 pain", "chest pain"),  # full-width letters
        ("\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"),
        ("I can't breathe \U0001F62D", "I can't breathe \U0001F62D"),
    ],
)
def test_clean_keeps_what_people_write_and_drops_what_breaks_the_pipeline(raw, cleaned):
    assert m.clean(raw) == cleaned


def test_full_width_red_flags_are_recognised_after_cleaning():
    assert is_current(m.clean("\uff49 \uff43\uff41\uff4e'\uff54 \uff42\uff52\uff45\uff41\uff54\uff48\uff45"))


@pytest.mark.parametrize(
    "text", ["<p><b>I have chest pain</b></p>", "chest pain~", "chest pain<3", "I can't breathe/", "chest pain=",
             "chest pain|", "my heart is racing^^", "chest pain+", "I'm coughing up blood>>>"]
)
def test_red_flags_glued_to_symbols_are_recognised_once_spaced(text):
    assert is_current(m.part_to_read(text, is_current).text)


def test_spacing_symbols_keeps_words_apostrophes_and_commands():
    assert m.spaced("I can't breathe</b>") == "I can't breathe </ b > "
    assert m.spaced("no chest pain, no breathlessness.") == "no chest pain, no breathlessness."
    assert m.spaced("/restart") == "/restart" and m.spaced(" /stop") == " /stop"
    assert m.spaced("/I can't breathe</b>") == "/I can't breathe </ b > "


def test_windows_overlap_so_every_short_stretch_is_whole_in_one_of_them():
    text = " ".join(f"w{i}" for i in range(5000))
    pieces = list(m.windows(text))
    assert all(len(p) <= m.MAX_MESSAGE_CHARS for p in pieces)
    assert pieces[0].startswith("w0 ") and pieces[-1].endswith("w4999")
    stretch = m.WINDOW_OVERLAP - 100
    for start in range(0, len(text) - stretch, 97):
        assert any(text[start:start + stretch] in p for p in pieces), start


def test_windows_cut_at_spaces_not_inside_words():
    text = " ".join(["breathe"] * 1000)
    assert all(p.strip() == p or p.endswith(" ") for p in m.windows(text))
    assert all(set(p.split()) == {"breathe"} for p in m.windows(text))


def test_a_message_within_the_limit_is_read_whole():
    text = "x " * (m.MAX_MESSAGE_CHARS // 2)
    assert m.part_to_read(text, is_current) == m.Reading(text[: m.MAX_MESSAGE_CHARS])


def test_an_over_long_message_is_marked_and_only_its_beginning_passed_on():
    text = "my leg is sore and swollen. " * 200
    reading = m.part_to_read(text, is_current)
    assert reading.too_long and reading.chars == len(text)
    assert len(reading.text) <= m.MAX_MESSAGE_CHARS and text.startswith(reading.text)


@pytest.mark.parametrize("position", [0.0, 0.3, 0.99])
def test_an_emergency_in_the_scanned_part_of_an_over_long_message_is_passed_on(position):
    filler = "I went to the shop and bought some bread. "
    before = filler * int(m.MAX_SCAN_CHARS * position / len(filler))
    text = before + "I can't breathe. " + filler * 100
    reading = m.part_to_read(text, is_current)
    assert reading.too_long and is_current(reading.text)


def test_beyond_the_scanned_part_an_over_long_message_is_not_read():
    filler = "I went to the shop and bought some bread. "
    text = filler * (m.MAX_SCAN_CHARS // len(filler) + 10) + "I can't breathe."
    reading = m.part_to_read(text, is_current)
    assert reading.too_long and not is_current(reading.text)


def test_the_too_long_reply_states_the_limit_and_the_emergency_advice():
    text = response("utter_message_too_long")
    assert f"{m.MAX_MESSAGE_CHARS:,} characters" in text and f"call {clinic.current().emergency_number} now" in text


@pytest.mark.parametrize(
    "sender", ["+15551234567", "whatsapp:+15551234567", "3f2b9c0e8d7a4b6c9e1f2a3b4c5d6e7f", "user_1.test@example-x"]
)
def test_conversation_ids_of_every_channel_are_valid(sender):
    assert m.valid_sender(sender)


@pytest.mark.parametrize(
    "sender",
    ["", " me", "me ", "a b", "<script>", "x" * (m.MAX_SENDER_CHARS + 1), "p'; DROP TABLE events;--", "caf\u00e9",
     "line\nbreak", 5, None, ["me"]],
)
def test_other_conversation_ids_are_refused(sender):
    assert not m.valid_sender(sender)


@pytest.mark.parametrize(
    "body",
    [None, [], "hi", 5, {"message": "hi"}, {"sender": "me"}, {"sender": "me", "message": None},
     {"sender": "me", "message": 5}, {"sender": "me", "message": ["hi"]}, {"sender": "me", "message": {"t": 1}},
     {"sender": 5, "message": "hi"}, {"sender": "me", "message": "hi", "metadata": "x"}],
)
def test_the_rest_channel_refuses_malformed_bodies(body):
    with pytest.raises(BadRequest):
        parse_body(body)


def test_the_rest_channel_accepts_a_message_with_optional_metadata():
    assert parse_body({"sender": "me", "message": "hi"}) == ("me", "hi", None)
    assert parse_body({"sender": "me", "message": "", "metadata": {"a": 1}}) == ("me", "", {"a": 1})
