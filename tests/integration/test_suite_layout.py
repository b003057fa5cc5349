"""The design card's top level: the examples run as documented, the root conftest registers
fixtures/ (once) and its example listener works, and no top-level folder is installed."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

from tests.conftest import ROOT, EvalRun, run_pytest


def run_examples(tmp_path, home, *args, env=None, name="out") -> EvalRun:
    """`pytest ARGS` from the repository root, as the examples document it: in this process, or
    in a subprocess where ARGS ask for xdist workers (`run_pytest`)."""
    out = tmp_path / name
    cmd = [*args, "-q", "-p", "no:cacheprovider",
           "--output-dir", str(out), "--cache-path", str(tmp_path / "cache.sqlite")]
    proc = run_pytest(cmd, env={"BENCHGATE_HOME": str(home), **(env or {})}, timeout=600)
    return EvalRun(proc, out)


def test_qa_example_with_the_oracle_wrong_and_smoke_models(tmp_path, benchgate_home, smoke_path):
    log = tmp_path / "records.jsonl"
    oracle = run_examples(tmp_path, benchgate_home, "examples/qa", "--model", "oracle",
                          "--gate", "capitals=1", env={"BENCHGATE_RECORD_LOG": str(log)}, name="o")
    assert oracle.code == 0, oracle.out
    entry = oracle.results["benchmarks"]["capitals"]
    assert (entry["metric"], entry["score"], entry["n"]) == ("em", 1.0, 8)
    assert entry["metrics"]["keyword_recall"]["score"] == 1.0
    assert set(entry["categories"]) == {"Europe", "Asia", "Africa", "Americas", "Oceania"}
    first = oracle.samples()[0]
    assert first["prompt"] == "Q: What is the capital of France?\nA:" and first["response"] == "Paris"
    # the root conftest's example listener saw every record, in the process that ran it
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(r["id"] for r in logged) == [f"capitals/capitals/{i}" for i in range(8)]
    assert logged[0]["test"] == "examples/qa/test_capitals.py::test_capital[capitals/0]"
    wrong = run_examples(tmp_path, benchgate_home, "examples/qa", "--model", "wrong", name="w")
    assert wrong.code == 0 and wrong.results["benchmarks"]["capitals"]["score"] == 0.0
    smoke = run_examples(tmp_path, benchgate_home, "examples/qa", "--model", "smoke", name="s")
    assert smoke.code == 0, smoke.out
    assert smoke.results["benchmarks"]["capitals"]["n"] == 8
    assert smoke.results["timings"]["computed"] == 8


def test_regression_example_fails_only_when_the_requirement_does(tmp_path, benchgate_home):
    ok = run_examples(tmp_path, benchgate_home, "examples/regression", "--model", "dummy",
                      "--model-args", "response=Refunds are accepted within 30 days.", name="ok")
    assert ok.code == 0, ok.out
    assert ok.results["benchmarks"]["support"]["score"] == 1.0
    bad = run_examples(tmp_path, benchgate_home, "examples/regression", "--model", "dummy",
                       "--model-args", "response=Sorry - no refunds.", name="bad")
    assert bad.code == 1, bad.out
    (failed,) = bad.results["failed_requirements"]
    assert failed["id"] == "support/refund_policy/0"
    assert failed["message"] == "the refund answer lost the 30-day window: 'Sorry - no refunds.'"
    assert bad.results["benchmarks"]["support"]["metrics"]["requirement"]["score"] == 0.0


def test_root_conftest_registers_the_fixture_modules_once(tmp_path, benchgate_home, data_dir):
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(ROOT / "conftest.py", suite / "conftest.py")
    shutil.copytree(ROOT / "fixtures", suite / "fixtures")
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "cases.jsonl").write_text('{"question": "q0", "answer": "a0"}\n')
    (suite / "test_uses_fixtures.py").write_text(
        "def test_dataset(dataset):\n"
        "    assert [c.id for c in dataset('gsm8k', limit=2)] == ['main/0', 'main/1']\n"
        "    assert dataset('gsm8k', limit=2) is dataset('gsm8k', limit=2)\n"
        "    assert dataset('cases.jsonl')[0].target == 'a0'\n")
    env = {"BENCHGATE_HOME": str(benchgate_home), "BENCHGATE_DATASET_DIR": str(data_dir)}
    # in this process, then under xdist (a subprocess: its workers configure the conftest too)
    for extra in ([], ["-n", "2"]):
        proc = run_pytest(["-q", "-p", "no:cacheprovider", *extra], env=env, cwd=suite, timeout=600)
        assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr
    listing = run_pytest(["--fixtures", "-p", "no:cacheprovider"], env=env, cwd=suite, timeout=600).stdout
    for name in ("dataset", "model", "record", "benchgate_model"):
        assert sum(1 for line in listing.splitlines() if line.startswith(f"{name} ")) == 1, name


def test_only_the_benchgate_package_is_installed(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", ".tools", "*.egg-info", "build", "dist", "outputs", "__pycache__", ".hypothesis",
        ".pytest_cache", ".benchmarks"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path / "wheel")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"benchgate", "benchgate-0.1.0.dist-info"}
    assert "benchgate/fixtures/evals.py" in names and "benchgate/cases.py" in names
