"""keyword_recall: the share of the reference's words (lowercased, 3+ letters) that the
prediction contains; 1.0 when the reference has no such word."""
from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]{3,}")


def score(prediction: str, reference: str) -> float:
    words = set(_WORD.findall(str(reference).lower()))
    if not words:
        return 1.0
    found = set(_WORD.findall(str(prediction).lower()))
    return len(words & found) / len(words)
