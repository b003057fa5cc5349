"""A real OpenAI-compatible server: `transformers serve` with the offline smoke-test model.

The server is the session's one (`smoke_served`, tests/conftest.py): 127.0.0.1 with
HF_HUB_OFFLINE=1 (the model is a local directory, nothing is downloaded), stopped at the end.
"""
from __future__ import annotations

import importlib.util

import pytest

from benchgate.perf.api import run_perf
from benchgate.perf.config import PerfConfig

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def transformers_server(smoke_served: str, smoke_path: str) -> tuple[str, str]:
    """The session's `transformers serve` of the smoke model (`smoke_served`, tests/conftest.py:
    offline, 127.0.0.1, stopped at the end of the session): (base URL, model directory)."""
    for mod in ("fastapi", "uvicorn"):
        if importlib.util.find_spec(mod) is None:
            pytest.fail(f"`transformers serve` needs {mod}: pip install 'transformers[serving]' (the test extra)")
    return smoke_served.removesuffix("/v1"), smoke_path


def _check(s: dict, p: dict, number: int, max_tokens: int) -> None:
    assert s["Succeed requests"] == number, s["Errors by type"]
    assert s["Output token source"] == f"usage: {number}"
    assert 1 <= s["Average output tokens per request"] <= max_tokens
    assert s["Average input tokens per request"] > 0
    assert 0 < p["ttft"]["p50"] <= p["latency"]["p50"]
    assert s["Output token throughput (tok/s)"] > 0


def test_chat_stream_against_transformers_serve(transformers_server, tmp_path):
    base, model = transformers_server
    cfg = PerfConfig(url=base + "/v1/chat/completions", prompt="Tell me a story about a cat.", number=[4],
                     parallel=[2], max_tokens=8, tokenizer_path=model, progress=False, outputs_dir=str(tmp_path))
    out = run_perf(cfg)
    s, p = out.points[0]["summary"], out.points[0]["percentiles"]
    _check(s, p, 4, 8)
    # transformers serve sends the role-only chunk before generating: the first chunk comes
    # before TTFT (the first chunk carrying output, EvalScope's rule)
    assert s["Average time to first chunk (s)"] <= s["Average time to first token (s)"]
    assert out.target.model == model  # taken from GET /v1/models
    assert (tmp_path / "report.html").exists()


def test_completions_and_non_stream(transformers_server):
    base, model = transformers_server
    cfg = PerfConfig(url=base + "/v1/completions", model=model, prompt="Once upon a time", number=[3],
                     parallel=[1], max_tokens=8, progress=False)
    s, p = (lambda o: (o.points[0]["summary"], o.points[0]["percentiles"]))(run_perf(cfg, write=False))
    _check(s, p, 3, 8)
    cfg = PerfConfig(url=base + "/v1/chat/completions", model=model, prompt="hi", number=[2], parallel=[2],
                     max_tokens=8, stream=False, progress=False)
    s, p = (lambda o: (o.points[0]["summary"], o.points[0]["percentiles"]))(run_perf(cfg, write=False))
    _check(s, p, 2, 8)
