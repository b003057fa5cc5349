"""`benchgate merge`: combine the outputs of `--shard I/N` runs into one results.json,
scored exactly as an unsharded run (same aggregation and gates code)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from benchgate.engine.contamination import merged_split
from benchgate.engine.controller import corpus_metrics_from, dimension_score_from, finalize
from benchgate.engine.gates import load_baseline_scores, parse_gates
from benchgate.engine.recorder import Recorder

# config keys that may differ between shards of one run
PER_SHARD = ("shard", "use_cache", "gates", "baseline")


class MergeError(ValueError):
    """Shards that do not belong together, or a missing or duplicated part."""


RECORD_KEYS = ("id", "benchmark", "subset", "index")


def _load(folder: Path) -> tuple[dict, Path]:
    results = folder / "results.json"
    samples = folder / "samples.jsonl"
    for path in (results, samples):
        if not path.is_file():
            raise MergeError(f"{path} not found")
    try:
        doc = json.loads(results.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise MergeError(f"{results}: not UTF-8 ({e.reason})") from None
    except json.JSONDecodeError as e:
        raise MergeError(f"{results}:{e.lineno}: invalid JSON: {e.msg}") from None
    except OSError as e:
        raise MergeError(f"{results}: {e.strerror or e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict) or "model" not in doc:
        raise MergeError(f"{results}: not a benchgate results.json (no \"config\" / \"model\")")
    return doc, samples


def _records(samples: Path):
    """(line number, record) of a samples.jsonl; a line that is not a sample record is a
    MergeError naming the file and line."""
    try:
        with open(samples, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise MergeError(f"{samples}:{line_no}: invalid JSON: {e.msg}") from None
                if not isinstance(record, dict):
                    raise MergeError(f"{samples}:{line_no}: expected a JSON object")
                missing = [k for k in RECORD_KEYS if k not in record]
                if missing:
                    raise MergeError(f"{samples}:{line_no}: not a sample record (missing {missing})")
                scores = record.get("scores")
                if not isinstance(record["index"], int) or not isinstance(record["id"], str) or (
                        scores is not None and not (
                            isinstance(scores, dict) and isinstance(record.get("metric"), str)
                            and all(isinstance(v, (int, float)) for v in scores.values()))):
                    raise MergeError(f"{samples}:{line_no}: malformed sample record (id, index, metric "
                                     f"or scores)")
                yield line_no, record
    except UnicodeDecodeError as e:
        raise MergeError(f"{samples}: not UTF-8 ({e.reason} at byte {e.start})") from None


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
    recorder = Recorder(Path(output_dir), corpus_metrics_from(modules), dimension_score_from(modules))
    seen: set[str] = set()
    for (results, samples), folder in loaded:
        for line_no, record in _records(samples):
            if record["id"] in seen:
                raise MergeError(f"{samples}:{line_no}: sample {record['id']} is in two shards")
            seen.add(record["id"])
            modules.setdefault(record["benchmark"], record.get("module"))
            try:
                recorder.add(record)
            except (KeyError, TypeError, ValueError) as e:
                raise MergeError(f"{samples}:{line_no}: malformed sample record ({type(e).__name__}: {e})") from None
        for error in results.get("errors") or []:
            if isinstance(error, dict):
                recorder.add_error(str(error.get("id")), str(error.get("message")))
        for skipped in results.get("skipped") or []:
            if isinstance(skipped, dict) and {"benchmark", "subset"} <= set(skipped):
                recorder.add_skipped(skipped)
    config = first["config"] | {"shard": None, "merged_from": [str(f) for f in folders]}
    timings = {"merge_s": time.perf_counter() - start, "samples": recorder.n_records,
               "shards": [r[0][0].get("timings") for r in loaded]}
    results, outcome = finalize(
        recorder, config=config, model=first["model"], timings=timings,
        thresholds=parse_gates(gates or []),
        baseline=load_baseline_scores(baseline) if baseline else None, alpha=alpha,
        dry_run=bool(first["config"].get("dry_run")),
        contamination=merged_split([r[0][0] for r in loaded], recorder,
                                   float(first["config"].get("baseline_alpha") or 0.05)))
    return results, outcome.failures
