"""Benchmark: this assistant against the stock `rasa init` assistant, in one run on one machine.

Both are served by the same Rasa in the same .venv. For each load (1, 20, 100 conversations
in flight) it drives realistic conversations over REST (an assessment to its outcome with
"why do you ask?" in the middle for ours; the stock assistant's own intents for stock) and
records round-trip latency (p50/p95/p99) and throughput; it also records the time from
starting a server to its first answer, the resident memory of the servers (with their child
processes) and the time to train each from scratch. It writes a markdown table, a JSON file
and a plot to results/bench/, copies the table and plot to docs/bench/, and prints each
ratio against stock with PASS/FAIL for the project's targets.

The stock project is created with `rasa init --no-prompt` under results/bench/stock the first
time. Load is applied to one system at a time, alternating per load level, so that both meet
the same background load on a shared machine.

Usage: .venv/bin/python scripts/bench.py [--loads 1,20,100] [--rounds 2] [--no-train] ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.conversations import Script, Transcript, assessment_script, drive, stock_script  # noqa: E402
from harness.servers import Server, free_port, latest_model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "results" / "bench"
DOCS = ROOT / "docs" / "bench"
STOCK = RESULTS / "stock"
OURS, STOCK_NAME = "ours", "stock"

# Targets, as ratios of ours to stock measured in the same run (and an absolute one).
MAX_LATENCY_RATIO = 0.5
MIN_THROUGHPUT_RATIO = 2.0
MAX_START_RATIO = 0.7
MAX_MEMORY_RATIO = 1.0
MAX_TRAIN_SECONDS = 180.0


@dataclass
class LoadResult:
    """One system under one load: latencies in seconds, throughput in messages per second."""

    load: int
    conversations: int
    messages: int
    seconds: float
    p50: float
    p95: float
    p99: float
    throughput: float
    errors: int
    wrong_outcomes: int
    loadavg_before: float
    loadavg_after: float


@dataclass
class SystemResult:
    name: str
    start_seconds: float = 0.0
    action_server_start_seconds: Optional[float] = None
    rss_rasa_mb: float = 0.0
    rss_actions_mb: float = 0.0
    train_seconds: Optional[float] = None
    loads: list[LoadResult] = field(default_factory=list)

    @property
    def rss_total_mb(self) -> float:
        return self.rss_rasa_mb + self.rss_actions_mb


def process_tree_rss(pid: int) -> int:
    """Resident memory in bytes of a process and all its descendants (Sanic workers etc.)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class PeakRss:
    """Samples a process tree's RSS in the background and keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0

    def sample(self) -> None:
        self.peak = max(self.peak, process_tree_rss(self.pid))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def first_answer_seconds(url: str, proc: subprocess.Popen, started: float, log: Path, timeout: float) -> float:
    """Seconds from `started` until the REST channel returns a non-empty reply."""
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            r = requests.post(
                f"{url}/webhooks/rest/webhook", json={"sender": "__start__", "message": "hi"}, timeout=30
            )
            if r.status_code == 200 and r.json():
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"no answer after {timeout} s:\n{log.read_text()[-3000:]}")


def health_seconds(url: str, proc: subprocess.Popen, started: float, log: Path, timeout: float) -> float:
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not up after {timeout} s")


@dataclass
class Running:
    """A started system: where to talk to it and the processes to measure and stop."""

    url: str
    rasa: Server
    actions: Optional[Server]
    script: Callable[[str, int], Script]


def start_stock(work: Path, env: dict[str, str]) -> tuple[Running, SystemResult]:
    model = max((STOCK / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    port = free_port()
    started = time.monotonic()
    rasa = Server(
        [str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1",
         "--endpoints", str(STOCK / "endpoints.yml"), "--credentials", str(STOCK / "credentials.yml")],
        env, work / "stock-rasa.log",
    )
    url = f"http://127.0.0.1:{port}"
    result = SystemResult(STOCK_NAME, first_answer_seconds(url, rasa.proc, started, rasa.log, 600))
    return Running(url, rasa, None, stock_script), result


def start_ours(work: Path, env: dict[str, str], model: Path, endpoints: Path) -> tuple[Running, SystemResult]:
    port, actions_port = free_port(), free_port()
    env = {**env, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
           "TRACKER_DB": str(work / "trackers.db")}
    started = time.monotonic()
    actions = Server(
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
        env, work / "ours-actions.log",
    )
    rasa = Server(
        [str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1",
         "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml")],
        env, work / "ours-rasa.log",
    )
    url = f"http://127.0.0.1:{port}"
    actions_seconds = health_seconds(f"http://127.0.0.1:{actions_port}/health", actions.proc, started, actions.log, 600)
    result = SystemResult(OURS, first_answer_seconds(url, rasa.proc, started, rasa.log, 600), actions_seconds)
    return Running(url, rasa, actions, assessment_script), result


async def measure_load(running: Running, load: int, conversations: int, peaks: list[PeakRss]) -> LoadResult:
    run_id = uuid.uuid4().hex[:8]
    scripts = [running.script(f"bench-{run_id}-{load}-{i}", i) for i in range(conversations)]
    before = os.getloadavg()[0]
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            for peak in peaks:
                peak.sample()
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    transcripts: list[Transcript] = await drive([running.url], scripts, load)
    seconds = time.perf_counter() - started
    done.set()
    await sampler
    latencies = [x for t in transcripts for x in t.latencies]
    failed = [t for t in transcripts if not t.reached_outcome]
    if failed:  # kept for diagnosis: what was sent and what came back
        with open(RESULTS / "failures.jsonl", "a") as out:
            for t in failed:
                out.write(json.dumps({"error": t.error, "script": asdict(t.script), "replies": t.replies}) + "\n")
    return LoadResult(
        load=load,
        conversations=conversations,
        messages=len(latencies),
        seconds=seconds,
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        throughput=len(latencies) / seconds,
        errors=sum(t.error is not None for t in transcripts),
        wrong_outcomes=sum(not t.reached_outcome for t in transcripts),
        loadavg_before=before,
        loadavg_after=os.getloadavg()[0],
    )


def ensure_stock_project() -> None:
    """`rasa init --no-prompt` (which also trains its model), once."""
    if any((STOCK / "models").glob("*.tar.gz")):
        return
    shutil.rmtree(STOCK, ignore_errors=True)
    STOCK.mkdir(parents=True)
    print("Creating the stock assistant with `rasa init --no-prompt` (trains it once) ...", flush=True)
    subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(STOCK)],
                   cwd=STOCK, check=True, stdout=subprocess.DEVNULL)


def train_seconds(project: Path, env: dict[str, str], log: Path) -> float:
    """`rasa train --force` from scratch into a temporary directory."""
    with tempfile.TemporaryDirectory(dir=RESULTS) as out, open(log, "w") as log_file:
        started = time.monotonic()
        subprocess.run(
            [str(BIN / "rasa"), "train", "--force", "--out", out, "--config", "config.yml",
             "--domain", "domain.yml", "--data", "data"],
            cwd=project, env=env, check=True, stdout=log_file, stderr=subprocess.STDOUT,
        )
        return time.monotonic() - started


def ratio(ours: float, stock: float) -> float:
    return ours / stock if stock else float("inf")


def verdicts(ours: SystemResult, stock: SystemResult) -> list[tuple[str, float, str, bool]]:
    """(what, ours/stock or absolute value, target, met) for every target."""
    rows = []
    for mine, theirs in zip(ours.loads, stock.loads):
        r = ratio(mine.p50, theirs.p50)
        rows.append((f"p50 latency, {mine.load} conversation(s)", r, f"<= {MAX_LATENCY_RATIO}x", r <= MAX_LATENCY_RATIO))
        r = ratio(mine.throughput, theirs.throughput)
        rows.append((f"throughput, {mine.load} conversation(s)", r, f">= {MIN_THROUGHPUT_RATIO}x",
                     r >= MIN_THROUGHPUT_RATIO))
    r = ratio(ours.start_seconds, stock.start_seconds)
    rows.append(("start to first answer", r, f"<= {MAX_START_RATIO}x", r <= MAX_START_RATIO))
    r = ratio(ours.rss_total_mb, stock.rss_total_mb)
    rows.append(("peak RSS, Rasa + action server", r, f"<= {MAX_MEMORY_RATIO}x", r <= MAX_MEMORY_RATIO))
    if ours.train_seconds is not None:
        rows.append(("training from scratch", ours.train_seconds, f"< {MAX_TRAIN_SECONDS:.0f} s",
                     ours.train_seconds < MAX_TRAIN_SECONDS))
    return rows


def markdown(ours: SystemResult, stock: SystemResult, meta: dict) -> str:
    def ms(x: float) -> str:
        return f"{x * 1000:.0f}"

    lines = [
        f"Measured {meta['date']} on {meta['cpus']} CPUs ({meta['machine']}); load average "
        f"{meta['loadavg_start']} at the start, {meta['loadavg_end']} at the end (other work shares "
        "the machine). Same Rasa, same .venv. Ours: `endpoints.yml` (SQLite tracker store, action "
        "server); stock: `rasa init --no-prompt` defaults (in-memory tracker store, no action server).",
        "",
        "| load (conversations in flight) | system | messages | p50 ms | p95 ms | p99 ms | msg/s | "
        "errors | wrong outcomes |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mine, theirs in zip(ours.loads, stock.loads):
        for name, r in ((STOCK_NAME, theirs), (OURS, mine)):
            lines.append(
                f"| {r.load} | {name} | {r.messages} | {ms(r.p50)} | {ms(r.p95)} | {ms(r.p99)} | "
                f"{r.throughput:.1f} | {r.errors} | {r.wrong_outcomes} |"
            )
    train = {s.name: f"{s.train_seconds:.0f}" if s.train_seconds is not None else "not measured"
             for s in (stock, ours)}
    lines += [
        "",
        "| | stock | ours |",
        "| --- | ---: | ---: |",
        f"| start to first answer (s) | {stock.start_seconds:.1f} | {ours.start_seconds:.1f} "
        f"(action server up after {ours.action_server_start_seconds or 0:.1f}) |",
        f"| peak RSS, Rasa server (MB) | {stock.rss_rasa_mb:.0f} | {ours.rss_rasa_mb:.0f} |",
        f"| peak RSS, action server (MB) | - | {ours.rss_actions_mb:.0f} |",
        f"| training from scratch, `rasa train --force` (s) | {train[STOCK_NAME]} | {train[OURS]} |",
        "",
        "| target (ours vs stock, same run) | measured | target | result |",
        "| --- | ---: | --- | --- |",
    ]
    for what, value, target, met in verdicts(ours, stock):
        shown = f"{value:.0f} s" if what.startswith("training") else f"{value:.2f}x"
        lines.append(f"| {what} | {shown} | {target} | {'PASS' if met else 'FAIL'} |")
    return "\n".join(lines) + "\n"


def plot(ours: SystemResult, stock: SystemResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for system, colour in ((stock, "tab:gray"), (ours, "tab:blue")):
        loads = [r.load for r in system.loads]
        left.plot(loads, [r.p50 * 1000 for r in system.loads], "o-", color=colour, label=f"{system.name} p50")
        left.plot(loads, [r.p95 * 1000 for r in system.loads], "s--", color=colour, label=f"{system.name} p95")
        left.plot(loads, [r.p99 * 1000 for r in system.loads], "^:", color=colour, label=f"{system.name} p99")
        right.plot(loads, [r.throughput for r in system.loads], "o-", color=colour, label=system.name)
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xticks([r.load for r in ours.loads])
        axis.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axis.set_xlabel("conversations in flight")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    left.set_yscale("log")
    left.set_ylabel("REST round trip (ms)")
    left.set_title("Latency against load")
    right.set_ylim(bottom=0)
    right.set_ylabel("messages per second")
    right.set_title("Throughput against load")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_env(pairs: list[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", default="1,20,100", help="conversations in flight, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="conversations per slot of concurrency")
    parser.add_argument("--min-conversations", type=int, default=8, help="at least this many per load")
    parser.add_argument("--model", type=Path, help="our model (default: the newest in models/)")
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml", help="our endpoints file")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for our servers (e.g. LOG_LEVEL)")
    parser.add_argument("--systems", default="stock,ours", help="which to run (stock,ours)")
    parser.add_argument("--no-train", action="store_true", help="skip the training-time measurement")
    parser.add_argument("--no-docs", action="store_true", help="do not copy the results to docs/bench/")
    parser.add_argument("--tag", default="", help="suffix for the result files of an exploratory run")
    args = parser.parse_args()
    loads = [int(x) for x in args.loads.split(",")]
    systems = args.systems.split(",")

    RESULTS.mkdir(parents=True, exist_ok=True)
    ensure_stock_project()
    model = (args.model or latest_model()).resolve()
    base_env = {"SANIC_KEEP_ALIVE_TIMEOUT": "120", **os.environ, "PYTHONPATH": str(ROOT),
                "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "machine": os.uname().machine,
            "loadavg_start": " / ".join(f"{x:.2f}" for x in os.getloadavg()), "model": model.name,
            "endpoints": str(args.endpoints), "env": args.env, "loads": loads, "rounds": args.rounds}
    print(f"load average at start: {meta['loadavg_start']}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="run-", dir=RESULTS))
    running: dict[str, Running] = {}
    results: dict[str, SystemResult] = {}
    try:
        # Start one at a time, so that each start is measured without the other's start.
        if STOCK_NAME in systems:
            running[STOCK_NAME], results[STOCK_NAME] = start_stock(work, base_env)
            print(f"stock: first answer after {results[STOCK_NAME].start_seconds:.1f} s", flush=True)
        if OURS in systems:
            running[OURS], results[OURS] = start_ours(
                work, {**base_env, **parse_env(args.env)}, model, args.endpoints.resolve())
            print(f"ours: first answer after {results[OURS].start_seconds:.1f} s", flush=True)
        peaks = {name: (PeakRss(r.rasa.proc.pid), PeakRss(r.actions.proc.pid) if r.actions else None)
                 for name, r in running.items()}
        for name, r in running.items():  # one warm-up conversation each
            asyncio.run(drive([r.url], [r.script(f"warmup-{uuid.uuid4().hex[:6]}", 0)], 1))
        for load in loads:
            conversations = max(args.min_conversations, load * args.rounds)
            for name in running:
                sampled = [p for p in peaks[name] if p]
                result = asyncio.run(measure_load(running[name], load, conversations, sampled))
                results[name].loads.append(result)
                print(f"{name:5} load {load:3}: {result.messages} msgs in {result.seconds:.1f} s, "
                      f"p50 {result.p50 * 1000:.0f} ms, p95 {result.p95 * 1000:.0f} ms, "
                      f"p99 {result.p99 * 1000:.0f} ms, {result.throughput:.1f} msg/s, errors {result.errors}, "
                      f"wrong outcomes {result.wrong_outcomes}, loadavg {result.loadavg_before:.2f}"
                      f"->{result.loadavg_after:.2f}", flush=True)
        for name, (rasa_peak, actions_peak) in peaks.items():
            rasa_peak.sample()
            results[name].rss_rasa_mb = rasa_peak.peak / 2**20
            if actions_peak:
                actions_peak.sample()
                results[name].rss_actions_mb = actions_peak.peak / 2**20
    finally:
        for r in running.values():
            r.rasa.stop()
            if r.actions:
                r.actions.stop()

    if not args.no_train:
        if STOCK_NAME in results:
            results[STOCK_NAME].train_seconds = train_seconds(STOCK, base_env, work / "stock-train.log")
            print(f"stock: trained in {results[STOCK_NAME].train_seconds:.0f} s", flush=True)
        if OURS in results:
            results[OURS].train_seconds = train_seconds(ROOT, base_env, work / "ours-train.log")
            print(f"ours: trained in {results[OURS].train_seconds:.0f} s", flush=True)
    meta["loadavg_end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at end: {meta['loadavg_end']}", flush=True)

    suffix = f"-{args.tag}" if args.tag else ""
    (RESULTS / f"latest{suffix}.json").write_text(json.dumps(
        {"meta": meta, **{n: {**asdict(r), "rss_total_mb": r.rss_total_mb} for n, r in results.items()}},
        indent=2))
    if OURS not in results or STOCK_NAME not in results:
        shutil.rmtree(work, ignore_errors=True)
        return 0
    ours, stock = results[OURS], results[STOCK_NAME]
    table = markdown(ours, stock, meta)
    (RESULTS / f"latest{suffix}.md").write_text(table)
    plot(ours, stock, RESULTS / f"latest{suffix}.png")
    if not args.no_docs and not args.tag:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(RESULTS / "latest.md", DOCS / "bench.md")
        shutil.copy(RESULTS / "latest.png", DOCS / "latency.png")
    print()
    print(table)
    failed = False
    for what, value, target, met in verdicts(ours, stock):
        failed |= not met
        shown = f"{value:.0f} s" if what.startswith("training") else f"{value:.2f}x"
        print(f"{'PASS' if met else 'FAIL'}  {what}: {shown} (target {target})")
    errors = sum(r.errors + r.wrong_outcomes for s in results.values() for r in s.loads)
    if errors:
        print(f"FAIL  {errors} conversations failed or ended with the wrong outcome")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
