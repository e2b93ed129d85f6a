"""Helpers for the fault, bad-input and security tests: the patient-facing wording (read from
domain.yml, never copied), the conversation as stored in the SQLite tracker store, and an
action server that misbehaves on purpose."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from contextlib import closing
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

import yaml

from dvt_triage import clinic
from dvt_triage import slots as s

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def _responses() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]


def raw_response(name: str, channel: Optional[str] = None) -> str:
    """A domain response's text as written, placeholders and all (`channel`'s variant, or
    the default one)."""
    variants = _responses()[name]
    chosen = [v for v in variants if v.get("channel") == channel] or [v for v in variants if not v.get("channel")]
    return chosen[0]["text"]


def response(name: str, channel: Optional[str] = None, settings: Optional[clinic.Clinic] = None) -> str:
    """A domain response's text as the patient reads it: the clinic's details filled in from
    `settings` (default: this process's, from clinic.yml)."""
    return (settings or clinic.current()).fill(raw_response(name, channel))


def question(slot: str) -> str:
    return response(f"utter_ask_{slot}")


@lru_cache(maxsize=1)
def _domain_texts() -> list["re.Pattern[str]"]:
    """Every text the assistant can send, as a pattern: the clinic's details filled in, its
    {slot} placeholders (the answer summary's) match an answer value only."""
    value = "(?:" + "|".join((*s.ANSWER_VALUES, "None")) + ")"
    patterns = []
    for variants in _responses().values():
        for variant in variants:
            if variant.get("text"):
                parts = re.split(r"\{\w+\}", clinic.current().fill(variant["text"]))
                patterns.append(re.compile(value.join(re.escape(p) for p in parts)))
    return patterns


def is_domain_text(text: str) -> bool:
    """Whether a reply is one of the assistant's own texts (and so echoes nothing a user typed)."""
    return any(p.fullmatch(text) for p in _domain_texts())


def first_sentence(name: str) -> str:
    """A response's first sentence: enough to recognise it in a reply."""
    return response(name).split(". ")[0]


EMERGENCY = first_sentence("utter_emergency")
UNAVAILABLE = first_sentence("utter_assessment_unavailable")
TOO_LONG = first_sentence("utter_message_too_long")
GREETING_OFFER = response("utter_greet").split(". ")[-1]  # "Would you like to start the check?"
# Answers that lead to "home care possible": conditions yes, exclusions no.
HOME_CARE_ANSWERS = {slot: s.YES if slot in s.CONDITIONS else s.NO for slot in s.FORM_SLOTS}


def joined(replies: list[str]) -> str:
    return "\n".join(replies)


def user_events(db: Path, sender: str) -> list[dict]:
    """The conversation's user messages as stored, in order."""
    return [e for e in events(db, sender) if e["event"] == "user"]


def events(db: Path, sender: str) -> list[dict]:
    """Every stored event of one conversation, in order."""
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def turns(db: Path, sender: str) -> list[tuple[str, list[str]]]:
    """(user text, bot texts after it until the next user message), as stored."""
    result: list[tuple[str, list[str]]] = []
    for event in events(db, sender):
        if event["event"] == "user":
            result.append((event.get("text") or "", []))
        elif event["event"] == "bot" and result:
            result[-1][1].append(event.get("text") or "")
    return result


class FakeActionServer:
    """An action server on loopback that is too slow (`mode="slow"`: answers after `delay`
    seconds) or fails (`mode="error"`: HTTP 500) on every action call; /health is fine."""

    def __init__(self, port: int, mode: str, delay: float = 8.0) -> None:
        assert mode in ("slow", "error")
        self.port, self.mode, self.delay = port, mode, delay
        self.calls = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer(200, {"status": "ok"})

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.calls += 1
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                    self._answer(200, {"events": [], "responses": []})
                else:
                    self._answer(500, {"error": "boom"})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # Rasa gave up waiting
                    pass

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "FakeActionServer":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
