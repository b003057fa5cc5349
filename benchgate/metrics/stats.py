"""Means, standard errors, confidence intervals and group averages.

Conventions (as lm-evaluation-harness):

* ``mean_stderr`` is the sample standard deviation (ddof=1) divided by sqrt(n); 0.0 for n == 1.
* ``bootstrap_stderr`` is the sample standard deviation (ddof=1) of the statistic over bootstrap
  resamples, for metrics that are not a mean of per-sample scores (BLEU, F1 over a corpus, ...).
* Micro average: every sample weighs the same (groups weighted by their size); this is
  lm-evaluation-harness's MMLU group score and EvalScope's "weighted_avg".
* Macro average: every group weighs the same (mean of the group means).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from ._validate import as_float_array, check_finite, check_int, check_level

T = TypeVar("T")

__all__ = [
    "mean",
    "mean_stderr",
    "confidence_interval",
    "wilson_interval",
    "is_rate",
    "mean_interval",
    "bootstrap_stderr",
    "bootstrap_ci",
    "bootstrap_stderr_items",
    "micro_average",
    "macro_average",
    "aggregate_groups",
]


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; ValueError on empty input or NaN."""
    arr = as_float_array(values)
    return float(arr.mean())


def mean_stderr(values: Sequence[float]) -> tuple[float, float]:
    """Return ``(mean, standard error of the mean)``.

    stderr = sample std (ddof=1) / sqrt(n), as lm-evaluation-harness ``mean_stderr``;
    0.0 when n == 1. ValueError on empty input or NaN.
    """
    arr = as_float_array(values)
    n = arr.size
    m = float(arr.mean())
    if n == 1:
        return m, 0.0
    return m, float(arr.std(ddof=1) / math.sqrt(n))


def _z(level: float) -> float:
    level = check_level(level)
    if level == 0.95:  # the common case, without importing scipy (0.7 s) on every run
        return 1.959963984540054
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2.0))


def confidence_interval(mean: float, stderr: float, level: float = 0.95) -> tuple[float, float]:
    """Normal-approximation confidence interval ``mean -/+ z * stderr`` (z = 1.95996... at 95%)."""
    m = check_finite(mean, "mean")
    se = check_finite(stderr, "stderr")
    if se < 0:
        raise ValueError(f"stderr must be >= 0, got {se}")
    half = _z(level) * se
    return m - half, m + half


def wilson_interval(successes: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n (no continuity correction; scipy's
    ``binomtest(k, n).proportion_ci(method="wilson")``): always inside [0, 1] and around k/n,
    unlike the normal interval, which leaves [0, 1] for rates near 0 or 1 on few samples."""
    n = check_int(n, "n", minimum=1)
    k = check_finite(successes, "successes")
    if not 0 <= k <= n:
        raise ValueError(f"successes must be in [0, n={n}], got {k}")
    z = _z(level)
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # exact in real numbers: 0 <= low <= k/n <= high <= 1 (low = 0 at k = 0, high = 1 at k = n);
    # the clamps keep rounding (1 - 1e-16 at k = n) from breaking it
    return min(max(0.0, center - half), p), max(min(1.0, center + half), p)


def is_rate(values: Sequence[float]) -> bool:
    """Whether per-sample values are outcomes of a proportion: every value is 0 or 1."""
    return len(values) > 0 and all(v == 0.0 or v == 1.0 for v in values)


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, str]:
    """(low, high, method) of the mean of per-sample values: Wilson for a rate (``is_rate``),
    else the normal interval ``mean -/+ z * mean_stderr``."""
    if is_rate(values):
        return (*wilson_interval(float(sum(values)), len(values), level), "wilson")
    m, se = mean_stderr(values)
    return (*confidence_interval(m, se, level), "normal")


def _bootstrap_stats(
    values: Sequence[float], statistic: Callable[[np.ndarray], float], n_boot: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    arr = as_float_array(values)
    n_boot = check_int(n_boot, "n_boot", minimum=2)
    if not callable(statistic):
        raise ValueError("statistic must be a callable taking a 1-d array and returning a number")
    rng = np.random.default_rng(seed)
    n = arr.size
    out = np.empty(n_boot, dtype=np.float64)
    for i in range(n_boot):
        out[i] = float(statistic(arr[rng.integers(0, n, size=n)]))
    if np.isnan(out).any():
        raise ValueError("statistic returned NaN on a bootstrap resample")
    return arr, out


def bootstrap_stderr(
    values: Sequence[float],
    statistic: Callable[[np.ndarray], float] = np.mean,
    n_boot: int = 1000,
    seed: int = 0,
) -> float:
    """Bootstrap standard error of ``statistic(values)``.

    Draws ``n_boot`` resamples of ``values`` with replacement (numpy ``default_rng(seed)``) and
    returns the sample standard deviation (ddof=1) of the statistic over them. Use this where the
    metric is not a mean; for a mean, ``mean_stderr`` is exact and cheaper.
    """
    arr, boot = _bootstrap_stats(values, statistic, n_boot, seed)
    if arr.size == 1:
        return 0.0
    return float(boot.std(ddof=1))


def bootstrap_stderr_items(
    items: Sequence[T],
    statistic: Callable[[list[T]], float],
    n_boot: int = 1000,
    seed: int = 0,
) -> float:
    """Bootstrap standard error of a corpus-level statistic over arbitrary items.

    For metrics computed from whole resampled corpora, e.g. ``lambda pairs: corpus_bleu(...)``
    over (hypothesis, reference) pairs, as lm-evaluation-harness does for BLEU. ``statistic``
    receives a list of resampled items. Same resampling draws as ``bootstrap_stderr`` for the
    same ``seed`` and length.
    """
    if isinstance(items, (str, bytes)):
        raise ValueError("items must be a sequence, got a str")
    lst = list(items)
    if not lst:
        raise ValueError("items is empty")
    n_boot = check_int(n_boot, "n_boot", minimum=2)
    if not callable(statistic):
        raise ValueError("statistic must be a callable taking a list of items and returning a number")
    rng = np.random.default_rng(seed)
    n = len(lst)
    out = np.empty(n_boot, dtype=np.float64)
    for i in range(n_boot):
        out[i] = float(statistic([lst[j] for j in rng.integers(0, n, size=n)]))
    if np.isnan(out).any():
        raise ValueError("statistic returned NaN on a bootstrap resample")
    return 0.0 if n == 1 else float(out.std(ddof=1))


def bootstrap_ci(
    values: Sequence[float],
    statistic: Callable[[np.ndarray], float] = np.mean,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``statistic(values)``."""
    lv = check_level(level)
    _, boot = _bootstrap_stats(values, statistic, n_boot, seed)
    lo, hi = np.quantile(boot, [(1 - lv) / 2, (1 + lv) / 2])
    return float(lo), float(hi)


def _check_groups(groups: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
    if not isinstance(groups, Mapping):
        raise ValueError(f"groups must be a mapping of group name -> scores, got {type(groups).__name__}")
    if len(groups) == 0:
        raise ValueError("groups is empty")
    return {str(k): as_float_array(v, f"groups[{k!r}]") for k, v in groups.items()}


def micro_average(groups: Mapping[str, Sequence[float]]) -> float:
    """Micro average: mean over all samples pooled (each group weighted by its size)."""
    g = _check_groups(groups)
    total = sum(float(a.sum()) for a in g.values())
    count = sum(a.size for a in g.values())
    return total / count


def macro_average(groups: Mapping[str, Sequence[float]]) -> float:
    """Macro average: unweighted mean of the per-group means."""
    g = _check_groups(groups)
    return float(np.mean([a.mean() for a in g.values()]))


def aggregate_groups(groups: Mapping[str, Sequence[float]], level: float = 0.95) -> dict[str, float]:
    """Micro and macro averages with standard errors and normal confidence intervals.

    micro_stderr is ``mean_stderr`` of the pooled samples; macro_stderr is
    sqrt(sum_g se_g^2) / G (groups independent, each mean with its own ``mean_stderr``).
    """
    g = _check_groups(groups)
    pooled = np.concatenate(list(g.values()))
    micro, micro_se = mean_stderr(pooled)
    per = [mean_stderr(a) for a in g.values()]
    macro = float(np.mean([m for m, _ in per]))
    macro_se = math.sqrt(sum(se * se for _, se in per)) / len(per)
    micro_ci = confidence_interval(micro, micro_se, level)
    macro_ci = confidence_interval(macro, macro_se, level)
    return {
        "micro": micro,
        "micro_stderr": micro_se,
        "micro_ci_low": micro_ci[0],
        "micro_ci_high": micro_ci[1],
        "macro": macro,
        "macro_stderr": macro_se,
        "macro_ci_low": macro_ci[0],
        "macro_ci_high": macro_ci[1],
        "n": int(pooled.size),
        "n_groups": len(g),
    }
