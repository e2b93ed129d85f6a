"""`rasa run ARGS`, with Rasa's HTTP API turned on when a token is configured, without the
token on the command line (where `ps` shows it to every user of the machine).

The token comes from RASA_API_TOKEN_FILE (a file holding it; preferred) or RASA_API_TOKEN,
and is handed to Rasa inside this process. Neither set: the HTTP API stays off.
Used by scripts/serve.sh (`make run`, `make run-sms`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping, Optional


class TokenError(ValueError):
    """The configured token is empty or unreadable."""


def api_token(environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """The API token from RASA_API_TOKEN_FILE or RASA_API_TOKEN; None when neither is set."""
    path = environ.get("RASA_API_TOKEN_FILE")
    if path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise TokenError(f"RASA_API_TOKEN_FILE: cannot read {path}: {error.strerror}") from None
        if not token:
            raise TokenError(f"RASA_API_TOKEN_FILE: {path} is empty")
        return token
    return environ.get("RASA_API_TOKEN") or None


def main() -> None:
    try:
        token = api_token()
    except TokenError as error:
        sys.exit(f"rasa_run: {error}")
    # Not passed on to anything Rasa starts.
    os.environ.pop("RASA_API_TOKEN", None)
    os.environ.pop("RASA_API_TOKEN_FILE", None)
    # Only this process's own argument list changes; /proc/<pid>/cmdline keeps the original.
    sys.argv = ["rasa", "run", *sys.argv[1:], *(["--enable-api", "--auth-token", token] if token else [])]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
