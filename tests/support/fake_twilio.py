"""Twilio's Messages REST API on loopback: records what would have been sent to each phone,
and can answer like Twilio does when a number opted out (21610) or when it has a bad moment
(500). Runs in a thread, so synchronous and asynchronous tests can use it alike.
Also a patient's `Phone`, which texts the Twilio number as Twilio would post it (signed), and
`sms_server_settings`, the credentials and environment `make run-sms` gives the Rasa server."""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import requests
from aiohttp import BasicAuth, web
from twilio.request_validator import RequestValidator

from rasa_plugins.channels.sms_text import MAX_SMS_LENGTH, is_gsm7, sms_length

TWILIO_NUMBER = "+15005550006"
# What Twilio is configured with: a public URL behind a proxy, not the loopback one the server sees.
PUBLIC_URL = "https://dvt.example.org/webhooks/sms/webhook"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sent:
    to: str
    from_: str
    body: str


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sent: list[Sent] = []
        self.unauthorised = 0
        self.fail_next: list[int] = []  # statuses to answer the next requests with
        self.blocked: set[str] = set()  # numbers Twilio refuses with 21610 (opted out at Twilio)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: Optional[web.AppRunner] = None
        self.base_url = ""

    def start(self) -> "FakeTwilio":
        ready = threading.Event()

        async def serve() -> None:
            app = web.Application()
            app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._messages)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            host, port = self._runner.addresses[0][:2]
            self.base_url = f"http://{host}:{port}"
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise TimeoutError("fake Twilio did not start")
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)

    def to(self, phone: str) -> list[str]:
        """The bodies sent to `phone`, in order."""
        with self._lock:
            return [m.body for m in self.sent if m.to == phone]

    def all_sent(self) -> list[Sent]:
        with self._lock:
            return list(self.sent)

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            auth = None
        if (
            request.match_info["sid"] != self.account_sid
            or auth is None
            or (auth.login, auth.password) != (self.account_sid, self.auth_token)
        ):
            with self._lock:
                self.unauthorised += 1
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        form = await request.post()
        message = Sent(str(form.get("To", "")), str(form.get("From", "")), str(form.get("Body", "")))
        with self._lock:
            if self.fail_next:
                status = self.fail_next.pop(0)
                return web.json_response(
                    {"code": 20500, "message": "Internal error", "status": status}, status=status
                )
            if message.to in self.blocked:
                return web.json_response(
                    {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400},
                    status=400,
                )
            self.sent.append(message)
        return web.json_response(
            {"sid": f"SM{uuid.uuid4().hex}", "status": "queued", "to": message.to, "body": message.body},
            status=201,
        )


def sms_server_settings(tmp: Path, fake: FakeTwilio, **overrides: str) -> tuple[Path, dict[str, str]]:
    """The credentials file (REST, socket.io and SMS) and environment `make run-sms` builds."""
    credentials = tmp / "credentials.all.yml"
    credentials.write_text((ROOT / "credentials.yml").read_text() + "\n" + (ROOT / "credentials.sms.yml").read_text())
    env = {
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_NUMBER": TWILIO_NUMBER,
        "SMS_WEBHOOK_URL": PUBLIC_URL,
        "SMS_VALIDATE_SIGNATURE": "true",
        "SMS_DB": str(tmp / "sms.db"),
        "TWILIO_API_BASE_URL": fake.base_url,
        **overrides,
    }
    return credentials, env


class Phone:
    """A patient's phone: texts the Twilio number (signed as Twilio signs), and reads what
    Twilio was asked to send it. `env` holds the fake Twilio (`fake`) and the server (`base`)."""

    def __init__(self, env: dict, number: Optional[str] = None) -> None:
        self.env = env
        self.number = number or f"+1555{uuid.uuid4().int % 10**7:07d}"
        self.status = 0
        self.content_type = ""

    def post(self, params: dict, headers: dict) -> list[str]:
        """Posts the webhook request as given; returns what was sent to this phone meanwhile."""
        fake: FakeTwilio = self.env["fake"]
        before = len(fake.to(self.number))
        r = requests.post(f"{self.env['base']}/webhooks/sms/webhook", data=params, headers=headers, timeout=180)
        self.status = r.status_code
        self.content_type = r.headers.get("Content-Type", "")
        received = fake.to(self.number)[before:]
        for message in received:
            assert is_gsm7(message) and sms_length(message) <= MAX_SMS_LENGTH, message
        return received

    def params(self, body: str, num_media: int = 0) -> dict:
        fake: FakeTwilio = self.env["fake"]
        params = {
            "ToCountry": "US",
            "SmsMessageSid": f"SM{uuid.uuid4().hex}",
            "NumMedia": str(num_media),
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": fake.account_sid,
            "From": self.number,
            "To": TWILIO_NUMBER,
            "Body": body,
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        for i in range(num_media):
            params[f"MediaContentType{i}"] = "image/jpeg"
            params[f"MediaUrl{i}"] = (
                f"https://api.twilio.com/2010-04-01/Accounts/{fake.account_sid}/Messages/x/Media/ME{i}"
            )
        return params

    def signature(self, params: dict) -> dict:
        return {"X-Twilio-Signature": RequestValidator(self.env["fake"].auth_token).compute_signature(PUBLIC_URL, params)}

    def text(self, body: str, num_media: int = 0) -> list[str]:
        params = self.params(body, num_media)
        received = self.post(params, self.signature(params))
        assert self.status == 200, self.status
        return received
