"""The floor under the engine's per-sample cost: plain pytest running N empty tests."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

_CONFTEST = '''
import time
_t = {}
def pytest_configure(config):
    _t["start"] = time.perf_counter()
def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller's span counts
        return
    with open("session_s", "w") as f:
        f.write(str(time.perf_counter() - _t["start"]))
'''


def bare_pytest_seconds(n: int, *extra: str) -> float:
    """Session time (configure to session end, as the engine's total_s) of `pytest` on ``n``
    parametrized tests whose body is `pass`, in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "conftest.py").write_text(_CONFTEST)
        (d / "test_empty.py").write_text(
            f"import pytest\n\n@pytest.mark.parametrize('i', range({n}))\ndef test_empty(i):\n    pass\n")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *extra]
        subprocess.run(cmd, cwd=d, check=True, capture_output=True, text=True)
        return float((d / "session_s").read_text())
