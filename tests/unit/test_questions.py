"""Patients' questions: the policy's decisions on real trackers, and patients' own
examples through the trained model.

- A question during the check gets its answer, then the same question of the check again; its
  background fills no answer unless it opens with a direct answer to the question asked.
- A question the model cannot place is referred to the doctor, never the fallback.
- An unclear or unsure reply to the greeting never starts the check: the two choices again.
"""

from __future__ import annotations

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered

from dvt_triage import slots as s
from rasa_plugins.form_policy import AssessmentFormPolicy, asks
from tests.support.trackers import in_form, predict, user


@pytest.fixture(scope="module")
def policy(make_policy) -> AssessmentFormPolicy:
    return make_policy(AssessmentFormPolicy)


def greeted() -> list[Event]:
    return [*user("hi", "greet"), ActionExecuted("utter_greet"), BotUttered("Hi ... start the check?")]


@pytest.mark.parametrize("text, intent, reply", [
    ("I'm on eliquis, can I take ibuprofen with it?", "medication_change", "utter_medication_change"),
    ("I had a clot before and I take xarelto, what should I eat?", "faq_diet", "utter_faq_diet"),
    ("my scan was last week, is it ok to fly next month?", "other_medical", "utter_refer_to_doctor"),
    ("I've had cancer, is it ok to fly?", "inform", "utter_refer_to_doctor"),
    ("I have a question", "ask_question", "utter_ask_question"),
])
def test_a_question_mid_check_is_answered_and_its_background_fills_nothing(policy, text, intent, reply):
    events = in_form(s.ANTICOAGULANT_STARTED) + user(text, intent)
    assert predict(policy, events) == (reply, {s.REQUESTED_SLOT: None})
    # Then the form asks the same question again.
    after = events + [ActionExecuted(reply), BotUttered("the answer")]
    assert predict(policy, after) == (s.ASSESSMENT_FORM, {})


def test_a_question_that_opens_with_a_direct_answer_answers_the_question_asked(policy):
    events = in_form(s.CANCER) + user("No. And what is a DVT, anyway?", "faq_what_is_dvt")
    assert predict(policy, events) == ("utter_faq_what_is_dvt", {s.CANCER: s.NO})


@pytest.mark.parametrize("text, intent", [
    ("First time, no history of clots whatsoever", "ask_question"),
    ("It's not bad at all, a little tender when I walk", "faq_walking"),
])
def test_an_answer_the_model_reads_as_a_question_is_still_an_answer(policy, text, intent):
    slot = s.RECURRENT_CLOTS if "clots" in text else s.SEVERE_SYMPTOMS
    _, slots = predict(policy, in_form(slot) + user(text, intent))
    assert slots.get(slot) == s.NO


def test_an_answer_the_model_reads_as_a_topic_is_still_an_answer(policy):
    # No question in it: "I'm on Eliquis" answers "have you started a blood thinner?".
    events = in_form(s.ANTICOAGULANT_STARTED) + user("I'm on eliquis", "faq_blood_thinners")
    action, slots = predict(policy, events)
    assert slots.get(s.ANTICOAGULANT_STARTED) == s.YES


@pytest.mark.parametrize("intent", ["inform", "nlu_fallback"])
def test_a_question_the_model_cannot_place_is_referred_never_the_fallback(policy, intent):
    events = user("is it ok to get a tattoo with a clot?", intent)
    assert predict(policy, events) == ("utter_refer_to_doctor", {})


@pytest.mark.parametrize("text, intent, want", [
    ("my mum takes ginkgo with her blood thinner, is that alright", "affirm", "utter_refer_to_doctor"),
    ("no, is that bad?", "deny", None),
    ("yes please, can we start the check now?", "affirm", None),
])
def test_a_yes_or_no_worded_as_a_long_question_is_a_question(policy, text, intent, want):
    assert predict(policy, user(text, intent))[0] == want


def test_a_statement_the_model_cannot_place_is_left_to_the_rules(policy):
    assert predict(policy, user("I've been on warfarin for years", "inform")) == (None, {})


@pytest.mark.parametrize("text, intent, confidence", [
    ("asdfgh", "affirm", 0.32),
    ("asdfgh", "nlu_fallback", 0.2),
    ("mmm", "deny", 0.3),
    ("hmm", "unsure", 0.4),
])
def test_an_unclear_reply_to_the_greeting_gets_the_two_choices_again(policy, text, intent, confidence):
    assert predict(policy, greeted() + user(text, intent, confidence)) == ("utter_offer_check", {})


def test_a_clear_yes_to_the_greeting_is_left_to_the_rule_that_starts_the_check(policy):
    assert predict(policy, greeted() + user("yes", "affirm", 0.95)) == (None, {})


def test_an_unsure_start_the_check_anywhere_gets_the_offer_instead(policy):
    assert predict(policy, user("my leg", "start_check", 0.3)) == ("utter_offer_check", {})
    assert predict(policy, user("start the check", "start_check", 0.97)) == (None, {})


@pytest.mark.parametrize("text, question", [
    ("can I stop taking eliquis if I feel better?", True),
    ("r stockings needed", True),
    ("do u take blue cross", True),
    ("I want to know about the diet", True),
    ("I'm on eliquis", False),
    ("no cancer", False),
    ("cancer should be yes", False),
    ("I can take blood thinners fine", False),
    ("It's not bad at all, a little tender when I walk", False),
    ("CKD 4, which is why they put me on warfarin", False),
    ("the nurse showed me how to do the jab", False),
    ("how long do I take it", True),
])
def test_what_reads_as_a_question(text, question):
    assert asks(text) is question


# --- patients' own examples, through the trained model -------------------------------------

ISSUE_EXAMPLES = [
    ("I have a question", {"utter_ask_question"}),
    ("can I stop taking eliquis if I feel better?", {"utter_medication_change"}),
    ("can I fly to see my daughter with this clot?", {"utter_refer_to_doctor"}),
]


@pytest.fixture(scope="module")
def agent():
    import asyncio

    from harness.agents import load_assistant
    from harness.servers import latest_model

    loop = asyncio.new_event_loop()
    yield loop, loop.run_until_complete(load_assistant(latest_model()))
    loop.close()


async def _replies(agent, sender: str, text: str, setup: list[Event]) -> list[str]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    tracker = await agent.processor.fetch_tracker_with_initial_session(sender)
    tracker.update_with_events(setup, agent.domain)
    await agent.tracker_store.save(tracker)
    await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
    tracker = await agent.tracker_store.retrieve(sender)
    events = list(tracker.events)
    last = max(i for i, e in enumerate(events) if isinstance(e, UserUttered))
    return [e.metadata.get("utter_action") for e in events[last:] if isinstance(e, BotUttered)]


def _greeted_events() -> list[Event]:
    return [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        BotUttered("greeting", metadata={"utter_action": "utter_greet"}),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


def _mid_check_events(slot: str) -> list[Event]:
    return [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("start the check", {"name": "start_check", "confidence": 1.0}),
        ActionExecuted(s.ASSESSMENT_FORM),
        ActiveLoop(s.ASSESSMENT_FORM),
        SlotSet(s.EMERGENCY_SCREEN, s.NO),
        SlotSet(s.REQUESTED_SLOT, slot),
        BotUttered("question", metadata={"utter_action": f"utter_ask_{slot}"}),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


@pytest.mark.parametrize("text, want", ISSUE_EXAMPLES)
def test_the_issues_examples_get_their_reply_at_the_start_and_mid_check(agent, text, want):
    loop, model = agent
    start = loop.run_until_complete(_replies(model, f"start-{text}", text, _greeted_events()))
    assert start and start[0] in want, start
    middle = loop.run_until_complete(_replies(model, f"mid-{text}", text, _mid_check_events(s.DIAGNOSIS_CONFIRMED)))
    assert middle[0] in want and middle[-1] == "utter_ask_diagnosis_confirmed", middle


@pytest.mark.parametrize("mash", ["asdfgh", "jkjkjk", "zzzz"])
def test_a_keyboard_mash_after_the_greeting_never_starts_the_check(agent, mash):
    loop, model = agent
    replies = loop.run_until_complete(_replies(model, f"mash-{mash}", mash, _greeted_events()))
    assert "utter_ask_emergency_screen" not in replies
    assert replies and replies[0] in ("utter_offer_check", "utter_out_of_scope"), replies
