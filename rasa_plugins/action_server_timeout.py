"""How long the Rasa server waits for the action server before giving up.

Rasa 3.6 waits up to 5 minutes (`rasa.core.constants.DEFAULT_REQUEST_TIMEOUT`) and offers
no setting for it. A patient should not wait that long: after `ACTION_TIMEOUT_SECONDS`
(default 10) the call fails and `TriageOverridePolicy` sends the "can't finish the check
right now, call the clinic" message instead of silence.
"""

from __future__ import annotations

import os

import rasa.core.actions.action as rasa_action

DEFAULT_SECONDS = 10.0


def configure(seconds: float | None = None) -> float:
    """Set the action-server timeout (seconds); returns the value in force."""
    value = seconds if seconds is not None else float(os.environ.get("ACTION_TIMEOUT_SECONDS", DEFAULT_SECONDS))
    rasa_action.DEFAULT_REQUEST_TIMEOUT = value
    return value
