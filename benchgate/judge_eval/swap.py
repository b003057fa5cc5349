"""LLMBar's swap-and-synthesize strategy (prompts ``Swap`` and ``Swap_CoT``), as the authors'
LLMEvaluator/evaluate.py `annotate` runs it:

1. the CoT prompt in both orders (read by the CoT rule); the winners are the outputs of the
   row ("1", "2") each order chose;
2. only when the two winners are "1" and "2" (both parsed, disagreeing), a synthesize round in
   both orders: the prompt of ``prompts/swap_and_synthesize/<name>.txt`` shows the two
   first-round explanations as a debate, Assistant (a)'s arguing for the output shown first
   and Assistant (b)'s for the other. An explanation written with the outputs in the other
   order has its "Output (a)"/"Output (b)" (and "output (a)"/"output (b)") swapped
   (`reverse_output_ab`, the authors' `reverse_OutputAB`).

The last round's winners are the final ones (their statistics read ``results[-1]``).
"""
from __future__ import annotations

from typing import Callable

WINNER_IN_ORDER = ({"A": "1", "B": "2"}, {"A": "2", "B": "1"})  # position -> row output, per order


def reverse_output_ab(explanation: str) -> str:
    """The authors' reverse_OutputAB: "Output (a)" and "Output (b)" (either case of "output")
    swapped."""
    for output in ("Output", "output"):
        explanation = explanation.replace(f"{output} (a)", f"**********{output} (a)**********")
        explanation = explanation.replace(f"{output} (b)", f"##########{output} (b)##########")
        explanation = explanation.replace(f"**********{output} (a)**********", f"{output} (b)")
        explanation = explanation.replace(f"##########{output} (b)##########", f"{output} (a)")
    return explanation


def first_round_winners(parse: Callable[[str], str | None], texts: tuple[str, str]) -> tuple[str | None, str | None]:
    """The row's output ("1", "2", or None: no verdict) each first-round reply chose: the
    first text judged the outputs in the row's order, the second swapped."""
    return tuple(WINNER_IN_ORDER[n].get(parse(t) or "") for n, t in enumerate(texts))  # type: ignore[return-value]


def debate(parse: Callable[[str], str | None], texts: tuple[str, str]) -> list[tuple[str, str]] | None:
    """None when the first round's two replies agree (or one has no verdict): no synthesize
    round. Else, for the row's order and the swapped one, the (explanation_1, explanation_2)
    the synthesize prompt shows: Assistant (a)'s, for the output shown first, and Assistant
    (b)'s (module doc)."""
    winners = first_round_winners(parse, texts)
    if set(winners) != {"1", "2"}:
        return None
    swap_of = {winners[0]: False, winners[1]: True}  # which order argued for each output
    actual = {w: texts[int(swap_of[w])].strip() for w in ("1", "2")}  # the authors' stripped completions
    shown = []
    for swap in (False, True):
        one = actual["1"] if swap == swap_of["1"] else reverse_output_ab(actual["1"])
        two = actual["2"] if swap == swap_of["2"] else reverse_output_ab(actual["2"])
        shown.append((two, one) if swap else (one, two))
    return shown
