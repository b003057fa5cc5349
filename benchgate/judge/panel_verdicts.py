"""Verdicts of a panel of judges (`--judge-model panel:FILE`, `benchgate.models.panel`) for
the arena: each member's text is read by the arena's own parser, then

- pairwise: the majority of the members' winners (equal top counts, e.g. one A and one B, are
  a tie, as disagreeing verdicts are in FastChat); the strength is the smallest among the
  members who voted for the winner;
- single: the mean of the members' ratings.

Members whose text does not parse do not vote; when none parses, the panel's verdict is a
`VerdictError` (a parse failure, never a tie). The label records every member's verdict:
``A (m1: A, m2: B, m3: A)``.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Hashable, Iterable, TypeVar

from benchgate.judge.verdicts import Verdict, VerdictError
from benchgate.models.panel import split_panel_reply

L = TypeVar("L", bound=Hashable)


def majority(labels: Iterable[L | None]) -> list[L]:
    """The labels chosen most often among the parsed ones (None: not parsed), in the order
    first seen: one label, several on equal top counts (a tie), none when nothing parsed."""
    counts = Counter(label for label in labels if label is not None)
    top = max(counts.values(), default=0)
    return [label for label, count in counts.items() if count == top]


def panel_aware(parse: Callable[[str], Verdict], kind: str) -> Callable[[str], Verdict]:
    """`parse` for one judge's text, extended to read a panel reply (module doc)."""
    def read(text: str) -> Verdict:
        members = split_panel_reply(text)
        if members is None:
            return parse(text)
        verdicts: list[tuple[str, Verdict | None]] = []
        for i, m in enumerate(members):
            try:
                verdicts.append((str(m.get("name", i)), parse(m["text"])))
            except VerdictError:
                verdicts.append((str(m.get("name", i)), None))
        parsed = [v for _, v in verdicts if v is not None]
        if not parsed:
            raise VerdictError("no panel member's verdict parsed", retryable=False)
        shown = ", ".join(f"{n}: {v.label if v else 'none'}" for n, v in verdicts)
        if kind == "single":
            rating = sum(v.rating for v in parsed) / len(parsed)
            return Verdict(f"{rating:g} ({shown})", rating=rating)
        winners = majority(v.winner for v in parsed)
        winner = winners[0] if len(winners) == 1 else "tie"
        strength = min((v.strength for v in parsed if v.winner == winner), default=1)
        return Verdict(f"{winner} ({shown})", winner, strength)
    return read


_MEMBERS = re.compile(r"^(.*) \((.*)\)$", re.S)


def member_verdicts(label: str) -> dict[str, str | None] | None:
    """Each member's verdict from a panel verdict's label (None: not a panel's label)."""
    match = _MEMBERS.match(label or "")
    if not match:
        return None
    out: dict[str, str | None] = {}
    for part in match.group(2).split(", "):
        name, sep, value = part.rpartition(": ")
        if not sep:
            return None
        out[name] = None if value == "none" else value
    return out
