"""Judgments released by the authors of judge benchmarks, read as replay entries.

`released_entries(path)` turns one of these JSON-array files into `{sample id: {"id",
"response"}}` for `--model replay:FILE`, or returns None for any other file (a samples.jsonl):
- PandaLM (`gpt-3.5-turbo-testset-v1.json`: `gpt_result`; `pandalm-7b-testset-v1.json`:
  `pandalm_result`), rows aligned with testset-v1.json by `idx`: sample ``pandalm/test/<idx>``,
  response the result as written ("1", "2", "Tie", "garbage", "0").
- LLMBar (`<set>/evaluators/<judge>/<strategy>/result.json`): sample ``llmbar/<set>/<row>``
  (the set is the folder above ``evaluators``), responses the completions of every round, each
  round's original order (``swap = False``) then the swapped one (``swap = True``), the order
  the llmbar benchmark asks them in: a swap-and-synthesize row holds two rounds when the first
  disagreed, and the benchmark asks the second round (`followups`) exactly then, so a replay
  serves it from the saved list. `results` is a JSON list or its Python repr.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

LLMBAR_SETS = ("Natural", "GPTInst", "GPTOut", "Manual", "Neighbor")
PANDALM_KEYS = ("gpt_result", "pandalm_result")


class ReleasedFileError(ValueError):
    """A released-judgments file that cannot be read; the message names the file and row."""


def _is_json_array(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")


def _llmbar_rounds(row: dict, where: str) -> list:
    results = row.get("results")
    if isinstance(results, str):
        try:
            results = ast.literal_eval(results)
        except (ValueError, SyntaxError):
            raise ReleasedFileError(f"{where}: 'results' is neither a list nor its Python repr") from None
    if not isinstance(results, list) or not results or not isinstance(results[-1], dict):
        raise ReleasedFileError(f"{where}: 'results' must be a non-empty list whose last round "
                                f"holds 'swap = False' and 'swap = True'")
    return results


def _llmbar_entry(sample_id: str, row: dict, where: str) -> dict[str, Any]:
    rounds = _llmbar_rounds(row, where)
    texts = []
    for n, judged_round in enumerate(rounds):
        if isinstance(judged_round, list) and n < len(rounds) - 1:
            continue  # an auxiliary round's [output, finish_reason] (Metrics, Reference): not a verdict
        for key in ("swap = False", "swap = True"):
            judged = judged_round.get(key) if isinstance(judged_round, dict) else None
            if not isinstance(judged, dict) or not isinstance(judged.get("completion"), list):
                raise ReleasedFileError(f"{where}: round {n} has no {key!r} completion "
                                        f"(a rating or auxiliary-round file is not a pairwise judgment)")
            texts.append(str(judged["completion"][0]))
    return {"id": sample_id, "response": texts}


def released_entries(path: Path) -> dict[str, dict[str, Any]] | None:
    """Replay entries of an authors' released-judgments file, None for other files."""
    if not _is_json_array(path):
        return None
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ReleasedFileError(f"{path}: not valid JSON: {e}") from None
    if not rows or not all(isinstance(r, dict) for r in rows):
        raise ReleasedFileError(f"{path}: expected a non-empty JSON array of objects")
    first = rows[0]
    entries: dict[str, dict[str, Any]] = {}
    key = next((k for k in PANDALM_KEYS if k in first), None)
    if key is not None:
        for n, row in enumerate(rows):
            if key not in row or "idx" not in row:
                raise ReleasedFileError(f"{path}: row {n} has no {key!r} or 'idx'")
            sample_id = f"pandalm/test/{int(row['idx'])}"
            entries[sample_id] = {"id": sample_id, "response": str(row[key])}
        return entries
    if "results" in first and "output_1" in first:
        parts = path.resolve().parts
        if len(parts) < 5 or parts[-4] != "evaluators" or parts[-5] not in LLMBAR_SETS:
            raise ReleasedFileError(f"{path}: an LLMBar result file must lie at "
                                    f"<set>/evaluators/<judge>/<strategy>/result.json with <set> "
                                    f"one of {LLMBAR_SETS}")
        for n, row in enumerate(rows):
            sample_id = f"llmbar/{parts[-5]}/{n}"
            entries[sample_id] = _llmbar_entry(sample_id, row, f"{path}: row {n}")
        return entries
    raise ReleasedFileError(f"{path}: a JSON array that is neither PandaLM's released judgments "
                            f"({' / '.join(PANDALM_KEYS)}) nor an LLMBar result.json; replay "
                            f"files are otherwise JSONL")
