import math
from collections import Counter

import pytest
import sacrebleu
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import BLEU

from benchgate.metrics.bleu import corpus_bleu, detect_tokenizer, sentence_bleu

# Kept small so that the whole metrics run stays well under 60 s on 2 cores.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Sentences over a small vocabulary so that n-gram matches are common.
words = st.sampled_from(["the", "cat", "sat", "on", "mat", "a", "dog", "ran"])
sentence = st.lists(words, min_size=1, max_size=12).map(" ".join)
refs = st.lists(sentence, min_size=1, max_size=3)


# --- independent reference: BLEU from n-gram counts (Papineni et al. 2002, sacrebleu conventions:
# closest reference length with ties to the shorter, 'exp' smoothing, optional effective order) ---
def _ngrams(toks, n):
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def ref_bleu(pairs, order, effective_order):
    correct, total = [0] * order, [0] * order
    sys_len = ref_len = 0
    for hyp, rs in pairs:
        h = hyp.split()
        rts = [r.split() for r in rs]
        sys_len += len(h)
        ref_len += min((abs(len(r) - len(h)), len(r)) for r in rts)[1]
        for n in range(1, order + 1):
            hc = _ngrams(h, n)
            maxref = Counter()
            for r in rts:
                for g, cnt in _ngrams(r, n).items():
                    maxref[g] = max(maxref[g], cnt)
            correct[n - 1] += sum(min(c, maxref[g]) for g, c in hc.items())
            total[n - 1] += max(0, len(h) - n + 1)
    if correct[0] == 0:
        return 0.0
    bp = 1.0 if sys_len >= ref_len else math.exp(1 - ref_len / sys_len)
    logs, smooth, eff = [], 1.0, order
    for n in range(order):
        if total[n] == 0:
            if effective_order:
                eff = n
                break
            return 0.0
        if correct[n] == 0:
            smooth *= 2
            logs.append(math.log(1.0 / (smooth * total[n])))
        else:
            logs.append(math.log(correct[n] / total[n]))
    return 100.0 * bp * math.exp(sum(logs[:eff]) / eff)


@SETTINGS
@given(sentence, refs)
def test_sentence_bleu_matches_independent_reference_and_sacrebleu(hyp, rs):
    got = sentence_bleu(hyp, rs)
    assert set(got) == {"bleu-1", "bleu-2", "bleu-3", "bleu-4"}
    for n in range(1, 5):
        assert got[f"bleu-{n}"] == pytest.approx(ref_bleu([(hyp, rs)], n, True), abs=1e-9)
    assert got["bleu-4"] == pytest.approx(sacrebleu.sentence_bleu(hyp, rs).score, abs=1e-9)


@SETTINGS
@given(st.lists(st.tuples(sentence, refs), min_size=1, max_size=6))
def test_corpus_bleu_matches_independent_reference_and_sacrebleu(pairs):
    hyps = [h for h, _ in pairs]
    rl = [r for _, r in pairs]
    got = corpus_bleu(hyps, rl)
    for n in range(1, 5):
        assert got[f"bleu-{n}"] == pytest.approx(ref_bleu(pairs, n, True), abs=1e-9)
    # sacrebleu's top-level function with reference streams padded by None; it differs only for a
    # degenerate corpus without any 4-gram (see docs/metrics.md)
    k = max(len(r) for r in rl)
    streams = [[r[j] if j < len(r) else None for r in rl] for j in range(k)]
    if any(len(h.split()) >= 4 for h in hyps):
        assert got["bleu-4"] == pytest.approx(sacrebleu.corpus_bleu(hyps, streams).score, abs=1e-9)
    else:
        assert sacrebleu.corpus_bleu(hyps, streams).score == 0.0


cjk_or_latin = (
    st.lists(st.sampled_from(list("我爱北京天安门的人民中国。，abc xyz") + ["ひらがな", "สวัสดี"]), min_size=1, max_size=12)
    .map("".join)
    .filter(lambda s: s.strip())
)


@SETTINGS
@given(cjk_or_latin)
def test_bleu_of_text_against_itself_is_100(text):
    got = sentence_bleu(text, [text])
    for n in range(1, 5):
        assert got[f"bleu-{n}"] == pytest.approx(100.0, abs=1e-9)
    assert corpus_bleu([text, text], [[text], text])["bleu-4"] == pytest.approx(100.0, abs=1e-9)


@SETTINGS
@given(cjk_or_latin, st.lists(cjk_or_latin, min_size=1, max_size=2))
def test_matches_sacrebleu_with_detected_tokenizer(hyp, rs):
    tok = detect_tokenizer([hyp, *rs])
    got = sentence_bleu(hyp, rs)
    assert got["bleu-4"] == pytest.approx(sacrebleu.sentence_bleu(hyp, rs, tokenize=tok).score, abs=1e-9)
    assert got["bleu-2"] == pytest.approx(
        BLEU(max_ngram_order=2, effective_order=True, tokenize=tok).sentence_score(hyp, rs).score, abs=1e-9
    )


def test_tokenizer_detection():
    assert detect_tokenizer(["the cat", "a dog"]) == "13a"
    assert detect_tokenizer(["the cat", "我爱北京"]) == "zh"
    assert detect_tokenizer(["日本語のテキスト"]) == "char"
    assert detect_tokenizer(["ภาษาไทย"]) == "char"


def test_chinese_is_segmented_per_character():
    # 2 of 4 characters match, equal length: BLEU-1 = 50. Unsegmented (13a) it would be 0.
    assert sentence_bleu("我爱北京", ["我爱上海"])["bleu-1"] == pytest.approx(50.0)
    assert sacrebleu.sentence_bleu("我爱北京", ["我爱上海"], tokenize="13a").score == 0.0
    # explicit override is honoured
    assert sentence_bleu("我爱北京", ["我爱上海"], tokenize="13a")["bleu-1"] == 0.0


def test_known_english_value():
    got = sentence_bleu("the cat sat on the mat", ["the cat is on the mat"])
    assert got["bleu-1"] == pytest.approx(100 * 5 / 6)
    assert got["bleu-2"] == pytest.approx(100 * math.sqrt(5 / 6 * 3 / 5))


def test_max_order_and_empty_hypothesis():
    assert set(sentence_bleu("a b", "a b", max_order=2)) == {"bleu-1", "bleu-2"}
    assert sentence_bleu("", ["the cat"])["bleu-4"] == 0.0


@pytest.mark.parametrize(
    "call, msg",
    [
        (lambda: sentence_bleu("a", []), "empty"),
        (lambda: sentence_bleu(None, ["a"]), "hypothesis must be a str"),
        (lambda: sentence_bleu("a", ["a"], max_order=0), "max_order"),
        (lambda: corpus_bleu([], []), "empty"),
        (lambda: corpus_bleu(["a", "b"], [["a"]]), "different lengths"),
        (lambda: corpus_bleu(["a"], [[]]), "empty"),
        (lambda: corpus_bleu("a", ["a"]), "single str"),
        (lambda: corpus_bleu(["a"], [[1]]), "must be a str"),
    ],
)
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
