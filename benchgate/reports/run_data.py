"""Reading a run folder for the reports: results.json, samples.jsonl, arena and perf outputs.
Every error names the file (and line)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchgate.benchmark import DataError
from benchgate.data.files import read_jsonl


class RunDataError(ValueError):
    """A run folder or file that cannot be read; the message names it."""


def results_path(run: Path) -> Path:
    """RUN_DIR/results.json (a results.json path is accepted too)."""
    run = Path(run)
    path = run if run.name == "results.json" and run.is_file() else run / "results.json"
    if not path.is_file():
        raise RunDataError(f"{path}: not found (expected a benchgate output folder)")
    return path


def read_results(run: Path) -> dict[str, Any]:
    """The run's results.json document."""
    path = results_path(run)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise RunDataError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    if not isinstance(data, dict) or "benchmarks" not in data:
        raise RunDataError(f"{path}: not a benchgate results.json (no 'benchmarks' key)")
    return data


def read_jsonl_file(path: Path) -> list[dict[str, Any]]:
    """Every object of a JSONL file; a bad line is an error naming file:line."""
    rows: list[dict[str, Any]] = []
    try:
        for _, obj, _where in read_jsonl(path):
            if isinstance(obj, DataError):
                raise RunDataError(str(obj))
            rows.append(obj)
    except DataError as e:
        raise RunDataError(str(e)) from None
    return rows


def read_samples(run: Path, required: bool = True) -> list[dict[str, Any]]:
    """The run's samples.jsonl records ([] when absent and not required)."""
    folder = results_path(run).parent
    path = folder / "samples.jsonl"
    if not path.is_file():
        if required:
            raise RunDataError(f"{path}: not found (per-sample records are needed here)")
        return []
    return read_jsonl_file(path)


def is_arena_unit(record: dict[str, Any]) -> bool:
    """A samples.jsonl record of a judged arena unit (docs/results.md), not an answer."""
    return record.get("benchmark") == "arena" and "judgments" in record and "answers" in record


def tool_calls(record: dict[str, Any]) -> dict[str, Any] | None:
    """A tool-use sample's calls, the calls expected and the first reason a call failed (a
    `bfcl` record keeps them in `extracted`, docs/benchmarks/bfcl.md); None for other samples."""
    found = record.get("extracted")
    if not isinstance(found, dict) or "calls" not in found or "expected" not in found:
        return None
    return {"calls": found["calls"], "expected": found["expected"],
            "error_type": found.get("error_type"), "error": found.get("error")}


def read_arena(run: Path, results: dict[str, Any]) -> dict[str, Any] | None:
    """The arena block of results.json plus its reviews (docs/results.md contract), or None."""
    arena = results.get("arena")
    if not arena:
        return None
    folder = results_path(run).parent
    reviews_rel = (arena.get("files") or {}).get("reviews") or "arena/reviews.jsonl"
    reviews_path = folder / reviews_rel
    reviews = read_jsonl_file(reviews_path) if reviews_path.is_file() else []
    return {**arena, "reviews": reviews}


def perf_folder(path: Path) -> Path | None:
    """A stress-test outputs folder (summary.json + percentiles.json): the path itself or
    RUN_DIR/perf."""
    for folder in (Path(path), Path(path) / "perf"):
        if (folder / "summary.json").is_file() and (folder / "percentiles.json").is_file():
            return folder
    return None


def read_perf(folder: Path) -> dict[str, Any]:
    """summary.json and percentiles.json of a `benchgate perf` outputs folder."""
    out: dict[str, Any] = {}
    for name in ("summary", "percentiles"):
        path = folder / f"{name}.json"
        try:
            out[name] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise RunDataError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    html = folder / "report.html"
    out["html"] = html.read_text(encoding="utf-8") if html.is_file() else None
    return out
