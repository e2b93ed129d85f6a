"""`make purge`: conversations with no activity within the retention period are deleted from
the tracker store, whole; newer ones (and old conversations still in use) are kept whole;
the SMS channel's old remembered choices go, its opt-outs stay. Conversations are written
with Rasa's own SQL tracker store, as `rasa run` writes them."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_plugins.channels.sms_store import SMSStore
from rasa_plugins.channels.sms_text import Choice
from harness.servers import ROOT

DAY = 86400.0
NOW = time.time()
# conversation id -> the ages (days) of its turns
CONVERSATIONS = {
    "+15550000001": [45, 44.9],  # an SMS conversation, long over
    "web-old": [31],
    "web-long-running": [60, 20, 1],  # began long ago, still in use: kept whole
    "web-recent": [2],
    "web-today": [0],
}


def store_for(db: Path) -> SQLTrackerStore:
    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "trackers.db"
    store = store_for(path)
    for sender, ages in CONVERSATIONS.items():
        events = []
        for age in ages:
            at = NOW - age * DAY
            events += [
                UserUttered(f"my kidneys are fine ({sender})", timestamp=at),
                BotUttered("Thank you, I've noted that.", timestamp=at + 1),
                ActionExecuted("action_listen", timestamp=at + 2),
            ]
        tracker = DialogueStateTracker.from_events(sender, events)
        asyncio.run(store.save(tracker))
    return path


def stored_events(db: Path) -> dict[str, int]:
    with closing(sqlite3.connect(db)) as conn:
        return dict(conn.execute("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id").fetchall())


def make_purge(db: Path, *args: str, env: dict[str, str] | None = None) -> str:
    run = subprocess.run(
        ["make", "-s", "purge", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TRACKER_DB": str(db), "SMS_DB": str(db.parent / "sms.db"), **(env or {})},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_purge_deletes_only_conversations_idle_longer_than_the_retention_period(db):
    before = stored_events(db)
    output = make_purge(db, "DAYS=30")
    after = stored_events(db)
    assert set(after) == {"web-long-running", "web-recent", "web-today"}
    assert all(after[sender] == before[sender] for sender in after)  # kept whole
    assert "deleted 2 conversation(s) (9 events)" in output
    # what Rasa itself now finds
    store = store_for(db)
    assert asyncio.run(store.retrieve("+15550000001")) is None
    kept = asyncio.run(store.retrieve("web-long-running"))
    assert kept is not None and len([e for e in kept.events if isinstance(e, UserUttered)]) == 3


def test_the_retention_period_comes_from_retention_days(db):
    make_purge(db, env={"RETENTION_DAYS": "40"})
    assert set(stored_events(db)) == {"web-old", "web-long-running", "web-recent", "web-today"}
    make_purge(db, env={"RETENTION_DAYS": "1.5"})
    assert set(stored_events(db)) == {"web-long-running", "web-today"}


def test_a_dry_run_deletes_nothing(db):
    before = stored_events(db)
    assert "would delete 2 conversation(s)" in make_purge(db, "DAYS=30", "PURGE_ARGS=--dry-run")
    assert stored_events(db) == before


def test_a_sqlalchemy_url_selects_the_tracker_store(db, tmp_path):
    output = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "scripts/purge.py", "--days", "30", "--db-url", f"sqlite:///{db}",
         "--sms-db", str(tmp_path / "none.db")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert output.returncode == 0, output.stderr
    assert set(stored_events(db)) == {"web-long-running", "web-recent", "web-today"}


def test_old_sms_choices_go_and_opt_outs_stay(db):
    sms = SMSStore(db.parent / "sms.db")
    choice = [Choice(1, "Yes", "yes")]
    for phone in ("+15550000001", "+15550000002"):
        sms.set_choices(phone, choice)
    sms.opt_out("+15550000003")
    old = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(NOW - 60 * DAY))
    with closing(sqlite3.connect(db.parent / "sms.db", isolation_level=None)) as conn:
        conn.execute("UPDATE sms_choices SET offered_at = ? WHERE phone = '+15550000001'", (old,))
        conn.execute("UPDATE sms_opt_outs SET opted_out_at = ?", (old,))
    assert "and 1 remembered SMS choice(s)" in make_purge(db, "DAYS=30")
    assert sms.choices("+15550000001") == [] and sms.choices("+15550000002") == choice
    assert sms.is_opted_out("+15550000003")


def test_a_purged_conversation_is_readable_neither_in_the_wal_nor_in_free_pages(tmp_path):
    """As the server writes them (FastSQLTrackerStore: WAL mode), a purged conversation's id
    and text were still in trackers.db-wal after the purge, and in the file's free pages."""
    from rasa_plugins.tracker_store import FastSQLTrackerStore

    path = tmp_path / "trackers.db"
    store = FastSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    purged, kept = "sms:" + "a1b2c3" * 5, "web:" + "0f" * 16
    for sender, age in ((purged, 45), (kept, 1)):
        at = NOW - age * DAY
        tracker = DialogueStateTracker.from_events(sender, [
            UserUttered(f"my kidneys are fine ({sender})", timestamp=at),
            BotUttered("Thank you, I've noted that.", timestamp=at + 1),
            ActionExecuted("action_listen", timestamp=at + 2),
        ])
        asyncio.run(store.save(tracker))
    wal = path.parent / "trackers.db-wal"
    assert purged.encode() in wal.read_bytes()  # the risk is real before the purge
    # The store stays open, as the running server's does (closing it would empty the WAL).
    assert "deleted 1 conversation(s)" in make_purge(path, "DAYS=30")
    store.engine.dispose()
    for file in path.parent.glob("trackers.db*"):
        assert purged.encode() not in file.read_bytes(), file.name
    assert not wal.exists() or wal.stat().st_size == 0
    assert set(stored_events(path)) == {kept}
