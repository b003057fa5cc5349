"""Which battles an arena runs: the judged units (one pytest test each), in EvalScope's order.

- pairwise (all pairs): EvalScope's `get_battle_pairs`: the pairs of the lower triangle,
  ``(models[i], models[j])`` for i > j in row order, e.g. [A, B, C] -> (B, A), (C, A), (C, B);
- pairwise_baseline: ``(model, baseline)`` for every other model;
- single: one unit per model.
Units run pair-major (all questions of the first pair, then the next), as EvalScope writes its
review file; `seq` is that position. Test id: ``arena/<question_id>/<model_a>-vs-<model_b>``,
single mode ``arena/<question_id>/<model>``.

Answer order per judgment: ``swap_position`` judges both ("ab": model_a's answer shown
first, and "ba"); ``randomize_order`` one, flipped per question with EvalScope's seeded draw
``random.Random('is_switched_outputs' + question + str(random_seed)).choices([False, True])``;
``none`` judges "ab" only.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from benchgate.arena.questions import Question


@dataclass(frozen=True)
class Unit:
    """One judged unit: a question and a pair of models (or one model in single mode)."""

    id: str
    seq: int
    question: Question
    model_a: str
    model_b: str | None
    judges: tuple[str, ...]
    orders: tuple[str | None, ...]
    turns: tuple[int, ...]

    @property
    def models(self) -> tuple[str, ...]:
        return (self.model_a,) if self.model_b is None else (self.model_a, self.model_b)

    @property
    def label(self) -> str:
        """The pair ('a-vs-b') or the model: the unit's subset in results."""
        return self.model_a if self.model_b is None else f"{self.model_a}-vs-{self.model_b}"


def battle_pairs(models: list[str], mode: str) -> list[tuple[str, ...]]:
    """The model tuples judged, in order (see the module docstring)."""
    if mode == "single":
        return [(m,) for m in models]
    if mode == "pairwise_baseline":
        return [(m, models[-1]) for m in models[:-1]]
    return [(models[i], models[j]) for i in range(len(models)) for j in range(i)]


def switched(question_text: str, seed: int) -> bool:
    """EvalScope's randomize_order draw for a question (auto_reviewer.run)."""
    return random.Random("is_switched_outputs" + question_text + str(seed)).choices([False, True], k=1)[0]


def judged_turns(question: Question, which: str) -> tuple[int, ...]:
    n = len(question.turns)
    return {"all": tuple(range(1, n + 1)), "first": (1,), "last": (n,)}[which]


def build_units(questions: list[Question], models: list[str], mode: str, mitigation: str,
                random_seed: int, turns: str, judges: list[str] | None = None) -> list[Unit]:
    """Every unit of the arena. `judges`: the peer reviewers (None: one external judge,
    named '' here); a peer never judges a unit that holds its own answer."""
    units = []
    pairs = battle_pairs(models, mode)
    for p, pair in enumerate(pairs):
        if judges is None:
            unit_judges: tuple[str, ...] = ("",)
        else:
            unit_judges = tuple(j for j in judges if j not in pair)
            if not unit_judges:
                raise ValueError(f"peer review: no candidate can judge {' vs '.join(pair)} "
                                 f"(a model never judges its own answers); add candidates")
        for q in questions:
            if mode == "single":
                orders: tuple[str | None, ...] = (None,)
            elif mitigation == "swap_position":
                orders = ("ab", "ba")
            elif mitigation == "randomize_order":
                orders = ("ba",) if switched(q.turns[0], random_seed) else ("ab",)
            else:
                orders = ("ab",)
            name = "-vs-".join(pair)
            units.append(Unit(id=f"arena/{q.id}/{name}", seq=p * len(questions) + q.position,
                              question=q, model_a=pair[0],
                              model_b=pair[1] if len(pair) > 1 else None,
                              judges=unit_judges, orders=orders, turns=judged_turns(q, turns)))
    return units


def questions_per_group(group_size: int, models: list[str], mode: str) -> int:
    """Questions per prediction group: `group_size` units, all of a question's units together."""
    return max(1, group_size // max(1, len(battle_pairs(models, mode))))
