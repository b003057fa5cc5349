"""benchgate's own pytest hooks, so other plugins can listen to results."""
from __future__ import annotations

import pytest

hookspec = pytest.hookspec


@hookspec
def pytest_benchgate_record(record: dict, item: pytest.Item) -> None:
    """Called in the process that ran a sample test (a built-in benchmark's sample, or a
    hand-written eval test) with its record (id, prompt, outputs, extracted answer, target,
    scores). benchgate's own implementation forwards it to the
    controller through the test report."""


@hookspec
def pytest_benchgate_results(results: dict, config: pytest.Config) -> None:
    """Called once on the controller with the aggregated results (the content of
    results.json) after all samples ran and the gates were applied."""


@hookspec
def pytest_benchgate_summary(results: dict, terminalreporter) -> None:
    """Called once on the controller in pytest's terminal summary, under the "benchgate
    summary" line, with the aggregated results, to write their tables with
    `terminalreporter.write_line`. benchgate's own: the scores table (reports.console, first)
    and an arena run's leaderboard (arena.report)."""
