"""The run going on in this process, as code below the engine sees it.

`load_cases` and the named metrics run while pytest imports test modules, before any fixture
exists, and need three things of the run: its --limit, its rootdir and a benchmark's
`RunContext`. They ask `active_run()` for an object with those (the `Run` protocol); the
pytest plugin pushes the engine's state onto `ACTIVE` at configure and removes it at
unconfigure. The engine depends on this module, never the other way round (docs/architecture.md).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Protocol

from benchgate.samples import RunContext


class Run(Protocol):
    """What code below the engine may know about the running pytest session."""

    @property
    def limit(self) -> int | float | None:
        """--limit: the most samples per subset, or a fraction of each (None: all)."""

    @property
    def rootpath(self) -> Path:
        """The pytest rootdir of the run (its evals/ and metrics/ folders are looked up there)."""

    def context_for(self, bench: Any) -> RunContext:
        """The run's context of a benchmark (--dataset-dir, its --dataset-args, the judge)."""


ACTIVE: list[Run] = []  # the runs of the pytest sessions in this process, the newest last


def active_run() -> Run | None:
    """The run of the pytest session running now, or None outside of one."""
    return ACTIVE[-1] if ACTIVE else None


def limit_count(limit: int | float | None, size: int) -> int:
    """How many of a subset's `size` samples `--limit` keeps: lm-eval 0.4's `get_sample_size`,
    `int(math.ceil(size * limit)) if limit < 1.0 else int(limit)` (float products included:
    25 x 0.1 = 2.5000000000000004 -> 3), capped at the subset size."""
    if limit is None:
        return size
    count = int(math.ceil(size * limit)) if limit < 1.0 else int(limit)
    return min(count, size)
