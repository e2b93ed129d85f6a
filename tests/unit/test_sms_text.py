"""The SMS rules: carrier keywords, GSM-7, splitting, and buttons as text replies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dvt_triage import clinic
from rasa_plugins.channels.sms_text import (
    CHANNEL_RESPONSES,
    MAX_SMS_LENGTH,
    Choice,
    Keyword,
    is_gsm7,
    keyword,
    match_choice,
    render_choices,
    sms_length,
    split_text,
    to_gsm7,
    to_messages,
)
from tests.support import clinics

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
YES_NO_UNSURE = [
    {"title": "Yes", "payload": "yes"},
    {"title": "No", "payload": "no"},
    {"title": "Not sure", "payload": "not sure"},
]


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "Cancel", "END", "quit!"]
)
def test_opt_out_words_alone_opt_out(body):
    assert keyword(body, opted_out=False) is Keyword.OPT_OUT
    assert keyword(body, opted_out=True) is Keyword.OPT_OUT


@pytest.mark.parametrize(
    "body", ["stop the check", "please stop", "I want to quit", "stop asking", "the end"]
)
def test_a_sentence_with_stop_in_it_goes_to_the_assistant(body):
    assert keyword(body, opted_out=False) is None


@pytest.mark.parametrize("body", ["START", "start", "UNSTOP"])
def test_start_and_unstop_opt_in(body):
    assert keyword(body, opted_out=True) is Keyword.OPT_IN
    assert keyword(body, opted_out=False) is Keyword.OPT_IN


def test_yes_opts_in_only_a_number_that_opted_out_otherwise_it_is_an_answer():
    assert keyword("YES", opted_out=True) is Keyword.OPT_IN
    assert keyword("yes", opted_out=False) is None


@pytest.mark.parametrize("body", ["HELP", "help", "Info", "INFO."])
def test_help_and_info(body):
    assert keyword(body, opted_out=False) is Keyword.HELP


@pytest.mark.parametrize("body", ["start over", "help me", "I need info about stockings", "", "   "])
def test_other_messages_are_no_keyword(body):
    assert keyword(body, opted_out=False) is None


@pytest.mark.parametrize(
    "raw, plain",
    [
        ("It\u2019s \u201cfine\u201d", 'It\'s "fine"'),
        ("walk \u2013 don\u2019t run \u2014 ok", "walk - don't run - ok"),
        ("wait\u2026", "wait..."),
        ("caf\u00e9 na\u00efve", "caf\u00e9 naive"),  # é is GSM-7, ï is not
        ("call now \U0001f6a8\U0001f691 please", "call now please"),
        ("\u2022 one\n\u2022 two", "- one\n- two"),
        ("a\u00a0b\tc", "a b c"),
        ("thumbs \U0001f44d\U0001f3fd up", "thumbs up"),
    ],
)
def test_to_gsm7_makes_text_plain(raw, plain):
    assert to_gsm7(raw) == plain
    assert is_gsm7(to_gsm7(raw))


def test_extension_characters_count_twice():
    assert sms_length("a[b]c\u20ac") == 9
    assert is_gsm7("{x} ~ ^ | \\ \u20ac") and not is_gsm7("\u2019")


def test_a_short_text_is_one_message():
    assert split_text("Do you have kidney disease?") == ["Do you have kidney disease?"]


def test_long_text_splits_at_sentence_ends_within_the_limit():
    sentences = [
        f"Sentence number {i} says something of moderate length about blood clots." for i in range(12)
    ]
    text = " ".join(sentences)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(sms_length(p) <= MAX_SMS_LENGTH for p in parts)
    assert all(p.endswith(".") for p in parts)  # every cut is after a sentence
    assert " ".join(parts) == text  # nothing lost, nothing added


def test_lines_are_kept_whole_when_they_fit():
    lines = [f"- Item {i}: a line of the answer summary to show a doctor" for i in range(12)]
    parts = split_text("\n".join(lines))
    assert all(sms_length(p) <= MAX_SMS_LENGTH for p in parts)
    assert [line for p in parts for line in p.split("\n")] == lines


def test_a_sentence_without_breaks_is_cut_between_words_and_a_huge_word_hard():
    long_sentence = " ".join(["word"] * 200)
    parts = split_text(long_sentence)
    assert all(sms_length(p) <= MAX_SMS_LENGTH for p in parts)
    assert " ".join(parts).split() == long_sentence.split()
    huge = "x" * 700
    assert "".join(split_text(huge)) == huge and all(len(p) <= MAX_SMS_LENGTH for p in split_text(huge))


def test_extension_characters_are_counted_when_splitting():
    text = "[]" * 200  # 800 septets
    assert all(sms_length(p) <= MAX_SMS_LENGTH for p in split_text(text))


def test_short_replies_of_one_turn_are_joined_and_long_ones_split():
    turn = [
        "Summary of your answers:",
        "- Cancer: yes",
        "- Kidney disease: yes",
        RESPONSES["utter_faq_home_treatment"][0]["text"],
    ]
    messages = to_messages(turn)
    assert messages[0] == "\n".join(turn[:3])
    assert all(sms_length(m) <= MAX_SMS_LENGTH and is_gsm7(m) for m in messages)


# The clinic's details as configured, and the longest the settings accept: no clinic can
# push a text past these limits.
SETTINGS = {"configured": clinic.current(), "longest": clinics.LONGEST}


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_in_the_domain_fits_sms(name, settings):
    for variant in RESPONSES[name]:
        if variant.get("channel") not in (None, "sms"):
            continue
        messages = to_messages([settings.fill(variant["text"])])
        assert messages and all(sms_length(m) <= MAX_SMS_LENGTH and is_gsm7(m) for m in messages)


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("name", ["utter_emergency", "utter_emergency_bleeding"])
def test_the_sms_emergency_instruction_is_one_message(name, settings):
    sms = [settings.fill(v["text"]) for v in RESPONSES[name] if v.get("channel") == "sms"]
    assert len(sms) == 1 and to_messages(sms) == sms
    assert sms[0].startswith(f"EMERGENCY: call {settings.emergency_number} ") and "Do not drive yourself" in sms[0]


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("name", CHANNEL_RESPONSES)
def test_the_channels_own_replies_are_one_message_each(name, settings):
    # STOP, START, HELP and a picture are answered by one text, with the clinic's number.
    (text,) = [settings.fill(v["text"]) for v in RESPONSES[name] if v.get("channel") in (None, "sms")]
    assert len(to_messages([text])) == 1


def test_yes_no_not_sure_buttons_read_as_words():
    prompt, choices = render_choices(YES_NO_UNSURE)
    assert prompt == "Reply YES, NO or NOT SURE."
    assert choices == [Choice(1, "Yes", "yes"), Choice(2, "No", "no"), Choice(3, "Not sure", "not sure")]


def test_longer_titles_read_as_numbers():
    buttons = RESPONSES["utter_greet"][0]["buttons"]
    prompt, choices = render_choices(buttons)
    assert prompt == "Reply 1 for Start the check or 2 for Just a question."
    assert [c.payload for c in choices] == [b["payload"] for b in buttons]


def test_two_choices_and_one_choice():
    assert render_choices(YES_NO_UNSURE[:2])[0] == "Reply YES or NO."
    assert render_choices(YES_NO_UNSURE[:1])[0] == "Reply YES."
    assert render_choices([]) == ("", [])


@pytest.mark.parametrize(
    "reply, payload",
    [
        ("YES", "yes"),
        ("yes", "yes"),
        ("No.", "no"),
        ("not sure", "not sure"),
        ("NOT SURE!", "not sure"),
        ("1", "yes"),
        (" 2 ", "no"),
        ("3", "not sure"),
    ],
)
def test_replies_map_back_to_the_button_payloads(reply, payload):
    _, choices = render_choices(YES_NO_UNSURE)
    assert match_choice(reply, choices) == payload


@pytest.mark.parametrize("reply", ["4", "0", "yes I have", "nope", "", "12"])
def test_other_replies_are_left_to_the_assistant(reply):
    _, choices = render_choices(YES_NO_UNSURE)
    assert match_choice(reply, choices) is None


def test_numbered_choices_map_by_number_and_by_title():
    _, choices = render_choices(RESPONSES["utter_greet"][0]["buttons"])
    assert match_choice("1", choices) == "yes, start the check"
    assert match_choice("just a question", choices) == "I have a question"
    assert match_choice("1", []) is None


def test_the_sms_read_back_of_the_twelve_answers_is_two_messages_without_a_number_button():
    """Longest values everywhere ("unsure"); no button, so that a reply "1" is not read as
    the button instead of item 1."""
    sms = [v for v in RESPONSES["utter_read_back"] if v.get("channel") == "sms"]
    assert len(sms) == 1 and "buttons" not in sms[0]
    text = re.sub(r"\{\w+\}", "unsure", sms[0]["text"])
    messages = to_messages([text])
    assert len(messages) == 2
    assert all(sms_length(m) <= MAX_SMS_LENGTH and is_gsm7(m) for m in messages)
    lines = [line for m in messages for line in m.split("\n")]
    assert sum(1 for line in lines if re.match(r"\d+\. .*: unsure$", line)) == 12  # no item cut in two
