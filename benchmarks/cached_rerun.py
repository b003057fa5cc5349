"""Wall time of a fully cached re-run, serial and under `-n 2`: no process loads the model.

    python benchmarks/cached_rerun.py [--model smoke] [--datasets mmlu] [--limit 3]
                                      [--cache-path FILLED.sqlite] [--repeat N]

The first run fills a fresh cache (or `--cache-path` names one this workload filled); each
re-run reads every request from it (`--use-cache`).
`loads` counts the HFBackend builds of each run, through the `count_model_loads` plugin below
(written to a temporary folder and passed with `-p`, so the xdist workers load it too).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _run import DATA, ROOT

PLUGIN = '''
import os
from benchgate.models import hf

_init = hf.HFBackend.__init__


def _counted(self, *args, **kwargs):
    with open(os.environ["COUNT_MODEL_LOADS"], "a") as f:
        f.write("load\\n")
    _init(self, *args, **kwargs)


hf.HFBackend.__init__ = _counted
'''


def run(tmp: Path, cache: Path, name: str, *args: str) -> tuple[float, dict, int]:
    """One `pytest evals` run on `cache`: (wall seconds, results.json, model loads)."""
    out, loads = tmp / name, tmp / f"{name}.loads"
    loads.write_text("")
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "-p", "count_model_loads", "--dataset-dir", str(DATA), "--output-dir", str(out),
           "--cache-path", str(cache), *args]
    env = {**os.environ, "COUNT_MODEL_LOADS": str(loads),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
    return wall, json.loads((out / "results.json").read_text()), len(loads.read_text().split())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smoke")
    ap.add_argument("--datasets", nargs="+", default=["mmlu"])
    ap.add_argument("--limit", default="3")
    ap.add_argument("--cache-path", type=Path, default=None,
                    help="a cache already filled by this workload (default: fill a new one first)")
    ap.add_argument("--repeat", type=int, default=1)
    opts = ap.parse_args()
    args = ["--model", opts.model, "--datasets", *opts.datasets, "--limit", opts.limit]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "count_model_loads.py").write_text(PLUGIN)
        cache = opts.cache_path or Path(tmp) / "cache.sqlite"
        runs = [("fill", [])] if opts.cache_path is None else []
        runs += [("cached serial", ["--use-cache"]), ("cached -n 2", ["--use-cache", "-n", "2"])] * opts.repeat
        for i, (name, extra) in enumerate(runs):
            wall, res, loads = run(Path(tmp), cache, f"run{i}", *args, *extra)
            t = res["timings"]
            print(f"{name}: {t['samples']} samples, {t.get('requests', '?')} requests, "
                  f"{t.get('cache_hits', '?')} cached; wall {wall:.1f} s; model loads {loads}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
