"""Cost of BFCL's own work per single-turn case, with the oracle's answer: building the request
(function docs with language hints, BFCL's system prompt or the OpenAI tools) plus decoding and
checking the answer. No model and no engine: the benchmark's requests() and score() only.

    python benchmarks/bfcl_speed.py [--dataset-dir ../shared/agent] [--repeat 3]

Prints ms per case for each mode (best of --repeat passes over all 3,641 single-turn cases).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchgate.benchmark import RunContext  # noqa: E402
from benchgate.engine.items import import_benchmark  # noqa: E402
from benchgate.models.base import Generation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset-dir", default=str(ROOT.parent / "shared" / "agent"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench = import_benchmark(ROOT / "evals" / "bfcl.py")
    print("| mode | cases | ms per case (requests + score) |")
    print("|---|---:|---:|")
    for mode in ("fc", "prompt"):
        ctx = RunContext(Path(args.dataset_dir), "local", bench.effective_args({"mode": mode}), chat=True)
        samples = [s for sub in bench.subsets(ctx) if not bench.skip_reason(ctx, sub) for s in bench.load(ctx, sub)]
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            for sample in samples:
                request = bench.requests(ctx, sample)[0]
                bench.score(ctx, sample, [Generation(str(request.oracle))])
            best = min(best, time.perf_counter() - start)
        print(f"| {mode} | {len(samples)} | {1000 * best / len(samples):.3f} |")


if __name__ == "__main__":
    main()
