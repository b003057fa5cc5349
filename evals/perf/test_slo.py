"""SLO gates on a load test of --url (see conftest.py)."""
from __future__ import annotations

from benchgate.perf.slo import evaluate


def test_requests_completed(perf_outcome):
    """Every run sent requests and at least one succeeded."""
    for p in perf_outcome.points:
        s = p["summary"]
        assert s["Total requests"] > 0, "no request was sent"
        assert s["Succeed requests"] > 0, f"every request failed: {s['Errors by type']}"


def test_slo(perf_outcome, slo):
    """One --slo objective, checked on every sweep point."""
    misses = []
    for p in perf_outcome.points:
        met, _, msg = evaluate(slo, p["summary"], p["percentiles"])
        if not met:
            misses.append(msg)
    assert not misses, "\n".join(misses)
