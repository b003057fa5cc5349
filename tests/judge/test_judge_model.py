"""The Judge object against a real scripted OpenAI-compatible server on 127.0.0.1."""
import sqlite3
import time

import pytest

from benchgate.engine.options import ModelOptions
from benchgate.fixtures.servers import FakeOpenAIServer
from benchgate.judge.model import Judge, JudgePrompt
from benchgate.models.base import GenerationConfig

FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5}


@pytest.fixture
def server():
    with FakeOpenAIServer(responder=lambda prompt: f"verdict for {prompt}: [[A]]") as srv:
        yield srv


def judge(server, tmp_path, use_cache=False, **args) -> Judge:
    opts = ModelOptions(model="gpt-4", model_args={**FAST, **args},
                        generation=GenerationConfig(max_new_tokens=64), api_url=server.base_url,
                        api_key="sk-secret-judge-key", use_cache=use_cache,
                        cache_path=tmp_path / "cache.sqlite")
    return Judge(opts)


def prompts(n, tag="t"):
    return [JudgePrompt.of("be fair", f"question {i}", {"template": tag, "order": "ab"}) for i in range(n)]


def test_batched_concurrent_and_cached(server, tmp_path):
    server.latency = 0.05
    j = judge(server, tmp_path, concurrency=8)
    replies = j.complete(prompts(32))
    assert [r.text for r in replies] == [f"verdict for question {i}: [[A]]" for i in range(32)]
    assert server.max_in_flight == 8  # one batch, bounded concurrency
    body = server.requests[0]
    assert body["model"] == "gpt-4" and body["temperature"] == 0.0 and body["max_tokens"] == 64
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert server.auth_headers[0] == "Bearer sk-secret-judge-key"
    j.close()
    again = judge(server, tmp_path, use_cache=True, concurrency=8)
    n = len(server.requests)
    assert [r.text for r in again.complete(prompts(32))] == [r.text for r in replies]
    assert len(server.requests) == n and all(r.cached for r in again.complete(prompts(32)))
    # the tag (template, answer order) is part of the cache key: same messages, new calls
    again.complete(prompts(4, tag="other"))
    assert len(server.requests) == n + 4
    assert "sk-secret-judge-key" not in repr(again.describe()) + repr(again.fingerprint())


def test_faults_are_retried_and_failures_reported_per_prompt(server, tmp_path):
    ps = prompts(4)
    server.script[ps[0].user] = ["429@0.01", "500"]  # retried, then answered
    server.script[ps[1].user] = ["malformed"]
    server.script[ps[2].user] = ["500"] * 10  # retries run out
    replies = judge(server, tmp_path, max_retries=2).complete(ps)
    assert replies[0].text.endswith("[[A]]") and replies[1].text.endswith("[[A]]")
    assert replies[2].text is None and "gave up after 3 attempts" in replies[2].error
    assert replies[3].error is None


def test_each_answer_is_cached_as_it_arrives(server, tmp_path):
    """A killed run must lose no answered judgment: with one request in flight, every earlier
    answer reaches the SQLite cache while the run goes on (a writer thread commits it within
    milliseconds; the run itself has not ended)."""
    path = tmp_path / "cache.sqlite"
    seen = []

    def count() -> int:
        if not path.exists():
            return 0
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]

    def planner(n, body):
        # generous for a loaded CI machine; answers written only at the end would fail after it
        deadline = time.monotonic() + 10.0
        while count() < n and time.monotonic() < deadline:
            time.sleep(0.002)
        seen.append(count())
        return None

    server.planner = planner
    judge(server, tmp_path, concurrency=1).complete(prompts(6))
    assert seen == [0, 1, 2, 3, 4, 5]


def test_reward_judge_refuses_complete(tmp_path):
    from benchgate.models.base import BackendError

    j = Judge(ModelOptions(model="dummy"), kind="generative")
    with pytest.raises(BackendError, match="is generative"):
        j.reward([[{"role": "user", "content": "x"}]])
    with pytest.raises(ValueError, match="judge kind"):
        Judge(ModelOptions(model="dummy"), kind="oracle")


def transformers_greedy(path: str, judge_prompts, max_new_tokens: int) -> list[str]:
    """The reference: transformers' own chat template and greedy generate, one prompt at a time."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok, model = AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path)
    out = []
    for p in judge_prompts:
        ids = tok.apply_chat_template([dict(m) for m in p.messages], add_generation_prompt=True,
                                      return_tensors="pt", return_dict=True)
        new = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=False)[0, ids["input_ids"].shape[1]:]
        out.append(tok.decode(new, skip_special_tokens=True))
    return out


def test_local_generative_judge(smoke_path, tmp_path):
    """A local causal LM judges through its chat template, batched and cached like any model."""
    opts = ModelOptions(model=smoke_path, model_args={"batch_size": 4},
                        generation=GenerationConfig(max_new_tokens=4), use_cache=True,
                        cache_path=tmp_path / "cache.sqlite")
    first = Judge(opts)
    assert first.kind == "generative" and first.name == smoke_path
    replies = first.complete(prompts(3))
    assert all(isinstance(r.text, str) and r.error is None and not r.cached for r in replies)
    assert first.fingerprint()["content_sha256"]
    assert [r.text for r in replies] == transformers_greedy(smoke_path, prompts(3), 4)
    again = Judge(opts).complete(prompts(3))
    assert [r.text for r in again] == [r.text for r in replies] and all(r.cached for r in again)
