"""HumanEval module: counts, prompt/stops, n samples and pass@k, sandboxed execution, bad rows."""
import gzip
import json

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT

HE = import_benchmark(ROOT / "evals" / "humaneval.py")


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=HE.effective_args(args))


def test_full_count_and_fields(data_dir):
    c = ctx(data_dir)
    assert HE.subsets(c) == ["openai_humaneval"]
    samples = HE.load(c, "openai_humaneval")
    assert len(samples) == 164 and all(s.error is None for s in samples)
    assert [s.data["task_id"] for s in samples] == [f"HumanEval/{i}" for i in range(164)]


def test_request_is_the_bare_prompt_with_lm_eval_stops_and_n_repeats(data_dir):
    c = ctx(data_dir, n=3, k=[1, 2])
    sample = HE.load(c, "openai_humaneval")[0]
    requests = HE.requests(c, sample)
    assert [r.repeat for r in requests] == [0, 1, 2]
    assert all(r.prompt == sample.data["prompt"] for r in requests)
    assert requests[0].prompt.startswith("from typing import List\n\n\ndef has_close_elements(")
    assert requests[0].stop == ("\nclass", "\ndef", "\n#", "\nif", "\nprint")
    assert requests[0].oracle == sample.data["canonical_solution"]
    assert len({json.dumps(r.key()) for r in requests}) == 3  # distinct cache identities


def test_pass_at_k_is_the_per_problem_score(data_dir):
    c = ctx(data_dir, n=3, k=[1, 2, 5])
    sample = HE.load(c, "openai_humaneval")[2]  # truncate_number
    good, bad = sample.data["canonical_solution"], "    return 0.123\n"
    scored = HE.score(c, sample, [Generation(good), Generation(bad), Generation(bad)])
    assert scored.extracted == ["passed", "failed", "failed"]
    # by hand: pass@1 = 1/3; pass@2 = 1 - C(2,2)/C(3,2) = 1 - 1/3 (k=5 > n: left out)
    assert scored.scores == {"pass@1": pytest.approx(1 / 3), "pass@2": pytest.approx(2 / 3)}


HOSTILE = {
    "loops forever": "    while True:\n        pass\n",
    "allocates 10 GB": "    x = bytearray(10 * 2**30)\n    return x\n",
    "opens a socket": ("    import socket\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
                       "    return 0.0\n"),
}


def test_runaway_solutions_are_stopped_and_the_run_goes_on(data_dir):
    c = ctx(data_dir, n=4, timeout=2.0, memory_mb=512, workers=2)
    samples = HE.load(c, "openai_humaneval")
    first = samples[2]
    outputs = [Generation(t) for t in HOSTILE.values()] + [Generation(first.data["canonical_solution"])]
    scored = HE.score(c, first, outputs)
    assert scored.extracted == ["timeout", "memory", "failed", "passed"]
    assert scored.scores["pass@1"] == pytest.approx(0.25)
    # the problems after it are unaffected
    for s in samples[3:5]:
        assert HE.score(ctx(data_dir), s, [Generation(s.data["canonical_solution"])]).scores == {"pass@1": 1.0}


def test_bad_dataset_args():
    with pytest.raises(ValueError, match="n must be int >= 1, got 0"):
        HE.effective_args({"n": 0})
    with pytest.raises(ValueError, match="k must be list of int >= 1, got 0"):
        HE.effective_args({"k": [0]})
    with pytest.raises(ValueError, match="network must be one of"):
        HE.effective_args({"network": "open"})
    # the execution limits are checked too, before any program runs
    for key, bad in (("timeout", 0), ("timeout", "ten"), ("timeout", float("nan")), ("memory_mb", 8),
                     ("memory_mb", 1.5), ("workers", 0), ("workers", True)):
        with pytest.raises(ValueError, match=f"humaneval {key} must be"):
            HE.effective_args({key: bad})
    assert HE.effective_args({"k": 5, "timeout": 3, "memory_mb": None})["k"] == [5]
    assert HE.effective_args({"timeout": 3})["timeout"] == 3.0


def test_malformed_rows_name_file_and_line(tmp_path, data_dir):
    folder = tmp_path / "humaneval"
    folder.mkdir()
    with gzip.open(data_dir / "humaneval" / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as f:
        lines = f.readlines()[:4]
    lines[1] = "{not json\n"
    row = json.loads(lines[2])
    del row["test"]
    lines[2] = json.dumps(row) + "\n"
    path = folder / "HumanEval.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(lines)
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=HE.effective_args({}))
    samples = HE.load(c, "openai_humaneval")
    assert samples[0].error is None and samples[3].error is None
    assert samples[1].error.startswith(f"{path}:2: invalid JSON")
    assert samples[2].error == f"{path}:3: malformed row: missing field 'test'"


def test_oracle_scores_one_and_wrong_scores_zero(run_evals):
    oracle = run_evals("--model", "oracle", "--datasets", "humaneval", "--limit", "5")
    assert oracle.code == 0, oracle.out
    assert oracle.results["benchmarks"]["humaneval"]["score"] == 1.0
    assert oracle.results["benchmarks"]["humaneval"]["n"] == 5
    wrong = run_evals("--model", "wrong", "--datasets", "humaneval", "--limit", "5")
    assert wrong.code == 0, wrong.out
    assert wrong.results["benchmarks"]["humaneval"]["score"] == 0.0
