"""Arena speed: a dry-run pairwise-all arena, and an API judge's speed-up with concurrency.

    python benchmarks/arena_speed.py            # BENCHGATE_ARENA_DIR: ../shared/arena by default

1. Dry run (the judge never called, seeded random verdicts through the same parsing and rating
   code): MT-bench's 80 questions, 4 `dummy` candidates, pairwise-all (6 pairs), both answer
   orders. `turns: last` judges each match once with the multi-turn template: 80 x 6 x 2 = 960
   judgments (the issue's target: under 10 s); `turns: all` (FastChat's default: turn 1 and
   turn 2 judged apart) gives 1,920. The time is the whole `benchgate arena CONFIG --dry-run`
   process, from start to exit (Python start-up, collection, 480 tests, ratings with 100
   bootstrap rounds per leaderboard, outputs); the bytecode cache is warmed by a first run.
2. API judge: `benchmarks/api_fast_server.py` answering in 50 ms, in its own process; the
   judge stage of an arena run (both turns) at concurrency 1 (4 questions: 96 judgments) and
   32 (80 questions: 1,920 judgments, 3 s at the ideal rate, so the judge's one-time start-up,
   ~0.3 s here, weighs as it does in a real run), rate = judgments / prediction time of the run
   (the `dummy` candidates take microseconds). Speed-up = rate(32) / rate(1); ideal = 32
   (target: at least 90%, as the API backend reaches; api_end_to_end.py measures it the same
   way, with more samples at higher concurrency).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
ARENA = Path(os.environ.get("BENCHGATE_ARENA_DIR") or ROOT.parent / "shared" / "arena")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
MODELS = {"m1": {"model_id_or_path": "dummy", "model_args": {"response": "short"}},
          "m2": {"model_id_or_path": "dummy", "model_args": {"response": "a longer answer"}},
          "m3": {"model_id_or_path": "dummy"},
          "m4": {"model_id_or_path": "dummy", "model_args": {"response": "four"}}}


def config(folder: Path, turns: str) -> Path:
    path = folder / f"arena-{turns}.yaml"
    path.write_text(yaml.safe_dump({
        "question_file": str(ARENA / "mt_bench" / "question.jsonl"),
        "answers_gen": MODELS,
        "reviews_gen": {"prompt_file": str(ARENA / "judge_prompts.jsonl"),
                        "reference_file": str(ARENA / "mt_bench" / "reference_answer" / "gpt-4.jsonl"),
                        "reviewer": {"args": {"mode": "pairwise", "turns": turns,
                                              "position_bias_mitigation": "swap_position"}}},
        "rating_gen": {"metrics": ["elo"]}}))
    return path


def run(args: list[str], out: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run(args + ["--output-dir", str(out)], cwd=ROOT, capture_output=True,
                          text=True, env=ENV)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
    return wall, json.loads((out / "results.json").read_text())


def dry_run(folder: Path) -> None:
    for turns in ("last", "last", "all"):  # the first run warms the bytecode cache
        cmd = [sys.executable, "-m", "benchgate.cli", "arena", str(config(folder, turns)), "--dry-run",
               "-q", "-p", "no:cacheprovider", "--cache-path", str(folder / "c.sqlite")]
        wall, res = run(cmd, folder / f"dry-{turns}")
        a = res["arena"]
        print(f"dry run, turns={turns}: {a['counts']['judgments']} judgments, {a['counts']['units']} units, "
              f"{wall:.2f} s wall (whole process), session {res['timings']['total_s']:.2f} s")


def api_judge(folder: Path) -> None:
    proc = subprocess.Popen([sys.executable, str(HERE / "api_fast_server.py"), "--latency", "0.05"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        rates = {}
        for c, limit in ((1, 4), (32, 80)):
            cmd = [sys.executable, "-m", "pytest", "arena", "-q", "-p", "no:cacheprovider",
                   "--arena-config", str(config(folder, "all")), "--limit", str(limit),
                   "--judge-api-url", url, "--judge-model-args", f"concurrency={c}",
                   "--group-size", "100000", "--cache-path", str(folder / f"api{c}.sqlite")]
            _, res = run(cmd, folder / f"api-{c}")
            n, seconds = res["arena"]["counts"]["judgments"], res["timings"]["prediction_s"]
            rates[c] = n / seconds
            print(f"API judge at 50 ms, concurrency {c:2d}: {n} judgments in {seconds:.2f} s "
                  f"= {rates[c]:.1f} judgments/s (ideal {c / 0.05:.0f}/s)")
        speedup = rates[32] / rates[1]
        print(f"arena judge speed-up at concurrency 32: {speedup:.2f} = {speedup / 32:.1%} of the "
              f"ideal 32 ({rates[32] / (32 / 0.05):.1%} of 32 / 50 ms)")
        bare = {c: backend_rate(url, c, n) for c, n in ((1, 96), (32, 1920))}
        print(f"the bare API backend, same machine, same prompt sizes: {bare[1]:.1f} and "
              f"{bare[32]:.1f} requests/s, speed-up {bare[32] / bare[1] / 32:.1%} of the ideal 32")
    finally:
        proc.kill()


def backend_rate(url: str, concurrency: int, n: int) -> float:
    """requests/s of OpenAIBackend.generate alone (no arena, no cache) with judge-sized prompts."""
    from benchgate.models.base import GenerateRequest, GenerationConfig
    from benchgate.models.openai_api import OpenAIBackend

    backend = OpenAIBackend(url, "judge", {"concurrency": concurrency}, GenerationConfig(max_new_tokens=1024))
    requests = [GenerateRequest(({"role": "system", "content": "s" * 900},
                                 {"role": "user", "content": f"{i} " + "x" * 2500})) for i in range(n)]
    backend.generate(requests[:concurrency])  # warm: imports, first connections
    start = time.perf_counter()
    backend.generate(requests)
    return n / (time.perf_counter() - start)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dry_run(Path(tmp))
        api_judge(Path(tmp))


if __name__ == "__main__":
    main()
