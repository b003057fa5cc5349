"""The summary table printed at the end of a run."""
from __future__ import annotations

from typing import Any


def _num(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def summary_lines(benchmarks: dict[str, Any], model_name: str) -> list[str]:
    """One row per benchmark, then per category and per subset (subsets only when few)."""
    rows: list[tuple[str, str, str, str, str]] = []
    errors = []
    for name, entry in benchmarks.items():
        rows.append((name, str(entry.get("metric")), str(entry["n"]), _num(entry["score"]),
                     _num(entry.get("stderr"))))
        if entry.get("error"):  # aggregation failed: no score, the reason below the table
            errors.append(f"{name}: {entry['error']}")
            continue
        for metric, block in entry["metrics"].items():
            if metric != entry["metric"]:
                rows.append((f"  {name}", metric, str(block["n"]), _num(block["score"]),
                             _num(block["stderr"])))
        for label, blocks in (("category", entry.get("categories", {})),
                              ("subset", entry.get("subsets", {}) if len(entry.get("subsets", {})) <= 12 else {})):
            for scope, block in blocks.items():
                if "score" in block:
                    rows.append((f"  {label}: {scope}", entry["metric"], str(block["n"]),
                                 _num(block["score"]), _num(block["stderr"])))
    header = ("benchmark", "metric", "n", "score", "stderr")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    fmt = "  ".join(f"{{:{'<' if i < 2 else '>'}{w}}}" for i, w in enumerate(widths))
    lines = [f"model: {model_name}", fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in rows]
    return lines + errors
