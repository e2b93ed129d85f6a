"""The socket.io channel joins the browser to its session's room, whichever python-socketio
API (plain call before 5.10, coroutine since) `enter_room` has; without that the widget
never gets a reply when session persistence is on."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import AsyncMock

import pytest
import yaml
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput

from rasa_plugins.channels.socketio import SocketIOInput

ROOT = Path(__file__).resolve().parent.parent
CHANNEL_PATH = "rasa_plugins.channels.socketio.SocketIOInput"
CREDENTIALS = yaml.safe_load((ROOT / "credentials.yml").read_text())
EMERGENCY = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]["utter_emergency"]


def channel_with_a_connected_browser(
    cls: type = SocketIOInput, persistence: bool = True, coroutine_enter_room: bool = False
) -> tuple[RasaSocketIOInput, str]:
    """A channel whose blueprint is built (as `rasa run` does) and one connected socket."""
    channel = cls.from_credentials({"session_persistence": persistence})
    channel.blueprint(AsyncMock())
    sio = channel.sio
    sio.emit = AsyncMock()
    if coroutine_enter_room:  # what python-socketio >= 5.10 has
        plain_enter_room = sio.enter_room

        async def enter_room(sid: str, room: str, namespace: str | None = None) -> None:
            plain_enter_room(sid, room, namespace=namespace)

        sio.enter_room = enter_room
    sid = sio.manager.connect("engineio-sid-1", "/")
    return channel, sid


async def request_session(channel: RasaSocketIOInput, sid: str, data: dict | None) -> None:
    """Call the handler python-socketio would call for a `session_request` event."""
    await channel.sio.handlers["/"]["session_request"](sid, data)


def test_credentials_use_this_channel_with_session_persistence():
    assert CREDENTIALS[CHANNEL_PATH]["session_persistence"] is True
    assert "socketio" not in CREDENTIALS


def test_it_keeps_the_socketio_name_so_socketio_response_variations_apply():
    channel, _ = channel_with_a_connected_browser()
    assert SocketIOInput.name() == "socketio"
    assert channel.get_output_channel().name() == "socketio"


def test_the_widgets_emergency_message_has_the_same_words_a_call_link_and_one_bubble():
    default = EMERGENCY[0]["text"]
    widget = next(v["text"] for v in EMERGENCY if v.get("channel") == "socketio")
    assert "EMERGENCY: call 911" in widget and "[tap here to call 911](tel:911)" in widget
    assert all(sentence in widget for sentence in default.split(". ")[1:])
    assert "\n\n" not in widget  # the socketio channel sends each paragraph as its own bubble


@pytest.mark.parametrize("coroutine_enter_room", [False, True], ids=["plain-call", "coroutine"])
async def test_session_request_joins_the_session_room_and_confirms(coroutine_enter_room):
    channel, sid = channel_with_a_connected_browser(coroutine_enter_room=coroutine_enter_room)
    await request_session(channel, sid, {"session_id": "abc123"})
    assert "abc123" in channel.sio.rooms(sid)
    channel.sio.emit.assert_awaited_once_with("session_confirm", "abc123", room=sid, namespace=None)


@pytest.mark.parametrize("data", [None, {}, {"session_id": None}])
async def test_a_browser_without_a_session_gets_a_new_one_and_joins_it(data):
    channel, sid = channel_with_a_connected_browser(coroutine_enter_room=True)
    await request_session(channel, sid, data)
    (event, session_id), kwargs = channel.sio.emit.await_args
    assert event == "session_confirm" and len(session_id) == 32 and kwargs["room"] == sid
    assert session_id in channel.sio.rooms(sid)


async def test_without_session_persistence_no_room_is_joined():
    channel, sid = channel_with_a_connected_browser(persistence=False, coroutine_enter_room=True)
    await request_session(channel, sid, {"session_id": "abc123"})
    assert "abc123" not in channel.sio.rooms(sid)
    channel.sio.emit.assert_awaited_once()


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_rasas_own_channel_misses_the_room_with_a_coroutine_enter_room():
    """The bug this channel exists for, reproduced with the same set-up. When this fails,
    Rasa awaits `enter_room` itself and the subclass can go."""
    channel, sid = channel_with_a_connected_browser(RasaSocketIOInput, coroutine_enter_room=True)
    await request_session(channel, sid, {"session_id": "abc123"})
    assert "abc123" not in channel.sio.rooms(sid)


def test_browser_connections_only_from_the_configured_origins():
    from rasa_plugins.channels.socketio import origin_allowed

    allowed = "http://localhost:8080 https://clinic.example"
    assert origin_allowed("http://localhost:8080", allowed)
    assert origin_allowed("https://clinic.example/", allowed)
    assert not origin_allowed("https://evil.example", allowed)
    assert not origin_allowed("http://localhost:9999", allowed)
    assert origin_allowed(None, allowed)  # not a browser: CORS does not apply
    assert origin_allowed("https://anything.example", "")  # nothing configured: development default
