"""The serving SLO suite: `pytest evals/perf --url URL --slo ttft_p99=500ms --slo error_rate=0`.

The load runs once per session (all sweep points); each `--slo` becomes one test that fails
naming the metric, the measured value and the limit. Without `--url` the suite is skipped.
"""
from __future__ import annotations

from typing import Any

import pytest

from benchgate.perf.pytest_options import add_perf_options, config_from_pytest
from benchgate.perf.slo import SLOError, parse_slo

_OUTCOME = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_perf_options(parser)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "slo" in metafunc.fixturenames:
        texts = metafunc.config.getoption("slo") or []
        try:
            slos = [parse_slo(t) for t in texts]
        except SLOError as e:
            raise pytest.UsageError(str(e)) from None
        metafunc.parametrize("slo", slos, ids=[s.text for s in slos])


@pytest.fixture(scope="session")
def perf_outcome(request: pytest.FixtureRequest) -> Any:
    """Run the load described by the options once (skips the suite without --url)."""
    from benchgate.perf.api import run_perf

    cfg = config_from_pytest(request.config)
    if cfg is None:
        pytest.skip("no --url given: the serving SLO suite needs an endpoint")
    outcome = run_perf(cfg)
    request.config.stash[_OUTCOME] = outcome
    return outcome


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    outcome = config.stash.get(_OUTCOME, None)
    if outcome is not None:
        from benchgate.perf.report import redact

        terminalreporter.section("benchgate perf")
        terminalreporter.write_line(redact(outcome.text(), [config.getoption("api_key", None)]))
