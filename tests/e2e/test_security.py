"""Security and privacy of the servers as `make run` / `make run-sms` start them
(scripts/serve.sh, run here for real): Rasa's HTTP API is off unless a token is configured,
and then needs it; CORS allows only the configured web origins; the action server listens on
loopback only; requests over the size limit get 413; and the logs, at INFO, hold no message
text and no phone number."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator, Optional

import pytest
import requests
from twilio.request_validator import RequestValidator

from dvt_triage import intents
from dvt_triage import slots as s
from tests.support.fake_twilio import FakeTwilio
from tests.support.robustness import EMERGENCY, GREETING_OFFER, HOME_CARE_ANSWERS, joined
from harness.servers import ROOT, Chat, free_port, latest_model


SID, TOKEN, TWILIO_NUMBER = "AC" + "3" * 32, "security-token", "+15005550006"
PUBLIC_URL = "https://dvt.example.org/webhooks/sms/webhook"
API_TOKEN = "test-api-" + uuid.uuid4().hex
SECRET_TEXT = "zebra quartz " + uuid.uuid4().hex[:8]
PHONE, PHONE_DIGITS = "+15557654321", "5557654321"
# serve.sh's settings; each test run sets the ones it needs, the rest take their defaults.
SETTINGS = ("RASA_API_TOKEN", "RASA_API_TOKEN_FILE", "RASA_HOST", "CORS_ORIGINS", "ACTIONS_HOST", "REQUEST_MAX_BYTES",
            "LOG_ID_SALT", "LOG_LEVEL", "SMS_ID_KEY")
# Another loopback address: shows that RASA_HOST is obeyed without listening outside.
OTHER_HOST = "127.0.0.2"


class ServeScript:
    """scripts/serve.sh in its own process group, its output (both servers' logs) in a file."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.rasa_port, self.actions_port, self.web_port = free_port(), free_port(), free_port()
        self.log = tmp / f"serve-{self.rasa_port}.log"
        self._log_file = open(self.log, "w")
        self.proc = subprocess.Popen(
            ["scripts/serve.sh", str(latest_model()), str(self.rasa_port), str(self.actions_port)],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if k not in SETTINGS}, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "WEB_PORT": str(self.web_port),
                "TRACKER_DB": str(tmp / "trackers.db"),
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook", **env,
            },
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.base = f"http://{env.get('RASA_HOST', '127.0.0.1')}:{self.rasa_port}"
        self.chat = Chat(self.base)
        self._wait_for_a_reply(300)

    def _wait_for_a_reply(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve.sh exited:\n{self.log.read_text()[-3000:]}")
            try:
                if GREETING_OFFER in joined(self.chat.send("__warmup__", "hi")):
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise TimeoutError(self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log_file.close()


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> Iterator[dict]:
    """`make run-sms` with every security setting left at its default; Twilio faked."""
    tmp = tmp_path_factory.mktemp("serve-default")
    fake = FakeTwilio(SID, TOKEN).start()
    credentials = tmp / "credentials.all.yml"
    credentials.write_text((ROOT / "credentials.yml").read_text() + "\n" + (ROOT / "credentials.sms.yml").read_text())
    env = {
        "CREDENTIALS": str(credentials), "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_NUMBER": TWILIO_NUMBER, "SMS_WEBHOOK_URL": PUBLIC_URL, "SMS_VALIDATE_SIGNATURE": "true",
        "SMS_DB": str(tmp / "sms.db"), "TWILIO_API_BASE_URL": fake.base_url,
    }
    serve = ServeScript(tmp, env)
    yield {"serve": serve, "fake": fake}
    serve.stop()
    fake.stop()


@pytest.fixture(scope="module")
def configured_run(tmp_path_factory) -> Iterator[ServeScript]:
    """`make run` with the API enabled by RASA_API_TOKEN and a production web origin."""
    serve = ServeScript(
        tmp_path_factory.mktemp("serve-configured"),
        {"RASA_API_TOKEN": API_TOKEN, "CORS_ORIGINS": "https://clinic.example.org https://www.clinic.example.org",
         "RASA_HOST": OTHER_HOST},
    )
    yield serve
    serve.stop()


def acao(r: requests.Response) -> Optional[str]:
    return r.headers.get("Access-Control-Allow-Origin")


def cors_headers_for(base: str, origin: str) -> list[Optional[str]]:
    """Access-Control-Allow-Origin on a preflight, a message and a socket.io poll."""
    preflight = requests.options(
        f"{base}/webhooks/rest/webhook",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        timeout=60,
    )
    message = requests.post(
        f"{base}/webhooks/rest/webhook", json={"sender": "cors", "message": "hi"}, headers={"Origin": origin}, timeout=60
    )
    poll = requests.get(f"{base}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}, timeout=60)
    assert message.status_code == 200 and poll.status_code == 200
    return [acao(preflight), acao(message), acao(poll)]


# --- defaults ---------------------------------------------------------------------------------

def test_the_http_api_is_off_by_default(default_run):
    base = default_run["serve"].base
    for method, path in [("GET", "/status"), ("GET", "/conversations/__warmup__/tracker"), ("PUT", "/model"),
                         ("POST", "/model/parse"), ("POST", "/conversations/x/trigger_intent")]:
        assert requests.request(method, base + path, json={}, timeout=60).status_code in (404, 405), path


def process_environments(serve: ServeScript) -> dict[str, dict[str, str]]:
    """The command line and environment of every process serve.sh started."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != serve.proc.pid:
                continue
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ProcessLookupError):
            continue
        found[cmdline] = dict(e.decode().split("=", 1) for e in environ if b"=" in e)
    return found


def test_rasa_telemetry_is_off(default_run):
    servers = {cmd: env for cmd, env in process_environments(default_run["serve"]).items()
               if "rasa_run.py" in cmd or "run actions" in cmd}
    assert any("rasa_run.py --model" in cmd for cmd in servers) and any("run actions" in cmd for cmd in servers)
    assert all(env.get("RASA_TELEMETRY_ENABLED") == "false" for env in servers.values())


def test_cors_by_default_allows_only_the_widget_page(default_run):
    serve = default_run["serve"]
    widget_page = f"http://localhost:{serve.web_port}"
    assert cors_headers_for(serve.base, widget_page) == [widget_page] * 3
    for origin in ("http://evil.example", "http://localhost:1", f"https://localhost:{serve.web_port}", "null"):
        assert cors_headers_for(serve.base, origin) == [None] * 3, origin


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port` (Linux /proc/net/tcp*)."""
    addresses = set()
    for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # LISTEN
                raw = bytes.fromhex(address)
                # /proc prints each 32-bit word in host (little-endian) order
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, size, 4))
                addresses.add(str(ipaddress.ip_address(raw)))
    return addresses


def outward_address() -> Optional[str]:
    """This machine's address on its default route, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent
            return sock.getsockname()[0]
        except OSError:
            return None


def test_the_action_server_listens_on_loopback_only(default_run):
    serve = default_run["serve"]
    addresses = listening_addresses(serve.actions_port)
    assert addresses and all(ipaddress.ip_address(a).is_loopback for a in addresses), addresses
    assert requests.get(f"http://127.0.0.1:{serve.actions_port}/health", timeout=30).status_code == 200
    outward = outward_address()
    if outward and not ipaddress.ip_address(outward).is_loopback:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{outward}:{serve.actions_port}/health", timeout=30)
    # the Rasa server itself is meant to be reachable (the widget and Twilio call it)
    assert listening_addresses(serve.rasa_port)


def test_the_rasa_server_listens_on_loopback_only_unless_rasa_host_says_otherwise(default_run, configured_run):
    assert listening_addresses(default_run["serve"].rasa_port) == {"127.0.0.1"}
    assert listening_addresses(configured_run.rasa_port) == {OTHER_HOST}


def test_requests_over_the_size_limit_get_413(default_run):
    base = default_run["serve"].base
    body = b'{"sender": "big", "message": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    r = requests.post(f"{base}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=120)
    assert r.status_code == 413
    assert GREETING_OFFER in joined(default_run["serve"].chat.send("after-big", "hi"))


def test_logs_at_info_hold_no_message_text_and_no_phone_number(default_run):
    serve, fake = default_run["serve"], default_run["fake"]
    chat = serve.chat
    # REST, from a phone-number-like conversation id, through a whole assessment (the
    # action server logs its outcome at INFO) with the distinctive text in the answers.
    chat.send(PHONE, f"hi {SECRET_TEXT}")
    chat.send(PHONE, "yes")
    for slot in s.FORM_SLOTS:
        reply = joined(chat.send(PHONE, f"{HOME_CARE_ANSWERS[slot]} {SECRET_TEXT}"))
    assert "8. Cancer: no" in reply  # the read-back of the answers
    assert "couldn't tell" in joined(chat.send(PHONE, f"yes {SECRET_TEXT}"))  # not a confirmation
    assert "only your doctor can decide" in joined(chat.send(PHONE, "that's right"))
    # Texts that make Rasa warn quoting the message (structlog, and Python's warnings), and
    # an emergency.
    chat.send(PHONE, f"/{{{SECRET_TEXT}")
    chat.send(PHONE, f"/{SECRET_TEXT}")
    assert EMERGENCY in chat.send(PHONE, f"I can't breathe {SECRET_TEXT}")[0]
    # SMS from the same number.
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": SID, "From": PHONE, "To": TWILIO_NUMBER,
        "Body": f"hello {SECRET_TEXT}", "NumMedia": "0",
    }
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL, params)
    r = requests.post(f"{serve.base}/webhooks/sms/webhook", data=params,
                      headers={"X-Twilio-Signature": signature}, timeout=300)
    assert r.status_code == 200 and fake.to(PHONE)
    time.sleep(2)  # let both servers flush their last lines

    log = serve.log.read_text(errors="replace")
    assert "triage level home_care_possible" in log  # our INFO line was written...
    assert "conversation conv-" in log  # ...naming the conversation by its pseudonym
    assert "message.parsing.failed" in log  # Rasa's warning that quotes the message was written
    assert SECRET_TEXT not in log and SECRET_TEXT.split()[-1] not in log
    assert PHONE not in log and PHONE_DIGITS not in log


# --- configured ------------------------------------------------------------------------------

def test_with_a_token_the_api_answers_only_requests_that_carry_it(configured_run):
    base, chat = configured_run.base, configured_run.chat
    chat.send("api-user", "hi")
    for method, path in [("GET", "/status"), ("GET", "/conversations/api-user/tracker"), ("PUT", "/model"),
                         ("POST", "/model/parse"), ("DELETE", "/model")]:
        assert requests.request(method, base + path, json={}, timeout=60).status_code == 401, path
        wrong = requests.request(method, base + path, params={"token": "wrong"}, json={}, timeout=60)
        assert wrong.status_code == 401, path
    assert requests.get(f"{base}/status", params={"token": API_TOKEN}, timeout=60).status_code == 200
    tracker = requests.get(f"{base}/conversations/api-user/tracker", params={"token": API_TOKEN}, timeout=60)
    assert tracker.status_code == 200 and tracker.json()["sender_id"] == "api-user"
    parsed = requests.post(f"{base}/model/parse", params={"token": API_TOKEN}, json={"text": "I can't breathe"},
                           timeout=60)
    assert parsed.status_code == 200 and parsed.json()["intent"]["name"] == intents.EMERGENCY


def test_the_api_token_is_on_no_command_line(configured_run):
    """`ps` shows every process's command line to every user of the machine."""
    commands = process_environments(configured_run)
    assert any("rasa_run.py" in cmd for cmd in commands)
    assert all(API_TOKEN not in cmd for cmd in commands), [c for c in commands if API_TOKEN in c]


def test_cors_origins_are_configurable(configured_run):
    for origin in ("https://clinic.example.org", "https://www.clinic.example.org"):
        assert cors_headers_for(configured_run.base, origin) == [origin] * 3
    for origin in (f"http://localhost:{configured_run.web_port}", "https://clinic.example.org.evil.example"):
        assert cors_headers_for(configured_run.base, origin) == [None] * 3, origin
