import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from benchgate.metrics import stats
from benchgate.metrics.stats import (
    aggregate_groups,
    bootstrap_ci,
    bootstrap_stderr,
    bootstrap_stderr_items,
    confidence_interval,
    macro_average,
    mean_stderr,
    micro_average,
)

# Kept small so that the whole metrics run stays well under 60 s on 2 cores.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def test_mean_stderr_known_values():
    m, se = mean_stderr([1, 0, 1, 1])
    assert m == 0.75
    # sample std (ddof=1) = 0.5, / sqrt(4) = 0.25
    assert se == pytest.approx(0.25, abs=1e-15)


def test_mean_stderr_single_value_has_zero_stderr():
    assert mean_stderr([0.3]) == (0.3, 0.0)


@SETTINGS
@given(st.lists(finite, min_size=2, max_size=50))
def test_mean_stderr_matches_scipy_sem(values):
    m, se = mean_stderr(values)
    assert m == pytest.approx(float(np.mean(values)), rel=1e-9, abs=1e-9)
    assert se == pytest.approx(float(sps.sem(values, ddof=1)), rel=1e-9, abs=1e-9)


def test_mean_stderr_matches_lm_eval_formula():
    # lm-evaluation-harness: sample_stddev(arr) / sqrt(len(arr)), sample_stddev = sqrt(sum((x-mu)^2)/(n-1))
    arr = [0.1, 0.5, 0.9, 0.2, 0.2]
    mu = sum(arr) / len(arr)
    ref = math.sqrt(sum((x - mu) ** 2 for x in arr) / (len(arr) - 1)) / math.sqrt(len(arr))
    assert mean_stderr(arr)[1] == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("bad, msg", [([], "empty"), ([1.0, float("nan")], "NaN"), ([1.0, float("inf")], "infinite")])
def test_mean_stderr_bad_input(bad, msg):
    with pytest.raises(ValueError, match=msg):
        mean_stderr(bad)


def test_confidence_interval_95():
    lo, hi = confidence_interval(0.5, 0.1)
    assert lo == pytest.approx(0.5 - 1.959963984540054 * 0.1, abs=1e-12)
    assert hi == pytest.approx(0.5 + 1.959963984540054 * 0.1, abs=1e-12)
    lo99, hi99 = confidence_interval(0.5, 0.1, level=0.99)
    assert hi99 - lo99 == pytest.approx(2 * 2.5758293035489004 * 0.1, abs=1e-12)


@pytest.mark.parametrize("args", [(0.5, -0.1), (float("nan"), 0.1), (0.5, 0.1, 1.0), (0.5, 0.1, 0.0)])
def test_confidence_interval_bad_input(args):
    with pytest.raises(ValueError):
        confidence_interval(*args)


def test_bootstrap_stderr_of_mean_close_to_analytic():
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    analytic = mean_stderr(x)[1] * math.sqrt((len(x) - 1) / len(x))  # bootstrap targets the plug-in SE
    boot = bootstrap_stderr(x, np.mean, n_boot=3000, seed=0)
    assert boot == pytest.approx(analytic, rel=0.08)


def test_bootstrap_stderr_deterministic_and_seeded():
    x = np.arange(50.0) ** 1.5
    a = bootstrap_stderr(x, np.median, n_boot=200, seed=3)
    b = bootstrap_stderr(x, np.median, n_boot=200, seed=3)
    c = bootstrap_stderr(x, np.median, n_boot=200, seed=4)
    assert a == b
    assert a != c
    assert a > 0


def test_bootstrap_stderr_constant_values_is_zero():
    assert bootstrap_stderr([2.0] * 10, np.median, n_boot=50) == 0.0
    assert bootstrap_stderr([2.0], np.median, n_boot=50) == 0.0


def test_bootstrap_ci_brackets_statistic():
    x = np.random.default_rng(0).exponential(size=200)
    lo, hi = bootstrap_ci(x, np.median, n_boot=500)
    assert lo < np.median(x) < hi


def test_bootstrap_bad_input():
    with pytest.raises(ValueError, match="empty"):
        bootstrap_stderr([], np.mean)
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_stderr([1.0, float("nan")], np.mean)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_stderr([1.0, 2.0], np.mean, n_boot=1)
    with pytest.raises(ValueError, match="callable"):
        bootstrap_stderr([1.0, 2.0], "mean")  # type: ignore[arg-type]


def test_micro_and_macro_known_values():
    groups = {"a": [1, 1, 1, 0], "b": [0]}
    assert micro_average(groups) == pytest.approx(3 / 5)
    assert macro_average(groups) == pytest.approx((0.75 + 0.0) / 2)


@SETTINGS
@given(st.dictionaries(st.text(min_size=1, max_size=3), st.lists(st.integers(0, 1), min_size=1, max_size=20), min_size=1, max_size=6))
def test_micro_is_pooled_mean_and_macro_is_mean_of_means(groups):
    pooled = [v for vs in groups.values() for v in vs]
    assert micro_average(groups) == pytest.approx(sum(pooled) / len(pooled), abs=1e-12)
    assert macro_average(groups) == pytest.approx(
        sum(sum(v) / len(v) for v in groups.values()) / len(groups), abs=1e-12
    )


@SETTINGS
@given(st.lists(st.lists(st.floats(0, 1), min_size=4, max_size=4), min_size=1, max_size=5))
def test_micro_equals_macro_for_equal_sizes(lists):
    groups = {str(i): v for i, v in enumerate(lists)}
    assert micro_average(groups) == pytest.approx(macro_average(groups), abs=1e-12)


def test_aggregate_groups():
    groups = {"a": [1, 0, 1], "b": [0, 0]}
    agg = aggregate_groups(groups)
    assert agg["micro"] == pytest.approx(0.4)
    assert agg["micro_stderr"] == pytest.approx(mean_stderr([1, 0, 1, 0, 0])[1])
    assert agg["macro"] == pytest.approx((2 / 3 + 0) / 2)
    assert agg["macro_stderr"] == pytest.approx(math.sqrt(mean_stderr([1, 0, 1])[1] ** 2 + 0.0) / 2)
    assert agg["micro_ci_low"] < agg["micro"] < agg["micro_ci_high"]
    assert agg["n"] == 5 and agg["n_groups"] == 2


@pytest.mark.parametrize("bad, msg", [({}, "empty"), ({"a": []}, "empty"), ({"a": [1.0, float("nan")]}, "NaN"), ([1, 2], "mapping")])
def test_group_averages_bad_input(bad, msg):
    for fn in (micro_average, macro_average, aggregate_groups):
        with pytest.raises(ValueError, match=msg):
            fn(bad)


def test_module_mean():
    assert stats.mean([1, 2, 3]) == 2.0
    with pytest.raises(ValueError):
        stats.mean([])


def test_bootstrap_stderr_items_matches_numeric_version_and_handles_corpora():
    x = list(np.random.default_rng(2).normal(size=40))
    assert bootstrap_stderr_items(x, lambda xs: float(np.mean(xs)), n_boot=300, seed=7) == pytest.approx(
        bootstrap_stderr(x, np.mean, n_boot=300, seed=7), abs=1e-12
    )
    # a corpus-level statistic over (hypothesis, reference) pairs
    from benchgate.metrics.bleu import corpus_bleu

    pairs = [("the cat sat on the mat", "the cat sat on a mat"), ("a dog ran", "the dog ran"), ("hello there", "hello")] * 3
    se = bootstrap_stderr_items(pairs, lambda ps: corpus_bleu([h for h, _ in ps], [r for _, r in ps])["bleu-4"], n_boot=50)
    assert 0 < se < 50
    with pytest.raises(ValueError, match="empty"):
        bootstrap_stderr_items([], len)


# ---------------------------------------------------------------- Wilson intervals of rates
def test_wilson_interval_hand_computed():
    """1 of 10 (ifeval's 10-sample case in issue 20, normal interval [-0.096, 0.296]). By hand:
    z = 1.959964, z^2 = 3.841459; centre = (0.1 + z^2/20) / (1 + z^2/10) = 0.2920729 / 1.3841459
    = 0.2110131; half = z * sqrt(0.1 * 0.9 / 10 + z^2 / 400) / 1.3841459 = z * 0.1363953 / 1.3841459
    = 0.193138; so [0.017875, 0.404151]. Published values (Newcombe 1998, Stat Med 17:857, table
    I, method 3): 81/263 -> [0.2553, 0.3662], 15/148 -> [0.0624, 0.1605], 0/20 -> [0, 0.1611],
    1/29 -> [0.0061, 0.1718]."""
    low, high = stats.wilson_interval(1, 10)
    assert (low, high) == pytest.approx((0.017875, 0.404151), abs=3e-6)
    for (k, n), published in {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
                              (0, 20): (0.0, 0.1611), (1, 29): (0.0061, 0.1718)}.items():
        assert stats.wilson_interval(k, n) == pytest.approx(published, abs=6e-5), (k, n)
    # 0 of 5: the interval starts at 0: [0, z^2/5 / (1 + z^2/5)] = [0, 0.768292 / 1.768292]
    assert stats.wilson_interval(0, 5) == pytest.approx((0.0, 0.434482), abs=2e-6)
    assert stats.wilson_interval(5, 5) == pytest.approx((1 - 0.434482, 1.0), abs=2e-6)
    for bad in ((11, 10), (-1, 10), (1, 0)):
        with pytest.raises(ValueError):
            stats.wilson_interval(*bad)


@SETTINGS
@given(st.integers(min_value=1, max_value=5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_interval_matches_scipy_and_stays_in_0_1(kn, level):
    k, n = kn
    low, high = stats.wilson_interval(k, n, level)
    ref = sps.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert (low, high) == pytest.approx((ref.low, ref.high), abs=1e-9)
    assert 0.0 <= low <= k / n <= high <= 1.0


@SETTINGS
@given(st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=300))
def test_mean_interval_of_a_rate_is_wilson(values):
    low, high, method = stats.mean_interval(values)
    assert method == "wilson"
    assert 0.0 <= low <= sum(values) / len(values) <= high <= 1.0


@SETTINGS
@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=2, max_size=50)
       .filter(lambda xs: not all(x in (0.0, 1.0) for x in xs)))
def test_mean_interval_of_other_metrics_is_normal(values):
    low, high, method = stats.mean_interval(values)
    m, se = mean_stderr(values)
    assert method == "normal" and (low, high) == pytest.approx(confidence_interval(m, se), abs=1e-9)
