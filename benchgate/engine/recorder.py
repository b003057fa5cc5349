"""Controller-side aggregation of per-sample records: per subset, category and benchmark."""
from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from benchgate.judge.metric import usage_totals as judge_usage_totals
from benchgate.metrics.dimension import DimensionScore, headline
from benchgate.metrics.stats import mean_interval, mean_stderr

# Benchmarks whose results are not means of per-sample scores (the arena: ratings over
# battles). Their records are not aggregated here: `finalize` hands them to
# `module:function(records, config=, output_dir=, dry_run=)`, which returns the benchmark
# entry and extra top-level keys of results.json.
CUSTOM_AGGREGATES = {"arena": "benchgate.arena.results:aggregate"}


def summarize(values: list[float]) -> dict[str, Any]:
    """score (mean), n, stderr and a 95% confidence interval of per-sample values, with its
    method (`ci_method`): "wilson" for a rate (every value 0 or 1: the interval stays in
    [0, 1]), else "normal" (mean -/+ 1.96 stderr; BLEU, perplexity, partial credit)."""
    mean, stderr = mean_stderr(values)
    low, high, method = mean_interval(values)
    return {"score": mean, "n": len(values), "stderr": stderr, "ci95": [low, high], "ci_method": method}


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


# what the controller needs of a record to aggregate it; under xdist a worker streams the whole
# record to its own file (`WorkerSink`) and sends only these fields with the test report
SUMMARY_KEYS = ("id", "benchmark", "subset", "index", "category", "categories", "metric", "module",
                "scores", "lower_is_better", "dimension", "failed_requirement")
STORED_IN = "stored_in"  # summary field: the worker file holding the full record


class WorkerSink:
    """An xdist worker's record file: full records go there, summaries to the controller."""

    def __init__(self, folder: str | Path, worker_id: str):
        self.path = Path(folder) / f"{worker_id}.jsonl"
        self._file = open(self.path, "a", encoding="utf-8")
        self._written = self._file.tell()

    def write(self, record: dict[str, Any]) -> dict[str, Any]:
        """Append the record (flushed, so it is on disk before its report is sent); return
        the summary that travels with the test report. If the file cannot be written (disk
        full), the whole record travels with the report from then on: nothing is lost."""
        if self._file is not None:
            try:
                self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
                self._file.flush()
                self._written = self._file.tell()
                summary = {k: record[k] for k in SUMMARY_KEYS if k in record}
                summary[STORED_IN] = str(self.path)
                return summary
            except OSError:
                with contextlib.suppress(OSError):
                    self._file.close()
                with contextlib.suppress(OSError):
                    os.truncate(self.path, self._written)  # drop a half-written line
                self._file = None
        return record

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _mark_expected(line: str, ids: set[str]) -> str:
    record = _record(line)
    if record is None or record.get("id") not in ids or record.get("expected_failure"):
        return line
    return json.dumps({**record, "expected_failure": True}, ensure_ascii=False, default=str) + "\n"


class Recorder:
    """Collects records as test reports arrive; streams them to samples.jsonl.partial (kept
    in memory from the point where the disk refuses a write). A record that a worker stored in
    its own file arrives as a summary (`STORED_IN`); `finish_samples` takes the full record
    from that file. Aggregates in sample order, so serial and xdist runs give bit-identical
    numbers; a benchmark whose aggregation fails carries its error instead of a score, and the
    others are unaffected."""

    def __init__(self, output_dir: Path, corpus_metrics: Callable[[str, list], dict] | None = None,
                 dimension_score: Callable[[str, dict, str, list], DimensionScore | None] | None = None):
        self.output_dir = output_dir
        self.corpus_metrics = corpus_metrics or (lambda bench, scores: {})
        # (benchmark, {metric: value}, primary, lower-is-better metrics) -> the benchmark's own
        # dimension score (Benchmark.dimension_score); None: the headline metric, oriented
        self.dimension_score = dimension_score or (lambda bench, metrics, primary, lower: None)
        # benchmark -> [(subset, index, categories, scores)]
        self._rows: dict[str, list[tuple[str, int, tuple[str, ...], dict[str, float]]]] = defaultdict(list)
        self.primary: dict[str, str] = {}
        self._primary_at: dict[str, tuple] = {}  # (subset, index) of the record that set it
        self.lower_is_better: dict[str, list[str]] = {}
        self.dimension: dict[str, str] = {}  # benchmark -> evaluation dimension
        self.skipped: list[dict[str, Any]] = []  # subsets not scored in this run, with the reason
        self.scores: dict[str, dict[str, float]] = {}  # sample id -> scores
        self.errors: list[dict[str, str]] = []
        self.failed_requirements: list[dict[str, str]] = []  # hand-written tests: failed asserts
        self.n_records = 0
        self.custom: set[str] = set()  # benchmarks in CUSTOM_AGGREGATES that have records
        self.custom_counts: dict[str, int] = defaultdict(int)  # their records
        self._partial_path = output_dir / "samples.jsonl.partial"
        self._partial = None
        self._written = 0  # bytes of complete lines in the partial file
        self._spill: list[str] | None = None  # lines kept in memory once the disk refused one
        self.stream_error: str | None = None
        self._stored: dict[str, set[str]] = {}  # worker file -> ids of the records reported
        self._expected_failures: set[str] = set()  # stored records the controller saw xfail

    def add(self, record: dict[str, Any]) -> None:
        """One sample's record, or its summary (from the test report)."""
        if STORED_IN in record:
            self._stored.setdefault(record[STORED_IN], set()).add(record["id"])
            if record.get("expected_failure"):
                self._expected_failures.add(record["id"])
        else:
            self._stream(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.n_records += 1
        scores = record.get("scores")
        if scores is None:  # dry run
            return
        bench = record["benchmark"]
        if record.get("failed_requirement") is not None and not record.get("expected_failure"):
            self.failed_requirements.append({"id": record["id"], "message": record["failed_requirement"]})
        self._set_primary(bench, record)
        if bench in CUSTOM_AGGREGATES:
            self.custom.add(bench)
            self.custom_counts[bench] += 1
            self.scores[record["id"]] = scores
            return
        if record.get("lower_is_better"):
            self.lower_is_better[bench] = record["lower_is_better"]
        if record.get("dimension"):
            self.dimension[bench] = record["dimension"]
        self.scores[record["id"]] = scores
        categories = record.get("categories")
        if categories is None:  # records written before per-sample categories
            categories = [record["category"]] if record.get("category") else []
        self._rows[bench].append((record["subset"], record["index"], tuple(categories),
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

    def _set_primary(self, bench: str, record: dict[str, Any]) -> None:
        """The primary metric of a benchmark: the one named by its first sample (in sample
        order) that names one, so that it does not depend on arrival order; a hand-written
        eval whose samples recorded no score has `requirement`."""
        at = (record["subset"], record["index"])
        if record.get("metric"):
            if bench not in self._primary_at or at < self._primary_at[bench]:
                self.primary[bench], self._primary_at[bench] = record["metric"], at
        elif bench not in self.primary:
            self.primary[bench] = "requirement"

    def custom_records(self, bench: str) -> Iterator[dict[str, Any]]:
        """The full records of a custom-aggregated benchmark, read back from the stream and
        from the xdist workers' record files (so they are not held in memory twice)."""
        lines: Iterable[str] = ()
        if self._partial is not None:
            with contextlib.suppress(OSError):
                self._partial.flush()
            lines = _whole_lines(self._partial_path)
        for line in itertools.chain(lines, self._spill or ()):  # the spill: kept in memory
            record = _record(line)
            if record is not None and record.get("benchmark") == bench:
                yield record
        for path, ids in self._stored.items():  # records of reported tests only
            for line in _whole_lines(path):
                record = _record(line)
                if record is not None and record.get("benchmark") == bench and record.get("id") in ids:
                    yield record

    def add_error(self, sample_id: str, message: str) -> None:
        self.errors.append({"id": sample_id, "message": message})

    def add_skipped(self, skipped: dict[str, Any]) -> None:
        """A subset that was not scored ({benchmark, subset, category, n, reason}); a subset
        reported twice (shards of one run) is kept once."""
        key = (skipped["benchmark"], skipped["subset"])
        if all((s["benchmark"], s["subset"]) != key for s in self.skipped):
            self.skipped.append(dict(skipped))

    def aggregate(self) -> dict[str, Any]:
        """{benchmark: {metric, score, n, stderr, ci95, metrics, subsets, categories}}:
        micro averages over samples (so a benchmark score weights subsets by size), plus
        the macro average over subsets (and categories). A sample counts in each of its
        categories; a category also reports `macro_subsets`, the mean of its subsets' scores
        (CMMLU's and C-Eval's published category numbers). A benchmark whose aggregation fails
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
                         key=lambda m: (m != primary, m))  # primary first, then by name
        scopes: dict[str, dict[str, list[dict[str, float]]]] = {"subsets": defaultdict(list),
                                                                  "categories": defaultdict(list)}
        members: dict[str, dict[str, list[dict[str, float]]]] = defaultdict(lambda: defaultdict(list))
        for subset, _, categories, scores in rows:
            scopes["subsets"][subset].append(scores)
            for category in categories:
                scopes["categories"][category].append(scores)
                members[category][subset].append(scores)

        def block(members: list[dict[str, float]]) -> dict[str, Any]:
            per_metric = {m: summarize([s[m] for s in members if m in s])
                          for m in metrics if any(m in s for s in members)}
            for name, value in {**self.corpus_metrics(bench, members), **judge_usage_totals(members)}.items():
                per_metric[name] = {"score": value, "n": len(members), "stderr": None, "ci95": None}
            head = per_metric.get(primary, {})
            return {"score": head.get("score"), "n": len(members), "stderr": head.get("stderr"),
                    "metrics": per_metric}

        entry: dict[str, Any] = {"metric": primary, **block([r[3] for r in rows])}
        if primary not in entry["metrics"]:
            missing = _missing_primary(bench, primary, rows)
            if missing is None:
                raise ValueError(f"no sample has a score for the primary metric {primary!r} "
                                 f"(metrics found: {sorted(entry['metrics'])})")
            entry.update(missing)  # a result, not a crash: no score, and why
        entry["subsets"] = {name: block(m) for name, m in sorted(scopes["subsets"].items())}
        entry["categories"] = {name: block(m) for name, m in sorted(scopes["categories"].items())}
        for name, block_ in entry["categories"].items():  # mean of its subsets' primary scores
            means = [summarize(values)["score"] for values in
                     ([s[primary] for s in m if primary in s] for _, m in sorted(members[name].items())) if values]
            block_["macro_subsets"] = sum(means) / len(means) if means else None
        entry["ci95"] = entry["metrics"].get(primary, {}).get("ci95")
        if entry["metrics"].get(primary, {}).get("ci_method"):
            entry["ci_method"] = entry["metrics"][primary]["ci_method"]
        if self.lower_is_better.get(bench):
            entry["lower_is_better"] = self.lower_is_better[bench]
        if self.dimension.get(bench):
            entry["dimension"] = self.dimension[bench]
            values = {m: b["score"] for m, b in entry["metrics"].items() if b.get("score") is not None}
            lower = list(entry.get("lower_is_better", ()))
            own = self.dimension_score(bench, values, primary, lower) or headline(values, primary, lower)
            entry["dimension_score"] = {"score": own.score, "formula": own.formula}
        skipped = [s for s in self.skipped if s["benchmark"] == bench]
        if skipped:
            entry["skipped"] = sorted(skipped, key=lambda s: s["subset"])
        for scope in ("subsets", "categories"):
            means = [b["score"] for b in entry[scope].values() if b["score"] is not None]
            entry[f"macro_{scope}"] = sum(means) / len(means) if means else None
        return entry

    def finish_samples(self) -> Path | None:
        """Sort the streamed records by (benchmark, subset, index) into samples.jsonl, written
        atomically; on an OSError the partial file is kept and the error raised."""
        if self._partial is None and self._spill is None and not self._stored:
            return None
        lines: list[str] = []
        if self._partial is not None:
            with contextlib.suppress(OSError):
                self._partial.close()
            with open(self._partial_path, encoding="utf-8") as f:
                lines = [line for line in f if line.endswith("\n")]
        lines += self._spill or []
        for path, ids in self._stored.items():  # records of reported tests only
            with open(path, encoding="utf-8") as f:
                lines += [line for line in f if line.endswith("\n") and _record_id(line) in ids]
        if self._expected_failures:  # known on the controller only (the test report's xfail)
            lines = [_mark_expected(line, self._expected_failures) for line in lines]

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


def _missing_primary(bench: str, primary: str, rows) -> dict[str, Any] | None:
    """Why no sample has its primary metric, when the samples say so: each recorded a
    `*parse_failure` of 1 (a judge that never gave a parseable verdict). Then the benchmark
    is a result without a score, `score_missing` giving the reason and `parse_failures`
    listing every such sample id per metric; None when some sample does not explain it."""
    failures: dict[str, list[str]] = {}
    for subset, index, _, scores in rows:
        failed = sorted(name for name, value in scores.items() if name.endswith("parse_failure") and value)
        if not failed:
            return None
        for name in failed:
            failures.setdefault(name, []).append(f"{bench}/{subset}/{index}")
    counts = "; ".join(f"{name} on {len(ids)} of {len(rows)} samples" for name, ids in sorted(failures.items()))
    return {"score_missing": f"no sample has a score for the primary metric {primary!r}: {counts}",
            "parse_failures": dict(sorted(failures.items()))}


def _record(line: str) -> dict | None:
    """A record line as a dict; None for a line that is not a JSON object."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _record_id(line: str) -> str | None:
    record = _record(line)
    return record.get("id") if record is not None else None


def _whole_lines(path) -> Iterator[str]:
    """The complete (newline-ended) lines of a record file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.endswith("\n"):
                yield line


def dimension_summary(benchmarks: dict[str, Any]) -> dict[str, Any]:
    """The top-level `dimensions` block of results.json (docs/results.md): per evaluation
    dimension, each member benchmark's headline (primary) metric, score and direction, its
    `dimension_score` ("behaves well", higher is better, in [0, 1]: the formula its module
    declares, `Benchmark.dimension_score`, recorded as `formula`), the number of samples, and
    `score`: the unweighted mean of the members' dimension scores, the one number per dimension
    a radar chart draws. An entry written before dimension scores counts its headline score
    turned higher-is-better (a lower-is-better rate r counts as 1 - r)."""
    out: dict[str, Any] = {}
    for name, entry in sorted(benchmarks.items()):
        dimension = entry.get("dimension")
        if not dimension:
            continue
        lower = entry["metric"] in entry.get("lower_is_better", ())
        score = entry["score"]
        own = entry.get("dimension_score")
        if own is None:
            own = {"score": None if score is None else (1.0 - score if lower else score),
                   "formula": f"1 - {entry['metric']}" if lower else entry["metric"]}
        block = out.setdefault(dimension, {"benchmarks": {}, "n": 0})
        block["benchmarks"][name] = {"metric": entry["metric"], "score": score, "lower_is_better": lower,
                                     "dimension_score": own["score"], "formula": own["formula"]}
        block["n"] += entry["n"]
    for block in out.values():
        scores = [b["dimension_score"] for b in block["benchmarks"].values() if b["dimension_score"] is not None]
        block["score"] = sum(scores) / len(scores) if scores else None
    return out
