"""The one-server deployment as shipped, proven on loopback: the three servers started with the
commands and settings of deploy/systemd/*.service and deploy/dvt-triage.env.example, behind
nginx running deploy/nginx/dvt-triage.conf with a self-signed certificate, and the chat widget
in Chromium talking to them over https:// and wss:// through that proxy only.

Only what cannot be the same on a test machine is changed: install paths (/opt/dvt-triage is
this checkout, /etc and /var/lib a temporary directory), ports (free ones instead of 80, 443,
5005, 5055 and 8080), the host name and certificate, the pinned model, the salt, and a fake
Twilio for the SMS channel. Run by `make test-web` and `make test-deploy` (which install nginx,
openssl and systemd-analyze from Debian when missing).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import requests
import yaml
from playwright.sync_api import Page, WebSocket
from twilio.request_validator import RequestValidator

from harness.servers import ROOT, Server, free_port, latest_model
from tests.support.fake_twilio import TWILIO_NUMBER, FakeTwilio

DEPLOY = ROOT / "deploy"
SERVICES = ("actions", "rasa", "web")  # in the order systemd starts them (After=)
UNITS = {name: DEPLOY / "systemd" / f"dvt-triage-{name}.service" for name in SERVICES}
TARGET = DEPLOY / "systemd" / "dvt-triage.target"
ENV_EXAMPLE = DEPLOY / "dvt-triage.env.example"
NGINX_SITE = DEPLOY / "nginx" / "dvt-triage.conf"
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")  # from the nginx-common package
# The paths and host name the shipped files use, as docs/deployment.md installs them.
INSTALL_DIR = "/opt/dvt-triage"
CONFIG_DIR = "/etc/dvt-triage"
STATE_DIR = "/var/lib/dvt-triage"
PUBLIC_HOST = "triage.example.org"
# What systemd gives a service: a fixed PATH, HOME from the user's entry, nothing else inherited.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

REPLY_TIMEOUT_MS = 90_000  # the CPU is shared with other test runs
BOT = ".rw-message:not(.rw-typing-indication) .rw-response"
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
SID, TOKEN = "AC" + "2" * 32, "proxy-test-auth-token"


def opening(response: str, channel: str = "") -> str:
    """How a response's wording starts, as a patient sees it: up to the first placeholder,
    markdown link or bracket (the clinic's values and links are filled in by then)."""
    variants = RESPONSES[response]
    text = next((v for v in variants if v.get("channel") == channel), variants[0])["text"]
    return re.split(r"[{(\[\n]", text.replace("**", ""))[0].strip()


GREETING = opening("utter_greet")
EMERGENCY = opening("utter_emergency", "socketio")


def service_section(unit: Path) -> dict[str, list[str]]:
    """The [Service] settings of a unit file, each name with its values in order."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in unit.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            name, value = line.split("=", 1)
            settings.setdefault(name, []).append(value)
    return settings


def env_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile=: NAME=value lines; # comments."""
    return dict(
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


@dataclass
class Machine:
    """Where the shipped paths point on this test machine."""

    tmp: Path

    def path(self, text: str) -> str:
        return (
            text.replace(INSTALL_DIR, str(ROOT))
            .replace(CONFIG_DIR, str(self.tmp / "etc"))
            .replace(STATE_DIR, str(self.tmp / "state"))
        )


@dataclass
class Deployment:
    https_url: str
    http_url: str
    https_port: int
    rasa_port: int
    cert: Path
    settings: dict[str, str]
    fake_twilio: FakeTwilio
    logs: Path


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def rendered(text: str, replacements: dict[str, str]) -> str:
    """`text` with each replacement made; a string that is not there fails the test, so a
    change to a shipped file cannot leave part of it untested unnoticed."""
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the shipped file"
        text = text.replace(old, new)
    return text


def nginx_config(
    tmp: Path,
    https_port: int,
    http_port: int,
    rasa_port: int,
    web_port: int,
    cert: Path,
    key: Path,
    example: dict[str, str],
) -> Path:
    """deploy/nginx/dvt-triage.conf with test ports and certificate, included by Debian's
    /etc/nginx/nginx.conf as it includes sites-enabled/."""
    site = rendered(
        NGINX_SITE.read_text(),
        {
            "    listen [::]:80;\n": "",
            "    listen [::]:443 ssl http2;\n": "",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            f"/etc/letsencrypt/live/{PUBLIC_HOST}/fullchain.pem": str(cert),
            f"/etc/letsencrypt/live/{PUBLIC_HOST}/privkey.pem": str(key),
            f"server_name {PUBLIC_HOST};": "server_name 127.0.0.1;",
            # The shipped ports must be the env example's, or the proxy would miss the servers.
            f"server 127.0.0.1:{example['RASA_PORT']};": f"server 127.0.0.1:{rasa_port};",
            f"server 127.0.0.1:{example['WEB_PORT']};": f"server 127.0.0.1:{web_port};",
        },
    )
    (tmp / "dvt-triage.conf").write_text(site)
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    # Debian's own main config, so that the site is proven inside the http block it is
    # installed into; only what needs root or the machine's /etc and /var is changed.
    main = tmp / "nginx.conf"
    main.write_text(
        rendered(
            DEBIAN_NGINX_CONF.read_text(),
            {
                "user www-data;": f"user {user} {group};",
                "worker_processes auto;": "worker_processes 1;",
                "pid /run/nginx.pid;": f"pid {tmp}/nginx.pid;",
                "/var/log/nginx/": f"{tmp}/",
                "include /etc/nginx/conf.d/*.conf;": "",
                "include /etc/nginx/sites-enabled/*;": f"include {tmp}/dvt-triage.conf;",
                "http {": "http {\n"
                + "".join(
                    f"\t{kind}_temp_path {tmp}/{kind};\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                ),
            },
        )
    )
    return main


def wait_for_port(port: int, server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"exited early:\n{server.log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port}:\n{server.log.read_text()[-3000:]}")


def wait_for_reply(url: str, cert: Path, servers: list[Server], timeout: float = 300) -> None:
    """Until the REST webhook answers through the proxy ("/" answers before the model is loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for server in servers:
            if server.proc.poll() is not None:
                raise RuntimeError(f"{server.proc.args} exited early:\n{server.log.read_text()[-3000:]}")
        try:
            r = requests.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": "warmup", "message": "hi"},
                verify=str(cert),
                timeout=30,
            )
            if r.status_code == 200 and r.json():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError("\n\n".join(s.log.read_text()[-2000:] for s in servers))


def start_unit(name: str, machine: Machine, settings: dict[str, str], logs: Path) -> Server:
    """A service as systemd starts it: its ExecStart= in its WorkingDirectory=, with the
    environment of its EnvironmentFile= (here: `settings`) and of its Environment= lines."""
    unit = service_section(UNITS[name])
    assert unit["EnvironmentFile"] == [f"{CONFIG_DIR}/dvt-triage.env"]
    assert machine.path(unit["WorkingDirectory"][0]) == str(ROOT)
    (exec_start,) = unit["ExecStart"]
    env = {"PATH": SYSTEMD_PATH, "HOME": machine.path(STATE_DIR), "LANG": "C.UTF-8", **settings}
    for line in unit.get("Environment", []):
        env.update(dict(item.split("=", 1) for item in shlex.split(line)))
    for directory in unit.get("RuntimeDirectory", []):
        (machine.tmp / "run" / directory).mkdir(parents=True, exist_ok=True)
        env["RUNTIME_DIRECTORY"] = str(machine.tmp / "run" / directory)
    return Server(shlex.split(machine.path(exec_start)), env, logs / f"{name}.log")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    for tool in ("nginx", "openssl"):
        assert shutil.which(tool, path=SYSTEMD_PATH), f"{tool} is missing: `make deploy-tools` installs it"
    tmp: Path = tmp_path_factory.mktemp("deploy")
    machine = Machine(tmp)
    for directory in ("etc", "state", "nginx", "logs"):
        (tmp / directory).mkdir()
    logs = ROOT / "results" / "deploy"
    logs.mkdir(parents=True, exist_ok=True)
    https_port, http_port, rasa_port, actions_port, web_port = (free_port() for _ in range(5))
    https_url = f"https://127.0.0.1:{https_port}"
    cert, key = self_signed_certificate(tmp / "etc")
    example = env_file(ENV_EXAMPLE)
    fake_twilio = FakeTwilio(SID, TOKEN).start()
    settings = {
        **{
            name: machine.path(value).replace(f"https://{PUBLIC_HOST}", https_url)
            for name, value in example.items()
        },
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "WEB_PORT": str(web_port),
        "MODEL": str(latest_model()),
        "LOG_ID_SALT": secrets.token_hex(16),  # the example leaves it empty: each site makes its own
        # The SMS channel on, with a fake Twilio; SMS_WEBHOOK_URL and SMS_DB keep their defaults.
        "SMS_ENABLED": "true",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_NUMBER": TWILIO_NUMBER,
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
    }
    assert settings["PUBLIC_URL"] == https_url and settings["TRACKER_DB"].startswith(str(tmp / "state"))
    main_config = nginx_config(tmp / "nginx", https_port, http_port, rasa_port, web_port, cert, key, example)
    nginx = Server(
        [
            "nginx",
            "-p",
            str(tmp / "nginx"),
            "-e",
            str(tmp / "nginx" / "error.log"),
            "-c",
            str(main_config),
            "-g",
            "daemon off;",
        ],
        {"PATH": SYSTEMD_PATH},
        logs / "nginx.log",
    )
    servers = [nginx]
    try:
        wait_for_port(https_port, nginx)
        for name in SERVICES:
            servers.append(start_unit(name, machine, settings, logs))
        wait_for_reply(https_url, cert, servers)
        yield Deployment(
            https_url,
            f"http://127.0.0.1:{http_port}",
            https_port,
            rasa_port,
            cert,
            settings,
            fake_twilio,
            logs,
        )
    finally:
        for server in reversed(servers):
            server.stop()
        fake_twilio.stop()
        for name in ("error.log", "access.log"):
            if (tmp / "nginx" / name).exists():
                shutil.copy(tmp / "nginx" / name, logs / f"nginx-{name}")


def bot_says(page: Page, text: str) -> str:
    message = page.locator(BOT, has_text=text).last
    message.wait_for()
    return message.inner_html()


def type_message(page: Page, text: str) -> None:
    page.fill(".rw-new-message", text)
    page.press(".rw-new-message", "Enter")


def test_the_widget_reaches_the_assistant_over_wss_through_the_proxy(deployment, browser):
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    page = context.new_page()
    sockets: list[WebSocket] = []
    frames: list[str] = []
    requested: list[str] = []
    console_errors: list[str] = []

    def on_websocket(ws: WebSocket) -> None:
        sockets.append(ws)
        ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else ""))

    page.on("websocket", on_websocket)
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    try:
        page.goto(f"{deployment.https_url}/")
        page.click(".rw-launcher")
        bot_says(page, GREETING)
        type_message(page, "I have chest pain")
        emergency = bot_says(page, EMERGENCY)
        assert 'href="tel:' in emergency  # the widget's tap-to-call variant, so it came over socket.io
        page.screenshot(path=str(deployment.logs / "widget-through-https-proxy.png"))
    finally:
        context.close()

    # The socket went through nginx on the page's own origin and was upgraded to a WebSocket;
    # the emergency instruction came down that WebSocket.
    assert sockets, "the widget never opened a WebSocket"
    assert all(ws.url.startswith(f"wss://127.0.0.1:{deployment.https_port}/socket.io/") for ws in sockets), [
        ws.url for ws in sockets
    ]
    assert any("bot_uttered" in frame and EMERGENCY in frame for frame in frames)
    # Everything the page loaded or called came through the proxy over https (nothing from the
    # Rasa port, no http://localhost fallback), and the page's CSP let the socket through.
    others = [url for url in requested if not url.startswith((f"{deployment.https_url}/", "data:"))]
    assert others == []
    assert [e for e in console_errors if "connect-src" in e or "WebSocket" in e] == []


def test_http_redirects_to_https(deployment):
    r = requests.get(f"{deployment.http_url}/some/page?x=1", allow_redirects=False, timeout=10)
    assert r.status_code == 301
    # The shipped config redirects to the standard port 443 of the same host.
    assert r.headers["Location"] == "https://127.0.0.1/some/page?x=1"


def test_the_page_keeps_its_security_headers_and_allows_its_own_socket(deployment):
    r = requests.get(f"{deployment.https_url}/", verify=str(deployment.cert), timeout=10)
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    connect = next(part for part in csp.split("; ") if part.startswith("connect-src"))
    assert f"wss://127.0.0.1:{deployment.https_port}" in connect.split()
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    config = requests.get(f"{deployment.https_url}/config.js", verify=str(deployment.cert), timeout=10).text
    assert f'"socketUrl": "{deployment.https_url}"' in config


def test_the_rest_webhook_answers_through_the_proxy(deployment):
    r = requests.post(
        f"{deployment.https_url}/webhooks/rest/webhook",
        verify=str(deployment.cert),
        timeout=120,
        json={"sender": f"proxy-{uuid.uuid4().hex[:8]}", "message": "I have chest pain"},
    )
    assert r.status_code == 200
    assert opening("utter_emergency") in " ".join(m.get("text", "") for m in r.json())
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_a_two_megabyte_request_is_refused_by_the_proxy(deployment):
    body = b'{"sender": "big", "message": "' + b"x" * 2_000_000 + b'"}'
    r = requests.post(
        f"{deployment.https_url}/webhooks/rest/webhook",
        data=body,
        verify=str(deployment.cert),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 413
    assert "nginx" in r.text.lower()  # refused at the edge, before it reached the Rasa server


def test_rasas_own_endpoints_are_not_reachable_through_the_proxy(deployment):
    for path in ("/status", "/version", "/conversations/x/tracker", "/model"):
        r = requests.get(f"{deployment.https_url}{path}", verify=str(deployment.cert), timeout=10)
        assert r.status_code == 404, path
        assert "rasa" not in r.text.lower(), path


def test_an_sms_signed_for_the_public_url_is_answered_and_an_unsigned_one_refused(deployment):
    number = f"+1555{uuid.uuid4().int % 10**7:07d}"
    params = {
        "AccountSid": SID,
        "From": number,
        "To": TWILIO_NUMBER,
        "Body": "hi",
        "NumMedia": "0",
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "SmsMessageSid": f"SM{uuid.uuid4().hex}",
    }
    url = f"{deployment.https_url}/webhooks/sms/webhook"
    # Twilio signs the URL entered in its console: here PUBLIC_URL + the path (the default).
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    r = requests.post(
        url, data=params, headers={"X-Twilio-Signature": signature}, verify=str(deployment.cert), timeout=120
    )
    assert r.status_code == 200
    assert deployment.fake_twilio.to(number), "no SMS was sent back"
    params["MessageSid"] = params["SmsMessageSid"] = f"SM{uuid.uuid4().hex}"
    r = requests.post(
        url, data=params, headers={"X-Twilio-Signature": "forged"}, verify=str(deployment.cert), timeout=60
    )
    assert r.status_code == 403


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp* gives them) with a socket listening on `port`."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                addresses.add(address)
    return addresses


def test_the_servers_listen_on_loopback_only(deployment):
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1
    for name in ("RASA_PORT", "ACTIONS_PORT", "WEB_PORT"):
        addresses = listening_addresses(int(deployment.settings[name]))
        assert addresses and addresses <= loopback, (name, addresses)


def test_the_shipped_units_pass_systemd_analyze_verify(tmp_path):
    """systemd's own check of the units (unknown settings, missing commands), on copies that
    point at this checkout."""
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing: `make deploy-tools` installs it"
    machine = Machine(tmp_path)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "dvt-triage.env").write_text(ENV_EXAMPLE.read_text())
    copies = []
    for unit in [*UNITS.values(), TARGET]:
        copies.append(tmp_path / unit.name)
        copies[-1].write_text(machine.path(unit.read_text()))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, copies)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_each_unit_restarts_on_failure_and_is_hardened():
    for name, unit in UNITS.items():
        settings = service_section(unit)
        assert settings["Restart"] == ["on-failure"], name
        assert settings["User"] == ["dvt-triage"], name
        for option in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"):
            assert settings[option] == ["yes"], (name, option)
        assert settings["ProtectSystem"] == ["strict"], name
    # Only the Rasa server writes, and only where the tracker database is.
    rasa = service_section(UNITS["rasa"])
    assert rasa["ReadWritePaths"] == [STATE_DIR]
    assert Path(env_file(ENV_EXAMPLE)["TRACKER_DB"]).parent == Path(STATE_DIR)
    assert all("ReadWritePaths" not in service_section(UNITS[name]) for name in ("actions", "web"))


@pytest.mark.parametrize(
    "service, settings, says",
    [
        ("rasa", {"LOG_ID_SALT": ""}, "set LOG_ID_SALT"),
        ("actions", {"LOG_ID_SALT": ""}, "set LOG_ID_SALT"),
        ("rasa", {"LOG_ID_SALT": "x", "MODEL": "models/none.tar.gz"}, "no model models/none.tar.gz"),
        (
            "rasa",
            {"LOG_ID_SALT": "x", "MODEL": str(latest_model()), "SMS_ENABLED": "true"},
            "SMS_ENABLED=true needs TWILIO_ACCOUNT_SID",
        ),
    ],
)
def test_a_service_with_a_missing_setting_stops_at_once_and_names_it(tmp_path, service, settings, says):
    proc = subprocess.run(
        [str(ROOT / "scripts" / "start_service.sh"), service],
        capture_output=True,
        text=True,
        env={"PATH": SYSTEMD_PATH, "HOME": str(tmp_path), **settings},
        timeout=60,
    )
    assert proc.returncode == 1
    assert says in proc.stderr
