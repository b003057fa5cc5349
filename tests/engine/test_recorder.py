import json

import pytest

from benchgate.engine.recorder import Recorder


def rec(bench, subset, index, acc, category=None):
    return {"id": f"{bench}/{subset}/{index}", "benchmark": bench, "subset": subset, "index": index,
            "category": category, "metric": "acc", "scores": {"acc": acc}}


def test_micro_average_per_subset_category_and_benchmark(tmp_path):
    r = Recorder(tmp_path)
    # subset a: 3 samples (2 right), subset b: 1 sample (0 right); micro = 2/4, macro = (2/3 + 0)/2
    for i, acc in enumerate([1.0, 1.0, 0.0]):
        r.add(rec("mmlu", "a", i, acc, "STEM"))
    r.add(rec("mmlu", "b", 0, 0.0, "Other"))
    out = r.aggregate()["mmlu"]
    assert out["score"] == 0.5 and out["n"] == 4
    assert out["macro_subsets"] == pytest.approx((2 / 3 + 0) / 2)
    assert out["macro_categories"] == pytest.approx((2 / 3 + 0) / 2)
    assert out["subsets"]["a"]["score"] == pytest.approx(2 / 3) and out["subsets"]["a"]["n"] == 3
    assert out["categories"]["Other"]["score"] == 0.0
    # stderr as lm-eval: sample std (ddof=1) / sqrt(n)
    assert out["stderr"] == pytest.approx((sum((x - 0.5) ** 2 for x in [1, 1, 0, 0]) / 3 / 4) ** 0.5)


def test_samples_file_is_sorted_by_benchmark_subset_index(tmp_path):
    r = Recorder(tmp_path)
    for args in [("b", "s", 10), ("a", "t", 2), ("a", "s", 11), ("a", "s", 9)]:
        r.add(rec(*args, acc=1.0))
    path = r.finish_samples()
    ids = [json.loads(line)["id"] for line in path.read_text().splitlines()]
    assert ids == ["a/s/9", "a/s/11", "a/t/2", "b/s/10"]
    assert not (tmp_path / "samples.jsonl.partial").exists()


def test_aggregation_does_not_depend_on_arrival_order(tmp_path):
    import random
    records = [rec("b", f"s{i % 3}", i, random.Random(i).random()) for i in range(200)]
    first = Recorder(tmp_path / "1")
    for r in records:
        first.add(r)
    random.Random(0).shuffle(records)
    second = Recorder(tmp_path / "2")
    for r in records:
        second.add(r)
    assert first.aggregate() == second.aggregate()


def test_metrics_are_listed_primary_first_then_by_name_whatever_the_hash_seed(tmp_path):
    """results.json lists a benchmark's metrics in one order on every run: the primary, then
    the others by name (a set's order would change with PYTHONHASHSEED between runs)."""
    r = Recorder(tmp_path)
    names = ["zeta", "acc", "b_metric", "alpha", "mid", "a_metric"]
    for i in range(3):
        r.add({**rec("bench", "s", i, 1.0), "metric": "mid", "scores": {n: 1.0 for n in names}})
    out = r.aggregate()["bench"]
    assert list(out["metrics"]) == ["mid", "a_metric", "acc", "alpha", "b_metric", "zeta"]
    assert list(out["subsets"]["s"]["metrics"]) == ["mid", "a_metric", "acc", "alpha", "b_metric", "zeta"]


def test_one_benchmark_failing_to_aggregate_keeps_the_others_and_every_sample(tmp_path):
    """A merge of records without the primary metric used to stop the whole write with a
    KeyError, leaving only samples.jsonl.partial."""
    from benchgate.engine.controller import finalize

    r = Recorder(tmp_path)
    for i in range(3):
        r.add(rec("good", "s", i, 1.0))
    for i in range(2):
        bad = rec("bad", "s", i, 0.0)
        bad["scores"] = {"other": 1.0}  # the primary metric "acc" is missing
        r.add(bad)
    results, outcome = finalize(r, config={}, model={"name": "m"}, timings={}, thresholds=[],
                                baseline=None, alpha=0.05, dry_run=False)
    assert results["benchmarks"]["good"]["score"] == 1.0
    bad = results["benchmarks"]["bad"]
    assert bad["score"] is None and bad["n"] == 2
    assert bad["error"] == ("aggregation failed: ValueError: no sample has a score for the primary metric "
                            "'acc' (metrics found: ['other'])")
    assert results["status"] == "failed"
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["benchmarks"]["bad"]["error"] == bad["error"]
    assert len((tmp_path / "samples.jsonl").read_text().splitlines()) == 5
    assert not (tmp_path / "samples.jsonl.partial").exists()


def test_a_gate_on_a_benchmark_without_score_fails_with_the_reason(tmp_path):
    from benchgate.engine.controller import finalize
    from benchgate.engine.gates import parse_gates

    r = Recorder(tmp_path)
    bad = rec("bad", "s", 0, 0.0)
    bad["scores"] = {"other": 1.0}
    r.add(bad)
    _, outcome = finalize(r, config={}, model={"name": "m"}, timings={}, thresholds=parse_gates(["bad=0.5"]),
                          baseline=None, alpha=0.05, dry_run=False)
    assert outcome.failures == ["gate bad: bad has no score (aggregation failed: ValueError: no sample has a "
                                "score for the primary metric 'acc' (metrics found: ['other']))"]


def _judged(index, parse_failed):
    scores = {"judge_parse_failure": 1.0} if parse_failed else {"judge_correct": 1.0, "judge_parse_failure": 0.0}
    return {"id": f"ex/ex/{index}", "benchmark": "ex", "subset": "ex", "index": index, "category": None,
            "metric": "judge_correct", "scores": scores}


def test_a_judge_that_never_parses_is_a_result_with_no_score_and_every_failure_listed(tmp_path):
    """examples/judged with the smoke judge: no verdict parses, so no sample has judge_correct.
    That used to be an aggregation error (exit 1); it is a result: score null, the reason, and
    each sample whose verdict failed to parse, on the console too; the run is not failed."""
    from benchgate.engine.controller import finalize
    from benchgate.reports.console import summary_lines

    r = Recorder(tmp_path)
    for i in (2, 0, 1):
        r.add(_judged(i, parse_failed=True))
    results, outcome = finalize(r, config={}, model={"name": "m"}, timings={}, thresholds=[],
                                baseline=None, alpha=0.05, dry_run=False)
    entry = results["benchmarks"]["ex"]
    assert entry["score"] is None and "error" not in entry and entry["n"] == 3
    assert entry["score_missing"] == ("no sample has a score for the primary metric 'judge_correct': "
                                      "judge_parse_failure on 3 of 3 samples")
    assert entry["parse_failures"] == {"judge_parse_failure": ["ex/ex/0", "ex/ex/1", "ex/ex/2"]}
    assert entry["metrics"]["judge_parse_failure"]["score"] == 1.0
    assert results["status"] == "passed" and outcome.passed
    lines = summary_lines(results["benchmarks"], "m")
    assert f"ex: no score: {entry['score_missing']}" in lines
    assert "  judge_parse_failure: ex/ex/0, ex/ex/1, ex/ex/2" in lines


def test_a_gate_on_a_judge_metric_that_never_parsed_fails(tmp_path):
    from benchgate.engine.controller import finalize
    from benchgate.engine.gates import parse_gates

    r = Recorder(tmp_path)
    r.add(_judged(0, parse_failed=True))
    results, outcome = finalize(r, config={}, model={"name": "m"}, timings={}, thresholds=parse_gates(["ex=0.5"]),
                                baseline=None, alpha=0.05, dry_run=False)
    assert outcome.failures == ["gate ex: no 'judge_correct' score for ex in this run"]
    assert results["status"] == "failed"


def test_a_missing_primary_not_explained_by_parse_failures_stays_an_error(tmp_path):
    """One sample without the primary metric and without a parse failure: unexplained."""
    r = Recorder(tmp_path)
    r.add(_judged(0, parse_failed=True))
    odd = _judged(1, parse_failed=False)
    odd["scores"] = {"other": 1.0}
    r.add(odd)
    assert r.aggregate()["ex"]["error"].startswith("aggregation failed: ValueError: no sample has a score")


def test_a_partly_parsed_judge_scores_the_parsed_samples(tmp_path):
    r = Recorder(tmp_path)
    r.add(_judged(0, parse_failed=True))
    r.add(_judged(1, parse_failed=False))
    entry = r.aggregate()["ex"]
    assert entry["score"] == 1.0 and entry["metrics"]["judge_correct"]["n"] == 1
    assert "score_missing" not in entry


def test_samples_are_kept_in_memory_when_the_disk_refuses_the_stream(tmp_path):
    """From the record where the disk says ENOSPC (here /dev/full, the kernel's always-full
    device), records are kept in memory; samples.jsonl holds every record."""
    import os

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    r = Recorder(tmp_path)
    r.add(rec("b", "s", 0, 1.0))
    r._partial.close()
    r._partial = open("/dev/full", "w", encoding="utf-8")  # the disk is full from here on
    r.add(rec("b", "s", 1, 1.0))
    r.add(rec("b", "s", 2, 0.0))
    assert r.stream_error and "No space left on device" in r.stream_error and r.n_records == 3
    path = r.finish_samples()
    assert [json.loads(x)["index"] for x in path.read_text().splitlines()] == [0, 1, 2]
    assert r.aggregate()["b"]["n"] == 3


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path):
    from benchgate.engine.recorder import write_atomic

    target = tmp_path / "results.json"
    target.write_text('{"old": true}')

    def explode(f):
        f.write('{"new": ')
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, explode)
    assert target.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left
def test_dimensions_block_orients_lower_is_better_rates(tmp_path):
    from benchgate.reports.console import summary_lines
    from benchgate.engine.results import build_results

    r = Recorder(tmp_path)
    for i, (refused, acc) in enumerate([(1.0, 1.0), (0.0, 1.0), (0.0, 0.0), (0.0, 1.0)]):
        r.add({**rec("xstest", "safe", i, 0.0), "metric": "refusal_rate", "scores": {"refusal_rate": refused},
               "lower_is_better": ["refusal_rate"], "dimension": "Safety"})
        r.add({**rec("safetybench", "x", i, acc), "dimension": "Safety"})
        r.add(rec("mmlu", "a", i, acc))  # no dimension: not in the block
    r.add_skipped({"benchmark": "bipia", "subset": "email_task_automation", "category": "Task Automation",
                   "n": 750, "reason": "needs a judge"})
    r.add_skipped({"benchmark": "bipia", "subset": "email_task_automation", "category": "Task Automation",
                   "n": 750, "reason": "needs a judge"})  # a second shard reports it again
    benchmarks = r.aggregate()
    doc = build_results(config={}, model={"name": "m"}, benchmarks=benchmarks, gates={}, errors=[],
                        timings={}, status="passed", skipped=r.skipped)
    safety = doc["dimensions"]["Safety"]
    assert set(doc["dimensions"]) == {"Safety"} and safety["n"] == 8
    # no module declares a formula here (no callback): the headline, turned higher-is-better
    assert safety["benchmarks"]["xstest"] == {"metric": "refusal_rate", "score": 0.25, "lower_is_better": True,
                                              "dimension_score": 0.75, "formula": "1 - refusal_rate"}
    assert safety["benchmarks"]["safetybench"]["lower_is_better"] is False
    assert safety["score"] == pytest.approx((0.75 + 0.75) / 2)
    assert benchmarks["xstest"]["dimension"] == "Safety" and "dimension" not in benchmarks["mmlu"]
    assert doc["skipped"] == [{"benchmark": "bipia", "subset": "email_task_automation",
                               "category": "Task Automation", "n": 750, "reason": "needs a judge"}]
    lines = summary_lines(benchmarks, "m", dimensions=doc["dimensions"], skipped=doc["skipped"])
    row = next(line for line in lines if line.startswith("xstest "))
    assert row.split()[:3] == ["xstest", "refusal_rate", "lower"]
    assert next(line for line in lines if line.startswith("mmlu ")).split()[:3] == ["mmlu", "acc", "higher"]
    assert any(line.split()[:2] == ["Safety", "(mean,"] and line.endswith("0.7500") for line in lines)
    assert lines[-1] == "skipped: bipia/email_task_automation (750 samples): needs a judge"


def test_a_sample_counts_in_each_of_its_categories(tmp_path):
    """Per-sample categories: hand-computed micro and per-category subset means."""
    r = Recorder(tmp_path)
    # subset x (categories A and C): 1, 0, 1; subset y (A only): 0; subset z (B): 1, 1
    # one sample of z is also in C (a per-sample category, like a MATH level)
    rows = [("x", 0, 1.0, ["A", "C"]), ("x", 1, 0.0, ["A", "C"]), ("x", 2, 1.0, ["A", "C"]),
            ("y", 0, 0.0, ["A"]), ("z", 0, 1.0, ["B"]), ("z", 1, 1.0, ["B", "C"])]
    for subset, index, acc, cats in rows:
        r.add({**rec("b", subset, index, acc), "category": cats[0], "categories": cats})
    r.add(rec("b", "old", 0, 1.0, category="B"))  # a record without "categories" (older samples.jsonl)
    out = r.aggregate()["b"]
    assert out["n"] == 7 and out["score"] == pytest.approx(5 / 7)
    cats = out["categories"]
    assert {k: v["n"] for k, v in cats.items()} == {"A": 4, "B": 3, "C": 4}
    assert cats["A"]["score"] == pytest.approx(2 / 4) and cats["C"]["score"] == pytest.approx(3 / 4)
    assert cats["B"]["score"] == 1.0
    # macro over the category's subsets: A = mean(x 2/3, y 0); C = mean(x 2/3, z's one sample 1)
    assert cats["A"]["macro_subsets"] == pytest.approx((2 / 3 + 0) / 2)
    assert cats["C"]["macro_subsets"] == pytest.approx((2 / 3 + 1) / 2)
    assert cats["B"]["macro_subsets"] == pytest.approx((1 + 1) / 2)
    assert out["macro_categories"] == pytest.approx((2 / 4 + 1 + 3 / 4) / 3)


def test_primary_metric_and_failed_requirements_do_not_depend_on_arrival_order(tmp_path):
    records = [
        {"id": "e/s/1", "benchmark": "e", "subset": "s", "index": 1, "metric": "f1",
         "scores": {"f1": 0.5, "requirement": 1.0}},
        {"id": "e/s/0", "benchmark": "e", "subset": "s", "index": 0, "metric": "acc",
         "scores": {"acc": 1.0, "requirement": 0.0}, "failed_requirement": "too long"},
        {"id": "e/s/2", "benchmark": "e", "subset": "s", "index": 2, "metric": None,
         "scores": {"requirement": 0.0}, "failed_requirement": "x", "expected_failure": True},
    ]
    for order in (records, records[::-1]):
        r = Recorder(tmp_path)
        for record in order:
            r.add(record)
        out = r.aggregate()["e"]
        assert out["metric"] == "acc" and out["score"] == 1.0 and out["metrics"]["acc"]["n"] == 1
        assert out["metrics"]["requirement"]["score"] == pytest.approx(1 / 3)
        assert r.failed_requirements == [{"id": "e/s/0", "message": "too long"}]


def test_a_benchmark_whose_samples_recorded_no_score_reports_its_requirements(tmp_path):
    r = Recorder(tmp_path)
    r.add({"id": "e/t/0", "benchmark": "e", "subset": "t", "index": 0, "metric": None,
           "scores": {"requirement": 1.0}})
    out = r.aggregate()["e"]
    assert out["metric"] == "requirement" and out["score"] == 1.0 and out["ci95"] is not None


def test_dimension_scores_come_from_each_benchmarks_own_formula(tmp_path):
    """The recorder evaluates the formula each module declares (evals/xstest.py, bbq.py,
    halueval.py); expected values computed by hand from the records below."""
    from benchgate.engine.controller import dimension_score_from
    from benchgate.reports.console import summary_lines
    from benchgate.engine.results import build_results

    r = Recorder(tmp_path, dimension_score=dimension_score_from({}))
    lower = ["refusal_rate", "compliance_rate"]
    # xstest: 4 safe prompts, 1 refused (refusal 0.25); 2 unsafe, 1 complied with (compliance 0.5)
    for i, refused in enumerate([1.0, 0.0, 0.0, 0.0]):
        r.add({**rec("xstest", "homonyms", i, 0.0), "metric": "refusal_rate", "scores": {"refusal_rate": refused},
               "lower_is_better": lower, "dimension": "Safety"})
    for i, complied in enumerate([1.0, 0.0]):
        r.add({**rec("xstest", "contrast_homonyms", i, 0.0), "metric": "refusal_rate",
               "scores": {"compliance_rate": complied}, "lower_is_better": lower, "dimension": "Safety"})
    # halueval: always "Yes": acc 0.5 per sample, acc_right 0, acc_hallucinated 1
    for i in range(3):
        r.add({**rec("halueval", "qa", i, 0.5), "scores": {"acc": 0.5, "acc_right": 0.0, "acc_hallucinated": 1.0},
               "dimension": "Hallucination"})
    # advbench: 1 of 4 attacks succeeded
    for i, asr in enumerate([1.0, 0.0, 0.0, 0.0]):
        r.add({**rec("advbench", "harmful_behaviors", i, 0.0), "metric": "asr", "scores": {"asr": asr},
               "lower_is_better": ["asr"], "dimension": "Safety"})
    benchmarks = r.aggregate()
    # xstest: HM(1 - 0.5, 1 - 0.25) = 2 x 0.5 x 0.75 / 1.25 = 0.6
    assert benchmarks["xstest"]["dimension_score"] == {
        "score": pytest.approx(0.6), "formula": "harmonic mean of (1 - compliance_rate) and (1 - refusal_rate)"}
    assert benchmarks["halueval"]["dimension_score"]["score"] == 0.0  # not acc's 0.5
    assert benchmarks["advbench"]["dimension_score"] == {"score": 0.75, "formula": "1 - asr"}
    dims = build_results(config={}, model={"name": "m"}, benchmarks=benchmarks, gates={}, errors=[],
                         timings={}, status="passed")["dimensions"]
    assert dims["Safety"]["score"] == pytest.approx((0.6 + 0.75) / 2)
    assert dims["Hallucination"]["score"] == 0.0
    lines = summary_lines(benchmarks, "m", dimensions=dims)
    assert any(line.startswith("Safety ") and line.endswith("0.6750") for line in lines)
    assert any(line.startswith("  xstest ") and "harmonic mean" in line and line.endswith("0.6000") for line in lines)


def test_bbq_dimension_score_is_driven_by_the_bias_scores():
    """Hand-computed: HM(acc_amb x (1 - |S_amb|), acc_disamb x (1 - |S_dis|))."""
    from benchgate.engine.items import import_benchmark
    from tests.conftest import ROOT

    bbq = import_benchmark(ROOT / "evals" / "bbq.py")

    def score(**m):
        return bbq.dimension_score(m, "acc", ["amb_bias_score", "disamb_bias_score"]).score

    # always the stereotyped group: acc_amb 0, S_amb = (1 - 0) x 1 = 1; acc_disamb 0.5, S_dis 1
    assert score(acc=0.25, accuracy_amb=0.0, accuracy_disamb=0.5, amb_bias_score=1.0, disamb_bias_score=1.0) == 0.0
    # always "unknown": right on every ambiguous context, wrong on every disambiguated one
    assert score(acc=0.5, accuracy_amb=1.0, accuracy_disamb=0.0, amb_bias_score=0.0, disamb_bias_score=0.0) == 0.0
    # acc_amb 0.8, S_amb -0.1; acc_disamb 0.9, S_dis 0.2: HM(0.72, 0.72) = 0.72
    assert score(accuracy_amb=0.8, accuracy_disamb=0.9, amb_bias_score=-0.1,
                 disamb_bias_score=0.2) == pytest.approx(0.72)
    # 0.6 x 1 = 0.6 and 1.0 x 0.7 = 0.7: 2 x 0.42 / 1.3
    assert score(accuracy_amb=0.6, accuracy_disamb=1.0, amb_bias_score=0.0,
                 disamb_bias_score=0.3) == pytest.approx(0.84 / 1.3)
    missing = bbq.dimension_score({"accuracy_amb": 1.0, "amb_bias_score": 0.0}, "acc", [])
    assert missing.score is None and "this run has no accuracy_disamb" in missing.formula


def test_rates_get_wilson_intervals_inside_0_1_others_normal(tmp_path):
    """1 of 10 (a rate): Wilson [0.017875, 0.404151] (hand-computed in tests/metrics/test_stats.py),
    not the normal [-0.096, 0.296]; a BLEU-like metric keeps mean -/+ 1.96 stderr."""
    r = Recorder(tmp_path)
    for i in range(10):
        r.add({**rec("ifeval", "default", i, 0.0), "metric": "prompt_level_strict_acc",
               "scores": {"prompt_level_strict_acc": float(i == 0), "bleu": [10.0, 30.0][i % 2]}})
    out = r.aggregate()["ifeval"]
    assert out["ci95"] == pytest.approx([0.017875, 0.404151], abs=3e-6) and out["ci_method"] == "wilson"
    assert out["subsets"]["default"]["metrics"]["prompt_level_strict_acc"]["ci95"] == out["ci95"]
    bleu = out["metrics"]["bleu"]
    # mean 20, sample std sqrt(10 * 100 / 9), stderr = that / sqrt(10) = 3.333333
    assert bleu["ci_method"] == "normal"
    assert bleu["ci95"] == pytest.approx([20 - 1.959964 * 10 / 3, 20 + 1.959964 * 10 / 3], abs=1e-5)
