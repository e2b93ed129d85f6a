"""Faults, end to end: an action server that is too slow or erroring, the Rasa server
restarted mid-assessment, and several messages of one conversation arriving at once.

One Rasa server (action timeout 2 s) whose action-server port is served in turn by the real
action server and by a fake that is slow or answers 500. Every assertion is on what the
patient reads, or on the conversation as the tracker store holds it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

import pytest
import requests

from dvt_triage import clinic
from dvt_triage import slots as s
from tests.support.robustness import (
    EMERGENCY,
    GREETING_OFFER,
    HOME_CARE_ANSWERS,
    UNAVAILABLE,
    FakeActionServer,
    joined,
    question,
    response,
    turns,
    user_events,
)
from harness.servers import Chat, Server, free_port, start_actions, start_rasa


ACTION_TIMEOUT_SECONDS = "2"
CLINIC = clinic.current()


class Assistant:
    """The Rasa server and whatever currently answers on its action-server port."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = tmp / "trackers.db"
        self.actions_port = free_port()
        self.actions: Server | FakeActionServer | None = None
        self.use_real_actions()
        self.rasa: Server | None = None
        self.start_rasa()

    def start_rasa(self) -> None:
        self.rasa, port = start_rasa(
            self.tmp, self.actions_port, self.db, extra_env={"ACTION_TIMEOUT_SECONDS": ACTION_TIMEOUT_SECONDS}
        )
        self.chat = Chat(f"http://127.0.0.1:{port}")

    def _stop_actions(self) -> None:
        if self.actions is not None:
            self.actions.stop()
            self.actions = None

    def use_real_actions(self) -> None:
        self._stop_actions()
        self.actions, _ = start_actions(self.tmp, self.actions_port)

    def use_fake_actions(self, mode: str) -> FakeActionServer:
        self._stop_actions()
        fake = FakeActionServer(self.actions_port, mode).start()
        self.actions = fake
        return fake

    def stop(self) -> None:
        if self.rasa:
            self.rasa.stop()
        self._stop_actions()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Iterator[Assistant]:
    running = Assistant(tmp_path_factory.mktemp("faults"))
    yield running
    running.stop()


def start_check(chat: Chat, user: str) -> None:
    assert GREETING_OFFER in joined(chat.send(user, "hi"))
    assert question(s.EMERGENCY_SCREEN) in joined(chat.send(user, "yes"))


def advance_to(chat: Chat, user: str, slot: str) -> None:
    """Answer every question before `slot`; checks that `slot` is the one asked."""
    start_check(chat, user)
    reply: list[str] = []
    for earlier in s.FORM_SLOTS[: s.FORM_SLOTS.index(slot)]:
        reply = chat.send(user, HOME_CARE_ANSWERS[earlier])
    if reply:
        assert question(slot) in joined(reply)


READ_BACK = response("utter_read_back").split("\n")[0]
CONFIRM = "that's right"  # the read-back's button payload


def answer_rest(chat: Chat, user: str, from_slot: str) -> str:
    """Answer `from_slot` and every question after it; returns the last reply (the read-back
    of the answers, which needs no action server)."""
    reply: list[str] = []
    for slot in s.FORM_SLOTS[s.FORM_SLOTS.index(from_slot):]:
        reply = chat.send(user, HOME_CARE_ANSWERS[slot])
    return joined(reply)


def assert_degraded(text: str) -> None:
    """The clear "call the clinic" message: never silence (Chat.send raises on HTTP errors)."""
    assert UNAVAILABLE in text and CLINIC.phone in text and f"call {CLINIC.emergency_number} now" in text, text


@pytest.mark.parametrize("mode", ["slow", "error"])
def test_a_slow_or_erroring_action_server_delays_only_the_outcome_and_says_so(assistant, mode):
    chat = assistant.chat
    mid, sick, later = f"{mode}-mid", f"{mode}-sick", f"{mode}-later"
    advance_to(chat, mid, s.CANCER)
    advance_to(chat, sick, s.HIGH_PE_RISK)
    fake = assistant.use_fake_actions(mode)
    try:
        # The questions need no action server: the check goes on to its last question...
        assert question(s.KIDNEY_DISEASE) in joined(chat.send(mid, "no"))
        # ...and its read-back of the answers; the outcome, which needs it, is replaced by
        # "call the clinic" once the patient confirms, not by silence.
        assert READ_BACK in answer_rest(chat, mid, s.KIDNEY_DISEASE)
        assert_degraded(joined(chat.send(mid, CONFIRM)))
        assert_degraded(joined(chat.send(mid, "ok")))
        # A new conversation and questions need no action server.
        assert GREETING_OFFER in joined(chat.send(later, "hi"))
        assert question(s.EMERGENCY_SCREEN) in joined(chat.send(later, "yes"))
        faq = response("utter_faq_what_is_dvt").split(". ")[0]
        assert faq in joined(chat.send(f"{mode}-faq", "what is a DVT?"))
        # The emergency override is unaffected, on a first message and mid-assessment.
        assert EMERGENCY in chat.send(f"{mode}-first", "I'm coughing up blood")[0]
        assert EMERGENCY in chat.send(sick, "no, but my chest hurts and I can't breathe")[0]
        assert fake.calls >= 2  # the failing action server was really asked, once per try
    finally:
        assistant.use_real_actions()
    # Back: the next message gets the outcome, with every answer kept.
    outcome = joined(chat.send(mid, "hello?"))
    assert response("utter_outcome_home_care_possible").split(". ")[0] in outcome
    summary = joined(chat.send(mid, "summary"))
    assert "- Cancer: no" in summary and "- Kidney disease: no" in summary
    assert question(s.DIAGNOSIS_CONFIRMED) in joined(chat.send(later, "no"))
    # After the emergency, the instruction still comes first.
    assert EMERGENCY in chat.send(sick, "ok")[0]


def post_at_once(base: str, user: str, messages: list[str]) -> list[requests.Response]:
    """Posts every message of one conversation at the same moment, one thread each."""
    barrier = threading.Barrier(len(messages))
    results: list[requests.Response | None] = [None] * len(messages)

    def post(i: int) -> None:
        barrier.wait()
        results[i] = requests.post(
            f"{base}/webhooks/rest/webhook", json={"sender": user, "message": messages[i]}, timeout=300
        )

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(messages))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def test_concurrent_answers_in_one_conversation_are_handled_one_at_a_time(assistant):
    chat, user = assistant.chat, "concurrent-form"
    advance_to(chat, user, s.DIAGNOSIS_CONFIRMED)
    before = len(user_events(assistant.db, user))
    answers = ["yes", "yep", "yeah", "yes I have"]  # the four conditions, whichever comes first
    results = post_at_once(chat.base, user, answers)

    assert [r.status_code for r in results] == [200] * len(answers)
    replies = {answers[i]: [m.get("text", "") for m in r.json()] for i, r in enumerate(results)}
    stored = turns(assistant.db, user)[before:]
    # Every message stored once, none lost, and each stored with exactly the replies its
    # request received: no message was interleaved with another.
    assert sorted(text for text, _ in stored) == sorted(answers)
    for text, bot in stored:
        assert bot == replies[text], text
    # Handled in order: each message answered the question the previous one left open.
    expected = [question(slot) for slot in (s.CLOT_SMALL_STABLE, s.ANTICOAGULANT_STARTED,
                                            s.FOLLOW_UP_AVAILABLE, s.SEVERE_SYMPTOMS)]
    for (text, bot), asked in zip(stored, expected):
        assert asked in joined(bot), (text, bot)
    read_back = answer_rest(chat, user, s.SEVERE_SYMPTOMS)
    assert "4. Close follow-up arranged: yes" in read_back and "2. Doctor said the clot is small and stable: yes" in read_back


def test_concurrent_questions_all_get_their_own_answer(assistant):
    chat, user = assistant.chat, "concurrent-faq"
    chat.send(user, "hi")
    faqs = {
        "what is a DVT?": "utter_faq_what_is_dvt",
        "should I wear compression stockings?": "utter_faq_compression",
        "will my insurance cover it?": "utter_faq_insurance",
        "how do I book an appointment?": "utter_faq_booking",
        "can I walk with a blood clot?": "utter_faq_walking",
        "what should I eat with a blood clot?": "utter_faq_diet",
    }
    messages = list(faqs) * 2  # twelve at once, each question twice
    results = post_at_once(chat.base, user, messages)
    assert all(r.status_code == 200 for r in results)
    for message, r in zip(messages, results):
        assert response(faqs[message]).split(". ")[0] in joined([m.get("text", "") for m in r.json()]), message
    stored = [text for text, _ in turns(assistant.db, user)]
    assert sorted(stored[1:]) == sorted(messages)


def test_the_rasa_server_restarted_mid_assessment_resumes_where_it_was(assistant):
    """Last: it restarts the module's Rasa server."""
    chat, user = assistant.chat, "restart"
    start_check(chat, user)
    chat.send(user, "no")  # emergency screen
    chat.send(user, "yes")  # confirmed by ultrasound
    chat.send(user, "not sure")  # small and stable
    assert question(s.FOLLOW_UP_AVAILABLE) in joined(chat.send(user, "yes"))  # blood thinner started
    stored_before = user_events(assistant.db, user)

    assistant.rasa.stop()
    assistant.start_rasa()  # same tracker store, new process and port
    chat = assistant.chat

    # The next answer is taken for the question that was open, and the next one is asked.
    assert question(s.SEVERE_SYMPTOMS) in joined(chat.send(user, "yes"))
    read_back = answer_rest(chat, user, s.SEVERE_SYMPTOMS)
    # The answers given before the restart are in the read-back.
    assert "1. Clot confirmed by a scan: yes" in read_back
    assert "2. Doctor said the clot is small and stable: unsure" in read_back
    assert "3. Prescribed blood thinner started: yes" in read_back
    assert "4. Close follow-up arranged: yes" in read_back
    # Restarted again during the read-back: the confirmation still gives the outcome.
    assistant.rasa.stop()
    assistant.start_rasa()
    chat = assistant.chat
    outcome = joined(chat.send(user, CONFIRM))
    assert response("utter_outcome_needs_evaluation").split(":")[0] in outcome
    assert user_events(assistant.db, user)[: len(stored_before)] == stored_before
