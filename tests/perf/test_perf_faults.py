"""Faults are counted as failures with their type, and the run completes."""
from __future__ import annotations

import pytest

from benchgate.perf.api import run_perf
from benchgate.perf.config import PerfConfig
from benchgate.perf.scripted_server import Script

FAST = dict(ttft=0.01, itl=0.002, n=8, chunk=2)


def _run(url: str, number: int, parallel: int = 2, **kw) -> dict:
    cfg = PerfConfig(url=url, prompt="p", number=[number], parallel=[parallel], progress=False,
                     connect_timeout=5, read_timeout=10, **kw)
    return run_perf(cfg, write=False).points[0]["summary"]


def test_connection_refused(refused_url):
    s = _run(refused_url, 5, model="m")
    assert s["Failed requests"] == 5 and s["Succeed requests"] == 0
    assert s["Errors by type"] == {"connection_refused": 5}


@pytest.mark.parametrize("fault, kind", [("http500", "http_500"), ("cut", "stream_cut"),
                                         ("malformed", "sse_malformed"), ("badjson", "sse_invalid_json")])
def test_single_fault(scripted, fault, kind):
    s = _run(scripted.url(Script(**FAST, fault=fault)), 6)
    assert s["Errors by type"] == {kind: 6}
    assert s["Failed requests"] == 6 and s["Total requests"] == 6


def test_mixed_faults_counted_by_type(scripted):
    # the server cycles ok, 500, cut, malformed, badjson per request: 10 requests = 2 of each
    s = _run(scripted.url(Script(**FAST, fault="mix")), 10, parallel=3, include_usage="on")
    assert s["Total requests"] == 10 and s["Succeed requests"] == 2
    assert s["Errors by type"] == {"http_500": 2, "stream_cut": 2, "sse_malformed": 2, "sse_invalid_json": 2}
    assert s["Error rate"] == pytest.approx(0.8)
    assert s["Average output tokens per request"] == 8  # only successes count


def test_stream_without_done_or_finish_is_incomplete(scripted):
    # done=0 but the last chunk has finish_reason: success (transformers serve sends no [DONE])
    s = _run(scripted.url(Script(**FAST, done=False)), 3)
    assert s["Succeed requests"] == 3


def test_unknown_route_404(scripted):
    s = _run(scripted.base_url + "/nope/v1", 2)
    assert s["Errors by type"] == {"http_404": 2}


def test_usage_rejected_is_dropped_and_tokenizer_counts(scripted):
    """A server that rejects stream_options: auto mode drops it (noted), counts fall back."""
    from benchgate.perf.api import run_perf

    cfg = PerfConfig(url=scripted.url(Script(**FAST, fault="reject_usage", usage="never")), prompt="p",
                     number=[3], parallel=[1], progress=False)
    out = run_perf(cfg, write=False)
    s = out.points[0]["summary"]
    assert s["Succeed requests"] == 3
    assert not out.target.include_usage
    assert any("rejected stream_options" in n for n in out.target.notes)
    assert s["Output token source"] == "chunks: 3"  # no usage, no tokenizer: named as such
    assert s["Average output tokens per request"] == 4  # 8 tokens in 4 chunks of 2: an undercount
