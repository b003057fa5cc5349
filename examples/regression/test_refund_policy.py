"""A regression test of one prompt, with a hard requirement.

    pytest examples/regression --model smoke      # the random smoke model fails the requirement
    pytest examples/regression --model dummy --model-args "response=Refunds within 30 days."

The assert is a per-sample requirement: when it fails, the test fails (and so does the
session) and results.json lists the sample under `failed_requirements`; its `requirement`
score is 0. The recorded `mentions_window` score is kept either way, so a gate or a baseline
can also follow it over time.
"""
import pytest

PROMPT = ("Customer: I bought headphones two weeks ago and they stopped working. "
          "Can I get my money back?\nSupport agent:")


@pytest.mark.benchgate(benchmark="support", subset="refund_policy")
def test_refund_answer_states_the_30_day_window(model, record):
    answer = model.generate(PROMPT, max_new_tokens=48)
    record(mentions_window=float("30 days" in answer))
    assert "30 days" in answer, f"the refund answer lost the 30-day window: {answer!r}"
