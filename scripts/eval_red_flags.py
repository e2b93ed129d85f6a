"""Red-flag evaluation: labelled messages through the trained model's NLU and dialogue, at
four points of a conversation.

Every case is sent, in-process with the trained model (no action server: the override must
not depend on it), at four stages: a fresh conversation; the reply to the emergency screen;
the reply to the first question of the check; the reply to a late question. For each stage it
reports:
- current signs: the emergency instruction at once; at once or after the confirming question
  ("... now or in the last few days?"); silent misses (neither);
- negatives: false alarms (the emergency instruction) and specificity;
- mentions in context (someone else, the past, hypothetical): how many were sent to the
  emergency instruction, and how many got the confirming question.
Spanish and mixed messages are also reported on their own.
Exits 1 on any silent miss, on less than 95% at once, or on specificity below 0.97, at any
stage, on any set.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import structlog
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dvt_triage import clinic, responses  # noqa: E402
from dvt_triage import slots as s  # noqa: E402

DATA = ROOT / "tests" / "data"
CASES = [DATA / "red_flag_cases.yml", DATA / "red_flag_holdout.yml", *sorted((DATA / "blind").glob("red_flags_*.yml"))]
AT_ONCE_TARGET = 0.95
SPECIFICITY_TARGET = 0.97
EMERGENCY_PREFIX = responses.EMERGENCY  # utter_emergency, _bleeding, _es
# Where a message is sent: (stage, the form's requested slot or None for a fresh chat).
STAGES = (
    ("fresh", None),
    ("screen", s.EMERGENCY_SCREEN),
    ("first", s.FORM_SLOTS[1]),
    ("late", s.CANCER),
)
NEGATIVE_LABELS = {"negated", "none", "negative"}


def quiet_logging() -> None:
    """Only the report: Rasa logs through structlog, which, left unconfigured (as outside
    the `rasa` CLI), prints every debug event of every message to stdout; its imports
    also raise deprecation warnings that say nothing about the red flags (and sanic
    re-enables them on import, so a filter set here would not hold)."""
    warnings.showwarning = lambda *args, **kwargs: None
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def load_cases(paths: list[Path]) -> list[dict]:
    cases = []
    for path in paths:
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            label = "negative" if case["label"] in NEGATIVE_LABELS else case["label"]
            cases.append({**case, "label": label, "set": path.stem, "lang": case.get("lang", "en")})
    return cases


async def replies(agent, sender: str, text: str, setup_events: list) -> list[str]:
    """The texts of every bot message sent in reply to `text`."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    if setup_events:
        tracker = await agent.processor.fetch_tracker_with_initial_session(sender)
        tracker.update_with_events(setup_events, agent.domain)
        await agent.tracker_store.save(tracker)
    out = CollectingOutputChannel()
    await agent.handle_message(UserMessage(text, out, sender))
    return [m.get("text", "") for m in out.messages]


def form_asking(slot: str, question: str) -> list:
    """A conversation in the middle of the form, which has just asked `slot`: every earlier
    question answered with the reading that looks safest (conditions yes, exclusions no)."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered

    events = [
        ActionExecuted("action_listen"),
        UserUttered("start the check", {"name": "start_check", "confidence": 1.0}),
        ActionExecuted(s.ASSESSMENT_FORM),
        ActiveLoop(s.ASSESSMENT_FORM),
    ]
    for earlier in s.FORM_SLOTS[: s.FORM_SLOTS.index(slot)]:
        events.append(SlotSet(earlier, s.YES if earlier in s.CONDITIONS else s.NO))
    events += [
        SlotSet(s.REQUESTED_SLOT, slot),
        BotUttered(question),
        ActionExecuted("action_listen"),
    ]
    return events


def outcome(texts: list[str], emergency_texts: set[str], ask_text: str) -> str:
    """What the patient saw: the emergency instruction, the confirming question, or neither."""
    if any(t in emergency_texts for t in texts):
        return "emergency"
    if ask_text in texts:
        return "asked"
    return "other"


async def evaluate(model: Path, cases: list[dict]) -> list[dict]:
    from harness.agents import load_assistant

    agent = await load_assistant(model)
    domain_responses = agent.domain.responses
    # The replies come filled in with the clinic's details, as the server sends them.
    fill = clinic.current().fill
    emergency_texts = {
        fill(variant["text"])
        for name, variants in domain_responses.items()
        if name.startswith(EMERGENCY_PREFIX)
        for variant in variants
        if not variant.get("channel")
    }
    ask_text = fill(domain_responses[responses.ASK_RED_FLAG_NOW][0]["text"])
    setups = {
        stage: form_asking(slot, domain_responses[responses.ask(slot)][0]["text"]) if slot else []
        for stage, slot in STAGES
    }
    results = []
    for i, case in enumerate(cases):
        seen = {}
        for stage, _ in STAGES:
            if stage in case.get("skip_stages", []):
                continue  # the file says why (e.g. a plain "yes" to the safety question)
            texts = await replies(agent, f"eval-{stage}-{i}", case["text"], setups[stage])
            seen[stage] = {"outcome": outcome(texts, emergency_texts, ask_text), "reply": texts[0] if texts else ""}
        results.append({**case, "stages": seen})
    return results


def summarise(rs: list[dict], stage: str) -> dict:
    by = defaultdict(list)
    for r in rs:
        if stage in r["stages"]:
            by[r["label"]].append(r["stages"][stage]["outcome"])
    cur, neg, ctx = by["current"], by["negative"], by["context"]

    def share(xs: list, *wanted: str) -> float:
        return sum(x in wanted for x in xs) / len(xs) if xs else 1.0

    return {
        "current": len(cur),
        "at_once": share(cur, "emergency"),
        "at_once_or_asked": share(cur, "emergency", "asked"),
        "silent": sum(x == "other" for x in cur),
        "negative": len(neg),
        "false_alarms": sum(x == "emergency" for x in neg),
        "specificity": 1 - share(neg, "emergency") if neg else 1.0,
        "context": len(ctx),
        "context_emergency": sum(x == "emergency" for x in ctx),
        "context_asked": sum(x == "asked" for x in ctx),
    }


def table(title: str, rs: list[dict]) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "| stage | current | at once | at once or asked | silent | negatives | false alarms | specificity | context | context to emergency | context asked |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for stage, _ in STAGES:
        m = summarise(rs, stage)
        lines.append(
            f"| {stage} | {m['current']} | {m['at_once']:.1%} | {m['at_once_or_asked']:.1%} | {m['silent']} "
            f"| {m['negative']} | {m['false_alarms']} | {m['specificity']:.3f} "
            f"| {m['context']} | {m['context_emergency']} | {m['context_asked']} |"
        )
    return lines + [""]


def report(results: list[dict]) -> tuple[str, bool]:
    lines = [f"# Red-flag evaluation: {len(results)} cases x {len(STAGES)} stages", ""]
    passed = True
    by_set = defaultdict(list)
    for r in results:
        by_set[r["set"]].append(r)
    for name, rs in by_set.items():
        lines += table(name, rs)
        for stage, _ in STAGES:
            m = summarise(rs, stage)
            passed &= m["silent"] == 0 and m["at_once"] >= AT_ONCE_TARGET and m["specificity"] >= SPECIFICITY_TARGET
    spanish = [r for r in results if r["lang"] in ("es", "mixed")]
    if spanish:
        lines += table("Spanish and mixed Spanish-English (all sets)", spanish)
    lines += ["### Misses", ""]
    for r in results:
        bad = []
        for stage in r["stages"]:
            got = r["stages"][stage]["outcome"]
            if (r["label"] == "current" and got != "emergency") or (r["label"] != "current" and got == "emergency"):
                bad.append(f"{stage}={got}")
        if bad:
            lines.append(f"- [{r['set']}/{r['label']}/{r.get('sign') or r.get('category')}] {r['text']!r}: {', '.join(bad)}")
    lines += [
        "",
        f"Targets at every stage of every set: no silent miss, at once >= {AT_ONCE_TARGET:.0%}, "
        f"specificity >= {SPECIFICITY_TARGET}: {'PASS' if passed else 'FAIL'}",
    ]
    return "\n".join(lines), passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--cases", nargs="+", default=CASES, type=Path)
    parser.add_argument("--out", type=Path, help="also write the report (markdown) here")
    args = parser.parse_args()
    quiet_logging()
    results = asyncio.run(evaluate(args.model, load_cases(args.cases)))
    text, passed = report(results)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
