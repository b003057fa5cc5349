"""Seeded perturbations: typos, permutations, the perturb arg, and their use in MC benchmarks."""
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.metrics.robustness import robustness_metrics
from benchgate.perturb import add_typos, parse_perturb, permute, rng_for
from tests.conftest import ROOT, mean_score, score_all


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@given(st.text(max_size=120), st.integers(0, 10**6), st.floats(0.01, 1.0))
def test_typos_are_seeded_bounded_and_keep_non_letters(text, seed, rate):
    out = add_typos(text, random.Random(seed), rate)
    assert out == add_typos(text, random.Random(seed), rate)  # reproducible
    letters = sum(ch.isalpha() for ch in text)
    n = max(1, round(rate * letters)) if letters else 0
    assert _levenshtein(text, out) <= 2 * n  # each typo is at most a transposition (2 edits)
    assert abs(len(out) - len(text)) <= n
    keep = lambda s: [ch for ch in s if not ch.isalpha()]  # noqa: E731
    assert keep(out) == keep(text)  # digits, spaces and punctuation untouched, in order


def test_typos_change_a_question_and_leave_a_formula_alone():
    q = "Which of the following statements about the mitochondria is correct?"
    out = add_typos(q, rng_for(42, "mmlu/anatomy/3", "typos"))
    assert out != q and _levenshtein(q, out) <= 2 * round(0.05 * sum(c.isalpha() for c in q))
    assert add_typos("2 + 2 = ?", random.Random(0)) == "2 + 2 = ?"
    assert add_typos("下列关于线粒体的说法正确的是", random.Random(1)) != "下列关于线粒体的说法正确的是"


@given(st.lists(st.text(max_size=5), min_size=1, max_size=8), st.data(), st.integers(0, 10**6))
def test_permute_moves_the_gold_with_its_choice(choices, data, seed):
    gold = data.draw(st.integers(0, len(choices) - 1))
    out, new_gold = permute(choices, gold, random.Random(seed))
    assert sorted(out) == sorted(choices) and out[new_gold] == choices[gold]


def test_permute_never_returns_the_identity_order():
    assert all(permute([0, 1], 0, random.Random(s))[0] == [1, 0] for s in range(20))


def test_parse_perturb():
    assert parse_perturb("typos, shuffle") == ("shuffle", "typos")
    assert parse_perturb(["labels"]) == ("labels",) and parse_perturb(None) == () and parse_perturb("") == ()
    with pytest.raises(ValueError, match=r"perturb \['noise'\] not supported \(accepted here: shuffle, typos\)"):
        parse_perturb("noise,shuffle", ("shuffle", "typos"), "arc")


def test_drop_and_paired_p_value_hand_computed():
    # 10 samples right when clean; 5 of them wrong when perturbed: b = 5, c = 0 -> McNemar one-sided
    # p = 0.5 ** 5; drop = 1.0 - 0.5
    scores = [{"acc": float(i >= 5), "acc_clean": 1.0} for i in range(10)]
    out = robustness_metrics(scores)
    assert out == {"acc_drop": pytest.approx(0.5), "acc_drop_p_value": pytest.approx(0.5 ** 5)}
    assert robustness_metrics([{"acc": 1.0}]) == {}  # a clean run has nothing to compare


MMLU = import_benchmark(ROOT / "evals" / "mmlu.py")
ARC = import_benchmark(ROOT / "evals" / "arc.py")


def mmlu_ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=MMLU.effective_args(args))


def test_labels_perturbation_relabels_question_shots_and_continuations(data_dir):
    c = mmlu_ctx(data_dir, perturb="labels", few_shot_num=1)
    sample = MMLU.load(c, "abstract_algebra")[0]
    requests = MMLU.requests(c, sample)
    clean, perturbed = requests[:4], requests[4:]
    assert [r.continuation for r in clean] == [" A", " B", " C", " D"]
    assert [r.continuation for r in perturbed] == [" 1", " 2", " 3", " 4"]
    prompt = perturbed[0].context
    assert "\n1. 0\n2. 1\n3. 2\n4. 3\nAnswer: 2\n\n" in prompt  # the exemplar (gold B) relabelled
    assert prompt.endswith("\n1. 0\n2. 4\n3. 2\n4. 6\nAnswer:") and "\nA. " not in prompt
    gold = "ABCD".index(sample.target)
    assert [r.oracle.is_greedy for r in perturbed].index(True) == gold


def test_shuffle_and_typos_perturbation_keeps_the_gold_answer(data_dir):
    c = mmlu_ctx(data_dir, perturb=["shuffle", "typos"], few_shot_num=0)
    for sample in MMLU.load(c, "anatomy")[:20]:
        p = MMLU.perturbed(c, sample)
        gold_text = sample.data["choices"]["ABCD".index(sample.target)]
        assert p.data["choices"]["ABCD".index(p.target)] == gold_text
        assert p.data["choices"] != sample.data["choices"] and p.data["question"] != sample.data["question"]
        assert MMLU.perturbed(c, sample).data == p.data  # seeded


def test_arc_rejects_labels_and_shuffle_and_oracle_wrong_with_typos(data_dir):
    # ARC's choices are scored as continuations and never shown: their order changes nothing
    for kind in ("labels", "shuffle"):
        with pytest.raises(ValueError, match="accepted here: typos"):
            ARC.effective_args({"perturb": kind})
    c = RunContext(dataset_dir=data_dir, dataset_hub="local", args=ARC.effective_args({"perturb": "typos"}))
    oracle = score_all(ARC, c, "oracle", subsets=["ARC-Easy"], limit=30)
    assert mean_score(oracle, "acc_norm") == 1.0 and mean_score(oracle, "acc_norm_clean") == 1.0
    wrong = score_all(ARC, c, "wrong", subsets=["ARC-Easy"], limit=30)
    assert mean_score(wrong, "acc") == 0.0 and mean_score(wrong, "acc_clean") == 0.0
    assert ARC.lower_metrics(c) == ("acc_drop", "acc_norm_drop") and ARC.dimension_for(c) == "Robustness"


@pytest.mark.parametrize("mode", ["loglikelihood", "generate"])
def test_mmlu_oracle_and_wrong_under_all_perturbations(data_dir, mode):
    c = mmlu_ctx(data_dir, perturb="shuffle,labels,typos", mode=mode)
    oracle = score_all(MMLU, c, "oracle", subsets=["anatomy"], limit=25)
    wrong = score_all(MMLU, c, "wrong", subsets=["anatomy"], limit=25)
    assert mean_score(oracle, "acc") == 1.0 and mean_score(oracle, "acc_clean") == 1.0
    assert mean_score(wrong, "acc") == 0.0 and mean_score(wrong, "acc_clean") == 0.0
    assert {s.extracted for _, s in oracle} <= set("1234")
