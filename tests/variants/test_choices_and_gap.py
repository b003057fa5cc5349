"""Multiple-choice variants (hypothesis properties, options that speak of others) and the
contamination gap's statistics on hand-computed cases."""
from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchgate.samples import Sample, pair_key, variant_of_id
from benchgate.variants.base import Dropped
from benchgate.variants.choices import NONE_OF_THE_OTHERS, permute_moving_gold, replace_distractor
from benchgate.variants.gap import contamination_gaps, paired_gap

options = st.lists(st.text("abcdefgh ", min_size=1, max_size=12).map(str.strip).filter(bool),
                   min_size=2, max_size=6, unique=True)


@given(options, st.data(), st.integers(0, 10 ** 6))
def test_permute_moves_the_gold_and_keeps_the_options(choices, data, seed):
    gold = data.draw(st.integers(0, len(choices) - 1))
    new, new_gold = permute_moving_gold(choices, gold, random.Random(seed))
    assert sorted(new) == sorted(choices)
    assert new[new_gold] == choices[gold] and new_gold != gold
    assert permute_moving_gold(choices, gold, random.Random(seed)) == (new, new_gold)


@given(options.filter(lambda c: len(c) >= 3), st.data(), st.integers(0, 10 ** 6))
def test_none_of_the_others_replaces_one_distractor(choices, data, seed):
    gold = data.draw(st.integers(0, len(choices) - 1))
    new, new_gold = replace_distractor(choices, gold, random.Random(seed))
    assert new_gold == gold and new[gold] == choices[gold]
    changed = [i for i, (a, b) in enumerate(zip(choices, new)) if a != b]
    assert len(changed) == 1 and changed[0] != gold and new[changed[0]] == NONE_OF_THE_OTHERS


@pytest.mark.parametrize("option", ["All of the above", "none of these", "Both A and B", "Neither 1 nor 2",
                                    "A and C", "以上都对", "上述说法均不正确", "None of the other answers"])
def test_an_option_that_speaks_of_the_others_drops_the_item(option):
    with pytest.raises(Dropped):
        replace_distractor(["red", "green", option, "blue"], 0, random.Random(0))


def test_two_options_with_one_text_drop_the_item():
    with pytest.raises(Dropped):
        replace_distractor(["4", "4", "5", "6"], 2, random.Random(0))
    with pytest.raises(Dropped):
        permute_moving_gold(["4", "4", "5"], 0, random.Random(0))


def test_a_variant_id_pairs_with_its_original():
    original = Sample("gsm8k", "main", 3, {}, "1")
    variant = Sample("gsm8k", "main", 3, {}, "2", variant="numbers-7")
    assert original.id == "gsm8k/main/3" and variant.id == "gsm8k/main/3~numbers-7"
    assert pair_key(variant.id) == original.id == pair_key(original.id)
    assert variant_of_id(variant.id) == "numbers-7" and variant_of_id(original.id) == ""


def test_gap_of_binary_scores_by_hand():
    # original right on 4 of 5, variant on 2: gap 0.4; discordant pairs b = 2 (lost), c = 0
    # (gained): McNemar's exact one-sided p = P(Binomial(2, 1/2) <= 0) = 0.25
    gap = paired_gap([1, 1, 1, 1, 0], [0, 0, 1, 1, 0])
    assert gap["gap"] == pytest.approx(0.4) and gap["test"] == "mcnemar_exact"
    assert gap["p_value"] == pytest.approx(0.25) and not gap["flagged"]
    assert gap["ci95"][0] <= 0.4 <= gap["ci95"][1] and 0 <= gap["ci95"][0] and gap["ci95"][1] <= 0.8 + 1e-12
    # 10 lost, none gained: p = 2**-10, flagged
    strong = paired_gap([1] * 12, [0] * 10 + [1] * 2)
    assert strong["p_value"] == pytest.approx(2 ** -10) and strong["flagged"]
    assert strong["gap"] == pytest.approx(10 / 12)


def test_gap_of_non_binary_scores_uses_the_paired_bootstrap():
    gap = paired_gap([0.9, 0.8, 0.7, 0.9], [0.5, 0.4, 0.6, 0.3])
    assert gap["test"] == "paired_bootstrap" and gap["gap"] == pytest.approx(0.375)
    assert gap["ci95"][0] > 0


def test_gaps_pair_variant_ids_with_original_ids_only():
    baseline = {"gsm8k/main/0": {"acc": 1.0}, "gsm8k/main/1": {"acc": 1.0}, "gsm8k/main/2": {"acc": 0.0},
                "mmlu/x/0": {"acc": 1.0}}
    current = {"gsm8k/main/0~numbers-7": {"acc": 0.0}, "gsm8k/main/2~numbers-7": {"acc": 1.0},
               "gsm8k/main/9~numbers-7": {"acc": 0.0},  # no original in the baseline: unpaired
               "mmlu/x/0": {"acc": 1.0}}  # not a variant: no contamination gap
    gaps = contamination_gaps(baseline, current, {"gsm8k": "acc", "mmlu": "acc"})
    assert list(gaps) == ["gsm8k"]
    g = gaps["gsm8k"]
    assert g["n_paired"] == 2 and g["gap"] == 0.0 and g["variant"] == "numbers-7"
    assert g["lost"] == ["gsm8k/main/0~numbers-7"] and g["gained"] == 1
