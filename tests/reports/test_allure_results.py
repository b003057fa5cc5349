"""`pytest evals --alluredir DIR`: one Allure result per sample, read back from the JSON files
allure-pytest writes, and compared with the run's own samples.jsonl / results.json.

The tests only read the runs: one serial and one `-n 2` run of SMALL are made once for the
module (`serial`, `parallel`) and shared by the tests that read them."""
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, EvalRun, run_pytest
from tests.reports.allure_files import attachment, by_name, labels

SMALL = ("--model", "dummy", "--datasets", "mmlu", "gsm8k", "--limit", "2")


def _run(tmp_path_factory, data_dir: Path, home: Path, name: str, *extra: str) -> tuple[EvalRun, Path]:
    """`pytest evals SMALL --alluredir DIR EXTRA` as `run_evals` runs it (in this process; a
    subprocess with -n): the run and its Allure folder."""
    folder = tmp_path_factory.mktemp(f"allure-{name}")
    allure, out = folder / "allure", folder / "out"
    proc = run_pytest([str(ROOT / "evals"), "-q", "-p", "no:cacheprovider", "--dataset-dir", str(data_dir),
                       "--output-dir", str(out), "--cache-path", str(folder / "cache.sqlite"),
                       *SMALL, "--alluredir", str(allure), *extra], env={"BENCHGATE_HOME": str(home)})
    run = EvalRun(proc, out)
    assert run.code == 0, run.out
    return run, allure


@pytest.fixture(scope="module")
def serial(tmp_path_factory, data_dir, benchgate_home) -> tuple[EvalRun, Path]:
    return _run(tmp_path_factory, data_dir, benchgate_home, "serial")


@pytest.fixture(scope="module")
def parallel(tmp_path_factory, data_dir, benchgate_home) -> tuple[EvalRun, Path]:
    return _run(tmp_path_factory, data_dir, benchgate_home, "parallel", "-n", "2")


def test_every_sample_is_one_allure_result_with_labels_parameters_attachments(serial):
    run, allure = serial
    samples = {s["id"]: s for s in run.samples()}
    found = by_name(allure)
    assert set(found) == set(samples) and len(samples) == 116
    assert len({r["historyId"] for r in found.values()}) == len(found)  # nothing folds into retries
    for sid, result in found.items():
        sample = samples[sid]
        assert labels(result, "epic") == [sample["benchmark"]]
        assert labels(result, "feature") == [sample["subset"]]
        assert labels(result, "story") == [sample["category"] or sample["subset"]]
        params = {p["name"]: p for p in result["parameters"]}
        assert params["sample id"]["value"] == repr(sid)
        assert params["model"]["value"] == "'dummy'" and params["model"]["excluded"] is True
        assert attachment(allure, result, "prompt") == sample["prompt"]
        assert json.loads(attachment(allure, result, "target")) == sample["target"]
        assert json.loads(attachment(allure, result, "scores")) == sample["scores"]
        assert json.loads(attachment(allure, result, "extracted answer")) == sample["extracted"]
        # wrong answer: failed in Allure (pytest passed: exit code 0 above); right: passed
        right = sample["scores"][sample["metric"]] == 1.0
        assert result["status"] == ("passed" if right else "failed"), sid
        assert labels(result, "tag") == ["right" if right else "wrong"]
        if not right:
            assert result["statusDetails"]["message"].startswith("wrong answer: extracted ")
    gsm = found["gsm8k/main/0"]
    assert attachment(allure, gsm, "response") == samples["gsm8k/main/0"]["response"]
    mmlu = json.loads(attachment(allure, found["mmlu/anatomy/1"], "response"))
    assert [c["continuation"] for c in mmlu] == [" A", " B", " C", " D"]
    # accuracy seen by Allure (passed / all) is the run's accuracy
    passed = sum(r["status"] == "passed" for r in found.values() if labels(r, "epic") == ["mmlu"])
    assert passed / 114 == pytest.approx(run.results["benchmarks"]["mmlu"]["score"], abs=1e-12)


def test_controller_writes_environment_and_results_once(parallel):
    run, allure = parallel
    props = dict(line.split("=", 1) for line in (allure / "environment.properties").read_text().splitlines())
    assert props["model"] == "dummy" and props["seed"] == "42"
    assert props["benchgate"] == run.results["benchgate_version"]
    globals_files = list(allure.glob("*-globals.json"))
    assert len(globals_files) == 1  # the workers attach nothing
    (attached,) = json.loads(globals_files[0].read_text())["attachments"]
    assert attached["name"] == "results.json"
    assert json.loads((allure / attached["source"]).read_text()) == run.results
    categories = json.loads((allure / "categories.json").read_text())
    assert any(c["name"] == "Wrong answers" for c in categories)


def test_xdist_gives_the_same_allure_results_as_a_serial_run(serial, parallel):
    (_, serial_dir), (_, parallel_dir) = serial, parallel

    def view(directory):
        return {name: (r["status"], r["historyId"], sorted((l["name"], l["value"]) for l in r["labels"]
                                                           if l["name"] in ("epic", "feature", "story", "tag")),
                       [(p["name"], p["value"]) for p in r["parameters"]],
                       [a["name"] for a in r["attachments"]])
                for name, r in by_name(directory).items()}

    assert view(serial_dir) == view(parallel_dir)


def test_real_errors_are_broken_and_fail_pytest(run_evals, tmp_path, data_dir):
    bad = tmp_path / "data" / "gsm8k"
    bad.mkdir(parents=True)
    lines = (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines(keepends=True)[:3]
    lines[1] = '{"question": "broken row"}\n'
    (bad / "test.jsonl").write_text("".join(lines))
    (bad / "train.jsonl").write_text((data_dir / "gsm8k" / "train.jsonl").read_text())
    allure = tmp_path / "allure"
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--dataset-dir", str(tmp_path / "data"),
                    "--alluredir", str(allure))
    assert run.code == 1
    found = by_name(allure)
    assert found["gsm8k/main/1"]["status"] == "broken"
    assert "malformed row" in found["gsm8k/main/1"]["statusDetails"]["message"]
    assert found["gsm8k/main/0"]["status"] == found["gsm8k/main/2"]["status"] == "passed"


def test_allure_is_off_by_default(run_evals, tmp_path):
    run = run_evals("--model", "dummy", "--datasets", "gsm8k", "--limit", "1", output="plain")
    assert run.code == 0
    assert not list(tmp_path.rglob("*-result.json"))
