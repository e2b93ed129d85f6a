"""Every button the assistant offers works on every channel: a test that presses each one.

The conversation runs through the trained model in-process with the real action server, and
each channel gets its own variants of the responses, as the Rasa server sends them (REST, the
website widget over socket.io, SMS). A button is pressed as the channel presses it: REST and
the widget send its payload; over SMS the patient replies with its number or its title, which
the SMS channel maps back to the payload (`sms_text.match_choice`). Every press, from every
place the button is offered, must get the reply that button promises (EXPECTED), and never a
"not understood" reply.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

import pytest

from dvt_triage import intents
from dvt_triage import slots as s
from rasa_plugins.channels.sms_text import match_choice, render_choices
from harness.servers import latest_model, start_actions


CHANNELS = ("rest", "socketio", "sms")
NOT_UNDERSTOOD = {"utter_fallback", "utter_default", "utter_clarify", "utter_read_back_unclear", "utter_noted"}
NEXT_QUESTION = {slot: f"utter_ask_{nxt}" for slot, nxt in zip(s.FORM_SLOTS, s.FORM_SLOTS[1:])}
# What each button promises: (response offering it, payload) -> the first reply it gets.
# `None` for a question of the check: the next question of the check (or the read-back).
START, QUESTION = "yes, start the check", "I have a question"
EXPECTED: dict[tuple[str, str], Optional[str]] = {
    ("utter_greet", START): "utter_ask_emergency_screen",
    ("utter_greet", QUESTION): "utter_ask_question",
    ("utter_offer_check", START): "utter_ask_emergency_screen",
    ("utter_offer_check", QUESTION): "utter_ask_question",
    ("utter_ask_emergency_screen", "yes"): "utter_emergency",
    # Not sure at the emergency screen: the instruction, or "are you having it right now?".
    ("utter_ask_emergency_screen", "not sure"): "utter_emergency|utter_ask_red_flag_now",
    ("utter_ask_emergency_screen", "no"): "utter_ask_diagnosis_confirmed",
    ("utter_ask_red_flag_now", "yes"): "utter_emergency",
    ("utter_ask_red_flag_now", "no"): "utter_red_flag_cleared",
    ("utter_read_back", "that's right"): "utter_outcome_*",
    ("utter_read_back_unclear", "that's right"): "utter_outcome_*",
    ("utter_read_back_prompt", "that's right"): "utter_outcome_*",
    ("utter_outcome_more", f"/{intents.SHOW_MEASURES}"): "utter_home_care_measures",
    ("utter_outcome_more", f"/{intents.SHOW_SUMMARY}"): "utter_answer_summary",
}
ANSWER = {"yes": s.YES, "no": s.NO, "not sure": s.UNSURE}


def expected_reply(response: str, payload: str) -> Optional[str]:
    if (response, payload) in EXPECTED:
        return EXPECTED[(response, payload)]
    slot = response.removeprefix("utter_ask_")
    if slot in NEXT_QUESTION and payload in ANSWER:
        return NEXT_QUESTION[slot]
    if slot == s.FORM_SLOTS[-1] and payload in ANSWER:
        return "utter_read_back"
    raise AssertionError(f"no expectation for the button {payload!r} of {response}: add it to EXPECTED")


def presses(channel: str, buttons: list[dict]) -> list[tuple[str, str]]:
    """(what the patient sends, the payload it must stand for) for each button, as the channel
    presses it."""
    if channel != "sms":
        return [(b["payload"], b["payload"]) for b in buttons]
    _, choices = render_choices(buttons)
    for choice in choices:
        for typed in (str(choice.number), choice.title):
            assert match_choice(typed, choices) == choice.payload, (typed, choice)
    return [(choice.payload, choice.payload) for choice in choices]


class Conversation:
    """One conversation with the agent on one channel: what it says, by response name."""

    def __init__(self, agent, channel: str, sender: str) -> None:
        self.agent, self.channel, self.sender = agent, channel, sender

    async def fork(self, number: int) -> "Conversation":
        """A copy of this conversation as it is now."""
        from rasa.shared.core.trackers import DialogueStateTracker

        tracker = await self.agent.tracker_store.retrieve(self.sender)
        copy = DialogueStateTracker.from_events(f"{self.sender}-fork-{number}", list(tracker.events), self.agent.domain.slots)
        await self.agent.tracker_store.save(copy)
        return Conversation(self.agent, self.channel, copy.sender_id)

    async def send(self, text: str) -> list[dict]:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
        from rasa.shared.core.events import BotUttered, UserUttered

        channel_name = self.channel

        class Output(CollectingOutputChannel):
            @classmethod
            def name(cls) -> str:
                return channel_name

        out = Output()
        await self.agent.handle_message(UserMessage(text, out, self.sender, input_channel=channel_name))
        tracker = await self.agent.tracker_store.retrieve(self.sender)
        events = list(tracker.events)
        last_user = max(i for i, e in enumerate(events) if isinstance(e, UserUttered))
        names = [e.metadata.get("utter_action") for e in events[last_user:] if isinstance(e, BotUttered)]
        assert len(names) == len(out.messages), (names, out.messages)
        return [{**message, "response": name} for message, name in zip(out.messages, names)]


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    server, port = start_actions(tmp_path_factory.mktemp("actions"))
    try:
        loop = asyncio.new_event_loop()
        yield loop, loop.run_until_complete(
            load_agent(
                model_path=str(latest_model()),
                endpoints=AvailableEndpoints(action=EndpointConfig(f"http://127.0.0.1:{port}/webhook")),
            )
        )
        loop.close()
    finally:
        server.stop()


# Routes to every response that offers buttons. Each step is what the patient sends; every
# button offered on the way is pressed in a copy of the conversation at that point.
ROUTES = {
    "the greeting, then every question of the check, the read-back and the outcome": [
        "hi", START, "no", *(["yes"] * 4), *(["no"] * 8),
        "qwertyuiop",  # not understood: the read-back's "unclear" reply, with its button
        f"/{'faq_what_is_dvt'}",  # a question: its answer, then the read-back's prompt
        "that's right",
    ],
    "the offer of the check after a question": [f"/{'faq_home_treatment'}"],
    "the 'right now?' question after a warning sign in the past": ["/red_flag_context"],
}


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_button_offered_gets_its_reply_on_every_channel(agent, channel):
    loop, model_agent = agent
    pressed: set[tuple[str, str]] = set()

    async def run() -> None:
        for number, (route, steps) in enumerate(ROUTES.items()):
            history: list[str] = []
            for step in steps:
                replies = await Conversation(model_agent, channel, f"{channel}-{number}").send(step)
                history.append(step)
                for reply in replies:
                    buttons = reply.get("buttons") or []
                    for sent, payload in presses(channel, buttons):
                        fork = await Conversation(model_agent, channel, f"{channel}-{number}").fork(len(pressed))
                        got = [r["response"] for r in await fork.send(sent)]
                        want = expected_reply(reply["response"], payload)
                        where = f"{route}: after {history!r}, {reply['response']} button {payload!r} on {channel}"
                        assert not NOT_UNDERSTOOD & set(got), f"{where}: not understood: {got}"
                        if want.endswith("*"):
                            assert any(g.startswith(want[:-1]) for g in got), f"{where}: got {got}"
                        else:
                            assert got and got[0] in want.split("|"), f"{where}: got {got}, want {want}"
                        pressed.add((reply["response"], payload))

    loop.run_until_complete(run())
    offered = {(name, b["payload"]) for name, b in buttons_in_domain(channel)}
    assert offered <= pressed, f"buttons never pressed on {channel}: {sorted(offered - pressed)}"


def buttons_in_domain(channel: str) -> list[tuple[str, dict]]:
    """Every button of every response, in the variant this channel gets."""
    import yaml

    responses = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())["responses"]
    out = []
    for name, variants in responses.items():
        mine = [v for v in variants if v.get("channel") == channel] or [v for v in variants if not v.get("channel")]
        for variant in mine:
            out += [(name, b) for b in variant.get("buttons") or []]
    return out
