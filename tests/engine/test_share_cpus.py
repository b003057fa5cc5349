"""Under xdist each worker gets its share of the cores for torch's intra-op threads, and only
where the model uses torch: a worker whose model never imports torch (API, built-in, replay)
does not import it for this."""
import subprocess
import sys
import types

from benchgate.engine.state import EvalState
from tests.conftest import ROOT


class WorkerConfig:
    """What `_share_cpus` reads of an xdist worker's pytest config."""

    def __init__(self, workerinput: dict | None):
        self.workerinput = workerinput


def fake_torch(threads: int) -> types.ModuleType:
    torch = types.ModuleType("torch")
    torch.threads = threads
    torch.get_num_threads = lambda: torch.threads
    torch.set_num_threads = lambda n: setattr(torch, "threads", n)
    return torch


def test_each_worker_gets_its_share_of_the_cores(monkeypatch):
    torch = fake_torch(threads=8)
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    EvalState(WorkerConfig({"workercount": 4}), options=None)._share_cpus()
    assert torch.threads == 2  # 8 cores over 4 workers
    EvalState(WorkerConfig({"workercount": 16}), options=None)._share_cpus()
    assert torch.threads == 1  # never below one
    torch.threads = 8
    EvalState(WorkerConfig(None), options=None)._share_cpus()  # not a worker: torch's own default
    assert torch.threads == 8


def test_a_worker_without_torch_does_not_import_it():
    code = ("import sys; from benchgate.engine.state import EvalState\n"
            "class C: workerinput = {'workercount': 2}\n"
            "EvalState(C(), options=None)._share_cpus(); print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
