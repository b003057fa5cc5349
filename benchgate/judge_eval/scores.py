"""Per-pair scores and corpus metrics of the judge benchmarks (pandalm, llmbar).

A pair's scores carry components (keys starting with "_", read by `corpus_metrics`):
``_gold`` and ``_pred`` (labels 0 tie, 1, 2; -1 a parse failure) for PandaLM's macro
metrics and Cohen's kappa, ``_a1``..``_a3`` the annotators' labels for their agreement.
"""
from __future__ import annotations

from typing import Sequence

from benchgate.metrics.agreement import classification_report, cohen_kappa, fleiss_kappa, pairwise_agreement

PANDALM_CLASSES = (0, 1, 2)
POSITION_LABEL = {"A": 1, "B": 2, "tie": 0}
FAILED = -1


def pandalm_corpus(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """Macro precision/recall/F1 over {tie, 1, 2} (compute_metrics.py), Cohen's kappa of the
    judge against the gold, the parse-failure count, and the annotators' own agreement
    (mean pairwise agreement and Fleiss' kappa), the ceiling a judge can be held to."""
    rows = [s for s in scores if "_gold" in s]
    if not rows:
        return {}
    gold = [int(s["_gold"]) for s in rows]
    pred = [int(s["_pred"]) for s in rows]
    report = classification_report(gold, pred, PANDALM_CLASSES)
    out = {k: v for k, v in report.items() if k != "acc"}
    kappa = cohen_kappa(gold, pred)
    if kappa is not None:
        out["kappa"] = kappa
    out["parse_failures"] = float(sum(p == FAILED for p in pred))
    annotators = [[int(s["_a1"]), int(s["_a2"]), int(s["_a3"])] for s in rows]
    out["annotator_agreement"] = pairwise_agreement(annotators)
    fleiss = fleiss_kappa(annotators)
    if fleiss is not None:
        out["annotator_kappa"] = fleiss
    return out


def llmbar_pair_scores(gold: int, first: int | None, second: int | None, first_positions: list[str | None],
                       longer: int | None) -> dict[str, float]:
    """LLMBar's statistics for one pair: `first` is the output (1, 2; 0 a tie, None no verdict) the judge chose
    with the outputs in the original order, `second` with them swapped (None: one order only).
    acc_original = correct_False, acc_swapped = correct_True, acc = their mean
    (correct_average), acc_both = correct_both, agreement = equal (two failures count as
    equal, as the authors' script does). first_position: share of parsed verdicts that chose
    the output shown first; longer_preferred: share that chose the longer output (`longer`;
    None: equal lengths, no value)."""
    parsed = [p for p in first_positions if p is not None]
    picks = [w for w in (first, second) if w]  # outputs chosen (ties and failures left out)
    scores = {"parse_failure": sum(p is None for p in first_positions) / len(first_positions),
              "_gold": float(gold), "_pred": float(FAILED if first is None else first)}
    if parsed:
        scores["first_position"] = sum(p == "A" for p in parsed) / len(parsed)
    if picks and longer is not None:
        scores["longer_preferred"] = sum(w == longer for w in picks) / len(picks)

    ok_first = first == gold
    if len(first_positions) == 1:
        scores["acc"] = float(ok_first)
        return scores
    ok_second = second == gold
    scores.update({"acc": (ok_first + ok_second) / 2, "acc_original": float(ok_first),
                   "acc_swapped": float(ok_second), "acc_both": float(ok_first and ok_second),
                   "agreement": float(first == second)})
    return scores


def llmbar_corpus(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """Parse failures (count of unreadable verdicts) and Cohen's kappa of the original-order
    verdicts against the gold (parse failures as their own label)."""
    rows = [s for s in scores if "_gold" in s]
    if not rows:
        return {}
    orders = 2 if "acc_original" in rows[0] else 1
    out = {"parse_failures": float(round(sum(s["parse_failure"] * orders for s in rows)))}
    kappa = cohen_kappa([int(s["_gold"]) for s in rows], [int(s["_pred"]) for s in rows])
    if kappa is not None:
        out["kappa"] = kappa
    return out
