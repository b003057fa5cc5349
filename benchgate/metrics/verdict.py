"""A sample's verdict (right / wrong / partial / error) from its record, shared by the Allure
results, the HTML report's sample filter and the run comparison."""
from __future__ import annotations

from typing import Any

RIGHT, WRONG, PARTIAL, ERROR = "right", "wrong", "partial", "error"


def verdict_metric(record: dict[str, Any]) -> str | None:
    """The metric a sample's verdict is read from: the benchmark's primary metric, or, when the
    sample does not score it (XSTest's unsafe prompts score compliance_rate, its safe ones the
    primary refusal_rate), the sample's only public score."""
    scores = record.get("scores") or {}
    if record.get("metric") in scores:
        return record["metric"]
    public = [k for k in scores if not k.startswith("_")]
    return public[0] if len(public) == 1 else None


def primary_score(record: dict[str, Any]) -> float | None:
    """The record's verdict score (`verdict_metric`), or None (dry run, error, corpus-only
    metric)."""
    metric = verdict_metric(record)
    if metric is None:
        return None
    value = record["scores"][metric]
    return None if value is None else float(value)


def verdict(record: dict[str, Any]) -> str | None:
    """right: the best value of a 0/1 primary metric (1, or 0 when lower is better); wrong:
    the worst; partial: any other value (BLEU, F1, mc2); None: nothing scored."""
    value = primary_score(record)
    if value is None:
        return None
    lower = verdict_metric(record) in (record.get("lower_is_better") or ())
    if value in (0.0, 1.0):
        return RIGHT if (value == 1.0) != lower else WRONG
    return PARTIAL


def is_binary(records) -> bool:
    """True when every scored record's primary score is 0 or 1 (accuracy-like metrics)."""
    seen = False
    for record in records:
        value = primary_score(record)
        if value is None:
            continue
        seen = True
        if value not in (0.0, 1.0):
            return False
    return seen
