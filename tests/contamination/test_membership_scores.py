"""Membership scores against hand-computed cases and the authors' formulas as their code writes
them (swj0419/detect-pretrain-code src/run.py and src/eval.py; zjysteven/mink-plus-plus run.py),
and ROC AUC / TPR at 5% FPR against a brute-force reference and sklearn."""
from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from benchgate.contamination.membership_scores import (lowest_mean, mean_logprob, min_k, min_k_pp,
                                                       roc_auc, scores, tpr_at_fpr, zlib_score)
from benchgate.models.hf_tokens import distribution_stats


# ---------------------------------------------------------------- hand-computed cases
def test_min_k_hand_computed():
    lps = [-1.0, -5.0, -2.0, -4.0, -3.0]
    assert min_k(lps, 0.4) == -4.5  # int(5 * 0.4) = 2 lowest: -5, -4
    assert min_k(lps, 0.2) == -5.0
    assert min_k(lps, 1.0) == -3.0  # all: the mean log-likelihood
    assert min_k(lps, 0.1) == -5.0  # int(0.5) = 0 tokens: at least one is taken


def test_min_k_pp_hand_computed():
    # z = (lp - mu) / sqrt(var): (-1 + 2) / 2 = 0.5, (-3 + 2) / 1 = -1, (-2 + 1) / 0.5 = -2
    lps, mu, var = [-1.0, -3.0, -2.0], [-2.0, -2.0, -1.0], [4.0, 1.0, 0.25]
    assert min_k_pp(lps, mu, var, 0.34) == -2.0  # int(1.02) = 1 lowest
    assert min_k_pp(lps, mu, var, 0.67) == -1.5  # int(2.01) = 2 lowest: -2, -1
    assert min_k_pp(lps, mu, var, 1.0) == pytest.approx((0.5 - 1 - 2) / 3)
    with pytest.raises(ValueError, match="differ in length"):
        min_k_pp(lps, mu[:2], var, 0.2)


def test_zlib_and_ppl_hand_computed():
    text = "aaaaaaaaaaaaaaaaaaaa"  # 20 bytes; zlib: 2 header + 5 deflate + 4 adler32 bytes
    assert len(zlib.compress(text.encode())) == 11
    assert zlib_score([-1.0, -2.0, -3.0], text) == pytest.approx(-2.0 / 11)
    assert mean_logprob([-1.0, -2.0, -3.0]) == -2.0
    with pytest.raises(ValueError, match="no scored tokens"):
        lowest_mean([], 0.2)


def test_distribution_stats_hand_computed():
    # two positions over a 3-token vocabulary with p = (1/2, 1/4, 1/4) and (1, 0, 0)
    logits = torch.tensor([[math.log(2.0), 0.0, 0.0], [0.0, -math.inf, -math.inf]])
    lp, mu, var = distribution_stats(logits, torch.tensor([1, 0]))
    l2, l4 = math.log(0.5), math.log(0.25)
    mu0 = 0.5 * l2 + 0.5 * l4
    assert lp.tolist() == pytest.approx([l4, 0.0])
    assert mu.tolist() == pytest.approx([mu0, 0.0])
    assert var.tolist() == pytest.approx([0.5 * l2 ** 2 + 0.5 * l4 ** 2 - mu0 ** 2, 0.0], abs=1e-6)


# ---------------------------------------------------------------- the authors' code
def authors_token_stats(logits: torch.Tensor, input_ids: torch.Tensor):
    """zjysteven/mink-plus-plus run.py: token_log_probs of input_ids[1:], mu = sum(probs *
    log_probs) and sigma = sum(probs * log_probs^2) - mu^2 (a variance, square-rooted where it
    is used), from the logits of the whole input."""
    ids = input_ids[0][1:].unsqueeze(-1)
    probs = F.softmax(logits[0, :-1], dim=-1)
    log_probs = F.log_softmax(logits[0, :-1], dim=-1)
    token_log_probs = log_probs.gather(dim=-1, index=ids).squeeze(-1)
    mu = (probs * log_probs).sum(-1)
    sigma = (probs * torch.square(log_probs)).sum(-1) - torch.square(mu)
    return token_log_probs, mu, sigma


def authors_mink_pp_run(logits: torch.Tensor, input_ids: torch.Tensor, text: str, ratio: float) -> dict:
    """zjysteven/mink-plus-plus run.py, its scoring lines on one text (logits of the whole
    input, as `model(input_ids, labels=input_ids)` returns them)."""
    loss = F.cross_entropy(logits[0, :-1], input_ids[0, 1:])
    ll = -loss.item()
    out = {"loss": ll, "zlib": ll / len(zlib.compress(bytes(text, "utf-8")))}
    token_log_probs, mu, sigma = authors_token_stats(logits, input_ids)
    k_length = int(len(token_log_probs) * ratio)
    out["mink"] = np.mean(np.sort(token_log_probs.cpu())[:k_length]).item()
    mink_plus = (token_log_probs - mu) / sigma.sqrt()
    k_length = int(len(mink_plus) * ratio)
    out["mink++"] = np.mean(np.sort(mink_plus.cpu())[:k_length]).item()
    return out


def authors_detect_pretrain(all_prob: list[float], loss: float, text: str, ratio: float) -> dict:
    """swj0419/detect-pretrain-code src/run.py `inference` (target-model scores; its eval.py
    scores ROC with -score, so lower means member there)."""
    p1 = math.exp(loss)
    k_length = int(len(all_prob) * ratio)
    return {"ppl": p1, "ppl/zlib": np.log(p1) / len(zlib.compress(bytes(text, "utf-8"))),
            f"Min_{ratio * 100}% Prob": -np.mean(np.sort(all_prob)[:k_length]).item()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_match_the_authors_code_on_a_small_tensor(seed):
    g = torch.Generator().manual_seed(seed)
    length, vocab, ratio = 23, 50, 0.2
    logits = torch.randn((1, length, vocab), generator=g, dtype=torch.float64) * 3
    input_ids = torch.randint(0, vocab, (1, length), generator=g)
    text = "a sample text of some length " * (seed + 1)
    ref = authors_mink_pp_run(logits, input_ids, text, ratio)
    lp, mu, var = distribution_stats(logits[0, :-1], input_ids[0, 1:])
    ours = scores(["min_k", "min_k_pp", "zlib", "ppl"], text, lp.tolist(), mu.tolist(), var.tolist(), ratio)
    assert ours["min_k"] == pytest.approx(ref["mink"], rel=1e-5)
    assert ours["min_k_pp"] == pytest.approx(ref["mink++"], rel=1e-4)
    assert ours["zlib"] == pytest.approx(ref["zlib"], rel=1e-5)
    assert ours["ppl"] == pytest.approx(ref["loss"], rel=1e-5)
    shi = authors_detect_pretrain(lp.tolist(), -ref["loss"], text, ratio)
    assert ours["min_k"] == pytest.approx(-shi[f"Min_{ratio * 100}% Prob"], rel=1e-5)  # sign flipped
    assert ours["zlib"] == pytest.approx(-shi["ppl/zlib"], rel=1e-5)
    assert math.exp(-ours["ppl"]) == pytest.approx(shi["ppl"], rel=1e-5)


def test_min_k_pp_needs_the_distribution():
    with pytest.raises(ValueError, match="mean and variance"):
        scores(["min_k_pp"], "t", [-1.0], None, None, 0.2)
    with pytest.raises(ValueError, match="unknown method"):
        scores(["loss"], "t", [-1.0], None, None, 0.2)


# ---------------------------------------------------------------- AUC and TPR at 5% FPR
def brute_auc(pos, neg) -> float:
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def brute_tpr(pos, neg, max_fpr) -> float:
    best = 0.0
    for t in sorted(set(pos) | set(neg)) + [math.inf]:
        fpr = sum(n >= t for n in neg) / len(neg)
        if fpr <= max_fpr:
            best = max(best, sum(p >= t for p in pos) / len(pos))
    return best


scores_st = st.lists(st.integers(-6, 6).map(lambda i: i / 2), min_size=1, max_size=40)  # many ties


@given(scores_st, scores_st, st.sampled_from([0.0, 0.05, 0.1, 0.5]))
def test_auc_and_tpr_match_brute_force(pos, neg, max_fpr):
    assert roc_auc(pos, neg) == pytest.approx(brute_auc(pos, neg))
    assert tpr_at_fpr(pos, neg, max_fpr) == pytest.approx(brute_tpr(pos, neg, max_fpr))


@given(scores_st, scores_st)
def test_auc_and_tpr_match_sklearn(pos, neg):
    from sklearn.metrics import roc_auc_score, roc_curve

    labels = [1] * len(pos) + [0] * len(neg)
    if len(set(labels)) < 2:
        return
    assert roc_auc(pos, neg) == pytest.approx(roc_auc_score(labels, pos + neg))
    fpr, tpr, _ = roc_curve(labels, pos + neg, drop_intermediate=False)
    assert tpr_at_fpr(pos, neg, 0.05) == pytest.approx(tpr[np.where(fpr <= 0.05)[0][-1]])


def test_auc_extremes_and_errors():
    assert roc_auc([3, 4], [1, 2]) == 1.0 and roc_auc([1, 2], [3, 4]) == 0.0
    assert roc_auc([1, 1], [1, 1]) == 0.5
    assert tpr_at_fpr([3, 4], [1, 2]) == 1.0
    assert tpr_at_fpr([1], [2]) == 0.0
    with pytest.raises(ValueError, match="member"):
        roc_auc([], [1.0])
    with pytest.raises(ValueError, match="member"):
        tpr_at_fpr([1.0], [])
