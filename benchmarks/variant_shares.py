"""The share of items each dynamic variant keeps, over whole evaluation splits
(docs/contamination.md, "Dynamic variants and the contamination gap").

    python benchmarks/variant_shares.py                       # gsm8k numbers; mmlu, ceval, cmmlu, arc
    python benchmarks/variant_shares.py --seeds 0 1 7 42 --benchmarks gsm8k

Builds every variant item exactly as a run does (the benchmark's own loader, then
`benchgate.variants.base.apply_variant`), without a model, and prints per benchmark, variant
and seed: items kept / items, the share, and the three commonest reasons an item was left out.
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from benchgate.benchmark import RunContext, import_benchmark
from benchgate.variants.base import KEPT_KEY, apply_variant

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "benchmarks"


def shares(name: str, variant: str, seed: int, data: Path = DATA) -> tuple[int, int, Counter]:
    """(kept, total, drop reasons) of one variant over a benchmark's whole evaluation split."""
    bench = import_benchmark(ROOT / "evals" / f"{name}.py")
    ctx = RunContext(dataset_dir=data, dataset_hub="local",
                     args=bench.effective_args({"variant": variant, "variant_seed": seed}))
    for subset in bench.subsets(ctx):
        apply_variant(bench, ctx, subset, bench.load(ctx, subset))
    kept = ctx.args[KEPT_KEY].values()
    reasons: Counter = Counter()
    for k in kept:
        reasons.update(k["dropped"])
    return sum(k["kept"] for k in kept), sum(k["total"] for k in kept), reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7])
    parser.add_argument("--benchmarks", nargs="+", default=["gsm8k", "mmlu", "ceval", "cmmlu", "arc"])
    parser.add_argument("--dataset-dir", type=Path, default=DATA)
    args = parser.parse_args()
    print("| benchmark | variant | seed | kept / items | share | commonest reasons left out |")
    print("|---|---|---|---|---|---|")
    for name in args.benchmarks:
        bench = import_benchmark(ROOT / "evals" / f"{name}.py")
        for variant in bench.variants:
            for seed in args.seeds:
                start = time.perf_counter()
                kept, total, reasons = shares(name, variant, seed, args.dataset_dir)
                top = "; ".join(f"{r} ({n})" for r, n in reasons.most_common(3)) or "–"
                print(f"| {name} | {variant} | {seed} | {kept} / {total} | {kept / total:.1%} | {top} |"
                      f" <!-- {time.perf_counter() - start:.1f} s -->")


if __name__ == "__main__":
    main()
