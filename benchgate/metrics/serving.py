"""Serving (load-test) statistics: pure functions, no I/O.

Percentile method
-----------------
``percentile(values, p)`` is linear interpolation between closest ranks, Hyndman & Fan type 7,
the default of ``numpy.percentile`` (``method="linear"``) and of
``scipy.stats.scoreatpercentile`` (``interpolation_method="fraction"``), and what vLLM
``bench serve`` and EvalScope perf report (both call numpy). For sorted values x[0..n-1]::

    h = (n - 1) * p / 100;  lo = floor(h)
    percentile = x[lo] + (h - lo) * (x[lo + 1] - x[lo])      (x[n-1] when lo == n-1)

``PERCENTILES`` is the set the reports print: 10, 25, 50, 66, 75, 80, 90, 95, 98, 99.
An empty input gives ``None`` (reported as "n/a"), never an exception or NaN.

Throughput over a wall-clock window
-----------------------------------
``window_rate(times, weights, start, end)`` = sum of the weights of events with
``start <= t < end`` divided by ``end - start``: e.g. output tokens per second over the run
(events = chunk arrivals weighted by their tokens) or completed requests per second.
``rate_series`` cuts ``[start, end)`` into equal windows for the throughput-over-time plot.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

PERCENTILES: tuple[int, ...] = (10, 25, 50, 66, 75, 80, 90, 95, 98, 99)

__all__ = [
    "PERCENTILES",
    "mean",
    "median",
    "percentile",
    "percentiles",
    "window_rate",
    "rate_series",
    "describe",
]


def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean; ``None`` for an empty input."""
    total = 0.0
    n = 0
    for v in values:
        total += v
        n += 1
    return total / n if n else None


def _percentile_sorted(xs: Sequence[float], p: float) -> float:
    n = len(xs)
    if n == 1:
        return float(xs[0])
    h = (n - 1) * p / 100.0
    lo = math.floor(h)
    if lo >= n - 1:
        return float(xs[-1])
    frac = h - lo
    a, b = xs[lo], xs[lo + 1]
    # a + frac*(b-a) is numpy's formula; keep it identical so results match to the last ulp-ish.
    return float(a + frac * (b - a))


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0 <= p <= 100) by linear interpolation (numpy's default)."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {p}")
    xs = sorted(values)
    return _percentile_sorted(xs, p) if xs else None


def median(values: Iterable[float]) -> float | None:
    """The 50th percentile; ``None`` for an empty input."""
    return percentile(values, 50)


def percentiles(values: Iterable[float], ps: Sequence[float] = PERCENTILES) -> dict[str, float | None]:
    """``{"p10": ..., "p25": ..., ...}`` with one sort for all of ``ps``."""
    xs = sorted(values)
    return {f"p{_pname(p)}": (_percentile_sorted(xs, p) if xs else None) for p in ps}


def _pname(p: float) -> str:
    return str(int(p)) if float(p).is_integer() else str(p)


def describe(values: Iterable[float], ps: Sequence[float] = PERCENTILES) -> dict[str, float | int | None]:
    """count, mean, min, max and the percentiles of ``values`` in one dict."""
    xs = sorted(values)
    out: dict[str, float | int | None] = {
        "count": len(xs),
        "mean": (math.fsum(xs) / len(xs)) if xs else None,
        "min": float(xs[0]) if xs else None,
        "max": float(xs[-1]) if xs else None,
    }
    for p in ps:
        out[f"p{_pname(p)}"] = _percentile_sorted(xs, p) if xs else None
    return out


def window_rate(times: Sequence[float], weights: Sequence[float] | None, start: float, end: float) -> float:
    """Sum of weights of events in ``[start, end)`` per second (weight 1 per event if None)."""
    if end <= start:
        raise ValueError(f"empty window [{start}, {end})")
    if weights is None:
        total = float(sum(1 for t in times if start <= t < end))
    else:
        if len(weights) != len(times):
            raise ValueError("times and weights differ in length")
        total = math.fsum(w for t, w in zip(times, weights) if start <= t < end)
    return total / (end - start)


def rate_series(
    times: Sequence[float], weights: Sequence[float] | None, start: float, end: float, window: float
) -> list[tuple[float, float]]:
    """Rates over consecutive windows of ``window`` seconds: ``[(window_start, rate), ...]``.

    The last window may be shorter; its rate is divided by its real length. An event at exactly
    ``end`` is counted in the last window (so the run's final completion is not lost).
    """
    if window <= 0:
        raise ValueError("window must be > 0")
    if end <= start:
        return []
    n = max(1, math.ceil((end - start) / window - 1e-12))
    sums = [0.0] * n
    ws = weights if weights is not None else [1.0] * len(times)
    for t, w in zip(times, ws):
        if t < start or t > end:
            continue
        i = min(int((t - start) / window), n - 1)
        sums[i] += w
    out = []
    for i in range(n):
        a = start + i * window
        b = min(end, a + window)
        out.append((a, sums[i] / (b - a) if b > a else 0.0))
    return out
