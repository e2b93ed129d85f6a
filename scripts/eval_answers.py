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

Prints a Markdown report (per question, then every miss). With --gate, exits 1 on any
dangerous reading or when fewer than --min-right of the cases are read right.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dvt_triage import answers  # noqa: E402
from dvt_triage import slots as s  # noqa: E402

DEFAULT_SETS = sorted((ROOT / "tests" / "data" / "blind").glob("answers_*.yml"))
RIGHT, DANGEROUS, ASKED_AGAIN, WRONG_SAFE = "right", "dangerous", "asked again", "wrong, safe"
OUTCOMES = (RIGHT, DANGEROUS, ASKED_AGAIN, WRONG_SAFE)
# The reading that makes a patient look safer than they are, per slot.
SAFE_LOOKING = {
    **{slot: s.NO for slot in (s.EMERGENCY_SCREEN, *s.EXCLUSIONS)},
    **{slot: s.YES for slot in s.CONDITIONS},
}


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


def evaluate(cases: list[dict]) -> tuple[dict[str, Counter], list[tuple[str, dict, str, Optional[str]]]]:
    """Counts per question, and every miss as (outcome, case, slot, reading)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for case in cases:
        asked = case["question"]
        readings = answers.interpret(str(case["text"]), asked)
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


def report(cases: list[dict], title: str) -> tuple[str, Counter]:
    counts, misses = evaluate(cases)
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
    args = parser.parse_args()
    cases = load(args.sets)
    title = "Answer reader on " + ", ".join(p.name for p in args.sets)
    text, total = report(cases, title)
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
