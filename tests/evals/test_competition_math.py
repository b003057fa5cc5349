"""MATH module: counts (5,000 and MATH-500), the Minerva 4-shot prompt, scoring, levels, bad rows."""
import json
import shutil

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT

MATH = import_benchmark(ROOT / "evals" / "competition_math.py")
SUBJECTS = {"algebra": 1187, "counting_and_probability": 474, "geometry": 479,
            "intermediate_algebra": 903, "number_theory": 540, "prealgebra": 871, "precalculus": 546}
MATH500 = {"algebra": 124, "intermediate_algebra": 97, "prealgebra": 82, "number_theory": 62,
           "precalculus": 56, "geometry": 41, "counting_and_probability": 38}


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=MATH.effective_args(args))


def test_full_test_split_counts_and_levels(data_dir):
    c = ctx(data_dir)
    assert MATH.subsets(c) == sorted(SUBJECTS)
    levels: dict[int, int] = {}
    for subject, n in SUBJECTS.items():
        samples = MATH.load(c, subject)
        assert len(samples) == n and all(s.error is None for s in samples)
        for s in samples:
            levels[s.data["level"]] = levels.get(s.data["level"], 0) + 1
    assert sum(SUBJECTS.values()) == 5000
    assert levels == {1: 437, 2: 894, 3: 1131, 4: 1214, 5: 1324}


def test_math500_selection_counts_and_keeps_file_numbers(data_dir):
    c = ctx(data_dir, selection="math500")
    counts = {s: len(MATH.load(c, s)) for s in MATH.subsets(c)}
    assert counts == MATH500 and sum(counts.values()) == 500
    ids = (data_dir / "competition_math" / "math500_unique_ids.txt").read_text().split()
    first_subject, first_n = ids[0].split("/")[1], int(ids[0].split("/")[2][:-5])
    assert first_n in {s.index for s in MATH.load(c, first_subject)}
    with pytest.raises(ValueError, match="selection must be one of"):
        MATH.effective_args({"selection": "math5000"})
    with pytest.raises(ValueError, match="few_shot_num must be int >= 0 <= 4, got 5"):
        MATH.effective_args({"few_shot_num": 5})


def test_prompt_is_minerva_four_shot(data_dir):
    c = ctx(data_dir)
    sample = MATH.load(c, "algebra")[0]
    assert sample.id == "competition_math/algebra/1" and sample.target == "2"
    prompt = MATH.prompt(c, sample)
    assert prompt.startswith("Problem:\nFind the domain of the expression  $\\frac{\\sqrt{x-2}}"
                             "{\\sqrt{5-x}}$.}\n\nSolution:\nThe expressions inside each square root")
    assert prompt.count("Problem:\n") == 5 and prompt.count("I hope it is correct.") == 4
    assert "Final Answer: The final answer is $-\\frac{2}{3}$. I hope it is correct.\n\nProblem:\n" in prompt
    assert prompt.endswith(f"Problem:\n{sample.data['problem']}\n\nSolution:")
    (request,) = MATH.requests(c, sample)
    assert request.stop == ("Problem:",)
    assert MATH.prompt(ctx(data_dir, few_shot_num=0), sample) == \
        f"Problem:\n{sample.data['problem']}\n\nSolution:"


@pytest.mark.parametrize("text,acc", [
    ("... asymptotes.\nFinal Answer: The final answer is $2$. I hope it is correct.", 1.0),
    ("So there are $\\boxed{2}$ asymptotes.", 1.0),
    ("So there are $\\boxed{\\textbf{2}}$.", 1.0),
    ("Final Answer: The final answer is $2.0$. I hope it is correct.", 1.0),
    ("Final Answer: The final answer is $\\frac{4}{2}$. I hope it is correct.", 1.0),
    ("So there are $\\boxed{3}$ asymptotes.", 0.0),
    ("There are two asymptotes.", 0.0),
])
def test_scoring_and_level_metric(data_dir, text, acc):
    c = ctx(data_dir)
    sample = MATH.load(c, "algebra")[0]  # Level 3, answer 2
    scores = MATH.score(c, sample, [Generation(text)]).scores
    assert scores == {"acc": acc, "acc_level_3": acc}


def test_the_oracle_response_scores_one_on_every_problem(data_dir):
    c = ctx(data_dir)
    for subject in SUBJECTS:
        for s in MATH.load(c, subject):
            (request,) = MATH.requests(c, s)
            assert MATH.score(c, s, [Generation(request.oracle)]).scores["acc"] == 1.0, s.id
            assert MATH.score(c, s, [Generation("(no answer)")]).scores["acc"] == 0.0, s.id


def test_malformed_problem_files_name_file_and_line(tmp_path, data_dir):
    folder = tmp_path / "competition_math" / "MATH" / "test" / "geometry"
    folder.mkdir(parents=True)
    src = data_dir / "competition_math" / "MATH" / "test" / "geometry"
    for name in sorted(p.name for p in src.glob("*.json"))[:4]:
        shutil.copy(src / name, folder / name)
    names = sorted((p for p in folder.glob("*.json")), key=lambda p: int(p.stem))
    names[1].write_text('{\n  "problem": "x",\n  "level": "Level 2",\n  oops\n}')
    row = json.loads(names[2].read_text())
    row["solution"] = "no boxed answer here"
    names[2].write_text(json.dumps(row))
    row["level"] = "Level ?"
    names[3].write_text(json.dumps(row))
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=MATH.effective_args({}))
    samples = MATH.load(c, "geometry")
    assert samples[0].error is None
    assert samples[1].error.startswith(f"{names[1]}:4: invalid JSON")
    assert samples[2].error == f"{names[2]}:1: malformed row: the solution has no \\boxed{{...}} final answer"
    assert samples[3].error == f"{names[3]}:1: malformed row: level must be 'Level 1'..'Level 5', got 'Level ?'"


def test_oracle_scores_one_and_wrong_scores_zero_with_level_breakdown(run_evals):
    oracle = run_evals("--model", "oracle", "--datasets", "competition_math", "--limit", "2")
    assert oracle.code == 0, oracle.out
    res = oracle.results["benchmarks"]["competition_math"]
    assert res["score"] == 1.0 and res["n"] == 14 and len(res["subsets"]) == 7
    assert all(m == "acc" or m.startswith("acc_level_") for m in res["metrics"])
    assert all(block["score"] == 1.0 for block in res["metrics"].values())
    wrong = run_evals("--model", "wrong", "--datasets", "competition_math", "--limit", "2",
                      "--dataset-args", '{"competition_math": {"selection": "math500"}}')
    assert wrong.code == 0, wrong.out
    assert wrong.results["benchmarks"]["competition_math"]["score"] == 0.0
    assert wrong.results["config"]["effective_dataset_args"]["competition_math"]["selection"] == "math500"
