"""Position and length bias of a judge, from its judgments.

- ``position_consistency``: among matches judged in both orders with both verdicts parsed,
  the share whose two verdicts agree (FastChat's consistency); ``swap_flips``: how many do not.
- ``first_position_win_rate``: among parsed decisive verdicts (ties left out), the share won
  by the answer shown first (0.5 for an unbiased judge of equal answers; 1.0 for a judge that
  always answers [[A]]).
- ``longer_answer_win_rate``: among decisive battles between answers of different lengths
  (characters), the share won by the longer answer.
Null where there is nothing to count (no swapped matches, no decisive verdict).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from benchgate.arena.battles import Battle, flip


def bias_stats(rows: Sequence[Any], battles: Sequence[Battle]) -> dict[str, Any]:
    """`rows`: ReviewRows (benchgate.arena.reviews) of pairwise judgments."""
    first_wins = decisive = 0
    matches: dict[Any, list[str]] = defaultdict(list)
    for r in rows:
        if r.win is None:
            continue
        if r.win != "tie":
            decisive += 1
            first_wins += r.win == "model_a"
        if r.match is not None:
            matches[r.match].append(r.win if r.model_a == r.first else flip(r.win))
    swapped = [ws for ws in matches.values() if len(ws) == 2]
    flips = sum(ws[0] != ws[1] for ws in swapped)
    longer = compared = 0
    for b in battles:
        if b.winner == "tie" or b.len_a is None or b.len_b is None or b.len_a == b.len_b:
            continue
        compared += 1
        longer += (b.winner == "model_a") == (b.len_a > b.len_b)
    return {
        "position_consistency": (len(swapped) - flips) / len(swapped) if swapped else None,
        "swap_flips": flips if swapped else None,
        "swapped_matches": len(swapped),
        "first_position_win_rate": first_wins / decisive if decisive else None,
        "decisive_judgments": decisive,
        "longer_answer_win_rate": longer / compared if compared else None,
        "length_compared_battles": compared,
    }
