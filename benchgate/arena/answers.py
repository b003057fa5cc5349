"""Answer files: read the candidates' answers from files, write benchgate's and EvalScope's.

Read (format told by each line's keys):
- benchgate ``arena/answers/<model>.jsonl``: ``{question_id, model, category, turns: [str]}``;
- benchgate arena ``samples.jsonl``: records with ``question_id`` and ``answers: {model: [str]}``;
- FastChat ``model_answer/<model>.jsonl`` (and arena-hard): ``{question_id, model_id,
  choices: [{turns: [str or {"content"}]}]}``;
- EvalScope answer file: ``{question_id, model_id, answer}`` (one turn).
A model name that is a path or hub id (``ZhipuAI/chatglm3-6b``) is shortened to its last part.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from benchgate.data.files import read_jsonl_strictly


class AnswerFileError(ValueError):
    """An answer file that cannot be read; the message names the file and line."""


def short_name(model_id: str) -> str:
    """'ZhipuAI/chatglm3-6b' -> 'chatglm3-6b'."""
    return str(model_id).rstrip("/").rsplit("/", 1)[-1]


def _turns(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise AnswerFileError(f"{where}: answer turns must be a non-empty list")
    out = []
    for t in value:
        if isinstance(t, dict):
            t = t.get("content")
        if not isinstance(t, str):
            raise AnswerFileError(f"{where}: an answer turn must be a string")
        out.append(t)
    return tuple(out)


def _entries(row: dict, where: str) -> Iterable[tuple[str, str, tuple[str, ...]]]:
    """(model, question id, turns) of one line."""
    if "question_id" not in row:
        raise AnswerFileError(f"{where}: 'question_id' is missing")
    qid = str(row["question_id"])
    if isinstance(row.get("answers"), dict):  # benchgate arena samples.jsonl
        for model, turns in row["answers"].items():
            if turns is not None:
                yield model, qid, _turns(turns, where)
    elif "turns" in row and "model" in row:  # benchgate answers file
        yield str(row["model"]), qid, _turns(row["turns"], where)
    elif "choices" in row:  # FastChat / arena-hard
        choices = row["choices"]
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise AnswerFileError(f"{where}: 'choices' must be a list of {{\"turns\": [...]}}")
        yield short_name(row.get("model_id") or "model"), qid, _turns(choices[0].get("turns"), where)
    elif isinstance(row.get("answer"), str):  # EvalScope
        yield short_name(row.get("model_id") or "model"), qid, (row["answer"],)
    else:
        raise AnswerFileError(f"{where}: not an answer: expected benchgate ('model', 'turns'), "
                              f"FastChat ('choices') or EvalScope ('answer') keys")


def read_answers(path: str | Path) -> dict[str, dict[str, tuple[str, ...]]]:
    """{model: {question id: turns}} of an answer file."""
    path = Path(path)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for _, row, where in read_jsonl_strictly(path, AnswerFileError):
        for model, qid, turns in _entries(row, where):
            out.setdefault(model, {})[qid] = turns
    if not out:
        raise AnswerFileError(f"{path}: no answers")
    return out


def model_names(path: str | Path) -> list[str]:
    """The models an answer file holds answers of."""
    return list(read_answers(path))


def answer_lines(model: str, rows: Iterable[tuple[Any, str, tuple[str, ...]]]) -> list[str]:
    """benchgate answer-file lines for (question id as in the file, category, turns) rows."""
    return [json.dumps({"question_id": qid, "model": model, "category": category,
                        "turns": list(turns)}, ensure_ascii=False) + "\n"
            for qid, category, turns in rows]


def evalscope_answer_lines(model_id: str, rows: Iterable[tuple[Any, str, str, str]]) -> list[str]:
    """EvalScope answer-file lines for (question id, question text, category, answer) rows."""
    return [json.dumps({"question_id": qid, "text": text, "category": category,
                        "model_id": model_id, "metadata": {}, "answer": answer},
                       ensure_ascii=False) + "\n"
            for qid, text, category, answer in rows]


def write_lines(path: Path, lines: list[str]) -> None:
    """Write a text file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.replace(path)
