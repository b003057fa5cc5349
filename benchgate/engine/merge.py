"""`benchgate merge`: combine the outputs of `--shard I/N` runs into one results.json,
scored exactly as an unsharded run (same aggregation and gates code)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from benchgate.engine.controller import corpus_metrics_from, finalize
from benchgate.engine.gates import load_baseline_scores, parse_gates
from benchgate.engine.recorder import Recorder

# config keys that may differ between shards of one run
PER_SHARD = ("shard", "use_cache", "gates", "baseline")


class MergeError(ValueError):
    """Shards that do not belong together, or a missing or duplicated part."""


def _load(folder: Path) -> tuple[dict, Path]:
    results = folder / "results.json"
    samples = folder / "samples.jsonl"
    for path in (results, samples):
        if not path.is_file():
            raise MergeError(f"{path} not found")
    return json.loads(results.read_text(encoding="utf-8")), samples


def merge(folders: list[Path], output_dir: Path, gates: list[str] | None = None,
          baseline: Path | None = None, alpha: float = 0.05) -> tuple[dict, list[str]]:
    """Merge shard folders into output_dir; returns (results, gate failures)."""
    start = time.perf_counter()
    loaded = [(_load(Path(f)), Path(f)) for f in folders]
    if not loaded:
        raise MergeError("no shard folders given")
    first = loaded[0][0][0]
    base_config = {k: v for k, v in first["config"].items() if k not in PER_SHARD}
    shards: set[str] = set()
    totals: set[int] = set()
    for (results, _), folder in loaded:
        config = {k: v for k, v in results["config"].items() if k not in PER_SHARD}
        if config != base_config:
            diff = sorted(k for k in set(config) | set(base_config) if config.get(k) != base_config.get(k))
            raise MergeError(f"{folder}: run configuration differs from {loaded[0][1]} in {diff}")
        if results["model"] != first["model"]:
            raise MergeError(f"{folder}: model fingerprint differs from {loaded[0][1]}")
        shard = results["config"].get("shard")
        if shard:
            if shard in shards:
                raise MergeError(f"{folder}: shard {shard} given twice")
            shards.add(shard)
            totals.add(int(shard.split("/")[1]))
    if totals:
        (total,) = totals if len(totals) == 1 else (None,)
        if total is None:
            raise MergeError(f"shards of different splits: {sorted(shards)}")
        missing = [f"{i}/{total}" for i in range(1, total + 1) if f"{i}/{total}" not in shards]
        if missing:
            raise MergeError(f"missing shard(s) {missing}")
    modules: dict[str, str | None] = {}
    recorder = Recorder(Path(output_dir), corpus_metrics_from(modules))
    seen: set[str] = set()
    for (results, samples), folder in loaded:
        with open(samples, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                record = json.loads(line)
                if record["id"] in seen:
                    raise MergeError(f"{samples}:{line_no}: sample {record['id']} is in two shards")
                seen.add(record["id"])
                modules.setdefault(record["benchmark"], record.get("module"))
                recorder.add(record)
        for error in results.get("errors", []):
            recorder.add_error(error["id"], error["message"])
        for skipped in results.get("skipped", []):
            recorder.add_skipped(skipped)
    config = first["config"] | {"shard": None, "merged_from": [str(f) for f in folders]}
    timings = {"merge_s": time.perf_counter() - start, "samples": recorder.n_records,
               "shards": [r[0][0]["timings"] for r in loaded]}
    results, outcome = finalize(
        recorder, config=config, model=first["model"], timings=timings,
        thresholds=parse_gates(gates or []),
        baseline=load_baseline_scores(baseline) if baseline else None, alpha=alpha,
        dry_run=bool(first["config"].get("dry_run")))
    return results, outcome.failures
