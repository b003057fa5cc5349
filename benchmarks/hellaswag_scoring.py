"""HellaSwag scoring alone, in one process: `HFBackend.loglikelihood` on the first N samples'
4 x N requests (lm-eval's 0-shot query and " " + ending), on vs_lmeval.py's benchmark model.
End-to-end runs swing by a quarter on this machine; this times the scoring without pytest,
imports or the model load, and compares two checkouts in alternated processes.

    python benchmarks/hellaswag_scoring.py --samples 2000                       # this checkout
    python benchmarks/hellaswag_scoring.py --samples 2000 --against /tmp/base --rounds 3

`--against DIR`: another checkout of benchgate (e.g. `git worktree add /tmp/base HEAD~1`); each
round runs both, in alternating order, and the report gives every run's time, the medians, and
the largest log-likelihood difference and is_greedy agreement between the two.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vs_lmeval import DATA, build_model

HERE = Path(__file__).resolve().parent


def requests(samples: int):
    from benchgate.models.base import LoglikelihoodRequest
    from evals.hellaswag import DERIVED, preprocess, read_derived

    out = []
    for index, block, _ in read_derived(DATA / "hellaswag" / DERIVED):
        if index == samples:
            break
        out += [LoglikelihoodRequest(context=preprocess(block[0]), continuation=" " + preprocess(e))
                for e in block[2:6]]
    return out


def worker(checkout: Path, model: Path, samples: int, batch_size: int, out: Path) -> None:
    """Score once after a warm-up with `checkout`'s benchgate; write the wall time, the stats and
    the results to `out`. benchgate is imported here, once `checkout` leads sys.path (vs_lmeval
    put this checkout there)."""
    sys.path.insert(0, str(checkout))
    import benchgate
    from benchgate.models.hf import HFBackend

    if not Path(benchgate.__file__).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"benchgate came from {benchgate.__file__}, not {checkout}")

    reqs = requests(samples)
    backend = HFBackend(str(model), {"batch_size": batch_size, "dtype": "float32"})
    backend.loglikelihood(reqs[:100])
    backend.prefix.store.clear()
    start = time.perf_counter()
    scored = backend.loglikelihood(reqs)
    wall = time.perf_counter() - start
    out.write_text(json.dumps({"wall": wall, "stats": {**backend.stats, **backend.prefix.stats},
                               "results": [[r.logprob, r.is_greedy] for r in scored]}))


def run(checkout: Path, args, out: Path) -> dict:
    subprocess.run([sys.executable, __file__, "--worker", str(out), "--checkout", str(checkout),
                    "--samples", str(args.samples), "--batch-size", str(args.batch_size),
                    "--model", str(args.model)], check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--against", type=Path, help="another benchgate checkout, run alternately")
    parser.add_argument("--model", type=Path, help="default: vs_lmeval.py's model, built if missing")
    parser.add_argument("--cache-dir", type=Path, help="vs_lmeval.py's cache dir (default $BENCHGATE_HOME/vs-lmeval)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--checkout", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.checkout, args.model, args.samples, args.batch_size, args.worker)
        return
    if args.model is None:
        from benchgate.models.smoke import benchgate_home

        cache = (args.cache_dir or benchgate_home() / "vs-lmeval").resolve()
        cache.mkdir(parents=True, exist_ok=True)
        args.model = build_model(cache, DATA)
    sides = {"this": HERE.parent}
    if args.against:
        sides = {"against": args.against.resolve(), "this": HERE.parent}
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(sides)[::-1]
            for name in order:
                runs[name].append(run(sides[name], args, Path(tmp) / f"{name}-{r}.json"))
                print(f"round {r + 1} {name}: {runs[name][-1]['wall']:.2f} s", flush=True)
    print(f"\nHellaSwag scoring, {args.samples} samples ({4 * args.samples} requests), batch {args.batch_size}, "
          f"{args.rounds} round(s)")
    for name, side in runs.items():
        walls = [x["wall"] for x in side]
        print(f"{name} ({sides[name]}): median {statistics.median(walls):.2f} s; runs "
              + ", ".join(f"{w:.2f}" for w in walls) + f"; stats {side[-1]['stats']}")
    if args.against:
        a, b = runs["against"][0]["results"], runs["this"][0]["results"]
        diff = max(abs(x[0] - y[0]) for x, y in zip(a, b))
        same = sum(x[1] == y[1] for x, y in zip(a, b))
        print(f"max |log-likelihood diff| {diff:.3g}; is_greedy same {same}/{len(a)}")


if __name__ == "__main__":
    main()
