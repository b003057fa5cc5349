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
   (the `dummy` candidates take microseconds), and judging alone: the same minus the prediction
   time of the candidates' answers (the same run as a dry run, which calls no judge).
   Speed-up = rate(32) / rate(1); ideal = 32
   (target: at least 90%, as the API backend reaches; api_end_to_end.py measures it the same
   way, with more samples at higher concurrency). The run at 32 is repeated (5 times) and
   every figure printed with the median, as the 2-core machine's noise is a few percent.
"""
from __future__ import annotations

import json
import os
import statistics
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


def cpu_ticks() -> tuple[int, int] | None:
    """(steal, total) CPU ticks of the machine so far (Linux), None elsewhere."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def api_judge(folder: Path, repeats: int = 5) -> None:
    ticks = cpu_ticks()
    proc = subprocess.Popen([sys.executable, str(HERE / "api_fast_server.py"), "--latency", "0.05"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        rates: dict[int, list[float]] = {}
        judging: dict[int, list[float]] = {}
        for c, limit, times in ((1, 4, 1), (32, 80, repeats)):
            base = [sys.executable, "-m", "pytest", "arena", "-q", "-p", "no:cacheprovider",
                    "--arena-config", str(config(folder, "all")), "--limit", str(limit), "--group-size", "100000"]
            # the candidates' answers alone (a dry run calls no judge): subtracted below
            _, dry = run(base + ["--dry-run", "--cache-path", str(folder / f"dry{c}.sqlite")], folder / f"answers-{c}")
            answers_s = dry["timings"]["prediction_s"]
            for i in range(times):
                cmd = base + ["--judge-api-url", url, "--judge-model-args", f"concurrency={c}",
                              "--cache-path", str(folder / f"api{c}-{i}.sqlite")]
                _, res = run(cmd, folder / f"api-{c}-{i}")
                n, seconds = res["arena"]["counts"]["judgments"], res["timings"]["prediction_s"]
                rates.setdefault(c, []).append(n / seconds)
                judging.setdefault(c, []).append(n / (seconds - answers_s))
                print(f"API judge at 50 ms, concurrency {c:2d}: {n} judgments in {seconds:.2f} s "
                      f"= {n / seconds:.1f} judgments/s (ideal {c / 0.05:.0f}/s); without the "
                      f"candidates' answers ({answers_s * 1000:.0f} ms): {n / (seconds - answers_s):.1f}/s")
        for label, r in (("whole prediction time", rates), ("judging alone", judging)):
            ups = [x / r[1][0] / 32 for x in r[32]]
            print(f"arena judge speed-up at concurrency 32, of the ideal 32 ({label}): "
                  f"{', '.join(f'{u:.1%}' for u in ups)}; median {statistics.median(ups):.1%}")
        bare1 = backend_rate(url, 1, 96)
        bare = [backend_rate(url, 32, 1920) / bare1 / 32 for _ in range(repeats)]
        print(f"the bare API backend, same machine, same prompt sizes: {bare1:.1f} requests/s at "
              f"concurrency 1; speed-up at 32, of the ideal 32: {', '.join(f'{u:.1%}' for u in bare)}; "
              f"median {statistics.median(bare):.1%}")
        now = cpu_ticks()
        if ticks and now and now[1] > ticks[1]:
            print(f"CPU time taken by the hypervisor (steal) meanwhile: "
                  f"{(now[0] - ticks[0]) / (now[1] - ticks[1]):.1%} (it slows the runs at 32 most)")
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
