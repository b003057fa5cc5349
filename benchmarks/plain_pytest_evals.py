"""Hand-written evals vs the same cases as a built-in benchmark: wall time with the smoke model.

    python benchmarks/plain_pytest_evals.py [--cases 200] [--repeats 3] [--max-new-tokens 32]
    python benchmarks/plain_pytest_evals.py --model dummy --cases 3000   # engine cost only

The first N TriviaQA questions of the shared data (`context` as the question, `answer` as the
reference) are written to a JSONL file, then evaluated twice per repeat, each time in a fresh
pytest process with its own empty prediction cache:
  built-in:     pytest evals --datasets general_qa --dataset-args '{"general_qa": {"path": FILE}}'
  hand-written: a plain test module, `load_cases(FILE)` parametrizing
                `record.metrics(model.generate(case.prompt).strip(), case.target, "bleu", "rouge")`
(the same BLEU/ROUGE scoring as general_qa). Prints the process wall times, the ratio
hand-written / built-in (target <= 1.5), and checks that both runs got identical responses
and scores for every case (same requests, same batches).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCHGATE_DATASET_DIR") or ROOT.parent / "shared" / "benchmarks")

TEST_MODULE = '''import pytest
from benchgate import load_cases


@pytest.mark.parametrize("case", load_cases("qa.jsonl"))
def test_qa(case, model, record):
    record.metrics(model.generate(case.prompt).strip(), case.target, "bleu", "rouge")
'''


def run(args: list[str], cwd: Path, out: Path, model: str = "smoke") -> tuple[float, float, dict, list[dict]]:
    """(process wall s, process CPU s, results.json timings, samples) of one pytest run."""
    cmd = [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider",
           "--model", model, "--output-dir", str(out), "--cache-path", str(out / "c.sqlite")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
    timings = json.loads((out / "results.json").read_text())["timings"]
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().split("\n") if line]
    return wall, cpu, timings, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--model", default="smoke",
                        help="smoke (default), or dummy: no model time, only the engine's cost")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        suite = tmp / "suite"
        (suite / "evals").mkdir(parents=True)
        (suite / "pytest.ini").write_text("[pytest]\n")
        qa = suite / "evals" / "qa.jsonl"
        with open(DATA / "trivia_qa" / "triviaqa_sm_sub.jsonl", encoding="utf-8") as f, \
                open(qa, "w", encoding="utf-8") as out:
            for _, line in zip(range(opts.cases), f):
                row = json.loads(line)
                out.write(json.dumps({"question": row["context"], "answer": row["answer"]}) + "\n")
        (suite / "evals" / "test_qa.py").write_text(TEST_MODULE)
        gen = ["--generation-config", f"max_new_tokens={opts.max_new_tokens}"]
        builtin_args = [str(ROOT / "evals"), "--datasets", "general_qa", "--dataset-args",
                        json.dumps({"general_qa": {"path": str(qa)}}), *gen]
        times: dict[str, list[float]] = {"built-in": [], "hand-written": []}
        cpus: dict[str, list[float]] = {"built-in": [], "hand-written": []}
        samples: dict[str, list[dict]] = {}
        run([str(ROOT / "evals"), "--datasets", "general_qa", "--limit", "1", "--dataset-args",
             json.dumps({"general_qa": {"path": str(qa)}})], ROOT, tmp / "warm")  # builds smoke
        for i in range(opts.repeats):
            for name, args, cwd in (("built-in", builtin_args, ROOT),
                                    ("hand-written", ["evals", *gen], suite)):
                wall, cpu, t, samples[name] = run(args, cwd, tmp / f"{name}-{i}", opts.model)
                times[name].append(wall)
                cpus[name].append(cpu)
                print(f"{name:12s} run {i + 1}: {len(samples[name])} cases, {wall:.2f} s wall, "
                      f"{cpu:.2f} s CPU (session {t['total_s']:.2f} s, of which prediction "
                      f"{t['prediction_s']:.2f} s; {t['computed']} requests computed)", flush=True)
        built = {s["index"]: s for s in samples["built-in"]}
        hand = {s["index"]: s for s in samples["hand-written"]}
        same = sorted(built) == sorted(hand) and all(
            built[i]["response"].strip() == hand[i]["response"].strip()
            and built[i]["scores"] == {k: v for k, v in hand[i]["scores"].items() if k != "requirement"}
            for i in built)
        b, h = statistics.median(times["built-in"]), statistics.median(times["hand-written"])
        print(f"median wall: built-in {b:.2f} s, hand-written {h:.2f} s, ratio {h / b:.3f} "
              f"(target <= 1.5); min ratio {min(times['hand-written']) / min(times['built-in']):.3f}")
        print(f"median CPU: built-in {statistics.median(cpus['built-in']):.2f} s, hand-written "
              f"{statistics.median(cpus['hand-written']):.2f} s, ratio "
              f"{statistics.median(cpus['hand-written']) / statistics.median(cpus['built-in']):.3f}")
        print(f"identical responses and scores for all {len(built)} cases: {same}")
        if not same:
            raise SystemExit("responses or scores differ between the two runs")


if __name__ == "__main__":
    main()
