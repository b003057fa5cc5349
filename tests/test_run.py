"""benchgate.run: what `load_cases` and the named metrics know of the running session, with no
import of the engine (docs/architecture.md). A run here is a small object with the protocol's
three members, pushed the way the plugin pushes the engine's state."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchgate.cases import load_cases
from benchgate.engine.state import EvalState, active_state
from benchgate.named_metrics import metrics_dirs
from benchgate.run import ACTIVE, Run, active_run


@dataclass
class _Run:
    limit: int | None
    rootpath: Path

    def context_for(self, bench):
        raise AssertionError("not used by file cases")


def _pushed(run: Run):
    ACTIVE.append(run)
    return run


def test_load_cases_takes_the_active_runs_limit(tmp_path):
    path = tmp_path / "five.jsonl"
    path.write_text("".join(f'{{"prompt": "q{i}", "target": "{i}"}}\n' for i in range(5)))
    run = _pushed(_Run(limit=2, rootpath=tmp_path))
    try:
        assert active_run() is run
        assert [c.prompt for c in load_cases(path)] == ["q0", "q1"]
        assert [c.prompt for c in load_cases(path, limit=1)] == ["q0"]  # the smaller one wins
    finally:
        ACTIVE.remove(run)
    assert active_run() is not run
    assert len(load_cases(path)) == 5


def test_named_metrics_look_in_the_active_runs_rootdir_first(tmp_path):
    run = _pushed(_Run(limit=None, rootpath=tmp_path))
    try:
        dirs = metrics_dirs()
    finally:
        ACTIVE.remove(run)
    assert dirs[0] == tmp_path / "metrics"
    assert tmp_path / "metrics" not in metrics_dirs()


def test_the_engine_state_is_a_run_and_shares_the_list():
    """The plugin pushes EvalState onto engine.state's list: the same list as benchgate.run's."""
    from benchgate.engine import state as state_module

    assert state_module._ACTIVE is ACTIVE
    assert all(hasattr(EvalState, name) for name in ("limit", "rootpath", "context_for"))
    assert active_state() is active_run()
