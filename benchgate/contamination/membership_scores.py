"""Membership scores of one text from its token log-probabilities, and how well a score tells
members from non-members (ROC AUC, TPR at a fixed FPR).

Every score is oriented as in the Min-K%++ authors' code (zjysteven/mink-plus-plus, run.py):
higher means "more likely seen in training".

- min_k (Shi et al., 2023, "Detecting Pretraining Data from Large Language Models"): the mean
  of the k% lowest token log-probabilities (`int(n * k)` tokens, at least one).
- min_k_pp (Zhang et al., 2024, "Min-K%++"): the same over the standardised log-probabilities
  (log p(x_t) - mu_t) / sigma_t, mu_t and sigma_t^2 the mean and variance of log p over the
  vocabulary under the model's next-token distribution at position t.
- zlib: the mean token log-likelihood divided by the length in bytes of the zlib-compressed
  text (Carlini et al., 2021, as both authors' code computes it).
- ppl: the mean token log-likelihood, -log(perplexity).
"""
from __future__ import annotations

import math
import zlib
from typing import Sequence

METHODS = ("min_k", "min_k_pp", "zlib", "ppl")
NEEDS_DISTRIBUTION = frozenset({"min_k_pp"})  # needs the next-token distribution's mean and var


def lowest_mean(values: Sequence[float], k: float) -> float:
    """Mean of the `int(len(values) * k)` smallest values (at least one; the authors' code
    takes `int(n * k)`, which is 0 for texts under 1/k tokens and gives nan there)."""
    if not values:
        raise ValueError("no scored tokens")
    count = max(1, int(len(values) * k))
    return math.fsum(sorted(values)[:count]) / count


def min_k(logprobs: Sequence[float], k: float) -> float:
    """Min-K% Prob: mean of the k% lowest token log-probabilities."""
    return lowest_mean(logprobs, k)


def min_k_pp(logprobs: Sequence[float], mean: Sequence[float], var: Sequence[float], k: float) -> float:
    """Min-K%++: mean of the k% lowest (log p - mu) / sigma. A position whose distribution is
    a point mass (sigma = 0, where the authors' code divides by zero) uses sigma = 1e-6."""
    if not (len(logprobs) == len(mean) == len(var)):
        raise ValueError(f"logprobs, mean and var differ in length ({len(logprobs)}, {len(mean)}, {len(var)})")
    z = [(lp - mu) / math.sqrt(max(v, 1e-12)) for lp, mu, v in zip(logprobs, mean, var)]
    return lowest_mean(z, k)


def mean_logprob(logprobs: Sequence[float]) -> float:
    """Mean token log-likelihood (the `ppl` score; perplexity = exp(-it))."""
    if not logprobs:
        raise ValueError("no scored tokens")
    return math.fsum(logprobs) / len(logprobs)


def zlib_score(logprobs: Sequence[float], text: str) -> float:
    """Mean token log-likelihood / zlib-compressed length of the UTF-8 text in bytes."""
    return mean_logprob(logprobs) / len(zlib.compress(text.encode("utf-8")))


def scores(method_names: Sequence[str], text: str, logprobs: Sequence[float],
           mean: Sequence[float] | None, var: Sequence[float] | None, k: float) -> dict[str, float]:
    """{method: score} of one text."""
    out: dict[str, float] = {}
    for m in method_names:
        if m == "min_k":
            out[m] = min_k(logprobs, k)
        elif m == "min_k_pp":
            if mean is None or var is None:
                raise ValueError("min_k_pp needs the next-token distribution's mean and variance")
            out[m] = min_k_pp(logprobs, mean, var, k)
        elif m == "zlib":
            out[m] = zlib_score(logprobs, text)
        elif m == "ppl":
            out[m] = mean_logprob(logprobs)
        else:
            raise ValueError(f"unknown method {m!r}; one of {', '.join(METHODS)}")
    return out


# ---------------------------------------------------------------- separation of members
def roc_auc(members: Sequence[float], non_members: Sequence[float]) -> float:
    """Area under the ROC curve of "score >= threshold means member": the probability that a
    random member scores higher than a random non-member, ties counted one half (Mann-Whitney
    U / (n_m n_n), what sklearn's roc_auc_score gives), from midranks in O(n log n)."""
    if not members or not non_members:
        raise ValueError("ROC AUC needs at least one member and one non-member")
    pooled = sorted([(s, 1) for s in members] + [(s, 0) for s in non_members], key=lambda t: t[0])
    rank_sum, i = 0.0, 0
    while i < len(pooled):
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        midrank = (i + 1 + j) / 2  # ranks i+1..j share their mean
        rank_sum += midrank * sum(label for _, label in pooled[i:j])
        i = j
    n_m, n_n = len(members), len(non_members)
    return (rank_sum - n_m * (n_m + 1) / 2) / (n_m * n_n)


def tpr_at_fpr(members: Sequence[float], non_members: Sequence[float], max_fpr: float = 0.05) -> float:
    """The highest true-positive rate of a threshold rule "score >= t means member" whose
    false-positive rate is at most `max_fpr` (the Min-K%++ authors' `tpr05`: the ROC point with
    the largest FPR <= 0.05, here over every threshold, none dropped as collinear)."""
    if not members or not non_members:
        raise ValueError("TPR at FPR needs at least one member and one non-member")
    pooled = sorted([(s, 1) for s in members] + [(s, 0) for s in non_members],
                    key=lambda t: t[0], reverse=True)
    best, tp, fp, i = 0.0, 0, 0, 0
    while i < len(pooled):  # lower the threshold one distinct score at a time
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            tp += pooled[j][1]
            fp += 1 - pooled[j][1]
            j += 1
        if fp / len(non_members) <= max_fpr:
            best = tp / len(members)
        else:
            break
        i = j
    return best
