"""Serves the clinic page with the chat widget (web/public) for `make run` and the browser test.

Why a server of its own: the page needs to know where the Rasa socket is, so besides the
static files it answers `/config.js` with that URL, and fills the clinic's details (name,
phone, emergency number: clinic.yml, dvt_triage.clinic) into the page's {placeholders} when it
starts; everything else is stdlib static serving.
Every response carries security headers: a Content-Security-Policy that lets the
page run only its own scripts (the inline widget set-up by its hash) and talk only to itself
and the Rasa socket, may not be framed by another site (clickjacking), `nosniff`, and no
Referer to other sites.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import io
import json
import os
import re
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from dvt_triage import clinic  # noqa: E402  (the project root, whether or not PYTHONPATH names it)

PUBLIC = Path(__file__).resolve().parent / "public"
PAGE_PATHS = {"/", "/index.html"}
BUNDLE = PUBLIC / "vendor" / "rasa-webchat.js"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_script_hashes(html: str) -> list[str]:
    """CSP sources for the page's inline scripts (`<script>` without src), by SHA-256."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(html)
    ]


def content_security_policy(socket_url: str, html: str) -> str:
    """The page's own files, its inline set-up script, and the Rasa socket (polling and
    websocket); the widget injects its styles, so inline styles are allowed."""
    parts = urlsplit(socket_url)
    ws = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    socket_sources = f"{parts.scheme}://{parts.netloc} {ws}://{parts.netloc}"
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(inline_script_hashes(html)),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        f"connect-src 'self' {socket_sources}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
}


def clinic_page(settings: clinic.Clinic) -> str:
    """index.html with the clinic's details in place of its placeholders (HTML-escaped)."""
    return settings.fill((PUBLIC / "index.html").read_text(encoding="utf-8"), escape=html.escape)


class PageHandler(SimpleHTTPRequestHandler):
    """Static files from `public/`, the page with the clinic's details, and `/config.js`; no
    directory listings."""

    def __init__(self, *args: Any, socket_url: str, csp: str, page: bytes, **kwargs: Any) -> None:
        self.socket_url = socket_url
        self.csp = csp
        self.page = page
        super().__init__(*args, directory=str(PUBLIC), **kwargs)

    def send_head(self) -> Any:
        if self.path.split("?", 1)[0] not in PAGE_PATHS:
            return super().send_head()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        return io.BytesIO(self.page)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/config.js":
            # The clinic's details for the widget (its title; the numbers its scripts link or
            # look for). JSON, so any name is a safe JS string.
            settings = clinic.current()
            config = {
                "socketUrl": self.socket_url,
                "clinicName": settings.name,
                "clinicPhone": settings.phone,
                "clinicPhoneTel": settings.phone_tel,
                "emergencyTel": settings.emergency_tel,
            }
            body = f"window.DVT_CHAT = {json.dumps(config)};\n".encode()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Security-Policy", self.csp)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log only failed requests: `make run` shares its terminal with Rasa's log."""
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        self.send_error(HTTPStatus.NOT_FOUND)
        return None


def make_server(host: str, port: int, socket_url: str) -> ThreadingHTTPServer:
    """The page server, bound but not yet serving (port 0 picks a free port). The clinic
    settings are read and checked here: a bad value stops the server before it serves."""
    page = clinic_page(clinic.current())
    csp = content_security_policy(socket_url, page)
    return ThreadingHTTPServer(
        (host, port), partial(PageHandler, socket_url=socket_url, csp=csp, page=page.encode("utf-8"))
    )


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument(
        "--socket-url", default="http://localhost:5005", help="where the browser reaches Rasa's socket.io"
    )
    args = parser.parse_args(argv)
    if not BUNDLE.exists():
        parser.exit(1, f"{BUNDLE} is missing: run `make web` to vendor the widget from npm.\n")
    server = make_server(args.host, args.port, args.socket_url)
    print(f"Chat widget page on http://localhost:{server.server_address[1]}/ (socket {args.socket_url})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
