"""A run freezes what collection built (gc.freeze: full collections no longer scan it, so
no 100-400 ms pause lands in an agent round) and hands it back to the collector at the end."""
import gc

from benchgate.engine import state as state_module


def test_collected_objects_frozen_during_the_run_only(run_evals, monkeypatch):
    counts = []
    predict = state_module.EvalState.prediction_for

    def seen(self, item):
        counts.append(gc.get_freeze_count())
        return predict(self, item)

    monkeypatch.setattr(state_module.EvalState, "prediction_for", seen)
    assert gc.get_freeze_count() == 0
    run = run_evals("--model", "dummy", "--datasets", "gsm8k", "--limit", "3")
    assert run.code == 0, run.out[-2000:]
    assert counts and min(counts) > 10_000  # the interpreter's objects and the collected samples
    assert gc.get_freeze_count() == 0  # handed back when the session finished
