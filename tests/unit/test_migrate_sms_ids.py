"""scripts/migrate_sms_ids.py: SMS conversations stored under the phone number by earlier releases
move to their keyed id, whole, and the SMS channel then finds them; nothing else moves."""

from __future__ import annotations

import asyncio
import os
import subprocess

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_plugins.channels.conversation_ids import sms_conversation_id
from rasa_plugins.tracker_store import FastSQLTrackerStore
from harness.servers import ROOT

KEY = "migration-test-key-" + "9" * 20
OLD = {"+15550000001": 2, "+442071838750": 1, "web-user": 1, "1234": 1}  # id -> user messages


def stored(db) -> dict[str, int]:
    store = FastSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    counts = {}
    for sender in asyncio.run(store.keys()):
        tracker = asyncio.run(store.retrieve(sender))
        counts[sender] = len([e for e in tracker.events if isinstance(e, UserUttered)])
    store.engine.dispose()
    return counts


def run_migration(tmp_path, *args: str) -> str:
    run = subprocess.run(
        ["make", "-s", "migrate-sms-ids", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "TRACKER_DB": str(tmp_path / "trackers.db"), "SMS_ID_KEY": KEY,
             "SMS_DB": str(tmp_path / "sms.db")},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_phone_number_conversations_move_whole_to_their_keyed_ids(tmp_path):
    db = tmp_path / "trackers.db"
    store = FastSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    for sender, turns in OLD.items():
        events = []
        for turn in range(turns):
            events += [UserUttered(f"answer {turn}"), ActionExecuted("action_listen")]
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()

    assert "would move 2 SMS conversation(s)" in run_migration(tmp_path, "MIGRATE_ARGS=--dry-run")
    assert stored(db) == OLD
    assert "moved 2 SMS conversation(s)" in run_migration(tmp_path)
    assert stored(db) == {
        sms_conversation_id("+15550000001", KEY): 2, sms_conversation_id("+442071838750", KEY): 1,
        "web-user": 1, "1234": 1,
    }
    assert "moved 0 SMS conversation(s)" in run_migration(tmp_path)  # running it again changes nothing
