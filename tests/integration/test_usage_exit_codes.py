"""Every usage or configuration error exits 4 (README, "When things go wrong"), never 2, which
means "interrupted": pytest's collection errors (a data folder that is not there, a test module
that does not import; serial and under xdist) and the command line and input files of every
`benchgate` command. Several `--dataset-dir` folders are searched in order; an unknown name gets
the closest one ("did you mean"). The pytest runs are in-process (pytest.main returns the exit
code the process would have), except the xdist one, which is about worker processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchgate.cli import main as benchgate_main

ROOT = Path(__file__).resolve().parents[2]
EVALS = ROOT / "evals"


def run_pytest(tmp_path: Path, *args: str, capsys) -> tuple[int, str]:
    """pytest.main on this checkout's evals (in-process): (exit code, console text)."""
    out = tmp_path / "out"
    code = pytest.main([str(EVALS), "-q", "-p", "no:cacheprovider", "--output-dir", str(out),
                        "--cache-path", str(tmp_path / "cache.sqlite"), *args])
    captured = capsys.readouterr()
    return int(code), captured.out + captured.err


def test_a_missing_data_folder_exits_4_not_2(tmp_path, capsys, data_dir, safety_dir):
    code, text = run_pytest(tmp_path, "--model", "oracle", "--datasets", "gsm8k", "--limit", "1",
                            "--dataset-dir", str(safety_dir), capsys=capsys)
    assert code == 4, text
    assert f"gsm8k: data folder {safety_dir / 'gsm8k'} not found" in text
    assert "could not be collected (above): a usage or configuration error, exit code 4" in text


@pytest.mark.slow
def test_a_missing_data_folder_exits_4_under_xdist(tmp_path, safety_dir, benchgate_home):
    """Under -n, pytest itself exits 1 (TESTS_FAILED) for a worker's collection error."""
    proc = subprocess.run([sys.executable, "-m", "pytest", str(EVALS), "-q", "-p", "no:cacheprovider",
                           "-n", "2", "--model", "oracle", "--datasets", "gsm8k", "--limit", "1",
                           "--dataset-dir", str(safety_dir), "--output-dir", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "BENCHGATE_HOME": str(benchgate_home)})
    assert proc.returncode == 4, proc.stdout[-3000:]
    assert "gsm8k: data folder" in proc.stdout


def test_a_test_module_that_does_not_import_exits_4(tmp_path, capsys):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_broken.py").write_text("import no_such_module_here\n")
    code = pytest.main([str(suite), "-q", "-p", "no:cacheprovider", "--model", "dummy",
                        "--output-dir", str(tmp_path / "out")])
    text = capsys.readouterr().out
    assert code == 4, text
    assert "No module named 'no_such_module_here'" in text


def test_a_failing_sample_still_exits_1_and_a_clean_run_0(tmp_path, capsys, data_dir):
    """The collection rule does not touch test outcomes: oracle passes, a failing hand-written
    requirement fails (exit 1)."""
    code, text = run_pytest(tmp_path, "--model", "oracle", "--datasets", "gsm8k", "--limit", "1",
                            "--dataset-dir", str(data_dir), capsys=capsys)
    assert code == 0, text
    code = pytest.main([str(ROOT / "examples" / "regression"), "-q", "-p", "no:cacheprovider",
                        "--model", "dummy", "--model-args", "response=no refunds",
                        "--output-dir", str(tmp_path / "reg")])
    assert code == 1, capsys.readouterr().out


# -- several data folders -------------------------------------------------------------------

def _own_gsm8k(folder: Path) -> dict:
    """A gsm8k/ folder of one made-up row, to tell which folder a run read."""
    row = {"question": "What is 20 + 22?", "answer": "20 + 22 = 42\n#### 42"}
    (folder / "gsm8k").mkdir(parents=True)
    (folder / "gsm8k" / "test.jsonl").write_text(json.dumps(row) + "\n")
    (folder / "gsm8k" / "train.jsonl").write_text(json.dumps(row) + "\n")
    return row


@pytest.mark.parametrize("form", ["A B", "--dataset-dir A --dataset-dir B"])
def test_several_dataset_dirs_are_searched_in_order(tmp_path, capsys, data_dir, safety_dir, form):
    own = tmp_path / "own"
    row = _own_gsm8k(own)
    dirs = ["--dataset-dir", str(own), str(data_dir), str(safety_dir)] if form == "A B" else \
        ["--dataset-dir", str(own), "--dataset-dir", str(data_dir), "--dataset-dir", str(safety_dir)]
    code, text = run_pytest(tmp_path, "--model", "oracle", "--datasets", "gsm8k", "mmlu", "xstest",
                            "--limit", "1", "--dataset-args",
                            '{"mmlu": {"subset_list": ["anatomy"]}, "gsm8k": {"few_shot_num": 0}}',
                            *dirs, capsys=capsys)
    assert code == 0, text
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert set(results["benchmarks"]) == {"gsm8k", "mmlu", "xstest"}
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    gsm8k = [s for s in samples if s["benchmark"] == "gsm8k"]
    # the first folder's gsm8k/ wins over the shared one (its only row)
    assert len(gsm8k) == 1 and row["question"] in str(gsm8k[0]["prompt"])
    assert results["config"]["dataset_dirs"] == [str(own), str(data_dir.resolve()), str(safety_dir.resolve())]


def test_a_benchmark_in_none_of_the_dataset_dirs_names_every_folder_searched(tmp_path, capsys, data_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, text = run_pytest(tmp_path, "--model", "oracle", "--datasets", "xstest", "--limit", "1",
                            "--dataset-dir", str(empty), str(data_dir), capsys=capsys)
    assert code == 4, text
    assert f"no xstest/ folder in any --dataset-dir (searched {empty}, {data_dir.resolve()})" in text


def test_a_test_path_swallowed_by_dataset_dir_is_a_usage_error(tmp_path, capsys, data_dir):
    code = pytest.main(["-q", "-p", "no:cacheprovider", "--model", "oracle", "--datasets", "gsm8k",
                        "--dataset-dir", str(data_dir), str(EVALS), "--output-dir", str(tmp_path / "out")])
    text = capsys.readouterr()
    text = text.out + text.err
    assert code == 4, text
    assert f"--dataset-dir {EVALS}: holds test modules" in text
    assert "put test paths before --dataset-dir" in text


# -- did you mean ---------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (("--datasets", "gsm8"), "--datasets: unknown benchmark(s) ['gsm8'] (did you mean 'gsm8k'?)"),
    (("--datasets", "gsm8k", "--dataset-args", '{"gsm8": {}}'),
     "--dataset-args: unknown benchmark(s) ['gsm8'] (did you mean 'gsm8k'?)"),
    (("--datasets", "mmlu", "--dataset-args", '{"mmlu": {"subset_list": ["abstract_algebr"]}}'),
     "mmlu has no subset(s) ['abstract_algebr'] (did you mean 'abstract_algebra'?)"),
    (("--datasets", "gsm8k", "--dataset-args", '{"gsm8k": {"few_shot_nun": 1}}'),
     "gsm8k: unknown key 'few_shot_nun' (did you mean 'few_shot_num'?)"),
])
def test_an_unknown_name_suggests_the_closest(tmp_path, capsys, data_dir, args, message):
    code, text = run_pytest(tmp_path, "--model", "oracle", "--dataset-dir", str(data_dir), *args, capsys=capsys)
    assert code == 4 and message in text, text


# -- benchgate commands ---------------------------------------------------------------------

def _bad_yaml(tmp: Path) -> str:
    path = tmp / "task.yaml"
    path.write_text("model: smoke\nnot_an_option: 1\n")
    return str(path)


def _corrupt_shard(tmp: Path) -> str:
    shard = tmp / "shard"
    shard.mkdir()
    (shard / "results.json").write_text("{not json")
    return str(shard)


COMMANDS = {
    "run: missing config": lambda t: ["run", str(t / "nope.yaml")],
    "run: unknown key": lambda t: ["run", _bad_yaml(t)],
    "merge: no shard": lambda t: ["merge", "--output-dir", str(t / "m")],
    "merge: missing shard": lambda t: ["merge", str(t / "nope"), "--output-dir", str(t / "m")],
    "merge: corrupt shard": lambda t: ["merge", _corrupt_shard(t), "--output-dir", str(t / "m")],
    "report html: missing run": lambda t: ["report", "html", str(t / "nope")],
    "report summary: missing run": lambda t: ["report", "summary", str(t / "nope")],
    "report annotations: missing run": lambda t: ["report", "annotations", str(t / "nope")],
    "report allure: no results": lambda t: ["report", "allure", str(t)],
    "report: no kind": lambda t: ["report"],
    "leaderboard: missing run": lambda t: ["leaderboard", str(t / "nope")],
    "perf: no url": lambda t: ["perf"],
    "perf: missing dataset file": lambda t: ["perf", "--url", "http://127.0.0.1:9/v1", "--model", "m",
                                             "--dataset", "openqa", "--dataset-path", str(t / "nope.jsonl")],
    "perf: bad parallel": lambda t: ["perf", "--url", "http://127.0.0.1:9/v1", "--parallel", "x"],
    "arena: missing config": lambda t: ["arena", str(t / "nope.yaml")],
    "arena rate: missing file": lambda t: ["arena", "rate", str(t / "nope.jsonl")],
    "arena rate: unknown option": lambda t: ["arena", "rate", str(t / "x.jsonl"), "--no-such-option"],
    "contamination: no check": lambda t: ["contamination"],
    "contamination ngram: missing corpus": lambda t: ["contamination", "ngram", "--corpus", str(t / "nope.txt"),
                                                      "--datasets", "gsm8k", "--output-dir", str(t / "o")],
    "contamination ngram: no datasets": lambda t: ["contamination", "ngram", "--corpus", str(t), "--output-dir", str(t / "o")],
    "unknown command": lambda t: ["no-such-command"],
    "no command": lambda t: [],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_benchgate_command_exits_4_on_a_usage_error(tmp_path, capsys, name):
    try:
        code = benchgate_main(COMMANDS[name](tmp_path))
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 4, err
    assert "error:" in err and "Traceback" not in err


@pytest.mark.slow
def test_the_benchgate_script_exits_4_as_a_process(tmp_path):
    """The same through the installed console script's entry point, in a process."""
    proc = subprocess.run([sys.executable, "-c", "import sys; from benchgate.cli import main; sys.exit(main())",
                           "merge", str(tmp_path / "nope"), "--output-dir", str(tmp_path / "m")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4 and "benchgate merge: error:" in proc.stderr, proc.stderr


def test_benchgate_run_passes_paths_after_dataset_dir_to_pytest():
    """A task config's pytest_args (a test path) must not become a --dataset-dir or --datasets
    value, and still come last (they override the config's options)."""
    from benchgate.task import config_to_args

    args = config_to_args({"model": "smoke", "datasets": ["gsm8k", "mmlu"], "dataset_dir": ["a", "b"],
                           "pytest_args": [str(EVALS / "gsm8k.py"), "--limit", "3"]})
    assert args[0] == str(EVALS) and args[-3:] == [str(EVALS / "gsm8k.py"), "--limit", "3"]
    assert "--datasets=gsm8k,mmlu" in args and args.count("--dataset-dir=a") == 1
    assert args.index("--dataset-dir=a") < args.index("--dataset-dir=b")
