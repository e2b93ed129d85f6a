"""Blind evaluation of the answer reader (`dvt_triage.answers`) on labelled patient answers.

Each case is a reply to one of the 13 questions, labelled yes / no / unsure for the question
asked (and, optionally, `also` for other questions it clearly answers). The reader is the
one the Rasa server uses for every form turn (`rasa_plugins.form_policy` via
`dvt_triage.form_turn`), so these readings are the ones a patient gets. Each reading is:
- right: the label;
- dangerous: the safer-looking reading the patient did not give: an exclusion or the
  emergency screen read as "no", or a condition read as "yes", when the label says otherwise;
- asked again: no reading, so the question is repeated;
- wrong, safe: any other mismatch (a "no" read as "unsure", say).

With --model, each answer goes instead through the trained model in-process, as the server
runs it: NLU (intent, red-flag classifier), the override policy (emergency, "right now?"),
then the form policy, in a conversation where the form has just asked that question. The
reading is the slot the dialogue set. An emergency instruction counts as a "yes" (the
strongest reading). At the emergency screen the confirming question ("do you have it now, or
did you have it in the last few days?") is how the dialogue handles "not sure", and counts as
that reading; elsewhere it counts as asked again.

Prints a Markdown report (per question, then every miss). With --gate, exits 1 on any
dangerous reading or when fewer than --min-right of the cases are read right.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Optional

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dvt_triage import answers, responses  # noqa: E402
from dvt_triage import slots as s  # noqa: E402
from scripts.eval_red_flags import form_asking, quiet_logging  # noqa: E402

DEFAULT_SETS = sorted((ROOT / "tests" / "data" / "blind").glob("answers_*.yml"))
RIGHT, DANGEROUS, ASKED_AGAIN, WRONG_SAFE = "right", "dangerous", "asked again", "wrong, safe"
OUTCOMES = (RIGHT, DANGEROUS, ASKED_AGAIN, WRONG_SAFE)
# The reading that makes a patient look safer than they are, per slot (defined once, by the reader).
SAFE_LOOKING = answers.SAFE_LOOKING


def judge(slot: str, label: str, reading: Optional[str]) -> str:
    if reading == label:
        return RIGHT
    if reading == SAFE_LOOKING[slot]:
        return DANGEROUS
    if reading is None:
        return ASKED_AGAIN
    return WRONG_SAFE


def load(paths: Iterable[Path]) -> list[dict]:
    cases = []
    for path in paths:
        for case in yaml.safe_load(Path(path).read_text(encoding="utf-8")):
            if case["question"] not in s.FORM_SLOTS or str(case["label"]) not in s.ANSWER_VALUES:
                raise ValueError(f"{path}: bad case {case!r}")
            cases.append(case)
    return cases


def reader_readings(cases: list[dict]) -> list[dict[str, str]]:
    """The answer reader's readings, slot -> value, for each case."""
    return [answers.interpret(str(case["text"]), case["question"]) for case in cases]


def dialogue_readings(model: Path, cases: list[dict]) -> list[dict[str, str]]:
    """What the trained model's dialogue does with each answer, as slot -> value."""
    quiet_logging()
    return asyncio.run(_dialogue(model, cases))


async def _dialogue(model: Path, cases: list[dict]) -> list[dict[str, str]]:
    from harness.agents import load_assistant
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from rasa_plugins.override_policy import ASKED, RED_FLAG_CHECK

    agent = await load_assistant(model)
    results = []
    for number, case in enumerate(cases):
        sender = f"eval-answers-{number}"
        tracker = await agent.processor.fetch_tracker_with_initial_session(sender)
        asking = form_asking(case["question"], responses.ask(case["question"]))
        tracker.update_with_events(asking, agent.domain)
        await agent.tracker_store.save(tracker)
        await agent.handle_message(UserMessage(str(case["text"]), CollectingOutputChannel(), sender))
        tracker = await agent.tracker_store.retrieve(sender)
        if tracker.get_slot(s.TRIAGE_LEVEL) == s.EMERGENCY:
            results.append({case["question"]: s.YES})
            continue
        if case["question"] == s.EMERGENCY_SCREEN and tracker.get_slot(RED_FLAG_CHECK) == ASKED:
            # At the emergency screen a hedge, or a sign named without a yes, gets the
            # confirming question ("... now or in the last few days?"), by design: the
            # dialogue read it as "not sure".
            results.append({case["question"]: s.UNSURE})
            continue
        slots_set = {
            slot: tracker.get_slot(slot) for slot in s.FORM_SLOTS if tracker.get_slot(slot) in s.ANSWER_VALUES
        }
        results.append(
            {
                slot: value
                for slot, value in slots_set.items()
                if slot not in _earlier(case["question"]) or value != SAFE_LOOKING[slot]
            }
        )
    return results


def _earlier(slot: str) -> tuple[str, ...]:
    return s.FORM_SLOTS[: s.FORM_SLOTS.index(slot)]


def evaluate(
    cases: list[dict], all_readings: Optional[list[dict[str, str]]] = None
) -> tuple[dict[str, Counter], list[tuple[str, dict, str, Optional[str]]]]:
    """Counts per question, and every miss as (outcome, case, slot, reading)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    misses = []
    all_readings = all_readings if all_readings is not None else reader_readings(cases)
    for case, readings in zip(cases, all_readings):
        asked = case["question"]
        outcome = judge(asked, str(case["label"]), readings.get(asked))
        counts[asked][outcome] += 1
        if outcome != RIGHT:
            misses.append((outcome, case, asked, readings.get(asked)))
        # Other questions the answer clearly answers: only a dangerous reading counts.
        for slot, label in (case.get("also") or {}).items():
            if slot in readings and judge(slot, str(label), readings[slot]) == DANGEROUS:
                counts["(other questions in the same answer)"][DANGEROUS] += 1
                misses.append((DANGEROUS, case, slot, readings[slot]))
    return counts, misses


def report(
    cases: list[dict], title: str, readings: Optional[list[dict[str, str]]] = None
) -> tuple[str, Counter]:
    counts, misses = evaluate(cases, readings)
    total: Counter = Counter()
    lines = [f"# {title}", "", f"{len(cases)} answers.", ""]
    lines += [
        "| question | answers | right | dangerous | asked again | wrong, safe |",
        "|---|---|---|---|---|---|",
    ]
    for slot in [*s.FORM_SLOTS, "(other questions in the same answer)"]:
        c = counts.get(slot)
        if not c:
            continue
        n = sum(c.values()) if slot in s.FORM_SLOTS else 0
        total.update(c)
        right = f"{c[RIGHT]} ({100 * c[RIGHT] / n:.0f}%)" if n else "-"
        lines.append(
            f"| {slot} | {n or '-'} | {right} | {c[DANGEROUS]} | {c[ASKED_AGAIN]} | {c[WRONG_SAFE]} |"
        )
    n = len(cases)
    lines.append(
        f"| **all** | {n} | **{total[RIGHT]} ({100 * total[RIGHT] / max(n, 1):.1f}%)** | "
        f"**{total[DANGEROUS]}** | {total[ASKED_AGAIN]} | {total[WRONG_SAFE]} |"
    )
    lines += [
        "",
        f"read right {100 * total[RIGHT] / max(n, 1):.1f}%, dangerous {total[DANGEROUS]}, asked again {total[ASKED_AGAIN]}",
    ]
    lines += ["", "## Misses", ""]
    for outcome in (DANGEROUS, ASKED_AGAIN, WRONG_SAFE):
        for kind, case, slot, reading in misses:
            if kind == outcome:
                label = case["label"] if slot == case["question"] else case["also"][slot]
                lines.append(
                    f"- {outcome}: {slot} = {label}, read {reading}: {case['text']!r} ({case.get('kind', '')})"
                )
    return "\n".join(lines) + "\n", total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument("--gate", action="store_true", help="exit 1 on a dangerous reading or too few right")
    parser.add_argument("--min-right", type=float, default=95.0, help="percent read right the gate needs")
    parser.add_argument(
        "--model", type=Path, help="read through this trained model's dialogue, as the server does"
    )
    args = parser.parse_args()
    cases = load(args.sets)
    who = f"The dialogue of {args.model.name}" if args.model else "The answer reader"
    title = f"{who} on " + ", ".join(p.name for p in args.sets)
    readings = dialogue_readings(args.model, cases) if args.model else None
    text, total = report(cases, title, readings)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)
    right = 100 * total[RIGHT] / max(len(cases), 1)
    print(f"read right {right:.1f}%, dangerous {total[DANGEROUS]}, asked again {total[ASKED_AGAIN]}")
    if args.gate and (total[DANGEROUS] or right < args.min_right):
        print(f"FAIL: the gate needs 0 dangerous readings and at least {args.min_right}% read right")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
