"""Samples per second on MMLU with the smoke-test model, serial vs `-n 2`.

    python benchmarks/mmlu_throughput.py [LIMIT]   (default 10 per subset = 570 samples)
"""
from __future__ import annotations

import sys

from _run import run_evals


def main() -> None:
    limit = sys.argv[1] if len(sys.argv) > 1 else "10"
    base = ("--model", "smoke", "--datasets", "mmlu", "--limit", limit)
    for extra in ([], ["-n", "2"]):
        wall, res = run_evals(*base, *extra)
        t = res["timings"]
        print(f"smoke, MMLU --limit {limit} {' '.join(extra) or 'serial'}: {t['samples']} samples in "
              f"{wall:.1f} s wall = {t['samples'] / wall:.1f} samples/s "
              f"({t['computed']} forward requests, prediction {t['prediction_s']:.1f} s summed over workers), "
              f"score {res['benchmarks']['mmlu']['score']:.4f}")


if __name__ == "__main__":
    main()
