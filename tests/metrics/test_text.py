import collections
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchgate.metrics.text import (
    answer_tokens,
    em_f1,
    exact_match,
    f1_score,
    normalize_answer,
)

# Kept small so that the whole metrics run stays well under 60 s on 2 cores.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- reference: the official SQuAD v2.0 evaluation script (evaluate-v2.0.py), verbatim logic ---
def ref_normalize_answer(s):
    def remove_articles(text):
        regex = re.compile(r"\b(a|an|the)\b", re.UNICODE)
        return re.sub(regex, " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def ref_get_tokens(s):
    if not s:
        return []
    return ref_normalize_answer(s).split()


def ref_compute_exact(a_gold, a_pred):
    return int(ref_normalize_answer(a_gold) == ref_normalize_answer(a_pred))


def ref_compute_f1(a_gold, a_pred):
    gold_toks = ref_get_tokens(a_gold)
    pred_toks = ref_get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


# ASCII text rich in articles, punctuation and repeated words
ascii_text = st.lists(
    st.sampled_from(["the", "a", "an", "The", "cat", "Cat", "dog", "theatre", "an-", ",", ".", "!", "'s", "x", "1", " ", "  ", "\t"]),
    max_size=12,
).map("".join) | st.text(alphabet=string.printable, max_size=30)


@SETTINGS
@given(ascii_text, st.lists(ascii_text, min_size=1, max_size=3))
def test_matches_squad_reference_on_ascii(pred, golds):
    assert normalize_answer(pred) == ref_normalize_answer(pred)
    assert exact_match(pred, golds) == max(ref_compute_exact(g, pred) for g in golds)
    assert f1_score(pred, golds) == pytest.approx(max(ref_compute_f1(g, pred) for g in golds), abs=1e-12)


def _no_cjk_punct(s):
    return not any(0x3000 <= ord(ch) <= 0x303F or 0xFF01 <= ord(ch) <= 0xFF65 for ch in s)


@SETTINGS
@given(st.text(max_size=30).filter(_no_cjk_punct) | st.lists(st.sampled_from(["the", "a", "x", "€", "×", " ", "é"]), max_size=10).map("".join))
def test_normalisation_matches_squad_on_any_text_without_cjk_punctuation(s):
    assert normalize_answer(s) == ref_normalize_answer(s)


@SETTINGS
@given(st.text(max_size=25), st.lists(st.text(max_size=25), min_size=1, max_size=3))
def test_em_le_f1(pred, golds):
    em, f1 = exact_match(pred, golds), f1_score(pred, golds)
    assert 0.0 <= em <= f1 <= 1.0


def test_normalisation_examples():
    assert normalize_answer("  The Eiffel-Tower!! ") == "eiffeltower"
    assert normalize_answer("An apple, a day") == "apple day"
    assert normalize_answer("theatre") == "theatre"  # articles only as whole words
    assert exact_match("The Eiffel Tower.", "eiffel tower") == 1.0
    assert exact_match("Eiffel", "eiffel tower") == 0.0


def test_aliases_take_max():
    golds = ["Barack Obama", "Obama", "President Obama"]
    assert exact_match("obama", golds) == 1.0
    assert f1_score("president barack obama", golds) == pytest.approx(max(2 * (2 / 3) * 1 / (2 / 3 + 1), 0.8))
    assert em_f1("Obama", golds) == {"em": 1.0, "f1": 1.0}


def test_f1_partial_overlap():
    # pred tokens [cat, sat], gold [cat, sat, down]: P=1, R=2/3
    assert f1_score("the cat sat", "a cat sat down") == pytest.approx(0.8)
    assert f1_score("dog", "cat") == 0.0


def test_chinese_character_tokens_and_punctuation():
    assert answer_tokens("北京市。") == ["北", "京", "市"]
    assert exact_match("北京。", "北京") == 1.0
    # P = 2/3, R = 1 -> F1 = 0.8
    assert f1_score("北京市", "北京") == pytest.approx(0.8)
    assert answer_tokens("GPT-4 模型") == ["gpt4", "模", "型"]


def test_empty_answers_follow_squad_v2():
    assert f1_score("", "") == 1.0
    assert exact_match("", "") == 1.0
    assert f1_score("the", "") == 1.0  # both normalise to empty
    assert f1_score("", "cat") == 0.0


@pytest.mark.parametrize(
    "call, msg",
    [
        (lambda: exact_match("a", []), "golds is empty"),
        (lambda: f1_score("a", []), "golds is empty"),
        (lambda: f1_score(None, "a"), "prediction must be a str"),
        (lambda: exact_match("a", ["b", 3]), r"golds\[1\]"),
        (lambda: normalize_answer(3), "str"),
    ],
)
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20), st.booleans(), st.booleans(),
       st.sampled_from([(), (",",), ("\\$", "\\.$"), ("(?s).*#### ",)]))
def test_lm_eval_exact_match_is_lm_evals_own(prediction, reference, ignore_case, ignore_punctuation, regexes):
    """lm-evaluation-harness' exact_match_hf_evaluate (the reference, run here) on the same pair."""
    from lm_eval.api.metrics import exact_match_hf_evaluate

    from benchgate.metrics.text import lm_eval_exact_match

    expected = exact_match_hf_evaluate(predictions=[prediction], references=[reference], regexes_to_ignore=list(regexes)
                                       or None, ignore_case=ignore_case, ignore_punctuation=ignore_punctuation)
    assert lm_eval_exact_match(prediction, reference, regexes, ignore_case, ignore_punctuation) == \
        bool(expected["exact_match"])
