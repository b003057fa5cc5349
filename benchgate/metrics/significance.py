"""Paired significance tests for regression gates.

Both tests compare a *candidate* run with a *baseline* run on the same samples (paired, same
order). ``effect`` is always ``mean(candidate) - mean(baseline)``: negative means the candidate
scores lower. ``alternative`` names the direction of the candidate relative to the baseline:

* ``"less"``      H1: the candidate is worse (the regression gate's question; the default),
* ``"greater"``   H1: the candidate is better,
* ``"two-sided"`` H1: they differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ._validate import as_float_array, check_alternative, check_int, check_same_length

__all__ = ["PairedTestResult", "mcnemar_exact", "paired_bootstrap", "paired_test", "binom_half_pvalue"]

# Discordant-pair counts up to this size get an exact rational computation; above it scipy's
# binomial CDF (regularised incomplete beta, relative accuracy ~1e-14) is used.
_EXACT_LIMIT = 5000


@dataclass(frozen=True)
class PairedTestResult:
    """Result of a paired test: p-value, effect = mean(candidate) - mean(baseline), n pairs."""

    test: str
    p_value: float
    effect: float
    n: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def significant(self) -> bool:  # pragma: no cover - trivial convenience
        """True when p_value < 0.05."""
        return self.p_value < 0.05


def _paired_arrays(baseline: Sequence[float], candidate: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    b = as_float_array(baseline, "baseline")
    c = as_float_array(candidate, "candidate")
    check_same_length(b, c, "baseline", "candidate")
    return b, c


def _binom_half_cdf(k: int, m: int) -> float:
    """P(X <= k) for X ~ Binomial(m, 1/2)."""
    if k < 0:
        return 0.0
    if k >= m:
        return 1.0
    if m <= _EXACT_LIMIT:
        term = 1  # C(m, 0)
        total = 1
        for i in range(k):
            term = term * (m - i) // (i + 1)
            total += term
        return float(Fraction(total, 1 << m))
    from scipy.stats import binom

    return float(binom.cdf(k, m, 0.5))


def binom_half_pvalue(k: int, m: int, alternative: str = "two-sided") -> float:
    """Exact binomial test p-value for ``k`` successes in ``m`` trials under p = 1/2.

    "less": P(X <= k); "greater": P(X >= k); "two-sided": min(1, 2 * min of the two tails),
    which for p = 1/2 equals the sum of the probabilities of outcomes no likelier than ``k``
    (scipy.stats.binomtest's definition).
    """
    check_alternative(alternative)
    m = check_int(m, "m", minimum=0)
    k = check_int(k, "k", minimum=0)
    if k > m:
        raise ValueError(f"k must be <= m, got k={k}, m={m}")
    if m == 0:
        return 1.0
    lower = _binom_half_cdf(k, m)
    upper = _binom_half_cdf(m - k, m)  # P(X >= k) = P(X <= m - k) by symmetry at p = 1/2
    if alternative == "less":
        return min(1.0, lower)
    if alternative == "greater":
        return min(1.0, upper)
    return min(1.0, 2.0 * min(lower, upper))


def mcnemar_exact(
    baseline: Sequence[float], candidate: Sequence[float], alternative: str = "less"
) -> PairedTestResult:
    """McNemar's exact test for paired 0/1 scores.

    b = #(baseline right, candidate wrong), c = #(baseline wrong, candidate right). Under H0 the
    discordant pairs split 50/50, so c ~ Binomial(b + c, 1/2); the p-value is the exact binomial
    test of c with the given ``alternative`` ("less": candidate worse, i.e. c small). With no
    discordant pairs the p-value is 1.0.
    """
    check_alternative(alternative)
    base, cand = _paired_arrays(baseline, candidate)
    for name, arr in (("baseline", base), ("candidate", cand)):
        bad = ~np.isin(arr, (0.0, 1.0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"mcnemar_exact needs 0/1 scores; {name}[{i}] = {arr[i]!r}")
    b = int(np.sum((base == 1) & (cand == 0)))
    c = int(np.sum((base == 0) & (cand == 1)))
    p = binom_half_pvalue(c, b + c, alternative)
    n = int(base.size)
    return PairedTestResult(
        test="mcnemar_exact",
        p_value=p,
        effect=float(cand.mean() - base.mean()),
        n=n,
        details={
            "b": b,
            "c": c,
            "n_discordant": b + c,
            "alternative": alternative,
            "mean_baseline": float(base.mean()),
            "mean_candidate": float(cand.mean()),
        },
    )


def paired_bootstrap(
    baseline: Sequence[float],
    candidate: Sequence[float],
    n_boot: int = 10000,
    seed: int = 0,
    alternative: str = "less",
    level: float = 0.95,
) -> PairedTestResult:
    """Paired bootstrap test on per-sample differences d = candidate - baseline.

    Resamples the n pairs with replacement ``n_boot`` times (numpy ``default_rng(seed)``) and
    centres the bootstrap means at zero to obtain the null distribution T* = mean(d*) - mean(d).
    p-values use the +1 correction: "less": (1 + #{T* <= effect}) / (n_boot + 1), "greater":
    (1 + #{T* >= effect}) / (n_boot + 1), "two-sided": (1 + #{|T*| >= |effect|}) / (n_boot + 1).
    details has the percentile CI of the effect at ``level`` and the bootstrap stderr.
    """
    check_alternative(alternative)
    n_boot = check_int(n_boot, "n_boot", minimum=1)
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    base, cand = _paired_arrays(baseline, candidate)
    d = cand - base
    n = int(d.size)
    effect = float(d.mean())
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot, dtype=np.float64)
    chunk = max(1, min(n_boot, 2_000_000 // max(n, 1)))
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        boot[start:stop] = d[idx].mean(axis=1)
    null = boot - effect
    # Tolerance for floating noise so that exact ties (e.g. all-zero differences) count as ties.
    eps = 1e-12 * max(1.0, float(np.abs(d).max()))
    if alternative == "less":
        hits = int(np.sum(null <= effect + eps))
    elif alternative == "greater":
        hits = int(np.sum(null >= effect - eps))
    else:
        hits = int(np.sum(np.abs(null) >= abs(effect) - eps))
    p = (1 + hits) / (n_boot + 1)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return PairedTestResult(
        test="paired_bootstrap",
        p_value=float(min(1.0, p)),
        effect=effect,
        n=n,
        details={
            "n_boot": n_boot,
            "seed": seed,
            "alternative": alternative,
            "ci_low": float(lo),
            "ci_high": float(hi),
            "level": float(level),
            "stderr": float(boot.std(ddof=1)) if n_boot > 1 else 0.0,
            "mean_baseline": float(base.mean()),
            "mean_candidate": float(cand.mean()),
        },
    )


def paired_test(
    baseline: Sequence[float],
    candidate: Sequence[float],
    alternative: str = "less",
    n_boot: int = 10000,
    seed: int = 0,
) -> PairedTestResult:
    """McNemar's exact test when every score is 0 or 1, the paired bootstrap otherwise."""
    check_alternative(alternative)
    base, cand = _paired_arrays(baseline, candidate)
    if np.isin(base, (0.0, 1.0)).all() and np.isin(cand, (0.0, 1.0)).all():
        return mcnemar_exact(base, cand, alternative=alternative)
    return paired_bootstrap(base, cand, n_boot=n_boot, seed=seed, alternative=alternative)
