"""Deletes conversations with no activity in the last N days from the tracker store, and the
SMS channel's remembered button choices that are as old (`make purge DAYS=30`).

Why: conversations hold health answers and, over SMS, phone numbers; they are kept only as
long as the retention period (RETENTION_DAYS, default 30). A conversation goes as a whole,
when its newest event is older than the cutoff, so no tracker is left half-deleted. The SMS
opt-out list is kept: STOP must be honoured however long ago it was sent.
On SQLite the deleted rows are overwritten (secure_delete) and the write-ahead log is
checkpointed and emptied afterwards, so that a purged conversation is not still readable in
`trackers.db-wal` or in the file's free pages.

The tracker store is the one endpoints.yml configures (the SQLite file TRACKER_DB by
default; deploy/endpoints.scale.yml for PostgreSQL, with the replicas' environment, including
POSTGRESQL_SCHEMA if they use it), or any SQLAlchemy URL given with --db-url (e.g.
postgresql://user:pw@host/db).
Run it from cron, e.g. daily: `0 3 * * * cd /srv/dvt && make purge`.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Union

import sqlalchemy as sa
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DAYS = 30
EVENTS_TABLE = "events"  # rasa.core.tracker_store.SQLTrackerStore's table


def tracker_store_url(endpoints: Path) -> str:
    """The SQLAlchemy URL of the SQL tracker store configured in `endpoints`: the database
    `db`, never `login_db` (which Rasa only connects to in order to create `db`)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(str(endpoints), "tracker_store")
    if config is None or not _is_sql_store(str(config.type)):
        raise SystemExit(f"{endpoints}: no SQL tracker store configured; pass --db-url")
    kwargs = config.kwargs
    url = SQLTrackerStore.get_db_url(
        kwargs.get("dialect", "sqlite"), config.url, kwargs.get("port"), kwargs.get("db", "rasa.db"),
        kwargs.get("username"), kwargs.get("password"), None, kwargs.get("query"),
    )
    return url if isinstance(url, str) else _url_text(url)


def _url_text(url: URL) -> str:
    """`url` as text that SQLAlchemy parses back to the same URL. SQLAlchemy 1.4's
    render_as_string leaves a `%` in the password as it is, so `%41` would come back as `A`."""
    from urllib.parse import quote

    return url.set(
        username=url.username and quote(url.username, safe=""),
        password=url.password and quote(url.password, safe=""),
    ).render_as_string(hide_password=False)


def _is_sql_store(store_type: str) -> bool:
    """`type: SQL`, or a custom store class built on Rasa's SQLTrackerStore (same table and keys),
    such as rasa_plugins.tracker_store.FastSQLTrackerStore."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.exceptions import RasaException
    from rasa.shared.utils.common import class_from_module_path

    if store_type.lower() == "sql":
        return True
    try:
        return issubclass(class_from_module_path(store_type), SQLTrackerStore)
    except (ImportError, RasaException):
        return False


def purge_conversations(
    url: Union[str, URL], days: float, now: Optional[float] = None, dry_run: bool = False
) -> tuple[int, int]:
    """Deletes every conversation whose newest event is older than `days`; returns
    (conversations, events) deleted (or that would be, with `dry_run`)."""
    from rasa.core.constants import POSTGRESQL_SCHEMA
    from rasa.core.tracker_store import create_engine_kwargs

    cutoff = (now if now is not None else time.time()) - days * 86400
    # Rasa's engine options: on PostgreSQL, the search_path of POSTGRESQL_SCHEMA, so that
    # `events` is the table Rasa writes, not one of that name in another schema.
    engine = sa.create_engine(url, **create_engine_kwargs(url))
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_secure_delete)
    try:
        with engine.begin() as conn:  # one transaction: a conversation goes whole or not at all
            schema = os.environ.get(POSTGRESQL_SCHEMA)
            if engine.dialect.name == "postgresql" and schema and schema not in sa.inspect(conn).get_schema_names():
                raise SystemExit(f"{POSTGRESQL_SCHEMA}={schema}: no such schema in the tracker store's database")
            if not sa.inspect(conn).has_table(EVENTS_TABLE):
                return 0, 0
            events = sa.Table(EVENTS_TABLE, sa.MetaData(), autoload_with=conn)
            stale = (
                sa.select(events.c.sender_id)
                .group_by(events.c.sender_id)
                .having(sa.func.max(events.c.timestamp) < cutoff)
            )
            conversations = conn.execute(sa.select(sa.func.count()).select_from(stale.subquery())).scalar_one()
            condition = events.c.sender_id.in_(stale.scalar_subquery())
            if dry_run:
                count = conn.execute(sa.select(sa.func.count()).select_from(events).where(condition)).scalar_one()
            else:
                count = conn.execute(events.delete().where(condition)).rowcount
        if engine.dialect.name == "sqlite" and not dry_run:
            checkpoint_wal(engine)
        return conversations, count
    finally:
        engine.dispose()


def _sqlite_secure_delete(dbapi_connection: sqlite3.Connection, _: object) -> None:
    """Deleted rows are overwritten with zeros instead of left in free pages."""
    dbapi_connection.execute("PRAGMA secure_delete = ON")


def checkpoint_wal(engine: sa.engine.Engine, attempts: int = 10) -> None:
    """Copies the write-ahead log into the database file and empties it (TRUNCATE). A reader
    of the running server can hold it up for a moment: retried, then a warning."""
    for attempt in range(attempts):
        with engine.connect() as conn:
            busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return
        time.sleep(0.2 * (attempt + 1))
    print("purge: warning: the write-ahead log could not be emptied (database busy); run it again", file=sys.stderr)


def purge_sms_choices(path: Path, days: float, now: Optional[float] = None, dry_run: bool = False) -> int:
    """Deletes the SMS channel's remembered choices offered before the cutoff (opt-outs stay)."""
    if not path.exists():
        return 0
    cutoff = datetime.fromtimestamp((now if now is not None else time.time()) - days * 86400, timezone.utc)
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sms_choices'").fetchone():
            return 0
        where = "FROM sms_choices WHERE offered_at < ?"
        args = (cutoff.isoformat(timespec="seconds"),)
        if dry_run:
            return db.execute(f"SELECT COUNT(*) {where}", args).fetchone()[0]
        return db.execute(f"DELETE {where}", args).rowcount


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=float(os.environ.get("RETENTION_DAYS") or DEFAULT_DAYS),
                        help="keep conversations active in the last DAYS days (default RETENTION_DAYS or 30)")
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    parser.add_argument("--db-url", help="SQLAlchemy URL of the tracker store (instead of endpoints.yml)")
    parser.add_argument("--sms-db", type=Path, default=None,
                        help="the SMS channel's SQLite file (default SMS_DB, or sms.db next to TRACKER_DB)")
    parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    args = parser.parse_args(argv)
    if args.days < 0:
        parser.error("--days must not be negative")

    url = args.db_url or tracker_store_url(args.endpoints)
    conversations, events = purge_conversations(url, args.days, dry_run=args.dry_run)
    sms_db = args.sms_db or Path(
        os.environ.get("SMS_DB") or Path(os.environ.get("TRACKER_DB") or ROOT / "trackers.db").parent / "sms.db"
    )
    choices = purge_sms_choices(sms_db, args.days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"purge: {verb} {conversations} conversation(s) ({events} events) with no activity in the last "
        f"{args.days:g} days, and {choices} remembered SMS choice(s); SMS opt-outs are kept"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
