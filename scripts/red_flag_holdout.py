"""Red-flag hold-out measurement: the detector on tests/data/red_flag_holdout.yml.

The development set (tests/data/red_flag_cases.yml) is what the lexicon was tuned on, so
its 100% is in-sample. The hold-out set was written blind, without looking at the lexicon,
and is never tuned on; this script gives the out-of-sample figures:
- sensitivity: `current` cases detected as current;
- specificity: `negated`/`none` cases never detected as current;
- context handled safely: `context` cases detected as context or current (never dropped).
Prints a Markdown report with every error. Exits 0: it measures, it does not gate.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dvt_triage.red_flags import get_detector  # noqa: E402

HOLDOUT = ROOT / "tests" / "data" / "red_flag_holdout.yml"
CURRENT, CONTEXT = "current", "context"


def is_right(label: str, status: str) -> bool:
    """The safe-policy reading of a label: what the patient would be told is what counts."""
    if label == CURRENT:
        return status == CURRENT
    if label == CONTEXT:
        return status in (CONTEXT, CURRENT)
    return status != CURRENT


def report(cases: list[dict]) -> str:
    detector = get_detector()
    rows = [{**c, "status": detector.detect(c["text"]).status} for c in cases]
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[{"negated": "negative", "none": "negative"}.get(r["label"], r["label"])].append(r)
    names = {
        "current": "sensitivity (current -> current)",
        "negative": "specificity (negated/none never current)",
        "context": "context handled safely (-> context or current)",
    }
    lines = [
        f"Hold-out: {len(rows)} cases",
        "",
        "| measure | right | cases | rate |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key in ("current", "negative", "context"):
        rs = groups.get(key, [])
        good = sum(is_right(r["label"], r["status"]) for r in rs)
        lines.append(
            f"| {names[key]} | {good} | {len(rs)} | {good / len(rs):.1%} |"
            if rs
            else f"| {names[key]} | 0 | 0 | - |"
        )
    errors = [r for r in rows if not is_right(r["label"], r["status"])]
    lines += ["", f"Errors ({len(errors)}):"]
    lines += [f"- [{r['label']}/{r['category']}] {r['text']!r} -> {r['status']}" for r in errors] or [
        "- none"
    ]
    stricter = [r for r in rows if r["label"] == CONTEXT and r["status"] == CURRENT]
    lines += [
        "",
        f"Context cases given the emergency instruction directly (safe, not errors): {len(stricter)}",
    ]
    lines += [f"- [{r['category']}] {r['text']!r}" for r in stricter]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=HOLDOUT, type=Path)
    args = parser.parse_args()
    print(report(yaml.safe_load(args.cases.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
