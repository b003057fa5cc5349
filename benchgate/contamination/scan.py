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
from benchgate.contamination.index import NgramIndex


@dataclass
class Probe:
    """What a scanner needs of the benchmark side: sorted hashes per n-gram length."""

    keys: dict[int, np.ndarray]
    n: int
    short_prefixes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    prefix_length: int = 0
    _tables: dict[int, BitTable] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, index: NgramIndex) -> "Probe":
        return cls(index.keys, index.n, index.short_prefixes, index.prefix_length)

    def tables(self) -> dict[int, BitTable]:
        """Bit tables of the n-grams and of the short texts' prefixes (built once per
        process, never shipped; key 0: the prefixes)."""
        if self._tables is None:
            self._tables = {k: BitTable(keys) for k, keys in self.keys.items() if k == self.n}
            if len(self.short_prefixes):
                self._tables[0] = BitTable(self.short_prefixes)
        return self._tables

    def __getstate__(self):
        return {**self.__dict__, "_tables": None}


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
    stop = count - chunk.tail  # k-grams starting in the tail belong to the next partition
    if probe.n in probe.keys:
        first = max(0, chunk.lead - probe.n + 1)  # k-grams ending in the lead were counted before
        hashes = grams.at(probe.n, first, stop)
        if len(hashes):
            candidates = tables[probe.n].maybe(hashes)
            _confirm(chunk, starts, ends, probe.keys[probe.n], probe.n,
                     candidates + first, hashes[candidates], found)
    if 0 in tables:  # texts shorter than n, whole: only where one of their prefixes starts
        shortest = probe.prefix_length
        longest = max(k for k in probe.keys if k < probe.n)
        first = max(0, chunk.lead - longest + 1)
        hashes = grams.at(shortest, first, stop)
        if len(hashes):
            at = tables[0].maybe(hashes) + first
            for k, keys in probe.keys.items():
                if k >= probe.n:
                    continue
                ok = at[(at + k - 1 >= chunk.lead) & (at + k <= count)]
                if len(ok):
                    _confirm(chunk, starts, ends, keys, k, ok, grams.one(ok, np.full(len(ok), k)), found)


def _confirm(chunk: Chunk, starts: np.ndarray, ends: np.ndarray, keys: np.ndarray, k: int,
             at: np.ndarray, hashes: np.ndarray, found: Counter) -> None:
    """The k-grams at word positions `at` whose hash is a benchmark hash, by their text."""
    if not len(at):
        return
    pos = np.minimum(np.searchsorted(keys, hashes), len(keys) - 1)
    for i in at[keys[pos] == hashes].tolist():
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
