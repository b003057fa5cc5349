"""The suite's root conftest: where a team adds its own fixtures and hooks.

benchgate's pytest plugin (installed with the package, entry point `pytest11: benchgate`)
provides the command-line options, the engine and the standard fixtures of hand-written evals:
`model` and `record` (benchgate/fixtures/evals.py), `benchgate_options`, `benchgate_predictor`
and `benchgate_model` (benchgate/fixtures/models.py). This file registers the suite's own
fixture modules, every `fixtures/*.py` of this checkout (loaded by path, like evals/; never
installed as top-level modules), and shows how to listen to results with benchgate's hooks.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchgate.pathimport import import_path

SUITE = Path(__file__).resolve().parent


def _load(path: Path):
    return import_path(f"benchgate_suite_fixtures.{path.stem}", path)


def pytest_configure(config: pytest.Config) -> None:
    """Register fixtures/*.py (each once, however often this conftest is configured)."""
    for path in sorted((SUITE / "fixtures").glob("*.py")):
        name = f"benchgate-suite-fixtures-{path.stem}"
        if not path.name.startswith("_") and config.pluginmanager.get_plugin(name) is None:
            config.pluginmanager.register(_load(path), name)


# Example hook: a listener for every sample's record (built-in benchmarks and hand-written
# evals alike), called in the process that ran the sample, before the record travels to the
# controller. This one copies each record to the JSONL file named by $BENCHGATE_RECORD_LOG
# (unset: it does nothing), e.g. to feed a team's own dashboard; add yours the same way.
# The aggregated results arrive once, on the controller, in `pytest_benchgate_results`.
@pytest.hookimpl(optionalhook=True)
def pytest_benchgate_record(record: dict, item: pytest.Item) -> None:
    log = os.environ.get("BENCHGATE_RECORD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"test": item.nodeid, **record}, ensure_ascii=False, default=str) + "\n")
