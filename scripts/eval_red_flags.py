"""Red-flag evaluation: the labelled set through the trained model's NLU and dialogue.

For every case of tests/data/red_flag_cases.yml it checks, in-process with the trained
model (no action server needed: the override must not depend on it):
- NLU: a `current` case gets intent `emergency`; `negated`/`none` never do; a `context`
  case gets `red_flag_context` (or `emergency`, which is also safe);
- dialogue, at the start of a conversation and in the middle of the assessment (the form
  asking `cancer`): the very first reply to a `current` case is the emergency instruction;
  no `negated`/`none` case gets it; a `context` case gets either the "right now?" question
  or the emergency instruction, never silence.
Prints sensitivity, specificity and per-category results; exits 1 under the targets.
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

from dvt_triage import slots as s  # noqa: E402

CASES = ROOT / "tests" / "data" / "red_flag_cases.yml"
SENSITIVITY_TARGET = 1.0
SPECIFICITY_TARGET = 0.97


def quiet_logging() -> None:
    """Only the report: Rasa logs through structlog, which, left unconfigured (as outside
    the `rasa` CLI), prints every debug event of every message to stdout; its imports
    also raise deprecation warnings that say nothing about the red flags (and sanic
    re-enables them on import, so a filter set here would not hold)."""
    warnings.showwarning = lambda *args, **kwargs: None
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def load_cases(path: Path = CASES) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


async def first_reply(agent, sender: str, text: str, setup_events: list) -> str:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    if setup_events:
        tracker = await agent.processor.fetch_tracker_with_initial_session(sender)
        tracker.update_with_events(setup_events, agent.domain)
        await agent.tracker_store.save(tracker)
    out = CollectingOutputChannel()
    await agent.handle_message(UserMessage(text, out, sender))
    return out.messages[0].get("text", "") if out.messages else ""


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


def mid_assessment_events() -> list:
    """A conversation in the middle of the form: every answer up to `cancer` given."""
    return form_asking(s.CANCER, "Do you have cancer, or are you being treated for cancer?")


async def evaluate(model: Path, cases: list[dict]) -> dict:
    from rasa.core.agent import load_agent

    agent = await load_agent(model_path=str(model))
    emergency_text = agent.domain.responses["utter_emergency"][0]["text"]
    ask_now_text = agent.domain.responses["utter_ask_red_flag_now"][0]["text"]
    results = []
    for i, case in enumerate(cases):
        parsed = await agent.parse_message(case["text"])
        intent = parsed["intent"]["name"]
        start = await first_reply(agent, f"eval-start-{i}", case["text"], [])
        middle = await first_reply(agent, f"eval-mid-{i}", case["text"], mid_assessment_events())
        results.append({**case, "intent": intent, "start": start, "middle": middle})

    def ok(r: dict) -> dict:
        label = r["label"]
        is_emergency = {k: r[k] == emergency_text for k in ("start", "middle")}
        if label == "current":
            return {"nlu": r["intent"] == s.INTENT_EMERGENCY, **is_emergency}
        if label == "context":
            safe = {k: r[k] in (emergency_text, ask_now_text) for k in ("start", "middle")}
            return {"nlu": r["intent"] in (s.INTENT_RED_FLAG_CONTEXT, s.INTENT_EMERGENCY), **safe}
        return {"nlu": r["intent"] != s.INTENT_EMERGENCY, **{k: not v for k, v in is_emergency.items()}}

    for r in results:
        r["ok"] = ok(r)
    return {"results": results}


def report(results: list[dict]) -> tuple[str, bool]:
    lines = []
    by_label: dict[str, list] = defaultdict(list)
    for r in results:
        by_label[{"negated": "negative", "none": "negative"}.get(r["label"], r["label"])].append(r)

    def rate(rs: list, stage: str) -> float:
        return sum(r["ok"][stage] for r in rs) / len(rs) if rs else 1.0

    passed = True
    lines.append(f"Red-flag evaluation: {len(results)} cases")
    lines.append("| set | cases | NLU | reply at start | reply mid-assessment |")
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    names = {
        "current": "positive (sensitivity)",
        "negative": "negative (specificity)",
        "context": "context (safe policy)",
    }
    for label in ("current", "negative", "context"):
        rs = by_label.get(label, [])
        rates = [rate(rs, st) for st in ("nlu", "start", "middle")]
        lines.append(f"| {names[label]} | {len(rs)} | " + " | ".join(f"{x:.1%}" for x in rates) + " |")
        target = {"current": SENSITIVITY_TARGET, "negative": SPECIFICITY_TARGET, "context": 1.0}[label]
        passed &= all(x >= target for x in rates)
    lines.append("")
    lines.append("| category | cases | all stages right |")
    lines.append("| --- | ---: | ---: |")
    by_cat: dict[str, list] = defaultdict(list)
    for r in results:
        by_cat[r["category"]].append(r)
    for cat in sorted(by_cat):
        rs = by_cat[cat]
        good = sum(all(r["ok"].values()) for r in rs)
        lines.append(f"| {cat} | {len(rs)} | {good}/{len(rs)} |")
    misses = [r for r in results if not all(r["ok"].values())]
    if misses:
        lines.append("")
        lines.append("Wrong:")
        for r in misses:
            bad = [k for k, v in r["ok"].items() if not v]
            lines.append(
                f"- [{r['label']}/{r['category']}] {r['text']!r}: intent={r['intent']} wrong at {bad}"
            )
    lines.append("")
    lines.append(
        f"Targets: sensitivity {SENSITIVITY_TARGET:.0%}, specificity >= {SPECIFICITY_TARGET:.0%}, "
        f"every context case safe: {'PASS' if passed else 'FAIL'}"
    )
    return "\n".join(lines), passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--cases", default=CASES, type=Path)
    parser.add_argument("--out", type=Path, help="also write the report (markdown) here")
    args = parser.parse_args()
    quiet_logging()
    data = asyncio.run(evaluate(args.model, load_cases(args.cases)))
    text, passed = report(data["results"])
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
