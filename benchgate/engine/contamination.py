"""`--contamination-corpus` in a run: the n-gram check over the samples that ran, and every
benchmark's score split into clean and flagged samples (benchgate.contamination.split),
written into results.json and, in full, to contamination.json beside it."""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Callable

from benchgate.benchmark import Benchmark
from benchgate.contamination.ngram import check, flagged_ids
from benchgate.contamination.samples import context, sample_texts
from benchgate.contamination.split import split_scores
from benchgate.engine.options import RunOptions
from benchgate.engine.recorder import Recorder, write_atomic

REPORT = "contamination.json"


def split_benchmarks(benchmarks: dict[str, Any], recorder: Recorder, options: RunOptions,
                     benchmark_of: Callable[[str], Benchmark | None]) -> dict[str, Any]:
    """Add `contamination` (clean and flagged scores of the primary metric, their CIs, the
    test of the difference, the flagged ids) to each benchmark entry that has per-sample
    scores; return the top-level `contamination` block of results.json. A benchmark without a
    definition (a hand-written eval) or without texts gets the reason instead."""
    args = options.contamination_args
    ids: dict[str, set[str]] = {}
    for sid in recorder.scores:
        ids.setdefault(sid.split("/", 1)[0], set()).add(sid)
    sources = []
    for name, entry in benchmarks.items():
        if name in recorder.custom or entry.get("error") or name not in ids:
            continue
        bench = benchmark_of(name)
        if bench is None:
            entry["contamination"] = {"not_checked": "no benchmark definition (a hand-written eval): no texts to check"}
            continue
        ctx = context(bench, options.dataset_dirs, options.dataset_hub, options.dataset_args.get(name),
                      options.seed)
        sources.append(sample_texts(bench, ctx, ids[name]))
    report = check(itertools.chain(*sources), list(options.contamination_corpus), n=args["n"],
                   min_words=args["min_words"], max_shared=args["max_shared"], workers=args["workers"],
                   text_fields=tuple(args["text_field"]))
    path = Path(options.output_dir) / REPORT
    write_atomic(path, lambda f: f.write(json.dumps(report, indent=1, ensure_ascii=False) + "\n"))
    apply_split(benchmarks, recorder, flagged_ids(report), options.baseline_alpha,
                {name: entry for name, entry in report["benchmarks"].items()})
    return {"corpus": report["corpus"], "n": report["n"], "min_words": report["min_words"],
            "max_shared": report["max_shared"], "rule": report["rule"], "report": str(path),
            "timings": report["timings"]}


def apply_split(benchmarks: dict[str, Any], recorder: Recorder, flagged: set[str], alpha: float,
                checked: dict[str, dict]) -> None:
    """Set each checked benchmark's `contamination` entry from the flagged sample ids and the
    recorded scores of its primary metric (`checked`: per benchmark, its texts `checked` and
    `too_short` per part)."""
    ids: dict[str, list[str]] = {}
    for sid in sorted(recorder.scores):
        ids.setdefault(sid.split("/", 1)[0], []).append(sid)
    for name, counts in checked.items():
        if name not in benchmarks:
            continue
        metric = recorder.primary.get(name)
        clean, dirty = [], []
        for sid in ids.get(name, ()):
            value = recorder.scores[sid].get(metric)
            if value is not None:
                (dirty if sid in flagged else clean).append(float(value))
        benchmarks[name]["contamination"] = {
            "metric": metric, **split_scores(clean, dirty, alpha),
            "flagged_ids": [sid for sid in ids.get(name, ()) if sid in flagged],
            "checked": counts.get("checked", {}), "too_short": counts.get("too_short", {})}


def merged_split(shards: list[dict[str, Any]], recorder: Recorder, alpha: float):
    """For `benchgate merge`: the split of the merged scores from the shards' own checks (the
    union of their flagged ids; each shard checked its own samples), or None when a shard has
    no check or a failed one."""
    blocks = [r.get("contamination") for r in shards]
    if not all(b and not b.get("error") for b in blocks):
        return None
    flagged: set[str] = set()
    checked: dict[str, dict] = {}
    for results in shards:
        for name, entry in (results.get("benchmarks") or {}).items():
            c = entry.get("contamination") or {}
            if "flagged_ids" not in c:
                continue
            flagged.update(c["flagged_ids"])
            into = checked.setdefault(name, {"checked": {}, "too_short": {}})
            for key in ("checked", "too_short"):
                for part, count in (c.get(key) or {}).items():
                    into[key][part] = into[key].get(part, 0) + count

    def split(benchmarks: dict[str, Any]) -> dict[str, Any]:
        apply_split(benchmarks, recorder, flagged, alpha, checked)
        top = {k: v for k, v in blocks[0].items() if k not in ("report", "timings")}
        return top | {"reports": [b.get("report") for b in blocks], "merged_from_shards": len(blocks)}

    return split
