"""BBH module: counts, the paper's 3-shot CoT prompt, the authors' scoring (reproduced on their released
outputs), lm-eval's and the lenient metric, answer extraction (hypothesis), bad rows."""
import gzip
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
    # second reader: the CoT file and the task file read here as raw text / JSON
    raw = (data_dir / "bbh" / "cot-prompts" / "sports_understanding.txt").read_text(encoding="utf-8")
    body = raw.split("\n-----\n", 1)[1].strip("\n")
    question = json.loads((data_dir / "bbh" / "bbh" / "sports_understanding.json").read_text())["examples"][0]["input"]
    assert prompt == body + "\n\nQ: " + question + "\nA: Let's think step by step."
    assert prompt.startswith("Determine whether an artificially constructed sentence relating to "
                             "sports is plausible or not.\n\nQ: Is the following sentence plausible? "
                             "\"Bam Adebayo scored a reverse layup in the Western Conference Finals.\"\n"
                             "A: Let's think step by step. Bam Adebayo")
    assert "canary" not in prompt and "-----" not in prompt
    assert prompt.count("\n\nQ: ") == 4 and prompt.count("So the answer is") == 3
    (request,) = BBH.requests(c, sample)
    assert request.stop == ("\n\nQ:",)
    one = BBH.prompt(ctx(data_dir, few_shot_num=1), sample)
    assert one.count("\n\nQ: ") == 2 and one.count("So the answer is") == 1
    assert one == body.split("\n\nQ: ")[0] + "\n\nQ: " + body.split("\n\nQ: ")[1] + "\n\nQ: " + question + \
        "\nA: Let's think step by step."
    with pytest.raises(DataError, match="few_shot_num=4"):
        BBH.prompt(ctx(data_dir, few_shot_num=4), sample)
    with pytest.raises(ValueError, match="prompt_style must be one of"):
        BBH.effective_args({"prompt_style": "harness"})


def test_lm_eval_prompt_style(data_dir):
    """lm-eval bbh_cot_fewshot v4.0: every exemplar's chain of thought on its own line after the
    cue, a trailing newline, lm-eval's stop sequences (checked against lm-eval itself in
    test_golden_prompts_match_lm_eval)."""
    c = ctx(data_dir, prompt_style="lm_eval")
    sample = BBH.load(c, "sports_understanding")[0]
    prompt = BBH.prompt(c, sample)
    assert "A: Let's think step by step.\nBam Adebayo" in prompt and "step. Bam" not in prompt
    assert prompt.endswith("\nA: Let's think step by step.\n")
    assert BBH.requests(c, sample)[0].stop == ("</s>", "Q", "\n\n")


def test_golden_prompts_match_lm_eval(data_dir):
    """lm-eval's own bbh_cot_fewshot task definitions (v4.0 YAMLs: description, first_n exemplars,
    doc_to_text, stops) over the local rows: `prompt_style: lm_eval` gives the same context and
    stop sequences for 2 examples of every task (54) and 3 few-shot settings; the default prompt
    is the paper's, which differs from lm-eval's only by the documented newlines."""
    from tests.evals._lm_eval_reference import benchgate_requests, lm_eval_requests, lm_eval_task

    for shots in (3, 1, 0):
        c = ctx(data_dir, prompt_style="lm_eval", few_shot_num=shots)
        paper = ctx(data_dir, few_shot_num=shots)
        for task_name in BBH.subsets(c):
            examples = json.loads((data_dir / "bbh" / "bbh" / f"{task_name}.json").read_text())["examples"]
            task = lm_eval_task(f"bbh/cot_fewshot/{task_name}.yaml", {"test": examples}, num_fewshot=shots)
            reference = lm_eval_requests(task, limit=2)
            for sample in BBH.load(c, task_name)[:2]:
                (context, gen_kwargs), = reference[sample.index]
                assert benchgate_requests(BBH.requests(c, sample)) == [(context, gen_kwargs["until"])], sample.id
                assert task.doc_to_target(examples[sample.index]) == sample.target
                ours = BBH.prompt(paper, sample)
                assert context == ours.replace("by step. ", "by step.\n") + "\n", sample.id


def test_lm_eval_exact_match_is_lm_evals_filter_and_metric_on_the_released_outputs(data_dir):
    """lm-eval's RegexFilter + take_first + exact_match (options from its YAML), run here on all
    6,511 released responses, agree sample by sample with benchgate's lm_eval_exact_match."""
    import yaml
    from lm_eval.api.metrics import exact_match_hf_evaluate
    from lm_eval.filters.extraction import RegexFilter

    from tests.evals._lm_eval_reference import TASKS

    config = yaml.safe_load((TASKS / "bbh" / "cot_fewshot" / "_cot_fewshot_template_yaml").read_text())
    (regex,) = [f for f in config["filter_list"][0]["filter"] if f["function"] == "regex"]
    options = {k: v for k, v in config["metric_list"][0].items() if k not in ("metric", "aggregation", "higher_is_better")}
    with gzip.open(data_dir / "bbh" / "code-davinci-002-cot" / "replay.jsonl.gz", "rt", encoding="utf-8") as f:
        responses = {row["id"]: row["response"] for row in map(json.loads, f)}
    c = ctx(data_dir)
    for task_name in BBH.subsets(c):
        for sample in BBH.load(c, task_name):
            text = responses[sample.id]
            (filtered,), = RegexFilter(regex["regex_pattern"]).apply([[text]], [{}])
            expected = exact_match_hf_evaluate(predictions=[filtered], references=[sample.target], **options)
            got = BBH.score(c, sample, [Generation(text)]).scores["lm_eval_exact_match"]
            assert got == float(expected["exact_match"]), sample.id


# expected values worked out by hand from the three rules (docs/benchmarks/bbh.md):
# paper = text after the last "So the answer is", stripped, one trailing "." dropped, == target;
# lm_eval = first regex match of `(?<=the answer is )(.*)(?=.)` (one line, last character dropped),
# stripped, == target (case-sensitive); lenient = last "the answer is" on its line, dressed answers
@pytest.mark.parametrize("text,target,paper,lm_eval,lenient", [
    (" Let's see. So the answer is (B).", "(B)", 1.0, 1.0, 1.0),
    (" So the answer is **(B)**.", "(B)", 0.0, 0.0, 1.0),
    (" So the answer is B.", "(B)", 0.0, 0.0, 1.0),
    (" So the answer is (B) Monday.", "(B)", 0.0, 0.0, 1.0),
    (" So the answer is (A). Hmm, no. So the answer is (C).", "(C)", 1.0, 0.0, 1.0),  # lm-eval: first match, to line end
    (" So the answer is (C).", "(B)", 0.0, 0.0, 0.0),
    (" So the answer is Yes.", "Yes", 1.0, 1.0, 1.0),
    (" so the answer is yes.", "Yes", 0.0, 0.0, 1.0),  # phrase and answer case both matter except for lenient
    (" So the answer is $1,024.", "1024", 0.0, 0.0, 1.0),
    (" So the answer is -33.", "-33", 1.0, 1.0, 1.0),
    (" So the answer is ] ] >", "] ] >", 1.0, 0.0, 1.0),  # no final period: lm-eval's regex drops ">"
    (" So the answer is valid.", "invalid", 0.0, 0.0, 0.0),
    (" I cannot tell.", "(A)", 0.0, 0.0, 0.0),
    (" So the answer is (A).\n\nQ: next", "(A)", 0.0, 1.0, 1.0),  # a run past the stop: the paper takes the rest
    ("True", "True", 1.0, 0.0, 0.0),  # no phrase: the paper compares the whole (stripped) text
])
def test_scoring(data_dir, text, target, paper, lm_eval, lenient):
    c = ctx(data_dir)
    sample = BBH.load(c, "date_understanding")[0]
    sample.target = target
    scored = BBH.score(c, sample, [Generation(text)])
    assert scored.scores == {"exact_match": paper, "lm_eval_exact_match": lm_eval, "lenient_match": lenient}


@pytest.mark.no_cover  # a sweep over a whole data set: not traced (docs/testing.md, "Coverage")
def test_replaying_the_released_outputs_reproduces_the_authors_accuracy_on_every_task(run_evals, data_dir):
    """The paper's code-davinci-002 CoT outputs, re-scored end to end through `--model replay:`,
    give exactly the per-task accuracy the authors computed on them (published_accuracy.json)."""
    released = data_dir / "bbh" / "code-davinci-002-cot"
    published = json.loads((released / "published_accuracy.json").read_text())["expected_accuracy"]
    run = run_evals("--model", f"replay:{released / 'replay.jsonl.gz'}", "--datasets", "bbh")
    assert run.code == 0, run.out[-3000:]
    res = run.results["benchmarks"]["bbh"]
    assert res["metric"] == "exact_match" and res["n"] == 6511 and len(published) == 27
    assert set(res["subsets"]) == set(published)
    for task, accuracy in published.items():
        block = res["subsets"][task]
        correct = block["score"] * block["n"]
        # the same count of correct answers: published accuracy * n is an integer up to float noise
        assert round(correct) == round(accuracy * block["n"]), task
        assert abs(accuracy * block["n"] - round(accuracy * block["n"])) < 1e-6, task
        assert block["score"] == pytest.approx(accuracy, abs=1e-12), task
    # the two other metrics are different numbers on the same outputs (docs/benchmarks/bbh.md)
    subsets = res["subsets"]
    assert subsets["dyck_languages"]["metrics"]["lm_eval_exact_match"]["score"] < published["dyck_languages"]
    assert subsets["snarks"]["metrics"]["lenient_match"]["score"] > published["snarks"]


def test_paper_answer_on_the_released_outputs_needs_no_normalisation(data_dir):
    """Second reader: the released responses read with gzip/json here, scored by the rule in
    two lines, agree with the module's paper_answer on every example."""
    responses = {}
    with gzip.open(data_dir / "bbh" / "code-davinci-002-cot" / "replay.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            responses[row["id"]] = row["response"]
    assert len(responses) == 6511
    for key, text in responses.items():
        rest = text.rsplit("So the answer is", 1)[-1].strip()
        assert mod.paper_answer(text) == (rest[:-1] if rest.endswith(".") else rest), key


letters = st.sampled_from("ABCDEFGHIJKLMNOPQR")
prose = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters=" ,;"),
                max_size=40)


@given(prose, st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=20)
       .filter(lambda a: not a.endswith(".") and "So the answer is" not in a), st.sampled_from(["", "."]))
def test_paper_answer_is_the_text_after_the_last_phrase(reasoning, answer, period):
    text = f"{reasoning} So the answer is wrong. {reasoning} So the answer is {answer}{period}"
    assert mod.paper_answer(text) == answer
    assert mod.paper_answer(text + "\n") == answer


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
    assert {m: b["score"] for m, b in res["metrics"].items()} == {
        "exact_match": 1.0, "lm_eval_exact_match": 1.0, "lenient_match": 1.0}
    wrong = run_evals("--model", "wrong", "--datasets", "bbh", "--limit", "1")
    assert wrong.code == 0, wrong.out
    assert {m: b["score"] for m, b in wrong.results["benchmarks"]["bbh"]["metrics"].items()} == {
        "exact_match": 0.0, "lm_eval_exact_match": 0.0, "lenient_match": 0.0}
