"""web/server.py, the clinic page's server, as the browser meets it: every response carries the
security headers, and the page's Content-Security-Policy allows its own inline set-up script
(by hash) and the Rasa socket, nothing else."""

from __future__ import annotations

import re
import sys
import threading
from typing import Iterator

import pytest
import requests

from harness.servers import ROOT

sys.path.insert(0, str(ROOT / "web"))
import server as page_server  # noqa: E402  (web/ is a folder of its own, not a package)

SOCKET_URL = "https://chat.clinic.example:5005"


@pytest.fixture(scope="module")
def page() -> Iterator[str]:
    httpd = page_server.make_server("127.0.0.1", 0, SOCKET_URL)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("path", ["/", "/config.js", "/site.css", "/no-such-file"])
def test_every_response_carries_the_security_headers(page, path):
    r = requests.get(page + path, timeout=30)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY"
    csp = dict(part.strip().split(" ", 1) for part in r.headers["Content-Security-Policy"].split(";"))
    assert csp["frame-ancestors"] == "'none'" and csp["default-src"] == "'self'"
    assert csp["connect-src"] == f"'self' {SOCKET_URL} wss://chat.clinic.example:5005"
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]


def test_the_pages_inline_script_is_allowed_by_its_hash_and_only_it(page):
    html = requests.get(page + "/", timeout=30).text
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert inline  # the widget's set-up
    csp = requests.get(page + "/", timeout=30).headers["Content-Security-Policy"]
    assert set(page_server.inline_script_hashes(html)) == set(re.findall(r"'sha256-[^']+'", csp))
    assert page_server.inline_script_hashes(html.replace("initPayload", "initPayIoad")) != \
        page_server.inline_script_hashes(html)
