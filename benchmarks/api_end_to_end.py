"""End-to-end samples/s of `pytest evals --api-url ...` against a local OpenAI-compatible
server: the framework's own ceiling (zero latency, GSM8K) and, with the server adding a fixed
50 ms per request, the fraction of the ideal speed-up (MMLU in generation mode).

    python benchmarks/api_end_to_end.py

The server is `api_fast_server.py` in its own process (a bare asyncio protocol, so the client
under test sets the pace). Rates use the prediction phase of results.json (`prediction_s`:
all model calls of the run, cache writes included); "end to end" uses the whole session
(`total_s`: collection, prompts, scoring, recording, aggregation). Speed-up at concurrency c
is rate(c) / rate(1); ideal is c.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _run import run_evals

HERE = Path(__file__).resolve().parent


def server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(HERE / "api_fast_server.py"), "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def measure(url: str, concurrency: int, *args: str) -> tuple[float, float]:
    _, res = run_evals("--api-url", url, "--model", "fake-model", "--model-args",
                       f"concurrency={concurrency}", "--group-size", "100000", *args)
    t = res["timings"]
    return t["samples"] / t["prediction_s"], t["samples"] / t["total_s"]


def main() -> None:
    proc, url = server(0.0)
    try:
        for c in (1, 8, 32, 64):
            pred, e2e = measure(url, c, "--datasets", "gsm8k")
            print(f"zero latency, concurrency {c:2d}: {pred:7.1f} requests/s in the prediction phase, "
                  f"{e2e:6.1f} samples/s end to end (GSM8K, 1319 samples)")
    finally:
        proc.kill()
    proc, url = server(0.05)
    try:
        base = None
        for c, per_subset in ((1, 2), (8, 15), (32, 60)):
            pred, e2e = measure(url, c, "--datasets", "mmlu", "--limit", str(per_subset),
                                "--dataset-args", '{"mmlu": {"mode": "generate"}}')
            base = base or pred
            print(f"50 ms/request, concurrency {c:2d} ({57 * per_subset} samples): {pred:6.1f} req/s = "
                  f"{100 * pred / (c / 0.05):5.1f}% of c/latency; speed-up {pred / base:5.2f} of ideal {c} "
                  f"= {100 * pred / base / c:5.1f}%; end to end {e2e:6.1f} samples/s")
    finally:
        proc.kill()


if __name__ == "__main__":
    main()
