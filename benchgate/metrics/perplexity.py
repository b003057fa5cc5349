"""Perplexity from rolling loglikelihood, as lm-evaluation-harness (wikitext-style tasks).

The model side (``benchgate.models.windows.rolling_windows``) computes the summed natural-log
probability of every token of a document with non-overlapping windows: each token predicted
exactly once, the first window preceded by a prefix token (EOS/BOS), the last window given the
full context. These functions turn that sum into the reported numbers:

* token perplexity  = exp(-sum logprob / sum tokens)
* word perplexity   = exp(-sum logprob / sum words)     (lm-eval ``word_perplexity``)
* byte perplexity   = exp(-sum logprob / sum bytes)     (lm-eval ``byte_perplexity``)
* bits per byte     = -sum logprob / sum bytes / ln 2   (lm-eval ``bits_per_byte``)

Corpus values pool the sums over documents (lm-eval ``weighted_perplexity`` /
``bits_per_byte`` aggregation), they do not average per-document perplexities.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from ._validate import check_finite, check_int

__all__ = [
    "count_words",
    "count_bytes",
    "perplexities",
    "corpus_perplexities",
    "weighted_perplexity",
    "bits_per_byte",
]

_WS = re.compile(r"\s+")


def count_words(text: str) -> int:
    """Word count as lm-eval's wikitext task: ``len(re.split(r"\\s+", text))``."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return len(_WS.split(text))


def count_bytes(text: str) -> int:
    """UTF-8 byte count: ``len(text.encode("utf-8"))``."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return len(text.encode("utf-8"))


def _check_logprob(total_logprob: float, name: str = "total_logprob") -> float:
    lp = check_finite(total_logprob, name)
    if lp > 1e-6:
        raise ValueError(f"{name} must be <= 0 (a sum of log probabilities), got {lp}")
    return min(lp, 0.0)


def _exp(x: float) -> float:
    """exp that returns inf instead of raising OverflowError (a terrible model's perplexity)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def perplexities(total_logprob: float, n_tokens: int, n_words: int, n_bytes: int) -> dict[str, float]:
    """Token, word and byte perplexity and bits per byte from a summed natural-log probability.

    Returns ``{"token_perplexity", "word_perplexity", "byte_perplexity", "bits_per_byte"}``;
    a perplexity beyond the float range (about e^709) is reported as ``inf``.
    """
    lp = _check_logprob(total_logprob)
    n_tokens = check_int(n_tokens, "n_tokens", minimum=1)
    n_words = check_int(n_words, "n_words", minimum=1)
    n_bytes = check_int(n_bytes, "n_bytes", minimum=1)
    return {
        "token_perplexity": _exp(-lp / n_tokens),
        "word_perplexity": _exp(-lp / n_words),
        "byte_perplexity": _exp(-lp / n_bytes),
        "bits_per_byte": -lp / n_bytes / math.log(2),
    }


def _totals(items: Iterable[tuple[float, int]], what: str) -> tuple[float, int]:
    """(sum of logprobs, sum of counts) of (logprob, count) pairs, validated."""
    pairs = list(items)
    if not pairs:
        raise ValueError("items is empty")
    lps = [_check_logprob(lp, f"items[{i}] logprob") for i, (lp, _) in enumerate(pairs)]
    counts = [check_int(c, f"items[{i}] {what}", minimum=0) for i, (_, c) in enumerate(pairs)]
    if sum(counts) == 0:
        raise ValueError(f"total {'weight' if what == 'weight' else 'byte count'} is 0")
    return sum(lps), sum(counts)


def weighted_perplexity(items: Iterable[tuple[float, int]]) -> float:
    """lm-eval ``weighted_perplexity``: exp(-sum(logprob) / sum(weight)) over (logprob, weight)."""
    logprob, weight = _totals(items, "weight")
    return _exp(-logprob / weight)


def bits_per_byte(items: Iterable[tuple[float, int]]) -> float:
    """lm-eval ``bits_per_byte`` aggregation: -sum(logprob) / sum(bytes) / ln 2."""
    logprob, n_bytes = _totals(items, "bytes")
    return -logprob / n_bytes / math.log(2)


def corpus_perplexities(docs: Iterable[tuple[float, int, int, int]]) -> dict[str, float]:
    """Corpus-level ``perplexities`` over documents given as (total_logprob, n_tokens, n_words, n_bytes).

    Sums pool over documents (lm-eval aggregation), so a long document weighs more than a short one.
    """
    rows = list(docs)
    if not rows:
        raise ValueError("docs is empty")
    tot_lp = 0.0
    tot = [0, 0, 0]
    for i, row in enumerate(rows):
        try:
            lp, nt, nw, nb = row
        except (TypeError, ValueError):
            raise ValueError(f"docs[{i}] must be (total_logprob, n_tokens, n_words, n_bytes), got {row!r}") from None
        tot_lp += _check_logprob(lp, f"docs[{i}] total_logprob")
        for j, (v, name) in enumerate(((nt, "n_tokens"), (nw, "n_words"), (nb, "n_bytes"))):
            tot[j] += check_int(v, f"docs[{i}] {name}", minimum=0)
    for v, name in zip(tot, ("n_tokens", "n_words", "n_bytes")):
        if v == 0:
            raise ValueError(f"total {name} over docs is 0")
    out = perplexities(tot_lp, *tot)
    out["n_docs"] = float(len(rows))
    return out
