"""Helpers for the measurement scripts: run `pytest evals ...` and read its timings."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCHGATE_DATASET_DIR") or ROOT.parent / "shared" / "benchmarks")


def run_evals(*args: str) -> tuple[float, dict]:
    """Run pytest on evals/ in a subprocess; returns (wall seconds, results.json)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
               "--dataset-dir", str(DATA), "--output-dir", tmp, "--cache-path", f"{tmp}/c.sqlite", *args]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
        results = json.loads((Path(tmp) / "results.json").read_text())
    return wall, results


def collect_seconds(*args: str) -> tuple[float, int]:
    """Wall time of `pytest --collect-only` and the number of collected tests."""
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--collect-only", "--dataset-dir", str(DATA), *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    n = sum(1 for line in proc.stdout.splitlines() if "::" in line)
    return wall, n
