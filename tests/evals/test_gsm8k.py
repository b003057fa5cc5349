"""GSM8K module: lm-evaluation-harness gsm8k prompts and few-shot draws (checked against lm-eval
itself), its strict/flexible scores, the lenient score, counts, bad rows."""
import json

import pytest
from hypothesis import given, settings, strategies as st

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT

GSM8K = import_benchmark(ROOT / "evals" / "gsm8k.py")


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=GSM8K.effective_args(args))


def test_counts_and_targets(data_dir):
    samples = GSM8K.load(ctx(data_dir), "main")
    assert len(samples) == 1319 and all(s.error is None for s in samples)
    assert samples[0].target == "18"


def test_prompt_five_shot_drawn_as_lm_eval_draws(data_dir):
    c = ctx(data_dir)
    sample = GSM8K.load(c, "main")[0]
    prompt = GSM8K.prompt(c, sample)
    # lm-eval's draw for doc 0 with seed 1234 starts with this train question (see the golden test)
    assert prompt.startswith("Question: Jen and Tyler are gymnasts practicing flips.")
    assert prompt.count("Question: ") == 6 and prompt.count("#### ") == 5
    assert prompt.endswith(f"Question: {sample.data['question']}\nAnswer:")
    (request,) = GSM8K.requests(c, sample)
    assert request.stop == ("Question:", "</s>", "<|im_end|>")
    # few_shot_random: benchgate's own seeded draw per sample instead
    other = GSM8K.prompt(ctx(data_dir, few_shot_random=True), sample)
    assert other != prompt and other.count("#### ") == 5


def test_golden_prompts_and_draws_match_lm_eval(data_dir):
    """lm-eval's own gsm8k task (YAML, sampler, seed 1234) over the local rows, read here with
    json: the same 5-shot contexts, stop sequences and reference answers for 40 test questions."""
    from tests.evals._lm_eval_reference import benchgate_requests, lm_eval_requests, lm_eval_task

    read = lambda name: [json.loads(line) for line in (data_dir / "gsm8k" / name).read_text().splitlines() if line.strip()]  # noqa: E731
    test, train = read("test.jsonl"), read("train.jsonl")
    task = lm_eval_task("gsm8k/gsm8k.yaml", {"test": test, "train": train})
    reference = lm_eval_requests(task, limit=40)
    c = ctx(data_dir)
    samples = GSM8K.load(c, "main")[:40]
    assert len(reference) == 40
    for sample in samples:
        (context, gen_kwargs), = reference[sample.index]
        assert benchgate_requests(GSM8K.requests(c, sample)) == [(context, gen_kwargs["until"])], sample.id
        assert task.doc_to_target(test[sample.index]) == sample.data["answer"]


# expected values worked out by hand from lm-eval's gsm8k.yaml (strict: first "#### N";
# flexible: last match of (-?[$0-9.,]{2,})|(-?[0-9]+); then ",", "$", "...#### ", one final "."
# removed and lowercased; string equality with "18") and from the lenient chain (numbers compared)
@pytest.mark.parametrize("text,strict,flexible,lenient", [
    (" 16 - 3 - 4 = 9 eggs, 9 * 2 = 18.\n#### 18", 1.0, 1.0, 1.0),
    (" She makes $18.00 a day. The answer is $18.00.", 0.0, 0.0, 1.0),
    (" so 18 dollars", 0.0, 1.0, 1.0),
    (" The answer is 17. Check: 18", 0.0, 1.0, 0.0),
    (" #### 17", 0.0, 0.0, 0.0),
    (" #### 18.", 1.0, 1.0, 1.0),
    (" #### 18.00", 0.0, 0.0, 1.0),  # lm-eval compares strings
    (" #### $18", 0.0, 1.0, 1.0),  # "$" is not in the strict pattern
    (" 18 apples, total 18...", 0.0, 0.0, 1.0),  # flexible takes "18...", whatever it is
    (" #### 18\n\nSo 20 - 2", 1.0, 0.0, 1.0),
])
def test_scoring(data_dir, text, strict, flexible, lenient):
    c = ctx(data_dir)
    sample = GSM8K.load(c, "main")[0]
    scores = GSM8K.score(c, sample, [Generation(text)]).scores
    assert scores == {"strict_match": strict, "flexible_extract": flexible, "lenient_match": lenient}


ANSWERS = st.text(st.sampled_from(list("0123456789.,$- #abT\n")), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(ANSWERS, min_size=1, max_size=4).map("".join), st.sampled_from(["18", "1,000", "-3", "0.5"]))
def test_strict_and_flexible_scores_are_lm_evals_own_pipeline(text, number):
    """lm-eval's RegexFilter + exact_match (with gsm8k.yaml's options), run here, agree with
    benchgate's scores on arbitrary number-ish responses."""
    import yaml
    from lm_eval.api.metrics import exact_match_hf_evaluate
    from lm_eval.filters.extraction import RegexFilter

    from tests.evals._lm_eval_reference import TASKS

    config = yaml.safe_load((TASKS / "gsm8k" / "gsm8k.yaml").read_text())
    options = {k: v for k, v in config["metric_list"][0].items() if k not in ("metric", "aggregation", "higher_is_better")}
    reference = f"Some work.\n#### {number}"
    module = __import__("sys").modules[type(GSM8K).__module__]
    for name, filters in ((f["name"], f["filter"]) for f in config["filter_list"]):
        regex = filters[0]
        expected = exact_match_hf_evaluate(
            predictions=RegexFilter(regex["regex_pattern"], regex.get("group_select", 0)).apply([[text]], [{}])[0],
            references=[reference], **options)["exact_match"]
        ours = module.lm_eval_match(text, reference, module.STRICT if name == "strict-match" else module.FLEXIBLE)
        assert ours == bool(expected), (name, text)


def test_malformed_rows(tmp_path):
    folder = tmp_path / "gsm8k"
    folder.mkdir()
    (folder / "test.jsonl").write_text('{"question": "q", "answer": "x #### 4"}\n{bad json\n'
                                       '{"question": "q"}\n{"question": "q", "answer": "no marker"}\n')
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=GSM8K.effective_args({}))
    samples = GSM8K.load(c, "main")
    path = folder / "test.jsonl"
    assert samples[0].error is None and samples[0].target == "4"
    assert samples[1].error.startswith(f"{path}:2: invalid JSON")
    assert samples[2].error == f"{path}:3: malformed row: missing field 'answer'"
    assert samples[3].error == f"{path}:4: malformed row: answer has no '#### N' final answer"


def test_every_target_against_the_raw_file(data_dir):
    """Second reader over all 1,319 test rows: the number after the last "#### " (commas
    removed) is the sample's target, and the oracle answer (the reference) scores 1 on all
    three metrics."""
    rows = [json.loads(line) for line in (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines() if line.strip()]
    c = ctx(data_dir)
    samples = GSM8K.load(c, "main")
    assert len(rows) == len(samples) == 1319
    for row, sample in zip(rows, samples):
        assert sample.target == row["answer"].split("#### ")[-1].strip().replace(",", ""), sample.id
        scores = GSM8K.score(c, sample, [Generation(" " + row["answer"])]).scores
        assert scores == {"strict_match": 1.0, "flexible_extract": 1.0, "lenient_match": 1.0}, sample.id
