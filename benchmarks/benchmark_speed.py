"""Wall time and samples/s of every benchmark with the smoke-test model.

    python benchmarks/benchmark_speed.py [--limit 50] [--full NAME ...] [--max-new-tokens 32]

--limit N runs every benchmark with N samples per subset; --full NAME runs the whole split of
the named benchmarks. Generation length is capped (default 32 new tokens): the smoke model is
random, so it rarely stops early and the cap, not the benchmark, would set the time.
"""
from __future__ import annotations

import argparse

from _run import run_evals

BENCHMARKS = ("mmlu", "gsm8k", "ceval", "cmmlu", "arc", "hellaswag", "truthful_qa",
              "competition_math", "humaneval", "bbh", "trivia_qa")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--full", nargs="*", default=[])
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--only", nargs="*", default=list(BENCHMARKS))
    args = parser.parse_args()
    gen = ("--generation-config", f"max_new_tokens={args.max_new_tokens}")
    runs = [(name, ("--limit", str(args.limit))) for name in args.only]
    runs += [(name, ()) for name in args.full]
    print("| benchmark | samples | wall s | samples/s | prediction s | score |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, limit in runs:
        wall, res = run_evals("--model", "smoke", "--datasets", name, *limit, *gen)
        entry = res["benchmarks"][name]
        t = res["timings"]
        label = name + (f" (--limit {limit[1]})" if limit else " (full)")
        print(f"| {label} | {t['samples']} | {wall:.1f} | {t['samples'] / wall:.1f} | "
              f"{t['prediction_s']:.1f} | {entry['score']:.4f} {entry['metric']} |", flush=True)


if __name__ == "__main__":
    main()
