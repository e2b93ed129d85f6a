"""After the action server comes back, the conversation goes on.

A real `kill -9` of the action server while a patient finishes the check, the patient told to
try again later, the action server started again on the same port, and the patient's next
message: on REST and on SMS. The outcome must come exactly once, `triage_level` must stay
set, and the messages after it must be answered as usual.

What went wrong before: after the retried outcome no policy predicted listening, so
RulePolicy fell back to `action_default_fallback`, whose UserUtteranceReverted undid the
whole turn, outcome included; every later message ran the outcome and the fallback again.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Callable, Iterator

import pytest

from dvt_triage import slots as s
from rasa_plugins.channels.conversation_ids import sms_conversation_id
from tests.support.fake_twilio import FakeTwilio, Phone, sms_server_settings
from tests.support.robustness import GREETING_OFFER, HOME_CARE_ANSWERS, UNAVAILABLE, events, joined
from harness.servers import Chat, Server, free_port, start_actions, start_rasa


SMS_ID_KEY = "recovery-test-key-" + "0" * 20
# Words of the outcome and of the FAQ answer that every channel's wording has.
OUTCOME = "doctors sometimes allow home care"
FAQ = "blood clot in a deep vein"
UNDO_EVENTS = {"rewind", "undo", "restart"}


class Servers:
    """The Rasa server (REST and SMS) and a real action server that can be killed."""

    def __init__(self, tmp: Path) -> None:
        self.tmp, self.actions_port = tmp, free_port()
        self.fake = FakeTwilio("AC" + "4" * 32, "recovery-token").start()
        credentials, env = sms_server_settings(tmp, self.fake, SMS_ID_KEY=SMS_ID_KEY)
        self.actions: Server = start_actions(tmp, self.actions_port)[0]
        self.db = tmp / "trackers.db"
        self.rasa, port = start_rasa(tmp, self.actions_port, self.db, credentials=credentials, extra_env=env)
        self.base = f"http://127.0.0.1:{port}"

    def kill_actions(self) -> None:
        self.actions.proc.send_signal(signal.SIGKILL)
        self.actions.proc.wait()
        self.actions.stop()

    def restart_actions(self) -> None:
        self.actions = start_actions(self.tmp, self.actions_port)[0]

    def stop(self) -> None:
        self.rasa.stop()
        self.actions.stop()
        self.fake.stop()


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[Servers]:
    running = Servers(tmp_path_factory.mktemp("recovery"))
    yield running
    running.stop()


def assert_recovers(servers: Servers, say: Callable[[str], str], conversation_id: str, confirm: str) -> None:
    """Answers the check with the action server killed before the last answers, then brings
    it back; `say` sends a message and returns the replies as one text."""
    assert GREETING_OFFER in say("hi")
    say("yes")  # start the check
    for slot in s.FORM_SLOTS[:-3]:
        say(HOME_CARE_ANSWERS[slot])
    servers.kill_actions()
    try:
        for slot in s.FORM_SLOTS[-3:]:
            read_back = say(HOME_CARE_ANSWERS[slot])
        assert "12." in read_back  # the read-back needs no action server
        assert UNAVAILABLE in say(confirm)
    finally:
        servers.restart_actions()

    after = say("ok")
    assert after.count(OUTCOME) == 1, after
    faq = say("what is a DVT?")
    assert FAQ in faq and OUTCOME not in faq
    thanks = say("thanks")
    assert OUTCOME not in thanks and "not sure I understood" not in thanks
    stored = events(servers.db, conversation_id)
    names = [e.get("name") for e in stored if e["event"] == "action"]
    assert "action_default_fallback" not in names
    assert not UNDO_EVENTS & {e["event"] for e in stored}
    levels = [e["value"] for e in stored if e["event"] == "slot" and e["name"] == s.TRIAGE_LEVEL]
    assert levels and levels[-1] == s.HOME_CARE_POSSIBLE
    assert names.count(s.ACTION_ASSESS_HOME_CARE) == 2  # the failed call and the one retry


def test_rest_recovers_after_the_action_server_is_killed_and_restarted(servers):
    chat, user = Chat(servers.base), "recovery-rest"
    assert_recovers(servers, lambda text: joined(chat.send(user, text)), user, confirm="that's right")


def test_sms_recovers_after_the_action_server_is_killed_and_restarted(servers):
    phone = Phone({"fake": servers.fake, "base": servers.base})
    conversation_id = sms_conversation_id(phone.number, SMS_ID_KEY)
    assert_recovers(servers, lambda text: joined(phone.text(text)), conversation_id, confirm="YES")
