"""Bad input, end to end, through every channel: REST, socket.io (the website widget's
channel) and SMS (Twilio's webhook, signed as Twilio signs it; Twilio's API faked).

Each request gets a clear 4xx or a normal reply; the server stays up; conversations in
progress are not affected; and every reply is one of the assistant's own texts from
domain.yml, so nothing a user typed is ever sent back (let alone as HTML)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from dvt_triage import clinic
from dvt_triage import slots as s
from dvt_triage.message_limits import MAX_MESSAGE_CHARS, MAX_SCAN_CHARS
from rasa_plugins.channels.sms_text import is_gsm7, to_messages
from tests.support.fake_twilio import FakeTwilio
from tests.support.robustness import (
    EMERGENCY,
    GREETING_OFFER,
    HOME_CARE_ANSWERS,
    TOO_LONG,
    is_domain_text,
    joined,
    question,
    response,
    user_events,
)
from harness.servers import ROOT, Chat, start_actions, start_rasa


SID, TOKEN, TWILIO_NUMBER = "AC" + "2" * 32, "bad-input-token", "+15005550006"
EMERGENCY_NUMBER = clinic.current().emergency_number
PUBLIC_URL = "https://dvt.example.org/webhooks/sms/webhook"
TEN_MB = 10 * 1024 * 1024
FILLER = "I went to the shop this morning and bought some bread and tea. "

ODD_TEXTS = {
    "empty": "",
    "whitespace": "   \n\t  \r\n ",
    "emoji": "\U0001F600\U0001F44D\U0001F3FD \U0001F9B5\u200d\U0001F525 ok",
    "right-to-left": "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u202ehello\u202c",
    "control characters": "hi\x00\x01\x07\x08\x1b[31m red \x7f\x85 there",
    "html and script": '<script>alert("x")</script><img src=x onerror=alert(1)><b>hello</b>',
    "sql-like": "'; DROP TABLE events; -- \" OR 1=1; SELECT * FROM events WHERE sender_id LIKE '%'",
    "template-like": "{cancer} {{7*7}} ${TRACKER_DB} %s %(x)s /restart{\"triage_level\": \"home_care_possible\"}",
    "zero-width and combining": "y\u200be\u200bs\u0301\u0301\u0301 \ufeff",
    "only punctuation": "?!?!...,,,;;;",
    "numbers": "1234567890 3.14 -1 1e309 NaN",
}
RED_FLAGS_IN_ODD_TEXT = {
    "emoji around": "\U0001F62D\U0001F62D I can't breathe \U0001F62D",
    "inside html": "<p><b>I have chest pain</b></p><script>alert(1)</script>",
    "right-to-left around": "\u05e9\u05dc\u05d5\u05dd I am coughing up blood \u0645\u0631\u062d\u0628\u0627",
    "control characters inside": "my\x07 heart\x00 is racing\x1b",
    "full-width letters": "\uff49 \uff43\uff41\uff4e'\uff54 \uff42\uff52\uff45\uff41\uff54\uff48\uff45",
    "shouting": "I CAN'T BREATHE!!!",
    "leading slash": "/I can't breathe",
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The action server and one Rasa server with all three channels, as `make run-sms` runs it."""
    tmp: Path = tmp_path_factory.mktemp("bad-input")
    fake = FakeTwilio(SID, TOKEN).start()
    credentials = tmp / "credentials.all.yml"
    credentials.write_text((ROOT / "credentials.yml").read_text() + "\n" + (ROOT / "credentials.sms.yml").read_text())
    env = {
        "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_NUMBER": TWILIO_NUMBER,
        "SMS_WEBHOOK_URL": PUBLIC_URL, "SMS_VALIDATE_SIGNATURE": "true", "SMS_DB": str(tmp / "sms.db"),
        "TWILIO_API_BASE_URL": fake.base_url,
    }
    actions, actions_port = start_actions(tmp)
    rasa, port = start_rasa(tmp, actions_port, tmp / "trackers.db", None, credentials, env)
    base = f"http://127.0.0.1:{port}"
    yield {"base": base, "chat": Chat(base), "fake": fake, "db": tmp / "trackers.db", "rasa": rasa}
    rasa.stop()
    actions.stop()
    fake.stop()


def post(base: str, body: Any = None, data: Any = None, headers: Optional[dict] = None) -> requests.Response:
    return requests.post(
        f"{base}/webhooks/rest/webhook", json=body, data=data, headers=headers or {}, timeout=300
    )


def texts(r: requests.Response) -> list[str]:
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("application/json")
    replies = [m.get("text", "") for m in r.json()]
    assert replies, "no reply"
    for reply in replies:
        assert is_domain_text(reply), reply
    return replies


def assert_up(servers: dict) -> None:
    assert GREETING_OFFER in joined(texts(post(servers["base"], {"sender": f"up-{uuid.uuid4().hex}", "message": "hi"})))


# --- conversations that must not be affected ----------------------------------------------

def test_conversations_in_progress_before_the_bad_input(servers):
    """First: starts a REST conversation (mid-assessment) that the last test continues."""
    chat = servers["chat"]
    chat.send("bystander", "hi")
    chat.send("bystander", "yes")
    for slot in s.FORM_SLOTS[: s.FORM_SLOTS.index(s.CANCER)]:
        reply = chat.send("bystander", HOME_CARE_ANSWERS[slot])
    assert question(s.CANCER) in joined(reply)


# --- REST ---------------------------------------------------------------------------------

BAD_REST_BODIES = {
    "not JSON": (b"{not json", "application/json"),
    "binary": (bytes(range(256)) * 4, "application/json"),
    "invalid UTF-8 in JSON": (b'{"sender": "u", "message": "\xff\xfe hi"}', "application/json"),
    "form instead of JSON": (b"sender=u&message=hi", "application/x-www-form-urlencoded"),
    "empty body": (b"", "application/json"),
    "JSON list": (b'["u", "hi"]', "application/json"),
    "JSON string": (b'"hi"', "application/json"),
    "JSON number": (b"42", "application/json"),
    "JSON null": (b"null", "application/json"),
    "message a number": (b'{"sender": "u", "message": 5}', "application/json"),
    "message a list": (b'{"sender": "u", "message": ["hi"]}', "application/json"),
    "message null": (b'{"sender": "u", "message": null}', "application/json"),
    "message an object": (b'{"sender": "u", "message": {"text": "hi"}}', "application/json"),
    "message missing": (b'{"sender": "u"}', "application/json"),
    "sender missing": (b'{"message": "hi"}', "application/json"),
    "sender a number": (b'{"sender": 5, "message": "hi"}', "application/json"),
    "sender a list": (b'{"sender": ["u"], "message": "hi"}', "application/json"),
    "sender empty": (b'{"sender": "", "message": "hi"}', "application/json"),
    "sender with markup": (b'{"sender": "<script>alert(1)</script>", "message": "hi"}', "application/json"),
    "sender SQL-like": (b'{"sender": "u\'; DROP TABLE events;--", "message": "hi"}', "application/json"),
    "sender too long": (b'{"sender": "' + b"u" * 200 + b'", "message": "hi"}', "application/json"),
    "metadata not an object": (b'{"sender": "u", "message": "hi", "metadata": "x"}', "application/json"),
}


@pytest.mark.parametrize("case", BAD_REST_BODIES)
def test_rest_malformed_requests_get_400_with_a_reason(servers, case):
    data, content_type = BAD_REST_BODIES[case]
    r = post(servers["base"], data=data, headers={"Content-Type": content_type})
    assert r.status_code == 400, r.text[:300]
    assert r.json()["error"] == "bad_request" and r.json()["message"]
    assert "<script>" not in r.text


@pytest.mark.parametrize("case", ODD_TEXTS)
def test_rest_odd_text_gets_a_normal_reply_that_echoes_nothing(servers, case):
    user = f"odd-{uuid.uuid4().hex[:8]}"
    texts(post(servers["base"], {"sender": user, "message": ODD_TEXTS[case]}))
    # and mid-assessment, where the text is taken as an answer
    texts(post(servers["base"], {"sender": user, "message": "start the check"}))
    reply = texts(post(servers["base"], {"sender": user, "message": ODD_TEXTS[case]}))
    assert question(s.EMERGENCY_SCREEN) in joined(reply) or EMERGENCY in reply[0]


def test_rest_unpaired_surrogate_gets_a_normal_reply(servers):
    data = b'{"sender": "surrogate", "message": "\\ud800\\udfff\\udc00 hi"}'
    texts(post(servers["base"], data=data, headers={"Content-Type": "application/json"}))


@pytest.mark.parametrize("case", RED_FLAGS_IN_ODD_TEXT)
def test_rest_red_flags_in_odd_text_still_get_the_emergency_instruction(servers, case):
    reply = texts(post(servers["base"], {"sender": f"flag-{uuid.uuid4().hex[:8]}", "message": RED_FLAGS_IN_ODD_TEXT[case]}))
    assert EMERGENCY in reply[0]


def test_rest_html_answers_mid_assessment_and_after_the_outcome_are_never_echoed(servers):
    user, script = "html-answers", "<script>alert(document.cookie)</script>"
    texts(post(servers["base"], {"sender": user, "message": "hi"}))
    texts(post(servers["base"], {"sender": user, "message": "yes"}))
    for slot in s.FORM_SLOTS:
        reply = texts(post(servers["base"], {"sender": user, "message": f"{HOME_CARE_ANSWERS[slot]} {script}"}))
    assert "8. Cancer: no" in joined(reply)  # the read-back
    # During the read-back: not a confirmation, asked again, nothing echoed.
    unclear = texts(post(servers["base"], {"sender": user, "message": f"that's right {script}"}))
    assert response("utter_read_back_unclear") in joined(unclear)
    outcome = texts(post(servers["base"], {"sender": user, "message": "that's right"}))
    assert response("utter_outcome_home_care_possible").split(". ")[0] in joined(outcome)
    texts(post(servers["base"], {"sender": user, "message": script}))


def test_rest_message_at_the_limit_is_read_and_one_over_is_not(servers):
    at_limit = ("no " * MAX_MESSAGE_CHARS)[: MAX_MESSAGE_CHARS]
    assert TOO_LONG not in joined(texts(post(servers["base"], {"sender": "limit", "message": at_limit})))
    over = texts(post(servers["base"], {"sender": "limit", "message": at_limit + "x"}))
    assert TOO_LONG in joined(over) and f"call {EMERGENCY_NUMBER} now" in joined(over)


def test_rest_100_kb_messages(servers):
    base = servers["base"]
    plain = FILLER * (100_000 // len(FILLER))
    assert TOO_LONG in joined(texts(post(base, {"sender": "long-plain", "message": plain})))
    early = FILLER * 150 + "I can't breathe. " + plain
    assert EMERGENCY in texts(post(base, {"sender": "long-early-flag", "message": early}))[0]
    # Beyond the part checked for emergency signs: "too long", which itself gives the emergency number.
    late = FILLER * (MAX_SCAN_CHARS // len(FILLER) + 20) + "I can't breathe. "
    reply = joined(texts(post(base, {"sender": "long-late-flag", "message": late})))
    assert TOO_LONG in reply and f"call {EMERGENCY_NUMBER} now" in reply


def test_rest_too_long_mid_assessment_asks_the_same_question_again(servers):
    chat, user = servers["chat"], "long-mid"
    chat.send(user, "hi")
    chat.send(user, "yes")
    chat.send(user, "no")
    reply = joined(chat.send(user, "yes " + FILLER * 100))
    assert TOO_LONG in reply and question(s.CLOT_SMALL_STABLE) not in reply
    assert question(s.DIAGNOSIS_CONFIRMED) in reply
    assert question(s.CLOT_SMALL_STABLE) in joined(chat.send(user, "yes"))


def test_rest_too_long_reply_to_are_you_having_this_now_asks_it_again(servers):
    chat, user = servers["chat"], "long-right-now"
    asked = joined(chat.send(user, "my mom had chest pain"))
    now_question = response("utter_ask_red_flag_now")
    assert now_question in asked
    reply = joined(chat.send(user, FILLER * 100))
    assert TOO_LONG in reply and now_question in reply and EMERGENCY not in reply
    assert EMERGENCY in chat.send(user, "yes")[0]


def test_rest_10_mb_bodies_get_413(servers):
    body = b'{"sender": "huge", "message": "' + b"a" * TEN_MB + b'"}'
    r = post(servers["base"], data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield b'{"sender": "huge", "message": "'
        for _ in range(TEN_MB // 65536):
            yield b"a" * 65536
        yield b'"}'

    try:
        chunked = post(servers["base"], data=chunks(), headers={"Content-Type": "application/json"})
        assert chunked.status_code == 413
    except requests.ConnectionError:
        pass  # the server may close the connection while the client is still sending
    assert_up(servers)


def test_rest_a_conversation_of_hundreds_of_turns_still_works(servers):
    chat, user = servers["chat"], "marathon"
    faqs = {
        "what is a DVT?": "utter_faq_what_is_dvt",
        "should I wear compression stockings?": "utter_faq_compression",
        "will my insurance cover it?": "utter_faq_insurance",
        "how do I book an appointment?": "utter_faq_booking",
        "what should I eat with a blood clot?": "utter_faq_diet",
        "why do I need an ultrasound?": "utter_faq_ultrasound",
    }
    messages = list(faqs) * 40
    for message in messages:
        assert response(faqs[message]).split(". ")[0] in joined(chat.send(user, message)), message
    chat.send(user, "start the check")
    for slot in s.FORM_SLOTS:
        reply = joined(chat.send(user, HOME_CARE_ANSWERS[slot]))
    assert "11. Clotting disorder: no" in reply  # the read-back
    reply = joined(chat.send(user, "that's right"))
    assert response("utter_outcome_home_care_possible").split(". ")[0] in reply
    assert len(user_events(servers["db"], user)) == len(messages) + 1 + len(s.FORM_SLOTS) + 1


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    message=st.text(alphabet=st.characters(exclude_categories=()), max_size=2500),
    sender=st.one_of(st.text(max_size=20), st.from_regex(r"[A-Za-z0-9_.:@+-]{1,30}", fullmatch=True)),
)
def test_rest_any_message_from_any_sender_gets_400_or_a_reply_never_5xx(servers, message, sender):
    r = post(servers["base"], {"sender": sender, "message": message})
    assert r.status_code in (200, 400), (r.status_code, r.text[:300])
    if r.status_code == 200:
        texts(r)


# --- socket.io (the website widget) ---------------------------------------------------------

class Widget:
    """The chat widget's side of the socket.io channel."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.session_id = uuid.uuid4().hex
        self.client.on("bot_uttered", self._on_reply)

    async def _on_reply(self, data: dict) -> None:
        await self.replies.put(data.get("text", ""))

    async def open(self) -> "Widget":
        confirmed = asyncio.Event()

        def on_confirm(session_id: str) -> None:  # the server issues the session id
            self.session_id = session_id
            confirmed.set()

        self.client.on("session_confirm", on_confirm)
        await self.client.connect(self.base, transports=["websocket"], socketio_path="socket.io")
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(confirmed.wait(), 60)
        return self

    async def emit(self, payload: Any) -> None:
        await self.client.emit("user_uttered", payload)

    async def say(self, text: str, until: str = "") -> list[str]:
        """Sends a message; returns the replies (see `collect`)."""
        await self.emit({"message": text, "session_id": self.session_id})
        return await self.collect(until=until)

    async def collect(self, quiet: float = 2.0, until: str = "", timeout: float = 120) -> list[str]:
        """Replies until none came for `quiet` s after the first (and after one containing
        `until`, if given)."""
        replies = [await asyncio.wait_for(self.replies.get(), timeout)]
        while until and until not in joined(replies):
            replies.append(await asyncio.wait_for(self.replies.get(), timeout))
        while True:
            try:
                replies.append(await asyncio.wait_for(self.replies.get(), quiet))
            except asyncio.TimeoutError:
                break
        for reply in replies:
            assert is_domain_text(reply), reply
        return replies

    async def close(self) -> None:
        await self.client.disconnect()


@pytest.mark.parametrize("case", ODD_TEXTS)
async def test_socketio_odd_text_gets_a_normal_reply_that_echoes_nothing(servers, case):
    widget = await Widget(servers["base"]).open()
    try:
        assert await widget.say(ODD_TEXTS[case])
        assert GREETING_OFFER in joined(await widget.say("hi"))
    finally:
        await widget.close()


async def test_socketio_red_flags_in_odd_text_and_long_messages(servers):
    widget = await Widget(servers["base"]).open()
    try:
        assert TOO_LONG in joined(await widget.say(FILLER * (100_000 // len(FILLER))))
        assert TOO_LONG not in joined(await widget.say("\ud800 hello \udfff"))
        for text in RED_FLAGS_IN_ODD_TEXT.values():
            assert "EMERGENCY" in (await widget.say(text))[0], text
    finally:
        await widget.close()


async def test_socketio_malformed_events_do_not_break_the_channel(servers):
    widget, other = await Widget(servers["base"]).open(), await Widget(servers["base"]).open()
    try:
        for payload in (
            {"message": 5, "session_id": widget.session_id},
            {"message": ["hi"], "session_id": widget.session_id},
            {"message": None, "session_id": widget.session_id},
            {"message": {"text": "hi"}, "session_id": widget.session_id},
            {"message": "hi"},  # no session
            {"message": "hi", "session_id": None},
            "just a string",
            [1, 2, 3],
            None,
        ):
            await widget.emit(payload)
        # The same socket, and another one, still get their answers.
        assert GREETING_OFFER in joined(await widget.say("hi", until=GREETING_OFFER))
        assert GREETING_OFFER in joined(await other.say("hi"))
        assert widget.client.connected
    finally:
        await widget.close()
        await other.close()
    assert_up(servers)


async def test_socketio_a_message_over_the_socket_size_limit_closes_only_that_socket(servers):
    widget, other = await Widget(servers["base"]).open(), await Widget(servers["base"]).open()
    try:
        await widget.emit({"message": "a" * 2_000_000, "session_id": widget.session_id})
        for _ in range(120):
            if not widget.client.connected:
                break
            await asyncio.sleep(0.5)
        assert not widget.client.connected
        assert GREETING_OFFER in joined(await other.say("hi"))
    finally:
        await other.close()
        if widget.client.connected:
            await widget.close()


# --- SMS ----------------------------------------------------------------------------------

class Phone:
    """A phone texting the Twilio number; reads what Twilio was asked to send back."""

    def __init__(self, servers: dict) -> None:
        self.servers = servers
        self.number = f"+1555{uuid.uuid4().int % 10**7:07d}"

    def params(self, body: str) -> dict:
        return {
            "MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": SID, "From": self.number, "To": TWILIO_NUMBER,
            "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
        }

    def post(self, data: Any, headers: dict) -> tuple[int, list[str]]:
        fake: FakeTwilio = self.servers["fake"]
        before = len(fake.to(self.number))
        r = requests.post(f"{self.servers['base']}/webhooks/sms/webhook", data=data, headers=headers, timeout=300)
        return r.status_code, fake.to(self.number)[before:]

    def text(self, body: str) -> list[str]:
        params = self.params(body)
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL, params)
        status, received = self.post(params, {"X-Twilio-Signature": signature})
        assert status == 200, status
        assert received, "no SMS sent back"
        assert all(is_gsm7(m) for m in received)
        return received


def sms(name: str) -> str:
    return joined(to_messages([response(name)]))


@pytest.mark.parametrize("case", ODD_TEXTS)
def test_sms_odd_text_gets_a_normal_reply(servers, case):
    received = joined(Phone(servers).text(ODD_TEXTS[case]))
    if not ODD_TEXTS[case].strip():
        assert received == sms("utter_sms_text_only")


@pytest.mark.parametrize("case", RED_FLAGS_IN_ODD_TEXT)
def test_sms_red_flags_in_odd_text_still_get_the_emergency_instruction(servers, case):
    assert Phone(servers).text(RED_FLAGS_IN_ODD_TEXT[case])[0].startswith(f"EMERGENCY: call {EMERGENCY_NUMBER} ")


def test_sms_long_messages_are_answered(servers):
    phone = Phone(servers)
    assert "too long for me to read" in joined(phone.text(FILLER * (100_000 // len(FILLER))))
    assert Phone(servers).text(FILLER * 100 + "I can't breathe.")[0].startswith(f"EMERGENCY: call {EMERGENCY_NUMBER} ")


def signed(params: dict) -> dict:
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC_URL, params)}


def test_sms_malformed_or_unsigned_requests_get_4xx_and_send_nothing(servers):
    phone = Phone(servers)
    params = phone.params("hi")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cases = {
        "unsigned": (params, {}),
        "wrong signature": (params, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}),
        "invalid UTF-8": (b"From=%2B15550001111&Body=\xff\xfe\xfd", {**form, **signed(params)}),
        "binary": (bytes(range(256)) * 8, {**form, "X-Twilio-Signature": "x"}),
        "JSON instead of a form": (b'{"From": "+15550001111", "Body": "hi"}', {"Content-Type": "application/json"}),
        "signed but no sender": ({k: v for k, v in params.items() if k != "From"},
                                 signed({k: v for k, v in params.items() if k != "From"})),
    }
    for case, (data, headers) in cases.items():
        status, received = phone.post(data, headers)
        assert 400 <= status < 500, (case, status)
        assert received == [], case
    status, _ = phone.post({**params, "Body": "a" * TEN_MB}, {})
    assert status == 413


# --- afterwards -----------------------------------------------------------------------------

def test_the_server_stayed_up_and_the_conversation_in_progress_goes_on(servers):
    """Last: everything above did not disturb a conversation in progress."""
    assert servers["rasa"].proc.poll() is None
    assert_up(servers)
    chat = servers["chat"]
    assert question(s.KIDNEY_DISEASE) in joined(chat.send("bystander", "no"))
    reply = ""
    for slot in s.FORM_SLOTS[s.FORM_SLOTS.index(s.KIDNEY_DISEASE):]:
        reply = joined(chat.send("bystander", HOME_CARE_ANSWERS[slot]))
    assert "8. Cancer: no" in reply  # the read-back
    reply = joined(chat.send("bystander", "that's right"))
    assert response("utter_outcome_home_care_possible").split(". ")[0] in reply
