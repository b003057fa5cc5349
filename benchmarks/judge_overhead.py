"""Judging overhead of the judge benchmarks with replayed judges: prompt rendering, verdict
parsing and scoring of all 1,418 pairs (PandaLM's 999 with gpt-3.5-turbo's released
judgments, LLMBar's 419 in both orders with GPT-4's Vanilla ones), in process, plus the whole
`pytest evals` session of the PandaLM replay for scale (engine included).

    python benchmarks/judge_overhead.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.replay import ReplaySource

ROOT = Path(__file__).resolve().parent.parent
JUDGES = Path(os.environ.get("BENCHGATE_JUDGES_DIR") or ROOT.parent / "shared" / "judges")
SETS = {"Natural": "Natural", "GPTInst": "Adversarial/GPTInst", "GPTOut": "Adversarial/GPTOut",
        "Manual": "Adversarial/Manual", "Neighbor": "Adversarial/Neighbor"}


def _sources():
    pandalm = ReplaySource(JUDGES / "pandalm" / "gpt-3.5-turbo-testset-v1.json")
    llmbar = {s: ReplaySource(JUDGES / "llmbar" / f / "evaluators" / "GPT-4" / "Vanilla" / "result.json")
              for s, f in SETS.items()}
    return pandalm, llmbar


def judge_all() -> tuple[float, int]:
    """Seconds to build prompts, read the replayed verdicts, score and aggregate every pair."""
    pandalm_bench = import_benchmark(ROOT / "evals" / "pandalm.py")
    llmbar_bench = import_benchmark(ROOT / "evals" / "llmbar.py")
    pandalm_src, llmbar_src = _sources()
    jobs = [(pandalm_bench, RunContext(JUDGES, "local", pandalm_bench.effective_args({})), "test", pandalm_src)]
    llmbar_ctx = RunContext(JUDGES, "local", llmbar_bench.effective_args({}))
    jobs += [(llmbar_bench, llmbar_ctx, s, llmbar_src[s]) for s in SETS]
    loaded = [(b, c, b.load(c, s), src) for b, c, s, src in jobs]  # data loading is not judging
    start = time.perf_counter()
    n = 0
    for bench, ctx, samples, source in loaded:
        scores = []
        for sample in samples:
            requests = bench.requests(ctx, sample)
            scores.append(bench.score(ctx, sample, source.outputs(sample.id, requests)).scores)
        bench.corpus_metrics(scores)
        n += len(samples)
    return time.perf_counter() - start, n


def pytest_session() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
               "--model", f"replay:{JUDGES / 'pandalm' / 'gpt-3.5-turbo-testset-v1.json'}", "--datasets",
               "pandalm", "--dataset-dir", str(JUDGES), "--output-dir", tmp, "--cache-path", f"{tmp}/c.sqlite"]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
        return json.loads((Path(tmp) / "results.json").read_text())["timings"]


def main() -> None:
    runs = [judge_all() for _ in range(5)]
    best = min(s for s, _ in runs)
    n = runs[0][1]
    print(f"judging overhead, {n} pairs (2 verdicts per LLMBar pair): best of 5 {best:.3f} s = "
          f"{1000 * best / n:.3f} ms/pair; all: {', '.join(f'{s:.3f}' for s, _ in runs)} s")
    t = pytest_session()
    print(f"pytest evals --datasets pandalm --model replay:gpt-3.5-turbo-testset-v1.json: {t['samples']} "
          f"samples, session {t['total_s']:.2f} s = {1000 * t['total_s'] / t['samples']:.3f} ms/sample")


if __name__ == "__main__":
    sys.exit(main())
