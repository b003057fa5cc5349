"""Reading review files: benchgate's arena/reviews.jsonl, EvalScope's battle.jsonl and review
files, FastChat's model_judgment files. Every row becomes a `ReviewRow` (a pairwise judgment)
or a `ScoreRow` (a single-mode rating); rows of one match (both answer orders of a unit,
turn and judge) share a `match` key.

| file | a line | match | default swap rule |
|---|---|---|---|
| benchgate reviews.jsonl | a judgment (`id`, `order`, `turn`, `judge`) | (id, turn, judge) | tie |
| EvalScope battle.jsonl | `model_a, model_b, win` (model_a shown first) | (question, pair) | separate: every row is a battle, as EvalScope's `compute_elo` reads it |
| EvalScope review (swap_position) | `model_a, model_b, win_1, win_2` | the line | tie |
| FastChat pairwise judgment | `model_1, model_2, g1_winner, g2_winner` | the line | tie |
| EvalScope / FastChat single | `model, score` (FastChat -1: no rating) | the line | - |

Battle order (Elo is online, so order matters): EvalScope (`RatingEvaluate.preprocess`) and
FastChat (`elo_analysis.py`) sort the rows by ``tstamp`` before rating, so with ``order="auto"``
(the default) rows that carry a ``tstamp`` are read in tstamp order (a stable sort; rows without
one last, as pandas puts them), except benchgate's own reviews.jsonl, whose file order is the
run's deterministic unit order (its tstamps are judging times, which depend on timing and -n).
``order="tstamp"`` always sorts, ``order="file"`` never does.

EvalScope leaves out rows with ``anony`` false when rating; so does this reader. A ``win``
other than model_a, model_b, tie (or tie (bothbad)) is an error naming the line, except a
missing verdict (null, ``error``, ``unknown``), which is a parse failure.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Hashable, Iterable

from benchgate.arena.battles import Battle, Score, combine, flip
from benchgate.benchmark import DataError
from benchgate.data.files import read_jsonl
from benchgate.judge.verdicts import ARENA_HARD_LABELS

_TIE = ("tie", "tie (bothbad)", "tie_both_bad")
_FAILED = (None, "error", "unknown", "")


class ReviewFileError(ValueError):
    """A review file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class ReviewRow:
    """One pairwise judgment: model_a's answer was shown first; `win` from this row's view."""

    model_a: str
    model_b: str
    win: str | None
    match: Hashable
    first: str  # the match's own model_a: battles are oriented to it
    strength: int = 1
    category: str | None = None
    question_id: str | None = None
    judge: str | None = None
    turn: int | None = None
    len_a: int | None = None
    len_b: int | None = None


@dataclass(frozen=True)
class ScoreRow:
    """One single-mode rating (`score` None: no rating parsed)."""

    model: str
    score: float | None
    match: Hashable
    category: str | None = None
    question_id: str | None = None
    judge: str | None = None
    turn: int | None = None


@dataclass
class ReviewFile:
    """The rows of a review file and how they are best combined."""

    kind: str  # pairwise | single
    rows: list
    default_rule: str
    source: str
    order: str = "file"  # the order the rows were read in: tstamp | file


def _win(value: Any, where: str) -> str | None:
    if value in _FAILED:
        return None
    if value in ("model_a", "model_b"):
        return value
    if value in _TIE:
        return "tie"
    raise ReviewFileError(f"{where}: unexpected verdict {value!r} (expected model_a, model_b or tie)")


def _fastchat_win(value: Any, where: str) -> str | None:
    if value in _FAILED:
        return None
    mapped = {"model_1": "model_a", "model_2": "model_b"}.get(value, value)
    return _win(mapped, where)


def _judge(value: Any) -> str | None:
    if isinstance(value, (list, tuple)) and value:
        return str(value[0])
    return None if value is None else str(value)


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str) else None


def _strength(verdict: Any) -> int:
    return ARENA_HARD_LABELS.get(verdict, (None, 1))[1] if isinstance(verdict, str) else 1


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


ORDERS = ("auto", "tstamp", "file")


def _tstamp(d: Any, where: str) -> float | None:
    value = d.get("tstamp") if isinstance(d, dict) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReviewFileError(f"{where}: tstamp must be a number (seconds), got {value!r}")
    return float(value)


def battle_order(lines: list[tuple[dict, str]], order: str = "auto") -> tuple[list[tuple[dict, str]], str]:
    """The lines in rating order and that order's name (tstamp | file); see the module docstring."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if order == "file":
        return lines, "file"
    stamps = [_tstamp(d, where) for d, where in lines]
    own = any(isinstance(d, dict) and "order" in d and "id" in d for d, _ in lines)
    if all(t is None for t in stamps) or (order == "auto" and own):
        return lines, "file"
    ranked = sorted(range(len(lines)), key=lambda i: (stamps[i] is None, stamps[i] or 0.0))
    return [lines[i] for i in ranked], "tstamp"


def parse_rows(lines: Iterable[tuple[dict, str]], source: str, order: str = "auto") -> ReviewFile:
    """Rows from (object, "file:line") pairs (see the module docstring)."""
    lines, used = battle_order(list(lines), order)
    rows: list = []
    kinds: set[str] = set()
    rules: set[str] = set()
    for n, (d, where) in enumerate(lines):
        if not isinstance(d, dict):
            raise ReviewFileError(f"{where}: expected a JSON object")
        if d.get("anony") is False:
            continue
        common = {"category": _str(d.get("category")), "question_id": _str(d.get("question_id")),
                  "judge": _judge(d.get("judge")), "turn": d.get("turn")}
        if "g1_winner" in d:  # FastChat pairwise judgment: game 2 shows model_2 first
            m1, m2 = str(d["model_1"]), str(d["model_2"])
            g1, g2 = _fastchat_win(d["g1_winner"], where), _fastchat_win(d.get("g2_winner"), where)
            rows += [ReviewRow(m1, m2, g1, ("line", n), m1, **common),
                     ReviewRow(m2, m1, flip(g2) if g2 else None, ("line", n), m1, **common)]
            kinds.add("pairwise")
            rules.add("tie")
        elif "win_1" in d:  # EvalScope swap_position review: win_2 already in model_a terms
            a, b = str(d["model_a"]), str(d["model_b"])
            w1, w2 = _win(d["win_1"], where), _win(d.get("win_2"), where)
            rows += [ReviewRow(a, b, w1, ("line", n), a, **common),
                     ReviewRow(b, a, flip(w2) if w2 else None, ("line", n), a, **common)]
            kinds.add("pairwise")
            rules.add("tie")
        elif "model_a" in d and "win" in d:
            a, b = str(d["model_a"]), str(d["model_b"])
            if a == b:
                raise ReviewFileError(f"{where}: model_a and model_b are both {a!r}")
            if "order" in d and "id" in d:  # benchgate
                match = (d["id"], d.get("turn"), common["judge"])
                first = a if d["order"] != "ba" else b
                rules.add("tie")
            else:  # EvalScope battle.jsonl: pairs the two orders of a question for bias statistics
                match = ("question", common["question_id"], frozenset((a, b)), common["turn"],
                         common["judge"])
                first = min(a, b)
                rules.add("separate")
            rows.append(ReviewRow(a, b, _win(d["win"], where), match, first,
                                  _strength(d.get("verdict")), len_a=_length(d.get("output_a")),
                                  len_b=_length(d.get("output_b")), **common))
            kinds.add("pairwise")
        elif "model" in d and "score" in d:
            score = d["score"]
            if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
                raise ReviewFileError(f"{where}: score must be a number or null, got {score!r}")
            if score == -1 and "id" not in d:  # FastChat: -1 = no rating
                score = None
            match = (d["id"], d.get("turn"), common["judge"]) if "id" in d else ("line", n)
            rows.append(ScoreRow(str(d["model"]), None if score is None else float(score), match,
                                 **common))
            kinds.add("single")
        else:
            raise ReviewFileError(f"{where}: not a review row: expected model_a/model_b/win "
                                  f"(EvalScope), g1_winner (FastChat) or model/score (single)")
    if len(kinds) > 1:
        raise ReviewFileError(f"{source}: mixes pairwise and single-mode rows")
    if not rows:
        raise ReviewFileError(f"{source}: no review rows")
    rule = "separate" if rules == {"separate"} else "tie"
    return ReviewFile(kinds.pop(), rows, rule, source, used)


def read_review_file(path: str | Path, order: str = "auto") -> ReviewFile:
    """Read a review file of any supported format (`order`: see the module docstring)."""
    path = Path(path)
    try:
        lines = []
        for _, obj, where in read_jsonl(path):
            if isinstance(obj, DataError):
                raise ReviewFileError(str(obj))
            lines.append((obj, where))
    except DataError as e:
        raise ReviewFileError(str(e)) from None
    return parse_rows(lines, str(path), order)


def to_battles(rows: list[ReviewRow], rule: str) -> list[Battle]:
    """The battles of pairwise rows: rule 'separate' one per parsed row in file order; else one
    match at a time, in order of first appearance (see battles.combine)."""
    if rule == "separate":  # every parsed row is a battle, in file order
        return [Battle(r.model_a, r.model_b, r.win, r.category, r.question_id, r.judge, r.turn,
                       str(r.match), r.strength, len_a=r.len_a, len_b=r.len_b)
                for r in rows if r.win is not None]
    matches: dict[Hashable, list[ReviewRow]] = {}
    for r in rows:
        matches.setdefault(r.match, []).append(r)
    battles: list[Battle] = []
    for key, members in matches.items():
        head = members[0]
        first = head.first
        other = head.model_b if head.model_a == first else head.model_a
        verdicts = [((r.win if r.model_a == first else flip(r.win)) if r.win else None, r.strength)
                    for r in members]
        lengths = {r.model_a: r.len_a for r in members} | {r.model_b: r.len_b for r in members}
        for winner, strength in combine(verdicts, rule):
            battles.append(Battle(first, other, winner, head.category, head.question_id,
                                  head.judge, head.turn, str(key), strength,
                                  len_a=lengths.get(first), len_b=lengths.get(other)))
    return battles


def to_scores(rows: list[ScoreRow]) -> list[Score]:
    """The ratings of single-mode rows that parsed."""
    return [Score(r.model, r.score, r.category, r.question_id, r.judge, r.turn, str(r.match))
            for r in rows if r.score is not None]


def weighted(battles: list[Battle], strong_weight: float) -> list[Battle]:
    """Battles weighted by verdict strength (a strong arena-hard verdict counts strong_weight)."""
    return [replace(b, weight=float(strong_weight) if b.strength >= 2 else 1.0) for b in battles]
