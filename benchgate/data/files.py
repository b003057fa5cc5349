"""Readers for the native data formats; every error names the file and line."""
from __future__ import annotations

import bisect
import bz2
import csv
import gzip
import io
import json
import re
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from benchgate.errors import DataError, DataMissing
from benchgate.samples import RunContext, Sample


def find_dataset_folder(ctx: RunContext, name: str) -> Path | None:
    """`<dataset-dir>/<name>` in the first --dataset-dir that has it (searched in order)."""
    return next((Path(d) / name for d in ctx.dataset_dirs if (Path(d) / name).is_dir()), None)


def dataset_folder(ctx: RunContext, name: str) -> Path:
    """`<dataset-dir>/<name>` (the first --dataset-dir that has it), or a clear error saying
    what to pass."""
    if not ctx.dataset_dirs:
        raise DataMissing(f"{name}: no --dataset-dir given and --dataset-hub is 'local'")
    folder = find_dataset_folder(ctx, name)
    if folder is None:
        if len(ctx.dataset_dirs) == 1:
            raise DataMissing(f"{name}: data folder {Path(ctx.dataset_dirs[0]) / name} not found; "
                              f"--dataset-dir must point at a folder that contains {name}/")
        raise DataMissing(f"{name}: no {name}/ folder in any --dataset-dir (searched "
                          f"{', '.join(str(d) for d in ctx.dataset_dirs)}); add the folder that contains {name}/")
    return folder


_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 20


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_bytes(path: Path) -> bytes:
    """The content of a data file, .gz and .bz2 decompressed. A missing file, or a corrupt or
    truncated archive, is a DataError naming the file (and the line where readable data ends)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix)
    try:
        if opener is None:
            return path.read_bytes()
        parts: list[bytes] = []
        try:
            with opener(path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    parts.append(chunk)
        except (EOFError, OSError, zlib.error, ValueError) as e:
            done = b"".join(parts)
            raise DataError(f"{path}:{_line_at(done, len(done))}: corrupt or truncated "
                            f"{path.suffix[1:]} file ({e})") from None
        return b"".join(parts)
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e})") from None


def decode_text(path: Path, raw: bytes) -> str:
    """UTF-8 text without a BOM; invalid UTF-8 is a DataError naming the file and line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        where = _line_at(raw, e.start)
        raise DataError(f"{path}:{where}: not valid UTF-8 ({e.reason} at byte {e.start}); "
                        f"save the file as UTF-8") from None


def read_text(path: Path) -> str:
    """A whole text file (UTF-8, BOM removed, .gz/.bz2 decompressed); errors name file:line."""
    return decode_text(path, read_bytes(path))


def _lenient_text(path: Path) -> str:
    """The file as text where invalid UTF-8 bytes survive as lone surrogates, so that only the
    rows that hold them fail (see `bad_utf8`)."""
    raw = read_bytes(path)
    return raw[len(_BOM):].decode("utf-8", "surrogateescape") if raw.startswith(_BOM) else \
        raw.decode("utf-8", "surrogateescape")


def bad_utf8(text: str) -> bool:
    """Whether `text` (from `_lenient_text`) holds bytes that were not valid UTF-8: their lone
    surrogates are the only characters strict UTF-8 cannot encode (checked in C, not per char)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


Row = tuple[int, "list[str] | dict | DataError", str]


def read_csv(path: Path, n_fields: int | None, header: bool = False) -> Iterator[Row]:
    """Yield (0-based row index, fields, "file:line") of a CSV file. A row with the wrong
    number of fields, or with bytes that are not UTF-8, is yielded as a DataError naming the
    file and line, so that only that sample fails; a file the CSV parser cannot read on is a
    DataError for the whole file."""
    text = _lenient_text(path)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, 1 << 30))  # long passages are data, not an error
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        index, line = 0, 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                if index == 0:
                    raise DataError(f"{path}:1: no rows (empty file)") from None
                return
            except csv.Error as e:
                raise DataError(f"{path}:{reader.line_num}: unreadable CSV ({e})") from None
            start, line = line, reader.line_num + 1
            if header:
                header = False
                continue
            if not fields:
                continue
            where = f"{path}:{start}"
            if any(bad_utf8(f) for f in fields):
                yield index, DataError(f"{where}: not valid UTF-8; save the file as UTF-8"), where
            elif n_fields is not None and len(fields) != n_fields:
                yield index, DataError(f"{where}: expected {n_fields} fields, got {len(fields)}"), where
            else:
                yield index, fields, where
            index += 1
    finally:
        csv.field_size_limit(old_limit)


def read_csv_records(path: Path) -> Iterator[Row]:
    """Yield (0-based row index, {header: field}, "file:line") of a CSV file with a header row;
    a row with the wrong number of fields, or not UTF-8, is yielded as a DataError naming the
    file and line; an empty file or an unreadable header is a DataError for the file."""
    rows = read_csv(path, n_fields=None)
    first = next(rows, None)
    if first is None:
        raise DataError(f"{path}:1: empty CSV file (expected a header row)")
    if isinstance(first[1], DataError):
        raise DataError(f"{first[1]} (the header row)")
    header = first[1]
    for index, fields, where in rows:
        if not isinstance(fields, DataError) and len(fields) != len(header):
            fields = DataError(f"{where}: expected {len(header)} fields, got {len(fields)}")
        yield index - 1, fields if isinstance(fields, DataError) else dict(zip(header, fields)), where


def read_jsonl(path: Path) -> Iterator[Row]:
    """Yield (0-based row index, object, "file:line") of a JSONL file (.gz/.bz2 too); a bad
    line (invalid JSON or UTF-8, not an object) is yielded as a DataError naming the file
    and line."""
    text = _lenient_text(path)
    index = 0
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        if bad_utf8(line):
            obj: Any = DataError(f"{where}: not valid UTF-8; save the file as UTF-8")
        else:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                obj = DataError(f"{where}: invalid JSON: {e.msg}")
            except RecursionError:
                obj = DataError(f"{where}: invalid JSON: nested too deeply")
        if not isinstance(obj, (dict, DataError)):
            obj = DataError(f"{where}: expected a JSON object")
        yield index, obj, where
        index += 1
    if index == 0:
        raise DataError(f"{path}:1: no rows (empty file)")



def read_jsonl_strictly(path: str | Path, error: type[Exception]) -> Iterator[tuple[int, dict, str]]:
    """`read_jsonl` for files that must be whole: the file's or the first bad line's DataError
    is raised as `error` (same message, naming file:line) when iteration reaches it."""
    try:
        rows = list(read_jsonl(Path(path)))
    except DataError as e:
        raise error(str(e)) from None
    for index, row, where in rows:
        if isinstance(row, DataError):
            raise error(str(row))
        yield index, row, where

def read_json(path: Path) -> tuple[Any, str]:
    """(document, text) of a JSON file; invalid UTF-8 or JSON is a DataError naming file:line."""
    text = read_text(path)
    try:
        return json.loads(text), text
    except json.JSONDecodeError as e:
        raise DataError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    except RecursionError:
        raise DataError(f"{path}:1: invalid JSON: nested too deeply") from None


def json_items(path: Path, text: str, start: int, count: int) -> Iterator[tuple[int, Any, str]]:
    """The `count` elements of the JSON array whose '[' ends at `start` in `text` (a document
    already known to be valid), as (index, element, "file:line where it starts")."""
    if count == 0:
        raise DataError(f"{path}:{text.count(chr(10), 0, start) + 1}: the list is empty")
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    decoder, pos = json.JSONDecoder(), start
    for index in range(count):
        while text[pos] in " \t\r\n,":
            pos += 1
        obj, end = decoder.raw_decode(text, pos)
        yield index, obj, f"{path}:{bisect.bisect_right(starts, pos)}"
        pos = end


def read_json_list(path: Path) -> Iterator[Row]:
    """Elements of a JSON array file as (index, object, "file:line of the element")."""
    text = read_text(path)
    decoder, pos, line, index = json.JSONDecoder(), text.find("["), 1, 0
    if pos < 0:
        raise DataError(f"{path}:1: expected a JSON array")
    line += text.count("\n", 0, pos)
    pos += 1
    while True:
        start = pos
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        line += text.count("\n", start, pos)
        if pos >= len(text) or text[pos] == "]":
            if index == 0:
                raise DataError(f"{path}:{line}: the list is empty")
            return
        try:
            obj, end = decoder.raw_decode(text, pos)
        except RecursionError:
            yield index, DataError(f"{path}:{line}: invalid JSON: nested too deeply"), f"{path}:{line}"
            return
        except json.JSONDecodeError as e:
            yield index, DataError(f"{path}:{e.lineno}: invalid JSON: {e.msg}"), f"{path}:{e.lineno}"
            return  # the rest of the array cannot be located
        where = f"{path}:{line}"
        yield index, obj if isinstance(obj, dict) else DataError(f"{where}: expected a JSON object"), where
        line += text.count("\n", pos, end)
        pos, index = end, index + 1


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
            except Exception as e:  # noqa: BLE001 - e.g. AttributeError on a value of the wrong type
                error = f"{where}: malformed row: {type(e).__name__}: {e}"
        samples.append(Sample(benchmark, subset, index, data, target, source=where, error=error))
    return samples
