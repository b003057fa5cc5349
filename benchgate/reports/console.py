"""The summary table printed at the end of a run."""
from __future__ import annotations

from typing import Any

import pytest

LOWER = "lower"  # the "better" column for metrics where lower is better (attack success, over-refusal)


def _num(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def _better(metric: str, lower: tuple | list) -> str:
    return LOWER if metric in lower else "higher"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], left: int) -> list[str]:
    """Rows under a header; the first `left` columns left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'<' if i < left else '>'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*header), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows]


MAX_IDS = 20  # sample ids listed per parse-failure metric under the table


def summary_lines(benchmarks: dict[str, Any], model_name: str, dimensions: dict[str, Any] | None = None,
                  skipped: list[dict[str, Any]] | None = None) -> list[str]:
    """One row per benchmark, then per category and per subset (subsets only when few); the
    `better` column says the direction of each metric. Then one row per evaluation dimension
    and benchmark in it, and the subsets that were skipped with the reason. Only names and
    numbers are printed, never a prompt or a response (harmful test prompts stay out of logs)."""
    rows: list[tuple[str, ...]] = []
    errors = []
    for name, entry in benchmarks.items():
        lower = entry.get("lower_is_better", ())
        metric = str(entry.get("metric"))
        rows.append((name, metric, _better(metric, lower), str(entry["n"]),
                     _num(entry["score"]), _num(entry.get("stderr"))))
        if entry.get("error"):  # aggregation failed: no score, the reason below the table
            errors.append(f"{name}: {entry['error']}")
            continue
        if entry.get("score_missing"):  # e.g. a judge that never gave a parseable verdict
            errors.append(f"{name}: no score: {entry['score_missing']}")
            for metric, ids in entry.get("parse_failures", {}).items():
                shown = ", ".join(ids[:MAX_IDS]) + (f", ... ({len(ids) - MAX_IDS} more in results.json)"
                                                    if len(ids) > MAX_IDS else "")
                errors.append(f"  {metric}: {shown}")
        for metric, block in entry["metrics"].items():
            if metric != entry["metric"]:
                rows.append((f"  {name}", metric, _better(metric, lower), str(block["n"]),
                             _num(block["score"]), _num(block["stderr"])))
        for label, blocks in (("category", entry.get("categories", {})),
                              ("subset", entry.get("subsets", {}) if len(entry.get("subsets", {})) <= 12 else {})):
            for scope, block in blocks.items():
                # a scope without the primary metric (xstest's unsafe prompts) shows its first metric
                metric = entry["metric"] if entry["metric"] in block.get("metrics", {}) \
                    else next(iter(block.get("metrics", {})), entry["metric"])
                shown = block.get("metrics", {}).get(metric, block)
                if "score" in shown:
                    rows.append((f"  {label}: {scope}", metric, _better(metric, lower), str(shown["n"]),
                                 _num(shown["score"]), _num(shown["stderr"])))
    lines = [f"model: {model_name}"]
    if rows:
        lines += _table(("benchmark", "metric", "better", "n", "score", "stderr"), rows, left=3)
    if dimensions:
        drows = []
        for dimension, block in dimensions.items():
            drows.append((dimension, "(mean, higher is better)", "", str(block["n"]), _num(block["score"])))
            for name, b in block["benchmarks"].items():  # its "behaves well" score and formula
                own = b.get("dimension_score", b.get("oriented_score"))
                drows.append((f"  {name}", b.get("formula") or b["metric"], "higher", "", _num(own)))
        lines += [""] + _table(("dimension", "metric", "better", "n", "score"), drows, left=3)
    for s in skipped or []:
        lines.append(f"skipped: {s['benchmark']}/{s['subset']} ({s['n']} samples): {s['reason']}")
    return lines + errors


def contamination_lines(results: dict[str, Any]) -> list[str]:
    """With --contamination-corpus: per benchmark, the score of the clean and of the flagged
    samples, their 95% CIs, the difference and its test (engine/contamination.py)."""
    block = results.get("contamination")
    if not block:
        return []
    if block.get("error"):
        return [f"contamination check failed: {block['error']}"]
    rows = []
    for name, entry in results["benchmarks"].items():
        c = entry.get("contamination")
        if not c or "clean" not in c:
            continue
        ci = [f"[{_num(s['ci95'][0])}, {_num(s['ci95'][1])}]" if s.get("ci95") else "-"
              for s in (c["clean"], c["flagged"])]
        rows.append((name, str(c["metric"]), _num(c["clean"]["score"]), ci[0], str(c["clean"]["n"]),
                     _num(c["flagged"]["score"]), ci[1], str(c["flagged"]["n"]),
                     "-" if c["difference"] is None else f"{c['difference']:+.4f}", c["test"] or "-",
                     "-" if c["p_value"] is None else f"{c['p_value']:.3g}"))
    files = len(block.get("corpus", {}).get("files", []))
    lines = ["", f"contamination: {block['n']}-gram overlap with {files} corpus file(s) ({block['report']})"]
    if rows:
        lines += _table(("benchmark", "metric", "clean", "95% CI", "n", "flagged", "95% CI", "n",
                         "flagged-clean", "test", "p"), rows, left=2)
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_benchgate_summary(results: dict, terminalreporter) -> None:
    """The scores table, first under the "benchgate summary" line (registered by the plugin)."""
    for line in summary_lines(results["benchmarks"], str(results["model"]["name"]),
                              dimensions=results.get("dimensions"), skipped=results.get("skipped")):
        terminalreporter.write_line(line)
    for line in contamination_lines(results):
        terminalreporter.write_line(line)
