"""The benchmark side of an n-gram check: every sample's texts (question, answer), their
normalised word n-grams and the hashes a corpus scan looks for. It fits in memory (full MMLU
+ GSM8K: about a million n-grams); the corpus never has to."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchgate.contamination.hashing import Grams, word_hashes, word_spans
from benchgate.contamination.normalize import words

DEFAULT_N = 13
DEFAULT_MIN_WORDS = 8
DEFAULT_MAX_SHARED = 10


@dataclass
class Text:
    """One text of one sample: its n-grams (ids into NgramIndex.grams, one per position)."""

    sample_id: str
    benchmark: str
    part: str  # "question" or "answer"
    n_words: int
    grams: list[int]  # empty: too short to check

    @property
    def checked(self) -> bool:
        return bool(self.grams)


@dataclass
class NgramIndex:
    """Distinct normalised n-grams of a set of texts, with their hashes grouped by length.

    Rule: a text of at least `n` words is represented by all its word n-grams; a text of
    `min_words` <= m < n words by the whole text as one m-gram (GPT-3: "or that overlap with
    the whole example when it is shorter than 13-grams"); a shorter text is not checked."""

    n: int = DEFAULT_N
    min_words: int = DEFAULT_MIN_WORDS
    texts: list[Text] = field(default_factory=list)
    grams: dict[str, int] = field(default_factory=dict)  # normalised n-gram -> id
    gram_length: list[int] = field(default_factory=list)  # id -> words
    keys: dict[int, np.ndarray] = field(default_factory=dict)  # k -> sorted unique hashes
    # the texts shorter than n (checked whole): hashes of their first `prefix_length` words, so
    # a scan tries their lengths only where such a prefix occurs
    short_prefixes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    prefix_length: int = 0
    # (benchmark, gram id) -> [last sample id that had it, number of samples that have it]
    holders: dict[tuple[str, int], list] = field(default_factory=dict)

    def add(self, benchmark: str, sample_id: str, part: str, text: str) -> Text:
        """Register one text; returns its entry."""
        tokens = words(text)
        m = len(tokens)
        if m >= self.n:
            strings = [" ".join(tokens[i:i + self.n]) for i in range(m - self.n + 1)]
        elif m >= self.min_words:
            strings = [" ".join(tokens)]
        else:
            strings = []
        ids = []
        for s in strings:
            gid = self.grams.get(s)
            if gid is None:
                gid = self.grams[s] = len(self.gram_length)
                self.gram_length.append(min(m, self.n))
            ids.append(gid)
            held = self.holders.setdefault((benchmark, gid), [None, 0])
            if held[0] != sample_id:
                held[0], held[1] = sample_id, held[1] + 1
        entry = Text(sample_id, benchmark, part, m, ids)
        self.texts.append(entry)
        return entry

    def build(self) -> "NgramIndex":
        """Hash every distinct n-gram (the same numpy code the corpus scan runs) into `keys`."""
        strings = list(self.grams)  # in id order
        if not strings:
            self.keys = {}
            return self
        data = "\n".join(strings).encode("utf-8", "surrogatepass")
        arr = np.frombuffer(data.replace(b"\n", b" "), dtype=np.uint8)
        starts, ends = word_spans(arr)
        grams = Grams(word_hashes(arr, starts, ends))
        lengths = np.array(self.gram_length, dtype=np.int64)
        first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        hashes = grams.one(first, lengths)
        self.keys = {int(k): np.unique(hashes[lengths == k]) for k in np.unique(lengths)}
        short = lengths < self.n
        if short.any():
            self.prefix_length = int(lengths[short].min())
            self.short_prefixes = np.unique(grams.one(first[short], np.full(short.sum(), self.prefix_length)))
        return self

    def shared(self, benchmark: str, gid: int) -> int:
        """How many samples of `benchmark` have n-gram `gid` (in any of their texts)."""
        return self.holders.get((benchmark, gid), (None, 0))[1]

    def lengths(self) -> list[int]:
        """The n-gram lengths the corpus must be scanned for, longest first."""
        return sorted(self.keys, reverse=True)
