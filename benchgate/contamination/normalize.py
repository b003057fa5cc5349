"""lm-evaluation-harness' decontamination normalisation (lm_eval/decontamination/janitor.py,
`Janitor.normalize_string` and `word_ngrams`), for text (the benchmark side) and for UTF-8
bytes (the corpus side, where the same result must come out of a fast byte scan).

Normalisation: ASCII letters lowercased, ASCII punctuation (`string.punctuation`) deleted,
then words split on whitespace as `str.split()` does (Unicode whitespace included); an n-gram
is n consecutive words joined by one space. Non-ASCII letters keep their case, as in lm-eval.
"""
from __future__ import annotations

import string
import sys
from typing import Iterator

import numpy as np

# the Janitor's translation table: A-Z -> a-z, string.punctuation deleted
TRANSLATION = str.maketrans(string.ascii_lowercase + string.ascii_uppercase,
                            string.ascii_lowercase * 2, string.punctuation)
# every character str.split() splits on, by construction (not a hand-copied list)
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
ASCII_WHITESPACE = bytes(c for c in range(128) if chr(c) in WHITESPACE)  # \t\n\x0b\x0c\r\x1c-\x1f, space
# bytes: A-Z -> a-z and every ASCII whitespace byte -> space (bytes.split() knows only
# b" \t\n\r\x0b\x0c"; str.split() also splits on \x1c-\x1f)
BYTES_TABLE = bytes.maketrans(string.ascii_uppercase.encode() + ASCII_WHITESPACE,
                              string.ascii_lowercase.encode() + b" " * len(ASCII_WHITESPACE))
BYTES_DELETE = string.punctuation.encode()
SPACE = 32


def normalize(text: str) -> str:
    """lm-eval's `Janitor.normalize_string`: ASCII lowercase, ASCII punctuation deleted."""
    return text.translate(TRANSLATION)


def words(text: str) -> list[str]:
    """The words of a text after normalisation (split on any whitespace)."""
    return normalize(text).split()


def word_ngrams(text: str, n: int) -> Iterator[str]:
    """The word n-grams of a text, in order, as lm-eval's `word_ngrams(normalize_string(text), n)`:
    none when the text has fewer than n words."""
    tokens = words(text)
    return (" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def normalize_bytes(data: bytes) -> bytes:
    """The corpus side of `normalize` on UTF-8 bytes, with every whitespace character turned
    into an ASCII space, so that `bytes.split()` gives the words
    `words` gives on the decoded text (ASCII bytes never occur inside a multi-byte character,
    so deleting ASCII punctuation keeps valid UTF-8 valid)."""
    data = data.translate(BYTES_TABLE, BYTES_DELETE)
    if not data.isascii():
        arr = np.frombuffer(data, dtype=np.uint8).copy()
        blank_wide_whitespace(arr)
        data = arr.tobytes()
    return data


def _wide_whitespace() -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 encodings of the non-ASCII whitespace characters, as 2- and 3-byte keys."""
    two, three = [], []
    for ch in WHITESPACE:
        b = ch.encode("utf-8")
        if len(b) == 2:
            two.append(b[0] << 8 | b[1])
        elif len(b) == 3:
            three.append(b[0] << 16 | b[1] << 8 | b[2])
        elif len(b) > 3:  # no such character in Unicode 15; fail loudly if one appears
            raise AssertionError(f"4-byte whitespace {ch!r}")
    return np.array(sorted(two), dtype=np.uint32), np.array(sorted(three), dtype=np.uint32)


WIDE_2, WIDE_3 = _wide_whitespace()
_LEADS = np.unique(np.concatenate([WIDE_2 >> 8, WIDE_3 >> 16])).astype(np.uint8)


def blank_wide_whitespace(arr: np.ndarray) -> None:
    """Overwrite every non-ASCII whitespace character in `arr` (UTF-8 bytes, writable) with
    spaces, so that spaces alone separate words."""
    lead = np.flatnonzero(np.isin(arr, _LEADS))
    if not len(lead):
        return
    lead = lead[lead + 1 < len(arr)]
    b0 = arr[lead].astype(np.uint32)
    b1 = arr[lead + 1].astype(np.uint32)
    two = np.isin(b0 << 8 | b1, WIDE_2)
    for width in (1, 2):
        arr[lead[two] + width - 1] = SPACE
    lead3 = lead[~two]
    lead3 = lead3[lead3 + 2 < len(arr)]
    if len(lead3):
        key = (arr[lead3].astype(np.uint32) << 16 | arr[lead3 + 1].astype(np.uint32) << 8
               | arr[lead3 + 2].astype(np.uint32))
        hit = lead3[np.isin(key, WIDE_3)]
        for width in (0, 1, 2):
            arr[hit + width] = SPACE


