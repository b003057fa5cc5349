"""Agreement of a judge with gold labels, and of raters with each other (judge benchmarks,
panels of judges).

- `classification_report`: accuracy and macro precision/recall/F1 over given classes as
  scikit-learn's `precision_recall_fscore_support(average="macro")` (which compute_metrics.py
  calls): a class never predicted has precision 0, a class never in the gold recall 0, F1 the
  per-class harmonic mean (0 when P + R = 0), averaged over the classes. A prediction outside
  the classes (a parse failure) is wrong and lowers its gold class's recall.
- `cohen_kappa`: Cohen's kappa of two label sequences; `fleiss_kappa`: Fleiss' kappa of
  several raters' labels per item; `pairwise_agreement`: mean share of rater pairs that agree.
"""
from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Hashable, Sequence


def classification_report(gold: Sequence[Hashable], pred: Sequence[Hashable],
                          classes: Sequence[Hashable]) -> dict[str, float]:
    """Accuracy and macro precision, recall and F1 over `classes` (see module doc)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    if not gold:
        return {}
    precisions, recalls, f1s = [], [], []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, pred) if g == c and p == c)
        predicted = sum(1 for p in pred if p == c)
        actual = sum(1 for g in gold if g == c)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        precisions.append(precision)
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    k = len(classes)
    return {"acc": sum(g == p for g, p in zip(gold, pred)) / len(gold),
            "macro_precision": sum(precisions) / k, "macro_recall": sum(recalls) / k,
            "macro_f1": sum(f1s) / k}


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two label sequences (1 = perfect, 0 = chance); None when chance
    agreement is 1 (both always give one and the same label)."""
    n = len(a)
    if n == 0 or n != len(b):
        raise ValueError(f"cohen_kappa needs two equally long, non-empty sequences ({len(a)}, {len(b)})")
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa of items each rated by the same number (>= 2) of raters; None when the
    expected agreement is 1."""
    if not ratings:
        raise ValueError("fleiss_kappa needs at least one item")
    m = len(ratings[0])
    if m < 2 or any(len(r) != m for r in ratings):
        raise ValueError("fleiss_kappa needs the same number (>= 2) of ratings per item")
    n = len(ratings)
    totals: Counter = Counter()
    p_items = 0.0
    for row in ratings:
        counts = Counter(row)
        totals.update(counts)
        p_items += (sum(c * c for c in counts.values()) - m) / (m * (m - 1))
    p_bar = p_items / n
    p_e = sum((t / (n * m)) ** 2 for t in totals.values())
    if p_e == 1:
        return None
    return (p_bar - p_e) / (1 - p_e)


def pairwise_agreement(ratings: Sequence[Sequence[Hashable]]) -> float:
    """The share of (item, rater pair) with equal labels."""
    pairs = [x == y for row in ratings for x, y in combinations(row, 2)]
    if not pairs:
        raise ValueError("pairwise_agreement needs items with at least two ratings")
    return sum(pairs) / len(pairs)
