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
