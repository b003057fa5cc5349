"""GSM8K module: the lm-evaluation-harness prompt, counts, scoring, bad rows."""
import pytest

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


def test_prompt_five_shot_from_train_in_file_order(data_dir):
    c = ctx(data_dir)
    sample = GSM8K.load(c, "main")[0]
    prompt = GSM8K.prompt(c, sample)
    assert prompt.startswith("Question: Natalia sold clips to 48 of her friends in April")
    assert prompt.count("Question: ") == 6 and prompt.count("#### ") == 5
    assert "\n#### 72\n\nQuestion: Weng earns $12 an hour" in prompt
    assert prompt.endswith(f"Question: {sample.data['question']}\nAnswer:")
    (request,) = GSM8K.requests(c, sample)
    assert request.stop == ("Question:", "</s>", "<|im_end|>")


@pytest.mark.parametrize("text,acc,strict", [
    (" 16 - 3 - 4 = 9 eggs, 9 * 2 = 18.\n#### 18", 1.0, 1.0),
    (" She makes $18.00 a day. The answer is $18.00.", 1.0, 0.0),
    (" so 18 dollars", 1.0, 0.0),
    (" The answer is 17. Check: 18", 0.0, 0.0),
    (" #### 17", 0.0, 0.0),
])
def test_scoring(data_dir, text, acc, strict):
    c = ctx(data_dir)
    sample = GSM8K.load(c, "main")[0]
    scores = GSM8K.score(c, sample, [Generation(text)]).scores
    assert scores["acc"] == acc and scores["strict_match"] == strict


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
