"""results.json: the aggregated scores plus everything needed to reproduce the run. Written by
the controller and `benchgate merge` (engine.controller.finalize); the reports read it.

Schema (version 1), documented in docs/results.md:
  schema_version, benchgate_version, created, status
  config        the run options (no secrets) and per-benchmark effective dataset args
  model         {"name", "fingerprint"}
  environment   {"python", "platform", "packages": {name: version}}
  timings       {"total_s", "collection_s", "prediction_s", "samples", "samples_per_s"}
  benchmarks    {name: {metric, score, n, stderr, ci95, metrics, subsets, categories,
                 dimension?, lower_is_better?, skipped?}}
  dimensions    {dimension: {benchmarks: {name: {metric, score, lower_is_better, dimension_score, formula}},
                 n, score}} for benchmarks that belong to an evaluation dimension
  skipped       [{"benchmark", "subset", "category", "n", "reason"}] subsets not scored
  gates         {"passed", "checks", "failures", "baseline"}
  errors        [{"id", "message"}] samples (or subsets) whose test failed
  failed_requirements  [{"id", "message"}] hand-written eval samples whose assert failed
  warnings      (only when there are some) what went wrong without failing the run, e.g. the
                prediction cache could not be used
"""
from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from benchgate import __version__
from benchgate.engine.recorder import dimension_summary, write_atomic

SCHEMA_VERSION = 1
PACKAGES = ("benchgate", "torch", "transformers", "tokenizers", "pytest", "pytest-xdist",
            "numpy", "scipy", "aiohttp", "sacrebleu", "rouge-score", "modelscope", "datasets")


def environment() -> dict[str, Any]:
    """Python, platform and the versions of the packages that affect scores."""
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": packages}


def build_results(*, config: dict, model: dict, benchmarks: dict, gates: dict, errors: list,
                  timings: dict, status: str, skipped: list | None = None,
                  failed_requirements: list | None = None,
                  warnings: list[str] | None = None) -> dict[str, Any]:
    """Assemble the results.json document."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "benchgate_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "status": status,
        "config": config,
        "model": model,
        "environment": environment(),
        "timings": timings,
        "benchmarks": benchmarks,
        "dimensions": dimension_summary(benchmarks),
        "gates": gates,
        "errors": sorted(errors, key=lambda e: e["id"]),
        "skipped": sorted(skipped or [], key=lambda s: (s["benchmark"], s["subset"])),
        "failed_requirements": sorted(failed_requirements or [], key=lambda e: e["id"]),
    }
    if warnings:
        document["warnings"] = list(dict.fromkeys(warnings))
    return document


def write_json(path: Path, document: dict) -> None:
    """Write atomically (temp file + fsync + rename) so a reader, a crash or a full disk never
    leaves half a file: the previous file stays until the new one is complete."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
    write_atomic(Path(path), lambda f: f.write(text))
