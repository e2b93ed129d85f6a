"""`make purge` on the scale-out tracker store: PostgreSQL configured by
deploy/endpoints.scale.yml (FastSQLTrackerStore, `dialect: postgresql`, the DB_* variables).

Conversations are stored through that configuration, as the replicas store them; purge runs
as an operator runs it (`--endpoints deploy/endpoints.scale.yml`, a dry run first). Only the
conversations whose newest event is older than the retention period go, whole; a conversation
that began long ago and is still in use stays whole, its old events included; every other row
stays exactly as it was. Also: POSTGRESQL_SCHEMA (Rasa keeps its table in that schema),
`login_db` (Rasa connects to it to create `db`, and stores in `db`), and a password that URL
quoting could spoil (the cluster's password has `%41`, `/`, `:`, `@`, `#`, `?` and a space).

Run by `make test-purge-postgres` (part of `make test`), which first installs PostgreSQL from
Debian packages if missing (scripts/install_scale_deps.sh). Not named test_*.py so that
`make test-unit` (which needs no database) does not collect it. The cluster runs on a free
loopback port in a temporary directory and is stopped and removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from rasa_plugins.tracker_store import FastSQLTrackerStore
from harness.postgres import DB_USER, Postgres
from harness.servers import BIN, ROOT

ENDPOINTS = ROOT / "deploy" / "endpoints.scale.yml"
PASSWORD = "pa%41ss w/rd:@#?"  # `%41` must reach PostgreSQL as is, not as "A"
DAY = 86400.0
NOW = time.time()
# conversation id -> the ages (days) of its turns; the retention period is 30 days
CONVERSATIONS = {
    "+15550000001": [45, 44.9],  # an SMS conversation, long over
    "web-old": [31],
    "web-just-over": [30.1],
    "web-long-running": [60, 20, 1],  # began long ago, still in use: kept whole
    "web-just-under": [29.9],
    "web-recent": [2],
    "web-today": [0],
}
STALE = {"+15550000001", "web-old", "web-just-over"}  # 3 conversations, 12 events
DOMAIN = Domain.load(str(ROOT / "domain.yml"))

Rows = dict[str, list[tuple]]  # sender -> its rows (id, type_name, timestamp, data), in id order


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    tmp = Path(tempfile.mkdtemp(prefix="dvt-purge-pg-"))
    tmp.chmod(0o755)  # the postgres user must reach its directory
    server = Postgres(tmp, password=PASSWORD)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def env(postgres, request, tmp_path, monkeypatch) -> dict[str, str]:
    """A database of this test's own, and the variables deploy/endpoints.scale.yml reads (set
    here too: the tracker store is created in this process)."""
    db = f"purge_{request.node.name.removeprefix('test_')[:40]}"
    postgres.create_database(db)
    variables = {
        "DB_HOST": "127.0.0.1", "DB_PORT": str(postgres.port), "DB_NAME": db,
        "DB_USER": DB_USER, "DB_PASSWORD": PASSWORD,
        # the file's other variables, as a replica's environment has them: Rasa expands every
        # ${VAR} of the file when it reads any part of it (purge connects to none of these)
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook", "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379", "REDIS_PASSWORD": "unused", "REDIS_DB": "0",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POSTGRESQL_SCHEMA", raising=False)
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    # the SMS channel's file: a path of this test's own, never the developer's sms.db
    monkeypatch.setenv("SMS_DB", str(tmp_path / "sms.db"))
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def store_conversations(endpoints: Path = ENDPOINTS) -> TrackerStore:
    """Stores CONVERSATIONS through the tracker store `endpoints` configures, one save per turn
    (as `rasa run` does), each event with the timestamp of its turn's age."""
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), DOMAIN)
    assert isinstance(store, FastSQLTrackerStore)
    assert store.engine.dialect.name == "postgresql"
    for sender, ages in CONVERSATIONS.items():
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        for age in ages:
            at = NOW - age * DAY
            for event in (
                UserUttered(f"my kidneys are fine ({sender})", timestamp=at),
                BotUttered("Thank you, I've noted that.", timestamp=at + 1),
                ActionExecuted("action_listen", timestamp=at + 2),
            ):
                tracker.update(event)
            asyncio.run(store.save(tracker))
    return store


def stored_rows(postgres: Postgres, db: str, table: str = "events") -> Rows:
    rows: Rows = {}
    with postgres.connect(db) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT id, sender_id, type_name, timestamp, data FROM {table} ORDER BY id")
        for id_, sender, type_name, timestamp, data in cur.fetchall():
            rows.setdefault(sender, []).append((id_, type_name, timestamp, data))
    return rows


def purge(env: dict[str, str], *args: str, endpoints: Path = ENDPOINTS) -> str:
    """scripts/purge.py as an operator runs it against the scale-out configuration."""
    run = subprocess.run(
        [str(BIN / "python"), "scripts/purge.py", "--endpoints", str(endpoints), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def make_purge(env: dict[str, str], *args: str) -> str:
    """`make purge` with the scale-out configuration (what the cron line runs)."""
    run = subprocess.run(
        ["make", "-s", "purge", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_a_dry_run_counts_then_purge_deletes_only_the_idle_conversations_whole(postgres, env):
    store = store_conversations()
    before = stored_rows(postgres, env["DB_NAME"])
    assert set(before) == set(CONVERSATIONS)
    # the timestamps are stored as floats, to the microsecond: the cutoff compares real times
    assert min(row[2] for row in before["web-long-running"]) == NOW - 60 * DAY

    output = make_purge(env, "DAYS=30", f"PURGE_ARGS=--endpoints {ENDPOINTS} --dry-run")
    assert "would delete 3 conversation(s) (12 events) with no activity in the last 30 days" in output
    assert stored_rows(postgres, env["DB_NAME"]) == before

    output = make_purge(env, "DAYS=30", f"PURGE_ARGS=--endpoints {ENDPOINTS}")
    assert "deleted 3 conversation(s) (12 events) with no activity in the last 30 days" in output
    after = stored_rows(postgres, env["DB_NAME"])
    # the others are untouched, row for row: the long-running one keeps its 60-day-old turn
    assert after == {sender: rows for sender, rows in before.items() if sender not in STALE}

    # what the replicas now find
    assert asyncio.run(store.retrieve("+15550000001")) is None
    assert asyncio.run(store.retrieve("web-just-over")) is None
    kept = asyncio.run(store.retrieve_full_tracker("web-long-running"))
    assert kept is not None and len([e for e in kept.events if isinstance(e, UserUttered)]) == 3

    assert "deleted 0 conversation(s) (0 events)" in purge(env, "--days", "30")
    assert stored_rows(postgres, env["DB_NAME"]) == after


def test_the_retention_period_comes_from_retention_days(postgres, env):
    store_conversations()
    assert "deleted 1 conversation(s) (6 events)" in purge({**env, "RETENTION_DAYS": "40"})
    assert set(stored_rows(postgres, env["DB_NAME"])) == set(CONVERSATIONS) - {"+15550000001"}
    assert "deleted 4 conversation(s)" in purge({**env, "RETENTION_DAYS": "1.5"})
    assert set(stored_rows(postgres, env["DB_NAME"])) == {"web-long-running", "web-today"}


def test_purge_works_in_the_postgresql_schema_rasa_uses(postgres, env, monkeypatch):
    """With POSTGRESQL_SCHEMA Rasa keeps its table in that schema: purge must purge that table,
    and leave alone an `events` table elsewhere (here, one in `public` from before)."""
    store_conversations()  # into public.events
    public_before = stored_rows(postgres, env["DB_NAME"], "public.events")
    with postgres.connect(env["DB_NAME"]) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA dvt")
    monkeypatch.setenv("POSTGRESQL_SCHEMA", "dvt")
    store_conversations()  # into dvt.events
    dvt_before = stored_rows(postgres, env["DB_NAME"], "dvt.events")
    assert set(dvt_before) == set(CONVERSATIONS)

    output = purge({**env, "POSTGRESQL_SCHEMA": "dvt"}, "--days", "30")
    assert "deleted 3 conversation(s) (12 events)" in output
    assert stored_rows(postgres, env["DB_NAME"], "dvt.events") == {
        sender: rows for sender, rows in dvt_before.items() if sender not in STALE
    }
    assert stored_rows(postgres, env["DB_NAME"], "public.events") == public_before


def test_a_missing_postgresql_schema_is_an_error_not_zero_deletions(postgres, env):
    store_conversations()
    before = stored_rows(postgres, env["DB_NAME"])
    run = subprocess.run(
        [str(BIN / "python"), "scripts/purge.py", "--endpoints", str(ENDPOINTS), "--days", "30"],
        cwd=ROOT, env={**env, "POSTGRESQL_SCHEMA": "nosuchschema"}, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode != 0
    assert "nosuchschema" in run.stdout + run.stderr
    assert stored_rows(postgres, env["DB_NAME"]) == before


def test_with_login_db_purge_purges_the_tracker_database(postgres, env, tmp_path):
    """`login_db` is the database Rasa first connects to in order to create `db`; the
    conversations are in `db`, so that is where purge must look."""
    endpoints = tmp_path / "endpoints.yml"
    text = ENDPOINTS.read_text()
    assert text.count("  password: ${DB_PASSWORD}\n") == 1
    endpoints.write_text(text.replace("  password: ${DB_PASSWORD}\n", "  password: ${DB_PASSWORD}\n  login_db: postgres\n"))
    store_conversations(endpoints)
    before = stored_rows(postgres, env["DB_NAME"])
    assert set(before) == set(CONVERSATIONS)

    assert "deleted 3 conversation(s) (12 events)" in purge(env, "--days", "30", endpoints=endpoints)
    assert set(stored_rows(postgres, env["DB_NAME"])) == set(CONVERSATIONS) - STALE
