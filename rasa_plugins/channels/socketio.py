"""The socket.io channel the website chat widget talks to: Rasa 3.6's own, with its session
handling replaced.

Sessions. Rasa's channel takes any string as a session id, lets any socket join
any session's room (and so read every reply to it) and lets a socket send into any session
by naming it. Here:
- session ids are issued by the server (`conversation_ids.new_web_id`, 128 random bits);
  a `session_request` naming anything else (a phone number, another channel's id, a path,
  a 900 KB string) gets a fresh id. The id is a bearer secret held in the widget's tab.
- a socket sends only into the session it joined: a `user_uttered` naming another session,
  or none, is refused.
- a malformed event (not an object, a message that is not text) is refused with a warning,
  never a traceback; a closed tab, however it closes, is one INFO line, and no longer makes
  Sanic log "Invalid response type None" with a traceback.

`enter_room`: python-socketio 5.10 made `AsyncServer.enter_room` a coroutine and Rasa 3.6
calls it without `await`, so the socket never joins the room and the bot never answers.
requirements.lock pins python-socketio 5.8.0 (a plain call); this channel awaits it when
it is a coroutine, so the widget keeps working if that pin moves.

Origins: Rasa creates its socket.io server with CORS handling disabled, so any web page could
open a socket to it. This channel refuses a browser connection whose Origin is not one of
CORS_ORIGINS (space-separated, the same list `rasa run --cors` gets from scripts/serve.sh).
Clients that send no Origin (not browsers) are not affected, as with CORS itself.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint

from rasa_plugins.channels.conversation_ids import is_web_id, new_web_id
from rasa_plugins.log_privacy import pseudonym

logger = logging.getLogger(__name__)

SESSION_REQUEST_EVT = "session_request"
SESSION_CONFIRM_EVT = "session_confirm"


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socket.io input channel with server-issued sessions and join-only sending.

    It keeps the name `socketio`, so `channel: socketio` response variations apply to it.
    """

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with its socket.io handlers replaced by ours."""
        socketio_webhook = super().blueprint(on_new_message)
        self._on_new_message = on_new_message
        self._joined: Dict[Text, Text] = {}  # socket id -> the session it joined
        # python-socketio keeps one handler per (namespace, event): these replace Rasa's.
        self.sio.on("connect", self.connect, namespace=self.namespace)
        self.sio.on("disconnect", self.disconnect, namespace=self.namespace)
        self.sio.on(SESSION_REQUEST_EVT, self.session_request, namespace=self.namespace)
        self.sio.on(self.user_message_evt, self.handle_message, namespace=self.namespace)
        _mark_engineio_route_as_websocket(self.sio)
        _refuse_malformed_packets(self.sio)
        return socketio_webhook

    async def connect(self, sid: Text, environ: Dict[Text, Any], auth: Optional[Dict] = None) -> bool:
        """Accept a connection unless a browser opened it from a page of another origin."""
        return origin_allowed(environ.get("HTTP_ORIGIN"), os.environ.get("CORS_ORIGINS", ""))

    async def disconnect(self, sid: Text) -> None:
        """A closed tab, a lost network or the widget's own disconnect: one line, no traceback."""
        session_id = self._joined.pop(sid, None)
        logger.info(
            "socketio: a widget disconnected (conversation %s)",
            pseudonym(session_id) if session_id else "none",
        )

    async def session_request(self, sid: Text, data: Any = None) -> None:
        """Confirm the session the widget asks for if it is one of ours (with session
        persistence), else issue a fresh one; the socket joins its room, and only that one."""
        requested = data.get("session_id") if isinstance(data, dict) else None
        session_id = requested if self.session_persistence and is_web_id(requested) else new_web_id()
        previous = self._joined.get(sid)
        if previous and previous != session_id:
            await _maybe_await(self.sio.leave_room(sid, previous, namespace=self.namespace))
        await _maybe_await(self.sio.enter_room(sid, session_id, namespace=self.namespace))
        self._joined[sid] = session_id
        await self.sio.emit(SESSION_CONFIRM_EVT, session_id, room=sid, namespace=self.namespace)

    async def handle_message(self, sid: Text, data: Any = None) -> None:
        """Hand a message to Rasa if it is well-formed and names the session this socket joined."""
        session_id = self._joined.get(sid)
        if not isinstance(data, dict) or session_id is None or data.get("session_id") != session_id:
            logger.warning("socketio: message refused: not for the session this socket joined")
            return
        message, metadata = data.get("message"), data.get(self.metadata_key) or {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = None
        if not isinstance(message, str) or not isinstance(metadata, dict):
            logger.warning("socketio: message refused: the message must be text and metadata an object")
            return
        output = rasa_socketio.SocketIOOutput(self.sio, self.bot_message_evt)
        try:
            await self._on_new_message(
                UserMessage(message, output, session_id, input_channel=self.name(), metadata=metadata)
            )
        except Exception:
            # Logged without the message or the session id (a bearer secret).
            logger.exception("socketio: could not handle a message in conversation %s", pseudonym(session_id))


async def _maybe_await(result: Any) -> None:
    """python-socketio >= 5.10 made enter_room/leave_room coroutines; Rasa 3.6 does not await them."""
    if inspect.isawaitable(result):
        await result


def _mark_engineio_route_as_websocket(sio: Any) -> None:
    """When a websocket closes (a closed tab), engine.io's request handler returns None and
    Sanic logs "Invalid response type None" with a traceback, unless the route handler says
    it serves websockets. The route is created from `sio.eio.handle_request` when the
    blueprint is registered, after this."""
    handle_request = sio.eio.handle_request

    async def handle_request_or_websocket(*args: Any, **kwargs: Any) -> Any:
        return await handle_request(*args, **kwargs)

    handle_request_or_websocket.is_websocket = True  # type: ignore[attr-defined]
    sio.eio.handle_request = handle_request_or_websocket


def _refuse_malformed_packets(sio: Any) -> None:
    """A socket.io packet that does not decode (bad JSON, unknown type) raised inside
    python-socketio and engine.io logged it with a traceback; it is refused with a warning."""
    decode_and_dispatch = sio._handle_eio_message

    async def handle_eio_message(eio_sid: Text, data: Any) -> Any:
        try:
            return await decode_and_dispatch(eio_sid, data)
        except ValueError:
            logger.warning("socketio: message refused: not a valid socket.io packet")
            return None

    sio.eio.on("message", handle_eio_message)


def origin_allowed(origin: Optional[Text], allowed: Text) -> bool:
    """True when no origin is sent, no list is configured, or the origin is on the list."""
    origins = allowed.split()
    if not origin or not origins or "*" in origins:
        return True
    if origin.rstrip("/") in {o.rstrip("/") for o in origins}:
        return True
    logger.warning("socket.io connection refused: origin not in CORS_ORIGINS")
    return False
