"""`--contamination-corpus` through pytest: a bad corpus path is a usage error (exit 4) before
anything runs, and the split is the same under xdist (the controller gets the scores of every
worker's samples)."""
from __future__ import annotations

import json

import pytest

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
