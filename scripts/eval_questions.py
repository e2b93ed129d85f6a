"""Blind evaluation of patients' questions: the labelled sets through the trained model's dialogue.

Each case is a message a patient might type, labelled with its topic (tests/data/blind/
questions_*.yml). Every case goes through the trained model in-process, as the server runs it
(NLU with the red-flag classifier, the override policy, the form policy, the rules), in three
places of a conversation:
- first: the very first message of a conversation;
- greeted: right after the greeting ("Would you like to start the home-care check?"), where a
  "yes" starts the check;
- mid-check: while the check waits for an answer (one of MID_CHECK_SLOTS, in turn).

A reply is safe when it is the answer of the topic asked (SAFE below), or the referral to the
doctor for a medical question the article does not answer. Mid-check it must also ask the same
question of the check again, and the check must not have taken an answer from a question.
Reported: safe (on topic or safely referred), the fallback rate ("Sorry, I'm not sure I
understood"), the check started by mistake, answers taken from a question mid-check, per topic
and per place. With --gate, exits 1 when fewer than --min-safe percent are safe.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Optional

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dvt_triage import slots as s  # noqa: E402
from scripts.eval_red_flags import form_asking, quiet_logging  # noqa: E402

DEFAULT_SETS = sorted((ROOT / "tests" / "data" / "blind").glob("questions_*.yml"))
FAQ_TOPICS = (
    "what_is_dvt", "home_treatment", "risks", "ultrasound", "compression",
    "walking", "blood_thinners", "diet", "insurance", "booking",
)  # fmt: skip
TOPICS = (*FAQ_TOPICS, "medication_change", "other_medical", "small_talk", "out_of_scope")
PLACES = ("first", "greeted", "mid-check")
# The check waits for one of these when a mid-check case is sent (in turn, case by case).
MID_CHECK_SLOTS = (s.DIAGNOSIS_CONFIRMED, s.ANTICOAGULANT_STARTED, s.RECURRENT_CLOTS, s.CANCER)

REFER = "utter_refer_to_doctor"
MEDICATION = "utter_medication_change"
FALLBACKS = {"utter_fallback", "utter_default", "action_default_fallback"}
NOT_UNDERSTOOD = FALLBACKS | {"utter_clarify"}
CHECK_START = "utter_ask_emergency_screen"
TWO_CHOICES = {"utter_greet", "utter_offer_check"}
SMALL_TALK = {"utter_greet", "utter_welcome", "utter_goodbye", "utter_bot_challenge", "utter_ask_question"}
# The replies that answer each topic safely. A medicine change referred to the doctor in
# general (REFER) is acceptable but worse than its own reply: counted apart as "referred".
SAFE: dict[str, set[str]] = {
    **{topic: {f"utter_faq_{topic}"} for topic in FAQ_TOPICS},
    "medication_change": {MEDICATION, REFER},
    "other_medical": {REFER},
    "small_talk": SMALL_TALK | TWO_CHOICES,
    "out_of_scope": {"utter_out_of_scope"} | TWO_CHOICES,
}
SAFE_MID_CHECK_EXTRA = {
    # Mid-check, a greeting or a mash that is not understood is asked again: that is safe.
    "small_talk": {"utter_clarify", "utter_noted"},
    "out_of_scope": {"utter_clarify"},
}
SAFE_OUTCOME, REFERRED, FALLBACK, CHECK_STARTED, OFF_TOPIC = "safe", "referred", "fallback", "check started", "other"


def load(paths: Iterable[Path]) -> list[dict]:
    cases = []
    for path in paths:
        for case in yaml.safe_load(Path(path).read_text(encoding="utf-8")):
            if case.get("topic") not in TOPICS or not str(case.get("text", "")).strip():
                raise ValueError(f"{path}: bad case {case!r}")
            cases.append(case)
    return cases


def greeted() -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    return [
        ActionExecuted("action_listen"),
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        BotUttered("(the greeting)", metadata={"utter_action": "utter_greet"}),
        ActionExecuted("action_listen"),
    ]


def judge(topic: str, place: str, replies: list[str], filled: dict[str, str], asked: Optional[str]) -> str:
    """One outcome for one case in one place."""
    if place != "mid-check" and (CHECK_START in replies):
        return CHECK_STARTED
    safe = SAFE[topic] | (SAFE_MID_CHECK_EXTRA.get(topic, set()) if place == "mid-check" else set())
    hit = [r for r in replies if r in safe]
    if place == "mid-check":
        asked_again = bool(replies) and replies[-1] == f"utter_ask_{asked}"
        if hit and asked_again and not filled:
            return REFERRED if topic == "medication_change" and MEDICATION not in replies else SAFE_OUTCOME
    elif hit:
        return REFERRED if topic == "medication_change" and MEDICATION not in replies else SAFE_OUTCOME
    if any(r in NOT_UNDERSTOOD for r in replies) and not (place == "mid-check" and topic in SAFE_MID_CHECK_EXTRA):
        return FALLBACK
    return OFF_TOPIC


async def _run(model: Path, cases: list[dict]) -> list[dict]:
    from harness.agents import load_assistant
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.events import BotUttered, UserUttered

    agent = await load_assistant(model)
    results = []
    for number, case in enumerate(cases):
        text = str(case["text"])
        for place in PLACES:
            sender = f"eval-questions-{number}-{place}"
            asked = MID_CHECK_SLOTS[number % len(MID_CHECK_SLOTS)] if place == "mid-check" else None
            setup = {"first": [], "greeted": greeted(), "mid-check": form_asking(asked, f"utter_ask_{asked}") if asked else []}[place]
            tracker = await agent.processor.fetch_tracker_with_initial_session(sender)
            if setup:
                tracker.update_with_events(setup, agent.domain)
                await agent.tracker_store.save(tracker)
            before = {slot: tracker.get_slot(slot) for slot in s.FORM_SLOTS}
            started = time.perf_counter()
            await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
            ms = 1000 * (time.perf_counter() - started)
            tracker = await agent.tracker_store.retrieve(sender)
            events = list(tracker.events)
            last_user = max(i for i, e in enumerate(events) if isinstance(e, UserUttered))
            replies = [
                e.metadata.get("utter_action") or "(text)"
                for e in events[last_user:]
                if isinstance(e, BotUttered)
            ]
            intent = events[last_user].intent.get("name")
            filled = {
                slot: tracker.get_slot(slot)
                for slot in s.FORM_SLOTS
                if tracker.get_slot(slot) != before[slot]
            }
            outcome = judge(case["topic"], place, replies, filled, asked)
            results.append({**case, "place": place, "intent": intent, "replies": replies,
                            "filled": filled, "asked": asked, "outcome": outcome, "ms": ms})  # fmt: skip
    return results


def evaluate(model: Path, cases: list[dict]) -> list[dict]:
    quiet_logging()
    return asyncio.run(_run(model, cases))


def pct(n: int, d: int) -> str:
    return f"{100 * n / max(d, 1):.1f}%"


def report(results: list[dict], title: str) -> tuple[str, float]:
    by_topic: dict[str, Counter] = defaultdict(Counter)
    by_place: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    filled = 0
    for r in results:
        by_topic[r["topic"]][r["outcome"]] += 1
        by_place[r["place"]][r["outcome"]] += 1
        total[r["outcome"]] += 1
        filled += bool(r["filled"]) and r["place"] == "mid-check"
    n = len(results)
    ok = total[SAFE_OUTCOME] + total[REFERRED]
    safe_pct = 100 * ok / max(n, 1)
    cols = "| {} | {} | {} | {} | {} | {} | {} |"
    lines = [f"# {title}", "", f"{n // len(PLACES)} questions, each in {len(PLACES)} places ({', '.join(PLACES)}): {n} turns.", ""]
    lines += [cols.format("topic", "turns", "safe", "of which referred", "fallback", "check started", "other"),
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, c in [*((t, by_topic[t]) for t in TOPICS if t in by_topic), *((p, by_place[p]) for p in PLACES)]:
        m = sum(c.values())
        lines.append(cols.format(name, m, f"{c[SAFE_OUTCOME] + c[REFERRED]} ({pct(c[SAFE_OUTCOME] + c[REFERRED], m)})",
                                 c[REFERRED], c[FALLBACK], c[CHECK_STARTED], c[OFF_TOPIC]))  # fmt: skip
    lines.append(cols.format("**all**", n, f"**{ok} ({pct(ok, n)})**", total[REFERRED], total[FALLBACK],
                             total[CHECK_STARTED], total[OFF_TOPIC]))  # fmt: skip
    times = sorted(r["ms"] for r in results)
    p50, p99 = statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))]
    lines += ["", f"answers taken from a question mid-check: {filled}",
              f"time per message (in-process, whole turn): p50 {p50:.1f} ms, p99 {p99:.1f} ms", ""]  # fmt: skip
    summary = (
        f"safe {safe_pct:.1f}% (on topic or safely referred; medication referred in general {total[REFERRED]}), "
        f"fallback {pct(total[FALLBACK], n)}, check started by mistake {total[CHECK_STARTED]}, "
        f"answers taken mid-check {filled}"
    )
    lines += [summary, "", "## Misses", ""]
    for r in results:
        if r["outcome"] not in (SAFE_OUTCOME,):
            lines.append(
                f"- {r['outcome']} [{r['topic']}, {r['place']}{', ' + r['asked'] if r['asked'] else ''}] "
                f"{r['text']!r} -> intent {r['intent']}, replies {r['replies']}"
                + (f", filled {r['filled']}" if r["filled"] else "")
            )
    return "\n".join(lines) + "\n", safe_pct


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--model", type=Path, required=True, help="the trained model")
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument("--gate", action="store_true", help="exit 1 below --min-safe")
    parser.add_argument("--min-safe", type=float, default=90.0, help="percent safe the gate needs")
    args = parser.parse_args()
    cases = load(args.sets)
    title = f"The dialogue of {args.model.name} on " + ", ".join(p.name for p in args.sets)
    text, safe_pct = report(evaluate(args.model, cases), title)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)
    print(text.split("\n## Misses")[0].rstrip().splitlines()[-1])
    if args.gate and safe_pct < args.min_safe:
        print(f"FAIL: the gate needs at least {args.min_safe}% safe")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
