"""Exact match and token F1 with SQuAD-style answer normalisation.

``normalize_answer`` is the official SQuAD v1.1/v2.0 evaluation normalisation: lowercase, remove
ASCII punctuation (``string.punctuation``), remove the articles a/an/the, fold whitespace. Two
documented extensions for unsegmented scripts, which leave ASCII/English text untouched:

* CJK punctuation (U+3000-U+303F, fullwidth forms U+FF01-U+FF65) is removed like ASCII punctuation;
* for F1, every CJK / kana / Hangul-syllable / Thai character is its own token (the "mixed
  segmentation" of the CMRC 2018 and DuReader evaluation scripts), so Chinese answers get partial
  credit instead of one token per sentence.

Token F1 treats an empty normalised answer as SQuAD v2.0 does: F1 = 1 when both prediction and
gold are empty, 0 when only one is. With several gold aliases the score is the max over them.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Union

__all__ = ["normalize_answer", "answer_tokens", "exact_match", "f1_score", "em_f1", "lm_eval_exact_match"]

_ASCII_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
# Characters that form a token each (no spaces between words in these scripts).
_SPLIT_CHARS = re.compile(
    "([\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\u0e00-\u0e7f\U00020000-\U0002fa1f])"
)

Golds = Union[str, Sequence[str]]


def _is_cjk_punct(ch: str) -> bool:
    o = ord(ch)
    return 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF0F or 0xFF1A <= o <= 0xFF20 or 0xFF3B <= o <= 0xFF40 or 0xFF5B <= o <= 0xFF65


def normalize_answer(s: str) -> str:
    """SQuAD normalisation: lowercase, drop punctuation and articles (a/an/the), fold whitespace."""
    if not isinstance(s, str):
        raise ValueError(f"answer must be a str, got {type(s).__name__}")
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _ASCII_PUNCT and not _is_cjk_punct(ch))
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def answer_tokens(s: str) -> list[str]:
    """Tokens of a normalised answer: whitespace split, CJK/kana/Hangul/Thai split per character."""
    out: list[str] = []
    for tok in normalize_answer(s).split():
        if _SPLIT_CHARS.search(tok):
            out.extend(t for t in _SPLIT_CHARS.split(tok) if t)
        else:
            out.append(tok)
    return out


def _golds(golds: Golds) -> list[str]:
    if isinstance(golds, str):
        return [golds]
    try:
        lst = list(golds)
    except TypeError:
        raise ValueError(f"golds must be a str or a sequence of str, got {type(golds).__name__}") from None
    if not lst:
        raise ValueError("golds is empty: need at least one gold answer")
    for i, g in enumerate(lst):
        if not isinstance(g, str):
            raise ValueError(f"golds[{i}] must be a str, got {type(g).__name__}")
    return lst


def _check_pred(prediction: str) -> None:
    if not isinstance(prediction, str):
        raise ValueError(f"prediction must be a str, got {type(prediction).__name__}")


def exact_match(prediction: str, golds: Golds) -> float:
    """1.0 if the normalised prediction equals any normalised gold alias, else 0.0."""
    _check_pred(prediction)
    p = normalize_answer(prediction)
    return 1.0 if any(p == normalize_answer(g) for g in _golds(golds)) else 0.0


def _f1_tokens(pred: list[str], gold: list[str]) -> float:
    if not pred or not gold:
        return float(pred == gold)
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred)
    recall = same / len(gold)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, golds: Golds) -> float:
    """SQuAD token F1 (bag of normalised tokens), max over gold aliases."""
    _check_pred(prediction)
    p = answer_tokens(prediction)
    return max(_f1_tokens(p, answer_tokens(g)) for g in _golds(golds))


def em_f1(prediction: str, golds: Golds) -> dict[str, float]:
    """Both scores at once: ``{"em": ..., "f1": ...}``."""
    return {"em": exact_match(prediction, golds), "f1": f1_score(prediction, golds)}


def lm_eval_exact_match(prediction: str, reference: str, regexes_to_ignore: Sequence[str] = (),
                        ignore_case: bool = False, ignore_punctuation: bool = False) -> bool:
    """lm-evaluation-harness `exact_match` (its port of HF evaluate's exact_match) for one pair:
    each regex in `regexes_to_ignore` removed from both in turn, then lowercased and/or ASCII
    punctuation removed; equal as numpy compares strings (trailing NUL characters ignored)."""
    for pattern in regexes_to_ignore:
        prediction, reference = re.sub(pattern, "", prediction), re.sub(pattern, "", reference)
    if ignore_case:
        prediction, reference = prediction.lower(), reference.lower()
    if ignore_punctuation:
        table = str.maketrans("", "", string.punctuation)
        prediction, reference = prediction.translate(table), reference.translate(table)
    return prediction.rstrip("\0") == reference.rstrip("\0")
