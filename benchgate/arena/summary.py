"""From review rows to everything an arena reports: leaderboards per category, matrices, bias,
judge agreement and reviewer weights. The same function serves a finished arena run and
`benchgate arena rate FILE`, so re-rating a run's reviews.jsonl reproduces its results.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from benchgate.arena.bias import bias_stats
from benchgate.arena.peer import agreement, peer_rank_weights
from benchgate.arena.ratings import ALL, RatingParams, leaderboards, matrices
from benchgate.arena.reviews import ReviewFile, to_battles, to_scores, weighted


def _labels(items: list, single: bool) -> dict:
    """{(question, models, turn): {judge: label}} for agreement (one label per judge and match)."""
    seen: dict[tuple, dict[str, list]] = {}
    for it in items:
        if it.judge is None:
            continue
        key = (it.question_id, it.model if single else (it.model_a, it.model_b), it.turn)
        seen.setdefault(key, {}).setdefault(it.judge, []).append(it.score if single else it.winner)
    return {k: {j: v[0] for j, v in per.items() if len(v) == 1} for k, per in seen.items()}


def summarize(review: ReviewFile, params: RatingParams, display: Callable[[str | None], str],
              rule: str | None = None, weighting: str = "none",
              strong_weight: float = 3.0) -> dict[str, Any]:
    """{'leaderboard', 'matrices', 'bias', 'agreement', 'peer', 'counts', 'swap_rule', 'notes'}."""
    single = review.kind == "single"
    rule = rule or review.default_rule
    rows = review.rows
    failures = sum((r.score is None) if single else (r.win is None) for r in rows)
    items = to_scores(rows) if single else weighted(to_battles(rows, rule), strong_weight)
    peer = None
    if weighting == "peer_rank":
        weights, iterations = peer_rank_weights(items, single)
        items = [replace(it, weight=it.weight * weights.get(it.judge, 1.0)) for it in items]
        peer = {"weighting": "peer_rank", "weights": weights, "iterations": iterations}
    board, notes = leaderboards(items, single, params, display)
    return {
        "leaderboard": board,
        "matrices": None if single else matrices(items),
        "bias": None if single else bias_stats(rows, items),
        "agreement": agreement(_labels(items, single)),
        "peer": peer,
        "counts": {"judgments": len(rows), "parse_failures": failures,
                   "battles" if not single else "scores": len(items)},
        "swap_rule": None if single else rule,
        "notes": notes,
        "models": [r["model"] for r in board.get(ALL, [])],
    }
