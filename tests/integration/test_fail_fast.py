"""A model that cannot be used, or an API that cannot be reached, stops the run once and fast:
one message naming the model, what was tried and what to do, exit code 4 (pytest's usage
error), no per-sample failures. Serial and under xdist. The same for every model a run uses:
the --model, the judge of judge metrics (--judge-*), the arena's candidates and judge."""
import json
import re
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from tests.arena.conftest import write_config
from tests.conftest import ROOT

# run_evals in a subprocess (marker `subprocess`) where the test is about fail-fast: one stop of the
# process, its exit code and wall time; xdist runs are processes anyway. The runs that only check
# per-sample errors or that nothing stops run in this process.

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
@pytest.mark.subprocess
def test_missing_model_directory(run_evals, tmp_path, xdist):
    started = time.monotonic()
    run = run_evals("--model", str(tmp_path / "no-such-checkpoint"), *MMLU, *xdist)
    assert_one_clear_stop(run, f"--model '{tmp_path / 'no-such-checkpoint'}' could not be loaded",
                          "does not exist", "--model takes a local checkpoint directory", seconds=60,
                          started=started)


@pytest.mark.timing  # a wall-clock bound (25 s against ModelScope's ~30 s): runs alone
@pytest.mark.subprocess
def test_hub_id_that_cannot_be_downloaded(run_evals, tmp_path):
    """Offline here: ModelScope's own retries take ~30 s; the reachability check makes it seconds.
    Under -n 3 on a loaded 2-core machine it once took 26 s, so it runs alone (`timing`)."""
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


@pytest.mark.subprocess
def test_missing_replay_file(run_evals, tmp_path):
    started = time.monotonic()
    run = run_evals("--model", f"replay:{tmp_path / 'nope.jsonl'}", *MMLU)
    assert_one_clear_stop(run, "the replay file cannot be used", "not found", seconds=60, started=started)


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
@pytest.mark.subprocess
def test_api_that_refuses_connections(run_evals, xdist):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    run = run_evals("--api-url", f"http://127.0.0.1:{port}/v1", "--model", "m", *MMLU,
                    "--model-args", "max_retries=5", *xdist)
    assert_one_clear_stop(run, f"the API at http://127.0.0.1:{port}/v1 cannot be reached",
                          "check --api-url and that the server is running", seconds=60, started=started)


@pytest.mark.subprocess
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


@pytest.mark.subprocess
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


# ----- judges and arena candidates: every model the run uses fails once and fast -----
QA = ROOT / "tests" / "fixtures" / "general_qa" / "qa_en.jsonl"
JUDGED = ("--model", "oracle", "--datasets", "general_qa", "--dataset-args",
          json.dumps({"general_qa": {"path": str(QA), "judge": "score"}}), "--judge-model", "gpt-4")


def closed_port() -> int:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
@pytest.mark.subprocess
def test_judge_api_that_refuses_connections(run_evals, xdist):
    port = closed_port()
    started = time.monotonic()
    run = run_evals(*JUDGED, "--judge-api-url", f"http://127.0.0.1:{port}/v1", *xdist)
    assert_one_clear_stop(run, "the judge --judge-model 'gpt-4'",
                          f"the API at http://127.0.0.1:{port}/v1 cannot be reached (GET /models, 2 tries",
                          "check --judge-api-url and that the server is running", seconds=60, started=started)
    assert "--api-url" not in run.out.replace("--judge-api-url", "")  # the judge's option, not the model's


@pytest.mark.subprocess
def test_judge_api_that_refuses_the_key(run_evals):
    server = FakeOpenAIServer().start()
    server.require_key = "sk-right-judge-key-000"
    try:
        started = time.monotonic()
        run = run_evals(*JUDGED, "--judge-api-url", server.base_url, "--judge-api-key", "sk-wrong-judge-key-123")
        assert_one_clear_stop(run, "the judge --judge-model 'gpt-4'", "refused the API key: HTTP 401",
                              "pass the right key with --judge-api-key or $BENCHGATE_JUDGE_API_KEY",
                              seconds=60, started=started)
        assert "sk-wrong-judge-key-123" not in run.out
        assert server.model_listings >= 1 and server.requests == []  # probed; nothing judged
    finally:
        server.stop()


@pytest.mark.subprocess
def test_local_judge_that_does_not_exist(run_evals, tmp_path):
    missing = tmp_path / "no-such-judge"
    started = time.monotonic()
    run = run_evals(*JUDGED[:-1], str(missing))
    assert_one_clear_stop(run, f"the judge --judge-model '{missing}' could not be loaded", "does not exist",
                          "--judge-model takes a local checkpoint directory",
                          "for a model behind an OpenAI-compatible API, set --judge-api-url",
                          seconds=60, started=started)


def test_judge_with_broken_weights_under_xdist_stops_after_one_sample_per_worker(run_evals, smoke_path,
                                                                                  tmp_path):
    """The controller's cheap check of the judge (config only) passes; each worker then fails
    to load the judge's weights once and stops: one failure per worker at most, exit 4."""
    broken = tmp_path / "broken-judge"
    shutil.copytree(smoke_path, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "4", "--group-size", "1",
                    "--dataset-args", '{"gsm8k": {"judge": "correct"}}', "--judge-model", str(broken), "-n", "2")
    assert run.code == 4, run.out
    assert run.out.count("benchgate: the model cannot be used") == 1
    assert f"the judge --judge-model '{broken}' could not be loaded" in run.out and "SafetensorError" in run.out
    assert len(run.results["errors"]) <= 2 and "Traceback" not in run.out


def test_judge_failing_some_requests_keeps_per_sample_errors(run_evals):
    """The judge's probe passes; one judge request refused is that sample's error only."""
    server = FakeOpenAIServer(responder=lambda prompt: "Rating: [[7]]")
    server.planner = lambda n, body: "400!this judgment is refused" if "Paris" in body["messages"][-1]["content"] else None
    with server:
        run = run_evals(*JUDGED, "--judge-api-url", server.base_url)
    assert run.code == 1, run.out
    errors = run.results["errors"]
    assert len(errors) == 1 and "judge call failed" in errors[0]["message"] and "this judgment is refused" in errors[0]["message"]
    assert run.results["benchmarks"]["general_qa"]["metrics"]["judge_score"]["n"] == 3


def test_an_unused_judge_is_not_checked(run_evals):
    """--judge-model given but no benchmark asks the judge: nothing to fail on."""
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "1", "--judge-model", "gpt-4",
                    "--judge-api-url", f"http://127.0.0.1:{closed_port()}/v1")
    assert run.code == 0, run.out


def arena_config(tmp_path, arena_dir, models: dict, judge_url: str, **judge) -> Path:
    return write_config(tmp_path / "arena.yaml", arena_dir / "mt_bench" / "question.jsonl", models,
                        {"args": {"mode": "pairwise", "turns": "first", "model": "judge-4",
                                  "api_url": judge_url, **judge}},
                        arena_dir / "judge_prompts.jsonl")


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
@pytest.mark.subprocess
def test_arena_candidate_and_judge_that_cannot_be_used(run_arena, arena_dir, tmp_path, xdist):
    """`benchgate arena`: a candidate whose checkpoint does not exist and a judge refusing the
    key stop the run once, before any unit, with one line for each."""
    server = FakeOpenAIServer().start()
    server.require_key = "sk-right-arena-key"
    missing = tmp_path / "no-such-candidate"
    cfg = arena_config(tmp_path, arena_dir, {"m1": {"model_id_or_path": "dummy"},
                                             "m2": {"model_id_or_path": str(missing)}},
                       server.base_url)
    try:
        started = time.monotonic()
        run = run_arena(cfg, "--limit", "2", "--judge-api-key", "sk-wrong-arena-key", *xdist,
                        cmd=[sys.executable, "-m", "benchgate.cli", "arena", str(cfg)])
        assert_one_clear_stop(
            run, f"arena candidate 'm2' (model '{missing}') could not be loaded", "does not exist",
            f"model_id_or_path in answers_gen.m2 of {cfg} takes a local checkpoint directory",
            "the arena judge 'judge-4': the API at", "refused the API key: HTTP 401",
            f"pass the right key with --judge-api-key, the variable named by api_key_env in "
            f"reviews_gen.reviewer.args of {cfg}", seconds=90, started=started)
        assert "sk-wrong-arena-key" not in run.out and server.requests == []
        assert run.out.count("benchgate: ") == 1  # one message
    finally:
        server.stop()


@pytest.mark.subprocess
def test_arena_judge_unreachable_and_a_broken_api_candidate(run_arena, arena_dir, tmp_path):
    """`pytest arena --arena-config`: a judge nothing listens for, and a candidate served by an
    API that refuses its key, each named with the config setting to fix."""
    server = FakeOpenAIServer(model="cand").start()
    server.require_key = "sk-candidate-key"
    port = closed_port()
    cfg = arena_config(tmp_path, arena_dir, {"m1": {"model_id_or_path": "dummy"},
                                             "m2": {"model_id_or_path": "cand", "api_url": server.base_url,
                                                    "api_key_env": "CAND_KEY"}},
                       f"http://127.0.0.1:{port}/v1")
    try:
        started = time.monotonic()
        run = run_arena(cfg, "--limit", "2", env={"CAND_KEY": "sk-not-the-candidate-key"})
        assert_one_clear_stop(
            run, "arena candidate 'm2' (model 'cand'): the API at", "refused the API key",
            f"the variable named by api_key_env in answers_gen.m2 of {cfg}",
            f"the arena judge 'judge-4': the API at http://127.0.0.1:{port}/v1 cannot be reached",
            f"check --judge-api-url or api_url in reviews_gen.reviewer.args of {cfg}",
            seconds=60, started=started)
        assert "sk-not-the-candidate-key" not in run.out and server.requests == []
    finally:
        server.stop()


def test_arena_checks_only_what_the_run_uses(run_arena, arena_dir, tmp_path):
    """A dry run never calls the judge, and a candidate deselected with -k is not loaded: an
    unreachable judge and a missing checkpoint then stop nothing."""
    cfg = arena_config(tmp_path, arena_dir, {"m1": {"model_id_or_path": "dummy"},
                                             "m2": {"model_id_or_path": "dummy"},
                                             "m3": {"model_id_or_path": str(tmp_path / "nope")}},
                       f"http://127.0.0.1:{closed_port()}/v1")
    run = run_arena(cfg, "--limit", "2", "--dry-run", "-k", "m1 and m2")
    assert run.code == 0, run.out
    assert run.arena["counts"]["units"] == 2
