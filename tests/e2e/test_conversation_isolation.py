"""Attacks on one patient's conversation, end to end, as an outside security probe made them.

One Rasa server with REST, socket.io and SMS (Twilio faked, requests signed as Twilio signs
them) and the real action server. An SMS patient and a website patient are mid-check; an
attacker who knows the SMS patient's number, and who can open sockets and post to any
channel, tries to read or change their conversations. Every assertion is on what the
attacker gets, what the patients get, and the conversations as the tracker store holds them.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Iterator

import pytest
import requests

from dvt_triage import slots as s
from rasa_plugins.channels.conversation_ids import is_web_id, sms_conversation_id
from tests.support.fake_twilio import FakeTwilio, Phone, sms_server_settings
from tests.support.robustness import GREETING_OFFER, events, joined, question, user_events
from harness.servers import Chat, Server, WidgetSocket, start_actions, start_rasa


SMS_ID_KEY = "e2e-security-key-" + "7" * 20
FIRST_QUESTION = question(s.EMERGENCY_SCREEN).split(". ")[0]  # "Before we start, an important safety question"
OVERSIZED = "web:" + "a" * 900_000
# What Python prints for an exception nobody handled, and Sanic for a closed websocket.
TRACEBACK_MARKS = ("Traceback", "Task exception was never retrieved", "Invalid response type")


@pytest.fixture(scope="module")
def attack(tmp_path_factory) -> Iterator[dict]:
    tmp: Path = tmp_path_factory.mktemp("e2e-security")
    fake = FakeTwilio("AC" + "5" * 32, "attack-token").start()
    credentials, env = sms_server_settings(tmp, fake, SMS_ID_KEY=SMS_ID_KEY)
    actions, actions_port = start_actions(tmp)
    rasa, port = start_rasa(tmp, actions_port, tmp / "trackers.db", credentials=credentials, extra_env=env)
    base = f"http://127.0.0.1:{port}"
    state = {"fake": fake, "base": base, "db": tmp / "trackers.db", "rasa": rasa, "chat": Chat(base)}
    patient = Phone(state)
    assert GREETING_OFFER in joined(patient.text("hi"))
    assert FIRST_QUESTION in joined(patient.text("1"))  # "Start the check"
    assert question(s.DIAGNOSIS_CONFIRMED).split("?")[0] in joined(patient.text("NO"))  # screen: no
    state.update(patient=patient, sms_id=sms_conversation_id(patient.number, SMS_ID_KEY))
    yield state
    server: Server = rasa
    server.stop()
    actions.stop()
    fake.stop()


def post_rest(base: str, sender: str, message: str, content_type: str = "application/json") -> requests.Response:
    return requests.post(
        f"{base}/webhooks/rest/webhook", data=json.dumps({"sender": sender, "message": message}),
        headers={"Content-Type": content_type}, timeout=120,
    )


def stored_ids(db: Path) -> list[str]:
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        return [row[0] for row in conn.execute("SELECT DISTINCT sender_id FROM events")]


# --- REST -------------------------------------------------------------------------------------

def test_rest_with_the_patients_number_gets_a_conversation_of_its_own(attack):
    """The probe: a REST message from the patient's number got their current question, and
    eleven "no"s their outcome and summary."""
    chat, patient, sms_id = attack["chat"], attack["patient"], attack["sms_id"]
    before = events(attack["db"], sms_id)
    reply = joined(chat.send(patient.number, "no"))
    assert question(s.CLOT_SMALL_STABLE).split("?")[0] not in reply  # not the patient's next question
    for _ in range(11):
        reply = joined(chat.send(patient.number, "no"))
    assert "Summary" not in reply and "Clot confirmed by a scan" not in reply
    assert events(attack["db"], sms_id) == before  # the patient's conversation untouched
    assert patient.number not in [i for i in stored_ids(attack["db"]) if i.startswith("sms:")]
    # The patient carries on where they were.
    assert question(s.CLOT_SMALL_STABLE).split("?")[0] in joined(patient.text("YES"))


@pytest.mark.parametrize("form", ["exact", "upper case", "other number"])
def test_rest_cannot_name_an_sms_or_website_conversation(attack, form):
    sms_id = attack["sms_id"]
    sender = {"exact": sms_id, "upper case": sms_id.upper(), "other number": "web:" + "0" * 32}[form]
    before = events(attack["db"], sms_id)
    r = post_rest(attack["base"], sender, "no")
    assert r.status_code == 400 and "other channels" in r.json()["message"]
    assert events(attack["db"], sms_id) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          ""])
def test_rest_refuses_what_a_cross_site_form_or_fetch_can_send_without_asking(attack, content_type):
    """A page on any site can make the patient's browser post these without a CORS preflight."""
    sender = "csrf-victim-" + content_type.replace("/", "-")
    r = post_rest(attack["base"], sender, "I'm coughing up blood", content_type)
    assert r.status_code == 400 and "application/json" in r.json()["message"]
    assert events(attack["db"], sender) == []
    assert post_rest(attack["base"], sender, "hi", "application/json; charset=utf-8").status_code == 200


# --- socket.io --------------------------------------------------------------------------------

async def test_socketio_cannot_join_or_send_into_another_conversation(attack):
    victim = await WidgetSocket(attack["base"]).connect()
    attacker = await WidgetSocket(attack["base"]).connect()
    sms_id, number = attack["sms_id"], attack["patient"].number
    try:
        victim_id = await victim.request_session()
        assert is_web_id(victim_id)
        assert GREETING_OFFER in joined(await victim.say("hi", until=GREETING_OFFER))
        victim_events = events(attack["db"], victim_id)
        sms_events = events(attack["db"], sms_id)
        # Asking for another channel's id, or one the server did not issue, gives a fresh id.
        for wanted in (number, sms_id, victim_id[:-1] + "g", "abc123", "../../x", "web:\x00"):
            got = await attacker.request_session({"session_id": wanted})
            assert is_web_id(got) and got not in (wanted, victim_id), wanted
        # Sending into a session the socket has not joined is refused.
        for target in (victim_id, sms_id, number):
            await attacker.client.emit("user_uttered", {"message": "yes", "session_id": target})
        assert await attacker.pending() == [] and await victim.pending() == []
        assert events(attack["db"], victim_id) == victim_events
        assert events(attack["db"], sms_id) == sms_events
        # The victim's next reply goes to the victim only.
        assert FIRST_QUESTION in joined(await victim.say("yes", until=FIRST_QUESTION))
        assert await attacker.pending() == []
    finally:
        await victim.close()
        await attacker.close()


async def test_a_reload_keeps_the_session_the_server_issued(attack):
    tab = await WidgetSocket(attack["base"]).connect()
    session_id = await tab.request_session()
    await tab.say("hi", until=GREETING_OFFER)
    await tab.close()
    reloaded = await WidgetSocket(attack["base"]).connect()
    try:
        assert await reloaded.request_session({"session_id": session_id}) == session_id
        assert FIRST_QUESTION in joined(await reloaded.say("yes", until=FIRST_QUESTION))
    finally:
        await reloaded.close()


async def test_oversized_and_odd_ids_are_never_stored(attack):
    size_before = sum(f.stat().st_size for f in attack["db"].parent.glob("trackers.db*"))
    socket = await WidgetSocket(attack["base"]).connect()
    try:
        for wanted in (OVERSIZED, OVERSIZED, OVERSIZED, "../../x", "a\x00b"):
            got = await socket.request_session({"session_id": wanted})
            assert is_web_id(got)
            await socket.client.emit("user_uttered", {"message": "hi", "session_id": wanted})
            await socket.say("hi")
    finally:
        await socket.close()
    assert post_rest(attack["base"], OVERSIZED[:200_000], "hi").status_code == 400
    ids = stored_ids(attack["db"])
    assert max(len(i) for i in ids) <= 128
    assert not [i for i in ids if "\x00" in i or "/" in i or i in ("../../x", "a\x00b")]
    size_after = sum(f.stat().st_size for f in attack["db"].parent.glob("trackers.db*"))
    assert size_after - size_before < 1_000_000  # the 900 KB id added 16 MB before


async def test_malformed_events_and_closed_tabs_are_refused_without_a_traceback(attack):
    log: Path = attack["rasa"].log
    start = log.stat().st_size
    socket = await WidgetSocket(attack["base"]).connect()
    try:
        own = await socket.request_session()
        for payload in ("just a string", [1, 2, 3], None, 5, {"message": 5, "session_id": own},
                        {"message": ["hi"], "session_id": own}, {"message": "hi", "session_id": own, "metadata": "{"},
                        {"message": "hi", "session_id": own, "metadata": [1]}):
            await socket.client.emit("user_uttered", payload)
        for payload in ("just a string", [1, 2], 5):
            await socket.client.emit("session_request", payload)
            assert is_web_id(await asyncio.wait_for(socket._confirmed.get(), 60))
        await socket.client.eio.send('2["user_uttered", {"message": ')  # not even valid JSON
        assert await socket.pending() == []
        assert user_events(attack["db"], own) == []  # every one refused
        socket.session_id = own = await socket.request_session({"session_id": own})
        assert GREETING_OFFER in joined(await socket.say("hi", until=GREETING_OFFER))  # still works
    finally:
        await socket.close()
    for _ in range(5):  # closed tabs
        tab = await WidgetSocket(attack["base"]).connect()
        await tab.request_session()
        await tab.close()
    await asyncio.sleep(2)
    with open(log, errors="replace") as f:
        f.seek(start)
        written = f.read()
    assert "message refused" in written
    assert not [mark for mark in TRACEBACK_MARKS if mark in written], written[-3000:]


# --- SMS --------------------------------------------------------------------------------------

def test_a_replayed_signed_sms_is_acknowledged_and_not_processed_again(attack):
    phone = Phone(attack)
    params = phone.params("hi")
    signed = phone.signature(params)
    first = phone.post(params, signed)
    assert phone.status == 200 and GREETING_OFFER in joined(first)
    conversation = sms_conversation_id(phone.number, SMS_ID_KEY)
    for _ in range(3):  # a replay, or Twilio's own retry
        assert phone.post(params, signed) == []
        assert phone.status == 200 and phone.content_type.startswith("text/xml")
    assert [e["text"] for e in user_events(attack["db"], conversation)] == ["hi"]
    # A new message (new MessageSid) from the same phone is answered as usual.
    assert FIRST_QUESTION in joined(phone.text("1"))


def test_sms_conversations_are_stored_under_keyed_hashes_only(attack):
    ids = stored_ids(attack["db"])
    sms_ids = [i for i in ids if i.startswith("sms:")]
    assert attack["sms_id"] in sms_ids
    assert all(len(i) == 36 for i in sms_ids) and attack["patient"].number not in sms_ids
    with closing(sqlite3.connect(attack["db"], timeout=30)) as conn:
        raw = conn.execute("SELECT COUNT(*) FROM events WHERE sender_id LIKE 'sms:%' AND data LIKE ?",
                           (f"%{attack['patient'].number[2:]}%",)).fetchone()[0]
    assert raw == 0  # nor in any SMS event
