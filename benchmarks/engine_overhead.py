"""Per-sample overhead of the engine with the `dummy` model on the full MMLU test split,
and the collection time of those 14,042 samples.

    python benchmarks/engine_overhead.py

`total_s` in results.json runs from the controller's configure to session end: collection,
prediction (dummy: hashing only), scoring, recording, aggregation and writing outputs.
For scale, it also times plain pytest running as many empty tests (the same span): the
floor that pytest itself puts under one test on this machine.
"""
from __future__ import annotations

import sys

from _pytest_floor import bare_pytest_seconds
from _run import collect_seconds, run_evals


def main() -> None:
    wall, n = collect_seconds("--model", "dummy", "--datasets", "mmlu")
    print(f"collection of the full MMLU test split: {n} samples, {wall:.2f} s wall "
          f"(python start-up and imports included)")
    for extra in ([], ["-n", "2"]):
        wall, res = run_evals("--model", "dummy", "--datasets", "mmlu", *extra)
        t = res["timings"]
        print(f"dummy, full MMLU {' '.join(extra) or 'serial'}: {t['samples']} samples, "
              f"session {t['total_s']:.2f} s = {1000 * t['total_s'] / t['samples']:.3f} ms/sample "
              f"(collection {t['collection_s'] or 0:.2f} s, prediction {t['prediction_s']:.2f} s); "
              f"process wall {wall:.2f} s")
        bare = bare_pytest_seconds(t["samples"], *extra)
        print(f"  plain pytest, {t['samples']} empty tests {' '.join(extra) or 'serial'}: {bare:.2f} s = "
              f"{1000 * bare / t['samples']:.3f} ms/test; the engine adds "
              f"{1000 * (t['total_s'] - bare) / t['samples']:.3f} ms/sample")


if __name__ == "__main__":
    sys.exit(main())
