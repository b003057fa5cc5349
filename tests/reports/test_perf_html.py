"""The `benchgate perf` report page in headless chromium (issue 20, section 7): its summary,
percentile and sweep tables are real HTML tables holding the numbers of summary.json and
percentiles.json (no ASCII art in <pre>), and the over-time charts cut the run into equal
windows that end with it (no partial last window, the cause of the end spike)."""
from __future__ import annotations

import json

import pytest


def _tables(page, cls):
    return page.eval_on_selector_all(f"table.{cls}", "ts => ts.map(t => [...t.rows].map(r => [...r.cells].map(c => c.innerText)))")


def test_perf_report_tables_are_html_tables_with_the_json_numbers(scripted_perf, open_page):
    opened = open_page(scripted_perf / "report.html", ready="table.summary")
    page = opened.page
    summary = json.loads((scripted_perf / "summary.json").read_text())["runs"]
    pct = json.loads((scripted_perf / "percentiles.json").read_text())["runs"]
    assert len(summary) == 2  # --parallel 1 2
    # no table drawn as text: the only <pre> left is the configuration's JSON
    pres = page.eval_on_selector_all("pre", "ps => ps.map(p => p.innerText)")
    assert len(pres) == 1 and json.loads(pres[0])["parallel"] == [1, 2]
    assert not any("+---" in p or "| " in p for p in pres)
    tables = _tables(page, "summary")
    assert len(tables) == 2
    for rows, run in zip(tables, summary):
        assert rows[0] == ["Key", "Value"]
        cells = dict(rows[1:])
        assert list(cells) == list(run["summary"])  # every row, in the console's order
        for key, value in run["summary"].items():
            if isinstance(value, float):
                assert float(cells[key]) == pytest.approx(value, abs=5e-5), key
            elif isinstance(value, int) and not isinstance(value, bool):
                assert cells[key] == str(value), key
    for rows, run in zip(_tables(page, "percentiles"), pct):
        header, body = rows[0], {r[0]: r for r in rows[1:]}
        assert header[:3] == ["Percentile", "TTFT (s)", "First chunk (s)"]
        assert list(body) == ["10%", "25%", "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "mean"]
        for column, key in (("TTFT (s)", "ttft"), ("TPOT (s)", "tpot"), ("Latency (s)", "latency")):
            assert float(body["50%"][header.index(column)]) == pytest.approx(run["percentiles"][key]["p50"], abs=5e-5)
            assert float(body["mean"][header.index(column)]) == pytest.approx(run["percentiles"][key]["mean"], abs=5e-5)
    sweep = _tables(page, "sweep")
    assert len(sweep) == 1 and [r[0] for r in sweep[0][1:]] == ["1", "2"]
    # every row header is a <th scope=row>, every number a <td>
    assert page.locator("table.summary th[scope=row]").count() == sum(len(r["summary"]) for r in summary)
    assert opened.blocked == [] and opened.errors == []


def test_requests_over_time_windows_end_with_the_run(scripted_perf, open_page):
    opened = open_page(scripted_perf / "report.html", ready="table.summary")
    page = opened.page
    runs = json.loads((scripted_perf / "summary.json").read_text())["runs"]
    charts = page.eval_on_selector_all(
        "svg", "ss => ss.filter(s => s.querySelector('text').textContent === 'Requests completed over time')"
               ".map(s => s.querySelector('polyline').getAttribute('points').trim().split(/\\s+/).length)")
    assert charts == [len(r["throughput_series"]["req_s"]) for r in runs]
    for run in runs:
        ts, s = run["throughput_series"], run["summary"]
        window, starts = ts["window"], ts["t"]
        # equal windows, the last one ending where the run ends: none is partial
        assert starts == pytest.approx([k * window for k in range(len(starts))], abs=1e-9)
        assert starts[-1] + window == pytest.approx(s["Time taken for tests (s)"], rel=1e-9)
        # every completed request counted once
        assert sum(v * window for v in ts["req_s"]) == pytest.approx(s["Succeed requests"])
