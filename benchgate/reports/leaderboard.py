"""`benchgate leaderboard RUN_DIR...`: the seed's leaderboard table, one row per run, from
results.json only:

| Model | Revision | Precision | <categories> | WeightedAvg | Avg | Target | Delta |

WeightedAvg is the benchmark's micro average over samples (MMLU's published number); Avg the
macro average over its categories (over subsets when it has none); Target the officially
claimed score from targets.yaml; Delta = WeightedAvg - Target. Scores are shown in percent.

Arena runs (`--benchmark arena`, the default when arena is all the runs share) give the arena's
own leaderboard instead, one row per model (and run): Elo, Bradley-Terry rating and CI,
W/L/T, battles, adjusted win rate and, with a baseline, the win rate against it; single mode
the mean rating, its CI, the number of ratings and the mean per turn.

`--benchmark dimensions` gives one row per run over the evaluation dimensions (results.json
`dimensions`): Model, Revision, Precision, each dimension's score (higher is better: the mean
of its members' "behaves well" dimension scores, docs/results.md) and Avg, their unweighted mean (empty
when the run lacks one of the dimensions, so every Avg is over the same axes).
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


# number formats of the columns that are not percentages (md/html); CSV keeps raw values
FORMATS = {"Elo": ".1f", "Bradley-Terry": ".1f", "BT CI low": ".1f", "BT CI high": ".1f",
           "Mean rating": ".2f", "CI low": ".2f", "CI high": ".2f", "Turn 1": ".2f", "Turn 2": ".2f",
           "Win": "d", "Loss": "d", "Tie": "d", "Battles": "d", "Ratings": "d"}


def leaderboard_rows(runs: list[Path], benchmark: str | None = None,
                     targets: dict[str, dict[str, float]] | None = None,
                     category: str = "*") -> tuple[list[str], list[list[Any]]]:
    """(header, rows) with numbers as fractions (None: not available)."""
    docs = [(run, read_results(run)) for run in runs]
    if not docs:
        raise RunDataError("no run folders given")
    if benchmark == "dimensions":
        return dimension_rows(docs)
    if benchmark is None:
        common = set.intersection(*(set(d["benchmarks"]) for _, d in docs))
        if not common:
            raise RunDataError("the runs share no benchmark; choose one with --benchmark")
        benchmark = "mmlu" if "mmlu" in common else sorted(common)[0]
    for run, doc in docs:
        if benchmark not in doc["benchmarks"]:
            raise RunDataError(f"{run}: no results for benchmark {benchmark!r} "
                               f"(has: {', '.join(sorted(doc['benchmarks']))})")
    if benchmark == "arena" and all(doc.get("arena") for _, doc in docs):
        return arena_rows(docs, category)
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


def dimension_rows(docs: list[tuple[Path, dict]]) -> tuple[list[str], list[list[Any]]]:
    """One row per run over the evaluation dimensions (results.json `dimensions[d].score`)."""
    for run, doc in docs:
        if not doc.get("dimensions"):
            raise RunDataError(f"{run}: no evaluation dimensions in results.json (runs of "
                               "safety, bias, hallucination, instruction-following or perturbed benchmarks have them)")
    names = list(dict.fromkeys(d for _, doc in docs for d in doc["dimensions"]))
    rows = []
    for _, doc in docs:
        scores = [(doc["dimensions"].get(d) or {}).get("score") for d in names]
        avg = None if None in scores else sum(scores) / len(scores)  # only over the same axes
        rows.append([*_model_fields(doc), *scores, avg])
    return ["Model", "Revision", "Precision", *names, "Avg"], rows


def arena_rows(docs: list[tuple[Path, dict]], category: str = "*") -> tuple[list[str], list[list[Any]]]:
    """The arena leaderboard of each run (results.json `arena.leaderboard[category]`)."""
    modes = {doc["arena"].get("mode") == "single" for _, doc in docs}
    if len(modes) > 1:
        raise RunDataError("single-mode and pairwise arena runs do not share a leaderboard")
    single = modes.pop()
    boards = []
    for run, doc in docs:
        board = doc["arena"].get("leaderboard") or {}
        if category not in board:
            raise RunDataError(f"{run}: no arena leaderboard for category {category!r} "
                               f"(has: {', '.join(sorted(board))})")
        boards.append((run, board[category]))
    several = len(docs) > 1
    baseline = any(r.get("is_baseline") or r.get("win_rate_vs_baseline") is not None
                   for _, rows in boards for r in rows)
    if single:
        turns = sorted({t for _, rows in boards for r in rows for t in (r.get("turns") or {})})[:2]
        header = ["Model", "Mean rating", "CI low", "CI high", "Ratings", *(f"Turn {t}" for t in turns)]
    else:
        header = ["Model", "Elo", "Bradley-Terry", "BT CI low", "BT CI high", "Win", "Loss", "Tie",
                  "Battles", "WinRateAdjusted"] + (["WinRate", "PredictedWinRate"] if baseline else [])
    if several:
        header.insert(1, "Run")
    out = []
    for run, rows in boards:
        for r in rows:
            name = r["model"] + (" (baseline)" if r.get("is_baseline") else "")
            if single:
                ci = r.get("score_ci95") or [None, None]
                row = [name, r.get("score"), ci[0], ci[1], r.get("battles"),
                       *((r.get("turns") or {}).get(t) for t in turns)]
            else:
                ci = r.get("bt_ci95") or [None, None]
                row = [name, r.get("elo"), r.get("bt_rating"), ci[0], ci[1], r.get("win"), r.get("loss"),
                       r.get("tie"), r.get("battles"), r.get("win_rate_adjusted")]
                if baseline:
                    row += [r.get("win_rate"), r.get("win_rate_vs_baseline")]
            if several:
                row.insert(1, Path(run).name if Path(run).name != "results.json" else Path(run).parent.name)
            out.append(row)
    return header, out


def _cell(value: Any, column: str, signed: bool) -> str:
    if value is None or isinstance(value, str) or column not in FORMATS:
        return _pct(value, signed)
    return format(int(value) if FORMATS[column] == "d" else value, FORMATS[column])


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
    text_rows = [[_cell(v, header[i], signed=(header[i] == "Delta")) for i, v in enumerate(row)]
                 for row in rows]
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
