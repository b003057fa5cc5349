"""The score drop of a perturbed run against its clean run, with a paired test."""
from __future__ import annotations

from typing import Sequence

from benchgate.metrics.significance import paired_test

CLEAN = "_clean"  # per-sample key suffix of a metric's value on the unperturbed sample


def robustness_metrics(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """For every metric m that has a clean counterpart m_clean on each sample:
    `m_drop` = mean(m_clean) - mean(m) (positive: the perturbation hurt) and `m_drop_p_value`,
    the one-sided paired test that the perturbed scores are lower (McNemar's exact test for 0/1
    scores, a paired bootstrap otherwise; benchgate.metrics.significance.paired_test)."""
    out: dict[str, float] = {}
    if not scores:
        return out
    metrics = [k[: -len(CLEAN)] for k in scores[0] if k.endswith(CLEAN) and not k.startswith("_")]
    for m in metrics:
        pairs = [(s[m + CLEAN], s[m]) for s in scores if m in s and m + CLEAN in s]
        if len(pairs) != len(scores):
            continue
        clean = [float(c) for c, _ in pairs]
        perturbed = [float(p) for _, p in pairs]
        result = paired_test(clean, perturbed, alternative="less")
        out[f"{m}_drop"] = -result.effect
        out[f"{m}_drop_p_value"] = result.p_value
    return out
