"""The controller: receives every sample's record (serial or from xdist workers),
aggregates, writes results.json and samples.jsonl, applies the gates, prints the summary.
Only the controller writes results."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from benchgate.engine.contamination import split_benchmarks
from benchgate.engine.gates import (GateOutcome, add_gap_metrics, check_baseline, check_thresholds,
                                    load_baseline_scores, parse_gates)
from benchgate.engine.items import (RECORD_PROPERTY, SKIP_PROPERTY, SUBSET_ERROR_PROPERTY,
                                    is_benchmark_module)
from benchgate.engine.options import RunOptions, check_output_dir
from benchgate.engine.plain import ERROR_PROPERTY
from benchgate.engine.recorder import CUSTOM_AGGREGATES, Recorder
from benchgate.engine.results import build_results, write_json
from benchgate.engine.state import RECORDS_DIR_KEY
from benchgate.variants.gap import gap_message



class Controller:
    """A pytest plugin object registered on the controller process only."""

    def __init__(self, config: pytest.Config, options: RunOptions, state):
        self.config = config
        self.options = options
        self.state = state
        check_output_dir(options.output_dir)
        self.thresholds = parse_gates(options.gates)
        self.baseline = load_baseline_scores(options.baseline) if options.baseline else None
        self._modules: dict[str, str] = {}
        self.recorder = Recorder(options.output_dir, corpus_metrics_from(self._modules),
                                 dimension_score_from(self._modules))
        self.started = time.perf_counter()
        self.workers: list[dict] = []
        self.outcome: GateOutcome | None = None
        self.results: dict[str, Any] | None = None
        self.fatal: str | None = None
        self.output_error: str | None = None
        self.records_dir: Path | None = None
        self.collection_errors = 0  # modules or data folders that could not be collected
        self.ctrl_c = False  # a real interrupt (Ctrl-C, SIGTERM), not pytest's collection stop
        self.tests_ran = False
        self.collection_failed = False  # exit 4 for collection errors (said in the summary)

    # -- pytest hooks ---------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.tests_ran = True
        handled = False
        for name, value in report.user_properties:
            if name == RECORD_PROPERTY and report.when == "call":
                if getattr(report, "wasxfail", None) is not None:
                    value = {**value, "expected_failure": True}
                self._modules.setdefault(value["benchmark"], value.get("module"))
                self.recorder.add(value)
                handled = True
            elif name == ERROR_PROPERTY and report.when == value.get("when"):
                self.recorder.add_error(value["id"], value["message"])
                handled = True
            elif name == SKIP_PROPERTY and report.skipped:
                self.recorder.add_skipped(value)
                handled = True
        if not handled and report.failed:
            subset = next((v for n, v in report.user_properties if n == SUBSET_ERROR_PROPERTY), None)
            if subset is None and not _is_sample(report.nodeid):
                return
            message = str(report.longrepr).strip().splitlines()
            self.recorder.add_error(subset or _sample_id(report.nodeid), message[-1] if message else "failed")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        # pytest stops after collection errors with Session.Interrupted (a KeyboardInterrupt
        # subclass); Ctrl-C and SIGTERM raise KeyboardInterrupt itself
        self.ctrl_c = excinfo.type is KeyboardInterrupt

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        """xdist: workers store full records in files under one folder of the output dir."""
        if self.records_dir is None:
            try:
                self.options.output_dir.mkdir(parents=True, exist_ok=True)
                self.records_dir = Path(tempfile.mkdtemp(prefix=".worker-records-", dir=self.options.output_dir))
            except OSError:  # no room: the workers send whole records with their reports
                return
        node.workerinput[RECORDS_DIR_KEY] = str(self.records_dir)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        summary = getattr(node, "workeroutput", {}).get("benchgate")
        if summary:
            self.workers.append(summary)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write what is finished, whatever happened: an interrupted run (Ctrl-C, SIGTERM,
        -x) is written with status "interrupted"; a benchmark whose aggregation fails carries
        its error; outputs that cannot be written are a clear error (exit 3), never half a file."""
        summaries = self.workers + ([self.state.summary()] if not self.workers else [])
        # a worker, or a serial run at its first cache miss, could not load the model: one
        # message, exit code 4 (a model that fails its check stops before the first sample)
        self.fatal = next((s["fatal"] for s in summaries if s.get("fatal")), None)
        if self.fatal:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        if self.collection_errors and not self.ctrl_c and not self.tests_ran and session.exitstatus in (
                pytest.ExitCode.INTERRUPTED, pytest.ExitCode.TESTS_FAILED):
            # a test module, benchmark or data folder that cannot be collected is a usage or
            # configuration error (exit 4), serial (pytest: 2, "interrupted") or under xdist (1);
            # 2 means interrupted here (README, "When things go wrong")
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            self.collection_failed = True
        if not self.recorder.n_records and not self.recorder.errors and not self.recorder.skipped:
            self._remove_records_dir()
            return  # no benchmark ran: nothing to write
        interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED
        warnings = [w for s in summaries for w in s.get("warnings", ())]
        if self.recorder.stream_error:
            warnings.append(f"samples were kept in memory after a write failed: {self.recorder.stream_error}")
        model, timings, config = self._run_info(summaries)
        judge = next((s["judge"] for s in summaries if s.get("judge")), None)
        try:
            self.results, self.outcome = finalize(
                self.recorder, config=config, model=model, timings=timings, thresholds=self.thresholds,
                baseline=self.baseline, alpha=self.options.baseline_alpha, dry_run=self.options.dry_run,
                status="interrupted" if interrupted else None, warnings=warnings,
                extra={"judge": {k: v for k, v in judge.items() if k != "stats"}} if judge else None,
                contamination=self._contamination() if self.options.contamination_corpus else None)
        except OutputError as e:
            self.results, self.outcome, self.output_error = e.results, e.outcome, str(e)
            if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
                session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
            return
        self.config.hook.pytest_benchgate_results(results=self.results, config=self.config)
        failed = self.outcome.failures or any(e.get("error") for e in self.results["benchmarks"].values())
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self._remove_records_dir()  # merged into samples.jsonl by finalize (kept if that failed)

    def _contamination(self):
        """--contamination-corpus: the split of every benchmark's score (engine.contamination)."""
        return lambda benchmarks: split_benchmarks(benchmarks, self.recorder, self.options,
                                                   lambda name: _benchmark_from(self._modules, name))

    def _run_info(self, summaries: list[dict]) -> tuple[dict, dict, dict]:
        """(model, timings, config) of results.json from the process summaries."""
        arena = next((s["arena"] for s in summaries if s.get("arena")), None)
        model = next((s["model"] for s in summaries if s.get("model")),
                     (arena or {}).get("model") or {"name": self.options.model, "fingerprint": None})
        dataset_args: dict[str, Any] = {}
        for s in summaries:
            dataset_args.update(s.get("dataset_args", {}))
        total = time.perf_counter() - self.started
        n = self.recorder.n_records
        stats = [s.get("stats", {}) for s in summaries]
        stats += [s["judge"]["stats"] for s in summaries if s.get("judge")]
        stats += [st for s in summaries for st in (s.get("arena") or {}).get("stats", [])]
        timings = {
            "total_s": total,
            "collection_s": max((s.get("collection_s") or 0.0 for s in summaries), default=None),
            "prediction_s": sum(s.get("seconds", 0.0) for s in stats),
            "samples": n,
            "samples_per_s": n / total if total > 0 else None,
            "requests": sum(s.get("requests", 0) for s in stats),
            "cache_hits": sum(s.get("cache_hits", 0) for s in stats),
            "computed": sum(s.get("computed", 0) for s in stats),
            "workers": len(self.workers) or 1,
        }
        config = self.options.public() | {"effective_dataset_args": dataset_args}
        if arena:
            config["arena"] = arena["settings"]
        return model, timings, config

    def _remove_records_dir(self) -> None:
        if self.records_dir is not None:
            shutil.rmtree(self.records_dir, ignore_errors=True)

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        tr = terminalreporter
        if self.fatal:
            tr.write_sep("=", "benchgate: the model cannot be used", red=True)
            tr.write_line(self.fatal, red=True)
        if self.collection_failed:
            tr.write_line(f"benchgate: {self.collection_errors} module(s) or data folder(s) could not be "
                          f"collected (above): a usage or configuration error, exit code 4", red=True)
        if self.results is None:
            return
        tr.write_sep("=", "benchgate summary")
        # the tables: the scores (reports.console) and an arena's leaderboard (arena.report)
        self.config.hook.pytest_benchgate_summary(results=self.results, terminalreporter=tr)
        if self.recorder.errors:
            tr.write_line(f"{len(self.recorder.errors)} sample(s) failed with errors "
                          f"(listed in results.json)", red=True)
        if self.recorder.failed_requirements:
            tr.write_line(f"{len(self.recorder.failed_requirements)} sample(s) failed a "
                          f"requirement (an assert; listed in results.json)", red=True)
        if self.outcome and self.outcome.regressions:
            for bench, r in self.outcome.regressions.items():
                if r.get("contamination_gap"):
                    tr.write_line(gap_message(bench, r["contamination_gap"]))
                    continue
                tr.write_line(f"baseline {bench}: {r['baseline']:.4f} -> {r['current']:.4f} "
                              f"(n={r['n_paired']}, {r['test']}, p={r['p_value']:.3g}, "
                              f"{len(r['regressed'])} regressed, {r['improved']} improved)")
        if self.outcome and self.outcome.failures:
            tr.write_sep("=", "benchgate gates FAILED", red=True)
            for failure in self.outcome.failures:
                tr.write_line(failure, red=True)
        elif self.thresholds or self.baseline is not None:
            tr.write_line("benchgate gates passed", green=True)
        if self.output_error:
            tr.write_sep("=", "benchgate could not write its outputs", red=True)
            tr.write_line(self.output_error, red=True)
            return
        if self.results.get("status") == "interrupted":
            tr.write_line(f"interrupted: results of the {self.results['timings'].get('samples')} "
                          f"finished sample(s) written", yellow=True)
        for warning in self.results.get("warnings", ()):
            tr.write_line(f"warning: {warning}", yellow=True)
        tr.write_line(f"results: {self.options.output_dir / 'results.json'}")


class OutputError(OSError):
    """results.json / samples.jsonl could not be written (disk full, folder gone); the files
    that were there are left whole. Carries the results and gate outcome computed."""

    def __init__(self, message: str, results: dict, outcome: GateOutcome):
        super().__init__(message)
        self.results = results
        self.outcome = outcome


def finalize(recorder: Recorder, *, config: dict, model: dict, timings: dict, thresholds: list,
             baseline: dict | None, alpha: float, dry_run: bool, status: str | None = None,
             warnings: list[str] | None = None,
             extra: dict | None = None, contamination=None) -> tuple[dict, GateOutcome]:
    """Aggregate, apply the gates, write samples.jsonl and results.json. Shared by the
    controller and `benchgate merge`, so a merged run is scored exactly like a single one.
    `extra`: more top-level keys of results.json. `contamination(benchmarks)`: adds each
    benchmark's clean/flagged split and returns the top-level `contamination` block; if it
    fails, the scores are written with the reason instead.

    Nothing finished is lost to one failure: a benchmark whose aggregation fails (a built-in
    one, or a custom aggregate such as the arena's) carries its error (the others are scored),
    a gate that cannot be evaluated is a gate failure, and both files are written atomically,
    samples first; if samples.jsonl cannot be written, results.json is not either (the
    previous pair stays consistent) and OutputError is raised."""
    benchmarks = recorder.aggregate()
    extra = dict(extra or {})
    for bench in sorted(recorder.custom):  # before finish_samples: they read the record stream
        try:
            aggregate = _load_function(CUSTOM_AGGREGATES[bench])
            benchmarks[bench], top = aggregate(recorder.custom_records(bench), config=config,
                                               output_dir=recorder.output_dir, dry_run=dry_run)
            extra.update(top)
        except Exception as e:  # noqa: BLE001 - isolate one benchmark's failure
            benchmarks[bench] = {"metric": recorder.primary.get(bench), "score": None,
                                 "n": recorder.custom_counts[bench], "stderr": None,
                                 "error": f"aggregation failed: {type(e).__name__}: {e}"}
    benchmarks = dict(sorted(benchmarks.items()))
    notes = []
    if contamination is not None and not dry_run:
        try:
            extra["contamination"] = contamination(benchmarks)
        except Exception as e:  # noqa: BLE001 - the scores are kept; the reason is said
            extra["contamination"] = {"error": f"{type(e).__name__}: {e}"}
            notes.append(f"the contamination check failed: {e}")
    problem = None
    try:
        recorder.finish_samples()
    except OSError as e:
        problem = f"{recorder.output_dir / 'samples.jsonl'}: {e.strerror or e}"
    outcome = GateOutcome()
    if not dry_run:
        if baseline is not None:
            try:  # the contamination gap of a variant run: a metric the thresholds can gate
                add_gap_metrics(baseline, recorder.scores, recorder.primary, benchmarks, alpha)
            except Exception as e:  # noqa: BLE001
                outcome.failures.append(f"the contamination gap could not be computed: {type(e).__name__}: {e}")
        try:
            check_thresholds(thresholds, benchmarks, outcome)
        except Exception as e:  # noqa: BLE001
            outcome.failures.append(f"the score thresholds could not be checked: {type(e).__name__}: {e}")
        if baseline is not None:
            try:
                check_baseline(baseline, recorder.scores, recorder.primary, alpha, outcome,
                               lower_is_better=recorder.lower_is_better)
            except Exception as e:  # noqa: BLE001
                outcome.failures.append(f"the baseline could not be compared: {type(e).__name__}: {e}")
    gates = {"passed": outcome.passed, "checks": outcome.checks, "failures": outcome.failures,
             "baseline": outcome.regressions or None}
    warnings = list(warnings or []) + notes + outcome.notes
    broken = any(e.get("error") for e in benchmarks.values())
    failed = outcome.failures or recorder.errors or recorder.failed_requirements or broken
    status = status or ("dry_run" if dry_run else "failed" if failed else "passed")
    results = build_results(config=config, model=model, benchmarks=benchmarks, gates=gates,
                            errors=recorder.errors, timings=timings, status=status, warnings=warnings,
                            failed_requirements=recorder.failed_requirements,
                            skipped=recorder.skipped) | extra
    if problem is None:
        try:
            write_json(recorder.output_dir / "results.json", results)
        except OSError as e:
            problem = f"{recorder.output_dir / 'results.json'}: {e.strerror or e}"
    if problem is not None:
        raise OutputError(
            f"could not write {problem}. Files already in {recorder.output_dir} were left whole "
            f"(nothing half-written); the scores are in the summary above, and the predictions in "
            f"the cache: re-run with --use-cache and a writable --output-dir to write them without "
            f"recomputing", results, outcome)
    return results, outcome


def _load_function(target: str):
    """'package.module:function' -> the function."""
    import importlib

    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _benchmark_from(modules: dict[str, str | None], bench: str):
    """The benchmark object of `bench`: its module is found by the path its records carry,
    else as evals/<name>.py of this checkout; None for a hand-written eval."""
    from benchgate.engine.items import import_benchmark
    from benchgate.task import default_evals_dir

    path = Path(modules.get(bench) or "")
    if not path.is_file():
        path = default_evals_dir() / f"{bench}.py"
    if not path.is_file() or not is_benchmark_module(path):
        return None
    return import_benchmark(path)


def corpus_metrics_from(modules: dict[str, str | None]):
    """A Recorder callback computing a benchmark's corpus metrics (none for a hand-written eval)."""
    def compute(bench: str, scores: list[dict[str, float]]) -> dict[str, float]:
        benchmark = _benchmark_from(modules, bench)
        return {} if benchmark is None else benchmark.corpus_metrics(scores)

    return compute


def dimension_score_from(modules: dict[str, str | None]):
    """A Recorder callback evaluating a benchmark's own dimension score formula
    (`Benchmark.dimension_score`); None for a hand-written eval (its headline metric counts)."""
    def compute(bench: str, metrics: dict[str, float], primary: str, lower: list[str]):
        benchmark = _benchmark_from(modules, bench)
        return None if benchmark is None else benchmark.dimension_score(metrics, primary, lower)

    return compute


def _is_sample(nodeid: str) -> bool:
    """A built-in sample's node id, `path::<benchmark>/<subset>/<index>`."""
    if "::" not in nodeid:
        return False
    name = nodeid.split("::", 1)[1]
    return "[" not in name and name.count("/") >= 2


def _sample_id(nodeid: str) -> str:
    return nodeid.split("::", 1)[1]
