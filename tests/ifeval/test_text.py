"""The offline sentence splitter equals NLTK's punkt_tab English tokenizer, and word counts /
tokens equal the reference's."""
import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from benchgate.ifeval import text

FRAGMENTS = ["Dr. Smith", "went home", ".", "?", "!", " ", "\n", "Mr. J. R. R. Tolkien", "e.g.", "U.S.", "3.5",
             "etc.", "...", '"', "'", "(", ")", "He", "she", "Inc.", "Jan.", "No. 5", "it's", "CAN'T", "a.m.",
             "St. Louis", "1.", "2)", "*", "-", "Ph.D.", "vs.", "Fig.", "p.m.", ":", ";", "the", "The"]


def test_tables_are_nltks_punkt_tab_english_sizes():
    from punkt.data import english

    # sizes of NLTK's punkt_tab/english files (abbrev_types.txt, collocations.tab,
    # sent_starters.txt, ortho_context.tab lines), counted in nltk_data's punkt_tab.zip
    assert (len(english.ABBREV_TYPES), len(english.COLLOCATIONS), len(english.SENT_STARTERS),
            len(english.ORTHO_CONTEXT)) == (156, 37, 39, 20366)


@functools.lru_cache(maxsize=1)
def _nltk_punkt():
    import nltk

    return nltk.data.load("tokenizers/punkt/english.pickle")  # NLTK's loader: punkt_tab/english


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=40).map("".join))
def test_sentences_equal_nltk_punkt_tab(reference, value):
    import nltk

    assert text.split_sentences(value) == _nltk_punkt().tokenize(value)
    assert text.word_tokenize(value) == nltk.word_tokenize(value)
    from lm_eval.tasks.ifeval import instructions_util as ref

    assert text.count_sentences(value) == ref.count_sentences(value)
    assert text.count_words(value) == ref.count_words(value)
