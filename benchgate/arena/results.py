"""The controller's side of an arena run: from the unit records to the run's outputs.

Writes ``OUTPUT/arena/reviews.jsonl`` (one row per judgment, EvalScope battle format),
``OUTPUT/arena/answers/<model>.jsonl`` and, where the config names them, EvalScope's own
output files (answers_gen.*.output_file, reviews_gen.review_file, rating_gen.report_file);
returns the ``benchmarks["arena"]`` entry (one subset per model, for the gates) and the
top-level ``arena`` block of results.json (docs/results.md).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterable

from benchgate.arena.answers import answer_lines, evalscope_answer_lines, write_lines
from benchgate.arena.panel import panel_agreement
from benchgate.arena.ratings import ALL, RatingParams, category_function, load_category_mapping
from benchgate.arena.records import review_rows
from benchgate.arena.reviews import parse_rows
from benchgate.arena.summary import summarize

REVIEWS = "arena/reviews.jsonl"


def _block(value: float | None, n: int, ci: list | None = None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"score": float(value), "n": n, "stderr": None, "ci95": ci}


# gate metric names that were renamed: old -> new (a gate on an old name works and says so)
DEPRECATED_METRICS = {"win_rate": "win_rate_ties_half", "win_rate_ci_low": "win_rate_ties_half_ci_low",
                      "win_rate_ci_high": "win_rate_ties_half_ci_high"}


def benchmark_entry(board: list[dict], single: bool, n: int, judgments: int = 0,
                    parse_failures: int = 0) -> dict[str, Any]:
    """benchmarks["arena"]: one subset per model so `--gate arena/MODEL:METRIC=X` works (in the
    leaderboard's order, so the summary table lists them as the leaderboard does), and
    the run's `parse_failure_rate` (lower is better: `--gate arena:parse_failure_rate=0.2`)."""
    metric = "score" if single else "win_rate_ties_half"
    subsets = {}
    for row in board:
        count = row["battles"]
        if single:
            ci = row["score_ci95"]
            metrics = {"score": _block(row["score"], count, ci),
                       "score_ci_low": _block(ci[0] if ci else None, count),
                       "score_ci_high": _block(ci[1] if ci else None, count)}
        else:
            ci, bt, pred = row.get("win_rate_ties_half_ci95"), row["bt_ci95"], row["win_rate_vs_baseline_ci95"]
            # win_rate_adjusted right after the primary: a summary row without the primary (the
            # baseline, against itself) shows it, as the leaderboard's "win rate adj" column
            metrics = {
                "win_rate_ties_half": _block(row.get("win_rate_ties_half"), count, ci),
                "win_rate_adjusted": _block(row["win_rate_adjusted"], count,
                                            row.get("win_rate_adjusted_ci95")),
                "win_rate_ties_half_ci_low": _block(ci[0] if ci else None, count),
                "win_rate_ties_half_ci_high": _block(ci[1] if ci else None, count),
                "wins_per_battle": _block(row.get("wins_per_battle"), count),
                "predicted_win_rate": _block(row["win_rate_vs_baseline"], count, pred),
                "predicted_win_rate_ci_low": _block(pred[0] if pred else None, count),
                "elo": _block(row["elo"], count), "bt_rating": _block(row["bt_rating"], count, bt),
                "bt_ci_low": _block(bt[0] if bt else None, count),
                "bt_ci_high": _block(bt[1] if bt else None, count),
                "win": _block(row["win"], count), "loss": _block(row["loss"], count),
                "tie": _block(row["tie"], count), "battles": _block(count, count)}
        if not single:  # the deprecated names, same values
            metrics |= {old: metrics[new] for old, new in DEPRECATED_METRICS.items() if new in metrics}
        metrics = {k: v for k, v in metrics.items() if v is not None}
        head = metrics.get(metric)
        subsets[row["model"]] = {"score": head["score"] if head else None, "n": count,
                                 "stderr": None, "metrics": metrics}
    top = {}
    if judgments:
        top["parse_failure_rate"] = {"score": parse_failures / judgments, "n": judgments,
                                     "stderr": None, "ci95": None}
    entry = {"metric": metric, "score": None, "n": n, "stderr": None, "ci95": None, "metrics": top,
             "subsets": subsets, "categories": {},  # leaderboard order, best first
             "macro_subsets": None, "macro_categories": None, "lower_is_better": ["parse_failure_rate"]}
    if not single:
        entry["deprecated_metrics"] = {
            old: f"arena metric {old!r} is deprecated: it is {new!r} (ties count half, against the "
                 f"baseline when there is one); EvalScope's CSV win_rate (wins / battles) is "
                 f"'wins_per_battle'" for old, new in DEPRECATED_METRICS.items()}
    return entry


def _report_csv(board: list[dict], metric: str) -> str:
    """EvalScope's report_file table for its first metric."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    if metric == "elo":
        w.writerow(["", "Model", "Elo_Rating"])
        for i, r in enumerate(sorted(board, key=lambda r: -r["elo"])):
            w.writerow([i, r["model"], round(r["elo"], 1)])
    elif metric == "score":
        w.writerow(["model", "score"])
        for r in board:
            w.writerow([r["model"], r["score"]])
    else:
        w.writerow(["model", "win", "loss", "tie", "win_rate", "loss_rate", "tie_rate",
                    "win_rate_adjusted", "bt_rating", "win_rate_vs_baseline"])
        for r in board:
            if r.get("is_baseline"):
                continue
            n = r["battles"] or 1
            w.writerow([r["model"], r["win"], r["loss"], r["tie"], r["win"] / n, r["loss"] / n,  # EvalScope's win_rate: wins_per_battle
                        r["tie"] / n, r["win_rate_adjusted"], r["bt_rating"], r["win_rate_vs_baseline"]])
    return out.getvalue()


PARSE_FAILURE_WARN = 0.2  # rating_gen.parse_failure_warn: warn above this share of judgments


def parse_failure_warnings(judgments: int, failures: int, share: float = PARSE_FAILURE_WARN) -> list[str]:
    """A loud warning when more than `share` of the judgments did not parse: the ratings then
    rest on the few that did (or on none), while every unit test still passes."""
    if not judgments or failures / judgments <= share:
        return []
    return [f"{failures} of {judgments} judgments ({failures / judgments:.0%}) failed to parse, more than "
            f"rating_gen.parse_failure_warn ({share:.0%}): the leaderboard rests on the "
            f"{judgments - failures} that parsed. See arena.parse_failures in results.json (the judge's "
            f"text and why); fail the run on it with --gate arena:parse_failure_rate={share:g}"]


def _judges(rows: list[dict], reviewer: dict) -> list[dict]:
    kind = reviewer.get("kind", "generative")
    found: dict[str, list[str]] = {}
    for r in rows:
        templates = found.setdefault(r["judge"], [])
        if r.get("template") and r["template"] not in templates:
            templates.append(r["template"])
    return [{"name": name, "kind": kind, "template": t[0] if t else None, "templates": t}
            for name, t in found.items()]


def aggregate(records: Iterable[dict], *, config: dict, output_dir: Path,
              dry_run: bool) -> tuple[dict, dict]:
    """(benchmarks["arena"], {"arena": block}) from the unit records; writes the arena files."""
    settings = config.get("arena") or {}
    reviewer = settings.get("reviewer") or {}
    rating = settings.get("rating") or {}
    mode = reviewer.get("mode", "pairwise")
    single = mode == "single"
    mapping = load_category_mapping(rating["category_file"]) if rating.get("category_file") else None
    display = category_function(mapping)
    records = sorted(records, key=lambda r: (r.get("seq", 0), r["id"]))
    rows: list[dict] = []
    answers: dict[str, dict[str, tuple]] = {}
    questions: dict[str, tuple] = {}
    failures = []
    for rec in records:
        rows += review_rows(rec, display)
        questions[str(rec["question_id"])] = (rec["question_id"], rec["category"], rec["question"],
                                              rec["index"])
        for model, turns in rec["answers"].items():
            answers.setdefault(model, {})[str(rec["question_id"])] = turns
        failures += [{"id": rec["id"], "judge": j["judge"], "order": j["order"], "turn": j["turn"],
                      "text": j["response"], "error": j["parse_error"]}
                     for j in rec["judgments"] if j["parse_error"]]
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in rows]
    write_lines(output_dir / REVIEWS, lines)
    if settings.get("review_file"):
        write_lines(Path(settings["review_file"]), lines)
    files = {"reviews": REVIEWS, "answers": {}}
    outputs = settings.get("output_files") or {}
    for model, per in sorted(answers.items()):
        order = sorted(per, key=lambda q: questions[q][3])
        rel = f"arena/answers/{model}.jsonl"
        write_lines(output_dir / rel, answer_lines(model, [(questions[q][0], questions[q][1], per[q])
                                                           for q in order]))
        files["answers"][model] = rel
        if model in outputs:
            write_lines(Path(outputs[model]), evalscope_answer_lines(
                model, [(questions[q][0], questions[q][2][0], questions[q][1], per[q][0]) for q in order]))
    params = RatingParams.from_settings(rating)
    summary = None
    if rows:
        summary = summarize(parse_rows([(r, f"{REVIEWS}:{i + 1}") for i, r in enumerate(rows)], REVIEWS),
                            params, display, rule=reviewer.get("swap_rule"),
                            weighting=reviewer.get("weighting", "none"),
                            strong_weight=rating.get("strong_verdict_weight", 3))
    board = summary["leaderboard"] if summary else {ALL: []}
    if settings.get("rating", {}).get("enable", True) and rating.get("report_file") and summary:
        write_lines(Path(rating["report_file"]), [_report_csv(board[ALL], params.sort_by)])
    block = {
        "mode": mode, "models": settings.get("models") or sorted(answers),
        "baseline_model": rating.get("baseline_model"),
        "judges": _judges(rows, reviewer),
        "position_bias_mitigation": None if single else reviewer.get("position_bias_mitigation"),
        "swap_rule": summary["swap_rule"] if summary else None,
        "dry_run": dry_run,
        "counts": {"units": len(records), "judgments": len(rows), "parse_failures": len(failures),
                   # judgments asked once more (reask_unparsed): one judge's, or a panel's with a member re-asked
                   "reasked": sum(int(j.get("attempts", 1)) > 1 for rec in records for j in rec.get("judgments") or []),
                   **({k: v for k, v in summary["counts"].items() if k in ("battles", "scores")}
                      if summary else {})},
        "leaderboard": board,
        "matrices": summary["matrices"] if summary else None,
        "bias": summary["bias"] if summary else None,
        "agreement": summary["agreement"] if summary else None,
        "panel": panel_agreement(records),  # a panel reviewer: its members' agreement
        "peer": summary["peer"] if summary else None,
        "parse_failures": failures,
        "warnings": [] if dry_run else parse_failure_warnings(  # a dry run's failures are drawn
            len(rows), len(failures), float(rating.get("parse_failure_warn", PARSE_FAILURE_WARN))),
        "notes": (settings.get("notes") or []) + (summary["notes"] if summary else []),
        "files": files,
    }
    n = summary["counts"].get("scores" if single else "battles", 0) if summary else 0
    return benchmark_entry(board[ALL], single, n, len(rows), len(failures)), {"arena": block}
