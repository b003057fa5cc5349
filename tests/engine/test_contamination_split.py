"""engine.contamination: the split of recorded scores by the n-gram check, for benchmarks
with a definition, and the reason for a hand-written eval (no texts to check)."""
from __future__ import annotations

import json
from types import SimpleNamespace

from benchgate.benchmark import import_benchmark
from benchgate.engine.contamination import split_benchmarks
from benchgate.engine.options import CONTAMINATION_ARGS
from benchgate.engine.recorder import Recorder
from benchgate.task import default_evals_dir
from tests.conftest import DATA


def rec(bench, subset, index, value):
    return {"id": f"{bench}/{subset}/{index}", "benchmark": bench, "subset": subset, "index": index,
            "metric": "acc", "scores": {"acc": value}}


def test_split_and_hand_written_eval(tmp_path):
    rows = [json.loads(x) for x in (DATA / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:6]]
    corpus = tmp_path / "c.txt"
    corpus.write_text(rows[2]["question"] + "\n" + rows[5]["answer"], encoding="utf-8")
    recorder = Recorder(tmp_path / "out")
    for i in range(6):
        recorder.add(rec("gsm8k", "main", i, float(i % 2)))
    recorder.add(rec("mine", "cases", 0, 1.0))
    benchmarks = recorder.aggregate()
    options = SimpleNamespace(contamination_corpus=(str(corpus),), output_dir=tmp_path / "out",
                              contamination_args={k: a.default if k != "text_field" else ["text"]
                                                  for k, a in CONTAMINATION_ARGS.items()},
                              dataset_dirs=(DATA,), dataset_hub="local", dataset_args={}, seed=42,
                              baseline_alpha=0.05)
    gsm8k = import_benchmark(default_evals_dir() / "gsm8k.py")
    top = split_benchmarks(benchmarks, recorder, options, lambda name: gsm8k if name == "gsm8k" else None)
    c = benchmarks["gsm8k"]["contamination"]
    assert c["flagged_ids"] == ["gsm8k/main/2", "gsm8k/main/5"]  # a question, an answer
    assert (c["flagged"]["score"], c["flagged"]["n"], c["clean"]["score"], c["clean"]["n"]) == (0.5, 2, 0.5, 4)
    assert benchmarks["mine"]["contamination"] == {
        "not_checked": "no benchmark definition (a hand-written eval): no texts to check"}
    assert top["corpus"]["files"] == [str(corpus)] and (tmp_path / "out" / "contamination.json").is_file()
    report = json.loads((tmp_path / "out" / "contamination.json").read_text())
    assert report["benchmarks"]["gsm8k"]["samples"] == 6  # only the samples that ran
