"""Starts the action server and `rasa run` on free loopback ports, as a user would meet them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The same request-size limit as scripts/serve.sh (Sanic reads SANIC_-prefixed variables).
REQUEST_MAX_BYTES = os.environ.get("REQUEST_MAX_BYTES", "1000000")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(url: str, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not up after {timeout} s:\n{log.read_text()[-3000:]}")


def latest_model() -> Path:
    if os.environ.get("DVT_MODEL"):
        return ROOT / os.environ["DVT_MODEL"]
    models = sorted((ROOT / "models").glob("dvt-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError("no trained model: run `make train`")
    return models[-1]


def stop_process(proc: Optional[subprocess.Popen], sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Ask a child process to stop with `sig`; kill it if it is still there after `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Server:
    """One background server process with its log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = open(log, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        stop_process(self.proc)
        self._log_file.close()


def start_actions(tmp: Path, port: Optional[int] = None) -> tuple[Server, int]:
    port = port or free_port()
    # rasa_sdk 3.6 binds to SANIC_HOST (default 0.0.0.0): loopback only, as scripts/serve.sh does.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SANIC_HOST": "127.0.0.1"}
    server = Server(
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
        env,
        tmp / f"actions-{port}.log",
    )
    wait_until(f"http://127.0.0.1:{port}/health", 120, server.proc, server.log)
    return server, port


def start_rasa(
    tmp: Path,
    actions_port: int,
    db: Path,
    port: Optional[int] = None,
    credentials: Path = ROOT / "credentials.yml",
    extra_env: Optional[dict[str, str]] = None,
    cors: tuple[str, ...] = (),
    api_token: Optional[str] = None,
) -> tuple[Server, int]:
    """`credentials` and `extra_env` let a channel's tests add that channel (e.g. SMS);
    `cors` lists the web origins allowed to call it (`rasa run --cors`, the chat widget page);
    `api_token` enables Rasa's HTTP API behind that token (off by default, as in serve.sh)."""
    port = port or free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "TRACKER_DB": str(db),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SANIC_REQUEST_MAX_SIZE": REQUEST_MAX_BYTES,
        **({"CORS_ORIGINS": " ".join(cors)} if cors else {}),
        **(extra_env or {}),
    }
    server = Server(
        [
            str(BIN / "rasa"), "run", "--model", str(latest_model()), "--port", str(port),
            "--endpoints", "endpoints.yml", "--credentials", str(credentials), "--interface", "127.0.0.1",
            *(["--cors", *cors] if cors else []),
            *(["--enable-api", "--auth-token", api_token] if api_token else []),
        ],
        env,
        tmp / f"rasa-{port}.log",
    )
    wait_until(f"http://127.0.0.1:{port}/", 300, server.proc, server.log)
    # "/" answers before the model is loaded; wait for a real reply.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            r = requests.post(
                f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                json={"sender": "__warmup__", "message": "hi"},
                timeout=30,
            )
            if r.status_code == 200 and r.json():
                return server, port
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(server.log.read_text()[-3000:])


@contextmanager
def running_assistant(tmp: Path, with_actions: bool = True) -> Iterator["Chat"]:
    actions: Optional[Server] = None
    actions_port = free_port()
    if with_actions:
        actions, actions_port = start_actions(tmp, actions_port)
    rasa, port = start_rasa(tmp, actions_port, tmp / "trackers.db")
    try:
        yield Chat(f"http://127.0.0.1:{port}")
    finally:
        rasa.stop()
        if actions:
            actions.stop()


class Chat:
    """Talks to the REST channel as a user; returns the texts the bot replied with."""

    def __init__(self, base: str) -> None:
        self.base = base

    def send(self, sender: str, message: str) -> list[str]:
        r = requests.post(
            f"{self.base}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
        r.raise_for_status()
        return [m.get("text", "") for m in r.json()]


class WidgetSocket:
    """The chat widget's side of the socket.io channel, as a client that can also misbehave:
    it asks for any session id, and emits any event with any payload."""

    def __init__(self, base: str) -> None:
        import socketio  # python-socketio's client; only the socket.io tests need it

        self.base = base
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: "asyncio.Queue[str]" = asyncio.Queue()
        self.session_id: Optional[str] = None
        self._confirmed: "asyncio.Queue[str]" = asyncio.Queue()
        self.client.on("bot_uttered", self._on_reply)
        self.client.on("session_confirm", self._confirmed.put)

    async def _on_reply(self, data: dict) -> None:
        await self.replies.put(data.get("text", ""))

    async def connect(self) -> "WidgetSocket":
        await self.client.connect(self.base, transports=["websocket"], socketio_path="socket.io")
        return self

    async def request_session(self, data: object = None) -> str:
        """Sends `session_request` with `data` as it is; returns the id the server confirmed."""
        await self.client.emit("session_request", data if data is not None else {})
        self.session_id = await asyncio.wait_for(self._confirmed.get(), 60)
        return self.session_id

    async def say(self, text: str, until: str = "", quiet: float = 2.0) -> list[str]:
        """Sends a message into the joined session; the replies until none came for `quiet` s
        (after one containing `until`, if given)."""
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        replies = [await asyncio.wait_for(self.replies.get(), 120)]
        while until and until not in "\n".join(replies):
            replies.append(await asyncio.wait_for(self.replies.get(), 120))
        return replies + await self.pending(quiet)

    async def pending(self, quiet: float = 2.0) -> list[str]:
        """Whatever replies arrive until none came for `quiet` s."""
        replies = []
        while True:
            try:
                replies.append(await asyncio.wait_for(self.replies.get(), quiet))
            except asyncio.TimeoutError:
                return replies

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()
