import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, norm

from benchgate.metrics.significance import (
    PairedTestResult,
    binom_half_pvalue,
    mcnemar_exact,
    paired_bootstrap,
    paired_test,
)

# Kept small so that the whole metrics run stays well under 60 s on 2 cores.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALTS = ["less", "two-sided", "greater"]
pairs01 = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=80)


@SETTINGS
@given(pairs01, st.sampled_from(ALTS))
def test_mcnemar_matches_scipy_binomtest(pairs, alternative):
    base = [p[0] for p in pairs]
    cand = [p[1] for p in pairs]
    r = mcnemar_exact(base, cand, alternative=alternative)
    b = sum(1 for x, y in pairs if x == 1 and y == 0)
    c = sum(1 for x, y in pairs if x == 0 and y == 1)
    assert r.details["b"] == b and r.details["c"] == c
    expected = 1.0 if b + c == 0 else binomtest(c, b + c, 0.5, alternative=alternative).pvalue
    assert r.p_value == pytest.approx(expected, abs=1e-9)
    assert r.effect == pytest.approx(np.mean(cand) - np.mean(base), abs=1e-12)
    assert r.n == len(pairs)
    assert r.test == "mcnemar_exact"


@pytest.mark.parametrize("k, m", [(2400, 5200), (2600, 5001), (0, 6000), (6000, 6000), (3000, 6000), (2900, 6100)])
@pytest.mark.parametrize("alternative", ALTS)
def test_binom_half_pvalue_large_m_matches_scipy(k, m, alternative):
    assert binom_half_pvalue(k, m, alternative) == pytest.approx(
        binomtest(k, m, 0.5, alternative=alternative).pvalue, rel=1e-9, abs=1e-300
    )


@SETTINGS
@given(st.integers(0, 300).flatmap(lambda m: st.tuples(st.integers(0, m), st.just(m))), st.sampled_from(ALTS))
def test_binom_half_pvalue_matches_scipy(km, alternative):
    k, m = km
    expected = 1.0 if m == 0 else binomtest(k, m, 0.5, alternative=alternative).pvalue
    assert binom_half_pvalue(k, m, alternative) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_mcnemar_direction():
    # candidate loses 10 items the baseline had right, gains 1
    base = [1] * 10 + [0] * 1 + [1] * 20
    cand = [0] * 10 + [1] * 1 + [1] * 20
    less = mcnemar_exact(base, cand, "less")
    greater = mcnemar_exact(base, cand, "greater")
    assert less.details == {**less.details, "b": 10, "c": 1, "n_discordant": 11}
    assert less.p_value == pytest.approx(12 / 2**11)  # P(X <= 1), X ~ Bin(11, 1/2)
    assert less.p_value < 0.01 < 0.99 < greater.p_value
    assert less.effect == pytest.approx(-9 / 31)


def test_mcnemar_no_discordant_pairs():
    r = mcnemar_exact([1, 0, 1], [1, 0, 1], "two-sided")
    assert r.p_value == 1.0 and r.effect == 0.0


def test_result_is_frozen():
    r = mcnemar_exact([1, 0], [0, 0])
    assert isinstance(r, PairedTestResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.p_value = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "base, cand, msg",
    [
        ([], [], "empty"),
        ([1, 0], [1], "different lengths"),
        ([1, 0.5], [1, 0], "0/1"),
        ([1, float("nan")], [1, 0], "NaN"),
        ([1, 2], [1, 0], "0/1"),
    ],
)
def test_mcnemar_bad_input(base, cand, msg):
    with pytest.raises(ValueError, match=msg):
        mcnemar_exact(base, cand)


def test_bad_alternative():
    with pytest.raises(ValueError, match="alternative"):
        mcnemar_exact([1], [0], alternative="worse")
    with pytest.raises(ValueError, match="alternative"):
        paired_bootstrap([0.1], [0.2], alternative="lower")


def test_paired_bootstrap_identical_scores_not_significant():
    x = [0.1, 0.7, 0.4, 0.9]
    for alt in ALTS:
        r = paired_bootstrap(x, x, n_boot=200, alternative=alt)
        assert r.p_value == 1.0
        assert r.effect == 0.0


def test_paired_bootstrap_detects_regression():
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 1, size=200)
    cand = base - 0.05 + rng.normal(0, 0.05, size=200)
    less = paired_bootstrap(base, cand, n_boot=2000, alternative="less")
    greater = paired_bootstrap(base, cand, n_boot=2000, alternative="greater")
    assert less.p_value < 0.01
    assert greater.p_value > 0.99
    assert less.effect == pytest.approx(np.mean(cand) - np.mean(base))
    assert less.details["ci_low"] < less.effect < less.details["ci_high"] < 0


@pytest.mark.parametrize("shift", [0.0, 0.01, -0.01, 0.02])
def test_paired_bootstrap_agrees_with_normal_approximation(shift):
    # For a mean of many paired differences the bootstrap null distribution is close to normal
    rng = np.random.default_rng(42)
    base = rng.uniform(0, 1, size=400)
    cand = base + shift + rng.normal(0, 0.1, size=400)
    d = cand - base
    z = d.mean() / (d.std(ddof=0) / math.sqrt(len(d)))
    for alt, ref in (("less", norm.cdf(z)), ("greater", norm.sf(z)), ("two-sided", 2 * norm.sf(abs(z)))):
        r = paired_bootstrap(base, cand, n_boot=4000, seed=1, alternative=alt)
        assert r.p_value == pytest.approx(ref, abs=0.03), alt


def test_paired_bootstrap_seeded():
    rng = np.random.default_rng(5)
    a, b = rng.uniform(size=30), rng.uniform(size=30)
    assert paired_bootstrap(a, b, n_boot=300, seed=1) == paired_bootstrap(a, b, n_boot=300, seed=1)
    assert paired_bootstrap(a, b, n_boot=300, seed=1).p_value != paired_bootstrap(a, b, n_boot=300, seed=2).p_value


@pytest.mark.parametrize(
    "base, cand, msg",
    [([], [], "empty"), ([0.1, 0.2], [0.3], "different lengths"), ([0.1, float("nan")], [0.1, 0.2], "NaN")],
)
def test_paired_bootstrap_bad_input(base, cand, msg):
    with pytest.raises(ValueError, match=msg):
        paired_bootstrap(base, cand)
    with pytest.raises(ValueError, match=msg):
        paired_test(base, cand)


def test_paired_test_dispatch():
    assert paired_test([1, 0, 1, 1], [1, 1, 0, 0]).test == "mcnemar_exact"
    assert paired_test([1.0, 0.0, True, 1], [0, 0, 1, 1]).test == "mcnemar_exact"
    r = paired_test([1, 0, 0.5, 1], [1, 1, 0, 0], n_boot=100)
    assert r.test == "paired_bootstrap"
    assert r.details["n_boot"] == 100
    assert r.details["alternative"] == "less"
