"""Judge prompt templates in FastChat's `judge_prompts.jsonl` or EvalScope's
`prompt_templates.jsonl` format (one JSON object a line):
``{name, type: pairwise|single, system_prompt, prompt_template, output_format, category}``;
EvalScope also allows a list of categories and a ``defaults`` mapping of extra fields.

Choosing a template (FastChat `gen_judgment.py`): reference-guided templates (those showing
``{ref_answer_1}``) for the categories that need a reference (math, reasoning, coding) when
the question has one; multi-turn templates (showing ``{question_2}``) for the second turn;
otherwise the template of the question's category, else the general one. A template whose
category is ``math`` covers math, reasoning and coding, as FastChat applies it; FastChat's own
file labels its reference-guided multi-turn template "general" (FastChat picks templates by
name), so for those categories any reference-guided template of the right turn count serves.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

from benchgate.data.files import read_jsonl_strictly
from benchgate.judge.verdicts import FORMATS, kind_of

NEED_REF_CATEGORIES = ("math", "reasoning", "coding")  # FastChat NEED_REF_CATS
TYPES = ("pairwise", "single")


class TemplateError(ValueError):
    """A template file or a template choice that cannot work; the message names the file."""


@dataclass(frozen=True)
class JudgeTemplate:
    """One judge prompt: system prompt, user prompt template, verdict format."""

    name: str
    type: str
    system_prompt: str
    prompt_template: str
    output_format: str
    categories: tuple[str, ...] = ("general",)
    defaults: dict = field(default_factory=dict, compare=False)
    source: str = ""

    @cached_property
    def fields(self) -> set[str]:
        """The placeholders of the user prompt template."""
        return {f for _, f, _, _ in string.Formatter().parse(self.prompt_template) if f}

    @property
    def multi_turn(self) -> bool:
        return "question_2" in self.fields

    @property
    def ref_based(self) -> bool:
        return "ref_answer_1" in self.fields

    @cached_property
    def turns(self) -> int:
        """How many turns the template shows (1 for single-turn templates)."""
        n = 1
        while f"question_{n + 1}" in self.fields:
            n += 1
        return n

    def render(self, values: dict[str, Any]) -> tuple[str, str]:
        """(system prompt, user prompt) with the template's placeholders filled."""
        try:
            return self.system_prompt, self.prompt_template.format(**{**self.defaults, **values})
        except (KeyError, IndexError, ValueError) as e:
            raise TemplateError(f"judge template {self.name!r} ({self.source}): cannot fill "
                                f"placeholder {e}") from None


def _allowed_fields(kind: str, multi: int) -> set[str]:
    if kind == "single":
        base = {"question", "answer"} if multi == 1 else set()
        per_turn = ("question_{}", "answer_{}", "ref_answer_{}")
    else:
        base = {"question", "answer_a", "answer_b"} if multi == 1 else set()
        per_turn = ("question_{}", "answer_a_{}", "answer_b_{}", "ref_answer_{}")
    # ref_answer_1 is also used by single-turn reference templates
    return base | {"ref_answer_1"} | {p.format(i) for p in per_turn for i in range(1, multi + 1)}


def template_from_row(row: dict, where: str) -> JudgeTemplate:
    """A JudgeTemplate from one row of a template file; errors name `where` and the key."""
    for key in ("name", "prompt_template", "output_format"):
        if not isinstance(row.get(key), str) or not row[key]:
            raise TemplateError(f"{where}: judge template needs a non-empty string {key!r}")
    kind = row.get("type", "pairwise")
    if kind not in TYPES:
        raise TemplateError(f"{where}: 'type' must be one of {TYPES}, got {kind!r}")
    if row["output_format"] not in FORMATS:
        raise TemplateError(f"{where}: 'output_format' must be one of {FORMATS}, "
                            f"got {row['output_format']!r}")
    if row["output_format"] != "json" and kind_of(row["output_format"]) != kind:
        raise TemplateError(f"{where}: output_format {row['output_format']!r} does not fit "
                            f"type {kind!r}")
    category = row.get("category", "general")
    categories = tuple(category) if isinstance(category, list) else (category,)
    if not categories or not all(isinstance(c, str) for c in categories):
        raise TemplateError(f"{where}: 'category' must be a string or a list of strings")
    if categories == ("math",):
        categories = NEED_REF_CATEGORIES
    defaults = row.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise TemplateError(f"{where}: 'defaults' must be an object")
    system = row.get("system_prompt") or ""
    if not isinstance(system, str):
        raise TemplateError(f"{where}: 'system_prompt' must be a string")
    template = JudgeTemplate(row["name"], kind, system, row["prompt_template"],
                             row["output_format"], categories, defaults, where)
    try:
        fields = template.fields
    except ValueError as e:
        raise TemplateError(f"{where}: 'prompt_template' is not a valid format string: {e}") from None
    unknown = fields - _allowed_fields(kind, template.turns) - set(defaults)
    if unknown:
        raise TemplateError(f"{where}: 'prompt_template' has unknown placeholder(s) "
                            f"{sorted(unknown)} for a {kind} template")
    return template


def load_templates(path: str | Path) -> list[JudgeTemplate]:
    """All templates of a FastChat/EvalScope judge prompt file, in file order."""
    path = Path(path)
    templates = []
    for _, row, where in read_jsonl_strictly(path, TemplateError):
        templates.append(template_from_row(row, where))
    if not templates:
        raise TemplateError(f"{path}: no judge templates")
    names = [t.name for t in templates]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise TemplateError(f"{path}: template name(s) {dupes} appear more than once")
    return templates


def select_template(templates: Sequence[JudgeTemplate], kind: str, category: str | None,
                    turn: int = 1, has_reference: bool = False) -> JudgeTemplate:
    """The template for judging `turn` (1-based) of a question of `category` (see module doc)."""
    fitting = [t for t in templates if t.type == kind and t.turns == turn]
    if not fitting:
        what = f"{turn}-turn " if turn > 1 else "single-turn "
        raise TemplateError(f"no {what}{kind} judge template among "
                            f"{[t.name for t in templates]}")
    if has_reference and category in NEED_REF_CATEGORIES:
        guided = [t for t in fitting if t.ref_based]
        for t in guided:
            if category in t.categories:
                return t
        if guided:  # FastChat's file labels pair-math-v1-multi-turn "general"; FastChat picks it by name
            return guided[0]
    plain = [t for t in fitting if not t.ref_based]
    if not plain:
        raise TemplateError(f"judge template(s) {[t.name for t in fitting]} need a reference "
                            f"answer, but the question (category {category!r}) has none")
    for t in plain:
        if category in t.categories:
            return t
    for t in plain:
        if "general" in t.categories:
            return t
    return plain[0]
