"""End-to-end: `pytest evals ...` in a subprocess on the real data."""
import json
import re
import sqlite3
import subprocess
import sys
import time

import pytest

from benchgate.cli import main as cli_main
from benchgate.task import run_task
from tests.conftest import ROOT, in_process, run_pytest

SMALL = ("--datasets", "mmlu", "gsm8k", "--limit", "2")
# the smoke-model runs: four MMLU subjects of the 57 (each sample is 4 forward passes of a
# 5-shot prompt on the smoke model; the tests compare runs with each other, not with a size)
FOUR_SUBJECTS = ("--dataset-args", json.dumps({"mmlu": {"subset_list": [
    "abstract_algebra", "anatomy", "astronomy", "business_ethics"]}}))


def test_oracle_scores_exactly_one_and_writes_documented_outputs(run_evals):
    run = run_evals("--model", "oracle", *SMALL)
    assert run.code == 0, run.out
    res = run.results
    assert {b: e["score"] for b, e in res["benchmarks"].items()} == {"mmlu": 1.0, "gsm8k": 1.0}
    mmlu = res["benchmarks"]["mmlu"]
    assert mmlu["n"] == 114 and len(mmlu["subsets"]) == 57
    assert set(mmlu["categories"]) == {"STEM", "Humanities", "Social Sciences", "Other"}
    assert sum(c["n"] for c in mmlu["categories"].values()) == 114
    for key in ("schema_version", "config", "model", "environment", "timings", "gates", "errors"):
        assert key in res
    assert res["config"]["effective_dataset_args"]["mmlu"]["few_shot_num"] == 5
    assert "torch" in res["environment"]["packages"]
    samples = run.samples()
    assert len(samples) == 116 and samples[0]["id"] == "gsm8k/main/0"
    mm = next(s for s in samples if s["id"] == "mmlu/abstract_algebra/1")
    assert mm["continuations"] == [" A", " B", " C", " D"] and mm["scores"] == {"acc": 1.0}
    assert "evals/mmlu.py::mmlu/abstract_algebra/1" not in run.out  # quiet mode, all passed
    assert "benchgate summary" in run.out


def test_selection_by_datasets_forms_and_k(run_evals):
    a = run_evals("--model", "dummy", "--datasets", "mmlu,gsm8k", "--limit", "1", "--collect-only")
    b = run_evals("--model", "dummy", "--datasets", "mmlu", "gsm8k", "--limit", "1", "--collect-only")
    assert a.code == b.code == 0
    ids = [line for line in a.proc.stdout.splitlines() if "::" in line]
    assert ids == [line for line in b.proc.stdout.splitlines() if "::" in line]
    assert len(ids) == 58 and "evals/mmlu.py::mmlu/abstract_algebra/0" in ids
    k = run_evals("--model", "oracle", "--datasets", "mmlu", "--limit", "3", "-k", "abstract_algebra")
    assert k.code == 0 and [s["id"] for s in k.samples()] == [
        "mmlu/abstract_algebra/0", "mmlu/abstract_algebra/1", "mmlu/abstract_algebra/2"]


def test_usage_errors(run_evals):
    unknown = run_evals("--model", "dummy", "--datasets", "mmlu,nosuch")
    assert unknown.code == 4 and "unknown benchmark(s) ['nosuch']" in unknown.out
    no_model = run_evals("--datasets", "gsm8k", "--limit", "1")
    assert no_model.code == 4 and "no --model was given" in no_model.out
    bad_args = run_evals("--model", "dummy", "--datasets", "gsm8k", "--dataset-args", '{"gsm8k": {"shots": 1}}')
    assert bad_args.code == 4 and "unknown key 'shots'" in bad_args.out


def test_gates_fail_the_session_with_a_clear_message(run_evals, tmp_path):
    gates = tmp_path / "gates.yaml"
    gates.write_text("gates:\n  gsm8k: 0.5\n  mmlu/STEM: 0.0\n")
    run = run_evals("--model", "dummy", "--model-args", "response=The answer is 123456789.", *SMALL,
                    "--gate", "mmlu=0.99", "--gate", str(gates))
    assert run.code == 1, run.out
    assert "gate mmlu: acc = " in run.out and "is under the threshold 0.9900" in run.out
    assert "gate gsm8k: strict_match = 0.0000 is under the threshold 0.5000" in run.out
    assert "passed" in run.out.splitlines()[-1]  # every sample test itself passed
    gates_doc = run.results["gates"]
    assert gates_doc["passed"] is False and len(gates_doc["failures"]) == 2
    ok = run_evals("--model", "oracle", *SMALL, "--gate", "mmlu=0.99", "--gate", "gsm8k=1.0")
    assert ok.code == 0 and "benchgate gates passed" in ok.out


def test_baseline_regression_is_detected_and_listed(run_evals):
    base = run_evals("--model", "oracle", "--datasets", "mmlu", "--limit", "1", output="base")
    assert base.code == 0
    same = run_evals("--model", "oracle", "--datasets", "mmlu", "--limit", "1",
                     "--baseline", str(base.output_dir / "results.json"))
    assert same.code == 0, same.out
    worse = run_evals("--model", "dummy", "--datasets", "mmlu", "--limit", "1",
                      "--baseline", str(base.output_dir / "results.json"))
    assert worse.code == 1, worse.out
    reg = worse.results["gates"]["baseline"]["mmlu"]
    assert reg["significant_drop"] and reg["n_paired"] == 57 and reg["test"].startswith("mcnemar")
    assert "baseline mmlu: acc dropped 1.0000 ->" in worse.out
    assert reg["regressed"][0] in worse.out


def test_real_errors_fail_only_their_sample_and_are_reported(run_evals, tmp_path, data_dir):
    bad = tmp_path / "data" / "gsm8k"
    bad.mkdir(parents=True)
    lines = (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines(keepends=True)[:4]
    lines[1] = '{"question": "broken row"}\n'
    (bad / "test.jsonl").write_text("".join(lines))
    (bad / "train.jsonl").write_text((data_dir / "gsm8k" / "train.jsonl").read_text())
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--dataset-dir", str(tmp_path / "data"))
    assert run.code == 1
    assert f"gsm8k/main/1: {bad / 'test.jsonl'}:2: malformed row: missing field 'answer'" in run.out
    assert "3 passed" in run.out and "1 failed" in run.out
    res = run.results
    assert res["benchmarks"]["gsm8k"]["n"] == 3 and res["errors"][0]["id"] == "gsm8k/main/1"


def test_dry_run_builds_prompts_without_a_model(run_evals):
    run = run_evals("--dry-run", "--datasets", "gsm8k", "--limit", "2")
    assert run.code == 0, run.out
    samples = run.samples()
    assert len(samples) == 2 and samples[0]["prompt"].startswith("Question: ")
    assert "scores" not in samples[0] and run.results["status"] == "dry_run"


def test_task_config_and_run_task_match_the_command_line(run_evals, tmp_path, data_dir):
    cli = run_evals("--model", "dummy", "--datasets", "mmlu", "--limit", "1", "--seed", "7")
    config = {"model": "dummy", "datasets": ["mmlu"], "limit": 1, "seed": 7,
              "dataset_dir": str(data_dir), "output_dir": str(tmp_path / "yaml"),
              "cache_path": str(tmp_path / "c.sqlite"), "pytest_args": ["-q"]}
    path = tmp_path / "task.yaml"
    import yaml
    path.write_text(yaml.safe_dump(config))
    # `benchgate run` and `run_task` in this process, as from the repository root (in_process)
    with in_process() as (out, err):
        code = cli_main(["run", str(path)])
    assert code == 0, out.getvalue() + err.getvalue()
    yaml_res = json.loads((tmp_path / "yaml" / "results.json").read_text())
    config["output_dir"] = str(tmp_path / "py")
    with in_process() as (out, err):
        r = run_task(json.loads(json.dumps(config)))
    py_bench = json.loads(json.dumps(r["results"]["benchmarks"]))
    assert cli.results["benchmarks"] == yaml_res["benchmarks"] == py_bench


@pytest.mark.slow
def test_serial_and_xdist_give_identical_scores(run_evals, smoke_path):  # --model smoke: built once
    args = ("--model", "smoke", "--datasets", "mmlu", "gsm8k", "--limit", "2", *FOUR_SUBJECTS,
            "--generation-config", "max_new_tokens=24", "--group-size", "1")
    serial = run_evals(*args)
    parallel = run_evals(*args, "-n", "2")
    assert serial.code == 0 and parallel.code == 0, serial.out + parallel.out
    assert serial.results["benchmarks"] == parallel.results["benchmarks"]
    strip = lambda s: {k: v for k, v in s.items() if k != "cached"}  # noqa: E731
    assert [strip(s) for s in serial.samples()] == [strip(s) for s in parallel.samples()]
    assert parallel.results["timings"]["workers"] == 2
    # each request computed exactly once across the workers
    assert parallel.results["timings"]["computed"] == serial.results["timings"]["computed"]


@pytest.mark.slow
def test_killed_run_resumes_without_recomputing(run_evals, tmp_path, data_dir, benchgate_home, smoke_path):
    cache = tmp_path / "cache.sqlite"
    args = ["--model", "smoke", "--datasets", "mmlu", "--limit", "1", "--group-size", "1"]
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--dataset-dir", str(data_dir), "--output-dir", str(tmp_path / "killed"),
           "--cache-path", str(cache), *args]
    import os
    import signal
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "BENCHGATE_HOME": str(benchgate_home)})

    def rows():
        try:
            with sqlite3.connect(cache) as db:
                return db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
        except sqlite3.Error:
            return 0

    deadline = time.monotonic() + 240
    while rows() < 100 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = rows()
    assert 100 <= done_before < 57 * 1 * 4, "the run was not killed part-way"
    resumed = run_evals(*args, "--use-cache", output="resumed")
    assert resumed.code == 0, resumed.out
    t = resumed.results["timings"]
    assert t["cache_hits"] == done_before
    assert t["computed"] == t["requests"] - done_before
    again = run_evals(*args, "--use-cache", output="again")
    assert again.results["timings"]["computed"] == 0
    assert again.results["benchmarks"] == resumed.results["benchmarks"]


def test_missing_data_named_benchmark_errors_cleanly_else_skips(run_evals):
    named = run_evals("--model", "oracle", "--datasets", "race", "gsm8k", "--limit", "1")
    assert named.code == 4  # a missing data folder: a configuration error, not "interrupted"
    assert "race: race: data folder" in named.out and "not found" in named.out
    assert "Traceback" not in named.out
    unnamed = run_evals("--model", "oracle", "--limit", "1", "-k", "gsm8k")
    assert unnamed.code == 0, unnamed.out
    assert "benchmark race skipped: race: data folder" in unnamed.out


@pytest.mark.slow
def test_a_fully_cached_rerun_never_loads_the_model(run_evals):
    """Loading a local model fails under the forbid_model_load plugin: a run with cache misses
    stops on it, a fully cached re-run (serial and under -n 2) scores everything without it."""
    args = ("--model", "smoke", "--datasets", "mmlu", "--limit", "2", *FOUR_SUBJECTS, "--group-size", "1")
    first = run_evals(*args)
    assert first.code == 0, first.out
    forbid = ("-p", "tests.integration.forbid_model_load")
    missed = run_evals(*args, *forbid)  # no --use-cache: every request misses, the model loads
    assert missed.code != 0 and "forbid_model_load: the model was loaded" in missed.out
    for extra in ((), ("-n", "2")):
        cached = run_evals(*args, *forbid, "--use-cache", *extra)
        assert cached.code == 0, cached.out
        assert cached.results["benchmarks"] == first.results["benchmarks"]
        assert all(s["cached"] for s in cached.samples())
        assert cached.results["model"] == first.results["model"]


def test_runs_without_output_dir_never_overwrite_each_other(tmp_path, data_dir, benchgate_home):
    """No --output-dir: each run gets its own outputs/MODEL-TIME folder and says where."""
    cmd = [str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--dataset-dir", str(data_dir), "--cache-path", str(tmp_path / "c.sqlite"),
           "--model", "dummy", "--datasets", "gsm8k", "--limit", "1"]
    printed = []
    for seed in ("1", "2"):  # in this process, from tmp_path (not about a process: run_pytest)
        proc = run_pytest([*cmd, "--seed", seed], env={"BENCHGATE_HOME": str(benchgate_home)}, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        printed += re.findall(r"^results: (outputs/dummy-\d{8}-\d{6}(?:-\d+)?/results\.json)$", proc.stdout, re.M)
    assert len(printed) == 2 and printed[0] != printed[1]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob("outputs/*/results.json")) == sorted(printed)
    seeds = [json.loads((tmp_path / p).read_text())["config"]["seed"] for p in printed]
    assert seeds == [1, 2]
