"""Scanning corpus partitions for a benchmark's n-grams: one process, a pool of processes
(`workers`), or any executor that maps `scan_partition` over partitions (the Dask job in
benchgate.contamination.distributed runs the same function).

Per chunk: word hashes and k-gram hashes (numpy), a flag table indexed by the hash's top bits
(most corpus n-grams stop there), a binary search in the sorted benchmark hashes, and for each
remaining candidate its normalised text, which the caller compares with the benchmark's
n-grams exactly (`ScanResult.hits`)."""
from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from benchgate.contamination.corpus import CHUNK_BYTES, DEFAULT_TEXT_FIELDS, Chunk, Partition, chunks
from benchgate.contamination.hashing import BitTable, Grams, word_hashes, word_spans


@dataclass
class Probe:
    """What a scanner needs of the benchmark side: sorted hashes per n-gram length."""

    keys: dict[int, np.ndarray]
    n: int
    _tables: dict[int, BitTable] | None = field(default=None, repr=False)

    def tables(self) -> dict[int, BitTable]:
        """A bit table per n-gram length (built once per process, never shipped)."""
        if self._tables is None:
            self._tables = {k: BitTable(keys) for k, keys in self.keys.items()}
        return self._tables

    def __getstate__(self):
        return {"keys": self.keys, "n": self.n, "_tables": None}


@dataclass
class ScanResult:
    """Confirmed candidates: normalised n-gram text -> {corpus file index: occurrences}."""

    hits: dict[bytes, Counter] = field(default_factory=dict)
    bytes: int = 0  # corpus bytes (on disk) scanned
    seconds: float = 0.0

    def merge(self, other: "ScanResult") -> "ScanResult":
        for text, files in other.hits.items():
            self.hits.setdefault(text, Counter()).update(files)
        self.bytes += other.bytes
        self.seconds += other.seconds
        return self


def scan_chunk(chunk: Chunk, probe: Probe, found: Counter) -> None:
    """Add the candidate n-grams of one chunk (text -> occurrences) to `found`."""
    arr = np.frombuffer(chunk.data, dtype=np.uint8)
    starts, ends = word_spans(arr)
    count = len(starts)
    if count == 0:
        return
    grams = Grams(word_hashes(arr, starts, ends))
    tables = probe.tables()
    for k, keys in probe.keys.items():
        first = max(0, chunk.lead - k + 1)  # k-grams ending in the lead were counted before
        hashes = grams.at(k, first, count - chunk.tail)  # those starting in the tail come next
        if not len(hashes):
            continue
        candidates = tables[k].maybe(hashes)
        if not len(candidates):
            continue
        wanted = hashes[candidates]
        pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        for i in (candidates[keys[pos] == wanted] + first).tolist():
            found[b" ".join(chunk.data[int(starts[i]):int(ends[i + k - 1])].split())] += 1


def scan_partition(part: Partition, probe: Probe, text_fields: tuple[str, ...] = DEFAULT_TEXT_FIELDS,
                   chunk_bytes: int = CHUNK_BYTES) -> ScanResult:
    """Scan one partition; every hit is attributed to the partition's file."""
    began = time.perf_counter()
    found: Counter = Counter()
    for chunk in chunks(part, probe.n, text_fields, chunk_bytes):
        scan_chunk(chunk, probe, found)
    size = (part.file.size if part.end is None else part.end) - part.start
    return ScanResult({text: Counter({part.file_index: c}) for text, c in found.items()},
                      size, time.perf_counter() - began)


_WORKER: dict = {}


def _init_worker(probe: Probe, text_fields: tuple[str, ...], chunk_bytes: int) -> None:
    _WORKER.update(probe=probe, text_fields=text_fields, chunk_bytes=chunk_bytes)


def _scan_in_worker(part: Partition) -> ScanResult:
    return scan_partition(part, _WORKER["probe"], _WORKER["text_fields"], _WORKER["chunk_bytes"])


def scan(parts: list[Partition], probe: Probe, *, workers: int = 1,
         text_fields: tuple[str, ...] = DEFAULT_TEXT_FIELDS, chunk_bytes: int = CHUNK_BYTES,
         progress: Callable[[ScanResult, int, int], None] | None = None) -> ScanResult:
    """Scan every partition, in this process (workers=1) or in a pool of `workers` processes
    (started with "spawn": no state of the caller, e.g. a loaded model, is forked). The
    result does not depend on the number of workers."""
    total = ScanResult()
    results: Iterable[ScanResult]
    if workers <= 1 or len(parts) <= 1:
        results = (scan_partition(p, probe, text_fields, chunk_bytes) for p in parts)
        return _collect(results, total, len(parts), progress)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(min(workers, len(parts)), initializer=_init_worker,
                  initargs=(probe, text_fields, chunk_bytes)) as pool:
        return _collect(pool.imap_unordered(_scan_in_worker, parts), total, len(parts), progress)


def _collect(results: Iterable[ScanResult], total: ScanResult, count: int, progress) -> ScanResult:
    for done, result in enumerate(results, 1):
        total.merge(result)
        if progress is not None:
            progress(total, done, count)
    return total
