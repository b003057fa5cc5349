"""Service-level objectives: parse ``--slo ttft_p99=500ms`` and check them against a run.

Grammar: ``<metric>[_<stat>] <op> <number>[<unit>]``

* metric with a distribution: ``ttft``, ``tpot``, ``itl``, ``latency``, ``queue`` (queue time),
  ``send_delay``, ``input_tokens``, ``output_tokens``, ``output_tok_per_s`` (per request);
  stat: ``p10 p25 p50 p66 p75 p80 p90 p95 p98 p99``, ``mean``/``avg``, ``median``, ``min``, ``max``.
* run-level: ``error_rate``, ``success_rate``, ``qps`` (= request throughput, req/s),
  ``output_throughput`` (tok/s), ``total_throughput`` (tok/s), ``achieved_rate`` (req/s, open loop).
* op: ``=`` means the natural bound (an upper bound for times, token counts and error_rate, a
  lower bound for throughputs and success_rate); ``<=``, ``<``, ``>=``, ``>`` are explicit.
* unit: times need one of ``us``, ``ms``, ``s``; rates accept ``%`` (``error_rate=1%``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["SLO", "SLOError", "parse_slo", "evaluate"]


class SLOError(ValueError):
    """An SLO expression that cannot be parsed."""


_DIST = {"ttft": "ttft", "tpot": "tpot", "itl": "itl", "latency": "latency", "queue": "queue_time",
         "queue_time": "queue_time", "send_delay": "send_delay", "input_tokens": "input_tokens",
         "output_tokens": "output_tokens", "output_tok_per_s": "output_tok_per_s"}
_TIME = {"ttft", "tpot", "itl", "latency", "queue_time", "send_delay"}
_SCALAR = {  # name -> (summary key, natural op, kind)
    "error_rate": ("Error rate", "<=", "ratio"),
    "success_rate": (None, ">=", "ratio"),
    "qps": ("Request throughput (req/s)", ">=", "number"),
    "request_throughput": ("Request throughput (req/s)", ">=", "number"),
    "output_throughput": ("Output token throughput (tok/s)", ">=", "number"),
    "total_throughput": ("Total token throughput (tok/s)", ">=", "number"),
    "achieved_rate": ("Achieved rate (req/s)", ">=", "number"),
}
_STATS = {"mean": "mean", "avg": "mean", "median": "p50", "min": "min", "max": "max",
          **{f"p{p}": f"p{p}" for p in (10, 25, 50, 66, 75, 80, 90, 95, 98, 99)}}
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
_RE = re.compile(r"^\s*([a-z_0-9]+?)\s*(<=|>=|<|>|==|=)\s*([-+]?[0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*([a-z%]*)\s*$", re.I)


@dataclass(frozen=True)
class SLO:
    """One objective; ``limit`` is in base units (seconds, tokens, ratio 0..1, per second)."""

    text: str
    metric: str  # e.g. "ttft_p99", "error_rate"
    source: str  # percentile-table key or summary key
    stat: str | None
    op: str
    limit: float
    unit: str  # display unit ("ms", "s", "", "%")

    def display(self, value: float) -> str:
        """``value`` (base units) in the SLO's own unit."""
        if self.unit in _UNITS:
            return f"{value / _UNITS[self.unit]:.4g} {self.unit}"
        if self.unit == "%":
            return f"{value * 100:.4g}%"
        return f"{value:.6g}"

    def ok(self, value: float) -> bool:
        """Whether ``value`` meets the objective."""
        return {"<=": value <= self.limit, "<": value < self.limit,
                ">=": value >= self.limit, ">": value > self.limit}[self.op]


def parse_slo(text: str) -> SLO:
    """Parse one ``--slo`` expression (see module doc)."""
    m = _RE.match(text)
    if not m:
        raise SLOError(f"cannot parse SLO {text!r}: expected e.g. ttft_p99=500ms, error_rate=0, qps>=10")
    name, op, num, unit = m.group(1).lower(), m.group(2), float(m.group(3)), m.group(4).lower()
    if name in _SCALAR:
        key, natural, kind = _SCALAR[name]
        if unit == "%":
            num /= 100.0
        elif unit:
            raise SLOError(f"SLO {text!r}: unit {unit!r} does not apply to {name}")
        op = natural if op in ("=", "==") else op
        return SLO(text, name, key or "success_rate", None, op, num, unit)
    base, stat = name, "mean"
    for s in sorted(_STATS, key=len, reverse=True):
        if name.endswith("_" + s):
            base, stat = name[: -len(s) - 1], _STATS[s]
            break
    if base not in _DIST:
        raise SLOError(f"SLO {text!r}: unknown metric {base!r} (known: {', '.join(sorted(_DIST) + sorted(_SCALAR))})")
    src = _DIST[base]
    if src in _TIME:
        if unit not in _UNITS:
            raise SLOError(f"SLO {text!r}: give a time unit (us, ms or s)")
        num *= _UNITS[unit]
    elif unit:
        raise SLOError(f"SLO {text!r}: unit {unit!r} does not apply to {base}")
    op = ("<=" if src != "output_tok_per_s" else ">=") if op in ("=", "==") else op
    return SLO(text, name, src, stat, op, num, unit)


def evaluate(slo: SLO, summary: dict[str, Any], percentiles: dict[str, dict[str, Any]]) -> tuple[bool, float | None, str]:
    """(met, measured value in base units, message naming metric, value and limit)."""
    if slo.stat is not None:
        value = percentiles.get(slo.source, {}).get(slo.stat)
    elif slo.source == "success_rate":
        total = summary.get("Total requests") or 0
        value = (summary.get("Succeed requests", 0) / total) if total else None
    else:
        value = summary.get(slo.source)
    where = f"concurrency {summary.get('Number of concurrency')}"
    if summary.get("Request rate (req/s, requested)", -1) not in (-1, None):
        where += f", rate {summary['Request rate (req/s, requested)']:g}/s"
    limit = slo.display(slo.limit)
    if value is None:
        return False, None, f"SLO {slo.metric}: no measurement ({where}; no successful request?), limit {slo.op} {limit}"
    met = slo.ok(float(value))
    verdict = "met" if met else "MISSED"
    return met, float(value), f"SLO {verdict}: {slo.metric} = {slo.display(float(value))}, limit {slo.op} {limit} ({where})"
