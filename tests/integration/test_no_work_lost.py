"""No finished work is lost: interrupted runs (SIGINT, SIGTERM; serial and xdist) write what is
finished; a run killed with SIGKILL under -n 2 resumes with --use-cache without recomputing a
cached request; two runs share one cache at the same time; a cache that cannot be written is
given up with one warning; `benchgate merge` isolates a broken benchmark and names a corrupt line.
Real subprocesses, real signals, a real HTTP server (FakeOpenAIServer) logging every request."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import ROOT, run_benchgate

# The runs that are interrupted, killed or run side by side are processes of their own (`start`);
# run_evals in a subprocess (marker `subprocess`) where another process holds the cache's lock.
# The runs a test only compares with, and `benchgate merge`, run in this process.
pytestmark = [pytest.mark.slow]


@pytest.fixture
def server():
    srv = FakeOpenAIServer(latency=0.02).start()
    yield srv
    srv.stop()


def eval_cmd(server, out, cache, data_dir, *args):
    return [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
            "--dataset-dir", str(data_dir), "--output-dir", str(out), "--cache-path", str(cache),
            "--api-url", server.base_url, "--model", "fake-model", *args]


def _default_sigint() -> None:
    # as in a terminal: a shell starting the suite in the background (`cmd &`) hands its children
    # SIGINT ignored, and Python then installs no KeyboardInterrupt handler at all
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(cmd, benchgate_home):
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=_default_sigint,
                            env={**os.environ, "BENCHGATE_HOME": str(benchgate_home)})


def cache_rows(path) -> int:
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
    except sqlite3.Error:
        return 0


def wait_for(condition, proc, seconds=240):
    deadline = time.monotonic() + seconds
    while not condition() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted:\n" + proc.communicate()[0][-3000:]


def quiet_count(server, quiet=0.5, seconds=10.0) -> int:
    """len(server.requests) once it has not grown for `quiet` seconds."""
    deadline = time.monotonic() + seconds
    count, since = len(server.requests), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if len(server.requests) != count:
            count, since = len(server.requests), time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return count


def strip(samples):
    return [{k: v for k, v in s.items() if k != "cached"} for s in samples]


def read_samples(folder):
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


@pytest.mark.subprocess
@pytest.mark.parametrize("sig, xdist", [("SIGINT", ()), ("SIGTERM", ()), ("SIGINT", ("-n", "2"))],
                         ids=["sigint", "sigterm", "sigint-xdist"])
def test_interrupt_writes_what_is_finished(server, tmp_path, data_dir, benchgate_home, sig, xdist):
    out = tmp_path / "out"
    proc = start(eval_cmd(server, out, tmp_path / "c.sqlite", data_dir, "--datasets", "gsm8k", "--limit", "600",
                          "--group-size", "20", "--model-args", "concurrency=1", *xdist), benchgate_home)
    wait_for(lambda: len(server.requests) >= 150, proc)
    if xdist:
        os.killpg(proc.pid, getattr(signal, sig))  # Ctrl-C in a terminal reaches the whole group
    else:
        proc.send_signal(getattr(signal, sig))
    text = proc.communicate(timeout=180)[0]
    assert proc.returncode == 2, text[-3000:]  # pytest's INTERRUPTED
    results = json.loads((out / "results.json").read_text())
    samples = read_samples(out)
    passed = int(text.rsplit(" passed", 1)[0].split()[-1])
    assert results["status"] == "interrupted" and 0 < len(samples) < 600
    assert results["timings"]["samples"] == results["benchmarks"]["gsm8k"]["n"] == len(samples) == passed
    assert all(s["scores"] is not None and s["response"] for s in samples)
    assert not (out / "samples.jsonl.partial").exists()
    assert "interrupted: results of the" in text and "Traceback" not in text


@pytest.fixture
def slow_server():
    srv = FakeOpenAIServer(latency=0.05).start()
    yield srv
    srv.stop()


def test_sigkill_under_xdist_then_use_cache_recomputes_nothing_finished(slow_server, tmp_path, data_dir, run_evals,
                                                                       benchgate_home):
    """Two groups of 128 (one per worker), each predicted in chunks of 64 requests of 50 ms: the
    kill lands 2 s into a chunk. Answers must have reached the cache as they arrived."""
    server = slow_server
    cache = tmp_path / "cache.sqlite"  # the one run_evals uses
    total = 256
    args = ("--datasets", "gsm8k", "--limit", str(total), "--group-size", "128", "--model-args", "concurrency=1")
    proc = start(eval_cmd(server, tmp_path / "killed", cache, data_dir, *args, "-n", "2"), benchgate_home)
    wait_for(lambda: cache_rows(cache) >= 90, proc)
    time.sleep(2.0)
    killed_at = time.monotonic()
    os.killpg(proc.pid, signal.SIGKILL)  # controller and both workers, no chance to clean up
    proc.wait()
    done_before = cache_rows(cache)
    assert 90 <= done_before < total, "the run was not killed part-way"
    # a request a worker wrote just before the kill reaches the server's log a moment later:
    # it belongs to the killed run, so wait until the log stops growing before counting
    sent_before = quiet_count(server)
    first_attempt = {prompt: times[0] for prompt, times in server.attempts.items()}
    server.latency = 0  # it served to land the kill mid-chunk; the runs after only wait on it
    resumed = run_evals("--api-url", server.base_url, "--model", "fake-model", *args, "-n", "2", "--use-cache",
                        output="resumed")
    assert resumed.code == 0, resumed.out
    t = resumed.results["timings"]
    assert t["cache_hits"] == done_before and t["computed"] == total - done_before
    # the server's own log: exactly the requests that were not cached were sent again ...
    resent = [body["messages"][-1]["content"] for body in server.requests[sent_before:]]
    assert len(resent) == total - done_before
    # ... and none of them had been answered well before the kill: answers reach the cache as
    # they arrive (every 0.2 s), not only when a prediction chunk ends
    answered_long_before = [p for p in resent if p in first_attempt and first_attempt[p] < killed_at - 1.5]
    assert answered_long_before == []
    # the run to compare with (in this process): the same answers
    fresh = run_evals("--api-url", server.base_url, "--model", "fake-model", *args, output="fresh")
    assert strip(resumed.samples()) == strip(fresh.samples())
    assert resumed.results["benchmarks"] == fresh.results["benchmarks"]


@pytest.mark.subprocess
def test_two_runs_share_one_cache_at_the_same_time(server, tmp_path, data_dir, benchgate_home):
    cache = tmp_path / "shared.sqlite"
    args = ("--datasets", "gsm8k", "--limit", "120", "--group-size", "10", "--model-args", "concurrency=2")
    procs = [start(eval_cmd(server, tmp_path / f"run{i}", cache, data_dir, *args, *xd), benchgate_home)
             for i, xd in enumerate([(), ("-n", "2")])]
    texts = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(t[-2000:] for t in texts)
    first, second = (json.loads((tmp_path / f"run{i}" / "results.json").read_text()) for i in range(2))
    assert first["benchmarks"] == second["benchmarks"] and first["benchmarks"]["gsm8k"]["n"] == 120
    assert strip(read_samples(tmp_path / "run0")) == strip(read_samples(tmp_path / "run1"))
    assert cache_rows(cache) == 120  # one row per distinct request, whoever wrote it
    assert "warning" not in texts[0].lower() + texts[1].lower()


@pytest.mark.subprocess  # the lock is held by another process (this one), as in real use
def test_cache_lock_held_past_the_timeout_warns_once_and_scores_everything(server, tmp_path, run_evals):
    from benchgate.prediction.cache import PredictionCache

    cache = tmp_path / "cache.sqlite"  # the one run_evals uses
    PredictionCache(cache).close()
    holder = sqlite3.connect(cache, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                        "--limit", "30", "--group-size", "10", "--cache-timeout", "0.5")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.code == 0, run.out
    assert run.results["benchmarks"]["gsm8k"]["n"] == 30 and len(run.samples()) == 30
    (warning,) = run.results["warnings"]
    assert "could not be written (OperationalError: database is locked)" in warning
    assert run.out.count("database is locked") <= 3  # warnings summary + results line, not per group
    assert cache_rows(cache) == 0


def test_read_only_cache_location(server, tmp_path, run_evals):
    """A read-only BENCHGATE_HOME (a read-only mount: root cannot write there either)."""
    home = tmp_path / "ro-home"
    home.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(home)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.strip()}")
    try:
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                        "--limit", "5", "--cache-path", str(home / "predictions.sqlite"),
                        env={"BENCHGATE_HOME": str(home)})
    finally:
        subprocess.run(["umount", str(home)], check=True)
    assert run.code == 0, run.out
    assert run.results["benchmarks"]["gsm8k"]["n"] == 5
    assert "could not be opened" in run.results["warnings"][0]


def _merge(*args) -> subprocess.CompletedProcess:
    return run_benchgate(["merge", *args])  # in this process: exit code, stdout and stderr


def test_merge_isolates_a_broken_benchmark_and_names_a_corrupt_line(run_evals, tmp_path):
    shards = [run_evals("--model", "oracle", "--datasets", "mmlu", "gsm8k", "--limit", "1", "--shard", f"{i}/2",
                        output=f"s{i}") for i in (1, 2)]
    assert all(s.code == 0 for s in shards)
    # one shard's gsm8k records lost their primary metric (hand-edited, or written by another tool)
    path = shards[0].output_dir / "samples.jsonl"
    lines = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec["benchmark"] == "gsm8k":
            rec["scores"].pop(rec["metric"])
        lines.append(json.dumps(rec))
    path.write_text("\n".join(lines) + "\n")
    merged = _merge(*(s.output_dir for s in shards), "--output-dir", tmp_path / "m")
    assert merged.returncode == 1, merged.stderr
    res = json.loads((tmp_path / "m" / "results.json").read_text())
    assert res["benchmarks"]["mmlu"]["score"] == 1.0 and res["benchmarks"]["mmlu"]["n"] == 57
    assert "no sample has a score for the primary metric 'strict_match'" in res["benchmarks"]["gsm8k"]["error"]
    assert len((tmp_path / "m" / "samples.jsonl").read_text().splitlines()) == 58
    assert "gsm8k: aggregation failed" in merged.stdout and "Traceback" not in merged.stderr
    # a corrupt line: one clear error naming the file and line
    lines[3] = lines[3][:25]
    path.write_text("\n".join(lines) + "\n")
    broken = _merge(*(s.output_dir for s in shards), "--output-dir", tmp_path / "m2")
    assert broken.returncode == 4  # a usage error (a bad input file), not "interrupted"
    assert f"{path}:4: invalid JSON" in broken.stderr and "Traceback" not in broken.stderr
