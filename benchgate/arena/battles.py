"""From judgments to battles: combining the two answer orders, and the battle record.

A *judgment* is one judge's verdict on one answer order; a *battle* is what the ratings
count. With both orders judged (swap_position), ``swap_rule`` decides:
- ``tie`` (FastChat `show_result.py`, the default): two verdicts that disagree make a tie; a
  match with a judgment that failed to parse is dropped;
- ``separate`` (arena-hard, and EvalScope's battle.jsonl read row by row): each parsed
  judgment is its own battle;
- ``drop``: agreeing verdicts count once, disagreeing ones are dropped.
With one order judged, the battle is that judgment. A strong arena-hard verdict ([[A>>B]])
has strength 2; under ``tie`` two agreeing verdicts keep the smaller strength.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

WINNERS = ("model_a", "model_b", "tie")


@dataclass(frozen=True)
class Battle:
    """One rated battle between model_a and model_b."""

    model_a: str
    model_b: str
    winner: str  # model_a | model_b | tie
    category: str | None = None
    question_id: str | None = None
    judge: str | None = None
    turn: int | None = None
    unit: str | None = None  # what groups the judgments of one match (a unit id, turn, judge)
    strength: int = 1
    weight: float = 1.0  # reviewer weight x strength weight, set by the rating step
    len_a: int | None = None  # answer lengths in characters (length-bias statistics)
    len_b: int | None = None


@dataclass(frozen=True)
class Score:
    """One single-mode rating of a model's answer."""

    model: str
    score: float
    category: str | None = None
    question_id: str | None = None
    judge: str | None = None
    turn: int | None = None
    unit: str | None = None
    weight: float = 1.0


def flip(winner: str) -> str:
    return {"model_a": "model_b", "model_b": "model_a"}.get(winner, winner)


def combine(verdicts: Sequence[tuple[str | None, int]], rule: str) -> list[tuple[str, int]]:
    """The battles of one match from its judgments' (winner or None, strength), each winner
    already in the match's own model_a/model_b terms."""
    if rule == "separate":
        return [(w, s) for w, s in verdicts if w is not None]
    if any(w is None for w, _ in verdicts) or not verdicts:
        return []
    winners = {w for w, _ in verdicts}
    if len(winners) == 1:
        return [(verdicts[0][0], min(s for _, s in verdicts))]
    if rule == "drop":
        return []
    return [("tie", 1)]
