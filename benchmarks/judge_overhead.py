"""Judging overhead of the judge benchmarks with replayed judges: prompt rendering, verdict
parsing and scoring of all 1,418 pairs (PandaLM's 999 with gpt-3.5-turbo's released
judgments, LLMBar's 419 in both orders with GPT-4's Vanilla ones), in process, plus the whole
`pytest evals` session of the PandaLM replay for scale (engine included); then API judging
of LLMBar against benchmarks/api_fast_server.py at 50 ms a reply: the speed-up at concurrency
32 over 1 as a share of the ideal 32, for one judge and for a panel of three (each member its
own server; members called concurrently), and the client's CPU per verdict (the backends
driven in process, which the machine's other load does not change).

    python benchmarks/judge_overhead.py
    python benchmarks/judge_overhead.py --only-api --repeats 5   # the API part alone
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import GenerationConfig
from benchgate.models.openai_api import OpenAIBackend
from benchgate.models.panel import PanelBackend
from benchgate.models.replay import ReplaySource
from benchgate.prediction.predictor import Prediction, Predictor

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


def _servers(n: int) -> tuple[list[subprocess.Popen], list[str]]:
    procs = [subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "api_fast_server.py"), "--latency", "0.05"],
                              stdout=subprocess.PIPE, text=True) for _ in range(n)]
    return procs, [p.stdout.readline().strip() for p in procs]


def _api_rate(model_args: list[str], concurrency: int, limit: int | None, tmp: str) -> float:
    """Verdicts per second of the prediction stage of one llmbar run."""
    out = tempfile.mkdtemp(dir=tmp)
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider", "--datasets", "llmbar",
           "--dataset-dir", str(JUDGES), "--output-dir", out, "--cache-path", f"{out}/c.sqlite", *model_args,
           *(["--limit", str(limit)] if limit else [])]
    cmd += ["--model-args", f"concurrency={concurrency}"]  # a panel: each member's, and the batch size
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
    timings = json.loads((Path(out) / "results.json").read_text())["timings"]
    return 2 * timings["samples"] / timings["prediction_s"]


def llmbar_requests() -> list:
    """The 838 judge requests of LLMBar's five sets (419 pairs, both orders)."""
    bench = import_benchmark(ROOT / "evals" / "llmbar.py")
    ctx = RunContext(JUDGES, "local", bench.effective_args({}))
    return [r for s in SETS for sample in bench.load(ctx, s) for r in bench.requests(ctx, sample)]


def _predict_all(backend, label: str, requests: list, cache_dir: str) -> None:
    """Judge `requests` through a `Predictor`, as a pytest run's prediction stage does (each
    answer queued to the cache writer, progress counted), with a fresh cache file."""
    options = SimpleNamespace(model="fake-model", model_args={"concurrency": 32}, generation=GenerationConfig(),
                              api_url="http://api.example/v1", use_cache=False, dry_run=False,
                              cache_path=Path(tempfile.mkdtemp(dir=cache_dir)) / "cache.sqlite")
    predictor = Predictor(options, lambda o: backend, identify=lambda o: (label, {"judge": label}))
    predictions = [Prediction([r]) for r in requests]
    predictor.predict("llmbar", predictions)
    if predictor.cache is not None:  # the backend stays open for the next repeat
        predictor.cache.close()
    if any(p.error for p in predictions):
        raise SystemExit(f"{label}: {next(p.error for p in predictions if p.error)}")


def client_cpu(urls: list[str], repeats: int) -> dict[str, float]:
    """CPU seconds of this process per verdict (median of `repeats`) while one judge and a panel
    of three, driven in process at concurrency 32, judge LLMBar's 838 requests: the backend
    alone (each result streamed to a callback that does nothing), and through the predictor
    (`_predict_all`: cache writes and progress too). The client's cost, which other load on the
    machine does not change, unlike the wall time."""
    requests = llmbar_requests()
    judges = {"one judge": OpenAIBackend(urls[0], "fake-model", {"concurrency": 32}),
              "panel of 3": PanelBackend([(f"m{i}", OpenAIBackend(u, "fake-model", {"concurrency": 32}))
                                          for i, u in enumerate(urls)])}
    ways = {"backend": lambda label, backend, tmp: backend.generate(
                requests, progress=lambda n: None, on_result=lambda i, r: None),
            "predictor": lambda label, backend, tmp: _predict_all(backend, label, requests, tmp)}
    cpu: dict[str, list[float]] = {}
    try:
        for label, backend in judges.items():
            backend.generate(requests[:64])  # connections open, as after a run's probe
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(repeats):
                for label, backend in judges.items():
                    for way, judge in ways.items():
                        start = time.process_time()
                        judge(label, backend, tmp)
                        cpu.setdefault(f"{label}, {way}", []).append((time.process_time() - start) / len(requests))
    finally:
        for backend in judges.values():
            backend.close()
    return {label: statistics.median(xs) for label, xs in cpu.items()}


def api_speedup(repeats: int = 3) -> None:
    """The speed-up at concurrency 32 over 1, of the ideal 32, for one judge and a panel of
    three; the two measured alternately in each repeat, so that a machine shared with other
    work loads both alike. The ideal is the same for both: a panel's members are called
    concurrently, each by its own server, so a verdict of the panel takes one server's 50 ms
    (at concurrency 1 the panel too gives 20 verdicts a second). Then the client's CPU per
    verdict (`client_cpu`)."""
    procs, urls = _servers(3)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "panel.json"
            spec.write_text(json.dumps({"members": [
                {"name": f"m{i}", "model": "fake-model", "api_url": u} for i, u in enumerate(urls)]}))
            judges = {"one judge": ["--model", "fake-model", "--api-url", urls[0]],
                      "panel of 3": ["--model", f"panel:{spec}"]}
            one = {label: _api_rate(args, 1, 4, tmp) for label, args in judges.items()}
            ups: dict[str, list[float]] = {label: [] for label in judges}
            loads = []
            for _ in range(repeats):
                for label, args in judges.items():
                    ups[label].append(_api_rate(args, 32, None, tmp) / one[label] / 32)
                loads.append(os.getloadavg()[0])
            for label in judges:
                print(f"API judging at 50 ms, {label}: {one[label]:.1f} verdicts/s at concurrency 1 (ideal 20); "
                      f"speed-up at 32 over 1, of the ideal 32: {', '.join(f'{u:.1%}' for u in ups[label])}; "
                      f"median {statistics.median(ups[label]):.1%}")
            print(f"(load average during the repeats: {', '.join(f'{x:.1f}' for x in loads)} on "
                  f"{os.cpu_count()} cores)")
        cpu = client_cpu(urls, repeats)
        print("client CPU per verdict at concurrency 32 (in process, median of "
              f"{repeats}): " + "; ".join(f"{label} {1000 * s:.3f} ms" for label, s in cpu.items()))
    finally:
        for p in procs:
            p.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-api", action="store_true", help="measure API judging alone")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each API measurement (default 3)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if not args.only_api:
        runs = [judge_all() for _ in range(5)]
        best = min(s for s, _ in runs)
        n = runs[0][1]
        print(f"judging overhead, {n} pairs (2 verdicts per LLMBar pair): best of 5 {best:.3f} s = "
              f"{1000 * best / n:.3f} ms/pair; all: {', '.join(f'{s:.3f}' for s, _ in runs)} s")
        t = pytest_session()
        print(f"pytest evals --datasets pandalm --model replay:gpt-3.5-turbo-testset-v1.json: {t['samples']} "
              f"samples, session {t['total_s']:.2f} s = {1000 * t['total_s'] / t['samples']:.3f} ms/sample")
    api_speedup(args.repeats)


if __name__ == "__main__":
    sys.exit(main())
