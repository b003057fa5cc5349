"""A full disk: outputs on a small tmpfs (root mounts it; skipped cleanly where mounting is not
allowed). The run ends in a clear error and leaves nothing corrupt: the previous results.json and
samples.jsonl stay whole. A cache on a full disk is given up with a warning, the run completes."""
import json
import subprocess

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    """mount(size) -> a folder on a fresh tmpfs of that size (unmounted afterwards)."""
    mounted = []

    def mount(size: str):
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder, leave: int) -> None:
    """Fill the file system of `folder` until only about `leave` bytes are free."""
    import os

    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    with open(folder / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def test_full_output_disk_is_a_clear_error_and_the_old_results_stay_whole(run_evals, small_disk):
    out = small_disk("512k")
    first = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "2", "--output-dir", str(out))
    assert first.code == 0, first.out
    old_results = (out / "results.json").read_bytes()
    old_samples = (out / "samples.jsonl").read_bytes()
    fill(out, leave=16 * 1024)
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "60", "--output-dir", str(out))
    assert run.code == 3, run.out  # the tests passed, the outputs could not be written
    assert "benchgate could not write its outputs" in run.out and "No space left on device" in run.out
    assert "--use-cache" in run.out and "Traceback" not in run.out and "INTERNALERROR" not in run.out
    assert "60 passed" in run.out and "gsm8k" in run.out.split("benchgate summary")[1]  # scores shown
    # nothing half-written: the previous run's pair is intact, no temporary file is left
    assert (out / "results.json").read_bytes() == old_results
    assert (out / "samples.jsonl").read_bytes() == old_samples
    json.loads(old_results)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    # what the partial stream holds is whole lines
    partial = out / "samples.jsonl.partial"
    if partial.exists():
        for line in partial.read_text().splitlines():
            json.loads(line)


def test_cache_on_a_full_disk_is_given_up_and_every_sample_is_scored(run_evals, small_disk):
    disk = small_disk("256k")
    fill(disk, leave=24 * 1024)
    server = FakeOpenAIServer().start()
    try:
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                        "--limit", "40", "--group-size", "10", "--cache-path", str(disk / "cache.sqlite"))
    finally:
        server.stop()
    assert run.code == 0, run.out
    assert run.results["benchmarks"]["gsm8k"]["n"] == 40 and len(run.samples()) == 40
    (warning,) = run.results["warnings"]
    assert "prediction cache" in warning and "full" in warning.lower()
    assert "Traceback" not in run.out
