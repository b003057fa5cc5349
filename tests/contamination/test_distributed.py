"""The n-gram scan as a job on Dask's distributed scheduler gives the single-process result:
a LocalCluster of two worker processes, reached by its scheduler address as a remote cluster
would be, over a corpus of many partitions (.txt, .jsonl, .gz)."""
from __future__ import annotations

import gzip
import json
import random

import pytest

pytest.importorskip("distributed")
from distributed import LocalCluster  # noqa: E402

from benchgate.cli import main as benchgate_main  # noqa: E402
from benchgate.contamination.distributed import dask_scan  # noqa: E402
from benchgate.contamination.ngram import check  # noqa: E402
from benchgate.contamination.samples import SampleTexts  # noqa: E402
from tests.conftest import DATA  # noqa: E402

pytestmark = pytest.mark.slow  # starts worker processes


def _without_timings(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "timings"}


def test_dask_scan_equals_the_local_scan(tmp_path):
    rng = random.Random(3)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    text = " ".join(rng.choice(words) for _ in range(40_000))
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress("".join(
        json.dumps({"text": text[i:i + 3000]}) + "\n" for i in range(0, len(text), 3000)).encode()))
    samples = [SampleTexts("b", f"b/s/{i}", {"question": " ".join(rng.choice(words) for _ in range(9))})
               for i in range(300)]
    kwargs = dict(n=5, min_words=3, max_shared=0, partition_bytes=16_000, chunk_bytes=4096)
    local = check(samples, [tmp_path], **kwargs)
    assert local["corpus"]["partitions"] > 10 and local["benchmarks"]["b"]["flagged_count"] > 50
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = check(samples, [tmp_path], run_scan=dask_scan(cluster.scheduler_address), **kwargs)
        assert _without_timings(remote) == _without_timings(local)
        # the command, pointed at the scheduler's address
        (tmp_path / "q.txt").write_text((DATA / "gsm8k" / "test.jsonl").read_text(encoding="utf-8")[:5000])
        code = benchgate_main(["contamination", "ngram", "--corpus", str(tmp_path / "q.txt"), "--datasets", "gsm8k",
                               "--dataset-dir", str(DATA), "--scheduler", cluster.scheduler_address,
                               "--output-dir", str(tmp_path / "out")])
    assert code == 0
    report = json.loads((tmp_path / "out" / "contamination.json").read_text())
    assert report["benchmarks"]["gsm8k"]["flagged_count"] >= 3
