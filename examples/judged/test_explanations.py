"""A judge-scored eval: the run's judge grades each answer against a reference explanation.

    pytest examples/judged --model smoke --judge-model smoke     # a local model as the judge
        # (the tiny smoke model never writes a [[correct]] verdict: judge_correct has no
        # score, and every sample's parse failure is listed under the summary; exit 0)
    pytest examples/judged --model my-model --judge-model gpt-4o \\
        --judge-api-url https://api.openai.com/v1     # key from $BENCHGATE_JUDGE_API_KEY
    pytest examples/judged --model smoke   # no --judge-model: every test skipped, with the reason

Benchmark `explanations` (this module's name without `test_`), one category per field.
Scores:
- `judge_correct` (primary): 1 when the judge's verdict is [[correct]], 0 for [[incorrect]]
  (`judge.score(..., metric="correct")`, benchgate's built-in judge prompt, the one the
  benchmarks' `judge` dataset arg uses);
- `judge_parse_failure`: 1 when the judge's reply held no verdict; that sample then has no
  `judge_correct` (left out of the mean, never a 0);
- `concise`: the judge's yes/no answer to a question of our own (`judge.ask`, raw text
  parsed here); a reply that is neither counts in `concise_parse_failure` instead.

The model's answers and the judge's replies are computed in batches, not one per test.
"""
import pytest

from benchgate import load_cases

CASES = load_cases("explanations.jsonl", max_new_tokens=64)
CONCISE = ("Is the following explanation at most three sentences long and free of filler? "
           "Reply with one word, yes or no.\n\nExplanation: {answer}")


@pytest.mark.parametrize("case", CASES)
def test_explanation(case, model, judge, record):
    answer = model.generate(case)
    judge.score(case.question, answer, reference=case.target, metric="correct")
    reply = judge.ask(CONCISE.format(answer=answer), max_new_tokens=4).strip().lower()
    if reply.startswith(("yes", "no")):
        record(concise=float(reply.startswith("yes")), concise_parse_failure=0.0)
    else:
        record(concise_parse_failure=1.0)
