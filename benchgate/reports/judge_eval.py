"""The judge section of the HTML report: for each benchmark of the "Judge" dimension
(pandalm, llmbar; docs/judges.md), the confusion matrix of the judge's verdicts (the original
order's) against the gold from the samples' `_gold`/`_pred` components, accuracy per subset and
per category with the run's 95% CIs, the position and length bias on these labelled pairs, and
the pairs whose verdict did not parse; for a panel judge, its members side by side with the
panel (accuracy, CI, parse failures) and their agreement."""
from __future__ import annotations

from collections import Counter
from typing import Any

LABELS = {0: "tie", 1: "1", 2: "2", -1: "no verdict"}
BIAS_METRICS = ("first_position", "first_position_gold", "longer_preferred", "longer_preferred_gold",
                "agreement", "parse_failure")
ACC_METRICS = ("acc", "acc_original", "acc_swapped", "acc_both")
MAX_LISTED = 500


def _scopes(entry: dict[str, Any], scope: str) -> list[dict[str, Any]]:
    rows = []
    for name, block in sorted((entry.get(scope) or {}).items()):
        metrics = block.get("metrics") or {}
        rows.append({"name": name, "n": block.get("n"),
                     **{m: {"score": metrics[m]["score"], "ci95": metrics[m].get("ci95")}
                        for m in ACC_METRICS if m in metrics},
                     "macro_subsets": block.get("macro_subsets")})
    return rows


def judge_sections(benchmarks: dict[str, Any], samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One section per Judge-dimension benchmark of the run (empty list when none)."""
    out = []
    for name, entry in sorted(benchmarks.items()):
        if entry.get("dimension") != "Judge":
            continue
        rows = [r for r in samples if r.get("benchmark") == name and "_gold" in (r.get("scores") or {})]
        pairs = Counter((int(r["scores"]["_gold"]), int(r["scores"]["_pred"])) for r in rows)
        gold = sorted({g for g, _ in pairs}, key=lambda v: (v < 0, v))
        pred = sorted({p for _, p in pairs} | set(gold), key=lambda v: (v < 0, v))
        failures = [r["id"] for r in rows if (r["scores"].get("parse_failure") or 0) > 0]
        metrics = entry.get("metrics") or {}
        out.append({
            "benchmark": name, "n": len(rows),
            "overall": {"score": (metrics.get("acc") or {}).get("score"), "ci95": (metrics.get("acc") or {}).get("ci95")},
            "confusion": {"gold": [LABELS.get(g, str(g)) for g in gold],
                          "predicted": [LABELS.get(p, str(p)) for p in pred],
                          "counts": [[pairs.get((g, p), 0) for p in pred] for g in gold]},
            "subsets": _scopes(entry, "subsets"), "categories": _scopes(entry, "categories"),
            "bias": {m: {"score": metrics[m]["score"], "ci95": metrics[m].get("ci95")}
                     for m in BIAS_METRICS if m in metrics},
            "corpus": {m: metrics[m]["score"] for m in ("kappa", "macro_f1", "annotator_agreement",
                                                         "annotator_kappa", "parse_failures", "members_fleiss_kappa",
                                                         "members_pairwise_kappa") if m in metrics},
            "members": [{"name": m[len("acc_member_"):], "acc": metrics[m]["score"], "ci95": metrics[m].get("ci95"),
                         "parse_failure": (metrics.get("parse_failure_member_" + m[len("acc_member_"):]) or {}).get("score")}
                        for m in sorted(metrics) if m.startswith("acc_member_")],
            "failures": failures[:MAX_LISTED], "failures_total": len(failures),
        })
    return out
