"""The outcome reads on a phone: each outcome's turn, rendered as the Rasa server renders it
(the action's messages through Rasa's response generator, with the channel's variants), is
at most three messages and about 150 words, over REST and over SMS (sms_text.to_messages,
320 GSM-7 characters a message). The verdict comes first, then its reasons, then the next
step with the clinic's number and the emergency warning signs."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAssessHomeCare
from dvt_triage import intents
from dvt_triage import clinic, criteria
from dvt_triage import slots as s
from rasa_plugins.channels.sms_text import MAX_SMS_LENGTH, is_gsm7, render_choices, sms_length, to_messages
from rasa_plugins.clinic_responses import ClinicResponses
from tests.support import clinics

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DICT: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
# The Rasa server's generator: the clinic's details from clinic.yml.
NLG = ClinicResponses(domain=DOMAIN)


def generator_for(settings: clinic.Clinic) -> ClinicResponses:
    """The generator of a server started with `settings`."""
    nlg = ClinicResponses(domain=DOMAIN)
    nlg.clinic_values = settings.placeholders()
    return nlg

MAX_MESSAGES = 3
MAX_WORDS = 170

GOOD = {**{c: s.YES for c in s.CONDITIONS}, **{e: s.NO for e in s.EXCLUSIONS}}
# Typical answers and the longest each outcome can get (every reason at once).
CASES = {
    "home care possible": GOOD,
    "not home care, one reason": {**GOOD, s.CANCER: s.YES},
    "not home care, untreated": {**GOOD, s.KIDNEY_DISEASE: s.YES, s.ANTICOAGULANT_STARTED: s.NO},
    "not home care, every exclusion": {**GOOD, **{e: s.YES for e in s.EXCLUSIONS}},
    "not home care, every exclusion, nothing else known": {
        **{c: s.UNSURE for c in s.CONDITIONS}, **{e: s.YES for e in s.EXCLUSIONS}},
    "needs evaluation, no scan": {**GOOD, s.DIAGNOSIS_CONFIRMED: s.NO},
    "needs evaluation, unsure of one": {**GOOD, s.HEART_DISEASE: s.UNSURE},
    "needs evaluation, nothing known": {slot: s.UNSURE for slot in s.ASSESSMENT_SLOTS},
    "needs evaluation, every condition unmet, every exclusion unknown": {
        **{c: s.NO for c in s.CONDITIONS}, **{e: s.UNSURE for e in s.EXCLUSIONS}},
}


async def outcome_turn(answers: dict[str, str], channel: str, nlg: ClinicResponses = NLG) -> list[dict]:
    """The messages of the outcome turn as the channel receives them (text and buttons)."""
    dispatcher = CollectingDispatcher()
    sdk_tracker = Tracker.from_dict({"sender_id": "t", "slots": answers, "events": [], "latest_message": {},
                                     "active_loop": {}, "latest_action_name": "action_listen"})
    await ActionAssessHomeCare().run(dispatcher, sdk_tracker, DOMAIN_DICT)
    tracker = DialogueStateTracker.from_dict("t", [], DOMAIN.slots)
    for slot, value in answers.items():
        tracker.slots[slot].value = value
    rendered = []
    for message in dispatcher.messages:
        fill = {k: v for k, v in message.items() if k not in ("response", "text", "buttons", "elements",
                                                                "custom", "template", "image", "attachment")}
        rendered.append(await nlg.generate(message["response"], tracker, channel, **fill))
    return rendered


def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def as_sms(turn: list[dict]) -> list[str]:
    """What the SMS channel sends: buttons as a "Reply ..." line, the turn packed and split."""
    texts = []
    for message in turn:
        prompt, _ = render_choices(message.get("buttons") or [])
        texts.append("\n".join(t for t in (message["text"], prompt) if t))
    return to_messages(texts)


@pytest.mark.parametrize("case", CASES)
async def test_the_outcome_over_rest_is_at_most_three_messages_and_about_150_words(case):
    turn = await outcome_turn(CASES[case], "rest")
    texts = [m["text"] for m in turn]
    assert len(texts) <= MAX_MESSAGES, texts
    assert words(texts) <= MAX_WORDS, (words(texts), texts)
    assert all("{" not in t for t in texts), texts  # every template variable filled


@pytest.mark.parametrize("settings", [clinic.current(), clinics.LONGEST], ids=["configured", "longest clinic details"])
@pytest.mark.parametrize("case", CASES)
async def test_the_outcome_over_sms_is_at_most_three_messages(case, settings):
    messages = as_sms(await outcome_turn(CASES[case], "sms", generator_for(settings)))
    assert len(messages) <= MAX_MESSAGES, messages
    assert all(sms_length(m) <= MAX_SMS_LENGTH and is_gsm7(m) for m in messages)
    assert words(messages) <= MAX_WORDS


VERDICT_OPENINGS = {
    s.HOME_CARE_POSSIBLE: "Your answers match the cases in which doctors sometimes allow home care",
    s.NOT_HOME_CARE: "For people with ",
    s.NEEDS_EVALUATION: "Based on your answers, a doctor needs to assess you",
}


@pytest.mark.parametrize("case", CASES)
async def test_verdict_first_then_next_step_with_the_clinic_and_warning_signs(case):
    level = criteria.evaluate(CASES[case]).level
    verdict, next_step, more = [m["text"] for m in await outcome_turn(CASES[case], "rest")]
    assert verdict.startswith(VERDICT_OPENINGS[level])
    settings = clinic.current()
    assert settings.phone in next_step and f"Call {settings.emergency_number} " in next_step
    assert "chest pain" in next_step
    assert "MEASURES" in more and "SUMMARY" in more


async def test_the_measures_and_summary_buttons_send_their_intents():
    more = (await outcome_turn(GOOD, "rest"))[-1]
    assert [b["payload"] for b in more["buttons"]] == [f"/{intents.SHOW_MEASURES}", f"/{intents.SHOW_SUMMARY}"]
    sms_more = (await outcome_turn(GOOD, "sms"))[-1]
    assert not sms_more.get("buttons") and "Reply MEASURES" in sms_more["text"]


@pytest.mark.parametrize("values", itertools.product((s.YES, s.NO, s.UNSURE), repeat=3))
async def test_every_mix_of_answers_fits(values):
    """The three answers that change the wording most (scan, blood thinner, an exclusion),
    with every other answer at its worst (unknown)."""
    answers = {slot: s.UNSURE for slot in s.ASSESSMENT_SLOTS}
    answers[s.DIAGNOSIS_CONFIRMED], answers[s.ANTICOAGULANT_STARTED], answers[s.CANCER] = values
    turn = await outcome_turn(answers, "rest")
    assert len(turn) <= MAX_MESSAGES and words([m["text"] for m in turn]) <= MAX_WORDS
    assert len(as_sms(await outcome_turn(answers, "sms"))) <= MAX_MESSAGES


async def test_the_emergency_outcome_is_one_message_over_rest_and_sms():
    tracker = DialogueStateTracker.from_dict("t", [], DOMAIN.slots)
    rest = await NLG.generate("utter_emergency", tracker, "rest")
    assert len(rest["text"].split("\n\n")) == 1 and words([rest["text"]]) <= MAX_WORDS
    sms = await NLG.generate("utter_emergency", tracker, "sms")
    assert len(to_messages([sms["text"]])) == 1
