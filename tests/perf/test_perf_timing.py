"""Measured TTFT/TPOT/ITL/latency/throughput/tokens against a server whose timings are known exactly."""
from __future__ import annotations

import pytest

from benchgate.perf.api import run_perf
from benchgate.perf.config import PerfConfig
from benchgate.perf.scripted_server import Script, expected_timings

# wall-clock accuracy: skipped beside other xdist workers, run alone by .ci/run (tests/conftest.py)
pytestmark = pytest.mark.timing

TOL = 0.02  # the bar: within 2% of the truth

# Role-only first chunk, several tokens per chunk, usage requested. Times long enough that the
# 2-core test machine's scheduling noise (a few ms per burst of 128 events) stays well under 2%.
SCRIPT = Script(ttft=2.0, itl=0.25, n=32, chunk=4, role=True)


def _close(measured: float, truth: float, what: str) -> None:
    assert measured == pytest.approx(truth, rel=TOL), f"{what}: measured {measured:.6f}, truth {truth:.6f}"


@pytest.mark.parametrize("parallel", [1, 16, 128])
def test_closed_loop_matches_truth(scripted, parallel):
    rounds = 2
    number = parallel * rounds
    cfg = PerfConfig(url=scripted.url(SCRIPT), prompt="one two three", number=[number], parallel=[parallel],
                     progress=False, include_usage="on")
    out = run_perf(cfg, write=False)
    truth = expected_timings(SCRIPT)
    s, p = out.points[0]["summary"], out.points[0]["percentiles"]
    assert s["Succeed requests"] == number and s["Failed requests"] == 0
    _close(s["Average time to first token (s)"], truth["ttft"], "mean TTFT")
    _close(p["ttft"]["p50"], truth["ttft"], "p50 TTFT")
    _close(s["Average latency (s)"], truth["latency"], "mean latency")
    _close(p["latency"]["p50"], truth["latency"], "p50 latency")
    _close(s["Average time per output token (s)"], truth["tpot"], "mean TPOT")
    _close(p["tpot"]["p50"], truth["tpot"], "p50 TPOT")
    _close(s["Average inter-token latency (s)"], truth["itl"], "mean ITL")
    _close(p["itl"]["p50"], truth["itl"], "p50 ITL")
    _close(s["Average time to first content (s)"], truth["first_content"], "first content")
    # token counts: exact, from the server's usage
    assert s["Average output tokens per request"] == SCRIPT.n
    assert s["Average input tokens per request"] == 3
    assert s["Output token source"] == f"usage: {number}"
    assert s["Average package per request"] == truth["chunks"]
    # throughput: each request ends exactly `latency` after it was sent, so the true wall time is
    # max(send + latency) - min(send). The sends are the load's input (closed loop: the next request
    # goes when one ends, so they include the client's turnaround between rounds).
    starts = [r.start for r in out.runs[0].records]
    wall = max(starts) + truth["latency"] - min(starts)
    _close(s["Output token throughput (tok/s)"], number * SCRIPT.n / wall, "throughput")
    _close(s["Request throughput (req/s)"], number / wall, "req/s")
    # and the closed loop adds little dead time: close to back-to-back rounds of `latency`
    assert s["Output token throughput (tok/s)"] == pytest.approx(number * SCRIPT.n / (rounds * truth["latency"]),
                                                                 rel=0.05)
    assert s["Average queue time (s)"] == 0.0


def test_open_loop_achieved_rate(scripted):
    script = Script(ttft=0.2, itl=0.01, n=4, chunk=1, role=False)
    rate, number = 40.0, 80
    cfg = PerfConfig(url=scripted.url(script), prompt="x", number=[number], parallel=[64], rate=rate,
                     progress=False, seed=7)
    out = run_perf(cfg, write=False)
    s = out.points[0]["summary"]
    assert s["Succeed requests"] == number
    assert s["Scheduled rate (req/s)"] == pytest.approx(rate, rel=1e-9)
    assert s["Achieved rate (req/s)"] == pytest.approx(rate, rel=TOL)
    assert s["Dispatch lateness max (s)"] < 0.05
    # TTFT is measured from the send, not the schedule: queue time is separate
    _close(s["Average time to first token (s)"], 0.2, "open-loop TTFT")


def test_open_loop_queue_time_reported_apart(scripted):
    """Arrivals faster than one slot can serve: requests queue; latency stays the server's."""
    script = Script(ttft=0.2, itl=0.01, n=2, chunk=1, role=False)
    cfg = PerfConfig(url=scripted.url(script), prompt="x", number=[8], parallel=[1], rate=100.0,
                     arrival="constant", progress=False, include_usage="on")
    out = run_perf(cfg, write=False)
    s = out.points[0]["summary"]
    truth = expected_timings(script)
    assert s["Average latency (s)"] == pytest.approx(truth["latency"], rel=0.05)
    # request k waits ~ k * latency - k / rate for the single slot
    assert s["Average queue time (s)"] > 0.2
    assert s["Achieved / requested rate"] < 0.5  # the report shows the shortfall


def test_non_stream_and_completions(scripted):
    script = Script(ttft=1.0, itl=0.05, n=10, chunk=2, role=False)
    truth = expected_timings(script)
    cfg = PerfConfig(url=scripted.url(script, "/v1/completions"), prompt="a b", number=[4], parallel=[2],
                     progress=False, include_usage="on")
    s = run_perf(cfg, write=False).points[0]["summary"]
    assert s["Succeed requests"] == 4
    _close(s["Average time to first token (s)"], truth["ttft"], "completions TTFT")
    _close(s["Average latency (s)"], truth["latency"], "completions latency")
    cfg = PerfConfig(url=scripted.url(script), prompt="a b", number=[4], parallel=[2], stream=False,
                     progress=False)
    s = run_perf(cfg, write=False).points[0]["summary"]
    assert s["Succeed requests"] == 4
    _close(s["Average latency (s)"], truth["latency"], "non-stream latency")
    assert s["Average output tokens per request"] == 10


def test_token_counts_without_usage_use_tokenizer(scripted, tmp_path):
    """No usage from the server: output tokens come from the tokenizer, and the source says so."""
    script = Script(ttft=0.01, itl=0.005, n=6, chunk=3, role=True, usage="never")
    cfg = PerfConfig(url=scripted.url(script), prompt="x", number=[3], parallel=[1], progress=False)
    s = run_perf(cfg, write=False).points[0]["summary"]
    assert s["Output token source"] == "chunks: 3"
    from benchgate.perf.runner import count_tokens

    class WordTok:
        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": text.split()}

    out = run_perf(cfg, write=False)
    count_tokens(out.runs[0].records, WordTok())
    assert [r.output_tokens for r in out.runs[0].records] == [6, 6, 6]
    assert {r.token_source for r in out.runs[0].records} == {"tokenizer"}
