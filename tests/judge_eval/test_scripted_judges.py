"""Scripted judges with planted behaviour on 127.0.0.1 (FakeOpenAIServer, a real HTTP server),
asked through the real OpenAI backend and scored by the llmbar benchmark: what each judge was
built to do must show in the scores."""
import math

from tests.judge_eval.conftest import ANSWER, judge, mean, planted


def test_a_judge_right_with_probability_p_scores_p_within_its_binomial_interval(pairs):
    p = 0.7
    scores = judge(planted(pairs[2], p, "seed-1"), pairs)
    verdicts = 2 * len(scores)  # each verdict is an independent draw
    half = 1.959963984540054 * math.sqrt(p * (1 - p) / verdicts)
    assert abs(mean(scores, "acc") - p) <= half
    assert mean(scores, "parse_failure") == 0.0


def test_always_a_prefers_the_first_position_and_fails_swap_consistency(pairs):
    scores = judge(lambda prompt: "Output (a)", pairs)
    assert mean(scores, "first_position") == 1.0
    assert mean(scores, "agreement") == 0.0 and mean(scores, "acc_both") == 0.0
    assert mean(scores, "acc") == 0.5  # one of the two orders always right


def test_always_the_longer_answer_shows_full_length_bias(pairs):
    facts = pairs[2]
    scores = judge(lambda prompt: ANSWER[facts[prompt][1]], pairs)
    assert mean(scores, "longer_preferred") == 1.0
    unequal = [s for s in scores if "longer_preferred" in s]
    assert len(unequal) > 400 and mean(unequal, "agreement") == 1.0  # the longer one does not depend on the order
