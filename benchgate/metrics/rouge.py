"""ROUGE-1, ROUGE-2 and ROUGE-L (precision, recall, F1) on Google's rouge-score.

Scores are on a 0-1 scale, keys as EvalScope names them: ``rouge-1-p``, ``rouge-1-r``,
``rouge-1-f``, ``rouge-2-*``, ``rouge-l-*`` (ROUGE-L is rouge-score's sentence-level ``rougeL``).

Tokenisation (``tokenizer="auto"`` picks one per call, from hypothesis and references together):

* ``"default"``: rouge-score's own tokenizer (lowercase, non-[a-z0-9] -> space, optional Porter
  stemmer); used when the text has only ASCII letters and digits, so results equal rouge-score's
  exactly;
* ``"zh"``: jieba segmentation (``jieba.lcut``, accurate mode) when the text contains Han
  characters or kana; segments with Han/kana are tokens as they are (punctuation dropped), other
  segments go through rouge-score's tokenizer, so Latin words in mixed text score as in English;
* ``"unicode"``: lowercase ``\\w+`` words for other non-ASCII text (accented Latin, Cyrillic,
  Greek, ...), which rouge-score's ASCII-only tokenizer would silently delete.

With several references the score of each ROUGE type is taken from the reference with the best
F1 for that type (rouge-score ``score_multi`` semantics).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Union

__all__ = ["rouge", "rouge_corpus", "rouge_tokenize"]

_HAN_KANA = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_NON_ASCII_WORD = re.compile(r"[^\x00-\x7f]")
_WORD = re.compile(r"\w+", re.UNICODE)
_TYPES = (("rouge1", "rouge-1"), ("rouge2", "rouge-2"), ("rougeL", "rouge-l"))
_TOKENIZERS = ("auto", "default", "zh", "unicode")

Refs = Union[str, Sequence[str]]


def _detect(texts: Sequence[str]) -> str:
    if any(_HAN_KANA.search(t) for t in texts):
        return "zh"
    if any(_NON_ASCII_WORD.search(w) for t in texts for w in _WORD.findall(t)):
        return "unicode"
    return "default"


class _ZhTokenizer:
    """jieba segmentation; non-CJK segments through rouge-score's default tokenizer."""

    def __init__(self, use_stemmer: bool) -> None:
        from rouge_score import tokenizers

        self._default = tokenizers.DefaultTokenizer(use_stemmer)

    def tokenize(self, text: str) -> list[str]:
        import jieba

        out: list[str] = []
        for seg in jieba.lcut(text):
            if _HAN_KANA.search(seg):
                tok = "".join(ch for ch in seg if ch.isalnum())
                if tok:
                    out.append(tok.lower())
            else:
                out.extend(self._default.tokenize(seg))
        return out


class _UnicodeTokenizer:
    def tokenize(self, text: str) -> list[str]:
        return [w.lower() for w in _WORD.findall(text) if w.strip("_")]


@lru_cache(maxsize=16)
def _scorer(kind: str, use_stemmer: bool):  # type: ignore[no-untyped-def]
    from rouge_score import rouge_scorer

    types = [t for t, _ in _TYPES]
    if kind == "default":
        return rouge_scorer.RougeScorer(types, use_stemmer=use_stemmer)
    tok = _ZhTokenizer(use_stemmer) if kind == "zh" else _UnicodeTokenizer()
    return rouge_scorer.RougeScorer(types, use_stemmer=use_stemmer, tokenizer=tok)


def rouge_tokenize(text: str, tokenizer: str = "auto", use_stemmer: bool = False) -> list[str]:
    """The tokens ``rouge`` scores for ``text`` under ``tokenizer`` (for inspection and tests)."""
    kind = _detect([text]) if tokenizer == "auto" else tokenizer
    if kind not in _TOKENIZERS[1:]:
        raise ValueError(f"tokenizer must be one of {_TOKENIZERS}, got {tokenizer!r}")
    return list(_scorer(kind, use_stemmer)._tokenizer.tokenize(text))


def _refs(reference: Refs) -> list[str]:
    if isinstance(reference, str):
        return [reference]
    try:
        refs = list(reference)
    except TypeError:
        raise ValueError(f"reference must be a str or a sequence of str, got {type(reference).__name__}") from None
    if not refs:
        raise ValueError("reference is empty: need at least one reference")
    for i, r in enumerate(refs):
        if not isinstance(r, str):
            raise ValueError(f"reference[{i}] must be a str, got {type(r).__name__}")
    return refs


def rouge(
    hypothesis: str, reference: Refs, tokenizer: str = "auto", use_stemmer: bool = False
) -> dict[str, float]:
    """ROUGE-1/2/L precision, recall and F1 (0-1) of ``hypothesis`` against the reference(s)."""
    if not isinstance(hypothesis, str):
        raise ValueError(f"hypothesis must be a str, got {type(hypothesis).__name__}")
    if tokenizer not in _TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {_TOKENIZERS}, got {tokenizer!r}")
    refs = _refs(reference)
    kind = _detect([hypothesis, *refs]) if tokenizer == "auto" else tokenizer
    scorer = _scorer(kind, bool(use_stemmer))
    best: dict[str, Any] = {}
    for ref in refs:
        s = scorer.score(ref, hypothesis)  # rouge-score's argument order: (target, prediction)
        for t, _ in _TYPES:
            if t not in best or s[t].fmeasure > best[t].fmeasure:
                best[t] = s[t]
    out: dict[str, float] = {}
    for t, name in _TYPES:
        out[f"{name}-p"] = float(best[t].precision)
        out[f"{name}-r"] = float(best[t].recall)
        out[f"{name}-f"] = float(best[t].fmeasure)
    return out


def rouge_corpus(
    hypotheses: Sequence[str], references: Sequence[Refs], tokenizer: str = "auto", use_stemmer: bool = False
) -> dict[str, float]:
    """Mean over pairs of the per-pair ``rouge`` scores (the usual corpus ROUGE report)."""
    if isinstance(hypotheses, str) or isinstance(references, str):
        raise ValueError("hypotheses and references must be sequences (one entry per sample), got a str")
    hyps, refs = list(hypotheses), list(references)
    if not hyps:
        raise ValueError("hypotheses is empty")
    if len(hyps) != len(refs):
        raise ValueError(f"hypotheses and references have different lengths ({len(hyps)} != {len(refs)})")
    scores = [rouge(h, r, tokenizer, use_stemmer) for h, r in zip(hyps, refs)]
    return {k: sum(s[k] for s in scores) / len(scores) for k in scores[0]}
