"""Fixtures for the model-backend tests: the smoke model, built into a temporary BENCHGATE_HOME."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def backend(smoke_path):
    """HFBackend on the smoke model, batch_size 4, default max_length (4096)."""
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"batch_size": 4, "dtype": "float32", "device": "cpu"})
    yield b
    b.close()


@pytest.fixture(scope="session")
def short_backend(smoke_path):
    """HFBackend with max_length=16, so truncation and rolling windows happen on short texts."""
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"batch_size": 3, "max_length": 16, "precision": "float32"})
    yield b
    b.close()
