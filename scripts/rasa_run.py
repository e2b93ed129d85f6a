"""Runs a Rasa command as `make` and the start scripts use it: quiet, and with Rasa's HTTP API
turned on only from a token that never appears on a command line.

    scripts/rasa_run.py --model M --port P ...   `rasa run --model M --port P ...` (the server)
    scripts/rasa_run.py run actions ...          `rasa run actions ...` (the action server)
    scripts/rasa_run.py train ...                `rasa train ...` (any other Rasa command)

Quiet: a start printed ~60 lines of library deprecation warnings, and a training run 70 "The
utterance ... is not used in any story or rule" warnings, burying the lines that matter.
- Sanic turns DeprecationWarnings back on ("once") when it is imported, over PYTHONWARNINGS,
  so the filters are set again after that import. With `--debug` (or LOG_LEVEL=DEBUG) every
  warning shows, as Rasa does with its own list of expected warnings.
- The unused-utterance warnings are added to that list (`EXPECTED_WARNINGS`), only that
  message: those responses are sent by the form, the actions and the override policy, which
  Rasa's check cannot see; `make validate` (scripts/validate_data.py) checks them knowing that.
A model that does not load stops the server: Rasa would log the error and keep serving,
answering nothing, not even an emergency.

The token comes from RASA_API_TOKEN_FILE (a file holding it; preferred) or RASA_API_TOKEN,
and is handed to Rasa inside this process. Neither set: the HTTP API stays off.
Used by scripts/serve.sh (`make run`, `make run-sms`), scripts/chat.py (`make shell`) and the
Makefile's `actions`.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

# What Rasa warns about on every training run and this project expects (see above).
EXPECTED_WARNINGS = [(UserWarning, r"The utterance '[^']*' is not used in any story or rule")]
DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning)

logger = logging.getLogger("rasa_run")


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


def rasa_command(args: Sequence[str]) -> list[str]:
    """The Rasa command line: options alone mean `rasa run` (the server)."""
    return ["run", *args] if not args or args[0].startswith("-") else list(args)


def is_server(command: Sequence[str]) -> bool:
    """`rasa run` itself, not `rasa run actions`: the only one with an HTTP API and a model."""
    return command[0] == "run" and "actions" not in command[1:2]


def debugging(command: Sequence[str], environ: Mapping[str, str] = os.environ) -> bool:
    return bool({"--debug", "-vv"} & set(command)) or environ.get("LOG_LEVEL", "").upper() == "DEBUG"


def quiet_warnings() -> None:
    """Hide library deprecations and the warnings this project expects (see the docstring)."""
    import sanic  # noqa: F401  (its import sets DeprecationWarnings to "once"; undone below)
    from rasa.utils import common

    for category in DEPRECATIONS:
        warnings.filterwarnings("ignore", category=category)
        # Rasa sets its warning filters again when its command starts; this list is kept.
        common.EXPECTED_WARNINGS.append((category, ""))
    common.EXPECTED_WARNINGS.extend(EXPECTED_WARNINGS)


def stop_unless_the_model_loads() -> None:
    """Make `rasa run` exit when its model does not load, instead of serving without one."""
    import rasa.core.run

    load_agent_on_start = rasa.core.run.load_agent_on_start

    async def load_or_stop(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent_on_start(*args, **kwargs)
        if agent is None or not agent.is_ready():
            logger.error("The model could not be loaded (the error is above): the server stops.")
            # At start-up nothing is open yet that needs closing; SystemExit here would be
            # caught and logged by Sanic with a traceback of its own.
            logging.shutdown()
            os._exit(1)
        return agent

    rasa.core.run.load_agent_on_start = load_or_stop


def main() -> None:
    command = rasa_command(sys.argv[1:])
    token = None
    if is_server(command):
        try:
            token = api_token()
        except TokenError as error:
            sys.exit(f"rasa_run: {error}")
    # Not passed on to anything Rasa starts.
    os.environ.pop("RASA_API_TOKEN", None)
    os.environ.pop("RASA_API_TOKEN_FILE", None)
    # What the Makefile exports, for a start that does not go through make. SQLAlchemy's
    # "2.0 uber warning" and TensorFlow's C++ start-up log are not Python warnings.
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not debugging(command):
        quiet_warnings()
    if is_server(command):
        stop_unless_the_model_loads()
    # Only this process's own argument list changes; /proc/<pid>/cmdline keeps the original.
    sys.argv = ["rasa", *command, *(["--enable-api", "--auth-token", token] if token else [])]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
