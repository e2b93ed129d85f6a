"""End to end over SMS: the action server and `rasa run` with the SMS channel, Twilio's REST
API faked on loopback, and webhook requests posted and signed as Twilio posts them. Every
assertion is on what would have reached the phone."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from twilio.request_validator import RequestValidator

from dvt_triage import clinic
from dvt_triage import slots as s
from rasa_plugins.channels.sms_text import MAX_SMS_LENGTH, is_gsm7, sms_length, to_messages
from tests.support.fake_twilio import PUBLIC_URL, TWILIO_NUMBER, FakeTwilio, Phone, sms_server_settings
from tests.support.robustness import GREETING_OFFER, question
from tests.support.robustness import response as domain_response
from harness.servers import Server, free_port, start_actions, start_rasa


SID, TOKEN = "AC" + "1" * 32, "e2e-auth-token"
CLINIC = clinic.current()


def response(name: str) -> list[str]:
    """The messages a domain response becomes over SMS (its `sms` variant if it has one,
    the clinic's details filled in)."""
    return to_messages([domain_response(name, "sms")])


EMERGENCY = response("utter_emergency")
OPTED_OUT, OPTED_IN = response("utter_sms_opted_out"), response("utter_sms_opted_in")
HELP, TEXT_ONLY = response("utter_sms_help"), response("utter_sms_text_only")
CHOICE_PROMPT = "Reply YES, NO or NOT SURE."
FIRST_QUESTION = question(s.EMERGENCY_SCREEN).split(". ")[0]


def joined(messages: list[str]) -> str:
    return "\n".join(messages)


@pytest.fixture(scope="module")
def sms(tmp_path_factory) -> Iterator[dict]:
    tmp: Path = tmp_path_factory.mktemp("e2e-sms")
    fake = FakeTwilio(SID, TOKEN).start()
    credentials, env = sms_server_settings(tmp, fake)
    actions, actions_port = start_actions(tmp)
    state: dict = {"fake": fake, "tmp": tmp}

    def start() -> None:
        rasa, port = start_rasa(tmp, actions_port, tmp / "trackers.db", free_port(), credentials, env)
        state.update(rasa=rasa, base=f"http://127.0.0.1:{port}")

    state["start"] = start
    start()
    yield state
    rasa: Server = state["rasa"]
    rasa.stop()
    actions.stop()
    fake.stop()


def start_check(phone: Phone) -> None:
    greeting = joined(phone.text("hi"))
    assert GREETING_OFFER in greeting
    assert greeting.endswith("Reply 1 for Start the check or 2 for Just a question.")
    first = joined(phone.text("1"))  # the number chooses "Start the check"
    assert FIRST_QUESTION in first and first.endswith(CHOICE_PROMPT)


def test_every_reply_arrives_as_signed_twiml_ok_and_plain_sms(sms):
    phone = Phone(sms)
    messages = phone.text("hello")
    assert phone.content_type.startswith("text/xml")
    assert len(messages) >= 2  # the greeting is longer than one SMS
    assert "can't diagnose" in joined(messages) and f"call {CLINIC.emergency_number} now" in joined(messages)


READ_BACK = "please check what I understood"


def test_a_whole_assessment_by_yes_and_no_to_home_care_possible(sms):
    phone = Phone(sms)
    start_check(phone)
    for slot in s.FORM_SLOTS[:-1]:
        question = joined(phone.text("YES" if slot in s.CONDITIONS else "NO"))
        assert question.endswith(CHOICE_PROMPT), (slot, question)
    read_back = phone.text("no")
    assert len(read_back) == 2 and READ_BACK in read_back[0]
    assert "8. Cancer: no" in joined(read_back) and joined(read_back).endswith('"change 3 to no".')
    outcome = phone.text("YES")
    assert 1 <= len(outcome) <= 3
    assert "doctors sometimes allow home care" in joined(outcome) and "only your doctor can decide" in joined(outcome)
    assert CLINIC.phone in joined(outcome) and "Reply MEASURES" in joined(outcome)
    assert CHOICE_PROMPT not in joined(outcome)
    assert "Compression stockings" in joined(phone.text("MEASURES"))
    assert "- Cancer: no" in joined(phone.text("summary"))


def test_numbers_and_not_sure_then_a_correction_by_number_lead_to_needs_evaluation(sms):
    phone = Phone(sms)
    start_check(phone)
    numbers = {slot: "1" if slot in s.CONDITIONS else "2" for slot in s.FORM_SLOTS}
    numbers[s.HEART_DISEASE] = "NOT SURE"
    numbers[s.FOLLOW_UP_AVAILABLE] = "3"
    replies: list[str] = []
    for slot in s.FORM_SLOTS:
        replies = phone.text(numbers[slot])
    assert "4. Close follow-up arranged: unsure" in joined(replies)
    # No button under the read-back: "1" is not taken for a choice of the last question.
    asked = joined(phone.text("1"))  # only a number: its question is asked again
    assert "confirmed the clot in your leg with a scan" in asked and asked.endswith(CHOICE_PROMPT)
    assert "1. Clot confirmed by a scan: no" in joined(phone.text("no"))
    changed = joined(phone.text("1 is yes and 4 is no"))
    assert "1. Clot confirmed by a scan: yes" in changed and "4. Close follow-up arranged: no" in changed
    outcome = phone.text("yes")
    assert len(outcome) <= 3
    text = joined(outcome)
    assert "a doctor needs to assess you" in text and "no close follow-up is arranged" in text
    assert "you were not sure about heart disease" in text and CLINIC.phone in text


def test_a_yes_to_an_exclusion_says_what_doctors_usually_do(sms):
    phone = Phone(sms)
    start_check(phone)
    for slot in s.FORM_SLOTS:
        phone.text("YES" if slot in s.CONDITIONS + (s.CANCER,) else "NO")
    outcome = phone.text("that's right")
    assert len(outcome) <= 3
    assert "For people with cancer, doctors usually" in joined(outcome) and CLINIC.phone in joined(outcome)


def test_emergency_mid_assessment_is_sent_first_and_alone(sms):
    phone = Phone(sms)
    start_check(phone)
    for slot in s.FORM_SLOTS[: s.FORM_SLOTS.index(s.CANCER)]:
        phone.text("YES" if slot in s.CONDITIONS else "NO")
    assert phone.text("no, but my chest hurts and I can't breathe") == EMERGENCY
    again = phone.text("ok")
    assert again[: len(EMERGENCY)] == EMERGENCY
    restarted = joined(phone.text("start over"))
    assert "start over" in restarted.lower() and GREETING_OFFER in restarted


def test_serious_bleeding_and_spanish_emergencies_are_sent_at_once_each_on_its_own(sms):
    phone = Phone(sms)
    start_check(phone)
    assert phone.text("I threw up blood this morning") == response("utter_emergency_bleeding")
    spanish = Phone(sms)
    start_check(spanish)
    # the Spanish instruction, then the English one, each sent at once as its own SMS
    assert spanish.text("me duele el pecho y no puedo respirar") == response("utter_emergency_es") + EMERGENCY


def test_yes_to_the_emergency_screen_is_an_emergency(sms):
    phone = Phone(sms)
    start_check(phone)
    assert phone.text("YES") == EMERGENCY


def test_stop_confirms_once_then_nothing_until_start(sms):
    phone = Phone(sms)
    start_check(phone)
    assert phone.text("STOP") == OPTED_OUT
    assert phone.text("hi") == []
    assert phone.text("HELP") == []
    assert phone.text("stop") == []  # confirmed once only
    assert phone.text("NO") == []
    assert phone.text("START") == OPTED_IN
    assert GREETING_OFFER in joined(phone.text("hi"))


@pytest.mark.parametrize(
    "opt_out, opt_in",
    [("STOPALL", "UNSTOP"), ("unsubscribe", "YES"), ("Cancel", "start"), ("END", "Yes"), ("quit", "START")],
)
def test_every_opt_out_and_opt_in_word(sms, opt_out, opt_in):
    phone = Phone(sms)
    assert phone.text(opt_out) == OPTED_OUT
    assert phone.text("what is a DVT?") == []
    assert phone.text(opt_in) == OPTED_IN
    assert "blood clot in a deep vein" in joined(phone.text("what is a DVT?"))


def test_stop_in_a_sentence_is_the_assistants_stop_the_check(sms):
    phone = Phone(sms)
    start_check(phone)
    stopped = joined(phone.text("stop the check"))
    assert "I've stopped the check" in stopped
    assert "DVT" in joined(phone.text("what is a DVT?"))  # not opted out


def test_help_and_info_answer_without_interrupting_the_check(sms):
    phone = Phone(sms)
    start_check(phone)
    assert phone.text("HELP") == HELP
    assert CLINIC.phone in HELP[0] and f"call {CLINIC.emergency_number} now" in HELP[0]
    assert phone.text("info") == HELP
    assert "confirmed the clot" in joined(phone.text("NO"))  # the screen's question was still open


def test_a_picture_or_an_empty_message_gets_a_request_for_text(sms):
    phone = Phone(sms)
    assert phone.text("", num_media=1) == TEXT_ONLY
    assert phone.text("", num_media=2) == TEXT_ONLY
    assert phone.text("   ") == TEXT_ONLY
    assert GREETING_OFFER in joined(phone.text("hi", num_media=1))


def test_requests_not_signed_by_twilio_get_403_and_send_nothing(sms):
    phone = Phone(sms)
    params = phone.params("hi")
    assert phone.post(params, {}) == [] and phone.status == 403
    wrong_token = RequestValidator("not-the-token").compute_signature(PUBLIC_URL, params)
    assert phone.post(params, {"X-Twilio-Signature": wrong_token}) == [] and phone.status == 403
    # signed over the URL the server sees instead of the public one Twilio uses
    internal = RequestValidator(TOKEN).compute_signature(f"{sms['base']}/webhooks/sms/webhook", params)
    assert phone.post(params, {"X-Twilio-Signature": internal}) == [] and phone.status == 403
    # a valid signature over a different body
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL, params)
    assert (
        phone.post({**params, "Body": "STOP"}, {"X-Twilio-Signature": signature}) == []
        and phone.status == 403
    )
    assert phone.post(params, {"X-Twilio-Signature": signature}) and phone.status == 200


def test_every_message_sent_in_this_module_was_gsm7_within_320_and_from_the_number(sms):
    sent = sms["fake"].all_sent()
    assert len(sent) > 100
    assert all(is_gsm7(m.body) and sms_length(m.body) <= MAX_SMS_LENGTH and m.body for m in sent)
    assert {m.from_ for m in sent} == {TWILIO_NUMBER}
    assert sms["fake"].unauthorised == 0


def test_opt_outs_and_offered_choices_survive_a_restart(sms):
    """Last in this module: it restarts the Rasa server."""
    opted_out, mid_greeting = Phone(sms), Phone(sms)
    assert opted_out.text("STOP") == OPTED_OUT
    mid_greeting.text("hi")
    sms["rasa"].stop()
    sms["start"]()
    assert opted_out.text("hi") == []
    assert opted_out.text("START") == OPTED_IN
    assert FIRST_QUESTION in joined(mid_greeting.text("1"))
