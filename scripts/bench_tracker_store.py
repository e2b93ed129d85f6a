"""Benchmark: Rasa's `SQLTrackerStore` against `rasa_plugins.tracker_store.FastSQLTrackerStore`
on SQLite, per turn, as `rasa run` uses a tracker store (one `retrieve` and one `save` per
message). Not a test: it prints figures (p50, p95, mean in ms) and checks nothing but that
both stores end with the same trackers.

Realistic trackers: a few whole assessments (harness/conversations.py scripts, all four
outcomes, "why do you ask?" in the middle) are first played through the trained model
in-process with the real action server, and their events recorded (results/bench/
tracker_store_events.json; `--reuse-events` skips the recording). They are then replayed
as `--conversations` conversations turn by turn, all conversations advancing together so
that the database holds many of them: before each user message the store retrieves the
conversation, after it the store saves the tracker with that turn's events. Each store gets
a fresh database file in `--dir` (on the project's disk by default, not tmpfs, so commits
really reach the disk); the stores alternate per round so both meet the same background load.

Usage: .venv/bin/python scripts/bench_tracker_store.py [--conversations 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.eval_red_flags import quiet_logging  # noqa: E402
from harness.conversations import assessment_script  # noqa: E402
from harness.servers import latest_model, start_actions  # noqa: E402

EVENTS_FILE = ROOT / "results" / "bench" / "tracker_store_events.json"
SAMPLES = 8  # recorded assessments: two per outcome


async def record(model: Path, samples: int) -> list[list[dict[str, Any]]]:
    """Plays `samples` assessment scripts through the model (with the action server) and
    returns each conversation's events as Rasa stores them."""
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    with tempfile.TemporaryDirectory() as tmp:
        actions, port = start_actions(Path(tmp))
        try:
            endpoints = AvailableEndpoints(action=EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
            agent = await load_agent(model_path=str(model), endpoints=endpoints)
            conversations = []
            for index in range(samples):
                script = assessment_script(f"record-{index}", index)
                for message in script.messages:
                    await agent.handle_message(UserMessage(message, CollectingOutputChannel(), script.sender))
                tracker = await agent.tracker_store.retrieve_full_tracker(script.sender)
                conversations.append([event.as_dict() for event in tracker.events])
            return conversations
        finally:
            actions.stop()


def turn_ends(events: list[dict[str, Any]]) -> list[int]:
    """Where each turn ends: a turn runs from one user message to the next (the first also
    holds the session start before it)."""
    users = [i for i, event in enumerate(events) if event["event"] == "user"]
    return users[1:] + [len(events)]


async def run_store(kind: str, path: Path, samples: list[list[dict]], conversations: int, domain) -> dict:
    """Replays the conversations through one store; returns per-turn costs in seconds."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import deserialise_events
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_plugins.tracker_store import FastSQLTrackerStore

    store_class = SQLTrackerStore if kind == "rasa" else FastSQLTrackerStore
    store = store_class(domain, dialect="sqlite", db=str(path))
    sample_events = [deserialise_events(sample) for sample in samples]
    plans = [(f"bench-{i}", i % len(samples)) for i in range(conversations)]
    costs: dict[str, list[float]] = {"retrieve": [], "save": []}
    for turn in range(max(len(turn_ends(sample)) for sample in samples)):
        for sender, sample in plans:
            ends = turn_ends(samples[sample])
            if turn >= len(ends):
                continue
            started = time.perf_counter()
            await store.retrieve(sender)
            costs["retrieve"].append(time.perf_counter() - started)
            tracker = DialogueStateTracker.from_events(sender, sample_events[sample][: ends[turn]], domain.slots)
            started = time.perf_counter()
            await store.save(tracker)
            costs["save"].append(time.perf_counter() - started)
    finals = {}
    for sender, _ in plans[: len(samples)]:
        tracker = await store.retrieve_full_tracker(sender)
        finals[sender] = [event.as_dict() for event in tracker.events]
    store.engine.dispose()
    return {"costs": costs, "finals": finals}


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"{statistics.median(ms):7.2f} {p95:7.2f} {statistics.fmean(ms):7.2f}"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", type=Path, default=None, help="default: the newest models/dvt-*.tar.gz")
    parser.add_argument("--reuse-events", action="store_true", help=f"replay {EVENTS_FILE.name} if it exists")
    parser.add_argument("--dir", type=Path, default=ROOT / "results" / "bench", help="where the databases go")
    args = parser.parse_args()
    quiet_logging()

    from rasa.shared.core.domain import Domain

    if args.reuse_events and EVENTS_FILE.exists():
        samples = json.loads(EVENTS_FILE.read_text())
    else:
        model = args.model or latest_model()
        print(f"recording {SAMPLES} assessments with {model.name} ...", flush=True)
        samples = await record(model, SAMPLES)
        EVENTS_FILE.parent.mkdir(parents=True, exist_ok=True)
        EVENTS_FILE.write_text(json.dumps(samples))
    domain = Domain.load(str(ROOT / "domain.yml"))
    turns = sum(len(turn_ends(samples[i % len(samples)])) for i in range(args.conversations))
    events = sum(len(samples[i % len(samples)]) for i in range(args.conversations))
    print(f"{args.conversations} conversations, {turns} turns, {events} events per round; "
          f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)

    costs: dict[str, dict[str, list[float]]] = {k: {"retrieve": [], "save": []} for k in ("rasa", "fast")}
    finals: dict[str, dict] = {}
    args.dir.mkdir(parents=True, exist_ok=True)
    for round_ in range(args.rounds):
        for kind in ("rasa", "fast") if round_ % 2 == 0 else ("fast", "rasa"):
            with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-trackers-") as tmp:
                result = await run_store(kind, Path(tmp) / "trackers.db", samples, args.conversations, domain)
            for op, values in result["costs"].items():
                costs[kind][op] += values
            finals[kind] = result["finals"]
            print(f"  round {round_ + 1}: {kind} done", flush=True)
    same = finals["rasa"] == finals["fast"]

    print(f"\nper turn, ms (SQLite, {args.rounds} round(s); load average {os.getloadavg()[0]:.2f} at the end)")
    print(f"{'store':<28} {'op':<9} {'p50':>7} {'p95':>7} {'mean':>7}")
    names = {"rasa": "SQLTrackerStore (Rasa)", "fast": "FastSQLTrackerStore"}
    for kind in ("rasa", "fast"):
        for op in ("retrieve", "save"):
            print(f"{names[kind]:<28} {op:<9} {summary(costs[kind][op])}")
    for op in ("retrieve", "save"):
        ratio = statistics.fmean(costs["rasa"][op]) / statistics.fmean(costs["fast"][op])
        print(f"mean {op}: {ratio:.1f}x faster")
    total = {k: statistics.fmean(costs[k]["retrieve"]) + statistics.fmean(costs[k]["save"]) for k in costs}
    print(f"retrieve + save per turn: {total['rasa'] * 1000:.2f} ms -> {total['fast'] * 1000:.2f} ms")
    print(f"stored trackers identical: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
