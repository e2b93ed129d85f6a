"""Conversation ids scoped to their channel: an SMS id is a keyed hash of the
number, a website id is issued by the server, and REST may use neither form."""

from __future__ import annotations

import pytest

from rasa_plugins.channels import conversation_ids as ids
from rasa_plugins.channels.rest import BadRequest, parse_body

KEY = "k" * 32


def test_an_sms_id_is_a_keyed_hash_of_the_number_never_the_number():
    conversation = ids.sms_conversation_id("+15551234567", KEY)
    assert conversation.startswith("sms:") and "5551234567" not in conversation
    assert conversation == ids.sms_conversation_id("+15551234567", KEY)  # stable
    assert conversation != ids.sms_conversation_id("+15551234568", KEY)
    assert conversation != ids.sms_conversation_id("+15551234567", "j" * 32)  # needs the key
    with pytest.raises(ids.IdKeyError):
        ids.sms_conversation_id("+15551234567", "short")


def test_website_ids_are_fresh_and_of_one_form():
    first, second = ids.new_web_id(), ids.new_web_id()
    assert first != second and ids.is_web_id(first) and ids.is_web_id(second)
    for other in ("+15551234567", "abc123", "web:" + "G" * 32, "web:" + "a" * 31, "../../x", "web:\x00",
                  "web:" + "a" * 900_000, ids.sms_conversation_id("+15551234567", KEY), None, 5):
        assert not ids.is_web_id(other), repr(other)[:40]


@pytest.mark.parametrize("sender", ["sms:" + "a" * 32, "SMS:abc", "web:" + "0" * 32, "Web:x"])
def test_rest_refuses_other_channels_ids(sender):
    with pytest.raises(BadRequest, match="other channels"):
        parse_body({"sender": sender, "message": "hi"})


def test_rest_keeps_its_own_ids():
    assert parse_body({"sender": "+15551234567", "message": "hi"})[0] == "+15551234567"
    assert parse_body({"sender": "user:42", "message": "hi"})[0] == "user:42"
