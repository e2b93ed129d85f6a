"""`make run` as a person starts it: scripts/serve.sh (the command the `run` target runs) on
free ports, its terminal output read line by line. The start is quiet (no warning floods, no
traceback, a handful of lines), says "Ready:" once with the addresses when the assistant can
chat, `make shell` chats with it (and fails loudly when a port is held by something else),
and Ctrl-C stops all three servers.

Run without the Makefile's PYTHONWARNINGS and friends: serve.sh must be quiet on its own.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest

from harness.servers import BIN, ROOT, Chat, WidgetSocket, free_port, latest_model, stop_process
from tests.support.robustness import GREETING_OFFER

READY = "Ready:"
START_TIMEOUT_S = 300  # the model loads in ~25 s; the CPU is shared with other test runs
MAX_START_LINES = 15
FLOODS = ("not used in any story", "DeprecationWarning", "Traceback")
# Set by the Makefile, not by a unit file or a person starting serve.sh by hand.
MAKEFILE_ONLY = ("PYTHONWARNINGS", "TF_CPP_MIN_LOG_LEVEL", "SQLALCHEMY_SILENCE_UBER_WARNING")


class Terminal:
    """A process's combined output, line by line, as a terminal would show it."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._new: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._new.put(line.rstrip("\n"))
        self._new.put(None)

    def until(self, text: str, timeout: float) -> str:
        """Read lines until one contains `text`; that line."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._new.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(
                    f"no {text!r} after {timeout} s:\n" + "\n".join(self.lines[-40:])
                ) from None
            if line is None:
                raise RuntimeError(f"the output ended before {text!r}:\n" + "\n".join(self.lines[-40:]))
            self.lines.append(line)
            if text in line:
                return line

    def rest(self, timeout: float = 30) -> list[str]:
        """The remaining lines, until the process closes its output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._new.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
        return self.lines


def children_of(pid: int) -> list[int]:
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            children.append(int(fields["Pid"]))
    return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def make(*args: str, stdin: str = "", timeout: float = START_TIMEOUT_S) -> subprocess.CompletedProcess:
    """`make ARGS`, told that the model exists and the venv is installed, so it never trains."""
    model = str(latest_model().relative_to(ROOT))
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "-o", model, *args, f"MODEL={model}"],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> Iterator[dict]:
    tmp: Path = tmp_path_factory.mktemp("startup")
    ports = {"rasa": free_port(), "actions": free_port(), "web": free_port()}
    env = {k: v for k, v in os.environ.items() if k not in MAKEFILE_ONLY}
    env.update(
        PYTHONPATH=str(ROOT),
        WEB_PORT=str(ports["web"]),
        TRACKER_DB=str(tmp / "trackers.db"),
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{ports['actions']}/webhook",
    )
    began = time.monotonic()
    serve = subprocess.Popen(
        ["scripts/serve.sh", str(latest_model()), str(ports["rasa"]), str(ports["actions"])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # As in a terminal, where Ctrl-C reaches a foreground command (a test runner started
        # in the background would otherwise pass on SIGINT ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    terminal = Terminal(serve)
    try:
        ready = terminal.until(READY, START_TIMEOUT_S)
        # Straight away, before anything else: the assistant must already answer.
        first_replies = Chat(f"http://127.0.0.1:{ports['rasa']}").send("startup-test", "hi")
        seconds = time.monotonic() - began
        print(f"\nserve.sh: {READY} after {seconds:.1f} s ({len(terminal.lines)} lines)")
        yield {
            "serve": serve,
            "terminal": terminal,
            "ready": ready,
            "first_replies": first_replies,
            "ports": ports,
            "start_lines": list(terminal.lines),
            "servers": children_of(serve.pid),
        }
    finally:
        stop_process(serve, signal.SIGINT)


def test_the_ready_line_comes_once_the_assistant_answers_with_its_addresses(started):
    ports = started["ports"]
    assert GREETING_OFFER in "\n".join(started["first_replies"])
    ready = started["ready"]
    assert ready.startswith(READY)
    assert f"http://localhost:{ports['web']}/" in ready
    assert f"http://localhost:{ports['rasa']}/webhooks/rest/webhook" in ready
    assert f"make shell RASA_PORT={ports['rasa']}" in ready
    # After the servers' own start-up lines, the last thing on the screen.
    assert any("Rasa server is up and running" in line for line in started["start_lines"][:-1])


def test_the_start_is_a_handful_of_lines_without_warning_floods(started):
    lines = started["start_lines"]
    assert len(lines) <= MAX_START_LINES, "\n".join(lines)
    assert not [line for line in lines if any(flood in line for flood in FLOODS)], "\n".join(lines)
    assert not [line for line in lines if " ERROR " in line or " WARNING " in line], "\n".join(lines)


def test_make_shell_talks_to_the_running_assistant(started):
    ports = started["ports"]
    shell = make("shell", f"RASA_PORT={ports['rasa']}", f"ACTIONS_PORT={ports['actions']}", stdin="hi\n")
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert f"Chatting with the assistant at http://127.0.0.1:{ports['rasa']}" in shell.stdout
    assert GREETING_OFFER in shell.stdout
    assert "Start the check" in shell.stdout  # the buttons, numbered
    assert "Starting the assistant" not in shell.stdout  # no second set of servers


async def test_a_closed_tab_is_one_line_in_the_terminal(started):
    tab = await WidgetSocket(f"http://127.0.0.1:{started['ports']['rasa']}").connect()
    await tab.request_session()
    assert GREETING_OFFER in "\n".join(await tab.say("hi", until=GREETING_OFFER))
    tab.client.eio.ws._response.connection.transport.abort()  # the browser went away, no goodbye
    await asyncio.wait_for(tab.client.wait(), 60)  # the client noticed, and closed its session
    line = started["terminal"].until("socketio: a widget disconnected", 120)
    assert " INFO " in line
    assert not [line for line in started["terminal"].lines if "Traceback" in line]


async def test_ctrl_c_stops_all_three_servers_quietly(started):
    """Runs last in this module: it stops the servers the others talk to. A widget tab is open."""
    serve: subprocess.Popen = started["serve"]
    servers = started["servers"]
    assert len(servers) >= 3, servers  # actions, web page, Rasa (and the ready watcher, done by now)
    tab = await WidgetSocket(f"http://127.0.0.1:{started['ports']['rasa']}").connect()
    await tab.request_session()
    serve.send_signal(signal.SIGINT)
    assert serve.wait(timeout=60) != 0
    lines = started["terminal"].rest()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in servers if alive(pid)]
    await asyncio.wait_for(tab.client.wait(), 60)  # the tab saw the server go
    shutdown = lines[len(started["start_lines"]) :]
    assert sum(READY in line for line in lines) == 1
    assert not [line for line in shutdown if "Traceback" in line or " ERROR " in line], "\n".join(shutdown)


# --- make shell without `make run` --------------------------------------------------------------


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port some other program listens on (not the assistant)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_make_shell_stops_with_a_clear_message_when_the_action_port_is_taken(held_port):
    shell = make("shell", f"RASA_PORT={free_port()}", f"ACTIONS_PORT={held_port}", stdin="hi\n", timeout=120)
    assert shell.returncode != 0
    assert f"port {held_port} (for the action server) is in use by another program" in shell.stderr
    assert "ACTIONS_PORT=" in shell.stderr and "Traceback" not in shell.stderr


def test_make_shell_stops_with_a_clear_message_when_the_rasa_port_is_taken(held_port):
    shell = make("shell", f"RASA_PORT={held_port}", f"ACTIONS_PORT={free_port()}", stdin="hi\n", timeout=120)
    assert shell.returncode != 0
    assert f"port {held_port} (for the Rasa server) is in use by another program" in shell.stderr


def test_make_shell_alone_starts_its_own_servers_and_stops_them(tmp_path):
    rasa_port, actions_port = free_port(), free_port()
    shell = make(
        "shell",
        f"RASA_PORT={rasa_port}",
        f"ACTIONS_PORT={actions_port}",
        f"TRACKER_DB={tmp_path / 'trackers.db'}",
        stdin="hi\n",
    )
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert "Starting the assistant for this chat" in shell.stdout
    log = Path(re.search(r"its log: (\S+)\)", shell.stdout).group(1))
    assert not log.exists()  # kept only when something went wrong
    assert "Start the check" in shell.stdout
    for port in (rasa_port, actions_port):  # both stopped with the chat
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, port


# --- training -----------------------------------------------------------------------------------


def test_training_hides_only_the_unused_utterance_warnings():
    """`rasa train` runs the same checks as `rasa data validate` (Rasa's `validate_files`); the
    Makefile trains through scripts/rasa_run.py, which hides the ~70 "utterance not used in any
    story" warnings (`make validate` checks those knowing what the form and actions send)."""
    env = {k: v for k, v in os.environ.items() if k not in MAKEFILE_ONLY}
    env["PYTHONPATH"] = str(ROOT)
    commands = {
        "plain": [str(BIN / "rasa"), "data", "validate"],
        "quiet": [str(BIN / "python"), "scripts/rasa_run.py", "data", "validate"],
    }
    runs = {
        name: subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for name, command in commands.items()
    }
    output = {name: run.communicate(timeout=300)[0] for name, run in runs.items()}
    unused = "is not used in any story or rule"
    assert sum("The utterance" in line and unused in line for line in output["plain"].splitlines()) > 10
    assert "Validating utterances" in output["quiet"]  # the check ran
    assert [line for line in output["quiet"].splitlines() if unused in line and "utterance" in line] == []
    assert "DeprecationWarning" not in output["quiet"]
