"""Scale-out with Rasa's own mechanisms: two `rasa run` replicas share a PostgreSQL tracker
store and a Redis lock store (deploy/endpoints.scale.yml), with one action server.

Many people talk at once and every conversation's messages alternate between the replicas.
Each must reach the right outcome, and the tracker store must hold exactly what was said
and answered, in order: no event lost, duplicated or reordered.

Run by `make test-scale` (part of `make test`), which first installs PostgreSQL and Redis
from Debian packages if missing (scripts/install_scale_deps.sh). Not named test_*.py so that
`make test-unit` (which needs no database) does not collect it; pytest runs it when named.
The servers run on free loopback ports in a temporary directory and are stopped and
removed afterwards, whatever happens; their logs are kept in results/scale/.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Iterator, Optional

import pytest
import redis
import requests

from dvt_triage import slots as s
from harness.conversations import OUTCOMES, Transcript, assessment_script, drive
from harness.postgres import DB_NAME, DB_USER, Postgres
from harness.servers import BIN, ROOT, Server, free_port, latest_model, stop_process, wait_until

CONVERSATIONS = 60
REPLICAS = 2
ENDPOINTS = ROOT / "deploy" / "endpoints.scale.yml"
LOGS = ROOT / "results" / "scale"
START_TIMEOUT = 600  # the CPU is shared with other test runs
# As docs/deployment.md says: an action server drops a connection Rasa opened but has not yet
# written to after Sanic's keep-alive timeout (5 s by default), and the answer is lost.
ACTIONS_KEEP_ALIVE = "120"
# This test is about sharing and ordering, not overload: on a CPU shared with other test runs,
# 60 conversations at once can keep a replica busy past the 10 s action timeout (whose
# "call the clinic" reply tests/e2e/test_faults.py covers), so allow a minute.
ACTION_TIMEOUT_SECONDS = "60"


class Redis:
    """A throw-away Redis on a free loopback port, run as a child process, nothing saved."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.log = open(tmp / "redis.log", "w")
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        tmp = self.tmp
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--dir", str(tmp), "--requirepass", self.password],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "redis.log").read_text()[-3000:])
                time.sleep(0.2)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, db=0)

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def _wait_for_answer(url: str, server: Server) -> None:
    wait_until(f"{url}/", START_TIMEOUT, server.proc, server.log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            r = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "__warmup__", "message": "hi"},
                              timeout=60)
            if r.status_code == 200 and r.json():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} gave no answer:\n{server.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="dvt-scale-"))
    tmp.chmod(0o755)  # the postgres user must reach its directory
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        stack.callback(_keep_logs, tmp)
        postgres = Postgres(tmp)
        stack.callback(postgres.stop)
        postgres.start()
        redis_server = Redis(tmp)
        stack.callback(redis_server.stop)
        redis_server.start()

        env = {
            **os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
            "DB_HOST": "127.0.0.1", "DB_PORT": str(postgres.port), "DB_NAME": DB_NAME,
            "DB_USER": DB_USER, "DB_PASSWORD": postgres.password,
            "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_server.port),
            "REDIS_PASSWORD": redis_server.password, "REDIS_DB": "0",
            "ACTION_TIMEOUT_SECONDS": ACTION_TIMEOUT_SECONDS,
        }
        actions_port = free_port()
        actions = Server(
            [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
            {**env, "SANIC_KEEP_ALIVE_TIMEOUT": ACTIONS_KEEP_ALIVE}, tmp / "actions.log",
        )
        stack.callback(actions.stop)
        env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{actions_port}/webhook"
        model = latest_model()
        urls: list[str] = []
        replicas: list[Server] = []
        for _ in range(REPLICAS):  # started together, as a deployment would
            port = free_port()
            replica = Server(
                [str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1",
                 "--endpoints", str(ENDPOINTS), "--credentials", "credentials.yml"],
                env, tmp / f"rasa-{port}.log",
            )
            stack.callback(replica.stop)
            urls.append(f"http://127.0.0.1:{port}")
            replicas.append(replica)
        wait_until(f"http://127.0.0.1:{actions_port}/health", START_TIMEOUT, actions.proc, actions.log)
        for url, replica in zip(urls, replicas):
            _wait_for_answer(url, replica)
        yield {"urls": urls, "postgres": postgres, "redis": redis_server}


def _keep_logs(tmp: Path) -> None:
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    for log in tmp.glob("*.log"):
        shutil.copy(log, LOGS / log.name)
    if (tmp / "postgres" / "postgres.log").exists():
        shutil.copy(tmp / "postgres" / "postgres.log", LOGS / "postgres.log")


def _stored_events(postgres: Postgres) -> dict[str, list[tuple[str, dict]]]:
    """Each conversation's events in the order the tracker store holds them."""
    stored: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    with postgres.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT sender_id, type_name, data FROM events ORDER BY id")
        for sender, type_name, data in cur.fetchall():
            stored[sender].append((type_name, json.loads(data)))
    return stored


def _triage_level(events: list[tuple[str, dict]]) -> Optional[str]:
    level = None
    for type_name, data in events:
        if type_name == "slot" and data.get("name") == s.TRIAGE_LEVEL:
            level = data.get("value")
    return level


def test_conversations_alternating_between_replicas_reach_the_right_outcome_and_are_stored_exactly(cluster):
    redis_client = cluster["redis"].client()
    sets_before = redis_client.info("commandstats").get("cmdstat_set", {}).get("calls", 0)
    run = secrets.token_hex(4)
    scripts = [assessment_script(f"scale-{run}-{i}", i) for i in range(CONVERSATIONS)]
    started = time.monotonic()
    transcripts: list[Transcript] = asyncio.run(drive(cluster["urls"], scripts, concurrency=CONVERSATIONS))
    seconds = time.monotonic() - started
    messages = sum(len(t.latencies) for t in transcripts)
    print(f"\nscale-out: {len(transcripts)} conversations, {messages} messages over {REPLICAS} replicas "
          f"in {seconds:.1f} s ({messages / seconds:.1f} msg/s), 0 retries (none are made)")

    # What each person saw.
    assert not [t.error for t in transcripts if t.error]
    assert {t.script.expected_level for t in transcripts} == set(OUTCOMES)
    for t in transcripts:
        assert set(t.replicas) == set(range(REPLICAS)), t.script.sender
        assert t.reached_outcome, (t.script.sender, t.script.expected_level, t.final_text)

    # What the shared tracker store holds: exactly what was said and answered, in order.
    stored = _stored_events(cluster["postgres"])
    for t in transcripts:
        events = stored[t.script.sender]
        said = [data.get("text") for type_name, data in events if type_name == "user"]
        answered = [data.get("text") for type_name, data in events if type_name == "bot"]
        assert said == t.script.messages, t.script.sender
        assert answered == [text for replies in t.replies for text in replies], t.script.sender
        assert _triage_level(events) == t.script.expected_level, t.script.sender

    # The replicas coordinated through the Redis lock store (a lock is set per message).
    sets = redis_client.info("commandstats").get("cmdstat_set", {}).get("calls", 0) - sets_before
    assert sets >= messages
