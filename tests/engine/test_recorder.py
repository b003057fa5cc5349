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
