"""Judge verdict parsers.

- FastChat (`fastchat/llm_judge/common.py`, also EvalScope's `lmsys_parser`): pairwise
  ``[[A]]`` / ``[[B]]`` / ``[[C]]`` (tie), looked for in that order; single ``[[rating]]``
  (regex ``\\[\\[(\\d+\\.?\\d*)\\]\\]``, then the single-bracket fallback ``\\[(\\d+\\.?\\d*)\\]``);
  ``[[rating_a,rating_b]]`` with a tie when the two differ by at most 0.1.
- arena-hard (`gen_judgment.get_score`): the labels ``[[A>>B]]``, ``[[A>B]]``, ``[[A=B]]``,
  ``[[B>A]]``, ``[[B>>A]]`` (regex ``\\[\\[([AB<>=]+)\\]\\]``); no label is a failure worth
  asking again, two different labels a failure that is not.
- JSON: the last JSON object in the text with a ``winner``/``verdict`` (pairwise: A, B, C/tie,
  or EvalScope's five labels ``{"verdict": "A>B"}``) or a
  ``rating``/``score`` (single) key.

A text that does not parse raises `VerdictError`: the caller records a parse failure
(counted, listed, excluded from the ratings); it never becomes a tie or a zero.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

PAIRWISE_FORMATS = ("[[A]]", "[[rating_a,rating_b]]", "[[A>>B]]", "json")
SINGLE_FORMATS = ("[[rating]]", "json")
FORMATS = ("[[A]]", "[[rating]]", "[[rating_a,rating_b]]", "[[A>>B]]", "json")
# parser names accepted in configs: EvalScope's lmsys_parser (= FastChat's rules, chosen by
# the template's output_format), arena-hard's 5-point labels, JSON
PARSERS = ("lmsys_parser", "fastchat", "arena_hard", "json")
TIE_DELTA = 0.1  # FastChat: two ratings this close are a tie

_ONE_SCORE = re.compile(r"\[\[(\d+\.?\d*)\]\]")
_ONE_SCORE_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")
_TWO_SCORES = re.compile(r"\[\[(\d+\.?\d*),\s?(\d+\.?\d*)\]\]")
_TWO_SCORES_BACKUP = re.compile(r"\[(\d+\.?\d*),\s?(\d+\.?\d*)\]")
_ARENA_HARD = re.compile(r"\[\[([AB<>=]+)\]\]")
ARENA_HARD_LABELS = {"A>>B": ("A", 2), "A>B": ("A", 1), "A=B": ("tie", 1),
                     "B>A": ("B", 1), "B>>A": ("B", 2)}
_JSON_WINNERS = {"a": "A", "b": "B", "c": "tie", "tie": "tie", "model_a": "A", "model_b": "B"}


@dataclass(frozen=True)
class Verdict:
    """A parsed judgment. Pairwise: `winner` is the *position* that won ("A": the answer
    shown first, "B", or "tie"), `strength` 2 for a strong arena-hard label ([[A>>B]]).
    Single: `rating`. `label` is what the judge wrote ("A", "C", "A>>B", "7", ...)."""

    label: str
    winner: str | None = None
    strength: int = 1
    rating: float | None = None
    ratings: tuple[float, float] | None = None

    def to_json(self) -> str | float:
        """The value written as `verdict` in results: the rating, else the label."""
        return self.rating if self.rating is not None else self.label


class VerdictError(ValueError):
    """The judge's text holds no usable verdict. `retryable`: nothing was found at all
    (asking the judge once more may help), as opposed to a contradictory verdict."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


def parse_pair_fastchat(text: str) -> Verdict:
    """FastChat/EvalScope pairwise: '[[A]]' in text -> A, elif '[[B]]' -> B, elif '[[C]]' -> tie."""
    for token, winner in (("[[A]]", "A"), ("[[B]]", "B"), ("[[C]]", "tie")):
        if token in text:
            return Verdict(token[2:-2], winner)
    raise VerdictError("no [[A]], [[B]] or [[C]] verdict")


def parse_rating_fastchat(text: str) -> Verdict:
    """FastChat single grading: the first [[n]] (else the first [n]) is the rating."""
    match = _ONE_SCORE.search(text) or _ONE_SCORE_BACKUP.search(text)
    if not match:
        raise VerdictError("no [[rating]]")
    return Verdict(match.group(1), rating=float(match.group(1)))


def parse_pair_ratings_fastchat(text: str, tie_delta: float = TIE_DELTA) -> Verdict:
    """FastChat '[[rating_a,rating_b]]': the higher rating wins; within `tie_delta` a tie."""
    match = _TWO_SCORES.search(text) or _TWO_SCORES_BACKUP.search(text)
    if not match:
        raise VerdictError("no [[rating_a,rating_b]]")
    a, b = float(match.group(1)), float(match.group(2))
    winner = "tie" if abs(a - b) <= tie_delta else ("A" if a > b else "B")
    return Verdict(f"{match.group(1)},{match.group(2)}", winner, ratings=(a, b))


def parse_arena_hard(text: str) -> Verdict:
    """arena-hard's five labels; a strong label ([[A>>B]], [[B>>A]]) has strength 2."""
    found = set(_ARENA_HARD.findall(text))
    if not found:
        raise VerdictError("no [[A>>B]]-style verdict")
    if len(found) > 1:
        raise VerdictError(f"conflicting verdicts {sorted(found)}", retryable=False)
    label = found.pop()
    if label not in ARENA_HARD_LABELS:
        raise VerdictError(f"unknown verdict label [[{label}]]", retryable=False)
    winner, strength = ARENA_HARD_LABELS[label]
    return Verdict(label, winner, strength)


def _json_objects(text: str) -> list[dict]:
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def parse_json_pair(text: str) -> Verdict:
    """The last JSON object with "winner" (or "verdict"): A, B, C/tie (case-insensitive), or
    one of the five arena-hard labels of EvalScope's own judge reply
    ``{"reasoning": ..., "verdict": "A>B"}`` (A>>B, A>B, A=B, B>A, B>>A; a strong one has
    strength 2, as [[A>>B]])."""
    for obj in reversed(_json_objects(text)):
        for key in ("winner", "verdict"):
            value = obj.get(key)
            if not isinstance(value, str):
                continue
            label = value.strip()
            if label.lower() in _JSON_WINNERS:
                return Verdict(label, _JSON_WINNERS[label.lower()])
            if label in ARENA_HARD_LABELS:
                winner, strength = ARENA_HARD_LABELS[label]
                return Verdict(label, winner, strength)
    raise VerdictError('no JSON object with a "winner"/"verdict" of A, B or tie, or of '
                       'A>>B, A>B, A=B, B>A, B>>A')


def parse_json_rating(text: str) -> Verdict:
    """The last JSON object with a numeric "rating" (or "score")."""
    for obj in reversed(_json_objects(text)):
        for key in ("rating", "score"):
            value = obj.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return Verdict(str(value), rating=float(value))
    raise VerdictError('no JSON object with a numeric "rating"')


def kind_of(output_format: str) -> str:
    """'pairwise' or 'single' for a template's output_format (json: decided by the template)."""
    if output_format == "[[rating]]":
        return "single"
    if output_format in PAIRWISE_FORMATS:
        return "pairwise"
    raise ValueError(f"unknown output_format {output_format!r} (accepted: {', '.join(FORMATS)})")


def get_parser(name: str, output_format: str, kind: str) -> Callable[[str], Verdict]:
    """The parser for a config's parser name, a template's output_format and its type
    ('pairwise' or 'single')."""
    if name not in PARSERS:
        raise ValueError(f"unknown parser {name!r} (accepted: {', '.join(PARSERS)})")
    if name == "arena_hard":
        if kind != "pairwise":
            raise ValueError("the arena_hard parser reads pairwise verdicts only")
        return parse_arena_hard
    if name == "json" or output_format == "json":
        return parse_json_pair if kind == "pairwise" else parse_json_rating
    by_format = {"[[A]]": parse_pair_fastchat, "[[rating]]": parse_rating_fastchat,
                 "[[rating_a,rating_b]]": parse_pair_ratings_fastchat, "[[A>>B]]": parse_arena_hard}
    if output_format not in by_format:
        raise ValueError(f"unknown output_format {output_format!r} (accepted: {', '.join(FORMATS)})")
    return by_format[output_format]
