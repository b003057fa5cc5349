"""The `oracle` and `wrong` built-ins: wrong must lose on every request kind, whatever the
benchmark's choice lengths, and share nothing with any reference answer."""
import math

from hypothesis import given, strategies as st

from benchgate.extract import extract_choice, extract_last_number, extract_number
from benchgate.math_equiv import extract_math_answer
from benchgate.models.base import GenerateRequest, Loglikelihood, LoglikelihoodRequest, RollingLoglikelihoodRequest
from benchgate.models.builtin import OracleBackend, WrongBackend
from benchgate.multiple_choice import pick

RIGHT, WRONG = Loglikelihood(0.0, True), Loglikelihood(-10.0, False)


@given(st.lists(st.text(min_size=1, max_size=300), min_size=2, max_size=6), st.data())
def test_wrong_never_picks_the_gold_choice_by_acc_or_acc_norm(choices, data):
    gold = data.draw(st.integers(0, len(choices) - 1))
    requests = [LoglikelihoodRequest("ctx", f" {c}", oracle=RIGHT if i == gold else WRONG)
                for i, c in enumerate(choices)]
    best, best_norm = pick(WrongBackend().loglikelihood(requests), choices)
    assert best != gold and best_norm != gold
    oracle_best, oracle_norm = pick(OracleBackend().loglikelihood(requests), choices)
    assert oracle_best == gold and oracle_norm == gold


def test_wrong_probability_mass_on_the_gold_answers_is_exactly_zero():
    requests = [LoglikelihoodRequest("q", f" a{i}", oracle=RIGHT if i < 3 else WRONG) for i in range(7)]
    lls = [o.logprob for o in WrongBackend().loglikelihood(requests)]
    probs = [math.exp(v - max(lls)) for v in lls]  # the mc2 computation
    assert sum(probs[:3]) == 0.0 and sum(probs[3:]) == 4.0


@given(st.text(min_size=1, max_size=200))
def test_wrong_rolling_loglikelihood_is_ten_nats_per_byte_below_the_oracle(text):
    request = RollingLoglikelihoodRequest(text, oracle=0.0)
    (wrong,) = WrongBackend().loglikelihood_rolling([request])
    (oracle,) = OracleBackend().loglikelihood_rolling([request])
    n_bytes = len(text.encode("utf-8"))
    assert oracle == 0.0 and wrong == -10.0 * n_bytes
    assert math.exp(-wrong / n_bytes) > 20000  # byte perplexity e^10, the oracle's is 1


def test_wrong_generation_carries_no_answer_of_any_extractor():
    (text,) = [g.text for g in WrongBackend().generate([GenerateRequest("Question: 2+2?\nAnswer:", oracle=" 4")])]
    assert extract_number(text) is None and extract_last_number(text) is None
    assert extract_choice(text) is None and extract_math_answer(text) is None
    assert "answer" not in text.lower() and not any(ch.isdigit() or ch.isupper() for ch in text)
