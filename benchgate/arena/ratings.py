"""Leaderboards from battles (pairwise modes) or scores (single mode), per display category.

Pairwise rows (docs/arena.md, "Ratings"):
- ``elo``: online Elo over the battles in order (EvalScope `compute_elo`: K=32, scale 400,
  base 10, initial 1000; a battle's update is scaled by its weight);
- ``bt_rating`` / ``bt_ci95``: Bradley-Terry MLE with a seeded percentile bootstrap over the
  battles (LMSYS / arena-hard), anchored so the baseline is at the initial rating;
- ``win_rate_vs_baseline`` (+ ``_ci95``): the win rate predicted against the baseline,
  ``1 / (1 + base ** ((R_baseline - R) / scale))``, from the ratings and their CI bounds;
- ``win``, ``loss``, ``tie``: battle counts; ``win_rate_adjusted`` = (win + 0.5 tie) / battles
  (FastChat `show_result.py`; weighted by battle weights when there are any) with a bootstrap
  CI; ``win_rate_ties_half``: the same against the baseline only (all battles without a
  baseline), the gate metric; ``wins_per_battle`` = win / battles, ties counting nothing (what
  EvalScope's report CSV calls ``win_rate``). The old names ``win_rate`` / ``win_rate_ci95``
  stay in the rows as deprecated copies of win_rate_ties_half; gates on them say so.
Single rows: ``score`` = mean rating, ``score_ci95`` = mean +- 1.96 standard errors, and the
mean per turn.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import yaml

from benchgate.arena.battles import Battle, Score
from benchgate.metrics.elo import (battle_count_matrix, bradley_terry, online_elo,
                                   win_rate_matrix)
from benchgate.metrics.stats import confidence_interval

ALL = "*"  # the leaderboard key of all battles


@dataclass(frozen=True)
class RatingParams:
    """The rating settings (rating_gen)."""

    k: float = 32.0
    scale: float = 400.0
    base: float = 10.0
    init: float = 1000.0
    bootstrap_rounds: int = 100
    quantiles: tuple[float, float] = (0.025, 0.975)
    seed: int = 0
    baseline: str | None = None
    sort_by: str = "elo"  # a metric of rating_gen.metrics: elo | bt | pairwise | score

    @classmethod
    def from_settings(cls, rating: dict[str, Any]) -> "RatingParams":
        elo = rating.get("elo") or {}
        metrics = rating.get("metrics") or ["elo"]
        return cls(k=float(elo.get("k", 32)), scale=float(elo.get("scale", 400)),
                   base=float(elo.get("base", 10)), init=float(elo.get("init", 1000)),
                   bootstrap_rounds=int(rating.get("bootstrap_rounds", 100)),
                   quantiles=tuple(rating.get("ci_quantiles") or (0.025, 0.975)),
                   seed=int(rating.get("seed", 0)), baseline=rating.get("baseline_model"),
                   sort_by=metrics[0])


# ----------------------------------------------------------------------------- categories
def load_category_mapping(path: str | Path) -> dict[str, list[str]]:
    """EvalScope's category_mapping.yaml: display category -> raw categories ('*': the rest)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"category file {path}: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ValueError(f"category file {path}: expected a mapping of display category -> "
                         f"list of categories")
    return {str(k): [str(c) for c in v] for k, v in data.items()}


def category_function(mapping: dict[str, list[str]] | None) -> Callable[[str | None], str]:
    """raw category -> display category: the first group listing it, else the group with
    '*', else the raw category itself."""
    if not mapping:
        return lambda c: c or "general"
    direct: dict[str, str] = {}
    catch_all = None
    for display, raws in mapping.items():
        for raw in raws:
            if raw == ALL:
                catch_all = catch_all or display
            else:
                direct.setdefault(raw, display)
    return lambda c: direct.get(c or "", catch_all or (c or "general"))


# ----------------------------------------------------------------------------- pairwise
def _ci(values: np.ndarray, quantiles: tuple[float, float]) -> list[float] | None:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    return [float(np.quantile(values, quantiles[0])), float(np.quantile(values, quantiles[1]))]


class _WinRates:
    """Adjusted win rates per model, over all battles and against the baseline (vectorised,
    so the bootstrap stays fast on large arenas)."""

    def __init__(self, battles: Sequence[Battle], models: list[str], baseline: str | None):
        pos = {m: i for i, m in enumerate(models)}
        self.n = len(models)
        self.ia = np.array([pos[b.model_a] for b in battles], dtype=np.int64)
        self.ib = np.array([pos[b.model_b] for b in battles], dtype=np.int64)
        self.sa = np.array([1.0 if b.winner == "model_a" else 0.0 if b.winner == "model_b" else 0.5
                            for b in battles])
        self.w = np.array([b.weight for b in battles], dtype=float)
        base = pos.get(baseline, -1)
        self.a_vs_base = (self.ib == base).astype(float)  # model_a's opponent is the baseline
        self.b_vs_base = (self.ia == base).astype(float)

    def __call__(self, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rate over all battles, rate against the baseline) per model; NaN: no battle."""
        sel = slice(None) if idx is None else idx
        ia, ib, sa, w = self.ia[sel], self.ib[sel], self.sa[sel], self.w[sel]
        fa, fb = self.a_vs_base[sel], self.b_vs_base[sel]

        def rate(ma: np.ndarray, mb: np.ndarray) -> np.ndarray:
            got = (np.bincount(ia, w * sa * ma, self.n) + np.bincount(ib, w * (1 - sa) * mb, self.n))
            tot = np.bincount(ia, w * ma, self.n) + np.bincount(ib, w * mb, self.n)
            with np.errstate(invalid="ignore", divide="ignore"):
                return got / tot

        ones = np.ones_like(w)
        return rate(ones, ones), rate(fa, fb)


def pairwise_rows(battles: Sequence[Battle], params: RatingParams) -> tuple[list[dict], list[str]]:
    """Leaderboard rows (best first) and notes (e.g. a Bradley-Terry fit that does not exist)."""
    notes: list[str] = []
    if not battles:
        return [], ["no battles"]
    models: list[str] = []
    for b in battles:
        for m in (b.model_a, b.model_b):
            if m not in models:
                models.append(m)
    tuples = [(b.model_a, b.model_b, b.winner) for b in battles]
    weights = [b.weight for b in battles]
    plain = all(w == 1.0 for w in weights)
    elo = online_elo(tuples, params.k, params.scale, params.base, params.init,
                     weights=None if plain else weights)
    baseline = params.baseline if params.baseline in models else None
    bt = None
    try:
        bt = bradley_terry(tuples, params.scale, params.base, params.init,
                           n_bootstrap=params.bootstrap_rounds, seed=params.seed,
                           weights=None if plain else weights, anchor=baseline,
                           quantiles=params.quantiles)
    except ValueError as e:
        notes.append(f"Bradley-Terry: {e}")
    counts = {m: {"win": 0, "loss": 0, "tie": 0} for m in models}
    for b in battles:
        if b.winner == "tie":
            counts[b.model_a]["tie"] += 1
            counts[b.model_b]["tie"] += 1
        else:
            win, loss = (b.model_a, b.model_b) if b.winner == "model_a" else (b.model_b, b.model_a)
            counts[win]["win"] += 1
            counts[loss]["loss"] += 1
    win_rates = _WinRates(battles, models, baseline)
    rate_all, rate_base = win_rates()
    boot_all, boot_base = [], []
    if params.bootstrap_rounds:
        rng = np.random.default_rng([params.seed, 1])
        for _ in range(params.bootstrap_rounds):
            idx = rng.integers(0, len(battles), size=len(battles))
            a, c = win_rates(idx)
            boot_all.append(a)
            boot_base.append(c)
    rows = []
    for i, m in enumerate(models):
        c = counts[m]
        row: dict[str, Any] = {"model": m, "elo": elo[m], "bt_rating": None, "bt_ci95": None,
                               "win_rate_vs_baseline": None, "win_rate_vs_baseline_ci95": None,
                               **c, "battles": c["win"] + c["loss"] + c["tie"],
                               "win_rate_adjusted": _num(rate_all[i]),
                               "win_rate_adjusted_ci95": _ci(np.array([r[i] for r in boot_all]),
                                                              params.quantiles) if boot_all else None,
                               "score": None, "score_ci95": None,
                               "is_baseline": m == baseline}
        row["wins_per_battle"] = c["win"] / row["battles"] if row["battles"] else None
        if baseline is not None:
            row["win_rate_ties_half"] = _num(rate_base[i]) if m != baseline else None
            row["win_rate_ties_half_ci95"] = (_ci(np.array([r[i] for r in boot_base]), params.quantiles)
                                              if boot_base and m != baseline else None)
        else:
            row["win_rate_ties_half"] = row["win_rate_adjusted"]
            row["win_rate_ties_half_ci95"] = row["win_rate_adjusted_ci95"]
        # deprecated aliases (readers of older results.json): the same numbers
        row["win_rate"], row["win_rate_ci95"] = row["win_rate_ties_half"], row["win_rate_ties_half_ci95"]
        if bt is not None:
            row["bt_rating"] = bt.ratings[m]
            row["bt_ci95"] = list(bt.ci[m])
            if baseline is not None:
                ref = bt.ratings[baseline]
                row["win_rate_vs_baseline"] = _predict(bt.ratings[m], ref, params)
                row["win_rate_vs_baseline_ci95"] = [_predict(v, ref, params) for v in bt.ci[m]]
        rows.append(row)
    key = {"elo": "elo", "bt": "bt_rating", "pairwise": "win_rate_adjusted"}.get(params.sort_by, "elo")
    rows.sort(key=lambda r: (-(r[key] if r[key] is not None else -math.inf), r["model"]))
    return rows, notes


def _predict(rating: float, baseline_rating: float, params: RatingParams) -> float:
    return 1.0 / (1.0 + params.base ** ((baseline_rating - rating) / params.scale))


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def matrices(battles: Sequence[Battle]) -> dict[str, Any]:
    """Win-rate (ties count half) and battle-count matrices over all battles (unweighted)."""
    if not battles:
        return {"win_rate": {}, "battles": {}}
    tuples = [(b.model_a, b.model_b, b.winner) for b in battles]
    return {"win_rate": win_rate_matrix(tuples), "battles": battle_count_matrix(tuples)}


# ----------------------------------------------------------------------------- single
def _weighted_mean_ci(values: list[float], weights: list[float]) -> tuple[float, list[float] | None]:
    x, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    mean = float(np.sum(w * x) / np.sum(w))
    if len(x) < 2:
        return mean, None
    var = float(np.sum(w * (x - mean) ** 2) / np.sum(w)) * len(x) / (len(x) - 1)
    n_eff = float(np.sum(w) ** 2 / np.sum(w ** 2))
    low, high = confidence_interval(mean, math.sqrt(var / n_eff))
    return mean, [low, high]


def single_rows(scores: Sequence[Score]) -> list[dict]:
    """Per model: mean score (weighted by reviewer weights when set), 95% CI, per-turn means."""
    by_model: dict[str, list[Score]] = defaultdict(list)
    for s in scores:
        by_model[s.model].append(s)
    rows = []
    for m, items in by_model.items():
        mean, ci = _weighted_mean_ci([s.score for s in items], [s.weight for s in items])
        turns: dict[str, list[Score]] = defaultdict(list)
        for s in items:
            turns[str(s.turn or 1)].append(s)
        rows.append({"model": m, "elo": None, "bt_rating": None, "bt_ci95": None,
                     "win_rate_vs_baseline": None, "win": None, "loss": None, "tie": None,
                     "win_rate_adjusted": None, "battles": len(items), "score": mean,
                     "score_ci95": ci,
                     "turns": {t: _weighted_mean_ci([s.score for s in v], [s.weight for s in v])[0]
                               for t, v in sorted(turns.items())}})
    rows.sort(key=lambda r: (-r["score"], r["model"]))
    return rows


# ----------------------------------------------------------------------------- leaderboards
def leaderboards(items: Sequence[Battle] | Sequence[Score], single: bool, params: RatingParams,
                 display: Callable[[str | None], str]) -> tuple[dict[str, list[dict]], list[str]]:
    """{'*': rows over everything, display category: rows over its items}, and notes."""
    groups: dict[str, list] = {ALL: list(items)}
    for it in items:
        groups.setdefault(display(it.category), []).append(it)
    out: dict[str, list[dict]] = {}
    notes: list[str] = []
    for name in [ALL] + sorted(k for k in groups if k != ALL):
        if single:
            out[name] = single_rows(groups[name])
        else:
            out[name], n = pairwise_rows(groups[name], params)
            notes += [f"{name}: {x}" for x in n]
    return out, notes
