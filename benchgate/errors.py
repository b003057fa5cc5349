"""The error types every layer may raise (the bottom layer: imports nothing of benchgate).

`benchgate.benchmark` re-exports them, where benchmark authors find them (docs/writing-a-benchmark.md).
"""
from __future__ import annotations


class DataError(ValueError):
    """A malformed data file or row; the message names the file and line."""


class DataMissing(DataError):
    """The benchmark's data is not there at all (no folder, hub unreachable): the whole
    benchmark is skipped when it was not asked for by name, else it fails collection."""


class DataWarning(UserWarning):
    """Data that was skipped (malformed few-shot rows); the message names the file and line."""
