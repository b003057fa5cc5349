"""Corpus files and their partitions, read as a stream of normalised chunks in constant memory.

Formats: `.txt` (one document per file: its n-grams run across lines), `.jsonl` (one document
per record: the text of each field named in `text_fields` that the record has; n-grams never
cross records), each optionally gzip-compressed (`.gz`). A folder is searched recursively
for those files (others are listed as ignored). Uncompressed files are cut into partitions of
about `partition_bytes` (at whitespace for .txt, at line ends for .jsonl), so several
processes or machines scan one file; a gzip file is one partition.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from benchgate.contamination.hashing import SEPARATOR
from benchgate.contamination.normalize import ASCII_WHITESPACE, normalize_bytes

SUFFIXES = (".txt", ".jsonl", ".txt.gz", ".jsonl.gz")
DEFAULT_TEXT_FIELDS = ("text",)
CHUNK_BYTES = 4 << 20  # raw bytes per normalised chunk
PARTITION_BYTES = 64 << 20
_BLOCK = 1 << 16
DOC_BREAK = b" " + bytes([SEPARATOR]) + b" "


class CorpusError(ValueError):
    """A corpus path or record that cannot be read; the message names the file (and line)."""


@dataclass(frozen=True)
class CorpusFile:
    path: str
    kind: str  # "txt" or "jsonl"
    gz: bool
    size: int  # bytes on disk


@dataclass(frozen=True)
class Partition:
    """Bytes [start, end) of a file (end None: to the end; a gzip file is read whole)."""

    file: CorpusFile
    file_index: int
    start: int = 0
    end: int | None = None


def kind_of(path: Path) -> tuple[str, bool] | None:
    """("txt" | "jsonl", gzipped) for a corpus file name, None for another file."""
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix.split(".")[1], suffix.endswith(".gz")
    return None


def find_files(paths: list[str | Path]) -> tuple[list[CorpusFile], list[str]]:
    """The corpus files under `paths` (files and folders, folders searched recursively in name
    order) and the files of those folders that are not corpus files. A missing path, or a file
    given by name that is not .txt/.jsonl(.gz), is a CorpusError naming it."""
    files: list[CorpusFile] = []
    ignored: list[str] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise CorpusError(f"--corpus {given}: no such file or folder")
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file())
            if not candidates:
                raise CorpusError(f"--corpus {given}: the folder holds no files")
        else:
            if kind_of(path) is None:
                raise CorpusError(f"--corpus {given}: not a corpus file (expected one of "
                                  f"{', '.join(SUFFIXES)})")
            candidates = [path]
        for p in candidates:
            found = kind_of(p)
            if found is None:
                ignored.append(str(p))
                continue
            if p.resolve() in seen:
                continue
            seen.add(p.resolve())
            files.append(CorpusFile(str(p), found[0], found[1], p.stat().st_size))
    if not files:
        raise CorpusError(f"--corpus {' '.join(map(str, paths))}: no {', '.join(SUFFIXES)} files found")
    return files, ignored


def partitions(files: list[CorpusFile], partition_bytes: int = PARTITION_BYTES) -> list[Partition]:
    """Cut the files into partitions of about `partition_bytes` (gzip files whole)."""
    out: list[Partition] = []
    for i, f in enumerate(files):
        if f.gz or f.size <= partition_bytes:
            out.append(Partition(f, i))
            continue
        bounds = list(range(0, f.size, partition_bytes)) + [f.size]
        out += [Partition(f, i, a, b) for a, b in zip(bounds, bounds[1:])]
    return out


def _align(fh: IO[bytes], pos: int, stops: bytes) -> int:
    """The first offset >= pos that starts the file or follows a byte of `stops` (the same
    answer for the partition ending there and the one starting there)."""
    if pos == 0:
        return 0
    fh.seek(pos - 1)
    offset = pos - 1
    while True:
        block = fh.read(_BLOCK)
        if not block:
            return offset
        hits = [i for i in (block.find(bytes([s])) for s in stops) if i >= 0]
        if hits:
            return offset + min(hits) + 1
        offset += len(block)


def _open(file: CorpusFile) -> IO[bytes]:
    try:
        return gzip.open(file.path, "rb") if file.gz else open(file.path, "rb")
    except OSError as e:
        raise CorpusError(f"{file.path}: cannot open: {e.strerror or e}") from None


@dataclass
class Chunk:
    """Normalised bytes of a run of words. Only n-grams that end after the first `lead`
    words (those were scanned with the previous chunk) and start before the last `tail` words
    (they belong to the next partition) count; `documents`: DOC_BREAK words separate records."""

    data: bytes
    lead: int = 0
    tail: int = 0
    documents: bool = False


def chunks(part: Partition, n: int, text_fields: tuple[str, ...] = DEFAULT_TEXT_FIELDS,
           chunk_bytes: int = CHUNK_BYTES) -> Iterator[Chunk]:
    """The normalised chunks of one partition, in order, in constant memory."""
    if part.file.kind == "jsonl":
        yield from _jsonl_chunks(part, text_fields, chunk_bytes)
    else:
        yield from _txt_chunks(part, n, chunk_bytes)


def _limited(fh: IO[bytes], start: int, end: int | None, block: int) -> Iterator[bytes]:
    fh.seek(start)
    left = None if end is None else end - start
    while left is None or left > 0:
        data = fh.read(block if left is None else min(block, left))
        if not data:
            return
        if left is not None:
            left -= len(data)
        yield data


def _txt_chunks(part: Partition, n: int, chunk_bytes: int) -> Iterator[Chunk]:
    with _open(part.file) as fh:
        try:
            start = _align(fh, part.start, ASCII_WHITESPACE)
            end = None if part.end is None else _align(fh, part.end, ASCII_WHITESPACE)
            carry = b""  # normalised last n-1 words of the previous chunk
            rest = b""  # raw bytes after the last whitespace of the previous block
            for block in _limited(fh, start, end, chunk_bytes):
                block = rest + block
                cut = max(block.rfind(bytes([s])) for s in ASCII_WHITESPACE)
                if cut < 0:
                    rest = block
                    continue
                rest = block[cut + 1:]
                body = normalize_bytes(block[:cut + 1])
                yield Chunk(carry + b" " + body if carry else body, lead=len(carry.split()))
                carry = _last_words(carry + b" " + body, n - 1)
            tail = b""
            if end is not None:  # the next n-1 words: n-grams that start here and end there
                tail = _next_words(fh, end, n - 1)
            body = normalize_bytes(rest)
            if body.strip() or tail:
                lead = len(carry.split())
                yield Chunk(carry + b" " + body + b" " + tail, lead=lead, tail=len(tail.split()))
        except OSError as e:
            raise CorpusError(f"{part.file.path}: read failed: {e.strerror or e}") from None
        except EOFError as e:  # a truncated gzip file
            raise CorpusError(f"{part.file.path}: {e}") from None
        except gzip.BadGzipFile as e:
            raise CorpusError(f"{part.file.path}: not a gzip file ({e})") from None


def _last_words(data: bytes, count: int) -> bytes:
    if count <= 0:
        return b""
    return b" ".join(data.rsplit(None, count)[-count:])


def _next_words(fh: IO[bytes], pos: int, count: int) -> bytes:
    """The first `count` normalised words from offset `pos` on (fewer at the end of the file)."""
    if count <= 0:
        return b""
    fh.seek(pos)
    got: list[bytes] = []
    pending = b""
    while len(got) < count:
        block = fh.read(_BLOCK)
        if not block:
            got += normalize_bytes(pending).split()
            break
        pending += block
        cut = max(pending.rfind(bytes([s])) for s in ASCII_WHITESPACE)
        if cut >= 0:
            got += normalize_bytes(pending[:cut + 1]).split()
            pending = pending[cut + 1:]
    return b" ".join(got[:count])


def _jsonl_chunks(part: Partition, fields: tuple[str, ...], chunk_bytes: int) -> Iterator[Chunk]:
    with _open(part.file) as fh:
        try:
            start = _align(fh, part.start, b"\n")
            end = None if part.end is None else _align(fh, part.end, b"\n")
            line_no = 0  # within the partition; the file's line number is counted on an error only
            docs: list[bytes] = []
            size = 0
            pending = b""
            try:
                for block in _limited(fh, start, end, chunk_bytes):
                    lines = (pending + block).split(b"\n")
                    pending = lines.pop()
                    for line in lines:
                        line_no += 1
                        for text in _texts(line, fields):
                            docs.append(text)
                            size += len(text)
                    if size >= chunk_bytes:
                        yield Chunk(normalize_bytes(DOC_BREAK.join(docs)), documents=True)
                        docs, size = [], 0
                if pending.strip():
                    line_no += 1
                    docs += _texts(pending, fields)
            except _BadRecord as e:
                before = _line_number(part.file, start) if start else 0
                raise CorpusError(f"{part.file.path}:{before + line_no}: {e}") from None
            if docs:
                yield Chunk(normalize_bytes(DOC_BREAK.join(docs)), documents=True)
        except OSError as e:
            raise CorpusError(f"{part.file.path}: read failed: {e.strerror or e}") from None
        except EOFError as e:
            raise CorpusError(f"{part.file.path}: {e}") from None
        except gzip.BadGzipFile as e:
            raise CorpusError(f"{part.file.path}: not a gzip file ({e})") from None


class _BadRecord(ValueError):
    """A JSONL line that is not a record with a text field (the caller adds file:line)."""


def _line_number(file: CorpusFile, offset: int) -> int:
    """Lines before `offset` (for the error message of a partition that starts mid-file)."""
    count = 0
    with open(file.path, "rb") as fh:
        for block in _limited(fh, 0, offset, 1 << 20):
            count += block.count(b"\n")
    return count


def _texts(line: bytes, fields: tuple[str, ...]) -> list[bytes]:
    """The UTF-8 texts of one JSONL record's fields; _BadRecord when the line is not a JSON
    object or has none of the fields."""
    if not line.strip():
        return []
    try:
        record = json.loads(line)
    except ValueError as e:
        raise _BadRecord(f"not a JSON line ({e})") from None
    if not isinstance(record, dict):
        raise _BadRecord(f"expected a JSON object, got {type(record).__name__}")
    out = [record[f].encode("utf-8", "surrogatepass") for f in fields if isinstance(record.get(f), str)]
    if not out and not any(f in record for f in fields):
        raise _BadRecord(f"the record has no field {' or '.join(map(repr, fields))} (its keys: "
                         f"{', '.join(sorted(record)[:10])}); name the text field(s) with --text-field")
    return out
