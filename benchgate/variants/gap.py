"""The contamination gap: how much better a model does on a benchmark's original items than on a
dynamic variant of the same items, paired item by item.

A variant sample's id is its original's id plus `~<variant>` (`gsm8k/main/3~numbers-7`);
`benchgate.samples.pair_key` strips it, so a variant run's samples pair with an original run's.
For each benchmark whose samples in the current run carry a variant and whose baseline's do
not: gap = mean(original) - mean(variant) over the paired items (positive: the variant is
harder), its 95% CI (paired bootstrap percentile interval over items, 10,000 resamples, seed 0)
and a one-sided paired test that the variant scores lower (McNemar's exact test when every
score is 0 or 1, the paired bootstrap otherwise: `benchgate.metrics.significance.paired_test`).
The gap is flagged when that test is significant at the run's alpha.
"""
from __future__ import annotations

from typing import Mapping

from benchgate.metrics.significance import paired_bootstrap, paired_test
from benchgate.samples import pair_key, variant_of_id

GAP_METRIC = "variant_gap"  # results.json metric of a variant run compared with its original
N_BOOT = 10_000


def paired_gap(original: list[float], variant: list[float], alpha: float = 0.05) -> dict:
    """The contamination gap of paired per-item scores (same order): gap, ci95, test, p_value,
    n_paired, original and variant means, flagged (significant at alpha and positive)."""
    test = paired_test(original, variant, alternative="less")
    boot = paired_bootstrap(original, variant, n_boot=N_BOOT, seed=0, alternative="less")
    gap = -test.effect + 0.0  # + 0.0: no "-0.0000" for no gap
    return {"gap": gap, "ci95": [-boot.details["ci_high"] + 0.0, -boot.details["ci_low"] + 0.0],
            "stderr": boot.details["stderr"],
            "test": test.test, "p_value": test.p_value, "alpha": alpha, "n_paired": test.n,
            "original": sum(original) / len(original), "variant_score": sum(variant) / len(variant),
            "flagged": bool(test.p_value < alpha and gap > 0)}


def contamination_gaps(baseline: Mapping[str, Mapping[str, float]], current: Mapping[str, Mapping[str, float]],
                       primary: Mapping[str, str], alpha: float = 0.05) -> dict[str, dict]:
    """Per benchmark of the current run that is a variant run (its sample ids carry a variant)
    against an original baseline (ids without one): the paired gap of its primary metric, with
    the variant's name and the ids of the items the variant lost (right on the original, wrong
    on the variant). Benchmarks with no paired item are left out."""
    original = {i: s for i, s in baseline.items() if not variant_of_id(i)}
    out: dict[str, dict] = {}
    for bench, metric in sorted(primary.items()):
        ids = sorted(i for i in current if i.split("/", 1)[0] == bench and variant_of_id(i)
                     and metric in current[i] and metric in original.get(pair_key(i), {}))
        if not ids:
            continue
        old = [float(original[pair_key(i)][metric]) for i in ids]
        new = [float(current[i][metric]) for i in ids]
        gap = paired_gap(old, new, alpha)
        variants = sorted({variant_of_id(i) for i in ids})
        out[bench] = {"metric": metric, "variant": ", ".join(variants), **gap,
                      "lost": [i for i, o, n in zip(ids, old, new) if n < o],
                      "gained": sum(1 for o, n in zip(old, new) if n > o)}
    return out


def gap_message(bench: str, gap: Mapping) -> str:
    """One line saying the gap in words, for the console, the summary and the gates."""
    lo, hi = gap["ci95"]
    return (f"contamination gap {bench} (variant {gap['variant']}): {gap['metric']} "
            f"{gap['original']:.4f} on the original -> {gap['variant_score']:.4f} on the variant, "
            f"gap {gap['gap']:+.4f} [95% CI {lo:+.4f}, {hi:+.4f}], n = {gap['n_paired']} paired, "
            f"{gap['test']} p = {gap['p_value']:.3g}"
            + (f" < {gap['alpha']}: flagged" if gap["flagged"] else f" (not significant at {gap['alpha']})"))
