"""Fixtures for the load-test tests: the scripted server in a subprocess on 127.0.0.1."""
from __future__ import annotations

import socket
from typing import Iterator

import pytest

from benchgate.perf.scripted_server import ScriptedServer


@pytest.fixture(scope="session")
def scripted() -> Iterator[ScriptedServer]:
    """One scripted server for the whole session (per-request behaviour is chosen by URL path)."""
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def refused_url() -> str:
    """A 127.0.0.1 URL nothing listens on (port bound then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/v1/chat/completions"
