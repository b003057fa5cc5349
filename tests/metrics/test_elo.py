import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize, root

from benchgate.metrics.elo import (
    battle_count_matrix,
    bradley_terry,
    bradley_terry_fit,
    online_elo,
    predict_win_rate,
    win_rate_matrix,
)

# Kept small so that the whole metrics run stays well under 60 s on 2 cores.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MODELS = ["m0", "m1", "m2", "m3", "m4"]
WINNERS = ["model_a", "model_b", "tie"]
FLIP = {"model_a": "model_b", "model_b": "model_a", "tie": "tie"}


@st.composite
def battle_lists(draw, min_size=1, max_size=40, n_models=4):
    rows = []
    for _ in range(draw(st.integers(min_size, max_size))):
        a, b = draw(st.lists(st.sampled_from(MODELS[:n_models]), min_size=2, max_size=2, unique=True))
        rows.append((a, b, draw(st.sampled_from(WINNERS))))
    return rows


# --- reference: EvalScope compute_elo (== LMSYS compute_online_elo), rewritten for tuples ---
def ref_compute_elo(battles, k=32, scale=400, base=10, init_rating=1000):
    rating = defaultdict(lambda: init_rating)
    for model_a, model_b, win in battles:
        ra, rb = rating[model_a], rating[model_b]
        ea = 1 / (1 + base ** ((rb - ra) / scale))
        eb = 1 / (1 + base ** ((ra - rb) / scale))
        sa = 1 if win == "model_a" else 0 if win == "model_b" else 0.5
        rating[model_a] += k * (sa - ea)
        rating[model_b] += k * (1 - sa - eb)
    return dict(rating)


def test_online_elo_first_battles_by_hand():
    r = online_elo([("a", "b", "model_a")])
    assert r == {"a": 1016.0, "b": 984.0}
    r = online_elo([("a", "b", "model_a"), ("a", "b", "tie")])
    ea = 1 / (1 + 10 ** ((984 - 1016) / 400))
    assert r["a"] == pytest.approx(1016 + 32 * (0.5 - ea))
    assert r["b"] == pytest.approx(984 + 32 * (0.5 - (1 - ea)))


@SETTINGS
@given(battle_lists())
def test_online_elo_matches_evalscope(battles):
    got = online_elo(battles)
    ref = ref_compute_elo(battles)
    assert got.keys() == ref.keys()
    for m in ref:
        assert got[m] == pytest.approx(ref[m], abs=1e-9)


@SETTINGS
@given(battle_lists())
def test_online_elo_side_symmetry_and_zero_sum(battles):
    got = online_elo(battles)
    swapped = online_elo([(b, a, FLIP[w]) for a, b, w in battles])
    for m in got:
        assert got[m] == pytest.approx(swapped[m], abs=1e-9)
    assert sum(got.values()) == pytest.approx(1000 * len(got), abs=1e-9)


def test_online_elo_ties():
    # a tie between equal ratings changes nothing; a tie pulls unequal ratings together
    assert online_elo([("a", "b", "tie")] * 5) == {"a": 1000.0, "b": 1000.0}
    r = online_elo([("a", "b", "model_a"), ("a", "b", "tie")])
    assert 1000 < r["a"] < 1016 and 984 < r["b"] < 1000
    assert online_elo([("a", "b", "tie (bothbad)")]) == {"a": 1000.0, "b": 1000.0}


def test_online_elo_parameters():
    r = online_elo([("a", "b", "model_a")], k=16, initial=1500)
    assert r == {"a": 1508.0, "b": 1492.0}


# --- reference: LMSYS compute_mle_elo's design matrix, solved by direct numerical optimisation ---
def ref_bt_scipy(battles, scale=400, base=10, init=1000):
    models = sorted({m for a, b, _ in battles for m in (a, b)})
    idx = {m: i for i, m in enumerate(models)}
    p = len(models)
    win = np.zeros((p, p))  # ptbl_win = a_win * 2 + b_win.T * 2 + (tie + tie.T)
    for a, b, w in battles:
        if w == "model_a":
            win[idx[a], idx[b]] += 2
        elif w == "model_b":
            win[idx[b], idx[a]] += 2
        else:
            win[idx[a], idx[b]] += 1
            win[idx[b], idx[a]] += 1
    X, Y, W = [], [], []
    for i in range(p):
        for j in range(p):
            if i == j:
                continue
            x = np.zeros(p)
            x[i], x[j] = math.log(base), -math.log(base)
            X += [x, x]
            Y += [1.0, 0.0]
            W += [win[i, j], win[j, i]]
    X, Y, W = np.array(X), np.array(Y), np.array(W)
    # Fix the gauge by pinning beta_0 = 0 (sklearn's start at 0 keeps sum(beta) = 0 instead; the
    # optimum differs only by a shift, removed below), so the Hessian is positive definite and
    # scipy's exact-Hessian trust-region method converges to machine precision.
    Xr = X[:, 1:]

    def loss(b):
        z = Xr @ b
        return float(np.sum(W * (np.logaddexp(0, z) - Y * z)))

    def grad(b):
        z = Xr @ b
        return Xr.T @ (W * (1 / (1 + np.exp(-z)) - Y))

    def hess(b):
        z = Xr @ b
        s = 1 / (1 + np.exp(-z))
        return (Xr * (W * s * (1 - s))[:, None]).T @ Xr

    res = minimize(loss, np.zeros(p - 1), jac=grad, hess=hess, method="trust-exact", options={"gtol": 1e-10})
    # polish: solve the likelihood (score) equations grad = 0 directly
    sol = root(grad, res.x, jac=hess, method="hybr", options={"xtol": 1e-15})
    beta = np.concatenate([[0.0], sol.x])
    beta -= beta.mean()
    return {m: scale * beta[idx[m]] + init for m in models}


def _mle_exists(battles):
    try:
        bradley_terry_fit(battles)
        return True
    except ValueError:
        return False


@SETTINGS
@given(battle_lists(min_size=4, max_size=60, n_models=5))
def test_bradley_terry_matches_scipy_optimisation(battles):
    assume(_mle_exists(battles))
    got = bradley_terry_fit(battles)
    ref = ref_bt_scipy(battles)
    assert got.keys() == ref.keys()
    for m in ref:
        assert got[m] == pytest.approx(ref[m], abs=1e-8), m  # rating points; see docs/metrics.md
    assert sum(got.values()) == pytest.approx(1000 * len(got), abs=1e-6)


@SETTINGS
@given(battle_lists(min_size=4, max_size=60, n_models=4))
def test_bradley_terry_side_symmetry(battles):
    assume(_mle_exists(battles))
    got = bradley_terry_fit(battles)
    swapped = bradley_terry_fit([(b, a, FLIP[w]) for a, b, w in battles])
    for m in got:
        assert got[m] == pytest.approx(swapped[m], abs=1e-7)


def test_bradley_terry_two_models_closed_form():
    # 3 wins for a, 1 for b, 2 ties: p(a beats b) = (2*3 + 2) / (2*3 + 2*1 + 2*2) = 8/12
    battles = [("a", "b", "model_a")] * 2 + [("b", "a", "model_b")] + [("a", "b", "model_b")] + [("a", "b", "tie")] * 2
    r = bradley_terry_fit(battles)
    diff = 400 * math.log10((8 / 12) / (4 / 12))
    assert r["a"] - r["b"] == pytest.approx(diff, abs=1e-9)
    assert r["a"] + r["b"] == pytest.approx(2000, abs=1e-9)


def test_bradley_terry_only_ties_gives_equal_ratings():
    r = bradley_terry_fit([("a", "b", "tie"), ("b", "c", "tie"), ("c", "a", "tie")])
    for v in r.values():
        assert v == pytest.approx(1000.0, abs=1e-9)


def test_bradley_terry_recovers_true_ratings_with_bootstrap_ci():
    rng = np.random.default_rng(0)
    true = {"a": 1200.0, "b": 1100.0, "c": 1000.0, "d": 700.0}
    names = list(true)
    battles = []
    for _ in range(3000):
        i, j = rng.choice(4, size=2, replace=False)
        a, b = names[i], names[j]
        pa = 1 / (1 + 10 ** ((true[b] - true[a]) / 400))
        battles.append((a, b, "model_a" if rng.random() < pa else "model_b"))
    res = bradley_terry(battles, n_bootstrap=60, seed=0)
    shift = np.mean(list(true.values())) - 1000  # ratings are centred at `initial`
    for m in names:
        lo, hi = res.ci[m]
        assert lo <= res.ratings[m] <= hi
        assert abs(res.ratings[m] + shift - true[m]) < 40
        assert 5 < hi - lo < 80
    assert res.n_bootstrap == 60 and res.n_bootstrap_failed == 0
    # ordering recovered
    assert sorted(names, key=res.ratings.get) == ["d", "c", "b", "a"]


def test_bradley_terry_bootstrap_is_seeded():
    battles = [("a", "b", w) for w in ["model_a", "model_b", "tie", "model_a"] * 5] + [("b", "c", "model_a"), ("c", "b", "model_a")] * 3
    r1 = bradley_terry(battles, n_bootstrap=30, seed=1)
    r2 = bradley_terry(battles, n_bootstrap=30, seed=1)
    r3 = bradley_terry(battles, n_bootstrap=30, seed=2)
    assert r1.ci == r2.ci
    assert r1.ci != r3.ci
    assert r1.ratings == r3.ratings


def test_bradley_terry_without_mle_raises():
    with pytest.raises(ValueError, match="does not exist"):
        bradley_terry_fit([("a", "b", "model_a"), ("a", "b", "model_a")])
    with pytest.raises(ValueError, match="does not exist"):  # two disconnected pairs
        bradley_terry([("a", "b", "tie"), ("c", "d", "tie")])


def test_win_rate_and_count_matrices():
    battles = [("a", "b", "model_a"), ("b", "a", "model_a"), ("a", "b", "tie"), ("a", "c", "model_b")]
    counts = battle_count_matrix(battles)
    assert counts["a"] == {"a": 0, "b": 3, "c": 1}
    assert counts["b"]["a"] == 3 and counts["c"]["b"] == 0
    wr = win_rate_matrix(battles)
    assert wr["a"]["b"] == pytest.approx(1.5 / 3)
    assert wr["c"]["a"] == 1.0 and wr["a"]["c"] == 0.0
    assert wr["b"]["c"] is None and wr["a"]["a"] is None
    lmsys = win_rate_matrix(battles, tie_value=0.0)
    assert lmsys["a"]["b"] == pytest.approx(1 / 3) and lmsys["b"]["a"] == pytest.approx(1 / 3)


@SETTINGS
@given(battle_lists(max_size=30))
def test_win_rates_are_complementary(battles):
    wr = win_rate_matrix(battles)
    counts = battle_count_matrix(battles)
    assert sum(sum(r.values()) for r in counts.values()) == 2 * len(battles)
    for a in wr:
        for b in wr:
            if counts[a][b]:
                assert wr[a][b] + wr[b][a] == pytest.approx(1.0, abs=1e-12)
                assert counts[a][b] == counts[b][a]


def test_predict_win_rate():
    p = predict_win_rate({"a": 1400.0, "b": 1000.0})
    assert p["a"]["b"] == pytest.approx(10 / 11)
    assert p["a"]["b"] + p["b"]["a"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "battles, msg",
    [
        ([], "empty"),
        ([("a", "b", "A")], "winner"),
        ([("a", "a", "tie")], "against itself"),
        ([("a", "b")], r"battles\[0\]"),
        ("abc", "str"),
    ],
)
def test_bad_battles(battles, msg):
    for fn in (online_elo, bradley_terry, win_rate_matrix, battle_count_matrix):
        with pytest.raises(ValueError, match=msg):
            fn(battles)


def test_bad_parameters():
    b = [("a", "b", "model_a"), ("b", "a", "model_a")]
    with pytest.raises(ValueError, match="k must be > 0"):
        online_elo(b, k=0)
    with pytest.raises(ValueError, match="base"):
        online_elo(b, base=1)
    with pytest.raises(ValueError, match="scale"):
        bradley_terry(b, scale=float("nan"))
    with pytest.raises(ValueError, match="n_bootstrap"):
        bradley_terry(b, n_bootstrap=-1)
    with pytest.raises(ValueError, match="tie_value"):
        win_rate_matrix(b, tie_value=2)
