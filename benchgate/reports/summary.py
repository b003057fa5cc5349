"""GitHub Actions outputs: the markdown step summary and `::error` annotations.

`benchgate report summary RUN_DIR [--baseline OLD] >> $GITHUB_STEP_SUMMARY`: one row per
benchmark (score, 95% CI, the baseline's score, delta, the paired test of the baseline gate and
its verdict, each threshold gate's verdict), under 1 MB whatever the run's size.
`benchgate report annotations RUN_DIR [--baseline OLD]`: at most 10 `::error` lines.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from benchgate.engine.gates import GateOutcome, check_baseline
from benchgate.reports.run_data import read_results, read_samples

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
    if alpha is None:
        alpha = float(results.get("config", {}).get("baseline_alpha") or 0.05)
    outcome = GateOutcome()
    check_baseline(old, current, primary, alpha, outcome)
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
    icon = {"passed": "✅", "failed": "❌"}.get(status, "⚪")
    lines = [f"## benchgate: {icon} {status} — model `{model}`", ""]
    header = ["benchmark", "metric", "n", "score", "95% CI"]
    if baseline:
        header += ["baseline", "Δ", "paired test", "baseline gate"]
    header += ["threshold gates"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, entry in results["benchmarks"].items():
        ci = entry.get("ci95")
        row = [name, entry["metric"], str(entry["n"]), _fmt(entry["score"]),
               f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "–"]
        if baseline:
            old = (base_results or {}).get("benchmarks", {}).get(name)
            old_score = old["score"] if old else None
            delta = entry["score"] - old_score if old_score is not None and entry["score"] is not None else None
            test = comparison.get(name)
            row += [_fmt(old_score), "–" if delta is None else f"{delta:+.4f}"]
            if test:
                row += [f"{test['test']}, p = {test['p_value']:.3g} (n = {test['n_paired']}, "
                        f"{len(test['regressed'])} worse, {test['improved']} better)",
                        "❌ significant drop" if test["significant_drop"] else "✅ no significant drop"]
            else:
                row += ["no paired samples", "–"]
        gates = [f"{'✅' if c['passed'] else '❌'} {c['gate']} {c['direction']} {c['threshold']:g} "
                 f"({c['score']:.4f})" for c in checks.get(name, [])]
        row.append("<br>".join(gates) or "–")
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    failures = failure_messages(results, comparison)
    if failures:
        lines += ["", f"### {len(failures)} failure(s)", ""]
        lines += [f"- {_cell(f)}" for f in failures[:50]]
        if len(failures) > 50:
            lines.append(f"- … and {len(failures) - 50} more (results.json)")
    errors = results.get("errors") or []
    if errors:
        lines += ["", f"### {len(errors)} sample error(s)", ""]
        lines += [f"- `{e['id']}`: {_cell(e['message'][:300])}" for e in errors[:20]]
        if len(errors) > 20:
            lines.append(f"- … and {len(errors) - 20} more (results.json)")
    regressed = {name: t["regressed"] for name, t in comparison.items() if t["regressed"]}
    if regressed:
        lines += ["", "<details><summary>samples that got worse against the baseline</summary>", ""]
        for name, ids in regressed.items():
            shown = ", ".join(f"`{i}`" for i in ids[:20])
            lines.append(f"- **{name}** ({len(ids)}): {shown}" + (" …" if len(ids) > 20 else ""))
        lines += ["", "</details>"]
    text = "\n".join(lines) + "\n"
    return _cap(text)


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
        if test["significant_drop"] and not any(f.startswith(f"baseline {name}:") for f in out):
            out.append(f"baseline {name}: {test['metric']} dropped {test['baseline']:.4f} -> "
                       f"{test['current']:.4f} ({test['test']}, p = {test['p_value']:.3g} < "
                       f"{test['alpha']}); {len(test['regressed'])} sample(s) regressed")
    if results.get("errors"):
        out.append(f"{len(results['errors'])} sample(s) failed with errors, first: "
                   f"{results['errors'][0]['id']}: {results['errors'][0]['message'][:200]}")
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
