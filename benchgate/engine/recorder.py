"""Controller-side aggregation of per-sample records: per subset, category and benchmark."""
from __future__ import annotations

import contextlib
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

from benchgate.metrics.stats import confidence_interval, mean_stderr


def summarize(values: list[float]) -> dict[str, float]:
    """score (mean), n, stderr and a 95% confidence interval of per-sample values."""
    mean, stderr = mean_stderr(values)
    low, high = confidence_interval(mean, stderr)
    return {"score": mean, "n": len(values), "stderr": stderr, "ci95": [low, high]}


def write_atomic(path: Path, write) -> None:
    """Write `path` through a temporary file renamed over it, so a reader (or a full disk)
    never leaves a half-written file: the old file stays until the new one is complete.
    `write(f)` writes the content to the open text file. The temporary file is removed on
    failure and the OSError raised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class Recorder:
    """Collects records as test reports arrive; streams them to samples.jsonl.partial (kept
    in memory from the point where the disk refuses a write). Aggregates in sample order, so
    serial and xdist runs give bit-identical numbers; a benchmark whose aggregation fails
    carries its error instead of a score, and the others are unaffected."""

    def __init__(self, output_dir: Path, corpus_metrics: Callable[[str, list], dict] | None = None):
        self.output_dir = output_dir
        self.corpus_metrics = corpus_metrics or (lambda bench, scores: {})
        # benchmark -> [(subset, index, category, scores)]
        self._rows: dict[str, list[tuple[str, int, str | None, dict[str, float]]]] = defaultdict(list)
        self.primary: dict[str, str] = {}
        self.lower_is_better: dict[str, list[str]] = {}
        self.scores: dict[str, dict[str, float]] = {}  # sample id -> scores
        self.errors: list[dict[str, str]] = []
        self.n_records = 0
        self._partial_path = output_dir / "samples.jsonl.partial"
        self._partial = None
        self._written = 0  # bytes of complete lines in the partial file
        self._spill: list[str] | None = None  # lines kept in memory once the disk refused one
        self.stream_error: str | None = None

    def add(self, record: dict[str, Any]) -> None:
        """One sample's record (from the test report)."""
        self._stream(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.n_records += 1
        scores = record.get("scores")
        if scores is None:  # dry run
            return
        bench = record["benchmark"]
        self.primary[bench] = record["metric"]
        if record.get("lower_is_better"):
            self.lower_is_better[bench] = record["lower_is_better"]
        self.scores[record["id"]] = scores
        self._rows[bench].append((record["subset"], record["index"], record.get("category"),
                                  {k: float(v) for k, v in scores.items()}))

    def _stream(self, line: str) -> None:
        if self._spill is not None:
            self._spill.append(line)
            return
        try:
            if self._partial is None:
                self.output_dir.mkdir(parents=True, exist_ok=True)
                self._partial = open(self._partial_path, "w", encoding="utf-8")
            self._partial.write(line)
            self._partial.flush()
            self._written = self._partial.tell()
        except OSError as e:  # disk full, folder gone: keep the records in memory from here
            self.stream_error = f"{self._partial_path}: {e.strerror or e}"
            self._spill = [line]
            if self._partial is not None:
                with contextlib.suppress(OSError):
                    self._partial.close()  # its buffer may hold (and write) part of the line
                with contextlib.suppress(OSError):
                    os.truncate(self._partial_path, self._written)  # drop a half-written line

    def add_error(self, sample_id: str, message: str) -> None:
        self.errors.append({"id": sample_id, "message": message})

    def aggregate(self) -> dict[str, Any]:
        """{benchmark: {metric, score, n, stderr, ci95, metrics, subsets, categories}}:
        micro averages over samples (so a benchmark score weights subsets by size), plus
        the macro average over subsets (and categories). A benchmark whose aggregation fails
        gets {metric, score: None, n, error} and does not stop the others."""
        out: dict[str, Any] = {}
        for bench, rows in sorted(self._rows.items()):
            try:
                out[bench] = self._aggregate_one(bench, sorted(rows, key=lambda r: (r[0], r[1])))
            except Exception as e:  # noqa: BLE001 - isolate one benchmark's failure
                out[bench] = {"metric": self.primary.get(bench), "score": None, "n": len(rows),
                              "stderr": None, "error": f"aggregation failed: {type(e).__name__}: {e}"}
        return out

    def _aggregate_one(self, bench: str, rows) -> dict[str, Any]:
        primary = self.primary[bench]
        metrics = sorted({m for *_, scores in rows for m in scores if not m.startswith("_")},
                         key=lambda m: m != primary)
        scopes: dict[str, dict[str, list[dict[str, float]]]] = {"subsets": defaultdict(list),
                                                                  "categories": defaultdict(list)}
        for subset, _, category, scores in rows:
            scopes["subsets"][subset].append(scores)
            if category:
                scopes["categories"][category].append(scores)

        def block(members: list[dict[str, float]]) -> dict[str, Any]:
            per_metric = {m: summarize([s[m] for s in members if m in s])
                          for m in metrics if any(m in s for s in members)}
            for name, value in self.corpus_metrics(bench, members).items():
                per_metric[name] = {"score": value, "n": len(members), "stderr": None, "ci95": None}
            head = per_metric.get(primary, {})
            return {"score": head.get("score"), "n": len(members), "stderr": head.get("stderr"),
                    "metrics": per_metric}

        entry: dict[str, Any] = {"metric": primary, **block([r[3] for r in rows])}
        if primary not in entry["metrics"]:
            raise ValueError(f"no sample has a score for the primary metric {primary!r} "
                             f"(metrics found: {sorted(entry['metrics'])})")
        entry["subsets"] = {name: block(m) for name, m in sorted(scopes["subsets"].items())}
        entry["categories"] = {name: block(m) for name, m in sorted(scopes["categories"].items())}
        entry["ci95"] = entry["metrics"][primary]["ci95"]
        if self.lower_is_better.get(bench):
            entry["lower_is_better"] = self.lower_is_better[bench]
        for scope in ("subsets", "categories"):
            means = [b["score"] for b in entry[scope].values() if b["score"] is not None]
            entry[f"macro_{scope}"] = sum(means) / len(means) if means else None
        return entry

    def finish_samples(self) -> Path | None:
        """Sort the streamed records by (benchmark, subset, index) into samples.jsonl, written
        atomically; on an OSError the partial file is kept and the error raised."""
        if self._partial is None and self._spill is None:
            return None
        lines: list[str] = []
        if self._partial is not None:
            with contextlib.suppress(OSError):
                self._partial.close()
            with open(self._partial_path, encoding="utf-8") as f:
                lines = [line for line in f if line.endswith("\n")]
        lines += self._spill or []

        def order(line: str):
            try:
                rec = json.loads(line)
                return 0, rec["benchmark"], rec["subset"], rec["index"]
            except (ValueError, KeyError, TypeError):
                return 1, "", "", 0

        lines.sort(key=order)
        final = self.output_dir / "samples.jsonl"
        write_atomic(final, lambda f: f.writelines(lines))
        with contextlib.suppress(OSError):
            self._partial_path.unlink()
        self._partial, self._spill = None, None
        return final
