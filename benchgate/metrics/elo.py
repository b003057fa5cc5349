"""Arena ratings: online Elo, Bradley-Terry MLE with bootstrap CIs, win-rate/battle matrices.

A battle is ``(model_a, model_b, winner)`` with winner in ``"model_a"``, ``"model_b"``, ``"tie"``
(``"tie (bothbad)"`` is accepted as a tie, as in LMSYS data).

* ``online_elo``: sequential Elo as EvalScope's ``compute_elo`` / LMSYS ``compute_online_elo``:
  E_a = 1 / (1 + base^((R_b - R_a) / scale)), R_a += k (S_a - E_a), R_b += k (1 - S_a - E_b),
  S_a = 1 / 0 / 0.5; order-dependent by design.
* ``bradley_terry``: the maximum-likelihood Bradley-Terry ratings of LMSYS ``compute_mle_elo``:
  a win counts twice and a tie once for each side, P(a beats b) = 1 / (1 + base^((R_b - R_a)/scale)),
  ratings = scale * beta + initial with the betas centred at 0 (sklearn's unpenalised logistic
  regression without intercept, started from 0, stays on that hyperplane). Solved here by
  Newton's method with the exact Hessian to machine precision. Confidence intervals: percentile
  bootstrap over battles (resample all battles with replacement, refit), as LMSYS
  ``get_bootstrap_result``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._validate import check_finite, check_int, check_level

__all__ = [
    "Battle",
    "BradleyTerryResult",
    "online_elo",
    "bradley_terry",
    "bradley_terry_fit",
    "win_rate_matrix",
    "battle_count_matrix",
    "predict_win_rate",
]

Battle = tuple[Hashable, Hashable, str]
_TIES = ("tie", "tie (bothbad)")
_WINNERS = ("model_a", "model_b") + _TIES


def _check_battles(battles: Sequence[Battle]) -> list[tuple[Hashable, Hashable, str]]:
    if isinstance(battles, (str, bytes)):
        raise ValueError("battles must be a sequence of (model_a, model_b, winner), got a str")
    rows = list(battles)
    if not rows:
        raise ValueError("battles is empty")
    out = []
    for i, row in enumerate(rows):
        try:
            a, b, w = row
        except (TypeError, ValueError):
            raise ValueError(f"battles[{i}] must be (model_a, model_b, winner), got {row!r}") from None
        if w not in _WINNERS:
            raise ValueError(f"battles[{i}] has winner {w!r}; expected one of {_WINNERS}")
        if a == b:
            raise ValueError(f"battles[{i}] pits model {a!r} against itself")
        out.append((a, b, w))
    return out


def _score_a(w: str) -> float:
    return 1.0 if w == "model_a" else 0.0 if w == "model_b" else 0.5


def _check_rating_params(scale: float, base: float, initial: float) -> tuple[float, float, float]:
    scale = check_finite(scale, "scale")
    base = check_finite(base, "base")
    initial = check_finite(initial, "initial")
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    if base <= 1:
        raise ValueError(f"base must be > 1, got {base}")
    return scale, base, initial


def _check_weights(weights: Sequence[float] | None, n: int) -> np.ndarray:
    """Battle weights (default 1 each): finite and >= 0, one per battle."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(list(weights), dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"weights has {w.size} values for {n} battles")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and >= 0")
    return w


def online_elo(
    battles: Sequence[Battle],
    k: float = 32,
    scale: float = 400,
    base: float = 10,
    initial: float = 1000,
    weights: Sequence[float] | None = None,
) -> dict[Hashable, float]:
    """Sequential Elo ratings after replaying ``battles`` in order (EvalScope/LMSYS online Elo).
    ``weights[i]`` scales battle i's update (k * weight); all 1 by default."""
    rows = _check_battles(battles)
    k = check_finite(k, "k")
    if k <= 0:
        raise ValueError(f"k must be > 0, got {k}")
    scale, base, initial = _check_rating_params(scale, base, initial)
    wts = _check_weights(weights, len(rows))
    rating: dict[Hashable, float] = {}
    for (a, b, w), wt in zip(rows, wts):
        ra = rating.setdefault(a, initial)
        rb = rating.setdefault(b, initial)
        ea = 1.0 / (1.0 + base ** ((rb - ra) / scale))
        eb = 1.0 / (1.0 + base ** ((ra - rb) / scale))
        sa = _score_a(w)
        step = k if weights is None else k * float(wt)
        rating[a] = ra + step * (sa - ea)
        rating[b] = rb + step * (1.0 - sa - eb)
    return rating


def _index(rows: list[tuple[Hashable, Hashable, str]]) -> tuple[list[Hashable], np.ndarray, np.ndarray, np.ndarray]:
    models: list[Hashable] = []
    pos: dict[Hashable, int] = {}
    for a, b, _ in rows:
        for m in (a, b):
            if m not in pos:
                pos[m] = len(models)
                models.append(m)
    ia = np.fromiter((pos[a] for a, _, _ in rows), dtype=np.int64, count=len(rows))
    ib = np.fromiter((pos[b] for _, b, _ in rows), dtype=np.int64, count=len(rows))
    sa = np.fromiter((_score_a(w) for _, _, w in rows), dtype=np.float64, count=len(rows))
    return models, ia, ib, sa


def _win_weights(p: int, ia: np.ndarray, ib: np.ndarray, sa: np.ndarray,
                 wt: np.ndarray | None = None) -> np.ndarray:
    """W[i, j] = 2 * wins of i over j + ties between i and j (LMSYS ptbl_win); each battle
    counted ``wt`` times (default once)."""
    wt = np.ones(len(sa)) if wt is None else wt
    w = np.zeros((p, p))
    np.add.at(w, (ia, ib), 2.0 * sa * wt)
    np.add.at(w, (ib, ia), 2.0 * (1.0 - sa) * wt)
    return w


def _strongly_connected(w: np.ndarray) -> bool:
    p = w.shape[0]
    adj = w > 0
    for mat in (adj, adj.T):
        seen = np.zeros(p, dtype=bool)
        seen[0] = True
        stack = [0]
        while stack:
            i = stack.pop()
            for j in np.flatnonzero(mat[i] & ~seen):
                seen[j] = True
                stack.append(int(j))
        if not seen.all():
            return False
    return True


def _bt_newton(w: np.ndarray, log_base: float, max_iter: int = 500) -> np.ndarray:
    """Centred MLE beta of the Bradley-Terry model with win weights ``w``.

    Newton's method with the exact Hessian (a weighted graph Laplacian; the gauge direction is
    fixed by adding 11^T/p and centring), backtracking line search far from the optimum and pure
    Newton steps near it, until the gradient is at rounding level.
    """
    p = w.shape[0]
    n = w + w.T  # total weight per pair
    beta = np.zeros(p)
    ones = np.full((p, p), 1.0 / p)
    gtol = 1e-13 * max(1.0, float(n.sum()))

    def nll(b: np.ndarray) -> float:
        d = log_base * (b[:, None] - b[None, :])
        return float(np.sum(w * np.logaddexp(0.0, -d)))

    f = nll(beta)
    for _ in range(max_iter):
        d = log_base * (beta[:, None] - beta[None, :])
        s = 0.5 * (1.0 + np.tanh(0.5 * d))  # sigmoid(d) = P(i beats j)
        g = -log_base * (np.sum(w * (1.0 - s), axis=1) - np.sum(w.T * s, axis=1))
        if np.max(np.abs(g)) <= gtol:
            break
        c = n * s * (1.0 - s)
        h = log_base**2 * (np.diag(c.sum(axis=1)) - c)
        step = np.linalg.solve(h + ones, -g)
        step -= step.mean()
        decrement = -float(g @ step)  # Newton decrement squared, >= 0
        if decrement < 1e-10:
            beta = beta + step  # quadratic-convergence region: full step
            f = nll(beta)
        else:
            t = 1.0
            while True:
                cand = beta + t * step
                fc = nll(cand)
                if fc <= f - 1e-4 * t * decrement or t < 1e-12:
                    break
                t *= 0.5
            beta, f = cand, fc
        if np.max(np.abs(step)) <= 1e-15 * max(1.0, float(np.max(np.abs(beta)))):
            break
    return beta - beta.mean()


def _anchored(values: np.ndarray, models: list[Hashable], anchor: Hashable | None,
              initial: float) -> np.ndarray:
    """Shift ratings so that the anchor model is at ``initial`` (arena-hard's baseline anchor)."""
    if anchor is None:
        return values
    return values + (initial - values[models.index(anchor)])


def bradley_terry_fit(
    battles: Sequence[Battle], scale: float = 400, base: float = 10, initial: float = 1000,
    weights: Sequence[float] | None = None, anchor: Hashable | None = None,
) -> dict[Hashable, float]:
    """Bradley-Terry MLE ratings (LMSYS ``compute_mle_elo``) without bootstrap.

    ``weights[i]``: battle i counts that many times (arena-hard counts a strong verdict 3
    times). ``anchor``: shift the ratings so this model is at ``initial`` (arena-hard anchors
    its baseline at 1000); else the ratings are centred at ``initial``.
    ValueError when the MLE does not exist: some group of models never lost (or never won, ties
    counting as both) against all the others, so its ratings would be infinite.
    """
    rows = _check_battles(battles)
    scale, base, initial = _check_rating_params(scale, base, initial)
    models, ia, ib, sa = _index(rows)
    if anchor is not None and anchor not in models:
        raise ValueError(f"anchor {anchor!r} is in no battle")
    w = _win_weights(len(models), ia, ib, sa, _check_weights(weights, len(rows)))
    if len(models) > 1 and not _strongly_connected(w):
        raise ValueError(
            "Bradley-Terry MLE does not exist: the models cannot be ordered with finite ratings "
            "(some model or group of models won, or lost, every battle against the rest, or the "
            "battle graph is disconnected)"
        )
    values = _anchored(scale * _bt_newton(w, math.log(base)) + initial, models, anchor, initial)
    return {m: float(v) for m, v in zip(models, values)}


@dataclass(frozen=True)
class BradleyTerryResult:
    """Bradley-Terry ratings with bootstrap percentile confidence intervals."""

    ratings: dict[Hashable, float]
    ci: dict[Hashable, tuple[float, float]]
    bootstrap_median: dict[Hashable, float]
    n_bootstrap: int
    n_bootstrap_failed: int
    level: float = 0.95
    extra: dict[str, float] = field(default_factory=dict)


def bradley_terry(
    battles: Sequence[Battle],
    scale: float = 400,
    base: float = 10,
    initial: float = 1000,
    n_bootstrap: int = 100,
    seed: int = 0,
    level: float = 0.95,
    weights: Sequence[float] | None = None,
    anchor: Hashable | None = None,
    quantiles: tuple[float, float] | None = None,
) -> BradleyTerryResult:
    """Bradley-Terry MLE ratings and bootstrap confidence intervals (LMSYS Chatbot Arena).

    ``ratings`` is the MLE on all battles; ``ci[m]`` the (lower, upper) percentile interval of
    the ratings refitted on ``n_bootstrap`` resamples of the battles (numpy ``default_rng(seed)``).
    Resamples whose MLE does not exist (possible with few battles) are skipped and counted in
    ``n_bootstrap_failed``; ValueError if all fail. ``n_bootstrap=0`` skips the bootstrap
    (CIs then collapse to the point estimate). ``weights`` and ``anchor`` as in
    `bradley_terry_fit` (every resample is anchored too); ``quantiles`` = (low, high) replaces
    the symmetric interval of ``level``.
    """
    rows = _check_battles(battles)
    scale, base, initial = _check_rating_params(scale, base, initial)
    n_bootstrap = check_int(n_bootstrap, "n_bootstrap", minimum=0)
    level = check_level(level)
    if quantiles is not None:
        q_lo, q_hi = (float(q) for q in quantiles)
        if not 0.0 <= q_lo < q_hi <= 1.0:
            raise ValueError(f"quantiles must satisfy 0 <= low < high <= 1, got {quantiles!r}")
        level = q_hi - q_lo
    else:
        q_lo, q_hi = (1 - level) / 2, (1 + level) / 2
    wts = _check_weights(weights, len(rows))
    ratings = bradley_terry_fit(rows, scale, base, initial, weights=wts, anchor=anchor)
    models, ia, ib, sa = _index(rows)
    p, nb = len(models), len(rows)
    log_base = math.log(base)
    rng = np.random.default_rng(seed)
    boot: list[np.ndarray] = []
    failed = 0
    for _ in range(n_bootstrap):
        idx = rng.integers(0, nb, size=nb)
        w = _win_weights(p, ia[idx], ib[idx], sa[idx], wts[idx])
        if not _strongly_connected(w):
            failed += 1
            continue
        boot.append(_anchored(scale * _bt_newton(w, log_base) + initial, models, anchor, initial))
    if n_bootstrap and not boot:
        raise ValueError("every bootstrap resample gave a non-existent Bradley-Terry MLE; too few battles")
    if boot:
        arr = np.vstack(boot)
        lo = np.quantile(arr, q_lo, axis=0)
        hi = np.quantile(arr, q_hi, axis=0)
        med = np.median(arr, axis=0)
        ci = {m: (float(lo[i]), float(hi[i])) for i, m in enumerate(models)}
        median = {m: float(med[i]) for i, m in enumerate(models)}
    else:
        ci = {m: (r, r) for m, r in ratings.items()}
        median = dict(ratings)
    return BradleyTerryResult(
        ratings=ratings,
        ci=ci,
        bootstrap_median=median,
        n_bootstrap=len(boot),
        n_bootstrap_failed=failed,
        level=level,
    )


def predict_win_rate(
    ratings: Mapping[Hashable, float], scale: float = 400, base: float = 10
) -> dict[Hashable, dict[Hashable, float]]:
    """Expected P(row beats column) from ratings: 1 / (1 + base^((R_col - R_row) / scale))."""
    if not ratings:
        raise ValueError("ratings is empty")
    scale, base, _ = _check_rating_params(scale, base, 0.0)
    r = {m: check_finite(v, f"ratings[{m!r}]") for m, v in ratings.items()}
    return {
        a: {b: 1.0 / (1.0 + base ** ((r[b] - r[a]) / scale)) for b in r if b != a} for a in r
    }


def _models_sorted(rows: list[tuple[Hashable, Hashable, str]]) -> list[Hashable]:
    seen: dict[Hashable, None] = {}
    for a, b, _ in rows:
        seen.setdefault(a, None)
        seen.setdefault(b, None)
    try:
        return sorted(seen)  # type: ignore[type-var]
    except TypeError:
        return list(seen)


def battle_count_matrix(battles: Sequence[Battle]) -> dict[Hashable, dict[Hashable, int]]:
    """Symmetric matrix of battle counts: ``m[a][b]`` = battles between a and b (either side)."""
    rows = _check_battles(battles)
    models = _models_sorted(rows)
    m = {a: {b: 0 for b in models} for a in models}
    for a, b, _ in rows:
        m[a][b] += 1
        m[b][a] += 1
    return m


def win_rate_matrix(
    battles: Sequence[Battle], tie_value: float = 0.5
) -> dict[Hashable, dict[Hashable, float | None]]:
    """``m[a][b]`` = share of a-vs-b battles (either side) that a won; a tie counts ``tie_value``.

    With the default ``tie_value=0.5``, m[a][b] + m[b][a] == 1. ``tie_value=0`` gives LMSYS's
    ``compute_pairwise_win_fraction`` convention (ties count as battles, not as wins). The
    diagonal and pairs that never met are ``None``.
    """
    rows = _check_battles(battles)
    tie_value = check_finite(tie_value, "tie_value")
    if not 0.0 <= tie_value <= 1.0:
        raise ValueError(f"tie_value must be in [0, 1], got {tie_value}")
    models = _models_sorted(rows)
    wins = {a: {b: 0.0 for b in models} for a in models}
    count = battle_count_matrix(rows)
    for a, b, w in rows:
        if w == "model_a":
            wins[a][b] += 1.0
        elif w == "model_b":
            wins[b][a] += 1.0
        else:
            wins[a][b] += tie_value
            wins[b][a] += tie_value
    return {
        a: {b: (wins[a][b] / count[a][b] if count[a][b] else None) for b in models} for a in models
    }
