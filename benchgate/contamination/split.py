"""A benchmark's score split into clean and flagged samples (flagged: the n-gram check found
them in the corpus), each with its confidence interval, and a test of the difference."""
from __future__ import annotations

from typing import Sequence

from benchgate.metrics.stats import is_rate, mean_interval, mean_stderr


def _block(values: Sequence[float]) -> dict:
    if not values:
        return {"score": None, "n": 0, "stderr": None, "ci95": None, "ci_method": None}
    mean, stderr = mean_stderr(values)
    low, high, method = mean_interval(values)
    return {"score": mean, "n": len(values), "stderr": stderr, "ci95": [low, high], "ci_method": method}


def difference_test(clean: Sequence[float], flagged: Sequence[float]) -> tuple[str | None, float | None]:
    """(test name, two-sided p-value) for flagged vs clean: Fisher's exact test on the 2x2 table
    of correct/wrong when both are rates (exact for the few flagged samples a check usually
    finds), else Welch's t-test (unequal variances). (None, None) when a side is empty, or
    Welch's test has fewer than 2 values on a side."""
    if not clean or not flagged:
        return None, None
    # imported here: every run imports this module (the engine's controller), few use the test,
    # and scipy.stats costs 0.7-1.7 s of start-up (as in metrics/stats.py)
    from scipy import stats as scipy_stats

    if is_rate(clean) and is_rate(flagged):
        a, b = int(sum(flagged)), int(sum(clean))
        table = [[a, len(flagged) - a], [b, len(clean) - b]]
        return "fisher_exact", float(scipy_stats.fisher_exact(table).pvalue)
    if len(clean) < 2 or len(flagged) < 2:
        return None, None
    result = scipy_stats.ttest_ind(flagged, clean, equal_var=False)
    p = float(result.pvalue)
    return "welch_t", (1.0 if p != p else p)  # nan: both sides constant and equal


def split_scores(clean: Sequence[float], flagged: Sequence[float], alpha: float = 0.05) -> dict:
    """{clean, flagged: {score, n, stderr, ci95, ci_method}, difference (flagged - clean),
    test, p_value, significant}."""
    c, f = _block(clean), _block(flagged)
    test, p = difference_test(clean, flagged)
    diff = None if c["score"] is None or f["score"] is None else f["score"] - c["score"]
    return {"clean": c, "flagged": f, "difference": diff, "test": test, "p_value": p,
            "alpha": alpha, "significant": None if p is None else p < alpha}
