"""`FastSQLTrackerStore` (rasa_plugins/tracker_store.py) against Rasa's own `SQLTrackerStore`:
each reads what the other wrote and returns the same trackers (events, slots, active loop,
latest message), for the latest session and for all sessions; both write the same rows;
every event type resolves to the class Rasa resolves; SQLite runs in WAL mode; endpoints.yml,
the scale-out configurations and `make purge` use it.

The conversations are the project's stories (tests/stories/test_stories.yml, read by Rasa's story
reader) stored the way `rasa run` stores them: one retrieve and one save per user message,
with the full NLU parse data, the bot's utterances (texts from domain.yml) and
`action_listen` at each turn's end; some span several conversation sessions, with a restart,
and one holds every kind of event Rasa has.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import sqlite3
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_RESTART_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    AlwaysEqualEventMixin,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    LegacyForm,
    LegacyFormValidation,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.utils.common import all_subclasses, class_from_module_path
from rasa.utils.endpoints import read_endpoint_config

import rasa_plugins.tracker_store as fast_module
from dvt_triage import slots as s
from rasa_plugins.tracker_store import EVENT_CLASSES, EventClasses, FastSQLTrackerStore
from scripts import purge
from harness.servers import ROOT

Turn = list[Event]
STORES = {"rasa": SQLTrackerStore, "fast": FastSQLTrackerStore}


class Clock:
    """Increasing event timestamps, a quarter of a second apart, starting `days_ago`."""

    def __init__(self, days_ago: float = 0.0) -> None:
        self.now = time.time() - days_ago * 86400

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


def _stamped(event: Event, clock: Clock) -> Event:
    event = copy.deepcopy(event)
    event.timestamp = clock()
    return event


def _user(text: str, intent: str, domain: Domain, clock: Clock, entities: Optional[list] = None) -> UserUttered:
    """A user message with the parse data the NLU pipeline stores (ranking, tokens, red flags)."""
    others = [name for name in domain.intents if name != intent][:9]
    ranking = [{"name": intent, "confidence": 0.8731}] + [
        {"name": name, "confidence": round(0.1 / (i + 2), 6)} for i, name in enumerate(others)
    ]
    message_id = f"{abs(hash((text, clock.now))):032x}"[:32]
    parse_data = {
        "intent": ranking[0], "entities": entities or [], "text": text, "message_id": message_id,
        "metadata": {}, "text_tokens": [[0, len(text)]], "intent_ranking": ranking,
        "red_flag": {"status": "none", "signs": []},
    }
    return UserUttered(text, ranking[0], entities or [], parse_data, clock(), "rest", message_id)


def _session_start(clock: Clock, carried: Optional[dict] = None) -> Turn:
    events: Turn = [ActionExecuted(ACTION_SESSION_START_NAME, confidence=1.0, timestamp=clock()),
                    SessionStarted(timestamp=clock())]
    events += [SlotSet(name, value, timestamp=clock()) for name, value in (carried or {}).items()]
    return events + [ActionExecuted(ACTION_LISTEN_NAME, timestamp=clock())]


def story_turns(story_events: list[Event], domain: Domain, clock: Clock) -> list[Turn]:
    """A story's events as `rasa run` stores them, one list per user message."""
    turns: list[Turn] = []
    for event in story_events:
        if isinstance(event, UserUttered):
            if turns:
                turns[-1].append(ActionExecuted(ACTION_LISTEN_NAME, policy="RulePolicy", confidence=1.0,
                                                timestamp=clock()))
            turns.append([_user(event.text, event.intent_name, domain, clock),
                          DefinePrevUserUtteredFeaturization(False, timestamp=clock())])
        elif isinstance(event, ActionExecuted):
            name = event.action_name
            turns[-1].append(ActionExecuted(name, policy="RulePolicy", confidence=1.0, timestamp=clock(),
                                            hide_rule_turn=True))
            if name in domain.responses:
                response = domain.responses[name][0]
                data = {"buttons": response.get("buttons"), "quick_replies": None, "custom": None}
                turns[-1].append(BotUttered(response.get("text"), data, {"utter_action": name}, clock()))
        else:
            turns[-1].append(_stamped(event, clock))
    turns[-1].append(ActionExecuted(ACTION_LISTEN_NAME, policy="RulePolicy", confidence=1.0, timestamp=clock()))
    return turns


def every_kind_of_event(domain: Domain, clock: Clock) -> list[Turn]:
    """One conversation holding every event type Rasa has, non-ASCII text and list/dict slots."""
    entities = [{"entity": "medication", "value": "apixaban", "start": 10, "end": 18}]
    return [
        _session_start(clock) + [
            _user("I started apixaban, ça va 🙂", "inform", domain, clock, entities),
            EntitiesAdded(entities, timestamp=clock()),
            DefinePrevUserUtteredFeaturization(True, timestamp=clock()),
            SlotSet(s.EXCLUSION_REASONS, [s.CANCER, s.KIDNEY_DISEASE], timestamp=clock()),
            SlotSet("session_started_metadata", {"channel": "sms", "n": 3}, timestamp=clock()),
            FollowupAction("utter_greet", timestamp=clock()),
            ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0, timestamp=clock()),
            BotUttered("Hi!", {"buttons": [{"title": "Yes", "payload": "yes"}]}, {"utter_action": "utter_greet"},
                       clock()),
            ReminderScheduled("greet", datetime(2031, 1, 2, 3, 4, 5), entities, "r1", False, clock()),
            ReminderCancelled(name="r1", timestamp=clock()),
            LegacyForm(s.ASSESSMENT_FORM, timestamp=clock()),
            LegacyFormValidation(False, timestamp=clock()),
            LegacyForm(None, timestamp=clock()),
            ActiveLoop(s.ASSESSMENT_FORM, timestamp=clock()),
            SlotSet(s.REQUESTED_SLOT, s.CANCER, timestamp=clock()),
            LoopInterrupted(True, timestamp=clock()),
            ActionExecutionRejected(s.ASSESSMENT_FORM, "RulePolicy", 0.5, timestamp=clock()),
            AgentUttered("an agent wrote this", {"note": 1}, timestamp=clock()),
            StoryExported(None, timestamp=clock()),  # with a path, every replay writes a file
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=clock()),
        ],
        [
            _user("why do you ask?", "ask_why", domain, clock),
            UserUtteranceReverted(timestamp=clock()),
            ActionReverted(timestamp=clock()),
            ConversationPaused(timestamp=clock()),
            ConversationResumed(timestamp=clock()),
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=clock()),
        ],
        [
            _user("start over", "restart", domain, clock),
            ActionExecuted(ACTION_RESTART_NAME, policy="TriageOverridePolicy", confidence=1.0, timestamp=clock()),
            Restarted(timestamp=clock()),
            AllSlotsReset(timestamp=clock()),
        ] + _session_start(clock),
        [
            _user("I can't breathe", "emergency", domain, clock),
            SlotSet(s.TRIAGE_LEVEL, s.EMERGENCY, timestamp=clock()),
            ActionExecuted("utter_emergency", policy="TriageOverridePolicy", confidence=1.0, timestamp=clock()),
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=clock()),
        ],
    ]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def conversations(domain) -> dict[str, list[Turn]]:
    """sender id -> turns: every story alone (one session), stories one after the other as
    two or three sessions, one stopped in the middle of the form, and the conversation with
    every kind of event."""
    stories = YAMLStoryReader(domain).read_from_file(str(ROOT / "tests" / "stories" / "test_stories.yml"))
    assert len(stories) >= 10
    clock = Clock(days_ago=2)

    def session(story: Any, carried: Optional[dict] = None) -> list[Turn]:
        start = _session_start(clock, carried)  # stamped before the story's events
        turns = story_turns(story.events, domain, clock)
        return [start + turns[0], *turns[1:]]

    result: dict[str, list[Turn]] = {f"story-{i}": session(story) for i, story in enumerate(stories)}
    for i in range(0, 6, 2):  # several sessions; the later ones carry a slot over
        result[f"sessions-{i}"] = session(stories[i]) + session(stories[i + 1], {s.TRIAGE_LEVEL: s.NEEDS_EVALUATION})
        if i == 4:
            result[f"sessions-{i}"] += session(stories[-1])
    result["mid-form"] = session(stories[0])[:6]  # a conversation still in the assessment form
    result["every-event"] = every_kind_of_event(domain, clock)
    return result


async def play(store: TrackerStore, sender: str, turns: list[Turn]) -> None:
    """As `rasa run` handles each message: retrieve the tracker, add the turn's events, save."""
    for turn in turns:
        tracker = await store.retrieve(sender) or store.init_tracker(sender)
        for event in turn:
            tracker.update(event)
        await store.save(tracker)


def written_by(kind: str, path: Path, domain: Domain, conversations: dict[str, list[Turn]]) -> Path:
    store = STORES[kind](domain, dialect="sqlite", db=str(path))
    for sender, turns in conversations.items():
        asyncio.run(play(store, sender, turns))
    store.engine.dispose()
    return path


@pytest.fixture(scope="module")
def databases(tmp_path_factory, domain, conversations) -> dict[str, Path]:
    """The same conversations written once by each store."""
    tmp = tmp_path_factory.mktemp("trackers")
    return {kind: written_by(kind, tmp / f"{kind}.db", domain, conversations) for kind in STORES}


def snapshot(tracker: Optional[DialogueStateTracker]) -> Optional[dict[str, Any]]:
    """Everything a tracker holds that Rasa's dialogue and API use."""
    if tracker is None:
        return None
    latest = tracker.latest_message
    return {
        "sender_id": tracker.sender_id,
        "events": [(type(event), event.as_dict()) for event in tracker.events],
        "state": tracker.current_state(EventVerbosity.ALL),
        "slots": {name: slot.value for name, slot in tracker.slots.items()},
        "active_loop": tracker.active_loop,
        # Rasa makes an empty message (stamped "now") when a session starts: compare without
        # the stamp, and which stored event it is, if any.
        "latest_message": {k: v for k, v in latest.as_dict().items() if k != "timestamp"} if latest else None,
        "latest_message_event": next((i for i, event in enumerate(tracker.events) if event is latest), None),
        "latest_action": tracker.latest_action,
        "followup_action": tracker.followup_action,
        "paused": tracker.is_paused(),
        "max_event_history": tracker._max_event_history,
    }


def expected_events(turns: list[Turn], latest_session_only: bool) -> list[dict]:
    events = [event for turn in turns for event in turn]
    starts = [i for i, event in enumerate(events) if isinstance(event, SessionStarted)]
    if latest_session_only and starts:
        events = events[starts[-1]:]
    return [event.as_dict() for event in events]


def read_all(kind: str, db: Path, domain: Domain, senders: list[str]) -> dict[str, tuple]:
    store = STORES[kind](domain, dialect="sqlite", db=str(db))

    async def read() -> dict[str, tuple]:
        return {
            sender: (snapshot(await store.retrieve(sender)), snapshot(await store.retrieve_full_tracker(sender)))
            for sender in senders
        }

    try:
        return asyncio.run(read())
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("writer", list(STORES))
def test_each_store_reads_what_either_wrote_as_the_same_trackers(writer, databases, domain, conversations):
    senders = [*conversations, "nobody-said-this"]
    by_rasa = read_all("rasa", databases[writer], domain, senders)
    by_fast = read_all("fast", databases[writer], domain, senders)
    assert by_fast == by_rasa
    assert by_fast["nobody-said-this"] == (None, None)
    for sender, turns in conversations.items():
        latest, full = by_fast[sender]
        assert [e for _, e in latest["events"]] == expected_events(turns, latest_session_only=True), sender
        assert [e for _, e in full["events"]] == expected_events(turns, latest_session_only=False), sender
    # The conversations really span sessions and end in different states.
    assert any(len(full["events"]) > len(latest["events"]) for latest, full in by_fast.values() if latest)
    assert len({str(latest["slots"]) for latest, _ in by_fast.values() if latest}) > 5
    assert any(latest["active_loop"] for latest, _ in by_fast.values() if latest)


def rows(db: Path) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        ).fetchall()


def test_both_stores_write_the_same_rows_in_the_same_order(databases, conversations):
    written = rows(databases["fast"])
    assert written == rows(databases["rasa"])
    assert len(written) == sum(len(turn) for turns in conversations.values() for turn in turns)
    with closing(sqlite3.connect(databases["fast"])) as conn:
        schema = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()
    with closing(sqlite3.connect(databases["rasa"])) as conn:
        assert schema == conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()


@pytest.mark.parametrize("name", sorted({cls.type_name for cls in all_subclasses(Event)} | {"topic"}))
def test_every_event_type_resolves_to_the_class_rasa_resolves(name):
    assert EventClasses().resolve(name) is Event.resolve_by_type(name)


def test_when_two_classes_share_a_type_name_the_one_rasa_picks_wins():
    class EchoedUserUttered(UserUttered):  # keeps type_name "user"; listed after UserUttered
        pass

    assert EchoedUserUttered in all_subclasses(Event)
    assert EventClasses().resolve("user") is Event.resolve_by_type("user") is UserUttered


def test_an_unknown_event_type_fails_as_in_rasa():
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    with pytest.raises(ValueError, match="Unknown event name"):
        EventClasses().resolve("no_such_event")


def test_the_class_map_is_built_once(monkeypatch, conversations):
    calls = []

    def counting(cls: type) -> list:
        calls.append(cls)
        return all_subclasses(cls)

    monkeypatch.setattr(fast_module, "all_subclasses", counting)
    classes = EventClasses()
    dicts = [event.as_dict() for turns in conversations.values() for turn in turns for event in turn]
    events = classes.deserialise(dicts)
    assert [event.as_dict() for event in events] == dicts
    assert len(dicts) > 500 and calls == [Event]


class DoctorCalled(AlwaysEqualEventMixin):
    """An event class that does not exist when the class map is built."""

    type_name = "dvt_test_doctor_called"

    def as_story_string(self) -> str:
        return self.type_name


def test_an_event_class_defined_after_the_map_was_built_is_found(tmp_path, domain):
    EVENT_CLASSES.resolve("user")  # the shared map is built (if no other test built it yet)
    classes = EventClasses()
    assert classes.resolve("user") is UserUttered
    later = type("NurseCalled", (DoctorCalled,), {"type_name": "dvt_test_nurse_called"})
    assert classes.resolve("dvt_test_nurse_called") is later
    assert classes.resolve("dvt_test_doctor_called") is DoctorCalled

    turns = [[ActionExecuted(ACTION_LISTEN_NAME), DoctorCalled(), later(), ActionExecuted(ACTION_LISTEN_NAME)]]
    written_by("rasa", tmp_path / "t.db", domain, {"caller": turns})
    by_rasa = read_all("rasa", tmp_path / "t.db", domain, ["caller"])
    assert read_all("fast", tmp_path / "t.db", domain, ["caller"]) == by_rasa
    assert [t for t, _ in by_rasa["caller"][0]["events"]] == [ActionExecuted, DoctorCalled, later, ActionExecuted]


def test_stored_rows_of_unknown_or_legacy_types_are_read_as_by_rasa(tmp_path, domain):
    """"topic" (pre-Rasa-1 events) is skipped by both; an unknown type fails in both."""
    path = written_by("rasa", tmp_path / "t.db", domain, {"old": [[ActionExecuted(ACTION_LISTEN_NAME)]]})
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES "
                     "('old', 'topic', 1, '{\"event\": \"topic\", \"topic\": \"x\"}'),"
                     "('bad', 'no_such_event', 1, '{\"event\": \"no_such_event\"}')")
    by_rasa = read_all("rasa", path, domain, ["old"])
    assert read_all("fast", path, domain, ["old"]) == by_rasa
    assert len(by_rasa["old"][1]["events"]) == 1
    with pytest.raises(ValueError, match="no_such_event"):
        read_all("fast", path, domain, ["bad"])
    # Rasa's store fails too, but by exiting the process: its session scope takes any
    # ValueError for "PostgreSQL schema not found" and calls sys.exit.
    with pytest.raises((ValueError, SystemExit)):
        read_all("rasa", path, domain, ["bad"])


class CollectingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


def test_save_publishes_each_new_event_once_in_order_as_rasa_does(tmp_path, domain, conversations):
    chosen = {sender: conversations[sender] for sender in ("sessions-0", "every-event")}
    published = {}
    for kind, store_class in STORES.items():
        broker = CollectingBroker()
        store = store_class(domain, dialect="sqlite", db=str(tmp_path / f"{kind}.db"), event_broker=broker)
        for sender, turns in chosen.items():
            asyncio.run(play(store, sender, turns))
        published[kind] = broker.published
    assert published["fast"] == published["rasa"]
    assert published["fast"] == [
        {"sender_id": sender, **event.as_dict()} for sender, turns in chosen.items() for t in turns for event in t
    ]


def test_every_sqlite_connection_uses_wal_and_synchronous_normal(tmp_path, domain):
    store = FastSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    with store.engine.connect() as first, store.engine.connect() as second:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    rasa_store = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    with rasa_store.engine.connect() as conn:  # what the pragmas change: Rasa's defaults
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_an_in_memory_sqlite_store_keeps_its_table(domain, conversations):
    store = FastSQLTrackerStore(domain, dialect="sqlite", db=":memory:")
    turns = conversations["story-0"]
    asyncio.run(play(store, "m", turns))
    full = asyncio.run(store.retrieve_full_tracker("m"))
    assert [e.as_dict() for e in full.events] == expected_events(turns, latest_session_only=False)


def test_endpoints_yml_makes_rasa_create_this_store_with_domain_and_broker(tmp_path, monkeypatch, domain):
    """Rasa falls back to an in-memory store (conversations lost at restart) when a custom
    store's class cannot be imported: the configured one must really be this one."""
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "trackers.db"))
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:1/webhook")
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    broker = CollectingBroker()
    store = TrackerStore.create(config, domain, broker)
    assert type(store) is FastSQLTrackerStore  # not wrapped: every method is async
    assert store.domain is domain and store.event_broker is broker
    assert store.engine.url.database == str(tmp_path / "trackers.db")
    asyncio.run(store.save(DialogueStateTracker.from_events("x", [ActionExecuted(ACTION_LISTEN_NAME)])))
    assert (tmp_path / "trackers.db").exists()
    assert "trackers.db" in purge.tracker_store_url(ROOT / "endpoints.yml")


@pytest.mark.parametrize("endpoints", ["endpoints.scale.yml", "endpoints.scale-broker.yml"])
def test_scale_out_configurations_use_this_store_with_keys_it_takes(endpoints, monkeypatch):
    for name in ("ACTION_ENDPOINT_URL", "DB_HOST", "DB_NAME", "DB_USER", "DB_PASSWORD", "REDIS_HOST",
                 "REDIS_PASSWORD", "RABBITMQ_HOST", "RABBITMQ_USER", "RABBITMQ_PASSWORD"):
        monkeypatch.setenv(name, "x")
    for name in ("DB_PORT", "REDIS_PORT", "REDIS_DB", "RABBITMQ_PORT"):
        monkeypatch.setenv(name, "1")
    config = read_endpoint_config(str(ROOT / "deploy" / endpoints), "tracker_store")
    assert class_from_module_path(config.type) is FastSQLTrackerStore
    assert config.kwargs["dialect"] == "postgresql"
    accepted = inspect.signature(SQLTrackerStore.__init__).parameters
    assert set(config.kwargs) <= set(inspect.signature(FastSQLTrackerStore.__init__).parameters) <= set(accepted)


def test_purge_deletes_what_this_store_wrote_and_leaves_the_rest_readable(tmp_path, domain):
    old = [_session_start(Clock(days_ago=40)) + [ActionExecuted(ACTION_LISTEN_NAME, timestamp=time.time() - 39 * 86400)]]
    recent_clock = Clock(days_ago=1)
    recent = [_session_start(recent_clock) + [_user("hi", "greet", domain, recent_clock)]]
    path = written_by("fast", tmp_path / "t.db", domain, {"old": old, "recent": recent})
    assert purge.purge_conversations(f"sqlite:///{path}", days=30) == (1, 4)
    assert read_all("fast", path, domain, ["old"])["old"] == (None, None)
    latest, _ = read_all("fast", path, domain, ["recent"])["recent"]
    assert [e for _, e in latest["events"]] == expected_events(recent, latest_session_only=True)
