import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchgate.metrics.perplexity import (
    bits_per_byte,
    corpus_perplexities,
    count_bytes,
    count_words,
    perplexities,
    weighted_perplexity,
)

# Kept small so that the whole metrics run stays well under 60 s on 2 cores.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.integers(2, 200_000), st.integers(1, 10_000), st.integers(1, 10_000), st.integers(1, 10_000))
def test_uniform_model_token_perplexity_is_vocab_size(vocab, n_tokens, n_words, n_bytes):
    total = n_tokens * -math.log(vocab)  # every token has probability 1/V
    p = perplexities(total, n_tokens, n_words, n_bytes)
    assert p["token_perplexity"] == pytest.approx(vocab, rel=1e-9)
    log_wppl = n_tokens / n_words * math.log(vocab)
    if log_wppl < 700:
        assert math.log(p["word_perplexity"]) == pytest.approx(log_wppl, rel=1e-9)
    elif log_wppl > 710:
        assert p["word_perplexity"] == math.inf  # beyond the float range: inf, not OverflowError
    assert p["bits_per_byte"] == pytest.approx(n_tokens * math.log2(vocab) / n_bytes, rel=1e-9)
    if p["byte_perplexity"] < math.inf:
        assert p["bits_per_byte"] == pytest.approx(math.log2(p["byte_perplexity"]), rel=1e-9)


def test_overflow_gives_inf():
    assert perplexities(-1e6, 10, 1, 1)["byte_perplexity"] == math.inf
    assert perplexities(-1e6, 10, 1, 1)["bits_per_byte"] == pytest.approx(1e6 / math.log(2))


def test_byte_level_uniform_model():
    # a byte-level model uniform over 256 values: 8 bits per byte, byte perplexity 256
    text = "hello world, ünïcode"
    nb = count_bytes(text)
    p = perplexities(nb * -math.log(256), nb, count_words(text), nb)
    assert p["bits_per_byte"] == pytest.approx(8.0)
    assert p["byte_perplexity"] == pytest.approx(256.0)


def test_corpus_pools_sums_like_lm_eval():
    docs = [(-10.0, 5, 2, 10), (-100.0, 20, 10, 40)]
    c = corpus_perplexities(docs)
    # lm-eval: weighted_perplexity = exp(-sum(ll) / sum(words)); bits_per_byte = -sum(ll)/sum(bytes)/ln 2
    assert c["word_perplexity"] == pytest.approx(math.exp(110 / 12))
    assert c["byte_perplexity"] == pytest.approx(math.exp(110 / 50))
    assert c["token_perplexity"] == pytest.approx(math.exp(110 / 25))
    assert c["bits_per_byte"] == pytest.approx(110 / 50 / math.log(2))
    assert c["n_docs"] == 2
    # pooling is not the mean of per-document perplexities
    per_doc = [perplexities(*d)["word_perplexity"] for d in docs]
    assert abs(c["word_perplexity"] - sum(per_doc) / 2) > 1.0
    assert weighted_perplexity([(-10.0, 2), (-100.0, 10)]) == pytest.approx(c["word_perplexity"])
    assert bits_per_byte([(-10.0, 10), (-100.0, 40)]) == pytest.approx(c["bits_per_byte"])


def test_counts_match_lm_eval():
    assert count_words("a  b\nc") == 3  # len(re.split(r"\s+", doc))
    assert count_words(" a b ") == 4  # leading/trailing whitespace gives empty fields, as lm-eval counts
    assert count_bytes("日本") == 6


@pytest.mark.parametrize(
    "args, msg",
    [
        ((1.5, 10, 2, 10), "must be <= 0"),
        ((float("nan"), 10, 2, 10), "NaN"),
        ((float("-inf"), 10, 2, 10), "infinite"),
        ((-1.0, 0, 2, 10), "n_tokens must be >= 1"),
        ((-1.0, 3, 0, 10), "n_words must be >= 1"),
        ((-1.0, 3, 2, 0), "n_bytes must be >= 1"),
        ((-1.0, 3.5, 2, 1), "n_tokens must be an integer"),
    ],
)
def test_bad_input(args, msg):
    with pytest.raises(ValueError, match=msg):
        perplexities(*args)


def test_corpus_bad_input():
    with pytest.raises(ValueError, match="empty"):
        corpus_perplexities([])
    with pytest.raises(ValueError, match="docs\\[0\\]"):
        corpus_perplexities([(-1.0, 2, 3)])
    with pytest.raises(ValueError, match="total n_words over docs is 0"):
        corpus_perplexities([(-1.0, 2, 0, 3)])
    with pytest.raises(ValueError, match="empty"):
        weighted_perplexity([])
    with pytest.raises(ValueError, match="byte count is 0"):
        bits_per_byte([(-1.0, 0)])
