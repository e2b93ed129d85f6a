"""A widget tab that goes away, however it goes, is one INFO line in the Rasa server's log and
never a traceback. Real sockets: the channel's blueprint in a Sanic server on a loopback port
(in this process, no model needed), and python-socketio's client as the tab.

Before the channel marked engine.io's route as a websocket route, every closed tab made Sanic
log "Invalid response type None" with a traceback; `test_the_check_sees_the_old_traceback`
keeps this test honest by putting that route back the way Rasa registers it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import AsyncIterator, Awaitable, Callable
from unittest.mock import AsyncMock

import pytest
import socketio
from sanic import Sanic
from sanic.touchup import TouchUp

from harness.servers import free_port
from rasa_plugins.channels import socketio as channel_module
from rasa_plugins.channels.socketio import SocketIOInput

CHANNEL_LOGGER = channel_module.logger.name
DISCONNECTED = "socketio: a widget disconnected"


async def graceful_close(client: socketio.AsyncClient) -> None:
    """The widget's own disconnect: a socket.io disconnect packet, then a websocket close."""
    await client.disconnect()


async def websocket_close_without_goodbye(client: socketio.AsyncClient) -> None:
    """A tab closing: the browser closes the websocket (code 1001) with no socket.io packet."""
    await client.eio.ws.close(code=1001)


async def connection_dropped(client: socketio.AsyncClient) -> None:
    """A killed browser or a lost network: the TCP connection ends with no websocket close."""
    client.eio.ws._response.connection.transport.abort()


CLOSES = [graceful_close, websocket_close_without_goodbye, connection_dropped]


async def serve_channel(channel: SocketIOInput) -> AsyncIterator[str]:
    app = Sanic(f"closed-tabs-{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(channel.blueprint(AsyncMock()))
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    """Sanic 21.12 rewrites its protocol class when a server starts, and a second server in
    the same process fails on the rewritten code unless in test mode (which keeps the original)."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    yield
    # Put the original back, so that a server started later in this process is rewritten once.
    for target, name in TouchUp._registry:
        if hasattr(target, f"_{name}"):
            setattr(target, name, getattr(target, f"_{name}"))


@pytest.fixture
async def server_url() -> AsyncIterator[str]:
    async for url in serve_channel(SocketIOInput.from_credentials({"session_persistence": True})):
        yield url


async def open_and_close_a_tab(url: str, close: Callable[[socketio.AsyncClient], Awaitable[None]]) -> None:
    tab = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Queue = asyncio.Queue()
    tab.on("session_confirm", confirmed.put)
    await tab.connect(url, transports=["websocket"], socketio_path="socket.io")
    await tab.emit("session_request", {})
    await asyncio.wait_for(confirmed.get(), 10)
    await close(tab)


async def wait_for_disconnect_lines(
    caplog: pytest.LogCaptureFixture, count: int, timeout: float = 60
) -> None:
    """engine.io notices a dropped connection at its next read, or at the ping timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while sum(DISCONNECTED in r.getMessage() for r in caplog.records) < count:
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # anything Sanic logs after the handler returned


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The log records that are errors or carry a traceback, as the log would show them."""
    formatter = logging.Formatter("%(name)s: %(message)s")
    return [
        formatter.format(r)
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
    ]


@pytest.mark.parametrize("close", CLOSES, ids=lambda f: f.__name__)
async def test_a_closed_tab_is_one_info_line_and_no_traceback(server_url, caplog, close):
    caplog.set_level(logging.INFO)
    await open_and_close_a_tab(server_url, close)
    await wait_for_disconnect_lines(caplog, 1)
    assert tracebacks(caplog) == []
    ours = [r for r in caplog.records if r.name == CHANNEL_LOGGER]
    assert [(r.levelno, r.getMessage().split(" (")[0]) for r in ours] == [(logging.INFO, DISCONNECTED)]
    assert "conv-" in ours[0].getMessage()  # a pseudonym, never the session id (a bearer secret)


async def test_the_check_sees_the_old_traceback(caplog, monkeypatch):
    """Without the websocket route marking, the same close logs the traceback again."""
    monkeypatch.setattr(channel_module, "_mark_engineio_route_as_websocket", lambda sio: None)
    caplog.set_level(logging.INFO)
    async for url in serve_channel(SocketIOInput.from_credentials({"session_persistence": True})):
        await open_and_close_a_tab(url, websocket_close_without_goodbye)
        await wait_for_disconnect_lines(caplog, 1)
    assert any("Invalid response type None" in line for line in tracebacks(caplog))
