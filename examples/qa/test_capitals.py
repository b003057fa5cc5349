"""A QA set scored with metrics: one test per case of capitals.jsonl.

    pytest examples/qa --model smoke                      # or --model dummy, a checkpoint, an API
    pytest examples/qa --model oracle --gate capitals=1   # the set's own check: every case right

Benchmark `capitals` (this module's name without `test_`), subset `capitals` (the file's
stem), one category per continent; scores: `em` (SQuAD-normalised exact match, the primary
metric: recorded first), `keyword_recall` (the user metric in metrics/keyword_recall.py).
"""
import pytest

from benchgate import load_cases

CASES = load_cases("capitals.jsonl", prompt="Q: {question}\nA:", stop=["\n"], max_new_tokens=16)


@pytest.mark.parametrize("case", CASES)
def test_capital(case, model, record):
    answer = model.generate(case)  # the case's prompt, stop strings and max_new_tokens
    record.metrics(answer, case.target, "em", "keyword_recall")
