"""The 164 HumanEval canonical solutions through the sandbox: pass count and time.

    .venv/bin/python benchmarks/humaneval_sandbox.py [--dataset-dir ../shared/benchmarks]
        [--workers 1 2] [--network auto|guard] [--hostile] [--json out.json]

For each worker count, runs every problem's program (prompt + canonical solution + test +
check(entry_point)) through `benchgate.sandbox.run_python` exactly as the humaneval module does,
and prints passed/164, wall time, and the per-program median and max. `--hostile` adds three
runaway programs (endless loop, 10 GB allocation, socket connection) in front of the run and
checks they are stopped and that all 164 still pass afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchgate.benchmark import RunContext  # noqa: E402
from benchgate.engine.items import import_benchmark  # noqa: E402
from benchgate.sandbox import network_isolation, run_python  # noqa: E402

HOSTILE = {
    "endless loop": "while True:\n    pass\n",
    "10 GB allocation": "x = bytearray(10 * 2**30)\n",
    "socket connection": "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset-dir", default=os.environ.get("BENCHGATE_DATASET_DIR")
                        or str(ROOT.parent / "shared" / "benchmarks"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--network", default="auto", choices=("auto", "namespace", "guard"))
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--hostile", action="store_true")
    parser.add_argument("--json", default=None)
    opts = parser.parse_args()

    bench = import_benchmark(ROOT / "evals" / "humaneval.py")
    ctx = RunContext(dataset_dir=Path(opts.dataset_dir), dataset_hub="local",
                     args=bench.effective_args({"timeout": opts.timeout, "network": opts.network}))
    samples = bench.load(ctx, "openai_humaneval")
    programs = [(s.data["task_id"], bench.requests(ctx, s)[0].oracle, s) for s in samples]
    report = {"python": sys.version.split()[0], "cpus": os.cpu_count(),
              "isolation": network_isolation(opts.network), "timeout_s": opts.timeout, "runs": []}
    print(f"isolation: {report['isolation']}, {len(programs)} problems, cpus={report['cpus']}")

    if opts.hostile:
        for name, code in HOSTILE.items():
            r = run_python(code, timeout=3.0, memory_mb=1024, network=opts.network)
            print(f"hostile {name:18s} -> {r.status:8s} in {r.seconds:.2f} s")
            report.setdefault("hostile", {})[name] = {"status": r.status, "seconds": r.seconds}

    for workers in opts.workers:
        def one(item):
            task_id, solution, sample = item
            return task_id, bench.execute(ctx, sample, solution)

        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(one, programs))
        wall = time.perf_counter() - start
        passed = sum(r.passed for _, r in results)
        per = [r.seconds for _, r in results]
        failed = [(t, r.status, r.stderr.strip().splitlines()[-1:] if r.stderr else "")
                  for t, r in results if not r.passed]
        run = {"workers": workers, "passed": passed, "total": len(results), "wall_s": wall,
               "median_s": statistics.median(per), "max_s": max(per), "failed": failed}
        report["runs"].append(run)
        print(f"workers={workers}: {passed}/{len(results)} passed in {wall:.1f} s "
              f"(per program median {run['median_s'] * 1000:.0f} ms, max {run['max_s'] * 1000:.0f} ms)")
        for f in failed:
            print("  FAILED", *f)
    if opts.json:
        Path(opts.json).write_text(json.dumps(report, indent=2))
    return 0 if all(r["passed"] == r["total"] for r in report["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
