"""Serves the clinic page with the chat widget (web/public) for `make run` and the browser test.

Why a server of its own: the page needs to know where the Rasa socket is, so besides the
static files it answers `/config.js` with that URL; everything else is stdlib static serving.
"""

from __future__ import annotations

import argparse
import json
import os
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

PUBLIC = Path(__file__).resolve().parent / "public"
BUNDLE = PUBLIC / "vendor" / "rasa-webchat.js"


class PageHandler(SimpleHTTPRequestHandler):
    """Static files from `public/` plus `/config.js`; no directory listings."""

    def __init__(self, *args: Any, socket_url: str, **kwargs: Any) -> None:
        self.socket_url = socket_url
        super().__init__(*args, directory=str(PUBLIC), **kwargs)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/config.js":
            body = f"window.DVT_CHAT = {json.dumps({'socketUrl': self.socket_url})};\n".encode()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log only failed requests: `make run` shares its terminal with Rasa's log."""
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        self.send_error(HTTPStatus.NOT_FOUND)
        return None


def make_server(host: str, port: int, socket_url: str) -> ThreadingHTTPServer:
    """The page server, bound but not yet serving (port 0 picks a free port)."""
    return ThreadingHTTPServer((host, port), partial(PageHandler, socket_url=socket_url))


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
