"""Reading a judge's pairwise verdict as a position: "A" (shown first), "B", "tie", or None
(no verdict: a parse failure, counted and listed, never a tie).

Rules (`rule` names):
- ``llmbar``: LLMBar's Vanilla-style parsing (LLMEvaluator/evaluators/config/*/Vanilla.json):
  regex ``(?:^|\\n) ?Output \\(a\\)`` -> A, else ``(?:^|\\n) ?Output \\(b\\)`` -> B, searched in
  the stripped completion, in that order.
- ``llmbar_cot``: LLMBar's CoT parsing (config/*/CoT.json): ``Output \\(a\\) is better.`` -> A,
  else ``Output \\(b\\) is better.`` -> B.
- ``pandalm``: PandaLM-7B's output, its first line: "1", "2", or "Tie" (any case) -> tie; as
  in the released judgments (data/compute_metrics.py) "0" and "garbage" are ties too (the
  authors' rule for gpt-3.5-turbo's unusable answers).
- a FastChat/EvalScope template: the arena's parsers (`benchgate.judge.verdicts.get_parser`
  for the template's output_format).
"""
from __future__ import annotations

import re
from typing import Callable

from benchgate.judge.verdicts import VerdictError, get_parser

_LLMBAR = (("A", re.compile(r"(?:^|\n) ?Output \(a\)")), ("B", re.compile(r"(?:^|\n) ?Output \(b\)")))
_LLMBAR_COT = (("A", re.compile(r"Output \(a\) is better.")), ("B", re.compile(r"Output \(b\) is better.")))
RULES = ("llmbar", "llmbar_cot", "pandalm")


def _search(rules, text: str) -> str | None:
    text = text.strip()
    for winner, pattern in rules:
        if pattern.search(text):
            return winner
    return None


def parse_llmbar(text: str) -> str | None:
    """LLMBar's Vanilla rule (module doc)."""
    return _search(_LLMBAR, text)


def parse_llmbar_cot(text: str) -> str | None:
    """LLMBar's CoT rule (module doc)."""
    return _search(_LLMBAR_COT, text)


def parse_pandalm(text: str) -> str | None:
    """PandaLM's first line: "1" -> A, "2" -> B; "tie" (any case), "0", "garbage" -> tie."""
    first = text.strip().split("\n")[0].strip()
    return {"1": "A", "2": "B", "tie": "tie", "0": "tie", "garbage": "tie"}.get(first.lower())


_BY_RULE: dict[str, Callable[[str], str | None]] = {
    "llmbar": parse_llmbar, "llmbar_cot": parse_llmbar_cot, "pandalm": parse_pandalm}


def rule_parser(rule: str) -> Callable[[str], str | None]:
    """The parser of one of RULES."""
    if rule not in _BY_RULE:
        raise ValueError(f"unknown verdict rule {rule!r} (accepted: {', '.join(RULES)})")
    return _BY_RULE[rule]


def template_parser(parser: str, output_format: str) -> Callable[[str], str | None]:
    """A position reader built on the arena's parser for a pairwise template."""
    parse = get_parser(parser, output_format, "pairwise")

    def read(text: str) -> str | None:
        try:
            return parse(text).winner
        except VerdictError:
            return None
    return read


# what a judge following each rule writes for a position (oracle/wrong answers, scripted judges)
_ANSWERS = {
    "llmbar": {"A": "Output (a)", "B": "Output (b)"},
    "llmbar_cot": {"A": "Therefore, Output (a) is better.", "B": "Therefore, Output (b) is better."},
    "pandalm": {"A": "1", "B": "2", "tie": "Tie"},
    "[[A]]": {"A": "[[A]]", "B": "[[B]]", "tie": "[[C]]"},
    "[[A>>B]]": {"A": "[[A>B]]", "B": "[[B>A]]", "tie": "[[A=B]]"},
    "[[rating_a,rating_b]]": {"A": "[[8,3]]", "B": "[[3,8]]", "tie": "[[5,5]]"},
    "json": {"A": '{"winner": "A"}', "B": '{"winner": "B"}', "tie": '{"winner": "tie"}'},
}


def answer_for(style: str, position: str) -> str | None:
    """The text a judge of `style` (a rule or a template output_format) writes to pick
    `position`; None when the style cannot say it (LLMBar prompts have no tie)."""
    return _ANSWERS[style].get(position)
