"""Which chunks carry output (TTFT/ITL, EvalScope 1.14.1 `_parse_chat_delta`), and the
requests-over-time series without an end spike."""
from __future__ import annotations

import pytest

from benchgate.perf.client import RequestRecord, chat_delta_output
from benchgate.perf.runner import RunResult
from benchgate.perf.stats import throughput_series


@pytest.mark.parametrize("delta, expected", [
    ({"role": "assistant", "content": ""}, ("", False)),  # the role-only chunk: no output
    ({"role": "assistant"}, ("", False)),
    ({"content": None}, ("", False)),
    ({"content": "Hi"}, ("Hi", True)),
    ({"reasoning_content": "think"}, ("think", True)),
    ({"reasoning_content": "", "reasoning": "r"}, ("r", True)),
    ({"content": "a", "reasoning_content": "b"}, ("ab", True)),
    ({"tool_calls": [{"index": 0, "function": {"name": "get_weather"}}]}, ("", True)),
    ({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city"}}]}, ("", True)),
    ({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"arguments": ""}}]}, ("", False)),
    ({"reasoning_details": [{"type": "reasoning.encrypted", "data": "xx"}]}, ("", False)),
    ({"reasoning_details": [{"type": "reasoning.summary", "summary": "s"}]}, ("", True)),
    ("not a dict", ("", False)),
])
def test_chat_delta_output_as_evalscope(delta, expected):
    assert chat_delta_output(delta) == expected


def _run(ends: list[float], t_end: float) -> RunResult:
    records = []
    for i, end in enumerate(ends):
        r = RequestRecord(i)
        r.start, r.end, r.success = 0.0, end, True
        r.latency = r.ttft = end
        r.output_tokens = 1
        r.chunk_times = [end]
        records.append(r)
    return RunResult(parallel=1, number=len(ends), rate=None, arrival=None, records=records, t0=0.0, t_end=t_end)


def test_requests_over_time_has_no_spike_at_the_end():
    """A steady 10 completions/s for 2 s, the run ending 1 ms after the last one: with 0.1 s
    windows from 0, the last window is [2.0, 2.001] and held the last completion: 1000/s. Equal
    windows spanning the run give every window one completion: 20 / 2.001 req/s each."""
    ends = [0.1 * k for k in range(1, 21)]
    series = throughput_series(_run(ends, 2.001))
    assert len(series["req_s"]) == 20
    assert series["window"] == pytest.approx(2.001 / 20)
    assert series["req_s"] == pytest.approx([20 / 2.001] * 20)
    assert series["tok_s"] == pytest.approx([20 / 2.001] * 20)
    assert sum(v * series["window"] for v in series["req_s"]) == pytest.approx(20)  # every completion once
