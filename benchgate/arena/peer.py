"""Peer review: agreement between judges, and reviewer weights from their own standing.

Agreement (FastChat `compute_agreement.py` counts agreement; Cohen's kappa corrects it for
chance): for every pair of judges, over the matches both judged, ``agreement`` = share of equal
verdicts and ``cohen_kappa`` = (p_o - p_e) / (1 - p_e), p_e = sum over labels of the product of
the two judges' label shares (null when p_e = 1).

Peer Rank (Li et al. 2023, "PRD: Peer Rank and Discussion Improve Large Language Model based
Evaluations", sec. 3.1): a reviewer's weight is its own standing as a contestant. Start with
equal weights; a contestant's standing is its weighted win rate (wins + half ties, each battle
weighted by its reviewer's weight; single mode: its weighted mean score); the new weights are
the reviewers' standings scaled to mean 1; repeat until the weights stop changing.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Hashable, Sequence

from benchgate.arena.battles import Battle, Score


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items (None when chance agreement is 1)."""
    if len(a) != len(b) or not a:
        raise ValueError("cohen_kappa needs two equally long, non-empty label lists")
    n = len(a)
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = defaultdict(int), defaultdict(int)
    for x in a:
        ca[x] += 1
    for y in b:
        cb[y] += 1
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if pe >= 1.0:
        return None
    return (po - pe) / (1.0 - pe)


def agreement(labels: dict[Hashable, dict[str, Hashable]]) -> dict | None:
    """{'pairs': [{judge_a, judge_b, n, agreement, cohen_kappa}]} from {match: {judge: label}};
    None with fewer than two judges."""
    judges = sorted({j for per in labels.values() for j in per})
    if len(judges) < 2:
        return None
    pairs = []
    for ja, jb in combinations(judges, 2):
        both = [(per[ja], per[jb]) for per in labels.values() if ja in per and jb in per]
        if not both:
            pairs.append({"judge_a": ja, "judge_b": jb, "n": 0, "agreement": None, "cohen_kappa": None})
            continue
        xs, ys = [x for x, _ in both], [y for _, y in both]
        pairs.append({"judge_a": ja, "judge_b": jb, "n": len(both),
                      "agreement": sum(x == y for x, y in both) / len(both),
                      "cohen_kappa": cohen_kappa(xs, ys)})
    return {"pairs": pairs}


def _standing(items: Sequence[Battle] | Sequence[Score], weights: dict[str, float],
              single: bool) -> dict[str, float]:
    got: dict[str, float] = defaultdict(float)
    tot: dict[str, float] = defaultdict(float)
    for it in items:
        w = weights.get(it.judge, 1.0)
        if single:
            got[it.model] += w * it.score
            tot[it.model] += w
        else:
            sa = 1.0 if it.winner == "model_a" else 0.0 if it.winner == "model_b" else 0.5
            got[it.model_a] += w * sa
            got[it.model_b] += w * (1.0 - sa)
            tot[it.model_a] += w
            tot[it.model_b] += w
    return {m: got[m] / tot[m] for m in tot if tot[m] > 0}


def peer_rank_weights(items: Sequence[Battle] | Sequence[Score], single: bool,
                      max_iter: int = 200, tol: float = 1e-12) -> tuple[dict[str, float], int]:
    """Reviewer weights by Peer Rank (module docstring) and the iterations it took. A reviewer
    that is not a contestant (or has no standing) keeps weight 1."""
    judges = sorted({it.judge for it in items if it.judge is not None})
    weights = {j: 1.0 for j in judges}
    for iteration in range(1, max_iter + 1):
        standing = _standing(items, weights, single)
        raw = {j: standing.get(j) for j in judges}
        known = [v for v in raw.values() if v is not None]
        mean = sum(known) / len(known) if known else 0.0
        new = {j: (v / mean if v is not None and mean > 0 else 1.0) for j, v in raw.items()}
        change = max((abs(new[j] - weights[j]) for j in judges), default=0.0)
        weights = new
        if change <= tol:
            return weights, iteration
    return weights, max_iter
