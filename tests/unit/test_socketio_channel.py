"""The socket.io channel issues session ids itself, lets a socket send only into the session
it joined, and joins the browser to its session's room whichever python-socketio API (plain
call before 5.10, coroutine since) `enter_room` has; without that the widget never gets a
reply when session persistence is on."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import AsyncMock

import pytest
import yaml
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput

from rasa_plugins.channels.conversation_ids import is_web_id, new_web_id
from rasa_plugins.channels.socketio import SocketIOInput

ROOT = Path(__file__).resolve().parents[2]
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
    assert "**EMERGENCY: call {emergency_number}**" in widget
    assert "[tap here to call {emergency_number}](tel:{emergency_tel})" in widget
    assert all(sentence in widget for sentence in default.split(". ")[1:])
    assert "\n\n" not in widget  # the socketio channel sends each paragraph as its own bubble


async def send(channel: RasaSocketIOInput, sid: str, data: object) -> None:
    """Call the handler python-socketio would call for a `user_uttered` event."""
    await channel.sio.handlers["/"]["user_uttered"](sid, data)


def confirmed(channel: RasaSocketIOInput) -> str:
    (event, session_id), kwargs = channel.sio.emit.await_args
    assert event == "session_confirm"
    return session_id


@pytest.mark.parametrize("coroutine_enter_room", [False, True], ids=["plain-call", "coroutine"])
async def test_session_request_for_an_issued_id_joins_its_room_and_confirms(coroutine_enter_room):
    channel, sid = channel_with_a_connected_browser(coroutine_enter_room=coroutine_enter_room)
    issued = new_web_id()
    await request_session(channel, sid, {"session_id": issued})
    assert issued in channel.sio.rooms(sid)
    channel.sio.emit.assert_awaited_once_with("session_confirm", issued, room=sid, namespace=None)


@pytest.mark.parametrize(
    "data",
    [None, {}, {"session_id": None}, {"session_id": "abc123"}, {"session_id": "+15551234567"},
     {"session_id": "sms:" + "a" * 32}, {"session_id": "../../x"}, {"session_id": "web:\x00"},
     {"session_id": "web:" + "a" * 900_000}, "a string", [1, 2]],
    ids=["none", "empty", "null", "client-made", "phone", "sms-id", "path", "nul", "900kb", "string", "list"],
)
async def test_anything_but_an_issued_id_gets_a_fresh_one(data):
    channel, sid = channel_with_a_connected_browser(coroutine_enter_room=True)
    await request_session(channel, sid, data)
    session_id = confirmed(channel)
    assert is_web_id(session_id) and session_id in channel.sio.rooms(sid)
    assert not isinstance(data, dict) or session_id != data.get("session_id")


async def test_without_session_persistence_even_an_issued_id_is_not_reused():
    channel, sid = channel_with_a_connected_browser(persistence=False, coroutine_enter_room=True)
    issued = new_web_id()
    await request_session(channel, sid, {"session_id": issued})
    assert confirmed(channel) != issued and issued not in channel.sio.rooms(sid)


async def test_a_socket_sends_only_into_the_session_it_joined():
    channel, sid = channel_with_a_connected_browser()
    on_new_message = AsyncMock()
    channel.blueprint(on_new_message)  # a fresh server with the recording handler
    channel.sio.emit = AsyncMock()
    sid = channel.sio.manager.connect("engineio-sid-2", "/")
    victim = new_web_id()
    await send(channel, sid, {"message": "hi", "session_id": victim})  # before any session_request
    await request_session(channel, sid, {})
    own = confirmed(channel)
    for refused in ({"message": "hi", "session_id": victim}, {"message": "hi"}, {"message": 5, "session_id": own},
                    {"message": "hi", "session_id": own, "metadata": "not json"}, "hi", None, [own]):
        await send(channel, sid, refused)
    on_new_message.assert_not_awaited()
    await send(channel, sid, {"message": "hi", "session_id": own})
    (message,), _ = on_new_message.await_args
    assert message.sender_id == own and message.text == "hi" and message.input_channel == "socketio"
    await channel.sio.handlers["/"]["disconnect"](sid)
    await send(channel, sid, {"message": "hi", "session_id": own})  # after disconnecting
    assert on_new_message.await_count == 1


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_rasas_own_channel_misses_the_room_with_a_coroutine_enter_room():
    """The bug this channel exists for, reproduced with the same set-up. When this fails,
    Rasa awaits `enter_room` itself and the subclass can go."""
    channel, sid = channel_with_a_connected_browser(RasaSocketIOInput, coroutine_enter_room=True)
    issued = new_web_id()
    await request_session(channel, sid, {"session_id": issued})
    assert issued not in channel.sio.rooms(sid)


def test_browser_connections_only_from_the_configured_origins():
    from rasa_plugins.channels.socketio import origin_allowed

    allowed = "http://localhost:8080 https://clinic.example"
    assert origin_allowed("http://localhost:8080", allowed)
    assert origin_allowed("https://clinic.example/", allowed)
    assert not origin_allowed("https://evil.example", allowed)
    assert not origin_allowed("http://localhost:9999", allowed)
    assert origin_allowed(None, allowed)  # not a browser: CORS does not apply
    assert origin_allowed("https://anything.example", "")  # nothing configured: development default
