import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from benchgate.metrics.rouge import rouge, rouge_corpus, rouge_tokenize

# Kept small so that the whole metrics run stays well under 60 s on 2 cores.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = {f"rouge-{t}-{m}" for t in ("1", "2", "l") for m in ("p", "r", "f")}
words = st.sampled_from(["The", "cat", "sat", "on", "mat", "a", "dog", "ran", "cats", "running", "42", "!", ","])
ascii_sentence = st.lists(words, min_size=0, max_size=12).map(" ".join) | st.text(alphabet=string.printable, max_size=30)


def _flat(score):
    out = {}
    for t, name in (("rouge1", "rouge-1"), ("rouge2", "rouge-2"), ("rougeL", "rouge-l")):
        out[f"{name}-p"] = score[t].precision
        out[f"{name}-r"] = score[t].recall
        out[f"{name}-f"] = score[t].fmeasure
    return out


@SETTINGS
@given(ascii_sentence, ascii_sentence, st.booleans())
def test_matches_rouge_score_on_ascii(hyp, ref, stem):
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=stem)
    got = rouge(hyp, ref, use_stemmer=stem)
    expected = _flat(scorer.score(ref, hyp))
    assert set(got) == KEYS
    for k in KEYS:
        assert got[k] == pytest.approx(expected[k], abs=1e-12), k


@SETTINGS
@given(ascii_sentence, st.lists(ascii_sentence, min_size=1, max_size=3))
def test_multi_reference_matches_score_multi(hyp, refs):
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"])
    got = rouge(hyp, refs)
    expected = _flat(scorer.score_multi(refs, hyp))
    for k in KEYS:
        assert got[k] == pytest.approx(expected[k], abs=1e-12), k


cjk = st.lists(st.sampled_from(["我", "爱", "北京", "天安门", "的", "人民", "中国", "。", "，", " ", "ok"]), min_size=1, max_size=10).map("".join)


@SETTINGS
@given(cjk)
def test_rouge_of_text_against_itself(text):
    got = rouge(text, text)
    n_tok = len(rouge_tokenize(text))
    for k in KEYS:
        # ROUGE-2 needs a bigram: a one-token text has none (rouge-score scores that 0)
        expected = 1.0 if n_tok >= (2 if k.startswith("rouge-2") else 1) else 0.0
        assert got[k] == pytest.approx(expected, abs=1e-12), k


def test_chinese_is_segmented_with_jieba():
    hyp, ref = "我爱北京天安门。", "我爱北京的天安门"
    # rouge-score alone drops every non-ASCII character and scores nothing
    plain = rouge_scorer.RougeScorer(["rouge1"]).score(ref, hyp)["rouge1"]
    assert plain.fmeasure == 0.0
    assert rouge_tokenize(hyp) == ["我", "爱", "北京", "天安门"]
    assert rouge_tokenize(ref) == ["我", "爱", "北京", "的", "天安门"]
    got = rouge(hyp, ref)
    assert got["rouge-1-p"] == pytest.approx(1.0)
    assert got["rouge-1-r"] == pytest.approx(4 / 5)
    assert got["rouge-1-f"] == pytest.approx(2 * 0.8 / 1.8)
    # bigrams: hyp {我爱, 爱北京, 北京天安门}, ref {我爱, 爱北京, 北京的, 的天安门}
    assert got["rouge-2-p"] == pytest.approx(2 / 3)
    assert got["rouge-2-r"] == pytest.approx(2 / 4)
    assert got["rouge-l-r"] == pytest.approx(4 / 5)


def test_mixed_chinese_english_tokens():
    assert rouge_tokenize("我爱 Python, Cats!") == ["我", "爱", "python", "cats"]


def test_other_non_ascii_scripts_are_kept():
    got = rouge("café au lait", "café noir")
    assert got["rouge-1-p"] == pytest.approx(1 / 3)
    assert got["rouge-1-r"] == pytest.approx(1 / 2)
    assert rouge("привет мир", "привет мир")["rouge-l-f"] == pytest.approx(1.0)


def test_corpus_is_mean_of_pairs():
    hyps = ["the cat sat", "a dog"]
    refs = ["the cat sat down", ["the dog", "a dog ran"]]
    single = [rouge(h, r) for h, r in zip(hyps, refs)]
    got = rouge_corpus(hyps, refs)
    for k in KEYS:
        assert got[k] == pytest.approx((single[0][k] + single[1][k]) / 2)


@pytest.mark.parametrize(
    "call, msg",
    [
        (lambda: rouge("a", []), "empty"),
        (lambda: rouge(None, "a"), "hypothesis must be a str"),
        (lambda: rouge("a", "a", tokenizer="nltk"), "tokenizer"),
        (lambda: rouge_corpus([], []), "empty"),
        (lambda: rouge_corpus(["a"], ["a", "b"]), "different lengths"),
        (lambda: rouge_corpus("a", ["a"]), "str"),
    ],
)
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
