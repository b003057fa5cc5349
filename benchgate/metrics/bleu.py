"""Sentence and corpus BLEU-1..4 on sacrebleu, with script-aware tokenisation.

BLEU-n here is sacrebleu's BLEU with ``max_ngram_order=n``: the *cumulative* score, brevity
penalty times the geometric mean of the 1..n-gram precisions, on a 0-100 scale. (EvalScope's
``bleu-n`` uses nltk with one-hot weights, i.e. the n-gram precision alone; that is not this.)

* Sentence BLEU: ``BLEU(max_ngram_order=n, effective_order=True, tokenize=...).sentence_score``,
  sacrebleu's recommended sentence-level setting (exp smoothing, effective order).
* Corpus BLEU: ``BLEU(max_ngram_order=n, effective_order=True, tokenize=...).corpus_score``
  (statistics summed over the corpus, then one score); a variable number of references per
  hypothesis is allowed. ``effective_order`` changes the result only for a degenerate corpus
  with no n-gram of some order <= n at all (every hypothesis shorter than n tokens): sacrebleu's
  default then gives 0, here the order is left out, so a text scored against itself is 100.

Tokenisation (``tokenize=None`` picks it from the text, once for a whole call):

* any Han character and no kana -> sacrebleu ``"zh"`` (each Chinese character a token, 13a for
  the rest), the WMT convention for Chinese;
* Japanese kana, Thai, Lao, Khmer or Myanmar -> sacrebleu ``"char"`` (character level). This is a
  documented alternative to ``"ja-mecab"``, which needs MeCab and a dictionary installed;
* otherwise ``"13a"`` (sacrebleu's default, mteval-v13a).

Any sacrebleu tokenizer name may be passed explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Union

__all__ = ["detect_tokenizer", "sentence_bleu", "corpus_bleu"]

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_CHAR_SCRIPTS = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f]")

Refs = Union[str, Sequence[str]]


def detect_tokenizer(texts: Iterable[str]) -> str:
    """Pick a sacrebleu tokenizer for ``texts``: "zh", "char" or "13a" (see module docstring)."""
    has_han = False
    for t in texts:
        if t is None:
            continue
        if _CHAR_SCRIPTS.search(t):
            return "char"
        if not has_han and _HAN.search(t):
            has_han = True
    return "zh" if has_han else "13a"


@lru_cache(maxsize=64)
def _bleu(order: int, tokenize: str, effective_order: bool, lowercase: bool):  # type: ignore[no-untyped-def]
    from sacrebleu.metrics import BLEU

    return BLEU(max_ngram_order=order, effective_order=effective_order, tokenize=tokenize, lowercase=lowercase)


def _check_order(max_order: int) -> int:
    if isinstance(max_order, bool) or not isinstance(max_order, int) or not 1 <= max_order <= 9:
        raise ValueError(f"max_order must be an integer in 1..9, got {max_order!r}")
    return max_order


def _refs(references: Refs, where: str) -> list[str]:
    if isinstance(references, str):
        return [references]
    try:
        refs = list(references)
    except TypeError:
        raise ValueError(f"{where} must be a str or a sequence of str, got {type(references).__name__}") from None
    if not refs:
        raise ValueError(f"{where} is empty: need at least one reference")
    for i, r in enumerate(refs):
        if not isinstance(r, str):
            raise ValueError(f"{where}[{i}] must be a str, got {type(r).__name__}")
    return refs


def sentence_bleu(
    hypothesis: str,
    references: Refs,
    max_order: int = 4,
    tokenize: str | None = None,
    lowercase: bool = False,
) -> dict[str, float]:
    """Sentence BLEU-1..``max_order`` (0-100) of one hypothesis against one or more references.

    Returns ``{"bleu-1": ..., ..., "bleu-<max_order>": ...}``.
    """
    _check_order(max_order)
    if not isinstance(hypothesis, str):
        raise ValueError(f"hypothesis must be a str, got {type(hypothesis).__name__}")
    refs = _refs(references, "references")
    tok = tokenize or detect_tokenizer([hypothesis, *refs])
    return {
        f"bleu-{n}": float(_bleu(n, tok, True, lowercase).sentence_score(hypothesis, refs).score)
        for n in range(1, max_order + 1)
    }


def corpus_bleu(
    hypotheses: Sequence[str],
    references_list: Sequence[Refs],
    max_order: int = 4,
    tokenize: str | None = None,
    lowercase: bool = False,
) -> dict[str, float]:
    """Corpus BLEU-1..``max_order`` (0-100).

    ``references_list[i]`` holds the reference(s) of ``hypotheses[i]`` (a str or a list of str;
    the number of references may differ between hypotheses).
    """
    _check_order(max_order)
    if isinstance(hypotheses, str):
        raise ValueError("hypotheses must be a sequence of str, got a single str")
    hyps = list(hypotheses)
    if isinstance(references_list, str):
        raise ValueError("references_list must be a sequence (one entry per hypothesis), got a single str")
    refs_per = [_refs(r, f"references_list[{i}]") for i, r in enumerate(references_list)]
    if not hyps:
        raise ValueError("hypotheses is empty")
    if len(hyps) != len(refs_per):
        raise ValueError(
            f"hypotheses and references_list have different lengths ({len(hyps)} != {len(refs_per)})"
        )
    for i, h in enumerate(hyps):
        if not isinstance(h, str):
            raise ValueError(f"hypotheses[{i}] must be a str, got {type(h).__name__}")
    n_streams = max(len(r) for r in refs_per)
    streams: list[list[str | None]] = [
        [r[j] if j < len(r) else None for r in refs_per] for j in range(n_streams)
    ]
    tok = tokenize or detect_tokenizer([*hyps, *(x for r in refs_per for x in r)])
    return {
        f"bleu-{n}": float(_bleu(n, tok, True, lowercase).corpus_score(hyps, streams).score)
        for n in range(1, max_order + 1)
    }
