"""What `--alluredir` costs per sample: the dummy model on MMLU (--limit per subject), with and
without Allure results, alternating, median of the repeats.

    python benchmarks/allure_cost.py --limit 20 --repeat 3
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile

from _run import run_evals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20, help="samples per MMLU subject (57 subjects)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = ("--model", "dummy", "--datasets", "mmlu", "--limit", str(args.limit))
    plain, allure, n = [], [], 0
    for _ in range(args.repeat):
        wall, res = run_evals(*base)
        plain.append(res["timings"]["total_s"])
        n = res["timings"]["samples"]
        with tempfile.TemporaryDirectory() as tmp:
            wall, res = run_evals(*base, "--alluredir", tmp)
            allure.append(res["timings"]["total_s"])
    p, a = statistics.median(plain), statistics.median(allure)
    print(f"dummy MMLU, {n} samples, median of {args.repeat} sessions (controller configure -> session end):")
    print(f"  without --alluredir: {p:.2f} s ({1000 * p / n:.3f} ms/sample)")
    print(f"  with --alluredir:    {a:.2f} s ({1000 * a / n:.3f} ms/sample)")
    print(f"  Allure costs {1000 * (a - p) / n:.3f} ms per sample "
          f"(6 files per sample: 1 result + 5 attachments)")


if __name__ == "__main__":
    sys.exit(main())
