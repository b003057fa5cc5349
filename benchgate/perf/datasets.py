"""Prompt sources for the load test.

* ``openqa``: JSONL, one object per line with a ``question`` string (EvalScope's openqa format;
  ``prompt``/``text`` are accepted too).
* ``line_by_line``: a text file, one prompt per non-empty line.
* ``sharegpt``: a JSON list (or JSONL) of ``{"conversations": [{"from": "human", "value": ...}, ...]}``;
  the first human turn is the prompt.
* ``random``: prompts of random token ids, length uniform in [min, max] prompt tokens; needs
  ``--tokenizer-path`` (the decoded text is what is sent, so re-tokenization may differ by a few
  tokens; the server's usage reports the real count).

File prompts are filtered by length in characters (``--min/max-prompt-length``). Any bad input is
a :class:`DatasetError` naming the file and the 1-based line.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from .config import PerfConfig

__all__ = ["DatasetError", "load_prompts", "load_tokenizer"]


class DatasetError(ValueError):
    """A dataset file is missing or malformed (message names the file and line)."""


def _read_lines(path: str) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"dataset file not found: {path}")
    raw = p.read_bytes()
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DatasetError(f"{path}:{line}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def _json(text: str, path: str, line: int | None = None) -> Any:
    """JSON of a whole file (line None: the error's own line) or of one line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}:{line or e.lineno}: invalid JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise DatasetError(f"{path}:{line or 1}: invalid JSON (nested too deeply)") from None


def _openqa(path: str) -> list[str]:
    out = []
    for i, line in enumerate(_read_lines(path), 1):
        if not line.strip():
            continue
        obj = _json(line, path, i)
        q = None
        if isinstance(obj, dict):
            q = obj.get("question", obj.get("prompt", obj.get("text")))
        if not isinstance(q, str):
            raise DatasetError(f"{path}:{i}: expected an object with a string 'question' field")
        if not q.strip():
            raise DatasetError(f"{path}:{i}: empty 'question' (a prompt must have text)")
        out.append(q)
    return out


def _line_by_line(path: str) -> list[str]:
    return [ln for ln in _read_lines(path) if ln.strip()]


def _sharegpt_prompt(obj: Any, where: str) -> str:
    conv = obj.get("conversations") if isinstance(obj, dict) else None
    if not isinstance(conv, list):
        raise DatasetError(f"{where}: expected an object with a 'conversations' list")
    for turn in conv:
        if isinstance(turn, dict) and turn.get("from") in ("human", "user") and isinstance(turn.get("value"), str):
            if not turn["value"].strip():
                raise DatasetError(f"{where}: the first human turn is empty (a prompt must have text)")
            return turn["value"]
    raise DatasetError(f"{where}: no human turn in 'conversations'")


def _sharegpt(path: str) -> list[str]:
    lines = _read_lines(path)
    text = "\n".join(lines)
    if text.lstrip().startswith("["):
        data = _json(text, path)
        if not isinstance(data, list):
            raise DatasetError(f"{path}:1: expected a JSON array of conversations")
        return [_sharegpt_prompt(obj, f"{path}: item {k}") for k, obj in enumerate(data)]
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        out.append(_sharegpt_prompt(_json(line, path, i), f"{path}:{i}"))
    return out


def load_tokenizer(path: str | None) -> Any:
    """A local HF tokenizer (no download: local files only), or None."""
    if not path:
        return None
    from transformers import AutoTokenizer

    if not Path(path).exists():
        raise DatasetError(f"--tokenizer-path not found: {path}")
    return AutoTokenizer.from_pretrained(path, local_files_only=True)


def _random_prompts(cfg: PerfConfig, tokenizer: Any, count: int) -> list[str]:
    if tokenizer is None:
        raise DatasetError("--dataset random needs --tokenizer-path (prompts are random token ids)")
    lo = max(1, cfg.min_prompt_length)
    hi = max(lo, min(cfg.max_prompt_length, 1 << 20))
    rng = random.Random(cfg.seed)
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    vocab = [i for i in range(len(tokenizer)) if i not in special]
    out = []
    for _ in range(count):
        n = rng.randint(lo, hi)
        ids = [vocab[rng.randrange(len(vocab))] for _ in range(n)]
        out.append(tokenizer.decode(ids, skip_special_tokens=True))
    return out


def load_prompts(cfg: PerfConfig, tokenizer: Any = None, count: int = 1) -> list[str]:
    """The prompts of a run (cycled by the runner when it needs more requests than prompts)."""
    if cfg.prompt is not None:
        return [cfg.prompt]
    if cfg.dataset == "random":
        return _random_prompts(cfg, tokenizer, max(1, count))
    if not cfg.dataset_path:
        raise DatasetError(f"--dataset {cfg.dataset} needs --dataset-path (or give --prompt)")
    loader = {"openqa": _openqa, "line_by_line": _line_by_line, "sharegpt": _sharegpt}[cfg.dataset]
    prompts = loader(cfg.dataset_path)
    kept = [p for p in prompts if cfg.min_prompt_length <= len(p) <= cfg.max_prompt_length]
    if not kept:
        raise DatasetError(
            f"{cfg.dataset_path}: no prompt left ({len(prompts)} read, none with "
            f"{cfg.min_prompt_length} <= characters <= {cfg.max_prompt_length})"
        )
    return kept
