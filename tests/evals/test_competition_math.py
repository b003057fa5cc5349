"""MATH module: counts (5,000 and MATH-500), the Minerva 4-shot prompt, scoring, levels, bad rows."""
import json
import shutil

import pytest
from hypothesis import given, settings, strategies as st

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
                             "{\\sqrt{5-x}}$.\n\nSolution: The expressions inside each square root")
    assert prompt.count("Problem:\n") == 5 and prompt.count("I hope it is correct.") == 4
    assert "Final Answer: The final answer is $-\\frac{2}{3}$. I hope it is correct.\n\nProblem:\n" in prompt
    assert prompt.endswith(f"Problem:\n{sample.data['problem']}\n\nSolution:")
    (request,) = MATH.requests(c, sample)
    assert request.stop == ("Problem:",)
    assert MATH.prompt(ctx(data_dir, few_shot_num=0), sample) == \
        f"Problem:\n{sample.data['problem']}\n\nSolution:"


LM_EVAL_SUBJECTS = {"counting_and_probability": "counting_and_prob", "number_theory": "num_theory",
                    "precalculus": "precalc"}


def test_golden_prompts_match_lm_eval(data_dir):
    """lm-eval's minerva_math (its YAML, utils.doc_to_text and list_fewshot_samples, first_n
    sampler) over the local problem files read here with json: the same 4-shot context and stop
    for the first 4 problems of every subject (28)."""
    from tests.evals._lm_eval_reference import benchgate_requests, lm_eval_requests, minerva_task

    c = ctx(data_dir)
    for subject in SUBJECTS:
        paths = sorted((data_dir / "competition_math" / "MATH" / "test" / subject).glob("*.json"),
                       key=lambda p: int(p.stem))[:4]
        rows = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
        task = minerva_task(f"minerva_math_{LM_EVAL_SUBJECTS.get(subject, subject)}.yaml",
                            {"test": rows, "train": rows[:1]})
        reference = lm_eval_requests(task, limit=4)
        samples = MATH.load(c, subject)[:4]
        assert [s.index for s in samples] == [int(p.stem) for p in paths]
        for doc_id, sample in enumerate(samples):
            (context, gen_kwargs), = reference[doc_id]
            assert benchgate_requests(MATH.requests(c, sample)) == [(context, gen_kwargs["until"])], sample.id


@pytest.mark.parametrize("text,acc", [
    ("... asymptotes.\nFinal Answer: The final answer is $2$. I hope it is correct.", 1.0),
    ("So there are $\\boxed{2}$ asymptotes.", 1.0),
    ("So there are $\\boxed{\\textbf{2}}$.", 1.0),
    ("Final Answer: The final answer is $2.0$. I hope it is correct.", 1.0),
    ("Final Answer: The final answer is $\\frac{4}{2}$. I hope it is correct.", 1.0),
    ("So there are $\\boxed{3}$ asymptotes.", 0.0),
    ("There are two asymptotes.", 0.0),
])
def test_scoring_and_level_category(data_dir, text, acc):
    c = ctx(data_dir)
    sample = MATH.load(c, "algebra")[0]  # Level 3, answer 2
    assert MATH.score(c, sample, [Generation(text)]).scores == {"acc": acc}
    assert MATH.categories(c, sample) == ["Level 3"]


@pytest.mark.no_cover  # a sweep over a whole data set: not traced (docs/testing.md, "Coverage")
@pytest.mark.slow  # real data or the reference implementation on every row: many seconds
def test_gold_answers_and_normalisation_agree_with_lm_eval_on_every_problem(data_dir):
    """Second reader: lm-eval's own gold answer of each of the 5,000 solutions (its
    process_docs: last_boxed_only_string, remove_boxed, normalize_final_answer) equals the
    Minerva normalisation of benchgate's target; Minerva's final-answer sentence carrying
    lm-eval's gold scores 1, a wrong number 0."""
    from benchgate.math_equiv import minerva_normalize
    from tests.evals._lm_eval_reference import minerva_utils

    utils = minerva_utils()
    c = ctx(data_dir)
    n = 0
    for subject in SUBJECTS:
        for s in MATH.load(c, subject):
            raw = json.loads((data_dir / "competition_math" / "MATH" / "test" / subject / f"{s.index}.json")
                             .read_text(encoding="utf-8"))
            gold = utils.normalize_final_answer(utils.remove_boxed(utils.last_boxed_only_string(raw["solution"])))
            assert minerva_normalize(s.target) == gold, s.id
            said = f" ...\nFinal Answer: The final answer is ${gold}$. I hope it is correct."
            assert MATH.score(c, s, [Generation(said)]).scores["acc"] == 1.0, s.id
            n += 1
    assert n == 5000
    sample = MATH.load(c, "algebra")[0]  # gold 2
    assert MATH.score(c, sample, [Generation("Final Answer: The final answer is $7$. I hope it is correct.")]) \
        .scores["acc"] == 0.0


ANSWERS = st.lists(st.sampled_from(list("0123456789,.=$ {}\\^-") + ["ft", "cm", "\\infty", "\\left(", "\\frac",
                                                                  "\\sqrt", "[3]", "\\text{", "\\boxed{", "units",
                                                                  "degrees", "^\\circ", "a ", "\\!", "x"]), max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(ANSWERS)
def test_minerva_normalize_is_lm_evals(text):
    from benchgate.math_equiv import minerva_normalize
    from tests.evals._lm_eval_reference import minerva_utils

    assert minerva_normalize(text) == minerva_utils().normalize_final_answer(text)


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


def test_oracle_scores_one_and_wrong_scores_zero_with_level_breakdown(run_evals, data_dir):
    oracle = run_evals("--model", "oracle", "--datasets", "competition_math", "--limit", "2")
    assert oracle.code == 0, oracle.out
    res = oracle.results["benchmarks"]["competition_math"]
    assert res["score"] == 1.0 and res["n"] == 14 and len(res["subsets"]) == 7 and set(res["metrics"]) == {"acc"}
    # the level table: the first two problem files of each subject, levels read from the raw files
    levels: dict[str, int] = {}
    for subject in SUBJECTS:
        paths = sorted((data_dir / "competition_math" / "MATH" / "test" / subject).glob("*.json"),
                       key=lambda p: int(p.stem))[:2]
        for p in paths:
            level = json.loads(p.read_text())["level"]
            levels[level] = levels.get(level, 0) + 1
    assert {k: v["n"] for k, v in res["categories"].items()} == levels
    assert all(block["score"] == 1.0 for block in res["categories"].values())
    wrong = run_evals("--model", "wrong", "--datasets", "competition_math", "--limit", "2",
                      "--dataset-args", '{"competition_math": {"selection": "math500"}}')
    assert wrong.code == 0, wrong.out
    assert wrong.results["benchmarks"]["competition_math"]["score"] == 0.0
    assert all(b["score"] == 0.0 for b in wrong.results["benchmarks"]["competition_math"]["categories"].values())
    assert wrong.results["config"]["effective_dataset_args"]["competition_math"]["selection"] == "math500"
