"""A judged unit as a samples.jsonl record, and a record as review-file rows.

Record (docs/results.md, "Arena and dimension outputs"): the usual ``id``, ``benchmark``
("arena"), ``subset`` (the pair ``a-vs-b``, or the model in single mode), ``index`` (the
question's position in the question file), ``category``, ``scores``, plus ``model_a`` and
``model_b`` (or ``model``), ``question_id``, ``question`` (its turns), ``answers`` ({model:
turns}), ``judgments`` and ``seq`` (the unit's place in EvalScope's battle order).

Review rows are EvalScope's battle.jsonl rows (``model_a`` is the model whose answer the judge
saw first, ``win`` is from that row's point of view, null when the verdict did not parse) plus
benchgate's ``id``, ``judge``, ``order``, ``turn``, ``verdict``, ``judge_output``,
``display_category``, ``template`` and ``parse_error``. Single mode rows have ``model``,
``score`` and ``output`` instead of the pair keys.
"""
from __future__ import annotations

from typing import Any, Callable

from benchgate.arena.battles import combine, flip
from benchgate.arena.judging import UnitOutcome


def unit_scores(judgments: list[dict[str, Any]], single: bool, rule: str) -> dict[str, float]:
    """Per-unit score for the baseline gate: single mode the mean rating; pairwise model_a's
    mean result (1 win, 0.5 tie, 0 loss) over the unit's battles. Empty when nothing parsed."""
    if single:
        ratings = [j["rating"] for j in judgments if j.get("rating") is not None]
        return {"score": sum(ratings) / len(ratings)} if ratings else {}
    matches: dict[tuple, list[tuple[str | None, int]]] = {}
    for j in judgments:
        matches.setdefault((j["judge"], j["turn"]), []).append((j["winner"], j.get("strength") or 1))
    results = [1.0 if w == "model_a" else 0.0 if w == "model_b" else 0.5
               for verdicts in matches.values() for w, _ in combine(verdicts, rule)]
    return {"win_rate": sum(results) / len(results)} if results else {}


def unit_record(outcome: UnitOutcome, module: str, rule: str) -> dict[str, Any]:
    """The samples.jsonl record of a judged unit."""
    unit = outcome.unit
    q = unit.question
    single = unit.model_b is None
    judgments = [j.record() for j in outcome.judgments]
    record: dict[str, Any] = {
        "id": unit.id, "benchmark": "arena", "subset": unit.label, "index": q.position,
        "seq": unit.seq, "category": q.category, "metric": "score" if single else "win_rate",
        "module": module, "question_id": q.raw_id, "question": list(q.turns),
    }
    if single:
        record["model"] = unit.model_a
    else:
        record["model_a"], record["model_b"] = unit.model_a, unit.model_b
    record["answers"] = {m: list(t) for m, t in outcome.answers.items()}
    record["judgments"] = judgments
    record["scores"] = unit_scores(judgments, single, rule)
    record["cached"] = sum(bool(j["cached"]) for j in judgments)
    return record


def review_rows(record: dict[str, Any], display: Callable[[str | None], str]) -> list[dict[str, Any]]:
    """The review-file rows of one unit record (one per judgment)."""
    rows = []
    category = record.get("category")
    for j in record["judgments"]:
        t = j["turn"]
        where = {"anony": True, "tstamp": j["tstamp"], "language": "NA",
                 "question_id": record["question_id"], "category": category,
                 "question": record["question"][t - 1]}
        extra = {"id": record["id"], "judge": j["judge"], "order": j["order"], "turn": t,
                 "verdict": j["verdict"], "judge_output": j["response"],
                 "display_category": display(category), "template": j["template"],
                 "parse_error": j["parse_error"]}
        if "model" in record:
            m = record["model"]
            rows.append({"model": m, "score": j["rating"], **where,
                         "output": record["answers"][m][t - 1], **extra})
            continue
        a, b = record["model_a"], record["model_b"]
        first, second = (b, a) if j["order"] == "ba" else (a, b)
        win = j["winner"]
        if win is not None and j["order"] == "ba":
            win = flip(win)
        rows.append({"model_a": first, "model_b": second, "scores": j["scores"], "win": win,
                     **where, "output_a": record["answers"][first][t - 1],
                     "output_b": record["answers"][second][t - 1], **extra})
    return rows
