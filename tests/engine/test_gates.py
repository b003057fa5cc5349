import json

import pytest

from benchgate.engine.gates import (GateOutcome, check_baseline, check_thresholds,
                                    load_baseline_scores, parse_gates)
from benchgate.engine.options import OptionError

BENCH = {"mmlu": {"metric": "acc", "metrics": {"acc": {"score": 0.40}},
                  "subsets": {"anatomy": {"metrics": {"acc": {"score": 0.7}}}},
                  "categories": {"STEM": {"metrics": {"acc": {"score": 0.3}}}}},
         "gsm8k": {"metric": "acc", "metrics": {"acc": {"score": 0.5}, "strict_match": {"score": 0.2}},
                   "subsets": {}, "categories": {}}}


def test_parse_cli_and_yaml(tmp_path):
    path = tmp_path / "gates.yaml"
    path.write_text("gates:\n  mmlu/STEM: 0.25\n  gsm8k:strict_match: 0.1\n")
    gates = parse_gates(["mmlu=0.45", str(path)])
    assert [(g.benchmark, g.scope, g.metric, g.value) for g in gates] == [
        ("mmlu", None, None, 0.45), ("mmlu", "STEM", None, 0.25), ("gsm8k", None, "strict_match", 0.1)]


@pytest.mark.parametrize("spec,match", [("mmlu=abc", "must be a number"), ("nofile.yaml", "NAME=VALUE"),
                                        ("=0.3", "empty")])
def test_bad_gate_specs(spec, match):
    with pytest.raises(OptionError, match=match):
        parse_gates([spec])


def test_threshold_messages_name_benchmark_score_and_threshold():
    outcome = GateOutcome()
    check_thresholds(parse_gates(["mmlu=0.45", "mmlu/anatomy=0.5", "mmlu/STEM=0.35",
                                  "gsm8k:strict_match=0.1", "arc=0.1"]), BENCH, outcome)
    assert outcome.failures == [
        "gate mmlu: acc = 0.4000 is under the threshold 0.4500",
        "gate mmlu/STEM: acc = 0.3000 is under the threshold 0.3500",
        "gate arc: benchmark 'arc' has no results in this run",
    ]
    assert [c["passed"] for c in outcome.checks] == [False, True, False, True]


def test_exact_threshold_passes():
    outcome = GateOutcome()
    check_thresholds(parse_gates(["mmlu=0.4"]), BENCH, outcome)
    assert outcome.passed


def _scores(values, bench="mmlu"):
    return {f"{bench}/s/{i}": {"acc": float(v)} for i, v in enumerate(values)}


def test_significant_drop_fails_and_lists_regressed_samples():
    old = _scores([1] * 40 + [0] * 10)
    new = _scores([0] * 15 + [1] * 25 + [0] * 10)
    outcome = GateOutcome()
    check_baseline(old, new, {"mmlu": "acc"}, 0.05, outcome)
    r = outcome.regressions["mmlu"]
    assert r["test"].startswith("mcnemar") and r["significant_drop"] and r["p_value"] < 0.05
    assert len(r["regressed"]) == 15 and "mmlu/s/0" in outcome.failures[0]


def test_small_noise_does_not_fail():
    old = _scores([1, 0] * 25)
    new = _scores([0, 1] * 2 + [1, 0] * 23)  # 2 regressed, 2 improved
    outcome = GateOutcome()
    check_baseline(old, new, {"mmlu": "acc"}, 0.05, outcome)
    assert outcome.passed and not outcome.regressions["mmlu"]["significant_drop"]


def test_improvement_never_fails():
    outcome = GateOutcome()
    check_baseline(_scores([0] * 30), _scores([1] * 30), {"mmlu": "acc"}, 0.05, outcome)
    assert outcome.passed


def test_load_baseline_requires_samples(tmp_path):
    (tmp_path / "results.json").write_text("{}")
    with pytest.raises(OptionError, match="samples.jsonl is missing"):
        load_baseline_scores(tmp_path / "results.json")
    (tmp_path / "samples.jsonl").write_text(json.dumps({"id": "a/b/0", "scores": {"acc": 1.0}}) + "\n")
    assert load_baseline_scores(tmp_path) == {"a/b/0": {"acc": 1.0}}


def test_lower_is_better_metrics_gate_as_at_most():
    bench = {"perplexity": {"metric": "word_perplexity", "lower_is_better": ["word_perplexity"],
                            "metrics": {"word_perplexity": {"score": 30.0}}, "subsets": {}, "categories": {}}}
    outcome = GateOutcome()
    check_thresholds(parse_gates(["perplexity=25", "perplexity=31"]), bench, outcome)
    assert outcome.failures == ["gate perplexity: word_perplexity = 30.0000 is over the threshold 25.0000 "
                                "(lower is better)"]
    assert [c["direction"] for c in outcome.checks] == ["at most", "at most"]


def test_lower_is_better_baseline_fails_on_a_significant_rise_not_on_a_drop():
    # attack success rate: 0 -> 1 on 15 of 50 samples is a regression (McNemar: c = 15, b = 0)
    old = {f"advbench/s/{i}": {"asr": 0.0} for i in range(50)}
    new = {f"advbench/s/{i}": {"asr": 1.0 if i < 15 else 0.0} for i in range(50)}
    outcome = GateOutcome()
    check_baseline(old, new, {"advbench": "asr"}, 0.05, outcome, lower_is_better={"advbench": ["asr"]})
    r = outcome.regressions["advbench"]
    assert r["significant_drop"] and r["lower_is_better"] and len(r["regressed"]) == 15
    assert r["p_value"] == pytest.approx(0.5 ** 15)  # exact one-sided binomial, all 15 discordant one way
    assert outcome.failures[0].startswith("baseline advbench: asr rose 0.0000 -> 0.3000 (lower is better)")
    # the same change the other way round is an improvement for a lower-is-better metric
    improved = GateOutcome()
    check_baseline(new, old, {"advbench": "asr"}, 0.05, improved, lower_is_better={"advbench": ["asr"]})
    assert improved.passed and improved.regressions["advbench"]["improved"] == 15
    # without the direction the rise would be read as an improvement: the flag matters
    unaware = GateOutcome()
    check_baseline(old, new, {"advbench": "asr"}, 0.05, unaware)
    assert unaware.passed


def test_a_gate_may_name_its_direction():
    gates = parse_gates(["mmlu<=0.45", "gsm8k:strict_match >= 0.1", "mmlu=0.3"])
    assert [(g.benchmark, g.metric, g.value, g.direction, g.label) for g in gates] == [
        ("mmlu", None, 0.45, "<=", "mmlu"), ("gsm8k", "strict_match", 0.1, ">=", "gsm8k:strict_match"),
        ("mmlu", None, 0.3, None, "mmlu")]
    outcome = GateOutcome()
    check_thresholds(gates, BENCH, outcome)  # mmlu acc 0.40: at most 0.45 passes, at least 0.3 passes
    assert outcome.passed and [c["direction"] for c in outcome.checks] == ["at most", "at least", "at least"]
    outcome = GateOutcome()
    check_thresholds(parse_gates(["mmlu<=0.35"]), BENCH, outcome)
    assert outcome.failures == ["gate mmlu: acc = 0.4000 is over the threshold 0.3500 (lower is better)"]


def test_a_variant_run_pairs_with_its_original_and_says_contamination_gap():
    old = _scores([1] * 12, "gsm8k")
    new = {f"{i}~numbers-7": s for i, s in _scores([0] * 10 + [1] * 2, "gsm8k").items()}
    outcome = GateOutcome()
    check_baseline(old, new, {"gsm8k": "acc"}, 0.05, outcome)
    r = outcome.regressions["gsm8k"]
    assert r["n_paired"] == 12 and r["p_value"] == pytest.approx(2 ** -10)  # 10 lost, 0 gained
    assert r["contamination_gap"]["gap"] == pytest.approx(10 / 12) and r["contamination_gap"]["flagged"]
    assert outcome.failures[0].startswith("contamination gap gsm8k (variant numbers-7): acc 1.0000 on the "
                                          "original -> 0.1667 on the variant, gap +0.8333")


def test_a_gap_gate_without_a_baseline_says_what_it_needs():
    outcome = GateOutcome()
    check_thresholds(parse_gates(["gsm8k:variant_gap<=0.05"]), BENCH, outcome)
    assert "needs --baseline ORIGINAL_RUN" in outcome.failures[0]
