"""The SMS channel's adapter without a Rasa server: its settings, the REST client against a
fake Twilio on loopback, and how one turn's replies become text messages."""

from __future__ import annotations

from typing import Iterator

import pytest

from dvt_triage import clinic
from rasa_plugins.channels.sms import SMSConfigError, SMSSettings, TwilioMessages, TwilioSMSOutput
from rasa_plugins.channels.sms_store import SMSStore
from tests.support.fake_twilio import FakeTwilio
from tests.support.robustness import response

EMERGENCY_SMS = response("utter_emergency", "sms")  # as sent: the clinic's details filled in
SID, TOKEN, NUMBER = "AC" + "0" * 32, "secret-token", "+15005550006"
PHONE = "+15550003333"
CONVERSATION = "sms:" + "5" * 32
BASE = {
    "account_sid": SID,
    "auth_token": TOKEN,
    "twilio_number": NUMBER,
    "webhook_url": "https://sms.example.org/webhooks/sms/webhook",
}
YES_NO_UNSURE = [
    {"title": "Yes", "payload": "yes"},
    {"title": "No", "payload": "no"},
    {"title": "Not sure", "payload": "not sure"},
]


# --- settings ------------------------------------------------------------------------------


def test_settings_defaults_signature_on_store_next_to_the_tracker_db_real_twilio(tmp_path):
    creds = {**BASE, "validate_signature": "", "opt_out_db": "", "twilio_api_base_url": ""}
    settings = SMSSettings.from_credentials(creds, {"TRACKER_DB": str(tmp_path / "trackers.db")})
    assert settings.validate_signature is True
    assert settings.store_path == tmp_path / "sms.db"
    assert settings.api_base_url == "https://api.twilio.com"


def test_settings_take_explicit_values(tmp_path):
    creds = {
        **BASE,
        "validate_signature": "true",
        "opt_out_db": str(tmp_path / "x.db"),
        "twilio_api_base_url": "http://127.0.0.1:9/",
    }
    settings = SMSSettings.from_credentials(creds, {})
    assert settings.store_path == tmp_path / "x.db" and settings.api_base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize("missing", ["account_sid", "auth_token", "twilio_number"])
def test_settings_refuse_missing_credentials(missing):
    with pytest.raises(SMSConfigError, match=missing):
        SMSSettings.from_credentials({**BASE, missing: ""}, {})


def test_checking_signatures_needs_the_public_webhook_url():
    with pytest.raises(SMSConfigError, match="webhook_url"):
        SMSSettings.from_credentials({**BASE, "webhook_url": ""}, {})


@pytest.mark.parametrize("url", ["http://localhost:5005/webhooks/sms/webhook", "http://127.0.0.1:5005/x", ""])
def test_signature_checking_can_be_turned_off_for_local_testing(url):
    settings = SMSSettings.from_credentials({**BASE, "webhook_url": url, "validate_signature": "false"}, {})
    assert settings.validate_signature is False


def test_signature_checking_cannot_be_turned_off_for_a_public_url():
    with pytest.raises(SMSConfigError, match="only for local testing"):
        SMSSettings.from_credentials({**BASE, "validate_signature": False}, {})


def test_a_mistyped_flag_is_an_error_not_a_silent_off():
    with pytest.raises(SMSConfigError, match="validate_signature"):
        SMSSettings.from_credentials({**BASE, "validate_signature": "maybe"}, {})


# --- sending -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    server = FakeTwilio(SID, TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path) -> SMSStore:
    return SMSStore(tmp_path / "sms.db")


def messages_for(fake: FakeTwilio, store: SMSStore, token: str = TOKEN) -> TwilioMessages:
    creds = {**BASE, "auth_token": token, "twilio_api_base_url": fake.base_url}
    return TwilioMessages(SMSSettings.from_credentials(creds, {}), store)


async def test_messages_are_posted_to_twilio_in_order(fake, store):
    client = messages_for(fake, store)
    await client.send("+15550000001", ["first", "second"])
    await client.close()
    sent = [m for m in fake.all_sent() if m.to == "+15550000001"]
    assert [(m.from_, m.body) for m in sent] == [(NUMBER, "first"), (NUMBER, "second")]


async def test_a_failed_send_is_retried(fake, store):
    fake.fail_next.append(500)
    client = messages_for(fake, store)
    await client.send("+15550000002", ["after a hiccup"])
    await client.close()
    assert fake.to("+15550000002") == ["after a hiccup"]


async def test_wrong_credentials_are_not_retried(fake, store):
    before = fake.unauthorised
    client = messages_for(fake, store, token="wrong")
    await client.send("+15550000003", ["hello"])
    await client.close()
    assert fake.to("+15550000003") == [] and fake.unauthorised == before + 1


async def test_nothing_is_sent_to_a_number_that_opted_out(fake, store):
    store.opt_out("+15550000004")
    client = messages_for(fake, store)
    await client.send("+15550000004", ["anything"])
    await client.send("+15550000004", ["the opt-out confirmation"], even_if_opted_out=True)
    await client.close()
    assert fake.to("+15550000004") == ["the opt-out confirmation"]


async def test_twilio_refusing_an_opted_out_number_is_recorded_and_stops_the_turn(fake, store):
    fake.blocked.add("+15550000005")
    client = messages_for(fake, store)
    await client.send("+15550000005", ["one", "two"])
    await client.close()
    assert store.is_opted_out("+15550000005") and fake.to("+15550000005") == []


# --- one turn as text messages ----------------------------------------------------------------


async def test_the_emergency_goes_out_at_once_first_and_alone(fake, store):
    client = messages_for(fake, store)
    out = TwilioSMSOutput(client, PHONE)
    # Rasa gives the conversation id (a hash) as the recipient; the phone is the output's own.
    await out.send_response(CONVERSATION, {"text": "Thank you, I've noted that.", "utter_action": "utter_noted"})
    await out.send_response(CONVERSATION, {"text": EMERGENCY_SMS, "utter_action": "utter_emergency"})
    assert fake.to(PHONE) == [EMERGENCY_SMS]  # before the rest of the turn
    await out.send_response(CONVERSATION, {"text": "Do you have cancer?", "buttons": YES_NO_UNSURE})
    await out.flush()
    await client.close()
    assert fake.to(PHONE) == [
        EMERGENCY_SMS,
        "Thank you, I've noted that.\nDo you have cancer?\nReply YES, NO or NOT SURE.",
    ]
    assert [c.payload for c in out.choices] == ["yes", "no", "not sure"]


async def test_a_long_emergency_text_is_split_but_never_joined_with_other_text(fake, store):
    default = response("utter_emergency")  # the longer, non-SMS wording
    client = messages_for(fake, store)
    out = TwilioSMSOutput(client, "+15550000006")
    await out.send_response(CONVERSATION, {"text": default, "utter_action": "utter_emergency"})
    await out.send_response(CONVERSATION, {"text": "ok", "utter_action": "utter_noted"})
    await out.flush()
    await client.close()
    sent = fake.to("+15550000006")
    assert sent[-1] == "ok" and " ".join(sent[:-1]) == default and sent[0].startswith(f"EMERGENCY: call {clinic.current().emergency_number} ")


async def test_unbuffered_messages_go_out_at_once(fake, store):
    client = messages_for(fake, store)
    out = TwilioSMSOutput(client, "+15550000007", buffered=False)
    await out.send_response(CONVERSATION, {"text": "A reminder \u2013 call us\u2026"})
    assert fake.to("+15550000007") == ["A reminder - call us..."]
    await client.close()


async def test_messages_rasa_sends_on_its_own_are_not_sent_to_the_conversation_id(fake, store):
    """An external trigger names only the conversation id, a hash that gives no number back."""
    client = messages_for(fake, store)
    out = TwilioSMSOutput(client, None, buffered=False)
    before = len(fake.all_sent())
    await out.send_response(CONVERSATION, {"text": "A reminder"})
    await client.close()
    assert len(fake.all_sent()) == before


def test_the_id_key_comes_from_sms_id_key_and_must_be_long(tmp_path):
    settings = SMSSettings.from_credentials(BASE, {"SMS_ID_KEY": "k" * 32})
    assert settings.id_key == "k" * 32
    with pytest.raises(SMSConfigError, match="SMS_ID_KEY"):
        SMSSettings.from_credentials(BASE, {"SMS_ID_KEY": "short"})
    assert SMSSettings.from_credentials(BASE, {}).id_key == ""  # then the store keeps one
