"""HFBackend.token_scores on the smoke model: per-token log p and the next-token distribution's
mean and variance of log p, against a plain forward written as the Min-K%++ authors' run.py
computes them (zjysteven/mink-plus-plus), and against loglikelihood_rolling for long texts."""
from __future__ import annotations

import math

import pytest
import torch

from benchgate.models.base import RollingLoglikelihoodRequest, TokenScoresRequest
from tests.contamination.test_membership_scores import authors_token_stats

TEXTS = ["The capital of France is Paris.", "2 + 2 = 4",
         "Which of the following is a prime number?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer: C. 7", "x"]


def authors_stats(model, input_ids: list[int]):
    """One forward of the whole encoded text (BOS first) through `model`, scored as the
    Min-K%++ authors' run.py does (`authors_token_stats`)."""
    ids = torch.tensor(input_ids).unsqueeze(0)
    with torch.no_grad():
        logits = model(ids).logits
    return tuple(t.tolist() for t in authors_token_stats(logits, ids))


def test_token_scores_match_a_plain_forward(backend):
    results = backend.token_scores([TokenScoresRequest(t) for t in TEXTS])
    tok = backend.tokenizer
    for text, res in zip(TEXTS, results):
        ids = [tok.bos_token_id] + tok(text, add_special_tokens=False)["input_ids"]
        lp, mu, var = authors_stats(backend.model, ids)
        assert len(res.logprobs) == len(res.mean) == len(res.var) == len(ids) - 1
        assert res.logprobs == pytest.approx(lp, abs=1e-4)
        assert res.mean == pytest.approx(mu, abs=1e-4)
        assert res.var == pytest.approx(var, abs=1e-3)
        assert all(v >= -1e-6 for v in res.var)


def test_token_scores_sum_to_the_rolling_loglikelihood_across_windows(short_backend):
    long = " ".join(f"word{i}" for i in range(40))  # far more than max_length=16 tokens
    texts = [long, "short one", long[:50]]
    seen = []
    results = short_backend.token_scores([TokenScoresRequest(t) for t in texts], progress=seen.append)
    rolling = short_backend.loglikelihood_rolling([RollingLoglikelihoodRequest(t) for t in texts])
    tok = short_backend.tokenizer
    for text, res, total in zip(texts, results, rolling):
        assert len(res.logprobs) == len(tok(text, add_special_tokens=False)["input_ids"])
        assert math.fsum(res.logprobs) == pytest.approx(total, abs=1e-3)
    assert sum(seen) == len(texts)


def test_empty_text_has_no_tokens(backend):
    assert backend.token_scores([TokenScoresRequest("")])[0].logprobs == ()
