"""Applying a benchmark's dynamic variant to the samples of a run (the engine calls
`apply_variant` after `--limit`), and the share of items kept."""
from __future__ import annotations

import random
import re
from collections import Counter

from benchgate.benchmark import Benchmark, RunContext, Sample

KEPT_KEY = "variant_kept"  # ctx.args key (results.json config.effective_dataset_args) of the shares


class Dropped(ValueError):
    """An item a variant cannot rewrite safely; the message says why. The item is left out of
    the variant run and counted in its `variant_kept`."""


def variant_tag(variant: str, seed: int) -> str:
    """What a variant sample's id carries after `~`: "numbers-7"."""
    return f"{variant}-{seed}"


def variant_rng(variant: str, seed: int, sample_id: str) -> random.Random:
    """The random source of one item's variant: the same (variant, seed, original id) always
    gives the same draw, whatever else the run selects."""
    return random.Random(f"variant/{variant}/{seed}/{sample_id}")


def apply_variant(bench: Benchmark, ctx: RunContext, subset: str, samples: list[Sample]) -> list[Sample]:
    """The samples of a subset as the run's variant (`variant` dataset arg; unchanged without
    one): each item rewritten by `bench.variant_of`, its id carrying the variant, items the
    variant cannot rewrite left out. Malformed rows stay (their test fails with their error).
    Records {"kept", "total", "share", "dropped": {reason: count}} under
    ctx.args["variant_kept"][subset]."""
    name = ctx.args.get("variant")
    if not name:
        return samples
    seed = int(ctx.args.get("variant_seed") or 0)
    out: list[Sample] = []
    reasons: Counter = Counter()
    for sample in samples:
        if sample.error:
            out.append(sample)
            continue
        try:
            variant = bench.variant_of(ctx, sample, name, variant_rng(name, seed, sample.id))
        except Dropped as e:
            reasons[_reason(str(e))] += 1
            continue
        variant.variant = variant_tag(name, seed)
        out.append(variant)
    total = sum(1 for s in samples if not s.error)
    kept = total - sum(reasons.values())
    ctx.args.setdefault(KEPT_KEY, {})[subset] = {
        "kept": kept, "total": total, "share": kept / total if total else None,
        "dropped": dict(reasons.most_common())}
    return out


def _reason(message: str) -> str:
    """A drop reason without the item's own numbers, so reasons add up across items."""
    return re.sub(r"""<<[^>]*>>|'[^']*'|"[^"]*"|-?\d[\d,.]*""", "N", message)
