"""OpenAIBackend against the real `transformers serve` with the tiny local smoke model."""
from __future__ import annotations

import pytest

import fastapi  # noqa: E402,F401  (transformers[serving], the test extra: missing = a failure, not a skip)
import uvicorn  # noqa: E402,F401

from benchgate.models.base import (GenerateRequest, Generation, GenerationConfig,  # noqa: E402
                                   LoglikelihoodRequest)
from benchgate.models.openai_api import (BatchError, LogprobsUnsupportedError,  # noqa: E402
                                        OpenAIBackend)


@pytest.fixture(scope="module")
def served(smoke_served, smoke_path):
    """`transformers serve` pinned to the smoke model (tiny Llama with a chat template): the
    session's one server (`smoke_served`, tests/conftest.py)."""
    return smoke_served, smoke_path


def test_generate_through_transformers_serve(served):
    url, model_dir = served
    b = OpenAIBackend(url, model_dir, {"concurrency": 4, "timeout": 60},
                      GenerationConfig(max_new_tokens=5))
    assert b.fingerprint()["server_model"]["id"] == model_dir
    chat = ({"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"})
    reqs = [GenerateRequest(f"question {i}?") for i in range(6)] + [GenerateRequest(chat)]
    done: list[int] = []
    out = b.generate(reqs, progress=done.append)
    assert len(out) == 7 and sum(done) == 7
    for g in out:
        assert isinstance(g, Generation) and isinstance(g.text, str)
        assert g.usage["prompt_tokens"] > 0 and 0 < g.usage["completion_tokens"] <= 5


def test_completions_api_through_transformers_serve(served):
    url, model_dir = served
    b = OpenAIBackend(url, model_dir, {"concurrency": 3, "timeout": 60},
                      GenerationConfig(max_new_tokens=4), chat_template=False)
    out = b.generate([GenerateRequest(f"The quick brown {i}", stop=("\n",)) for i in range(3)])
    assert all(isinstance(g, Generation) and "\n" not in g.text for g in out)
    assert all(g.usage["completion_tokens"] <= 4 for g in out)


def test_loglikelihood_unsupported_by_transformers_serve(served):
    url, model_dir = served
    b = OpenAIBackend(url, model_dir, {"timeout": 60})
    with pytest.raises(LogprobsUnsupportedError, match="mode"):
        b.loglikelihood([LoglikelihoodRequest("The quick", " brown")])


def test_wrong_model_name_fails_at_once(served):
    url, _ = served
    b = OpenAIBackend(url, "not-the-served-model", {"timeout": 60, "max_retries": 3})
    with pytest.raises(BatchError) as info:
        b.generate([GenerateRequest("hi", max_new_tokens=2)])
    err = info.value.errors[0]
    assert err.status == 400 and err.attempts == 1 and "pinned" in str(err)
