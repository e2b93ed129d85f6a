"""Moves SMS conversations stored under the patient's phone number (as releases before November 2026 did) to their
channel-scoped id, `sms:` + the keyed hash of the number (`conversation_ids`).

Why: the SMS channel used to key a conversation by the number itself, which any REST or
socket.io client could name. After the upgrade the channel looks conversations up by the
hash, so an old conversation would be left behind, still under the number. This renames
every conversation whose id is a phone number in E.164 form (`+` and 7 to 15 digits) in one
transaction; with the same key the channel uses (SMS_ID_KEY, or the key kept in SMS_DB).
A REST client that used such an id is moved too: before the upgrade it was the same
conversation anyway. Run it once, with the servers stopped:

    .venv/bin/python scripts/migrate_sms_ids.py [--dry-run]

The tracker store is the one endpoints.yml configures (SQLite or PostgreSQL), or --db-url.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Optional

import sqlalchemy as sa

from rasa_plugins.channels.conversation_ids import sms_conversation_id
from rasa_plugins.channels.sms_store import SMSStore
from scripts.purge import EVENTS_TABLE, ROOT, tracker_store_url

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def sms_id_key(sms_db: Path) -> str:
    """The key the SMS channel uses: SMS_ID_KEY, else the one kept in its store."""
    return os.environ.get("SMS_ID_KEY") or SMSStore(sms_db).id_key()


def migrate(url: str, key: str, dry_run: bool = False) -> int:
    """Renames each phone-number conversation to its SMS id; returns how many there were.
    A conversation already under the new id is never overwritten (stops with an error)."""
    from rasa.core.tracker_store import create_engine_kwargs

    engine = sa.create_engine(url, **create_engine_kwargs(url))
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table(EVENTS_TABLE):
                return 0
            events = sa.Table(EVENTS_TABLE, sa.MetaData(), autoload_with=conn)
            senders = conn.execute(sa.select(events.c.sender_id).distinct()).scalars().all()
            renames = {old: sms_conversation_id(old, key) for old in senders if E164.fullmatch(old)}
            clashes = set(renames.values()) & set(senders)
            if clashes:
                raise SystemExit(f"migrate: {len(clashes)} conversation(s) exist under both ids; nothing changed")
            if not dry_run:
                for old, new in renames.items():
                    conn.execute(events.update().where(events.c.sender_id == old).values(sender_id=new))
            return len(renames)
    finally:
        engine.dispose()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    parser.add_argument("--db-url", help="SQLAlchemy URL of the tracker store (instead of endpoints.yml)")
    parser.add_argument("--sms-db", type=Path, default=None,
                        help="the SMS channel's SQLite file (default SMS_DB, or sms.db next to TRACKER_DB)")
    parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
    args = parser.parse_args(argv)
    sms_db = args.sms_db or Path(
        os.environ.get("SMS_DB") or Path(os.environ.get("TRACKER_DB") or ROOT / "trackers.db").parent / "sms.db"
    )
    count = migrate(args.db_url or tracker_store_url(args.endpoints), sms_id_key(sms_db), args.dry_run)
    print(f"migrate: {'would move' if args.dry_run else 'moved'} {count} SMS conversation(s) to their keyed ids")
    return 0


if __name__ == "__main__":
    sys.exit(main())
