"""Outputs of a load test: console tables, summary/percentiles JSON, per-request SQLite, HTML page.

The HTML is self-contained (inline SVG drawn here, no scripts, no CDN). Nothing written here ever
contains the API key: the config is serialized through ``PerfConfig.public_dict`` and every
free-text field (error messages) goes through ``redact``.
"""
from __future__ import annotations

import html
import json
import math
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..metrics.serving import PERCENTILES
from .runner import RunResult
from .stats import _vals

__all__ = ["format_summary", "format_percentiles", "write_outputs", "redact", "svg_histogram",
           "svg_lines", "svg_sweep"]


def redact(text: Any, secrets: Iterable[str | None]) -> Any:
    """Replace every secret in ``text`` with ``***`` (non-strings pass through)."""
    if not isinstance(text, str):
        return text
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


# ---------------------------------------------------------------------------------- console
def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1e6 else f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {n}" for k, n in v.items()) or "none"
    return str(v)


def _box(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    allrows = ([list(header)] if header else []) + [list(r) for r in rows]
    widths = [max(len(r[i]) for r in allrows) for i in range(len(allrows[0]))]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [sep]
    for k, r in enumerate(allrows):
        cells = [(c.ljust(w) if i == 0 else c.rjust(w)) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("| " + " | ".join(cells) + " |")
        if header and k == 0:
            lines.append(sep.replace("-", "="))
    lines.append(sep)
    return "\n".join(lines)


def format_summary(summary: dict[str, Any]) -> str:
    """The two-column summary table."""
    return _box(_summary_rows(summary), ("Key", "Value"))


PCT_COLUMNS = (("ttft", "TTFT (s)"), ("first_chunk", "First chunk (s)"), ("itl", "ITL (s)"), ("tpot", "TPOT (s)"), ("latency", "Latency (s)"),
               ("queue_time", "Queue (s)"), ("send_delay", "Send delay (s)"), ("input_tokens", "Input tokens"),
               ("output_tokens", "Output tokens"), ("output_tok_per_s", "Output (tok/s)"))


def format_percentiles(pct: dict[str, dict[str, Any]]) -> str:
    """Rows: percentiles 10..99 (+ mean); columns: metrics."""
    header, rows = _percentile_rows(pct)
    return _box(rows, header)


def format_sweep(points: list[dict[str, Any]]) -> str:
    """One row per sweep point."""
    header, rows = _sweep_rows(points)
    return _box(rows, header)


# ---------------------------------------------------------------------------------- SQLite
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY, parallel INTEGER, number INTEGER, rate REAL, arrival TEXT,
  summary_json TEXT, percentiles_json TEXT
);
CREATE TABLE IF NOT EXISTS requests (
  run_id INTEGER, idx INTEGER, success INTEGER, error_type TEXT, error TEXT, http_status INTEGER,
  scheduled_s REAL, queue_s REAL, start_s REAL, end_s REAL, ttft_s REAL, first_chunk_s REAL,
  latency_s REAL, tpot_s REAL, n_chunks INTEGER, chunk_times_json TEXT, input_tokens INTEGER,
  output_tokens INTEGER, token_source TEXT, finish_reason TEXT,
  PRIMARY KEY (run_id, idx)
);
"""


def write_sqlite(path: Path, points: list[dict[str, Any]], runs: list[RunResult], secrets: list[str | None]) -> None:
    """One row per request (times relative to the run start, seconds) and one per run."""
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        for run_id, (pt, run) in enumerate(zip(points, runs)):
            con.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?)",
                        (run_id, run.parallel, run.number, run.rate, run.arrival,
                         json.dumps(pt["summary"]), json.dumps(pt["percentiles"])))
            t0 = run.t0
            rows = []
            for r in run.records:
                rows.append((
                    run_id, r.index, int(r.success), r.error_type, redact(r.error, secrets), r.status,
                    None if r.scheduled is None else r.scheduled - t0, r.queue_time, r.start - t0, r.end - t0,
                    r.ttft, r.first_chunk, r.latency, r.tpot, len(r.chunk_times),
                    json.dumps([round(t - r.start, 7) for t in r.chunk_times]),
                    r.input_tokens, r.output_tokens, r.token_source, r.finish_reason,
                ))
            con.executemany("INSERT INTO requests VALUES (" + ",".join("?" * 20) + ")", rows)
        con.commit()
    finally:
        con.close()


# ---------------------------------------------------------------------------------- SVG
W, H, ML, MR, MT, MB = 520, 300, 60, 15, 30, 45


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + 1e-12 * abs(hi) and len(out) < 20:
        out.append(v)
        v += step
    return out


def _axes(title: str, xlabel: str, ylabel: str, x0: float, x1: float, y0: float, y1: float) -> tuple[list[str], Any, Any]:
    pw, ph = W - ML - MR, H - MT - MB
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1

    def X(v: float) -> float:
        return ML + (v - x0) / (x1 - x0) * pw

    def Y(v: float) -> float:
        return MT + ph - (v - y0) / (y1 - y0) * ph

    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="{W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">{e(title)}</text>',
             f'<rect x="{ML}" y="{MT}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for t in _ticks(x0, x1):
        parts.append(f'<line x1="{X(t):.1f}" y1="{MT + ph}" x2="{X(t):.1f}" y2="{MT + ph + 4}" stroke="#333"/>'
                     f'<text x="{X(t):.1f}" y="{MT + ph + 16}" text-anchor="middle">{t:g}</text>')
    for t in _ticks(y0, y1):
        parts.append(f'<line x1="{ML - 4}" y1="{Y(t):.1f}" x2="{ML + pw}" y2="{Y(t):.1f}" stroke="#eee"/>'
                     f'<text x="{ML - 6}" y="{Y(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    parts.append(f'<text x="{ML + pw / 2}" y="{H - 8}" text-anchor="middle">{e(xlabel)}</text>')
    parts.append(f'<text x="14" y="{MT + ph / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {MT + ph / 2})">{e(ylabel)}</text>')
    return parts, X, Y


def svg_histogram(values: Sequence[float], title: str, xlabel: str, bins: int = 30) -> str:
    """Histogram of ``values`` as an inline SVG string."""
    if not values:
        parts, _, _ = _axes(title + " (no data)", xlabel, "requests", 0, 1, 0, 1)
        return "".join(parts) + "</svg>"
    lo, hi = min(values), max(values)
    if hi <= lo:
        hi = lo + max(abs(lo) * 0.01, 1e-6)
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    parts, X, Y = _axes(title, xlabel, "requests", lo, hi, 0, max(counts) * 1.05)
    for i, c in enumerate(counts):
        if c:
            x = X(lo + i * width)
            parts.append(f'<rect x="{x:.1f}" y="{Y(c):.1f}" width="{max(1.0, X(lo + (i + 1) * width) - x - 1):.1f}" '
                         f'height="{Y(0) - Y(c):.1f}" fill="#4878d0"><title>{c}</title></rect>')
    return "".join(parts) + "</svg>"


def svg_lines(series: list[tuple[str, Sequence[float], Sequence[float]]], title: str, xlabel: str,
              ylabel: str, labels: Sequence[str] | None = None, x_from_zero: bool = True) -> str:
    """Line chart (with point markers) of one or more (name, xs, ys) series."""
    xs_all = [x for _, xs, _ in series for x in xs]
    ys_all = [y for _, _, ys in series for y in ys]
    if not xs_all:
        parts, _, _ = _axes(title + " (no data)", xlabel, ylabel, 0, 1, 0, 1)
        return "".join(parts) + "</svg>"
    if x_from_zero:
        x0, x1 = min(0.0, min(xs_all)), max(xs_all)
    else:  # pad the data range (sweep points would otherwise crowd the right edge)
        pad = (max(xs_all) - min(xs_all)) * 0.1 or abs(max(xs_all)) * 0.1 or 1.0
        x0, x1 = max(0.0, min(xs_all) - pad), max(xs_all) + pad
    parts, X, Y = _axes(title, xlabel, ylabel, x0, x1, 0.0, max(ys_all) * 1.1 or 1.0)
    colors = ("#4878d0", "#ee854a", "#6acc64", "#d65f5f")
    for k, (name, xs, ys) in enumerate(series):
        c = colors[k % len(colors)]
        pts = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in zip(xs, ys))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="1.5"/>')
        for j, (x, y) in enumerate(zip(xs, ys)):
            parts.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="2.5" fill="{c}"/>')
            if labels is not None and k == 0:
                parts.append(f'<text x="{X(x) + 5:.1f}" y="{Y(y) - 5:.1f}">{html.escape(labels[j])}</text>')
        parts.append(f'<text x="{ML + 8}" y="{MT + 14 + 13 * k}" fill="{c}">{html.escape(name)}</text>')
    return "".join(parts) + "</svg>"


def svg_sweep(points: list[dict[str, Any]]) -> str:
    """Throughput vs latency across the sweep, each point labelled with its concurrency."""
    pts = [(p["summary"]["Average latency (s)"], p["summary"]["Output token throughput (tok/s)"],
            f"c={p['summary']['Number of concurrency']}") for p in points
           if p["summary"]["Average latency (s)"] is not None]
    return svg_lines([("output tok/s", [a for a, _, _ in pts], [b for _, b, _ in pts])],
                     "Sweep: throughput vs latency", "average latency (s)", "output tokens/s",
                     labels=[c for _, _, c in pts], x_from_zero=False)


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str, row_headers: bool = True) -> str:
    """A real HTML table (the first cell of each row a row header); cells are escaped text."""
    e = html.escape
    head = "<thead><tr>" + "".join(f'<th scope="col">{e(h)}</th>' for h in header) + "</tr></thead>"
    body = []
    for r in rows:
        cells = [(f'<th scope="row">{e(c)}</th>' if i == 0 and row_headers else f"<td>{e(c)}</td>")
                 for i, c in enumerate(r)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="{cls}">{head}<tbody>{"".join(body)}</tbody></table>'


def _summary_rows(summary: dict[str, Any]) -> list[list[str]]:
    return [[k, _fmt(v)] for k, v in summary.items()]


def _percentile_rows(pct: dict[str, dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The percentile table of the console (format_percentiles) as header and rows of text."""
    rows = []
    for p in [f"p{x}" for x in PERCENTILES] + ["mean"]:
        row = [p[1:] + "%" if p != "mean" else "mean"]
        for key, _ in PCT_COLUMNS:
            v = pct[key].get(p)
            row.append("n/a" if v is None else (f"{v:.4f}" if "tokens" not in key else f"{v:.1f}"))
        rows.append(row)
    return ["Percentile"] + [label for _, label in PCT_COLUMNS], rows


def _sweep_rows(points: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    hdr = ["Conc.", "Rate", "Req/s", "Out tok/s", "Avg lat (s)", "P99 lat (s)", "Avg TTFT (s)",
           "P99 TTFT (s)", "Avg TPOT (s)", "Success", "Failed"]
    rows = []
    for p in points:
        s, q = p["summary"], p["percentiles"]
        rows.append([str(s["Number of concurrency"]), _fmt(s["Request rate (req/s, requested)"]),
                     _fmt(s["Request throughput (req/s)"]), _fmt(s["Output token throughput (tok/s)"]),
                     _fmt(s["Average latency (s)"]), _fmt(q["latency"]["p99"]),
                     _fmt(s["Average time to first token (s)"]), _fmt(q["ttft"]["p99"]),
                     _fmt(s["Average time per output token (s)"]), str(s["Succeed requests"]),
                     str(s["Failed requests"])])
    return hdr, rows


def write_html(path: Path, title: str, config: dict[str, Any], points: list[dict[str, Any]],
               runs: list[RunResult], notes: list[str]) -> None:
    """The self-contained report page."""
    e = html.escape
    body = [f"<h1>{e(title)}</h1>"]
    if notes:
        body.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    if len(points) > 1:
        body.append("<h2>Sweep</h2>" + svg_sweep(points) + _html_table(*_sweep_rows(points), "sweep"))
    for pt, run in zip(points, runs):
        s = pt["summary"]
        body.append(f"<h2>Concurrency {run.parallel}" + (f", rate {run.rate:g}/s" if run.rate else "") + "</h2>")
        body.append('<div class="plots">')
        body.append(svg_histogram(_vals(run.records, "latency"), "Latency distribution", "latency (s)"))
        body.append(svg_histogram(_vals(run.records, "ttft"), "TTFT distribution", "TTFT (s)"))
        ts = pt["throughput_series"]
        body.append(svg_lines([("output tok/s", ts["t"], ts["tok_s"])], "Throughput over time",
                              "time since start (s)", "output tokens/s"))
        body.append(svg_lines([("completed req/s", ts["t"], ts["req_s"])], "Requests completed over time",
                              "time since start (s)", "requests/s"))
        body.append("</div>")
        body.append("<h3>Summary</h3>" + _html_table(("Key", "Value"), _summary_rows(s), "summary"))
        body.append("<h3>Percentiles</h3>" + _html_table(*_percentile_rows(pt["percentiles"]), "percentiles"))
    body.append("<h2>Configuration</h2><pre>" + e(json.dumps(config, indent=2, default=str)) + "</pre>")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + e(title) + "</title><style>"
            "body{font-family:sans-serif;margin:20px}pre{font-size:12px;background:#f6f6f6;padding:8px;"
            "overflow-x:auto}.plots{display:flex;flex-wrap:wrap;gap:10px}table{border-collapse:collapse;"
            "font-size:12px;margin:6px 0}th,td{border:1px solid #ccc;padding:2px 8px}td{text-align:right;"
            "font-variant-numeric:tabular-nums}th[scope=row]{text-align:left;font-weight:normal}"
            "thead th{background:#f0f0f0}</style></head><body>"
            + "\n".join(body) + "</body></html>")
    path.write_text(page, encoding="utf-8")


def write_outputs(out_dir: Path, config: dict[str, Any], points: list[dict[str, Any]], runs: list[RunResult],
                  notes: list[str], secrets: list[str | None], title: str) -> dict[str, str]:
    """summary.json, percentiles.json, requests.sqlite, report.html under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "summary": out_dir / "summary.json",
        "percentiles": out_dir / "percentiles.json",
        "sqlite": out_dir / "requests.sqlite",
        "html": out_dir / "report.html",
    }
    summary_doc = {"config": config, "notes": notes,
                   "runs": [{"parallel": r.parallel, "number": r.number, "rate": r.rate, "summary": p["summary"],
                             "throughput_series": p["throughput_series"]} for p, r in zip(points, runs)]}
    pct_doc = {"method": "linear interpolation (numpy default, Hyndman-Fan type 7); seconds / tokens",
               "runs": [{"parallel": r.parallel, "number": r.number, "rate": r.rate,
                         "percentiles": p["percentiles"]} for p, r in zip(points, runs)]}
    text = json.dumps(summary_doc, indent=2, default=str)
    files["summary"].write_text(redact(text, secrets), encoding="utf-8")
    files["percentiles"].write_text(json.dumps(pct_doc, indent=2), encoding="utf-8")
    write_sqlite(files["sqlite"], points, runs, secrets)
    write_html(files["html"], title, config, points, runs, notes)
    return {k: str(v) for k, v in files.items()}
