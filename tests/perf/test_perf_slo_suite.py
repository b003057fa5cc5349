"""`pytest evals/perf --url ... --slo ...` end to end (in a subprocess, as a user runs it)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchgate.perf.slo import SLOError, evaluate, parse_slo
from tests.conftest import run_pytest

ROOT = Path(__file__).resolve().parents[2]


def test_parse_slo():
    s = parse_slo("ttft_p99=500ms")
    assert (s.source, s.stat, s.op, s.limit) == ("ttft", "p99", "<=", 0.5)
    assert parse_slo("tpot_p50=50ms").limit == pytest.approx(0.05)
    e = parse_slo("error_rate=0")
    assert (e.source, e.op, e.limit) == ("Error rate", "<=", 0.0)
    assert parse_slo("error_rate=1%").limit == pytest.approx(0.01)
    q = parse_slo("qps>=2.5")
    assert (q.op, q.limit) == (">=", 2.5)
    assert parse_slo("output_throughput=100").op == ">="
    assert parse_slo("latency_mean<2s").op == "<"
    for bad in ("ttft_p99=500", "nonsense=1ms", "ttft_p99", "error_rate=3ms"):
        with pytest.raises(SLOError):
            parse_slo(bad)


def test_evaluate_message_names_metric_value_limit():
    slo = parse_slo("ttft_p99=500ms")
    met, value, msg = evaluate(slo, {"Number of concurrency": 4}, {"ttft": {"p99": 0.6123}})
    assert not met and value == pytest.approx(0.6123)
    assert msg == "SLO MISSED: ttft_p99 = 612.3 ms, limit <= 500 ms (concurrency 4)"


def test_pytest_slo_suite(scripted, tmp_path):
    from benchgate.perf.scripted_server import Script

    url = scripted.base_url + Script(ttft=0.05, itl=0.01, n=8, chunk=1).path("/v1")
    cmd = [sys.executable, "-m", "pytest", "evals/perf", "-p", "no:cacheprovider", "-q", "--url", url,
           "--parallel", "4", "--number", "12", "--slo", "ttft_p99=500ms", "--slo", "error_rate=0",
           "--slo", "tpot_p50=1ms", "--perf-outputs-dir", str(tmp_path / "out"), "--api-key", "sk-hidden-XYZ"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "1 failed, 3 passed" in out, out
    assert "SLO MISSED: tpot_p50 = " in out and "limit <= 1 ms (concurrency 4)" in out, out
    assert "benchgate perf" in out and "Time taken for tests (s)" in out
    assert "sk-hidden-XYZ" not in out
    assert (tmp_path / "out" / "summary.json").exists()


def test_pytest_slo_suite_without_url_skips():
    r = run_pytest(["evals/perf", "-p", "no:cacheprovider", "-q", "-rs"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no --url given" in r.stdout
