"""BBH module: counts, the 3-shot CoT prompt, answer extraction (hypothesis), bad rows."""
import json
import shutil
import sys

import pytest
from hypothesis import given, strategies as st

from benchgate.benchmark import DataError, RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT

BBH = import_benchmark(ROOT / "evals" / "bbh.py")
mod = sys.modules[type(BBH).__module__]  # the module itself, for its extractor functions


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=BBH.effective_args(args))


def test_full_counts(data_dir):
    c = ctx(data_dir)
    subsets = BBH.subsets(c)
    assert len(subsets) == 27
    counts = {s: len(BBH.load(c, s)) for s in subsets}
    assert sum(counts.values()) == 6511
    assert counts["penguins_in_a_table"] == 146 and counts["snarks"] == 178
    assert counts["causal_judgement"] == 187


def test_prompt_is_the_cot_file_then_the_question(data_dir):
    c = ctx(data_dir)
    sample = BBH.load(c, "sports_understanding")[0]
    prompt = BBH.prompt(c, sample)
    assert prompt.startswith("Determine whether an artificially constructed sentence relating to "
                             "sports is plausible or not.\n\nQ: Is the following sentence plausible? "
                             "\"Bam Adebayo scored a reverse layup in the Western Conference Finals.\"\n"
                             "A: Let's think step by step. Bam Adebayo")
    assert "canary" not in prompt and "-----" not in prompt
    assert prompt.count("\n\nQ: ") == 4 and prompt.count("So the answer is") == 3
    assert prompt.endswith(f"\n\nQ: {sample.data['input']}\nA: Let's think step by step.")
    (request,) = BBH.requests(c, sample)
    assert request.stop == ("\n\nQ:",)
    one = BBH.prompt(ctx(data_dir, few_shot_num=1), sample)
    assert one.count("\n\nQ: ") == 2 and one.count("So the answer is") == 1
    with pytest.raises(DataError, match="few_shot_num=4"):
        BBH.prompt(ctx(data_dir, few_shot_num=4), sample)


@pytest.mark.parametrize("text,target,acc,em", [
    (" Let's see. So the answer is (B).", "(B)", 1.0, 1.0),
    (" So the answer is **(B)**.", "(B)", 1.0, 0.0),
    (" So the answer is B.", "(B)", 1.0, 0.0),
    (" So the answer is (B) Monday.", "(B)", 1.0, 0.0),
    (" So the answer is (A). Hmm, no. So the answer is (C).", "(C)", 1.0, 0.0),  # lm-eval takes the first
    (" So the answer is (C).", "(B)", 0.0, 0.0),
    (" So the answer is Yes.", "Yes", 1.0, 1.0),
    (" so the answer is yes.", "Yes", 1.0, 1.0),
    (" So the answer is $1,024.", "1024", 1.0, 0.0),
    (" So the answer is -33.", "-33", 1.0, 1.0),
    (" So the answer is ] ] >.", "] ] >", 1.0, 1.0),
    (" So the answer is valid.", "invalid", 0.0, 0.0),
    (" I cannot tell.", "(A)", 0.0, 0.0),
])
def test_scoring(data_dir, text, target, acc, em):
    c = ctx(data_dir)
    sample = BBH.load(c, "date_understanding")[0]
    sample.target = target
    scores = BBH.score(c, sample, [Generation(text)]).scores
    assert scores == {"acc": acc, "exact_match": em}


letters = st.sampled_from("ABCDEFGHIJKLMNOPQR")
prose = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters=" ,;"),
                max_size=40)


@given(prose, letters, st.sampled_from(["({})", "**({})**", "{}", "({}) some option"]),
       st.sampled_from(["", "."]))
def test_letter_answers_in_any_dress(reasoning, letter, dress, period):
    text = f"{reasoning}. So the answer is {dress.format(letter)}{period}"
    assert mod.answers_match(mod.extract_answer(text), f"({letter})")
    other = "A" if letter != "A" else "B"
    assert not mod.answers_match(mod.extract_answer(text), f"({other})")


@given(st.integers(0, 10**6), st.booleans(), st.sampled_from(["", "."]), st.booleans(),
       st.sampled_from(["", "$"]), st.booleans())
def test_numbers_with_dollar_commas_period_and_bold(n, commas, period, bold, dollar, negative):
    n = -n if negative else n
    digits = f"{abs(n):,}" if commas else str(abs(n))
    shown = f"{'-' if n < 0 else ''}{dollar}{digits}"
    shown = f"**{shown}**" if bold else shown
    answer = mod.extract_answer(f"Counting gives 3 + 4. So the answer is {shown}{period}")
    assert mod.answers_match(answer, str(n)) and not mod.answers_match(answer, str(n + 1))


@given(st.lists(st.sampled_from(["yes", "no", "True", "False", "valid", "invalid"]), min_size=1, max_size=4))
def test_the_last_answer_sentence_wins(answers):
    text = " ".join(f"So the answer is {a}." for a in answers)
    assert mod.extract_answer(text) == answers[-1]


def test_malformed_rows_name_file_and_line(tmp_path, data_dir):
    folder = tmp_path / "bbh"
    (folder / "bbh").mkdir(parents=True)
    (folder / "cot-prompts").mkdir()
    src = json.loads((data_dir / "bbh" / "bbh" / "navigate.json").read_text())
    examples = src["examples"][:3] + [{"input": "no target here"}, "just a string"]
    path = folder / "bbh" / "navigate.json"
    path.write_text(json.dumps({"canary": "x", "examples": examples}, indent=2))
    shutil.copy(data_dir / "bbh" / "cot-prompts" / "navigate.txt", folder / "cot-prompts")
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=BBH.effective_args({}))
    samples = BBH.load(c, "navigate")
    lines = path.read_text().splitlines()
    assert [s.error is None for s in samples] == [True, True, True, False, False]
    line = next(i for i, l in enumerate(lines, 1) if '"no target here"' in l) - 1  # the "{" line
    assert samples[3].error == f"{path}:{line}: malformed row: missing field 'target'"
    string_line = next(i for i, l in enumerate(lines, 1) if '"just a string"' in l)
    assert samples[4].error == f"{path}:{string_line}: expected a JSON object"
    path.write_text('{"canary": "x", "examples": [\n{"input": "a", "target": "b"},\n{oops}\n]}')
    with pytest.raises(DataError, match=rf"{path}:3: invalid JSON"):
        BBH.load(c, "navigate")


def test_oracle_scores_one_and_wrong_scores_zero(run_evals):
    oracle = run_evals("--model", "oracle", "--datasets", "bbh", "--limit", "1")
    assert oracle.code == 0, oracle.out
    res = oracle.results["benchmarks"]["bbh"]
    assert res["score"] == 1.0 and res["n"] == 27 and len(res["subsets"]) == 27
    assert res["metrics"]["exact_match"]["score"] == 1.0
    wrong = run_evals("--model", "wrong", "--datasets", "bbh", "--limit", "1")
    assert wrong.code == 0 and wrong.results["benchmarks"]["bbh"]["score"] == 0.0
