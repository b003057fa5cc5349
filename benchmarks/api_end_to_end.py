"""End-to-end samples/s of `pytest evals --api-url ...` (GSM8K, generation) against a local
OpenAI-compatible server: the framework's own ceiling (zero latency) and the fraction of the
ideal speed-up when the server adds a fixed 50 ms per request.

    python benchmarks/api_end_to_end.py

Ideal with latency L and concurrency c: c / L requests/s. The session time (results.json
`total_s`) is used, so Python start-up is excluded; collection, prompts, scoring, recording
and aggregation are included.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _run import run_evals  # noqa: E402

from benchgate.fixtures.servers import FakeOpenAIServer  # noqa: E402


def measure(latency: float, concurrency: int, limit: int) -> float:
    server = FakeOpenAIServer(latency=latency).start()
    try:
        _, res = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                           "--limit", str(limit), "--model-args", f"concurrency={concurrency}",
                           "--group-size", "2000")
    finally:
        server.stop()
    t = res["timings"]
    return t["samples"] / t["total_s"], t["samples"] / t["prediction_s"]


def main() -> None:
    for c in (1, 8, 32, 64) if "--latency-only" not in sys.argv else ():
        per_s, pred_s = measure(0.0, c, 1319)
        print(f"zero latency, concurrency {c:2d}: {per_s:7.1f} samples/s end to end "
              f"(prediction phase alone {pred_s:7.1f} requests/s)")
    for c in (1, 8, 32):
        limit = min(1319, 40 * c)
        per_s, pred_s = measure(0.05, c, limit)
        ideal = c / 0.05
        print(f"50 ms/request, concurrency {c:2d}: prediction {pred_s:6.1f} req/s = "
              f"{100 * pred_s / ideal:5.1f}% of ideal {ideal:.0f}; end to end {per_s:6.1f} samples/s")


if __name__ == "__main__":
    main()
