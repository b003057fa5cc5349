"""Juries on the judge benchmarks: a panel reply (`benchgate.models.panel`) is read member by
member with the benchmark's verdict rule and decided by majority vote.

`vote`: the position most of the parsed verdicts chose; equal top counts (one A, one B) are a
tie, as FastChat and the arena treat disagreeing verdicts; no parsed verdict at all is no
verdict. Member metrics carry the member's name: ``acc_member_<name>``,
``parse_failure_member_<name>``; the members' original-order labels are kept as components
``_m<i>`` for the agreement between members (`members_corpus`: Fleiss' kappa and mean pairwise
Cohen's kappa), and their calls and tokens as ``calls_member_<name>``, ``tokens_member_<name>``
(sums over the pairs; tokens as the member's API reported them).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Callable, Sequence

from benchgate.judge.panel_verdicts import majority
from benchgate.metrics.agreement import cohen_kappa, fleiss_kappa
from benchgate.models.panel import split_panel_reply


@dataclass(frozen=True)
class Reading:
    """A reply read: the (panel's) position and, for a panel, each member's name and position."""

    position: str | None
    members: tuple[tuple[str, str | None], ...] = ()
    tokens: tuple[int, ...] = ()  # each member's prompt + completion tokens, where reported


def vote(positions: Sequence[str | None]) -> str | None:
    """Majority of the parsed positions; equal top counts are a tie; none parsed: None."""
    winners = majority(positions)
    if not winners:
        return None
    return winners[0] if len(winners) == 1 else "tie"


def read_reply(parse: Callable[[str], str | None], text: str) -> Reading:
    """One judge's reply parsed, or a panel reply parsed per member and voted."""
    members = split_panel_reply(text)
    if members is None:
        return Reading(parse(text))
    read = tuple((str(m.get("name", i)), parse(m["text"])) for i, m in enumerate(members))
    tokens = tuple(int((m.get("usage") or {}).get("prompt_tokens") or 0)
                   + int((m.get("usage") or {}).get("completion_tokens") or 0) for m in members)
    return Reading(vote([p for _, p in read]), read, tokens)


def member_usage(scores: dict[str, float], key: str, readings: Sequence[Reading], i: int) -> None:
    """A member's calls and tokens for one pair, as components summed by `members_corpus`."""
    scores[f"_calls_member_{key}"] = float(len(readings))
    scores[f"_tokens_member_{key}"] = float(sum(r.tokens[i] for r in readings if i < len(r.tokens)))


def members_corpus(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """Agreement between the panel's members on their original-order labels (a parse failure
    is its own label): Fleiss' kappa and the mean of the pairwise Cohen's kappas."""
    rows = [s for s in scores if "_m0" in s]
    if not rows:
        return {}
    out: dict[str, float] = {}
    for name in sorted({k for s in rows for k in s if k.startswith(("_calls_member_", "_tokens_member_"))}):
        out[name[1:]] = float(sum(s.get(name, 0.0) for s in rows))
    k = 0
    while f"_m{k}" in rows[0]:
        k += 1
    labels = [[int(s[f"_m{i}"]) for i in range(k)] for s in rows if all(f"_m{i}" in s for i in range(k))]
    fleiss = fleiss_kappa(labels)
    if fleiss is not None:
        out["members_fleiss_kappa"] = fleiss
    pairs = [cohen_kappa([r[a] for r in labels], [r[b] for r in labels]) for a, b in combinations(range(k), 2)]
    pairs = [p for p in pairs if p is not None]
    if pairs:
        out["members_pairwise_kappa"] = sum(pairs) / len(pairs)
    return out
