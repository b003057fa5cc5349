"""Benchmarks through the OpenAI-compatible backend: a real `transformers serve`, and a
fault-injecting server whose failures must not lose or recompute completed work."""
import json

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_gsm8k_and_mmlu_generation_through_transformers_serve(run_evals, smoke_path, smoke_served):
    import fastapi  # noqa: E402,F401  (transformers[serving], the test extra: missing = a failure, not a skip)
    url = smoke_served  # the session's `transformers serve` of the smoke model
    run = run_evals("--api-url", url, "--model", smoke_path, "--datasets", "gsm8k", "mmlu",
                    "--limit", "2", "-k", "gsm8k or abstract_algebra or anatomy",
                    "--dataset-args", '{"mmlu": {"mode": "generate"}}',
                    "--model-args", "concurrency=4", "--generation-config", "max_new_tokens=8")
    assert run.code == 0, run.out
    assert set(run.results["benchmarks"]) == {"gsm8k", "mmlu"}
    assert run.results["benchmarks"]["mmlu"]["n"] == 4
    samples = run.samples()
    assert all(isinstance(s["response"], str) for s in samples)
    assert all(s["usage"] and s["usage"][0]["completion_tokens"] >= 1 for s in samples)
    # loglikelihood mode needs echo+logprobs, which transformers serve does not return
    ll = run_evals("--api-url", url, "--model", smoke_path, "--datasets", "mmlu", "--limit", "1",
                   "-k", "abstract_algebra")
    assert ll.code == 1 and '"mode": "generate"' in ll.out


def _gsm8k_prompts(data_dir, n):
    bench = import_benchmark(ROOT / "evals" / "gsm8k.py")
    ctx = RunContext(data_dir, "local", bench.effective_args({}))
    return [(s.id, bench.prompt(ctx, s), s.data["answer"]) for s in bench.load(ctx, "main")[:n]]


def test_faults_fail_only_their_samples_and_resume_recomputes_nothing(run_evals, data_dir):
    prompts = _gsm8k_prompts(data_dir, 6)
    answers = {prompt: f" {answer}" for _, prompt, answer in prompts}
    server = FakeOpenAIServer(responder=lambda prompt: answers.get(prompt, "no idea")).start()
    try:
        # sample 1 always fails (retries exhausted), sample 2 gets a 429 with Retry-After then
        # succeeds, sample 3 a malformed body then succeeds, sample 4 a 400 (not retried)
        server.script[prompts[1][1]] = ["500"] * 10
        server.script[prompts[2][1]] = ["429@0.2"]
        server.script[prompts[3][1]] = ["malformed"]
        server.script[prompts[4][1]] = ["400!prompt too long"]
        args = ("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                "--limit", "6", "--model-args", "concurrency=3,max_retries=2,backoff_base=0.01")
        first = run_evals(*args, output="first")
        assert first.code == 1
        assert "gsm8k/main/1: model call failed (generate)" in first.out
        assert "gsm8k/main/4: model call failed (generate)" in first.out and "prompt too long" in first.out
        assert first.results["benchmarks"]["gsm8k"]["n"] == 4
        assert first.results["benchmarks"]["gsm8k"]["score"] == 1.0
        assert sorted(e["id"] for e in first.results["errors"]) == ["gsm8k/main/1", "gsm8k/main/4"]
        server.script.clear()
        sent_before = len(server.requests)
        second = run_evals(*args, "--use-cache", output="second")
        assert second.code == 0, second.out
        t = second.results["timings"]
        assert (t["cache_hits"], t["computed"]) == (4, 2)
        assert len(server.requests) - sent_before == 2  # only the two failed samples were sent
        assert second.results["benchmarks"]["gsm8k"]["score"] == 1.0
    finally:
        server.stop()


def test_loglikelihood_mode_over_an_api_with_logprobs(run_evals):
    server = FakeOpenAIServer().start()
    try:
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "mmlu",
                        "--limit", "1", "-k", "abstract_algebra or anatomy",
                        "--model-args", "api=completions")
        assert run.code == 0, run.out
        bodies = [b for b in server.requests if b.get("echo")]
        assert len(bodies) >= 8 and all(b["logprobs"] for b in bodies)
        lls = [s["loglikelihoods"] for s in run.samples()]
        assert all(len(x) == 4 for x in lls)
    finally:
        server.stop()


def test_api_key_never_written(run_evals):
    server = FakeOpenAIServer().start()
    try:
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                        "--limit", "1", "--api-key", "sk-SECRET-123")
        assert run.code == 0, run.out
        assert server.auth_headers[-1] == "Bearer sk-SECRET-123"
        everything = run.out + (run.output_dir / "results.json").read_text() + \
            (run.output_dir / "samples.jsonl").read_text()
        assert "sk-SECRET-123" not in everything
        assert json.loads((run.output_dir / "results.json").read_text())["config"]["api_url"]
    finally:
        server.stop()
