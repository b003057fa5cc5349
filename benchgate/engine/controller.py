"""The controller: receives every sample's record (serial or from xdist workers),
aggregates, writes results.json and samples.jsonl, applies the gates, prints the summary.
Only the controller writes results."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from benchgate.engine.gates import (GateOutcome, check_baseline, check_thresholds,
                                    load_baseline_scores, parse_gates)
from benchgate.engine.items import ERROR_PROPERTY, RECORD_PROPERTY
from benchgate.engine.options import RunOptions, check_output_dir
from benchgate.engine.recorder import Recorder
from benchgate.reports.console import summary_lines
from benchgate.reports.results import build_results, write_json



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
        self.recorder = Recorder(options.output_dir, corpus_metrics_from(self._modules))
        self.started = time.perf_counter()
        self.workers: list[dict] = []
        self.outcome: GateOutcome | None = None
        self.results: dict[str, Any] | None = None
        self.fatal: str | None = None

    # -- pytest hooks ---------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.passed:
            for prop in report.user_properties:
                if prop[0] == RECORD_PROPERTY:
                    self._modules.setdefault(prop[1]["benchmark"], prop[1].get("module"))
                    self.recorder.add(prop[1])
        elif report.failed:
            subset = next((p[1] for p in report.user_properties if p[0] == ERROR_PROPERTY), None)
            if subset is None and not _is_sample(report.nodeid):
                return
            message = str(report.longrepr).strip().splitlines()
            self.recorder.add_error(subset or _sample_id(report.nodeid), message[-1] if message else "failed")

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        summary = getattr(node, "workeroutput", {}).get("benchgate")
        if summary:
            self.workers.append(summary)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        summaries = self.workers + ([self.state.summary()] if not self.workers else [])
        # a worker could not load the model: one message, exit code 4 (a serial run stopped
        # before its first sample with a usage error)
        self.fatal = next((s["fatal"] for s in self.workers if s.get("fatal")), None)
        if self.fatal:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        if not self.recorder.n_records and not self.recorder.errors:
            return  # no benchmark ran: nothing to write
        model = next((s["model"] for s in summaries if s.get("model")),
                     {"name": self.options.model, "fingerprint": None})
        dataset_args: dict[str, Any] = {}
        for s in summaries:
            dataset_args.update(s.get("dataset_args", {}))
        total = time.perf_counter() - self.started
        n = self.recorder.n_records
        stats = [s.get("stats", {}) for s in summaries]
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
        self.results, self.outcome = finalize(
            self.recorder, config=config, model=model, timings=timings, thresholds=self.thresholds,
            baseline=self.baseline, alpha=self.options.baseline_alpha, dry_run=self.options.dry_run)
        self.config.hook.pytest_benchgate_results(results=self.results, config=self.config)
        if self.outcome.failures and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        tr = terminalreporter
        if self.fatal:
            tr.write_sep("=", "benchgate: the model cannot be used", red=True)
            tr.write_line(self.fatal, red=True)
        if self.results is None:
            return
        tr.write_sep("=", "benchgate summary")
        for line in summary_lines(self.results["benchmarks"], str(self.results["model"]["name"])):
            tr.write_line(line)
        if self.recorder.errors:
            tr.write_line(f"{len(self.recorder.errors)} sample(s) failed with errors "
                          f"(listed in results.json)", red=True)
        if self.outcome and self.outcome.regressions:
            for bench, r in self.outcome.regressions.items():
                tr.write_line(f"baseline {bench}: {r['baseline']:.4f} -> {r['current']:.4f} "
                              f"(n={r['n_paired']}, {r['test']}, p={r['p_value']:.3g}, "
                              f"{len(r['regressed'])} regressed, {r['improved']} improved)")
        if self.outcome and self.outcome.failures:
            tr.write_sep("=", "benchgate gates FAILED", red=True)
            for failure in self.outcome.failures:
                tr.write_line(failure, red=True)
        elif self.thresholds or self.baseline is not None:
            tr.write_line("benchgate gates passed", green=True)
        tr.write_line(f"results: {self.options.output_dir / 'results.json'}")


def finalize(recorder: Recorder, *, config: dict, model: dict, timings: dict, thresholds: list,
             baseline: dict | None, alpha: float, dry_run: bool) -> tuple[dict, GateOutcome]:
    """Aggregate, apply the gates, write samples.jsonl and results.json. Shared by the
    controller and `benchgate merge`, so a merged run is scored exactly like a single one."""
    benchmarks = recorder.aggregate()
    outcome = GateOutcome()
    if not dry_run:
        check_thresholds(thresholds, benchmarks, outcome)
        if baseline is not None:
            check_baseline(baseline, recorder.scores, recorder.primary, alpha, outcome)
    gates = {"passed": outcome.passed, "checks": outcome.checks, "failures": outcome.failures,
             "baseline": outcome.regressions or None}
    status = "dry_run" if dry_run else ("failed" if (outcome.failures or recorder.errors) else "passed")
    recorder.finish_samples()
    results = build_results(config=config, model=model, benchmarks=benchmarks, gates=gates,
                            errors=recorder.errors, timings=timings, status=status)
    write_json(recorder.output_dir / "results.json", results)
    return results, outcome


def corpus_metrics_from(modules: dict[str, str | None]):
    """A Recorder callback computing a benchmark's corpus metrics; its module is found by the
    path its records carry, else as evals/<name>.py of this checkout."""
    def compute(bench: str, scores: list[dict[str, float]]) -> dict[str, float]:
        from benchgate.engine.items import import_benchmark
        from benchgate.task import default_evals_dir

        path = Path(modules.get(bench) or "")
        if not path.is_file():
            path = default_evals_dir() / f"{bench}.py"
        if not path.is_file():
            return {}
        return import_benchmark(path).corpus_metrics(scores)

    return compute


def _is_sample(nodeid: str) -> bool:
    return "::" in nodeid and nodeid.split("::", 1)[1].count("/") >= 2


def _sample_id(nodeid: str) -> str:
    return nodeid.split("::", 1)[1]
