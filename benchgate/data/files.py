"""Readers for the native data formats; every error names the file and line."""
from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from benchgate.benchmark import DataError, DataMissing, RunContext, Sample


def dataset_folder(ctx: RunContext, name: str) -> Path:
    """`<dataset-dir>/<name>`, or a clear error saying what to pass."""
    if ctx.dataset_dir is None:
        raise DataMissing(f"{name}: no --dataset-dir given and --dataset-hub is 'local'")
    folder = Path(ctx.dataset_dir) / name
    if not folder.is_dir():
        raise DataMissing(f"{name}: data folder {folder} not found; --dataset-dir must point at "
                        f"a folder that contains {name}/")
    return folder


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8-sig", newline="")


Row = tuple[int, "list[str] | dict | DataError", str]


def read_csv(path: Path, n_fields: int, header: bool = False) -> Iterator[Row]:
    """Yield (0-based row index, fields, "file:line") of a CSV file. A row with the wrong
    number of fields is yielded as a DataError naming the file and line, so that only
    that sample fails."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    with _open_text(path) as f:
        reader = csv.reader(f)
        index = 0
        for fields in reader:
            line = reader.line_num
            if header and line == 1 and index == 0:
                header = False
                continue
            if not fields:
                continue
            where = f"{path}:{line}"
            if len(fields) != n_fields:
                yield index, DataError(f"{where}: expected {n_fields} fields, got {len(fields)}"), where
            else:
                yield index, fields, where
            index += 1


def read_jsonl(path: Path) -> Iterator[Row]:
    """Yield (0-based row index, object, "file:line") of a JSONL file; a bad line is
    yielded as a DataError naming the file and line."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    with _open_text(path) as f:
        index = 0
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                obj = DataError(f"{where}: invalid JSON: {e.msg}")
            if not isinstance(obj, (dict, DataError)):
                obj = DataError(f"{where}: expected a JSON object")
            yield index, obj, where
            index += 1


def to_samples(benchmark: str, subset: str, rows: Iterable[Row],
               convert: Callable[[Any], tuple[dict, Any]]) -> list[Sample]:
    """Build samples from rows with `convert(row) -> (data, target)`. A malformed row
    (unreadable, or `convert` raising) becomes a sample that carries its error, so the
    test of that one sample fails with a message naming the file and line."""
    samples = []
    for index, row, where in rows:
        error = None
        data: dict = {}
        target = None
        if isinstance(row, DataError):
            error = str(row)
        else:
            try:
                data, target = convert(row)
            except (KeyError, IndexError, ValueError, TypeError, DataError) as e:
                detail = f"missing field {e}" if isinstance(e, KeyError) else str(e)
                error = f"{where}: malformed row: {detail}"
        samples.append(Sample(benchmark, subset, index, data, target, source=where, error=error))
    return samples
