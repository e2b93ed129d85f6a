"""The socket.io channel the website chat widget talks to: Rasa 3.6's own, with the one
call it gets wrong fixed.

Why: with `session_persistence: true` the widget sends `session_request` and Rasa puts the
browser's socket into a room named after the session id, because replies are emitted to
that room. python-socketio 5.10 made `AsyncServer.enter_room` a coroutine and Rasa 3.6
calls it without `await`, so the socket never joins the room and the bot never answers.
requirements.lock pins python-socketio 5.8.0 (where it is a plain call); this channel keeps
the widget working if that pin ever moves.

Also: Rasa creates its socket.io server with CORS handling disabled, so any web page could
open a socket to it. This channel refuses a browser connection whose Origin is not one of
CORS_ORIGINS (space-separated, the same list `rasa run --cors` gets from scripts/serve.sh).
Clients that send no Origin (not browsers) are not affected, as with CORS itself.
"""

from __future__ import annotations

import inspect
import logging
import os
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint

logger = logging.getLogger(__name__)

SESSION_REQUEST_EVT = "session_request"
SESSION_CONFIRM_EVT = "session_confirm"


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socket.io input channel, awaiting `enter_room` when it is a coroutine.

    It keeps the name `socketio`, so `channel: socketio` response variations apply to it.
    """

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with its `session_request` handler replaced by ours."""
        socketio_webhook = super().blueprint(on_new_message)
        # python-socketio keeps one handler per (namespace, event): this replaces Rasa's.
        self.sio.on(SESSION_REQUEST_EVT, self.session_request, namespace=self.namespace)
        self.sio.on("connect", self.connect, namespace=self.namespace)
        return socketio_webhook

    async def connect(self, sid: Text, environ: Dict[Text, Any], auth: Optional[Dict] = None) -> bool:
        """Accept a connection unless a browser opened it from a page of another origin."""
        return origin_allowed(environ.get("HTTP_ORIGIN"), os.environ.get("CORS_ORIGINS", ""))

    async def session_request(self, sid: Text, data: Optional[Dict[Text, Any]]) -> None:
        """Confirm (or create) the session id and, with session persistence, join its room."""
        data = data or {}
        if not data.get("session_id"):
            data["session_id"] = uuid.uuid4().hex
        if self.session_persistence:
            joined = self.sio.enter_room(sid, data["session_id"], namespace=self.namespace)
            if inspect.isawaitable(joined):  # python-socketio >= 5.10
                await joined
        await self.sio.emit(SESSION_CONFIRM_EVT, data["session_id"], room=sid, namespace=self.namespace)
        logger.debug(f"User {sid} joined session {data['session_id']}.")


def origin_allowed(origin: Optional[Text], allowed: Text) -> bool:
    """True when no origin is sent, no list is configured, or the origin is on the list."""
    origins = allowed.split()
    if not origin or not origins or "*" in origins:
        return True
    if origin.rstrip("/") in {o.rstrip("/") for o in origins}:
        return True
    logger.warning("socket.io connection refused: origin not in CORS_ORIGINS")
    return False
