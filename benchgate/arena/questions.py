"""Question and reference-answer files.

Questions (one JSON object a line, format told by its keys):
- MT-bench / FastChat / Vicuna bench: ``{question_id, category, turns: [str, ...]}`` (an
  inline ``reference: [str, ...]`` is kept);
- EvalScope / llmuses arena: ``{question_id, text, category}`` (one turn);
- arena-hard: ``{question_id, category, turns: [{"content": str}, ...]}``.

Reference answers: FastChat ``{question_id, model_id, choices: [{turns: [...]}]}`` (MT-bench's
``reference_answer/gpt-4.jsonl``) or EvalScope ``{text, answer}`` (matched by question text).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchgate.data.files import read_jsonl_strictly


class QuestionFileError(ValueError):
    """A question or reference file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class Question:
    """One arena question: its id as text (`id`, used in test ids) and as in the file (`raw_id`)."""

    id: str
    raw_id: Any
    category: str
    turns: tuple[str, ...]
    position: int
    reference: tuple[str, ...] | None = None


def _turn_text(turn: Any, where: str) -> str:
    if isinstance(turn, str):
        return turn
    if isinstance(turn, dict) and isinstance(turn.get("content"), str):
        return turn["content"]
    raise QuestionFileError(f"{where}: a turn must be a string or {{\"content\": str}}")


def _turns(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise QuestionFileError(f"{where}: {key!r} must be a non-empty list")
    return tuple(_turn_text(t, where) for t in value)


def load_questions(path: str | Path) -> list[Question]:
    """All questions of a file, in file order (position = 0-based index)."""
    path = Path(path)
    out: list[Question] = []
    seen: set[str] = set()
    for index, row, where in read_jsonl_strictly(path, QuestionFileError):
        raw = row.get("question_id")
        if raw is None or isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise QuestionFileError(f"{where}: 'question_id' (int or str) is missing")
        qid = str(raw)
        if not qid or "/" in qid or any(c.isspace() for c in qid):
            raise QuestionFileError(f"{where}: question_id {raw!r} cannot be part of a test id "
                                    f"(no '/', no spaces)")
        if qid in seen:
            raise QuestionFileError(f"{where}: question_id {raw!r} appears twice")
        seen.add(qid)
        if "turns" in row:
            turns = _turns(row["turns"], where, "turns")
        elif isinstance(row.get("text"), str):
            turns = (row["text"],)
        else:
            raise QuestionFileError(f"{where}: a question needs 'turns' (FastChat) or 'text' (EvalScope)")
        reference = _turns(row["reference"], where, "reference") if row.get("reference") else None
        category = row.get("category") or "general"
        if not isinstance(category, str):
            raise QuestionFileError(f"{where}: 'category' must be a string")
        out.append(Question(qid, raw, category, turns, index, reference))
    if not out:
        raise QuestionFileError(f"{path}: no questions")
    return out


def load_references(path: str | Path, questions: list[Question]) -> dict[str, tuple[str, ...]]:
    """Reference answers by question id: FastChat format by question_id, EvalScope format
    ({text, answer}) by question text."""
    by_text = {q.turns[0]: q.id for q in questions}
    known = {q.id for q in questions}
    refs: dict[str, tuple[str, ...]] = {}
    for _, row, where in read_jsonl_strictly(path, QuestionFileError):
        if "choices" in row:
            choices = row["choices"]
            if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
                raise QuestionFileError(f"{where}: 'choices' must be a list of {{\"turns\": [...]}}")
            qid = str(row.get("question_id"))
            if qid in known:
                refs[qid] = _turns(choices[0].get("turns"), where, "choices[0].turns")
        elif isinstance(row.get("answer"), str) and isinstance(row.get("text"), str):
            if row["text"] in by_text:
                refs[by_text[row["text"]]] = (row["answer"],)
        else:
            raise QuestionFileError(f"{where}: a reference needs 'choices' (FastChat) or "
                                    f"'text' and 'answer' (EvalScope)")
    return refs
