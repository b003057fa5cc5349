"""MMLU module: the lm-evaluation-harness prompt, real-data counts, scoring, bad rows."""
import shutil

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation, Loglikelihood
from tests.conftest import ROOT

MMLU = import_benchmark(ROOT / "evals" / "mmlu.py")


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=MMLU.effective_args(args))


def test_full_test_split_counts(data_dir):
    c = ctx(data_dir)
    subsets = MMLU.subsets(c)
    assert len(subsets) == 57
    assert sum(len(MMLU.load(c, s)) for s in subsets) == 14042
    cats = {MMLU.category(c, s) for s in subsets}
    assert cats == {"STEM", "Humanities", "Social Sciences", "Other"}


def test_prompt_is_lm_eval_mmlu_five_shot(data_dir):
    c = ctx(data_dir)
    sample = MMLU.load(c, "abstract_algebra")[0]
    prompt = MMLU.prompt(c, sample)
    assert prompt.startswith("The following are multiple choice questions (with answers) about "
                             "abstract algebra.\n\nFind all c in Z_3 such that Z_3[x]/(x^2 + c) is a "
                             "field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n")
    assert prompt.count("\nAnswer:") == 6 and prompt.endswith(
        "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q."
        "\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:")
    requests = MMLU.requests(c, sample)
    assert [r.continuation for r in requests] == [" A", " B", " C", " D"]
    assert {r.context for r in requests} == {prompt}


def test_zero_shot_and_random_shots(data_dir):
    sample = MMLU.load(ctx(data_dir), "anatomy")[3]
    zero = MMLU.prompt(ctx(data_dir, few_shot_num=0), sample)
    assert zero.count("Answer:") == 1
    c = ctx(data_dir, few_shot_num=3, few_shot_random=True)
    shots = MMLU.shots(c, sample)
    assert len(shots) == 3 and shots == MMLU.shots(c, sample)  # seeded: reproducible


def test_scoring_loglikelihood_and_generation(data_dir):
    c = ctx(data_dir)
    sample = MMLU.load(c, "abstract_algebra")[0]  # gold: D
    assert sample.target == "D" or sample.target in "ABCD"
    lls = [Loglikelihood(v, False) for v in (-3.0, -1.0, -2.0, -4.0)]
    scored = MMLU.score(c, sample, lls)
    assert scored.extracted == "B" and scored.scores["acc"] == float(sample.target == "B")
    g = ctx(data_dir, mode="generate")
    assert MMLU.score(g, sample, [Generation(f"The answer is ({sample.target}).")]).scores["acc"] == 1.0
    assert MMLU.score(g, sample, [Generation("I do not know")]).scores["acc"] == 0.0


def test_bad_dataset_args_are_named():
    with pytest.raises(ValueError, match="unknown key 'fewshot'.*few_shot_num"):
        MMLU.effective_args({"fewshot": 1})
    with pytest.raises(ValueError, match="mode must be one of"):
        MMLU.effective_args({"mode": "chat"})


def test_malformed_row_becomes_a_sample_error_naming_file_and_line(tmp_path, data_dir):
    root = tmp_path / "mmlu" / "data"
    for split in ("dev", "test"):
        (root / split).mkdir(parents=True)
        shutil.copy(data_dir / "mmlu" / "data" / split / f"anatomy_{split}.csv", root / split)
    path = root / "test" / "anatomy_test.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "only,three,fields\n"
    lines[4] = lines[4].rstrip().rsplit(",", 1)[0] + ",E\n"
    path.write_text("".join(lines), encoding="utf-8")
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=MMLU.effective_args({}))
    samples = MMLU.load(c, "anatomy")
    assert len(samples) == 135
    assert samples[2].error == f"{path}:3: expected 6 fields, got 3"
    assert samples[4].error == f"{path}:5: malformed row: answer must be one of A-D, got 'E'"
    assert samples[3].error is None
