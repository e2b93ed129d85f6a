"""Detection cost: time per message of the red-flag detector over the labelled set.

Reports p50 and p99 of `RedFlagDetector.detect` (normalise, tokenise, match, context) and
of the whole NLU component step, over several passes of tests/data/red_flag_cases.yml.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dvt_triage.red_flags import RedFlagDetector  # noqa: E402

TARGET_P99_MS = 2.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--cases", type=Path, default=ROOT / "tests" / "data" / "red_flag_cases.yml")
    args = parser.parse_args()
    texts = [c["text"] for c in yaml.safe_load(args.cases.read_text(encoding="utf-8"))]
    detector = RedFlagDetector()
    for text in texts:  # warm-up
        detector.detect(text)
    timings = []
    for _ in range(args.passes):
        for text in texts:
            start = time.perf_counter()
            detector.detect(text)
            timings.append((time.perf_counter() - start) * 1000)
    p50, p99 = percentile(timings, 0.50), percentile(timings, 0.99)
    print(f"red-flag detector: {len(texts)} messages x {args.passes} passes = {len(timings)} calls")
    print(f"  p50 {p50:.3f} ms   p99 {p99:.3f} ms   mean {statistics.mean(timings):.3f} ms   max {max(timings):.3f} ms")
    print(f"  target p99 < {TARGET_P99_MS} ms: {'PASS' if p99 < TARGET_P99_MS else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
