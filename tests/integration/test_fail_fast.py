"""A model that cannot be used, or an API that cannot be reached, stops the run once and fast:
one message naming the model, what was tried and what to do, exit code 4 (pytest's usage
error), no per-sample failures. Serial and under xdist."""
import re
import shutil
import socket
import threading
import time

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer

MMLU = ("--datasets", "mmlu", "--limit", "1")  # 57 samples: one failure each before the fix


def assert_one_clear_stop(run, *needles, seconds, started):
    elapsed = time.monotonic() - started
    assert run.code == 4, run.out
    for needle in needles:
        assert needle in run.out, run.out
    assert "Traceback" not in run.out
    assert not re.search(r"\d+ (failed|passed)", run.out)  # no sample ran
    assert elapsed < seconds, f"took {elapsed:.1f}s"


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_missing_model_directory(run_evals, tmp_path, xdist):
    started = time.monotonic()
    run = run_evals("--model", str(tmp_path / "no-such-checkpoint"), *MMLU, *xdist)
    assert_one_clear_stop(run, f"--model '{tmp_path / 'no-such-checkpoint'}' could not be loaded",
                          "does not exist", "--model takes a local checkpoint directory", seconds=60,
                          started=started)


def test_hub_id_that_cannot_be_downloaded(run_evals, tmp_path):
    """Offline here: ModelScope's own retries take ~30 s; the reachability check makes it seconds."""
    started = time.monotonic()
    run = run_evals("--model", "benchgate-tests/no-such-model-7f3a", *MMLU,
                    env={"MODELSCOPE_CACHE": str(tmp_path / "ms")})
    assert_one_clear_stop(run, "could not download model 'benchgate-tests/no-such-model-7f3a' from the "
                          "modelscope hub", "--model PATH", seconds=25, started=started)


def test_checkpoint_with_broken_weights_under_xdist_stops_after_one_sample_per_worker(run_evals, smoke_path,
                                                                                        tmp_path):
    """The controller's cheap check (config only) passes; each worker then fails to load the
    weights once and stops: at most one failure per worker, one message, exit 4."""
    broken = tmp_path / "broken"
    shutil.copytree(smoke_path, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    small = ("--datasets", "gsm8k", "--limit", "6", "--group-size", "1")  # 6 groups over 2 workers
    run = run_evals("--model", str(broken), *small, "-n", "2")
    assert run.code == 4, run.out
    assert run.out.count("benchgate: the model cannot be used") == 1
    assert "SafetensorError" in run.out and "Traceback" not in run.out
    assert len(run.results["errors"]) <= 2  # one per worker, not 6
    serial = run_evals("--model", str(broken), *small)
    assert serial.code == 4 and "SafetensorError" in serial.out and not re.search(r"\d+ failed", serial.out)


def test_missing_replay_file(run_evals, tmp_path):
    started = time.monotonic()
    run = run_evals("--model", f"replay:{tmp_path / 'nope.jsonl'}", *MMLU)
    assert_one_clear_stop(run, "the replay file cannot be used", "not found", seconds=60, started=started)


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_api_that_refuses_connections(run_evals, xdist):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    run = run_evals("--api-url", f"http://127.0.0.1:{port}/v1", "--model", "m", *MMLU,
                    "--model-args", "max_retries=5", *xdist)
    assert_one_clear_stop(run, f"the API at http://127.0.0.1:{port}/v1 cannot be reached",
                          "check --api-url and that the server is running", seconds=60, started=started)


def test_api_that_never_answers(run_evals):
    """Accepts connections, never answers: the probe gives up after `timeout` (here 1 s) twice."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        run = run_evals("--api-url", f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "--model", "m",
                        *MMLU, "--model-args", "timeout=1")
        assert_one_clear_stop(run, "cannot be reached", "no answer within 1s", seconds=40, started=started)
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_api_that_refuses_the_key(run_evals):
    server = FakeOpenAIServer().start()
    server.require_key = "sk-right-key-000"
    try:
        started = time.monotonic()
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", *MMLU,
                        "--api-key", "sk-wrong-key-123")
        assert_one_clear_stop(run, "refused the API key: HTTP 401", "--api-key or $BENCHGATE_API_KEY",
                              seconds=60, started=started)
        assert "sk-wrong-key-123" not in run.out
        assert not [b for b in server.requests if "messages" in b or "prompt" in b]  # no request sent
    finally:
        server.stop()


def test_api_failing_some_requests_keeps_per_sample_errors(run_evals):
    """The probe passes; one prompt's failure is that sample's error, the others are scored."""
    server = FakeOpenAIServer().start()
    try:
        first = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                          "--limit", "3", "--dry-run")
        prompt = first.samples()[1]["prompt"]
        server.script[prompt] = ["400!this prompt is refused"]
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                        "--limit", "3")
        assert run.code == 1, run.out
        assert [e["id"] for e in run.results["errors"]] == ["gsm8k/main/1"]
        assert "this prompt is refused" in run.results["errors"][0]["message"]
        assert run.results["benchmarks"]["gsm8k"]["n"] == 2
    finally:
        server.stop()
