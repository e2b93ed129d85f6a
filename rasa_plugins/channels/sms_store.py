"""What the SMS channel must remember across restarts, in a small SQLite file: which numbers
opted out (STOP), the choices last offered to each number (so that "1" still means "Yes"
after a restart), the MessageSids of the last REPLAY_WINDOW_HOURS (so that a replayed or
retried request is processed once), and, when SMS_ID_KEY is not set, the key of the SMS
conversation ids. Plain Python, no Rasa import.

Each call opens its own connection, so that the channel can run calls in a worker thread
without blocking the server's event loop.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from rasa_plugins.channels.conversation_ids import new_key
from rasa_plugins.channels.sms_text import Choice

SCHEMA = """
CREATE TABLE IF NOT EXISTS sms_opt_outs (phone TEXT PRIMARY KEY, opted_out_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sms_choices (phone TEXT PRIMARY KEY, choices TEXT NOT NULL, offered_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sms_message_sids (sid TEXT PRIMARY KEY, received_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sms_message_sids_received_at ON sms_message_sids (received_at);
CREATE TABLE IF NOT EXISTS sms_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Twilio retries within minutes; a captured request can be replayed any time, but its
# signature is over the same MessageSid, so 48 h (more than the 24 h asked) covers a day
# of capture plus clock slack. Older ids are forgotten as new ones arrive.
REPLAY_WINDOW_HOURS = 48


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SMSStore:
    """Opt-outs and last offered choices per phone number."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def is_opted_out(self, phone: str) -> bool:
        with closing(self._connect()) as db:
            return db.execute("SELECT 1 FROM sms_opt_outs WHERE phone = ?", (phone,)).fetchone() is not None

    def opt_out(self, phone: str) -> bool:
        """Records the opt-out; False if the number had already opted out."""
        with closing(self._connect()) as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO sms_opt_outs (phone, opted_out_at) VALUES (?, ?)", (phone, _now())
            )
            db.execute("DELETE FROM sms_choices WHERE phone = ?", (phone,))
            return cursor.rowcount == 1

    def opt_in(self, phone: str) -> bool:
        """Removes the opt-out; False if the number had not opted out."""
        with closing(self._connect()) as db:
            return db.execute("DELETE FROM sms_opt_outs WHERE phone = ?", (phone,)).rowcount == 1

    def first_delivery(self, message_sid: str, now: float | None = None) -> bool:
        """Records a MessageSid; False if it was seen in the last REPLAY_WINDOW_HOURS."""
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            db.execute("DELETE FROM sms_message_sids WHERE received_at < ?", (now - REPLAY_WINDOW_HOURS * 3600,))
            cursor = db.execute(
                "INSERT OR IGNORE INTO sms_message_sids (sid, received_at) VALUES (?, ?)", (message_sid, now)
            )
            return cursor.rowcount == 1

    def id_key(self) -> str:
        """The key of the SMS conversation ids kept here, created on first use."""
        with closing(self._connect()) as db:
            db.execute("INSERT OR IGNORE INTO sms_settings (name, value) VALUES ('id_key', ?)", (new_key(),))
            return db.execute("SELECT value FROM sms_settings WHERE name = 'id_key'").fetchone()[0]

    def choices(self, phone: str) -> list[Choice]:
        with closing(self._connect()) as db:
            row = db.execute("SELECT choices FROM sms_choices WHERE phone = ?", (phone,)).fetchone()
        return [Choice(**c) for c in json.loads(row[0])] if row else []

    def set_choices(self, phone: str, choices: list[Choice]) -> None:
        """Remembers the choices offered last; no choices forgets the earlier ones."""
        with closing(self._connect()) as db:
            if choices:
                data = json.dumps([asdict(c) for c in choices])
                db.execute(
                    "INSERT OR REPLACE INTO sms_choices (phone, choices, offered_at) VALUES (?, ?, ?)",
                    (phone, data, _now()),
                )
            else:
                db.execute("DELETE FROM sms_choices WHERE phone = ?", (phone,))
