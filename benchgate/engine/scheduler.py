"""pytest-xdist scheduling by prediction group, so each group runs wholly on one worker
and is predicted once, while test ids stay `<benchmark>/<subset>/<index>` (arena units:
`arena/<question>/<pair>`, grouped by question chunk)."""
from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

from benchgate.engine.stash import get_state


def group_scope(nodeid: str, group_size: int) -> str | None:
    """'evals/mmlu.py::mmlu/anatomy/130' -> 'evals/mmlu.py::mmlu/anatomy#0' (None: not a sample)."""
    if "::" not in nodeid:
        return None
    module, name = nodeid.split("::", 1)
    prefix, _, index = name.rpartition("/")
    if not prefix or not index.isdigit():
        return None
    return f"{module}::{prefix}#{int(index) // group_size}"


def arena_scope(config: pytest.Config, nodeid: str) -> str | None:
    """xdist scope of an arena test id 'evals/arena/arena.py::arena/<q>/<pair>': the scope the
    run's arena session (`state.arena`, benchgate.arena.session) gives the unit."""
    if "::arena/" not in nodeid:
        return None
    arena = get_state(config).arena
    if arena is None:
        return None
    module, name = nodeid.split("::", 1)
    scope = arena.scope(name)
    return f"{module}::{scope}" if scope else None


class SampleGroupScheduling(LoadScopeScheduling):
    """LoadScope scheduling whose scope is the benchmark prediction group. Other tests: in an
    evaluation run (a model, an API or --dry-run), their module, since hand-written evals are
    predicted per module; in a plain test session each test alone, as under `--dist load`
    (the module scope would keep a whole test file on one worker)."""

    def __init__(self, config, log=None):
        super().__init__(config, log)
        self.group_size = config.getoption("group_size")
        options = get_state(config).options
        self.evaluating = bool(options.model or options.api_url or options.dry_run
                               or options.arena_config)

    def _split_scope(self, nodeid: str) -> str:
        return (group_scope(nodeid, self.group_size) or arena_scope(self.config, nodeid)
                or (super()._split_scope(nodeid) if self.evaluating else nodeid))
