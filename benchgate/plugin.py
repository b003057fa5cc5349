"""The pytest plugin (entry point `pytest11: benchgate`): wires options, collection,
recording, aggregation, outputs and gates into pytest's session."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from benchgate.engine.items import RECORD_PROPERTY, BenchmarkFile, is_benchmark_module
from benchgate.engine.options import OptionError, RunOptions, add_options
from benchgate.engine.state import _ACTIVE, STATE_KEY, EvalState, get_state

MARKER_HELP = ("benchgate(benchmark=None, subset=None, category=None, metric=None): a "
               "hand-written eval's benchmark, subset, category and primary metric in results.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    from benchgate.perf.pytest_options import add_perf_options

    add_options(parser)
    add_perf_options(parser)  # so `pytest evals --url ...` works, not only `pytest evals/perf`


SUITES = {"perf": "url", "arena": "arena_config"}  # evals/<suite> -> the option that asks for it


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the serving SLO suite (evals/perf) and the arena suite (evals/arena) out of
    benchmark runs unless they are asked for: by their option (--url, --arena-config), or by
    naming their folder."""
    option = SUITES.get(collection_path.name)
    if option and collection_path.parent.name == "evals" and not config.getoption(option, None):
        named = any(Path(a.split("::")[0]).resolve() == collection_path.resolve() or
                    collection_path.resolve() in Path(a.split("::")[0]).resolve().parents
                    for a in config.args)
        return None if named else True
    return None


def _map_suite_args(config: pytest.Config) -> None:
    """`pytest arena ...` from the repository root runs this checkout's evals/arena when no
    `arena` path exists (the issue's literal command; there is no top-level arena/ folder)."""
    suite = Path(__file__).resolve().parent.parent / "evals" / "arena"
    if not suite.is_dir():
        return
    invocation = Path(config.invocation_params.dir)
    args = list(config.args)
    for i, arg in enumerate(args):
        path, sep, rest = arg.partition("::")
        if path.rstrip("/") == "arena" and not (invocation / path).exists():
            args[i] = str(suite) + sep + rest
    config.args[:] = args


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from benchgate import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    _map_suite_args(config)
    try:
        options = RunOptions.from_pytest(config)
        unknown = _check_dataset_names(config, options)
    except OptionError as e:
        raise pytest.UsageError(str(e)) from None
    state = config.stash[STATE_KEY] = EvalState(config, options)
    state.unknown_datasets = unknown
    _ACTIVE.append(state)
    config.addinivalue_line("markers", MARKER_HELP)
    if options.arena_config is not None:
        from benchgate.arena.session import ArenaSession

        state.arena = ArenaSession(config, options)
    from benchgate.engine.plain_plugin import PlainEvalPlugin
    from benchgate.fixtures import evals as eval_fixtures
    from benchgate.fixtures import models as model_fixtures

    for module, name in ((model_fixtures, "benchgate-fixtures"), (eval_fixtures, "benchgate-eval-fixtures")):
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, name)
    config.pluginmanager.register(PlainEvalPlugin(state), "benchgate-plain-evals")
    _register_allure(config)
    if not _is_worker(config):
        from benchgate.engine.controller import Controller

        try:
            controller = Controller(config, options, state)
        except OptionError as e:
            raise pytest.UsageError(str(e)) from None
        config.pluginmanager.register(controller, "benchgate-controller")


def _register_allure(config: pytest.Config) -> None:
    """With allure-pytest's --alluredir: per-sample Allure labels, attachments and status."""
    from benchgate.reports.allure_results import AllureResults, allure_dir

    directory = allure_dir(config)
    if directory is not None:
        config.pluginmanager.register(AllureResults(config, directory, controller=not _is_worker(config)),
                                      "benchgate-allure")


def _check_dataset_names(config: pytest.Config, options: RunOptions) -> list[str]:
    """Unknown `--datasets` names are a usage error, listing the benchmarks available. Names
    that may belong to hand-written evals (test_*.py beside them) are returned, to be checked
    after collection."""
    if not options.datasets:
        return []
    known: set[str] = set()
    hand_written = False
    for arg in config.args:
        path = Path(arg.split("::")[0])
        if path.is_dir():
            for folder in (path, path / "evals"):
                known.update(p.stem for p in folder.glob("*.py") if is_benchmark_module(p))
                hand_written = hand_written or any(folder.glob("test_*.py"))
        elif is_benchmark_module(path):
            known.add(path.stem)
        elif path.name.startswith("test_"):
            hand_written = True
    unknown = [n for n in options.datasets if n not in known]
    if known and unknown and not hand_written:
        raise OptionError(f"--datasets: unknown benchmark(s) {unknown}; available here: "
                          f"{', '.join(sorted(known))} (put paths before --datasets)")
    return unknown if (known or hand_written) else []


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
    from benchgate.arena.items import ArenaItem
    from benchgate.engine.items import SampleItem
    from benchgate.engine.options import shard_of
    from benchgate.engine.plain import sample_of

    keep, drop = [], []
    for item in items:
        unit_id = item.sample.id if isinstance(item, SampleItem) else \
            item.unit.id if isinstance(item, ArenaItem) else \
            (sample_of(item).id if sample_of(item) is not None else None)
        mine = unit_id is None or shard_of(unit_id, shard[1]) == shard[0]
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
    state.index_groups(session.items)
    if state.arena is not None:
        state.arena.index_items(session.items)
    options = state.options
    if state.groups and not options.model and not options.dry_run:
        raise pytest.UsageError("benchmark samples were collected but no --model was given "
                                "(use --model smoke for the built-in smoke-test model)")


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """The record travels to the controller on the `call` report; the `teardown` report,
    which `--junitxml` writes as <properties>, gets short readable properties instead."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "teardown" and hasattr(item, "junit_properties"):
        report.user_properties = item.junit_properties()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    if _is_worker(config):
        config.workeroutput["benchgate"] = state.summary()
    state.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is not None and state in _ACTIVE:
        _ACTIVE.remove(state)

