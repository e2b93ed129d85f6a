"""Twilio's Messages REST API on loopback: records what would have been sent to each phone,
and can answer like Twilio does when a number opted out (21610) or when it has a bad moment
(500). Runs in a thread, so synchronous and asynchronous tests can use it alike."""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass
from typing import Optional

from aiohttp import BasicAuth, web


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
