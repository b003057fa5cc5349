"""The pytest plugin (entry point `pytest11: benchgate`): wires options, collection,
recording, aggregation, outputs and gates into pytest's session."""
from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest

from benchgate.argspec import did_you_mean
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
        unknown = _check_benchmarks(config, options)
    except OptionError as e:
        raise pytest.UsageError(str(e)) from None
    state = config.stash[STATE_KEY] = EvalState(config, options)
    _sigterm_interrupts(config)
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
        from benchgate.arena import report as arena_report
        from benchgate.engine.controller import Controller
        from benchgate.reports import console

        try:
            controller = Controller(config, options, state)
        except OptionError as e:
            raise pytest.UsageError(str(e)) from None
        config.pluginmanager.register(controller, "benchgate-controller")
        # the tables under the controller's summary line (hook pytest_benchgate_summary)
        for module, name in ((console, "benchgate-console"), (arena_report, "benchgate-arena-report")):
            if not config.pluginmanager.is_registered(module):
                config.pluginmanager.register(module, name)


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


def _register_allure(config: pytest.Config) -> None:
    """With allure-pytest's --alluredir: per-sample Allure labels, attachments and status."""
    from benchgate.reports.allure_results import AllureResults, allure_dir

    directory = allure_dir(config)
    if directory is not None:
        config.pluginmanager.register(AllureResults(config, directory, controller=not _is_worker(config)),
                                      "benchgate-allure")


def _benchmark_modules(config: pytest.Config) -> tuple[dict[str, Path], bool]:
    """(name -> module path of the benchmarks in the paths given on the command line, whether
    those paths hold hand-written evals' test files too)."""
    found: dict[str, Path] = {}
    hand_written = False
    for arg in config.args:
        path = Path(arg.split("::")[0])
        if path.is_dir():
            for folder in (path, path / "evals"):
                for p in sorted(folder.glob("*.py")):
                    if is_benchmark_module(p):
                        found.setdefault(p.stem, p)
                hand_written = hand_written or any(folder.glob("test_*.py"))
        elif is_benchmark_module(path):
            found.setdefault(path.stem, path)
        elif path.name.startswith("test_"):
            hand_written = True
    return found, hand_written


def _builtin_benchmark(config: pytest.Config, name: str) -> Path | None:
    """The module of a built-in benchmark that hand-written evals can load (`load_cases`)."""
    from benchgate.task import default_evals_dir

    for folder in (Path(config.rootpath) / "evals", default_evals_dir()):
        path = folder / f"{name}.py"
        if path.is_file() and is_benchmark_module(path):
            return path
    return None


def _check_benchmarks(config: pytest.Config, options: RunOptions) -> list[str]:
    """Before anything runs: unknown `--datasets` names, and every `--dataset-args` entry (its
    benchmark, keys, types, ranges and subset names) are usage errors listing what is accepted.
    `--datasets` names that may belong to hand-written evals (test_*.py beside the benchmarks)
    are returned, to be checked after collection."""
    modules, hand_written = _benchmark_modules(config)
    available = f"available here: {', '.join(sorted(modules))} (put paths before --datasets)"
    unknown = [n for n in options.datasets or () if n not in modules]
    if unknown and modules and not hand_written:
        raise OptionError(f"--datasets: unknown benchmark(s) {unknown}{did_you_mean(unknown, modules)}; "
                          f"{available}")
    paths = dict(modules)
    for name in options.dataset_args:
        if name not in paths and (found := _builtin_benchmark(config, name)) is not None:
            paths[name] = found  # a built-in benchmark that load_cases(name) reads
    missing = sorted(set(options.dataset_args) - set(paths))
    if missing and (modules or hand_written):
        raise OptionError(f"--dataset-args: unknown benchmark(s) {missing}{did_you_mean(missing, paths)}; "
                          f"{available}")
    from benchgate.benchmark import RunContext
    from benchgate.engine.items import import_benchmark

    for name, given in options.dataset_args.items():
        if name not in paths:
            continue
        try:
            bench = import_benchmark(paths[name])
        except Exception:  # noqa: BLE001 - a broken module is reported by its collection
            continue
        try:
            args = bench.effective_args(given)
        except ValueError as e:
            raise OptionError(str(e)) from None
        if args.get("subset_list"):
            ctx = RunContext(dataset_dir=options.dataset_dir, dataset_dirs=options.dataset_dirs,
                             dataset_hub=options.dataset_hub,
                             args=args, seed=options.seed, chat=options.chat_template)
            try:
                subsets = bench.subsets(ctx)
            except Exception:  # noqa: BLE001 - no data yet: collection says why
                continue
            wrong = [s for s in args["subset_list"] if s not in subsets]
            if wrong:
                raise OptionError(f"--dataset-args: {name} has no subset(s) {wrong}"
                                  f"{did_you_mean(wrong, subsets)}; its subsets: "
                                  f"{', '.join(subsets)}")
    return unknown if (modules or hand_written) else []


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
    if state.usage_errors:
        raise pytest.UsageError("\n".join(dict.fromkeys(state.usage_errors)))
    state.index_groups(session.items)
    if state.arena is not None:
        state.arena.index_items(session.items)
    options = state.options
    if state.groups and not options.model and not options.dry_run:
        raise pytest.UsageError("benchmark samples were collected but no --model was given "
                                "(use --model smoke for the built-in smoke-test model)")
    if state.groups or state.arena is not None:
        # what collection built (samples, prompts, benchmark data) lives for the whole run:
        # out of the collector's reach, a full collection no longer scans it (100-400 ms each
        # on a BFCL run, in the middle of an agent round); sessionfinish hands it back
        gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Fail fast: in a serial run, load every model the selected tests use before the first
    of them (the --model, the judge of judge metrics, the arena's candidates and judge), so a
    model or API that cannot be used is one usage error (exit 4) naming it, not one failure
    per sample. (xdist: the controller checks them when the first worker has collected; a
    worker that still fails to load one stops itself after its first sample.)"""
    if _is_worker(session.config) or session.config.pluginmanager.has_plugin("dsession") \
            or session.config.option.collectonly:
        return
    from benchgate.models.factory import ModelUnavailable

    state = get_state(session.config)
    try:
        state.check_models(load=True)
    except ModelUnavailable as e:
        state.check_reported = True
        raise pytest.UsageError(f"benchgate: {e}") from None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """xdist controller: when benchmark modules are to be run, check the model before the
    workers start (a cheap check: API probe, replay file read, model resolved and its config
    read; no weights), so a model that cannot be used is one usage error within seconds."""
    config = session.config
    if config.pluginmanager.has_plugin("dsession") and not _is_worker(config) \
            and not config.getoption("url", None) and _benchmark_modules(config)[0]:
        _check_model_once(config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    """xdist controller: else when the first worker reports sample tests."""
    if any(_is_sample_id(i) for i in ids):
        _check_model_once(node.config, ids)


def _check_model_once(config: pytest.Config, ids: list[str] | None = None) -> None:
    """The controller's cheap check of every model the run uses (see EvalState.check_models)."""
    state = get_state(config)
    if state.model_checked or config.option.collectonly:
        return
    state.model_checked = True
    from benchgate.models.factory import ModelUnavailable

    try:
        state.check_models(load=False, selected=ids)
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """The record travels to the controller on the `call` report; the `teardown` report,
    which `--junitxml` writes as <properties>, gets short readable properties instead."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "teardown" and hasattr(item, "junit_properties"):
        # without --junitxml nobody reads them: only drop the record's copy
        report.user_properties = item.junit_properties() if getattr(item.config.option, "xmlpath", None) else []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    gc.unfreeze()  # what pytest_collection_finish froze
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

