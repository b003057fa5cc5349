"""GitHub Actions outputs: the markdown step summary and `::error` annotations.

`benchgate report summary RUN_DIR [--baseline OLD] >> $GITHUB_STEP_SUMMARY`: one row per
benchmark (score, 95% CI, the baseline's score, delta, the paired test of the baseline gate and
its verdict, each threshold gate's verdict); for a variant run against its original run the
contamination gap (benchgate.variants.gap); the evaluation dimensions (with the baseline's);
an arena run's leaderboard, counts (parse failures included) and gates; then failures, sample
errors, failed requirements of hand-written evals and skipped subsets. Under 1 MB whatever
the run's size.
`benchgate report annotations RUN_DIR [--baseline OLD]`: at most 10 `::error` lines.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from benchgate.engine.gates import GateOutcome, check_baseline
from benchgate.reports.run_data import read_results, read_samples
from benchgate.variants.gap import gap_message

MAX_BYTES = 1_000_000  # GitHub rejects a step summary over 1 MiB
MAX_ANNOTATIONS = 10  # GitHub shows at most 10 error annotations per step


def baseline_comparison(run: Path, baseline: Path, alpha: float | None = None) -> dict[str, Any]:
    """Per benchmark, the baseline gate's paired test of RUN against BASELINE (same code as
    `--baseline`): {bench: {metric, test, n_paired, baseline, current, effect, p_value, alpha,
    significant_drop, regressed, improved}}."""
    results = read_results(run)
    current = {r["id"]: r["scores"] for r in read_samples(run) if r.get("scores") is not None}
    old = {r["id"]: r["scores"] for r in read_samples(baseline) if r.get("scores") is not None}
    primary = {name: entry["metric"] for name, entry in results["benchmarks"].items()}
    # lower-is-better metrics (attack success, over-refusal): a rise is the regression
    lower = {name: list(entry.get("lower_is_better") or []) for name, entry in results["benchmarks"].items()}
    if alpha is None:
        alpha = float(results.get("config", {}).get("baseline_alpha") or 0.05)
    outcome = GateOutcome()
    check_baseline(old, current, primary, alpha, outcome, lower)
    return outcome.regressions


def _fmt(value: Any, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary_markdown(run: Path, baseline: Path | None = None, alpha: float | None = None) -> str:
    """The step-summary markdown (< 1 MB)."""
    results = read_results(run)
    base_results = read_results(baseline) if baseline else None
    comparison = baseline_comparison(run, baseline, alpha) if baseline else {}
    checks: dict[str, list[dict]] = {}
    for check in (results.get("gates") or {}).get("checks", []):
        checks.setdefault(check["gate"].split("/")[0].split(":")[0], []).append(check)
    model = results.get("model", {}).get("name")
    status = results.get("status")
    icon = {"passed": "✓", "failed": "✗"}.get(status, "–")  # marks that need no emoji font
    lines = [f"## benchgate: {icon} {status} — model `{model}`", ""]
    arena = results.get("arena")
    names = [n for n in results["benchmarks"] if not (arena and n == "arena")]  # own section
    header = ["benchmark", "metric", "n", "score", "95% CI"]
    if baseline:
        header += ["baseline", "Δ", "paired test", "baseline gate"]
    header += ["threshold gates"]
    if names:
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        entry = results["benchmarks"][name]
        ci = entry.get("ci95")
        lower = entry["metric"] in (entry.get("lower_is_better") or ())
        row = [name, entry["metric"] + (" (lower is better)" if lower else ""), str(entry["n"]),
               _fmt(entry["score"]), f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "–"]
        if baseline:
            old = (base_results or {}).get("benchmarks", {}).get(name)
            old_score = old["score"] if old else None
            delta = entry["score"] - old_score if old_score is not None and entry["score"] is not None else None
            row += [_fmt(old_score), "–" if delta is None else f"{delta:+.4f}", *_paired(comparison.get(name))]
        row.append(_gates(checks.get(name, [])))
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    gaps = {name: t["contamination_gap"] for name, t in comparison.items() if t.get("contamination_gap")}
    if gaps:
        lines += ["", *_gap_lines(gaps)]
    if results.get("dimensions"):
        lines += ["", *_dimension_lines(results["dimensions"],
                                        (base_results or {}).get("dimensions") if baseline else None)]
    if arena:
        lines += ["", *_arena_lines(arena, checks.get("arena", []),
                                    comparison.get("arena") if baseline else None, bool(baseline))]
    failures = failure_messages(results, comparison)
    lines += _capped(f"{len(failures)} failure(s)", failures, 50, lambda f: f"- {_cell(f)}")
    errors = results.get("errors") or []
    lines += _capped(f"{len(errors)} sample error(s)", errors, 20,
                     lambda e: f"- `{e['id']}`: {_cell(e['message'][:300])}")
    failed = results.get("failed_requirements") or []
    lines += _capped(f"{len(failed)} failed requirement(s) (an assert in a hand-written eval)", failed, 20,
                     lambda e: f"- `{e['id']}`: {_cell(str(e.get('message', ''))[:300])}")
    skipped = results.get("skipped") or []
    lines += _capped(f"{len(skipped)} subset(s) not scored in this run (never counted as 0)", skipped, 20,
                     lambda s: f"- {s.get('benchmark')}/{s.get('subset')} ({s.get('n')} samples): "
                               f"{_cell(str(s.get('reason', '')))}")
    regressed = {name: t["regressed"] for name, t in comparison.items() if t["regressed"]}
    if regressed:
        lines += ["", "<details><summary>samples that got worse against the baseline</summary>", ""]
        for name, ids in regressed.items():
            shown = ", ".join(f"`{i}`" for i in ids[:20])
            lines.append(f"- **{name}** ({len(ids)}): {shown}" + (" …" if len(ids) > 20 else ""))
        lines += ["", "</details>"]
    text = "\n".join(lines) + "\n"
    return _cap(text)


def _paired(test: dict | None) -> list[str]:
    """The paired-test and baseline-gate cells of a row."""
    if not test:
        return ["no paired samples", "–"]
    if test.get("contamination_gap"):
        verdict = ("✗ significant contamination gap" if test["significant_drop"]
                   else "✓ no significant contamination gap")
    else:
        verdict = "✗ significant drop" if test["significant_drop"] else "✓ no significant drop"
    return [f"{test['test']}, p = {test['p_value']:.3g} (n = {test['n_paired']}, "
            f"{len(test['regressed'])} worse, {test['improved']} better)", verdict]


def _gap_lines(gaps: dict[str, dict]) -> list[str]:
    """The contamination gap of each variant benchmark against its original run."""
    header = ["benchmark", "variant", "metric", "original", "variant score", "contamination gap",
              "95% CI", "paired test", "verdict"]
    out = ["### Contamination gap (variant run against the original run)", "",
           "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, g in gaps.items():
        row = [name, g["variant"], g["metric"], _fmt(g["original"]), _fmt(g["variant_score"]),
               f"{g['gap']:+.4f}", f"[{g['ci95'][0]:+.4f}, {g['ci95'][1]:+.4f}]",
               f"{g['test']}, p = {g['p_value']:.3g} (n = {g['n_paired']})",
               f"✗ flagged (significant at {g['alpha']})" if g["flagged"] else f"✓ not flagged (α = {g['alpha']})"]
        out.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return out


def _gates(checks: list[dict]) -> str:
    return "<br>".join(f"{'✓' if c['passed'] else '✗'} {c['gate']} {c['direction']} {c['threshold']:g} "
                       f"({_fmt(c.get('score'))})" for c in checks) or "–"


def _dimension_lines(dims: dict, base: dict | None) -> list[str]:
    """One row per evaluation dimension: its score (higher is better) and its members."""
    header = ["dimension", "score (higher is better)"] + (["baseline", "Δ"] if base is not None else []) + ["benchmarks"]
    out = ["### Evaluation dimensions", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, d in dims.items():
        members = ", ".join(f"{b} {_fmt(m.get('dimension_score', m.get('oriented_score')))}"
                            + (f" = {m['formula']}" if m.get("formula") else "")
                            for b, m in (d.get("benchmarks") or {}).items())
        row = [name, _fmt(d.get("score"))]
        if base is not None:
            old = (base.get(name) or {}).get("score")
            row += [_fmt(old), "–" if old is None or d.get("score") is None else f"{d['score'] - old:+.4f}"]
        out.append("| " + " | ".join(_cell(c) for c in row + [members]) + " |")
    return out


def _capped(title: str, items: list, limit: int, line) -> list[str]:
    """A `### title` section listing the first `limit` items (none: no section)."""
    if not items:
        return []
    out = ["", f"### {title}", "", *(line(x) for x in items[:limit])]
    if len(items) > limit:
        out.append(f"- … and {len(items) - limit} more (results.json)")
    return out


def _arena_lines(arena: dict, checks: list[dict], test: dict | None, with_baseline: bool) -> list[str]:
    """The arena's overall leaderboard, its counts and its gates."""
    single = arena.get("mode") == "single"
    counts = arena.get("counts") or {}
    judges = ", ".join(j.get("name", "?") for j in arena.get("judges") or []) or "–"
    out = [f"### Arena ({arena.get('mode')}{', dry run: no judge called' if arena.get('dry_run') else ''})", "",
           f"judges: {judges}; {counts.get('units', 0)} units, {counts.get('judgments', 0)} judgments, "
           + (f"{counts.get('scores', 0)} ratings" if single else f"{counts.get('battles', 0)} battles")
           + f", **{counts.get('parse_failures', 0)} parse failure(s)** (left out of every rating)"
           + (f"; baseline {arena['baseline_model']}" if arena.get("baseline_model") else ""), ""]
    rows = (arena.get("leaderboard") or {}).get("*") or []
    if single:
        header = ["model", "mean rating", "95% CI", "ratings"]
    else:
        header = ["model", "Elo", "Bradley-Terry", "BT 95% CI", "W / L / T", "adjusted win rate"]
        if arena.get("baseline_model"):
            header += ["win rate vs baseline", "95% CI"]
    out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        if single:
            cells = [r["model"], _fmt(r.get("score"), 2), _range(r.get("score_ci95"), 2), str(r.get("battles"))]
        else:
            cells = [r["model"] + (" (baseline)" if r.get("is_baseline") else ""), _fmt(r.get("elo"), 1),
                     _fmt(r.get("bt_rating"), 1), _range(r.get("bt_ci95"), 1),
                     f"{r.get('win')} / {r.get('loss')} / {r.get('tie')}", _fmt(r.get("win_rate_adjusted"), 3)]
            if arena.get("baseline_model"):
                cells += [_fmt(r.get("win_rate_ties_half"), 3), _range(r.get("win_rate_ties_half_ci95"), 3)]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if checks:
        out += ["", "gates: " + _gates(checks).replace("<br>", "; ")]
    if with_baseline:
        paired = _paired(test)
        out += ["", f"against the baseline run (per-unit scores): {paired[0]}, {paired[1]}"]
    for note in arena.get("notes") or []:
        out.append(f"\nnote: {_cell(note)}")
    return out


def _range(ci: list | None, digits: int) -> str:
    return f"[{_fmt(ci[0], digits)}, {_fmt(ci[1], digits)}]" if ci and ci[0] is not None else "–"


def _cap(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= MAX_BYTES:
        return text
    note = "\n\n… summary cut at 1 MB (GitHub's limit); see results.json\n"
    return data[:MAX_BYTES - len(note.encode())].decode("utf-8", "ignore") + note


def failure_messages(results: dict, comparison: dict | None = None) -> list[str]:
    """Gate failures of the run; with a comparison, its significant drops (the baseline gate's
    message), without duplicates."""
    out = list((results.get("gates") or {}).get("failures") or [])
    for name, test in (comparison or {}).items():
        gap = test.get("contamination_gap")
        if gap and test["significant_drop"]:
            if not any(f.startswith(f"contamination gap {name} ") for f in out):
                out.append(gap_message(name, gap))
            continue
        if test["significant_drop"] and not any(f.startswith(f"baseline {name}:") for f in out):
            moved = "rose" if test.get("lower_is_better") else "dropped"
            out.append(f"baseline {name}: {test['metric']} {moved} {test['baseline']:.4f} -> "
                       f"{test['current']:.4f}{' (lower is better)' if test.get('lower_is_better') else ''} "
                       f"({test['test']}, p = {test['p_value']:.3g} < "
                       f"{test['alpha']}); {len(test['regressed'])} sample(s) regressed")
    if results.get("errors"):
        out.append(f"{len(results['errors'])} sample(s) failed with errors, first: "
                   f"{results['errors'][0]['id']}: {results['errors'][0]['message'][:200]}")
    failed = results.get("failed_requirements") or []
    if failed:
        out.append(f"{len(failed)} sample(s) failed a requirement (an assert), first: "
                   f"{failed[0]['id']}: {str(failed[0].get('message', ''))[:200]}")
    return out


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(run: Path, baseline: Path | None = None, alpha: float | None = None,
                limit: int = MAX_ANNOTATIONS) -> list[str]:
    """`::error` workflow commands for the failed gates, at most `limit` (the last one says
    how many more there are)."""
    results = read_results(run)
    comparison = baseline_comparison(run, baseline, alpha) if baseline else {}
    failures = failure_messages(results, comparison)
    if len(failures) > limit:
        failures = failures[:limit - 1] + [f"… and {len(failures) - limit + 1} more failure(s): "
                                           f"see the job summary and results.json"]
    return [f"::error title={_escape_property('benchgate gate')}::{_escape_data(f)}" for f in failures]
