"""`make shell`: chat with the assistant in the terminal, over its REST channel.

When the assistant is already running (`make run`), this talks to it; `rasa shell` would start
a second action server on the same port and crash. Otherwise it starts the action server and
the Rasa server itself (quietly, their log in a temporary file) and stops them at the end.
A port held by another program stops it with a message saying which, and exit status 1.

One conversation per session: a fresh sender id each time. Buttons are numbered; typing the
number sends that button. /stop or Ctrl-D ends the chat.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, Optional, TextIO

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
START_TIMEOUT_S = 300  # the model loads in ~20 s; a machine busy training takes longer
REPLY_TIMEOUT_S = 120
STOP = "/stop"


class ChatError(Exception):
    """Something the person at the terminal must be told about; the chat cannot go on."""


def rest_answers(base: str) -> bool:
    """Whether the assistant's REST channel answers at `base` (its health check: GET /webhooks/rest/)."""
    try:
        with urllib.request.urlopen(f"{base}/webhooks/rest/", timeout=3) as answer:
            return answer.status == 200 and json.load(answer).get("status") == "ok"
    except (OSError, ValueError, AttributeError):
        return False


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def send(base: str, sender: str, text: str) -> list[dict]:
    """The bot's messages in answer to `text`."""
    request = urllib.request.Request(
        f"{base}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=REPLY_TIMEOUT_S) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        raise ChatError(
            f"the assistant refused the message ({error.code}: {error.read().decode(errors='replace')})"
        )
    except OSError as error:
        raise ChatError(f"the assistant at {base} stopped answering ({error})") from None


def show(messages: list[dict], out: TextIO) -> list[dict]:
    """Print the bot's messages; return the buttons of the last one that has any."""
    buttons: list[dict] = []
    for message in messages:
        if message.get("text"):
            out.write(
                "".join(
                    f"Bot: {line}\n" if i == 0 else f"     {line}\n"
                    for i, line in enumerate(message["text"].splitlines())
                )
            )
        if message.get("buttons"):
            buttons = message["buttons"]
            for number, button in enumerate(buttons, 1):
                out.write(f"     {number}. {button.get('title', button.get('payload'))}\n")
    out.flush()
    return buttons


def chat(
    base: str, lines: TextIO = sys.stdin, out: TextIO = sys.stdout, sender: Optional[str] = None
) -> None:
    """Read the person's lines and show the answers until /stop or the end of input."""
    sender = sender or "terminal-" + secrets.token_hex(8)
    out.write(f"Chatting with the assistant at {base} (type {STOP} or press Ctrl-D to end).\n")
    buttons: list[dict] = []
    for text in prompts(lines, out):
        if text == STOP:
            break
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1].get("payload") or buttons[int(text) - 1].get("title", text)
        buttons = show(send(base, sender, text), out)


def prompts(lines: TextIO, out: TextIO) -> Iterator[str]:
    while True:
        out.write("You: ")
        out.flush()
        line = lines.readline()
        if not line:
            out.write("\n")
            return
        if not lines.isatty():  # input from a file or a pipe: show it, as a terminal would
            out.write(line if line.endswith("\n") else line + "\n")
        if line.strip():
            yield line.strip()


class OwnServers:
    """The action server and the Rasa server for this chat only, as `make run` starts them."""

    def __init__(self, model: str, rasa_port: int, actions_port: int) -> None:
        self.base = f"http://127.0.0.1:{rasa_port}"
        self.log = Path(tempfile.mkstemp(prefix="dvt-shell-", suffix=".log")[1])
        # The Rasa server calls the action server started here, whatever the environment says.
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        }
        run = [str(BIN / "python"), str(ROOT / "scripts" / "rasa_run.py")]
        with open(self.log, "w") as log:
            self.processes = [
                subprocess.Popen(
                    [*run, "run", "actions", "--actions", "actions", "--port", str(actions_port)],
                    cwd=ROOT,
                    env={**env, "SANIC_HOST": "127.0.0.1"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                subprocess.Popen(
                    [
                        *run,
                        "--model",
                        model,
                        "--port",
                        str(rasa_port),
                        "--interface",
                        "127.0.0.1",
                        "--endpoints",
                        "endpoints.yml",
                        "--credentials",
                        "credentials.yml",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
            ]

    def wait_until_ready(self, out: TextIO) -> None:
        out.write(f"Starting the assistant for this chat (about 30 s; its log: {self.log}) ...\n")
        out.flush()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not rest_answers(self.base):
            stopped = [p for p in self.processes if p.poll() is not None]
            if stopped or time.monotonic() > deadline:
                tail = "".join(self.log.read_text(errors="replace").splitlines(keepends=True)[-15:])
                raise ChatError(f"the assistant did not start; the end of its log ({self.log}):\n{tail}")
            time.sleep(0.5)

    def stop(self, keep_log: bool) -> None:
        """Stop both servers; their log is kept only when something went wrong."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if not keep_log:
            self.log.unlink(missing_ok=True)


def refuse_taken_ports(rasa_port: int, actions_port: int) -> None:
    """Nothing answers as the assistant: its ports must be free for servers of our own."""
    if port_in_use(actions_port) and action_server_answers(actions_port):
        raise ChatError(
            f"an action server is running on port {actions_port} but no Rasa server answers on "
            f"port {rasa_port}: if `make run` is starting, wait for its Ready line and try again"
        )
    for port, what, variable in (
        (rasa_port, "Rasa server", "RASA_PORT"),
        (actions_port, "action server", "ACTIONS_PORT"),
    ):
        if port_in_use(port):
            raise ChatError(
                f"port {port} (for the {what}) is in use by another program; stop it, or "
                f"choose another port: make shell {variable}=..."
            )


def action_server_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as answer:
            return answer.status == 200
    except OSError:
        return False


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="the model to start with when nothing is running")
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    args = parser.parse_args(argv)
    base = f"http://127.0.0.1:{args.rasa_port}"
    own: Optional[OwnServers] = None
    failed = True
    try:
        if not rest_answers(base):
            refuse_taken_ports(args.rasa_port, args.actions_port)
            own = OwnServers(args.model, args.rasa_port, args.actions_port)
            own.wait_until_ready(sys.stdout)
        chat(base)
        failed = False
    except ChatError as error:
        print(f"make shell: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        failed = False
        print()
    finally:
        if own:
            own.stop(keep_log=failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
