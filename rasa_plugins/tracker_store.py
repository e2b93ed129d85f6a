"""Rasa's SQL tracker store, made cheaper per message.

`FastSQLTrackerStore` keeps Rasa's `SQLTrackerStore` table, configuration keys and query
semantics, so the two read and write each other's data (and `scripts/purge.py` keeps
working); it only does the same work with less overhead:

- **Reading**: Rasa resolves every stored event's class with `Event.resolve_by_type`, which
  walks all `Event` subclasses for each event (about 75 us each, 60+ events per turn). Here a
  `type_name -> class` map is built once, on first use (after the model and any custom events
  are imported), with the same "first subclass wins" order; a name it does not know falls back
  to Rasa's lookup, so an event class registered later is still found.
- **Saving**: one multi-row INSERT per turn instead of one ORM object per event; the event
  broker call (`stream_events`) and the order of ids are kept.
- **SQLite only**: every connection uses `journal_mode=WAL` and `synchronous=NORMAL`, and
  the store keeps its connection open between turns (with SQLAlchemy 1.4's default for a
  SQLite file, Rasa's store opens and closes one per query). Durability trade-off: WAL with NORMAL never corrupts the
  database and a committed turn survives a crash of the process, but a power cut or OS crash
  may lose the last few commits (the default, rollback journal with FULL, fsyncs every
  commit). PostgreSQL is untouched.

Configure it in endpoints.yml with `type: rasa_plugins.tracker_store.FastSQLTrackerStore` and
the same keys as `type: SQL` (dialect, url, port, db, username, password, login_db, query).
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any, Dict, Iterable, List, Optional, Type

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.common import all_subclasses

logger = logging.getLogger(__name__)

# journal_mode=WAL: readers never block the writer, a commit appends to the -wal file.
# synchronous=NORMAL: in WAL mode, fsync at checkpoints only, not at every commit. A process
# crash loses nothing committed; a power cut may lose the last commits, never corrupts.
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


class EventClasses:
    """`type_name -> Event subclass`, built once instead of walking the subclasses per event."""

    def __init__(self) -> None:
        self._by_name: Optional[Dict[str, Type[Event]]] = None

    def _build(self) -> Dict[str, Type[Event]]:
        by_name: Dict[str, Type[Event]] = {}
        for cls in all_subclasses(Event):  # Rasa's order: the first class with a name wins
            by_name.setdefault(cls.type_name, cls)
        return by_name

    def resolve(self, type_name: str) -> Optional[Type[Event]]:
        """The class Rasa's `Event.resolve_by_type` returns (None for the legacy "topic";
        ValueError for a name no class has)."""
        if self._by_name is None:
            self._by_name = self._build()
        cls = self._by_name.get(type_name)
        if cls is None:
            # Not known when the map was built: ask Rasa (finds classes imported since).
            cls = Event.resolve_by_type(type_name)
            if cls is not None:
                self._by_name[type_name] = cls
        return cls

    def deserialise(self, events: Iterable[Dict[str, Any]]) -> List[Event]:
        """`rasa.shared.core.events.deserialise_events` with the lookup above."""
        result = []
        for data in events:
            if "event" not in data:
                continue
            event = None
            type_name = data["event"]
            if type_name is not None:
                cls = self.resolve(type_name)
                if cls is not None:
                    event = cls._from_parameters(data)
            if event is not None:
                result.append(event)
            else:
                logger.warning("Could not deserialise a stored event of type %r.", type_name)
        return result


EVENT_CLASSES = EventClasses()


def _session_filter(table: sa.Table) -> sa.sql.ColumnElement:
    """Rasa's `SQLTrackerStore._event_query` filter: one conversation's events from its
    latest `session_started` on (all of them if it has none)."""
    session_start = (
        sa.select(sa.func.max(table.c.timestamp))
        .where(table.c.sender_id == sa.bindparam("sender_id"), table.c.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    return sa.and_(
        table.c.sender_id == sa.bindparam("sender_id"),
        sa.or_(table.c.timestamp >= session_start, session_start.is_(None)),
    )


class FastSQLTrackerStore(SQLTrackerStore):
    """Rasa's `SQLTrackerStore` (same table, same keys, same trackers) with cheaper reads and
    saves; see the module docstring."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        dialect: str = "sqlite",
        host: Optional[str] = None,
        port: Optional[int] = None,
        db: str = "rasa.db",
        username: Optional[str] = None,
        password: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        login_db: Optional[str] = None,
        query: Optional[Dict] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            domain, dialect, host, port, db, username, password, event_broker, login_db, query, **kwargs
        )
        if self.engine.dialect.name == "sqlite":
            self._tune_sqlite()
        table = self.SQLEvent.__table__
        in_latest_session = _session_filter(table)
        self._select_latest = sa.select(table.c.data).where(in_latest_session).order_by(table.c.id)
        self._select_all = (
            sa.select(table.c.data).where(table.c.sender_id == sa.bindparam("sender_id")).order_by(table.c.id)
        )
        self._count_latest = sa.select(sa.func.count()).select_from(table).where(in_latest_session)
        self._insert = table.insert()

    def _tune_sqlite(self) -> None:
        """WAL + synchronous=NORMAL on every connection, and a SQLite file's connection kept
        open between turns: SQLAlchemy 1.4 opens and closes the file for every session
        (NullPool), and closing the last connection checkpoints the WAL with an fsync, which
        would undo WAL's gain. Measured by scripts/bench_tracker_store.py."""
        if isinstance(self.engine.pool, sa.pool.NullPool):  # a file, not `:memory:`
            url = self.engine.url
            self.engine.dispose()
            # QueuePool, as SQLAlchemy 2.0 uses for SQLite files; a connection is used by one
            # thread at a time, so it may move between threads.
            self.engine = sa.create_engine(
                url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        sa.event.listen(self.engine, "connect", _set_sqlite_pragmas)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker of the latest conversation session (as Rasa's store returns it)."""
        return self._load(sender_id, self._select_latest)

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        """The tracker with the events of all conversation sessions."""
        return self._load(conversation_id, self._select_all)

    def _load(self, sender_id: str, statement: sa.sql.Select) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = session.execute(statement, {"sender_id": sender_id}).scalars().all()
        if not (self.domain and rows):
            return None
        events = EVENT_CLASSES.deserialise(json.loads(data) for data in rows)
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Appends the tracker's events that are not stored yet, in order, in one INSERT."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = session.execute(self._count_latest, {"sender_id": tracker.sender_id}).scalar_one()
            new_events = itertools.islice(tracker.events, stored, len(tracker.events))
            rows = [_row(tracker.sender_id, event) for event in new_events]
            if rows:
                session.execute(self._insert, rows)
            session.commit()


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLAlchemy `connect` listener: SQLITE_PRAGMAS on each new SQLite connection."""
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _row(sender_id: str, event: Event) -> Dict[str, Any]:
    """The `events` row Rasa's `SQLTrackerStore.save` writes for `event`."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }
