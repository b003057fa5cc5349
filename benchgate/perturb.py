"""Seeded perturbations of multiple-choice samples (the Robustness dimension).

- `shuffle`: the choices in a seeded random order (the gold label follows its choice);
- `labels`: option labels A-D become 1-4 (in the options, the answer cue and the exemplars);
- `typos`: character-level typos in the question (`add_typos`).

Pure functions; the same (seed, sample id) always gives the same perturbation, so a perturbed
run is reproducible and its requests are cached like any other.
"""
from __future__ import annotations

import random
from typing import Iterable, Sequence

PERTURBATIONS = ("shuffle", "labels", "typos")
DIGITS = "123456789"
DEFAULT_TYPO_RATE = 0.05  # share of the question's letters that get a typo (at least one)

# neighbours on a QWERTY keyboard, for substitution typos in Latin text
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for r, row in enumerate(_ROWS):
    for c, ch in enumerate(row):
        near = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
        near += [_ROWS[rr][i] for rr in (r - 1, r + 1) if 0 <= rr < len(_ROWS)
                 for i in (c - 1, c, c + 1) if 0 <= i < len(_ROWS[rr])]
        _NEIGHBOURS[ch] = "".join(near)


def parse_perturb(value, allowed: Sequence[str] = PERTURBATIONS, name: str = "") -> tuple[str, ...]:
    """The `perturb` dataset arg ("shuffle", "shuffle,typos" or a list; empty/None for none) as a
    tuple in canonical order; an unknown kind raises ValueError naming the accepted ones."""
    if value in (None, "", False, [], ()):
        return ()
    if isinstance(value, str):
        items: Iterable = (v.strip() for v in value.split(","))
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise ValueError(f"--dataset-args: {name} perturb must be a string or a list, got {value!r}")
    kinds = {str(v) for v in items if str(v)}
    unknown = sorted(kinds - set(allowed))
    if unknown:
        raise ValueError(f"--dataset-args: {name} perturb {unknown} not supported "
                         f"(accepted here: {', '.join(allowed)})")
    return tuple(k for k in PERTURBATIONS if k in kinds)


def rng_for(seed: int, key: str, kind: str) -> random.Random:
    """The random source of one perturbation of one sample."""
    return random.Random(f"perturb/{kind}/{seed}/{key}")


def add_typos(text: str, rng: random.Random, rate: float = DEFAULT_TYPO_RATE) -> str:
    """Character-level typos: round(rate x the number of letters) (at least 1) letters, chosen at
    random, each get one of: swap with the next letter, deletion, doubling, or substitution (a
    QWERTY neighbour for Latin letters, else the next letter's character). Characters that are
    not letters (digits, spaces, punctuation, formulas' symbols) keep their order; a text
    without letters is returned unchanged."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if not letters:
        return text
    n = max(1, round(rate * len(letters)))
    chars = list(text)
    for i in sorted(rng.sample(letters, min(n, len(letters))), reverse=True):
        op = rng.choice(("swap", "delete", "double", "substitute"))
        nxt = i + 1 if i + 1 < len(chars) and chars[i + 1].isalpha() else None
        if op == "swap" and nxt is not None:
            chars[i], chars[nxt] = chars[nxt], chars[i]
        elif op == "delete":
            del chars[i]
        elif op == "double":
            chars.insert(i, chars[i])
        else:
            low = chars[i].lower()
            if low in _NEIGHBOURS:
                sub = rng.choice(_NEIGHBOURS[low])
                chars[i] = sub.upper() if chars[i].isupper() else sub
            elif nxt is not None and chars[nxt] != chars[i]:
                chars[i] = chars[nxt]
            else:
                chars.insert(i, chars[i])  # nothing to substitute with: double instead
    return "".join(chars)


def permute(choices: Sequence, gold: int, rng: random.Random) -> tuple[list, int]:
    """The choices in a random order that moves at least one (for two or more choices), and the
    new index of the gold one."""
    order = list(range(len(choices)))
    if len(order) > 1:
        while order == sorted(order):
            rng.shuffle(order)
    return [choices[i] for i in order], order.index(gold)
