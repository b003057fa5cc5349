"""pytest hooks for hand-written evals (benchgate.engine.plain): case ids, sample identities,
`--datasets` selection, duplicate-id and --model checks, the running test for `model`
calls, and each test's record at the end of its call phase."""
from __future__ import annotations

import pytest

from benchgate.argspec import did_you_mean
from benchgate.cases import Case
from benchgate.engine.items import SampleError, SampleItem
from benchgate.engine.plain import (ERROR_PROPERTY, PREFETCHED_KEY, RAN_KEY, RUN_KEY, analyse,
                                    build_record, ensure_run, sample_of, uses_model)


class PlainEvalPlugin:
    """Registered once per process by benchgate's plugin."""

    def __init__(self, state):
        self.state = state

    def pytest_make_parametrize_id(self, config: pytest.Config, val, argname: str):
        """A Case parameter's test id is the case id `<subset>/<index>`."""
        return val.id if isinstance(val, Case) else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        analyse(items, self.state.options.group_size)
        datasets = self.state.options.datasets
        if datasets is None:
            return
        self.state.plain_benchmarks = {s.benchmark for s in map(sample_of, items) if s}
        drop = {i for i in items if sample_of(i) and sample_of(i).benchmark not in datasets}
        if drop:
            config.hook.pytest_deselected(items=[i for i in items if i in drop])
            items[:] = [i for i in items if i not in drop]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        state = self.state
        unknown = [n for n in state.unknown_datasets if n not in state.plain_benchmarks]
        if unknown:
            known = sorted(state.plain_benchmarks)
            raise pytest.UsageError(f"--datasets: unknown benchmark(s) {unknown}{did_you_mean(unknown, known)}; hand-written "
                                    f"evals here: {', '.join(sorted(state.plain_benchmarks)) or 'none'}")
        seen: dict[str, str] = {}
        clashes = []
        for item in session.items:
            sample = item.sample if isinstance(item, SampleItem) else sample_of(item)
            if sample is None:
                continue
            other = seen.setdefault(sample.id, item.nodeid)
            if other != item.nodeid:
                clashes.append(f"{sample.id}: {other} and {item.nodeid}")
        if clashes:
            raise pytest.UsageError(
                "two tests record the same sample id (give one of them its own "
                "pytest.mark.benchgate(benchmark=..., subset=...)):\n  " + "\n  ".join(clashes[:10]))
        if not state.options.model and not state.options.dry_run \
                and any(uses_model(i) for i in session.items):
            raise pytest.UsageError("tests that use the `model` fixture were collected but no "
                                    "--model was given (use --model smoke for the built-in "
                                    "smoke-test model)")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        self.state.current_item = item
        if sample_of(item) is not None:
            ensure_run(item, self.state.options.group_size)
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item):
        sample = sample_of(item)
        if sample is not None and sample.case is not None and sample.case.error:
            raise SampleError(f"{sample.id}: {sample.case.error}")
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        sample = sample_of(item)
        if sample is not None and call.when == "call":
            record, error = build_record(item, call.excinfo, self.state.options.dry_run)
            if record is not None:
                item.config.hook.pytest_benchgate_record(record=record, item=item)
            if error is not None:
                item.user_properties.append((ERROR_PROPERTY, error))
        elif sample is not None and call.when == "setup" and call.excinfo is not None \
                and not call.excinfo.errisinstance(pytest.skip.Exception):
            message = call.excinfo.exconly().strip().splitlines()
            item.user_properties.append((ERROR_PROPERTY, {
                "id": sample.id, "when": "setup",
                "message": f"setup failed: {message[0][:500] if message else 'error'}"}))
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem):
        try:
            return (yield)
        finally:
            self._finish(item)

    def _finish(self, item: pytest.Item) -> None:
        """Free what the test held; a guessed prompt shape it did not use is not guessed again
        for its test function."""
        item.stash[RAN_KEY] = True
        prefetched = item.stash.get(PREFETCHED_KEY, None)
        run = item.stash.get(RUN_KEY, None)
        sample = sample_of(item)
        if prefetched and run is not None and not run.used_prefetched and run.calls \
                and sample is not None and sample.group is not None:
            self.state.model.no_shape_guess.add(sample.group[:2])
        if self.state._judge_calls is not None:
            self.state.judge_calls.finish(item)
        for key in (PREFETCHED_KEY, RUN_KEY):
            if key in item.stash:
                del item.stash[key]
        if self.state.current_item is item:
            self.state.current_item = None
