"""`benchgate leaderboard RUN_DIR...`: the seed's leaderboard table, one row per run, from
results.json only:

| Model | Revision | Precision | <categories> | WeightedAvg | Avg | Target | Delta |

WeightedAvg is the benchmark's micro average over samples (MMLU's published number); Avg the
macro average over its categories (over subsets when it has none); Target the officially
claimed score from targets.yaml; Delta = WeightedAvg - Target. Scores are shown in percent.
"""
from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from typing import Any

import yaml

from benchgate.reports.run_data import RunDataError, read_results

PREFERRED = ("Humanities", "STEM", "Social Sciences", "Other")


def load_targets(path: Path) -> dict[str, dict[str, float]]:
    """targets.yaml: `{model: {benchmark: score}}` (a model may be `name@revision`); scores
    as fractions (0.742) or percentages (74.2: any value above 1)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise RunDataError(f"--targets {path}: file not found") from None
    except yaml.YAMLError as e:
        raise RunDataError(f"--targets {path}: invalid YAML: {e}") from None
    if not isinstance(data, dict):
        raise RunDataError(f"--targets {path}: expected a mapping of model -> {{benchmark: score}}")
    out: dict[str, dict[str, float]] = {}
    for model, scores in data.items():
        if not isinstance(scores, dict):
            raise RunDataError(f"--targets {path}: {model}: expected a mapping benchmark -> score")
        for bench, value in scores.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise RunDataError(f"--targets {path}: {model}/{bench}: not a number: {value!r}") from None
            out.setdefault(str(model), {})[str(bench)] = number / 100 if number > 1 else number
    return out


def _model_fields(results: dict[str, Any]) -> tuple[str, str, str]:
    model = results.get("model") or {}
    fingerprint = model.get("fingerprint") or {}
    args = (results.get("config") or {}).get("model_args") or {}
    name = str(model.get("name") or (results.get("config") or {}).get("model") or "?")
    revision = fingerprint.get("revision") or args.get("revision") or "–"
    precision = fingerprint.get("dtype") or args.get("dtype") or args.get("precision") or "–"
    return name, str(revision), str(precision)


def _ordered(names: set[str]) -> list[str]:
    return [n for n in PREFERRED if n in names] + sorted(n for n in names if n not in PREFERRED)


def leaderboard_rows(runs: list[Path], benchmark: str | None = None,
                     targets: dict[str, dict[str, float]] | None = None) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) with numbers as fractions (None: not available)."""
    docs = [(run, read_results(run)) for run in runs]
    if not docs:
        raise RunDataError("no run folders given")
    if benchmark is None:
        common = set.intersection(*(set(d["benchmarks"]) for _, d in docs))
        if not common:
            raise RunDataError("the runs share no benchmark; choose one with --benchmark")
        benchmark = "mmlu" if "mmlu" in common else sorted(common)[0]
    for run, doc in docs:
        if benchmark not in doc["benchmarks"]:
            raise RunDataError(f"{run}: no results for benchmark {benchmark!r} "
                               f"(has: {', '.join(sorted(doc['benchmarks']))})")
    categories = _ordered({c for _, d in docs for c in d["benchmarks"][benchmark].get("categories", {})})
    header = ["Model", "Revision", "Precision", *categories, "WeightedAvg", "Avg", "Target", "Delta"]
    rows = []
    for _, doc in docs:
        entry = doc["benchmarks"][benchmark]
        name, revision, precision = _model_fields(doc)
        cats = [entry.get("categories", {}).get(c, {}).get("score") for c in categories]
        macro = entry.get("macro_categories") if entry.get("categories") else entry.get("macro_subsets")
        target = None
        for key in (f"{name}@{revision}", name):
            if targets and benchmark in targets.get(key, {}):
                target = targets[key][benchmark]
                break
        delta = entry["score"] - target if target is not None and entry["score"] is not None else None
        rows.append([name, revision, precision, *cats, entry["score"], macro, target, delta])
    return header, rows


def _pct(value: Any, signed: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value * 100:+.2f}" if signed else f"{value * 100:.2f}"


def render(header: list[str], rows: list[list[Any]], fmt: str = "md", title: str = "") -> str:
    """The table as markdown, CSV (fractions, full precision) or a self-contained HTML page."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return buf.getvalue()
    text_rows = [[_pct(v, signed=(i == len(row) - 1)) for i, v in enumerate(row)] for row in rows]
    if fmt == "md":
        lines = [f"**{title}**", ""] if title else []
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in text_rows]
        return "\n".join(lines) + "\n"
    if fmt == "html":
        e = html.escape
        head = "".join(f"<th>{e(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in text_rows)
        return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + e(title or "leaderboard")
                + "</title><style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse}"
                "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,"
                "th:first-child{text-align:left}</style></head><body>"
                + (f"<h2>{e(title)}</h2>" if title else "")
                + f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>\n")
    raise RunDataError(f"--format: expected md, csv or html, got {fmt!r}")
