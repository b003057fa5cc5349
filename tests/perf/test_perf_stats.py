"""Percentiles and rates of benchgate.metrics.serving, checked against numpy and scipy."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from benchgate.metrics.serving import (
    PERCENTILES,
    describe,
    mean,
    median,
    percentile,
    percentiles,
    rate_series,
    window_rate,
)

_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(_floats, min_size=1, max_size=200), st.floats(min_value=0, max_value=100))
def test_percentile_matches_numpy_and_scipy(xs, p):
    ours = percentile(xs, p)
    assert ours == pytest.approx(float(np.percentile(xs, p)), rel=1e-9, abs=1e-6)
    assert ours == pytest.approx(float(sps.scoreatpercentile(xs, p)), rel=1e-9, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.lists(_floats, min_size=1, max_size=200))
def test_percentile_set_mean_median(xs):
    got = percentiles(xs)
    want = np.percentile(xs, PERCENTILES)
    for p, w in zip(PERCENTILES, want):
        assert got[f"p{p}"] == pytest.approx(float(w), rel=1e-9, abs=1e-6)
    assert mean(xs) == pytest.approx(float(np.mean(xs)), rel=1e-9, abs=1e-6)
    assert median(xs) == pytest.approx(float(np.median(xs)), rel=1e-9, abs=1e-6)
    d = describe(xs)
    assert d["count"] == len(xs) and d["min"] == min(xs) and d["max"] == max(xs)


def test_empty_and_bounds():
    assert percentile([], 50) is None and mean([]) is None
    assert percentiles([]) == {f"p{p}": None for p in PERCENTILES}
    with pytest.raises(ValueError):
        percentile([1.0], 101)
    assert set(percentiles([1.0])) == {"p10", "p25", "p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99"}


def test_window_rate_and_series():
    times = [0.1, 0.5, 1.2, 1.9, 2.0]
    assert window_rate(times, None, 0.0, 2.0) == pytest.approx(4 / 2.0)  # 2.0 excluded: [start, end)
    assert window_rate(times, [1, 1, 2, 2, 5], 1.0, 2.0) == pytest.approx(4.0)
    series = rate_series(times, None, 0.0, 2.0, 1.0)
    assert series == [(0.0, 2.0), (1.0, 3.0)]  # the event at exactly `end` counts in the last window
    s = rate_series([0.1, 2.4], None, 0.0, 2.5, 1.0)
    assert [round(v, 6) for _, v in s] == [1.0, 0.0, 2.0]  # the last, half-second window: 1 / 0.5
    assert math.isclose(sum(v * min(1.0, 2.5 - a) for a, v in s), 2.0)
