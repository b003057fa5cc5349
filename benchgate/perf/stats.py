"""Run-level metrics from per-request records (formulas in docs/perf.md).

Rows of the summary follow EvalScope's benchmark summary, plus the skew checks (queue time,
achieved vs requested rate, dispatch lateness) and failures by type.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from ..metrics.serving import PERCENTILES, describe, mean, percentiles, rate_series, window_rate
from .client import RequestRecord
from .runner import RunResult

__all__ = ["summarize", "percentile_table", "throughput_series", "PCT_METRICS"]

# name -> (record accessor, unit label); times in seconds
PCT_METRICS = ("ttft", "itl", "tpot", "latency", "input_tokens", "output_tokens", "output_tok_per_s",
               "queue_time", "send_delay", "first_chunk")


def _vals(recs: list[RequestRecord], name: str) -> list[float]:
    ok = [r for r in recs if r.success]
    if name == "itl":
        return [g for r in ok for g in r.itls]
    if name == "tpot":
        return [t for r in ok if (t := r.tpot) is not None]
    if name == "output_tok_per_s":
        return [r.output_tokens / r.latency for r in ok if r.output_tokens is not None and r.latency]
    if name == "queue_time":
        return [r.queue_time for r in recs]
    if name == "send_delay":
        return [r.send_delay for r in recs if r.start]
    out = []
    for r in ok:
        v = getattr(r, name)
        if v is not None:
            out.append(float(v))
    return out


def _token_sources(recs: list[RequestRecord]) -> dict[str, int]:
    return dict(Counter(r.token_source for r in recs if r.success and r.token_source))


def summarize(run: RunResult) -> dict[str, Any]:
    """Every row of the summary table as a flat JSON-able dict (times in seconds)."""
    recs = run.records
    ok = [r for r in recs if r.success]
    failed = [r for r in recs if not r.success]
    start = min((r.start for r in recs), default=run.t0)
    wall = max(1e-12, run.t_end - start) if recs else 0.0
    out_tok = sum(r.output_tokens or 0 for r in ok)
    in_tok = sum(r.input_tokens or 0 for r in ok)
    chunks = sum(len(r.chunk_times) for r in ok)
    lat_sum = sum(r.latency or 0.0 for r in ok)
    srcs = _token_sources(recs)
    in_src = "usage" if ok and all(r.usage_prompt is not None for r in ok) else (
        "tokenizer/usage" if any(r.input_tokens is not None for r in ok) else "unknown")
    s: dict[str, Any] = {
        "Time taken for tests (s)": wall,
        "Expected number of requests": run.number,
        "Number of concurrency": run.parallel,
        "Request rate (req/s, requested)": run.rate if run.rate else -1,
        "Total requests": len(recs),
        "Completed requests": len(recs),
        "Succeed requests": len(ok),
        "Failed requests": len(failed),
        "Request throughput (req/s)": len(ok) / wall if wall else 0.0,
        "Average latency (s)": mean(r.latency for r in ok),
        "Average time to first token (s)": mean(r.ttft for r in ok if r.ttft is not None),
        "Average time to first chunk (s)": mean(r.first_chunk for r in ok if r.first_chunk is not None),
        "Output token throughput (tok/s)": out_tok / wall if wall else 0.0,
        "Total token throughput (tok/s)": (out_tok + in_tok) / wall if wall else 0.0,
        "Average time per output token (s)": mean(_vals(recs, "tpot")),
        "Average inter-token latency (s)": mean(_vals(recs, "itl")),
        "Average package per request": chunks / len(ok) if ok else None,
        "Average package latency (s)": lat_sum / chunks if chunks else None,
        "Average input tokens per request": in_tok / len(ok) if ok else None,
        "Average output tokens per request": out_tok / len(ok) if ok else None,
        "Average queue time (s)": mean(r.queue_time for r in recs),
        "Average client send delay (s)": mean(r.send_delay for r in recs if r.start),
        "Output token source": ", ".join(f"{k}: {v}" for k, v in sorted(srcs.items())) or "n/a",
        "Input token source": in_src,
        "Error rate": len(failed) / len(recs) if recs else 0.0,
        "Errors by type": dict(Counter(r.error_type for r in failed)),
        "Warmup requests (failed)": f"{run.warmup_sent} ({run.warmup_failed})",
        "Stopped by --duration": run.stopped_by_duration,
    }
    if run.rate:
        sends = sorted(r.start for r in recs)
        lateness = [r.dispatched - r.scheduled for r in recs if r.dispatched is not None and r.scheduled is not None]
        span = (sends[-1] - run.t0) if sends else 0.0
        s["Arrival process"] = run.arrival
        s["Scheduled rate (req/s)"] = len(recs) / run.scheduled_span if run.scheduled_span else None
        s["Achieved rate (req/s)"] = len(recs) / span if span > 0 else None
        s["Achieved / requested rate"] = (s["Achieved rate (req/s)"] or 0.0) / run.rate
        s["Dispatch lateness p99 (s)"] = percentiles(lateness, (99,))["p99"]
        s["Dispatch lateness max (s)"] = max(lateness) if lateness else None
    return s


def percentile_table(run: RunResult) -> dict[str, dict[str, float | int | None]]:
    """Percentiles (10..99), mean, min, max of each per-request metric (seconds / tokens)."""
    return {name: describe(_vals(run.records, name), PERCENTILES) for name in PCT_METRICS}


def throughput_series(run: RunResult, window: float | None = None) -> dict[str, Any]:
    """Output tokens/s and completed requests/s over wall-clock windows (for the plot).

    With no ``window`` given, the run is cut into equal windows that span it exactly (none is
    partial). Each successful request's output tokens are spread evenly over the arrival times of its
    chunks that carry output (the exact per-chunk count is unknown without a tokenizer pass per chunk).
    """
    recs = run.records
    if not recs:
        return {"window": window, "t": [], "tok_s": [], "req_s": []}
    start = min(r.start for r in recs)
    end = run.t_end
    if window is None and end > start:
        # equal windows spanning the run exactly (about 40, at least ~0.1 s): no partial last
        # window. The run ends at its last completion, so a short last window always holds that
        # completion, and its count over its short width drew a spike at the end of the chart.
        window = (end - start) / max(1, min(40, round((end - start) / 0.1)))
    elif window is None:
        window = 0.1
    times: list[float] = []
    weights: list[float] = []
    for r in recs:
        if r.success and r.chunk_times and r.output_tokens:
            w = r.output_tokens / len(r.chunk_times)
            times.extend(r.chunk_times)
            weights.extend([w] * len(r.chunk_times))
    tok = rate_series(times, weights, start, end, window)
    req = rate_series([r.end for r in recs if r.success], None, start, end, window)
    return {"window": window, "t": [a - start for a, _ in tok], "tok_s": [v for _, v in tok],
            "req_s": [v for _, v in req],
            "overall_tok_s": window_rate(times, weights, start, end + 1e-9) if end > start else 0.0}
