"""Word and word-n-gram hashes of normalised UTF-8 bytes, computed with numpy (no Python loop
per word), so a corpus is scanned at memory speed.

A word's hash mixes its length and its first and last 8 bytes; an n-gram's is a polynomial
hash of its words' hashes (mod 2^64, from prefix sums, so the value does not depend on where
the n-gram stands). A hash match is only a candidate: the scan confirms every candidate on the
n-gram's text (benchgate.contamination.scan), so collisions cannot flag anything.
"""
from __future__ import annotations

import math

import numpy as np


Q = 0xC2B2AE3D27D4EB4F
FIBONACCI = np.uint64(0x9E3779B97F4A7C15)  # multiplicative hashing for the prefilter's index
SEPARATOR = 0xFF  # a byte that never occurs in UTF-8: a one-byte word of it separates documents
SPACE = 32

_powers: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def powers(base: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(base^i, base^-i) mod 2^64 for i < count, memoised and grown by doubling."""
    have = _powers.get(base)
    if have is None or len(have[0]) < count:
        size = max(count, 2 * len(have[0]) if have is not None else 1 << 16)
        with np.errstate(over="ignore"):
            up = np.full(size, base, dtype=np.uint64)
            up[0] = 1
            np.cumprod(up, out=up)
            down = np.full(size, pow(base, -1, 1 << 64), dtype=np.uint64)
            down[0] = 1
            np.cumprod(down, out=down)
        have = _powers[base] = (up, down)
    return have


def word_spans(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) byte offsets of the words of normalised bytes (words: runs of non-space)."""
    edges = np.flatnonzero(np.diff((arr == SPACE).view(np.int8), prepend=np.int8(1), append=np.int8(1)))
    return edges[0::2], edges[1::2]  # a word's start and end alternate


_MASKS = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_C1, _C2, _C3, _C4 = (np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F,
                                             0x165667B19E3779F9, 0xFF51AFD7ED558CCD))


def word_hashes(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """One uint64 hash per word from its length, its first 8 bytes and its last 8 bytes (two
    unaligned 8-byte loads per word, no pass over every byte). Words that differ only in the
    middle of a word longer than 16 bytes share a hash: a collision, which the text check of
    every candidate removes."""
    padded = np.zeros(len(arr) + 16, dtype=np.uint8)
    padded[8:8 + len(arr)] = arr
    windows = np.ndarray(shape=(len(arr) + 9,), dtype="<u8", buffer=padded, strides=(1,))
    lengths = (ends - starts).astype(np.uint64)
    head = windows[starts + 8] & _MASKS[np.minimum(ends - starts, 8)]
    tail = windows[ends]  # the 8 bytes before the end (zeros padded before the start)
    tail = np.where(lengths > 8, tail, np.uint64(0))
    with np.errstate(over="ignore"):
        h = head * _C1 ^ tail * _C2 ^ lengths * _C3
        h ^= h >> np.uint64(31)
        h *= _C4
        h ^= h >> np.uint64(29)
    return h


class Grams:
    """The k-gram hashes of a sequence of word hashes, for any k (prefix sums, built once)."""

    def __init__(self, words: np.ndarray):
        self.count = len(words)
        up, self._down = powers(Q, self.count + 1)
        self._prefix = np.empty(self.count + 1, dtype=np.uint64)
        self._prefix[0] = 0
        with np.errstate(over="ignore"):
            np.cumsum(words * up[:self.count], out=self._prefix[1:])

    def at(self, k: int, first: int = 0, stop: int | None = None) -> np.ndarray:
        """Hashes of the k-grams starting at word first..stop-1 (default: every one)."""
        last = self.count - k + 1
        stop = last if stop is None else min(stop, last)
        if stop <= first:
            return np.empty(0, dtype=np.uint64)
        p = self._prefix
        with np.errstate(over="ignore"):
            return (p[first + k:stop + k] - p[first:stop]) * self._down[first:stop]

    def one(self, start: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Hashes of the k[i]-grams starting at word start[i]."""
        p = self._prefix
        with np.errstate(over="ignore"):
            return (p[start + k] - p[start]) * self._down[start]


def text_bytes_array(data: bytes) -> np.ndarray:
    """A writable uint8 array of `data`."""
    return np.frombuffer(data, dtype=np.uint8).copy()


def prefilter_index(hashes: np.ndarray, bits: int) -> np.ndarray:
    """The slot of each hash in a table of 2^bits flags (the top bits of a multiplicative hash)."""
    with np.errstate(over="ignore"):
        return (hashes * FIBONACCI) >> np.uint64(64 - bits)


class BitTable:
    """A set of hashes as 2^bits one-bit flags (about 64 bits per key: ~1.5% of absent
    hashes pass), small enough to stay in the CPU's cache; `maybe` keeps the hashes that may
    be in the set."""

    def __init__(self, keys: np.ndarray):
        self.bits = min(30, max(10, math.ceil(math.log2(max(len(keys), 1) * 64))))
        slots = prefilter_index(keys, self.bits)
        flags = np.zeros(1 << self.bits, dtype=bool)
        flags[slots] = True
        self.packed = np.packbits(flags, bitorder="little")

    def maybe(self, hashes: np.ndarray) -> np.ndarray:
        """Positions of `hashes` whose flag is set."""
        slots = prefilter_index(hashes, self.bits)
        byte = self.packed[slots >> np.uint64(3)]
        return np.flatnonzero((byte >> (slots & np.uint64(7)).astype(np.uint8)) & 1)
