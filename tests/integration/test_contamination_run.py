"""`--contamination-corpus` through pytest: a bad corpus path is a usage error (exit 4) before
anything runs, and the split is the same under xdist (the controller gets the scores of every
worker's samples)."""
from __future__ import annotations

import json

import pytest

from benchgate.cli import main as benchgate_main
from tests.conftest import DATA


def test_bad_corpus_path_is_a_usage_error(run_evals, tmp_path):
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "1",
                    "--contamination-corpus", str(tmp_path / "nope.txt"))
    assert run.code == 4 and f"--contamination-corpus {tmp_path / 'nope.txt'}: no such file or folder" in run.out
    args = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "1", "--contamination-corpus",
                     str(DATA / "gsm8k" / "train.jsonl"), "--contamination-args", "size=3")
    assert args.code == 4 and "--contamination-args" in args.out and "'size'" in args.out


@pytest.mark.subprocess
def test_split_under_xdist(run_evals, tmp_path):
    rows = (DATA / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:12]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"text": json.loads(rows[i])["question"]}) + "\n" for i in (2, 7, 11)),
                      encoding="utf-8")
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "12", "-n", "2",
                    "--group-size", "4", "--contamination-corpus", str(corpus))
    assert run.code == 0, run.out
    c = run.results["benchmarks"]["gsm8k"]["contamination"]
    assert c["flagged_ids"] == ["gsm8k/main/11", "gsm8k/main/2", "gsm8k/main/7"]
    assert (c["clean"]["n"], c["flagged"]["n"]) == (9, 3) and c["difference"] == 0.0


def test_merged_shards_split_as_one_run(run_evals, tmp_path):
    """Three shards, each checked against the corpus, merged: the same split as one run."""
    rows = (DATA / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:15]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"text": json.loads(rows[i])["question"]}) + "\n" for i in (1, 4, 9, 13)),
                      encoding="utf-8")
    common = ("--model", "dummy", "--datasets", "gsm8k", "--limit", "15", "--contamination-corpus", str(corpus))
    whole = run_evals(*common, output="whole")
    assert whole.code == 0, whole.out
    for i in (1, 2, 3):
        assert run_evals(*common, "--shard", f"{i}/3", output=f"shard{i}").code == 0
    merged = tmp_path / "merged"
    assert benchgate_main(["merge", *(str(tmp_path / f"shard{i}") for i in (1, 2, 3)), "--output-dir", str(merged)]) == 0
    one = whole.results["benchmarks"]["gsm8k"]["contamination"]
    got = json.loads((merged / "results.json").read_text())
    assert got["benchmarks"]["gsm8k"]["contamination"] == one
    assert one["flagged_ids"] == ["gsm8k/main/1", "gsm8k/main/13", "gsm8k/main/4", "gsm8k/main/9"]
    assert got["contamination"]["merged_from_shards"] == 3 and got["contamination"]["rule"] == whole.results["contamination"]["rule"]
