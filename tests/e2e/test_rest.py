"""End to end: the action server and `rasa run` on free ports, talked to over REST as a
patient would, checking what the patient reads."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from dvt_triage import intents
from dvt_triage import clinic
from dvt_triage import slots as s
from tests.support.robustness import GREETING_OFFER
from harness.servers import Chat, start_actions, start_rasa


CLINIC = clinic.current()
EMERGENCY = f"EMERGENCY: call {CLINIC.emergency_number} "
EMERGENCY_ES = f"EMERGENCIA: llame al {CLINIC.emergency_number} "
BLEEDING = "Serious bleeding"
ANSWERS_HOME_CARE = {slot: "yes" if slot in s.CONDITIONS else "no" for slot in s.FORM_SLOTS}
FIRST_QUESTION = "Right now or in the last few days, have you had any of these"
READ_BACK = "please check what I understood"
CONFIRM = "that's right"  # the read-back's button payload


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict]:
    tmp: Path = tmp_path_factory.mktemp("e2e")
    actions, actions_port = start_actions(tmp)
    rasa, port = start_rasa(tmp, actions_port, tmp / "trackers.db")
    state = {"chat": Chat(f"http://127.0.0.1:{port}"), "actions": actions, "tmp": tmp, "actions_port": actions_port}
    yield state
    rasa.stop()
    state["actions"].stop()


@pytest.fixture
def chat(servers) -> Chat:
    return servers["chat"]


def joined(replies: list[str]) -> str:
    return "\n".join(replies)


def start_check(chat: Chat, user: str) -> None:
    assert GREETING_OFFER in joined(chat.send(user, "hi"))
    assert FIRST_QUESTION in joined(chat.send(user, "yes"))


def answer_all(chat: Chat, user: str, answers: dict[str, str], confirm: str = CONFIRM) -> str:
    """Every question answered, the read-back checked and confirmed: the outcome's text."""
    read_back = answer_questions(chat, user, answers)
    assert READ_BACK in read_back and "{" not in read_back
    return joined(chat.send(user, confirm))


def answer_questions(chat: Chat, user: str, answers: dict[str, str]) -> str:
    """Every question answered: the read-back's text."""
    start_check(chat, user)
    replies: list[str] = []
    for slot in s.FORM_SLOTS:
        replies = chat.send(user, answers[slot])
    return joined(replies)


def advance_to(chat: Chat, user: str, slot: str) -> None:
    """Answer every question before `slot` so that `slot` is the one being asked."""
    start_check(chat, user)
    for earlier in s.FORM_SLOTS[: s.FORM_SLOTS.index(slot)]:
        chat.send(user, ANSWERS_HOME_CARE[earlier])


def test_greeting_says_what_the_assistant_does_and_does_not_do(chat):
    text = joined(chat.send("greet", "hello"))
    assert "can't diagnose" in text and "doctor" in text and f"call {CLINIC.emergency_number} now" in text


def test_home_care_possible_leaves_the_decision_to_the_doctor(chat):
    text = answer_all(chat, "home", ANSWERS_HOME_CARE)
    assert "doctors sometimes allow home care" in text and "only your doctor can decide" in text
    assert CLINIC.phone in text and f"Call {CLINIC.emergency_number} " in text and "MEASURES" in text
    measures = joined(chat.send("home", "measures"))
    assert "Compression stockings" in measures and "vitamin K" in measures and "do not replace medical care" in measures
    summary = joined(chat.send("home", "summary"))
    assert "- Cancer: no" in summary and "- Close follow-up arranged: yes" in summary
    assert "Compression stockings" in joined(chat.send("home", f"/{intents.SHOW_MEASURES}"))


def test_not_home_care_says_what_doctors_usually_do_and_not_to_stop_a_blood_thinner(chat):
    answers = {**ANSWERS_HOME_CARE, s.CANCER: "yes, I'm on chemo", s.KIDNEY_DISEASE: "I'm on dialysis"}
    text = answer_all(chat, "excluded", answers)
    assert "For people with cancer and kidney disease, doctors usually" in text
    assert "closer monitoring or hospital-based care" in text and "do not stop a blood thinner" in text
    assert CLINIC.phone in text


def test_needs_evaluation_without_a_scan_says_get_seen_today(chat):
    answers = {**ANSWERS_HOME_CARE, s.DIAGNOSIS_CONFIRMED: "no, not yet", s.HEART_DISEASE: "not sure"}
    text = answer_all(chat, "evaluate", answers)
    assert "a doctor needs to assess you" in text and "always requires medical evaluation" in text
    assert "the clot has not been confirmed by a scan" in text and "you were not sure about heart disease" in text
    assert "get seen today" in text and "urgent care" in text


def test_the_read_back_lists_every_answer_and_corrections_change_it_before_the_outcome(chat):
    user = "correct"
    read_back = answer_questions(chat, user, ANSWERS_HOME_CARE)
    assert "1. Clot confirmed by a scan: yes" in read_back and "8. Cancer: no" in read_back
    assert "12. Can't take blood thinners safely: no" in read_back
    changed = joined(chat.send(user, "cancer should be yes"))
    assert "changed" in changed and "8. Cancer: yes" in changed and READ_BACK in changed
    which = joined(chat.send(user, "no"))
    assert "Which answer should I change?" in which
    changed = joined(chat.send(user, "9 and 10 are yes"))
    assert "9. Kidney disease: yes" in changed and "10. Heart disease: yes" in changed
    assert "couldn't tell" in joined(chat.send(user, "banana"))  # asked again, never confirmed
    outcome = joined(chat.send(user, "looks good"))
    assert "For people with cancer, kidney disease and heart disease" in outcome


def test_an_emergency_typed_during_the_read_back_wins_and_no_outcome_follows(chat):
    user = "read-back-emergency"
    assert READ_BACK in answer_questions(chat, user, ANSWERS_HOME_CARE)
    assert EMERGENCY in chat.send(user, "cancer is yes but now my chest hurts")[0]
    after = joined(chat.send(user, CONFIRM))
    assert EMERGENCY in after and "doctors sometimes allow" not in after


def test_stop_and_start_over_during_the_read_back(chat):
    user = "read-back-stop"
    answer_questions(chat, user, ANSWERS_HOME_CARE)
    assert "stopped the check" in joined(chat.send(user, "stop"))
    assert "doctors sometimes allow" not in joined(chat.send(user, CONFIRM))
    answer_questions(chat, "read-back-restart", ANSWERS_HOME_CARE)
    restarted = joined(chat.send("read-back-restart", "start over"))
    assert GREETING_OFFER in restarted


def test_natural_answers_why_and_a_question_mid_form(chat):
    user = "natural"
    start_check(chat, user)
    assert "confirmed the clot" in joined(chat.send(user, "no chest pain"))
    why = joined(chat.send(user, "why do you ask?"))
    assert "should never be self-diagnosed" in why and "confirmed the clot" in why
    faq = joined(chat.send(user, "should I wear compression stockings?"))
    assert "compression stockings" in faq and "prescribe" in faq and "confirmed the clot" in faq
    unclear = joined(chat.send(user, "banana"))
    assert "didn't understand" in unclear and "confirmed the clot" in unclear
    assert "small and stable" in joined(chat.send(user, "yes, the ultrasound confirmed it"))
    # one message answering several questions skips them all
    chat.send(user, "yes")  # small and stable
    chat.send(user, "I started apixaban yesterday")
    chat.send(user, "yes")  # follow-up
    chat.send(user, "the swelling is mild")
    reply = joined(chat.send(user, "this is my first clot, no PE risk, no cancer, my kidneys are fine"))
    assert "heart disease" in reply


def test_emergency_in_the_first_message_and_after_it(chat):
    assert EMERGENCY in joined(chat.send("first", "i cant breathe"))
    again = chat.send("first", "what is a DVT?")
    assert EMERGENCY in again[0]
    restarted = joined(chat.send("first", "start over"))
    assert "start over" in restarted.lower() and GREETING_OFFER in restarted


def test_no_chest_pain_answering_the_screen_is_not_an_emergency(chat):
    start_check(chat, "screen-no")
    reply = joined(chat.send("screen-no", "No chest pain"))
    assert EMERGENCY not in reply and "confirmed the clot" in reply


def test_a_family_mention_is_checked_not_dropped(chat):
    user = "family"
    start_check(chat, user)
    chat.send(user, "no")
    asked = joined(chat.send(user, "my mom had chest pain"))
    assert "in the last few days?" in asked and EMERGENCY not in asked
    resumed = joined(chat.send(user, "no"))
    assert f"call {CLINIC.emergency_number} " in resumed and "confirmed the clot" in resumed


def test_serious_bleeding_gets_its_own_instruction_at_any_point(chat):
    assert BLEEDING in chat.send("bleed-first", "my poop is black and tarry since yesterday")[0]
    advance_to(chat, "bleed-mid", s.CANCER)
    replies = chat.send("bleed-mid", "I slipped on the stairs and hit my head, I'm on xarelto")
    assert EMERGENCY in replies[0] and BLEEDING in replies[0]
    assert BLEEDING in chat.send("bleed-mid", "ok")[0]


def test_a_spanish_emergency_gets_the_instruction_in_spanish_and_in_english(chat):
    advance_to(chat, "es-mid", s.DIAGNOSIS_CONFIRMED)
    replies = chat.send("es-mid", "me duele el pecho y me falta el aire")
    assert EMERGENCY_ES in replies[0] and EMERGENCY in replies[1]
    again = chat.send("es-mid", "gracias, ya llame")
    assert EMERGENCY_ES in again[0] and EMERGENCY in again[1]


def test_a_spanish_message_that_is_no_emergency_gets_the_spanish_reply_then_the_question_again(chat):
    advance_to(chat, "es-q", s.DIAGNOSIS_CONFIRMED)
    replies = chat.send("es-q", "hola, no entiendo, hablo español")
    assert "solo funciona en inglés" in replies[0] and f"llame al {CLINIC.emergency_number} " in replies[0]
    assert EMERGENCY not in joined(replies) and "confirmed the clot" in replies[-1]


def test_a_sign_that_passed_days_ago_is_an_emergency_and_a_hedge_at_the_screen_is_asked(chat):
    assert EMERGENCY in chat.send("passed", "I passed out on Sunday but I'm ok now")[0]
    start_check(chat, "screen-hedge")
    asked = joined(chat.send("screen-hedge", "not sure"))
    assert "in the last few days?" in asked and EMERGENCY not in asked
    assert EMERGENCY in chat.send("screen-hedge", "not sure")[0]


def test_emergency_after_the_outcome_and_after_a_question(chat):
    answer_all(chat, "after", ANSWERS_HOME_CARE)
    assert EMERGENCY in chat.send("after", "now my chest feels tight")[0]
    chat.send("question", "what is a DVT?")
    assert EMERGENCY in chat.send("question", "short of breth")[0]


@pytest.mark.parametrize("slot", s.FORM_SLOTS)
def test_emergency_while_any_question_is_asked(chat, slot):
    user = f"mid-{slot}"
    advance_to(chat, user, slot)
    replies = chat.send(user, "no, but my chest hurts")
    assert EMERGENCY in replies[0]
    assert EMERGENCY in chat.send(user, "ok")[0]


def test_red_flags_work_with_the_action_server_stopped(servers):
    """Last in this module: it stops the action server."""
    chat: Chat = servers["chat"]
    for slot in s.FORM_SLOTS:
        advance_to(chat, f"down-{slot}", slot)
    advance_to(chat, "degrade-mid", s.CANCER)
    chat.send("down-question", "how do I book an appointment?")
    answer_all(chat, "down-outcome", ANSWERS_HOME_CARE)
    servers["actions"].stop()

    assert EMERGENCY in chat.send("down-first", "I'm coughing up blood")[0]
    assert EMERGENCY in chat.send("down-question", "I just passed out")[0]
    assert EMERGENCY in chat.send("down-outcome", "my heart is racing")[0]
    for slot in s.FORM_SLOTS:
        assert EMERGENCY in chat.send(f"down-{slot}", "can't catch my breath")[0], slot


def test_without_the_action_server_the_check_goes_on_and_the_outcome_waits_for_it(servers):
    """Runs after the action server was stopped by the test above. The questions are read
    in the Rasa server; only the outcome needs the action server."""
    chat: Chat = servers["chat"]
    assert FIRST_QUESTION in joined(chat.send("degrade", "hi") + chat.send("degrade", "yes"))
    assert "kidney disease" in joined(chat.send("degrade-mid", "no"))  # cancer: no
    read_back = ""
    for slot in s.FORM_SLOTS[s.FORM_SLOTS.index(s.KIDNEY_DISEASE):]:
        read_back = joined(chat.send("degrade-mid", ANSWERS_HOME_CARE[slot]))
    assert READ_BACK in read_back  # the read-back needs no action server
    assert "Cancer: yes" in joined(chat.send("degrade-mid", "8 is yes"))
    assert "Cancer: no" in joined(chat.send("degrade-mid", "cancer should be no"))
    down = joined(chat.send("degrade-mid", CONFIRM))
    assert "can't finish the check right now" in down and CLINIC.phone in down and f"call {CLINIC.emergency_number} now" in down
    assert "can't finish the check right now" in joined(chat.send("degrade-mid", "ok"))
    servers["actions"], _ = start_actions(servers["tmp"], servers["actions_port"])
    # Back: the next message gets the outcome, with every answer kept.
    outcome = joined(chat.send("degrade-mid", "hello?"))
    assert "doctors sometimes allow home care" in outcome
    summary = joined(chat.send("degrade-mid", "summary"))
    assert "- Cancer: no" in summary and "- Kidney disease: no" in summary
    assert "confirmed the clot" in joined(chat.send("degrade", "no"))
