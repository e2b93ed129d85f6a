"""Realistic conversation scripts and an asynchronous REST driver, shared by the benchmark
(`scripts/bench.py`) and the scale-out test (`tests/services/test_scale_out.py`).

A script is what one person types, message by message; the driver sends each message only
after the previous reply arrived (as a person does), runs many conversations at once, and
records every reply and its round-trip time. The expected outcome of an assessment comes
from `dvt_triage.criteria`, and the wording the patient must read from `domain.yml`, so
nothing here hard-codes an answer.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import aiohttp
import yaml

from dvt_triage import criteria
from dvt_triage import slots as s

ROOT = Path(__file__).resolve().parent.parent

# How a person might phrase each answer value (varied, so NLU does real work).
PHRASES = {
    s.YES: ("yes", "yep", "yes I have", "yeah"),
    s.NO: ("no", "nope", "no", "not at all"),
    s.UNSURE: ("not sure", "I don't know", "no idea"),
}
# Where in the form the person asks "why do you ask?" (then answers the repeated question).
WHY_AT = s.FORM_SLOTS.index(s.HIGH_PE_RISK)
# Where an emergency conversation reports a current red flag instead of answering.
EMERGENCY_AT = s.FORM_SLOTS.index(s.RECURRENT_CLOTS)
EMERGENCY_MESSAGE = "wait, I suddenly have chest pain and can't breathe"
OUTCOMES = (s.HOME_CARE_POSSIBLE, s.NOT_HOME_CARE, s.NEEDS_EVALUATION, s.EMERGENCY)
# How a person confirms the read-back of their answers (the button sends the first).
CONFIRMATIONS = ("that's right", "yes", "correct", "looks good")


@dataclass
class Script:
    """One person's side of a conversation and what the assistant must end with."""

    sender: str
    messages: list[str]
    expected_level: Optional[str] = None
    expected_final_text: Optional[str] = None


@dataclass
class Transcript:
    """What happened in one conversation: every message, its replies and round-trip time."""

    script: Script
    replies: list[list[str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    replicas: list[int] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def final_text(self) -> str:
        return "\n".join(self.replies[-1]) if self.replies else ""

    @property
    def reached_outcome(self) -> bool:
        expected = self.script.expected_final_text
        return self.error is None and (expected is None or expected in self.final_text)


@lru_cache(maxsize=1)
def _responses() -> dict[str, str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return {name: variants[0]["text"] for name, variants in domain["responses"].items()}


def outcome_text(level: str) -> str:
    """The first words the patient reads for a triage level (from domain.yml): the verdict
    up to its first sentence end or the first value the outcome action fills in."""
    text = _responses()["utter_emergency" if level == s.EMERGENCY else f"utter_outcome_{level}"]
    return text.split("{")[0].split(". ")[0]


def assessment_answers(outcome: str, variant: int) -> dict[str, str]:
    """Answer values that lead to `outcome`; `variant` picks which slot makes the difference."""
    values = {slot: s.YES if slot in s.CONDITIONS else s.NO for slot in s.FORM_SLOTS}
    if outcome == s.NOT_HOME_CARE:
        values[s.EXCLUSIONS[variant % len(s.EXCLUSIONS)]] = s.YES
    elif outcome == s.NEEDS_EVALUATION:
        slot = s.ASSESSMENT_SLOTS[variant % len(s.ASSESSMENT_SLOTS)]
        values[slot] = s.UNSURE if variant % 2 else (s.NO if slot in s.CONDITIONS else s.UNSURE)
    return values


def assessment_script(sender: str, index: int) -> Script:
    """hi / yes / the emergency screen / conditions / exclusions, with "why do you ask?" in
    the middle, then the confirmation of the read-back of the answers; the outcome cycles
    through all four triage levels."""
    outcome = OUTCOMES[index % len(OUTCOMES)]
    values = assessment_answers(outcome, index // len(OUTCOMES))
    messages = ["hi", "yes"]
    for position, slot in enumerate(s.FORM_SLOTS):
        if position == WHY_AT:
            messages.append("why do you ask?")
        if outcome == s.EMERGENCY and position == EMERGENCY_AT:
            messages.append(EMERGENCY_MESSAGE)
            break
        phrases = PHRASES[values[slot]]
        messages.append(phrases[(index + position) % len(phrases)])
    if outcome == s.EMERGENCY:
        level = s.EMERGENCY
    else:
        messages.append(CONFIRMATIONS[index % len(CONFIRMATIONS)])
        level = criteria.evaluate({slot: values[slot] for slot in s.ASSESSMENT_SLOTS}).level
        assert level == outcome, (outcome, values)
    return Script(sender, messages, level, outcome_text(level))


STOCK_MESSAGES = (
    "hi", "I am sad", "yes", "are you a bot?", "hello", "I'm so sad", "no", "bye",
    "good morning", "I am great", "are you a human?", "hey", "my day was horrible", "yes",
    "am I talking to a bot?", "I am happy", "goodbye",
)


def stock_script(sender: str, index: int) -> Script:
    """The `rasa init` assistant's own intents, as long as an assessment (17 messages)."""
    return Script(sender, list(STOCK_MESSAGES))


async def _post(
    session: aiohttp.ClientSession, url: str, sender: str, message: str
) -> list[str]:
    async with session.post(url, json={"sender": sender, "message": message}) as response:
        response.raise_for_status()
        return [m.get("text", "") for m in await response.json()]


async def _converse(
    session: aiohttp.ClientSession, bases: Sequence[str], script: Script, offset: int
) -> Transcript:
    transcript = Transcript(script)
    for number, message in enumerate(script.messages):
        replica = (number + offset) % len(bases)
        started = time.perf_counter()
        try:
            replies = await _post(session, f"{bases[replica]}/webhooks/rest/webhook", script.sender, message)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            transcript.error = f"message {number} ({message!r}) to replica {replica}: {error!r}"
            return transcript
        transcript.latencies.append(time.perf_counter() - started)
        transcript.replies.append(replies)
        transcript.replicas.append(replica)
    return transcript


async def drive(
    bases: Sequence[str], scripts: Sequence[Script], concurrency: int, timeout: float = 300
) -> list[Transcript]:
    """Runs `scripts` with `concurrency` conversations in flight at any time. Message n of
    conversation c goes to replica (n + c) % len(bases), so with two replicas consecutive
    messages of every conversation alternate between them. Failed requests are not retried:
    a retry could duplicate a message the server did process."""
    queue: asyncio.Queue[tuple[int, Script]] = asyncio.Queue()
    for item in enumerate(scripts):
        queue.put_nowait(item)
    results: list[Optional[Transcript]] = [None] * len(scripts)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:

        async def worker() -> None:
            while not queue.empty():
                index, script = queue.get_nowait()
                results[index] = await _converse(session, bases, script, index)

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(scripts)))))
    return [t for t in results if t is not None]
