"""The pytest plugin (entry point `pytest11: benchgate`): wires options, collection,
recording, aggregation, outputs and gates into pytest's session."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from benchgate.engine.items import RECORD_PROPERTY, BenchmarkFile, is_benchmark_module
from benchgate.engine.options import OptionError, RunOptions, add_options
from benchgate.engine.state import STATE_KEY, EvalState, get_state


def pytest_addoption(parser: pytest.Parser) -> None:
    from benchgate.perf.pytest_options import add_perf_options

    add_options(parser)
    add_perf_options(parser)  # so `pytest evals --url ...` works, not only `pytest evals/perf`


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the serving SLO suite (evals/perf) out of benchmark runs unless it is asked for:
    by --url, or by naming its folder."""
    if collection_path.name == "perf" and collection_path.parent.name == "evals" \
            and not config.getoption("url", None):
        named = any(Path(a.split("::")[0]).resolve() == collection_path.resolve() or
                    collection_path.resolve() in Path(a.split("::")[0]).resolve().parents
                    for a in config.args)
        return None if named else True
    return None


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from benchgate import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    try:
        options = RunOptions.from_pytest(config)
        _check_benchmarks(config, options)
    except OptionError as e:
        raise pytest.UsageError(str(e)) from None
    state = config.stash[STATE_KEY] = EvalState(config, options)
    _sigterm_interrupts(config)
    from benchgate.fixtures import models as model_fixtures

    if not config.pluginmanager.is_registered(model_fixtures):
        config.pluginmanager.register(model_fixtures, "benchgate-fixtures")
    if not _is_worker(config):
        from benchgate.engine.controller import Controller

        try:
            controller = Controller(config, options, state)
        except OptionError as e:
            raise pytest.UsageError(str(e)) from None
        config.pluginmanager.register(controller, "benchgate-controller")


def _sigterm_interrupts(config: pytest.Config) -> None:
    """SIGTERM (a CI job cancelled, `kill`) interrupts the run like Ctrl-C, so what is finished
    is written with status "interrupted"; only when nobody else handles SIGTERM."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, interrupt)
    config.add_cleanup(lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))


def _benchmark_modules(config: pytest.Config) -> dict[str, Path]:
    """name -> module path of the benchmarks in the paths given on the command line."""
    found: dict[str, Path] = {}
    for arg in config.args:
        path = Path(arg.split("::")[0])
        if path.is_dir():
            for folder in (path, path / "evals"):
                for p in sorted(folder.glob("*.py")):
                    if is_benchmark_module(p):
                        found.setdefault(p.stem, p)
        elif is_benchmark_module(path):
            found.setdefault(path.stem, path)
    return found


def _check_benchmarks(config: pytest.Config, options: RunOptions) -> None:
    """Before anything runs: unknown `--datasets` names, and every `--dataset-args` entry (its
    benchmark, keys, types, ranges and subset names) are usage errors listing what is accepted."""
    modules = _benchmark_modules(config)
    if not modules:
        return
    available = f"available here: {', '.join(sorted(modules))} (put paths before --datasets)"
    unknown = [n for n in options.datasets or () if n not in modules]
    if unknown:
        raise OptionError(f"--datasets: unknown benchmark(s) {unknown}; {available}")
    unknown = sorted(set(options.dataset_args) - set(modules))
    if unknown:
        raise OptionError(f"--dataset-args: unknown benchmark(s) {unknown}; {available}")
    from benchgate.benchmark import RunContext
    from benchgate.engine.items import import_benchmark

    for name, given in options.dataset_args.items():
        try:
            bench = import_benchmark(modules[name])
        except Exception:  # noqa: BLE001 - a broken module is reported by its collection
            continue
        try:
            args = bench.effective_args(given)
        except ValueError as e:
            raise OptionError(str(e)) from None
        if args.get("subset_list"):
            ctx = RunContext(dataset_dir=options.dataset_dir, dataset_hub=options.dataset_hub,
                             args=args, seed=options.seed, chat=options.chat_template)
            try:
                subsets = bench.subsets(ctx)
            except Exception:  # noqa: BLE001 - no data yet: collection says why
                continue
            missing = [s for s in args["subset_list"] if s not in subsets]
            if missing:
                raise OptionError(f"--dataset-args: {name} has no subset(s) {missing}; its subsets: "
                                  f"{', '.join(subsets)}")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if is_benchmark_module(file_path):
        return BenchmarkFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """`--shard I/N`: keep the samples of shard I (after -k and other selection)."""
    shard = get_state(config).options.shard
    if shard is None:
        return
    from benchgate.engine.items import SampleItem
    from benchgate.engine.options import shard_of

    keep, drop = [], []
    for item in items:
        mine = not isinstance(item, SampleItem) or shard_of(item.sample.id, shard[1]) == shard[0]
        (keep if mine else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    get_state(session.config).collection_s = -time.perf_counter()


def pytest_collection_finish(session: pytest.Session) -> None:
    state = get_state(session.config)
    if state.collection_s is not None:
        state.collection_s += time.perf_counter()
    if state.usage_errors:
        raise pytest.UsageError("\n".join(dict.fromkeys(state.usage_errors)))
    state.index_groups(session.items)
    options = state.options
    if state.groups and not options.model and not options.dry_run:
        raise pytest.UsageError("benchmark samples were collected but no --model was given "
                                "(use --model smoke for the built-in smoke-test model)")


def _runs_samples_here(session: pytest.Session) -> bool:
    """This process runs benchmark samples that need a model (serial run or xdist worker)."""
    state = get_state(session.config)
    return bool(state.groups) and bool(state.options.model) and not state.options.dry_run \
        and not session.config.option.collectonly


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Fail fast: in a serial run, load the model before the first sample, so a model or API
    that cannot be used is one usage error (exit 4), not one failure per sample. (xdist: the
    controller checks it when the first worker has collected; a worker that still fails to
    load stops itself after its first sample.)"""
    if _is_worker(session.config) or session.config.pluginmanager.has_plugin("dsession"):
        return
    if _runs_samples_here(session):
        from benchgate.models.factory import ModelUnavailable

        try:
            get_state(session.config).predictor.load()
        except ModelUnavailable as e:
            raise pytest.UsageError(f"benchgate: {e}") from None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """xdist controller: when benchmark modules are to be run, check the model before the
    workers start (a cheap check: API probe, replay file read, model resolved and its config
    read; no weights), so a model that cannot be used is one usage error within seconds."""
    config = session.config
    if config.pluginmanager.has_plugin("dsession") and not _is_worker(config) \
            and not config.getoption("url", None) and _benchmark_modules(config):
        _check_model_once(config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    """xdist controller: else when the first worker reports sample tests."""
    if any(_is_sample_id(i) for i in ids):
        _check_model_once(node.config)


def _check_model_once(config: pytest.Config) -> None:
    state = get_state(config)
    if state.model_checked or state.options.dry_run or not state.options.model \
            or config.option.collectonly:
        return
    state.model_checked = True
    from benchgate.models.factory import ModelUnavailable, check_model

    try:
        check_model(state.options)
    except ModelUnavailable as e:
        raise pytest.UsageError(f"benchgate: {e}") from None


def _is_sample_id(nodeid: str) -> bool:
    return "::" in nodeid and nodeid.split("::", 1)[1].count("/") >= 2


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under `-n`, send whole prediction groups to one worker (each group predicted once)."""
    if config.getoption("dist") not in ("load", "loadgroup"):
        return None
    from benchgate.engine.scheduler import SampleGroupScheduling

    return SampleGroupScheduling(config, log)


def pytest_benchgate_record(record: dict, item: pytest.Item) -> None:
    """Forward the record to the controller: whole (serial), or, on an xdist worker, stored in
    the worker's record file with only a summary sent (prompts do not cross the wire)."""
    sink = get_state(item.config).record_sink
    item.user_properties.append((RECORD_PROPERTY, sink.write(record) if sink else record))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    if _is_worker(config):
        config.workeroutput["benchgate"] = state.summary()
    state.close()

