"""Samples/s of `pytest evals --api-url` against a real `transformers serve` hosting the
smoke-test model on this machine (GSM8K, 32 new tokens per answer).

    python benchmarks/api_transformers_serve.py [LIMIT]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _run import run_evals  # noqa: E402

from benchgate.fixtures.servers import transformers_serve  # noqa: E402
from benchgate.models.smoke import smoke_model_path  # noqa: E402


def main() -> None:
    limit = sys.argv[1] if len(sys.argv) > 1 else "40"
    model = smoke_model_path()
    with transformers_serve(model) as url:
        for c in (1, 4, 8):
            wall, res = run_evals("--api-url", url, "--model", model, "--datasets", "gsm8k", "--limit", limit,
                                  "--model-args", f"concurrency={c}", "--generation-config", "max_new_tokens=32")
            t = res["timings"]
            print(f"transformers serve, concurrency {c}: {t['samples']} samples, "
                  f"{t['samples'] / t['prediction_s']:.2f} samples/s in the prediction phase, "
                  f"{t['samples'] / wall:.2f} samples/s process wall")


if __name__ == "__main__":
    main()
