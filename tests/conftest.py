"""Shared test helpers: where the real data is, and running pytest on evals/ in a subprocess."""
from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator
from unittest import mock

import pytest
from _pytest import unraisableexception
from filelock import FileLock
from hypothesis import HealthCheck, settings

from benchgate.cli import main as benchgate_main

# Hypothesis' per-example deadline is a timing check: on a loaded CI machine the first example
# of a test (imports, warm-up) can take over a second. Correctness is what the property tests
# check; speed is measured by the scripts in benchmarks/.
settings.register_profile("benchgate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("benchgate")

# One torch/OpenMP thread per xdist worker (set before anything imports torch; the subprocesses
# a test starts inherit it): CI runs 3 workers on 2 cores, and torch's default of one thread per
# core per worker had 6 spinning threads contend for 2 cores.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

# The suite's processes hold large heaps (every test module, torch, transformers, data sets,
# hypothesis), and CPython's default thresholds (700, 10, 10) ran a full collection of all of it
# ~20 times per xdist worker: 6-8 s of each worker's ~32 CPU-s on tests/evals, tests/ifeval and
# tests/judge (measured with gc.callbacks). A young collection every 10,000 allocations (not 700)
# and each older one after 50 of the younger (not 10): 1.5-2.7 s of collections per worker, the
# same tests 85-89 user CPU-s instead of 97-101 (docs/testing.md).
gc.set_threshold(10_000, 50, 50)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCHGATE_DATASET_DIR") or ROOT.parent / "shared" / "benchmarks")
# the arena/judge data (../shared/arena): beside the benchmark data
ARENA_DATA = Path(os.environ.get("BENCHGATE_ARENA_DIR") or DATA.parent / "arena")
# the safety, instruction-following, bias and hallucination sets (../shared/safety)
SAFETY = Path(os.environ.get("BENCHGATE_SAFETY_DIR") or DATA.parent / "safety")
# the tool-use data (../shared/agent: bfcl/)
AGENT = Path(os.environ.get("BENCHGATE_AGENT_DIR") or DATA.parent / "agent")


# Fixtures that make a test slow (seconds, not milliseconds): they run a whole suite, start a
# server or a browser, or build or run the smoke model. A test using one is marked `slow`.
SLOW_FIXTURES = frozenset({
    "run_evals", "run_arena", "benchgate_home", "smoke_path", "reward_model_path", "smoke_served",
    "backend", "short_backend", "served", "runs", "chromium", "open_page",
})


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt in the main thread for the test, as in a terminal: a
    shell that starts the suite in the background (`cmd &`) hands it SIGINT ignored, and the
    tests of Ctrl-C then saw nothing happen."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `slow` every test that uses a SLOW_FIXTURES fixture (tests that start processes
    otherwise carry the mark themselves), so `pytest tests -m "not slow"` is the inner loop.

    Skip ``timing`` tests under ``-n`` with more than one worker: they assert on wall-clock
    times (a known truth within 2%, or a bound), and another worker's load on the same cores
    moves those times by more than that. ``.ci/run`` runs them alone after the parallel run."""
    slow = pytest.mark.slow
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())) and \
                item.get_closest_marker("slow") is None:
            item.add_marker(slow)
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) <= 1:
        return
    skip = pytest.mark.skip(reason="timing test: runs alone, not beside other xdist workers "
                                   "(pytest tests -m timing)")
    timed = [item for item in items if item.get_closest_marker("timing") is not None]
    for item in timed:
        item.add_marker(skip)
    if hasattr(config, "workerinput"):  # an xdist worker's session, not one a test runs inside it
        _write_timing_files(timed)


def _write_timing_files(timed: list[pytest.Item]) -> None:
    """The files that hold the skipped timing tests, one per line, into the file that
    BENCHGATE_TIMING_FILES names (.ci/run: its timing run collects those files alone, not the
    whole suite again: 1 s instead of 7). Every worker collects the same tests and writes the
    same list; each replaces the file whole. The sessions that tests run inside a worker (a
    documented `pytest tests ...` selection) see the worker's environment but are no xdist
    workers: they write nothing (one did, an empty list, and CI then ran no timing test)."""
    target = os.environ.get("BENCHGATE_TIMING_FILES")
    if not target:
        return
    files = sorted({str(Path(str(item.path)).relative_to(ROOT)) for item in timed})
    tmp = f"{target}.{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    Path(tmp).write_text("".join(f"{f}\n" for f in files))
    os.replace(tmp, target)


@pytest.hookimpl(wrapper=True, trylast=True)  # inside pytest-cov's own pause of its measurement
def pytest_runtest_call(item: pytest.Item):
    """A `no_cover` test runs untraced under xdist too. pytest-cov 7 pauses its worker's
    measurement for it, but an xdist worker also starts the coverage pytest-cov starts for the
    controller (the worker gets the controller's `-n`), and that one then traces the test; it is
    stopped here for the test's call and started again after it."""
    coverage = sys.modules.get("coverage")  # imported by pytest-cov when it measures
    if item.get_closest_marker("no_cover") is None or coverage is None:
        return (yield)
    paused = []
    while (current := coverage.Coverage.current()) is not None:
        current.stop()
        paused.append(current)
    try:
        return (yield)
    finally:
        for cov in reversed(paused):
            cov.start()


@pytest.fixture(scope="session")
def arena_dir() -> Path:
    if not (ARENA_DATA / "mt_bench").is_dir():
        pytest.fail(f"real arena data not found at {ARENA_DATA} (set BENCHGATE_ARENA_DIR)")
    return ARENA_DATA


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "mmlu").is_dir():
        pytest.fail(f"real benchmark data not found at {DATA} (set BENCHGATE_DATASET_DIR)")
    return DATA


@pytest.fixture(scope="session")
def safety_dir() -> Path:
    if not (SAFETY / "xstest").is_dir():
        pytest.fail(f"safety data not found at {SAFETY} (set BENCHGATE_SAFETY_DIR)")
    return SAFETY


@pytest.fixture(scope="session")
def agent_dir() -> Path:
    if not (AGENT / "bfcl").is_dir():
        pytest.fail(f"agent data not found at {AGENT} (set BENCHGATE_AGENT_DIR)")
    return AGENT


def score_all(bench, ctx, backend: str = "oracle", subsets=None, limit=None) -> list:
    """Score every sample of a benchmark in-process with a built-in backend ('oracle' or
    'wrong'), through the benchmark's own requests and score: [(sample, Scored)]."""
    from benchgate.models.builtin import OracleBackend, WrongBackend

    model = OracleBackend() if backend == "oracle" else WrongBackend()
    out = []
    for subset in subsets or bench.subsets(ctx):
        for sample in bench.load(ctx, subset)[:limit]:
            assert sample.error is None, sample.error
            requests = bench.requests(ctx, sample)
            outputs = []
            for r in requests:
                call = {"generate": model.generate, "loglikelihood": model.loglikelihood,
                        "loglikelihood_rolling": model.loglikelihood_rolling}[r.kind]
                outputs += call([r])
            out.append((sample, bench.score(ctx, sample, outputs)))
    return out


def mean_score(scored: list, metric: str) -> float:
    values = [s.scores[metric] for _, s in scored if metric in s.scores]
    return sum(values) / len(values)


class EvalRun:
    """A finished `pytest evals ...` subprocess and its outputs."""

    def __init__(self, proc: subprocess.CompletedProcess, output_dir: Path):
        self.proc = proc
        self.output_dir = output_dir
        self.code = proc.returncode
        self.out = proc.stdout + proc.stderr

    @property
    def results(self) -> dict:
        return json.loads((self.output_dir / "results.json").read_text())

    def samples(self) -> list[dict]:
        return [json.loads(line) for line in (self.output_dir / "samples.jsonl").read_text().splitlines()]


def session_shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory that every xdist worker of this pytest session shares (the session's base
    temporary directory; without xdist, the process's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build) -> Path:
    """`shared/name`, built by `build(path)` once per pytest session: the first xdist worker to
    take the file lock builds it, the others wait and reuse it."""
    shared = session_shared_dir(tmp_path_factory)
    target, done = shared / name, shared / f"{name}.built"
    with FileLock(str(shared / f"{name}.lock")):
        if not done.exists():
            if target.exists():
                shutil.rmtree(target)  # a builder that died half-way
            target.mkdir()
            build(target)
            done.touch()
    return target


@pytest.fixture(scope="session")
def shared_smoke_home(tmp_path_factory) -> Path:
    """A BENCHGATE_HOME holding the smoke model, built once per pytest session (all xdist workers
    together) by `smoke_model_path`, the code under test."""
    from benchgate.models.smoke import smoke_model_path

    def build(home: Path) -> None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("BENCHGATE_HOME", str(home))
            smoke_model_path()

    return build_once(tmp_path_factory, "smoke_home", build)


@pytest.fixture(scope="session")
def benchgate_home(tmp_path_factory) -> Path:
    """One BENCHGATE_HOME per xdist worker (its caches stay the worker's own); `smoke_path`
    links the session's one smoke model into it."""
    return tmp_path_factory.mktemp("benchgate_home")


@pytest.fixture(scope="session")
def smoke_path(benchgate_home, shared_smoke_home) -> str:
    """The smoke model in the session's BENCHGATE_HOME (`benchgate_home`): a link to the
    session's one build (`shared_smoke_home`), found there by `smoke_model_path`. Tests that
    run `--model smoke` in a subprocess or in-process ask for this fixture, so no run builds
    its own."""
    from benchgate.models.smoke import SMOKE_MODEL_NAME, smoke_model_path

    link = benchgate_home / SMOKE_MODEL_NAME
    if not link.exists():
        link.symlink_to(shared_smoke_home / SMOKE_MODEL_NAME, target_is_directory=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCHGATE_HOME", str(benchgate_home))
        return smoke_model_path()


@pytest.fixture(scope="session")
def smoke_served(smoke_path) -> Iterator[str]:
    """`transformers serve` pinned to the smoke model, one per pytest session (per xdist worker
    that needs it): its base URL ``http://127.0.0.1:PORT/v1``. Requests name the model by
    `smoke_path`. The tests that share it only send requests; none changes the server."""
    from benchgate.fixtures.servers import transformers_serve

    with transformers_serve(smoke_path) as url:
        yield url


_XDIST_ARGS = ("-n", "--numprocesses", "--dist")


def exit_code(e: SystemExit) -> int:
    """The status a process ending with `e` exits with (None: 0; a message: 1)."""
    return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)


def run_pytest(args: list[str], *, env: dict | None = None, subprocess_: bool = False,
               timeout: int = 600, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`pytest ARGS` from `cwd` (the repository root): in this process (`pytest.main`) by default, in a
    `python -m pytest` subprocess with `subprocess_` or when ARGS ask for xdist workers.

    In-process runs see the same options, files and exit code; they skip the ~2 s start-up of a
    fresh interpreter and its imports (~8 s more where torch is imported), so they are the
    default wherever the test is not about a process (signals, exit codes of a killed process,
    fail-fast wall times, logs written by other processes, xdist: mark it `subprocess`).
    `env` is laid over os.environ for the run; both are restored afterwards, as are the
    modules the run imported from the suite (evals, conftests: a later run imports them anew).
    """
    full_env = {**os.environ, **(env or {})}
    if subprocess_ or any(a == x or a.startswith(x + "=") for a in args for x in _XDIST_ARGS):
        cmd = [sys.executable, "-m", "pytest", *args]
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=full_env)
    with in_process(env, cwd) as (out, err):
        try:
            code = int(pytest.main([str(a) for a in args]))
        except SystemExit as e:  # as `python -m pytest` would exit
            code = exit_code(e)
    return subprocess.CompletedProcess(["pytest", *args], code, out.getvalue(), err.getvalue())


def run_benchgate(args: list, *, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`benchgate ARGS` (the CLI) in this process, as `python -m benchgate.cli ARGS` would run
    from `cwd`: the same exit code, stdout and stderr (`in_process`). For tests of what the
    command does, not of its process (those run it as a subprocess)."""
    words = [str(a) for a in args]
    with in_process(env, cwd) as (out, err):
        try:
            code = int(benchgate_main(words) or 0)
        except SystemExit as e:  # argparse's usage errors, as the process would exit
            code = exit_code(e)
    return subprocess.CompletedProcess(["benchgate", *words], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def in_process(env: dict | None = None, cwd: Path = ROOT) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Run a pytest session (`pytest.main`, benchgate's CLI or `run_task`) in this process as
    `python -m pytest` would from `cwd` (the repository root): `env` laid over os.environ,
    `cwd` as working directory, stdout and stderr into the yielded buffers; then
    os.environ, the working directory and sys.path are restored and the modules the session
    imported from suite files (evals, conftests) are dropped, so a later session imports them
    anew."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.update(env or {})
        os.chdir(cwd)
        with forget_suite_modules(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


@contextlib.contextmanager
def forget_suite_modules() -> Iterator[None]:
    """Restore sys.path and drop the modules imported from suite files (evals, examples,
    conftests, a test's temporary folder) when the block ends. Every in-process pytest session
    needs it: suite modules share basenames (two `test_capitals` in different folders), and one
    left in sys.modules makes a later session on the same worker fail with pytest's "import
    file mismatch"."""
    saved_path = list(sys.path)
    before = set(sys.modules)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - before:
            module = sys.modules.get(name)
            if module is not None and _suite_module(module):
                del sys.modules[name]


@pytest.fixture(scope="session", autouse=True)
def _no_unraisable_gc_rounds() -> Iterator[None]:
    """No full garbage collection at the end of each pytest session the tests run in this
    process (`run_pytest`, the CLI, `pytest.main` in a test), as pytester's own inline runs
    (it sets `gc_collect_iterations_key` to 0 for the same reason): pytest's
    unraisable-exception plugin runs `gc.collect()` twice per session to surface exceptions
    from finalizers, ~0.3 s each in a worker that has imported torch and transformers. The
    test process's own session still collects at its end (after this fixture)."""
    with mock.patch.object(unraisableexception, "gc_collect_harder", lambda iterations: None):
        yield


@pytest.fixture(autouse=True)
def _suite_modules_forgotten() -> Iterator[None]:
    """Every test: the suite modules an in-process session imported (through pytest.main,
    benchgate's CLI or run_task, wrapped or not) are dropped after it, so no later test on this
    worker meets a stale module of the same basename."""
    with forget_suite_modules():
        yield


def _suite_module(module) -> bool:
    """A module imported from test or suite files (evals/, arena/, examples, conftests, a test's
    temporary directory), not from benchgate or an installed library."""
    file = getattr(module, "__file__", None)
    if not file:
        return module.__name__.startswith("benchgate_suite_fixtures")
    path = Path(file).resolve()
    return not (path.is_relative_to(ROOT / "benchgate") or "site-packages" in path.parts
                or path.is_relative_to(Path(os.__file__).resolve().parent))


@pytest.fixture
def run_evals(request, tmp_path, data_dir, benchgate_home):
    """run_evals(*args, output="out", evals=ROOT/"evals", env=None, subprocess_=None) -> EvalRun:
    `pytest evals ARGS` in this process, or in a subprocess where the test is marked
    `subprocess` (a run's `subprocess_` overrides the mark for that run) or ARGS ask for xdist
    workers (`run_pytest`)."""
    counter = iter(range(1000))
    in_subprocess = request.node.get_closest_marker("subprocess") is not None

    def run(*args: str, output: str | None = None, evals: Path | None = None,
            env: dict | None = None, timeout: int = 600, subprocess_: bool | None = None) -> EvalRun:
        out_dir = tmp_path / (output or f"out{next(counter)}")
        # the shared benchmarks unless the test names its own data folders (--dataset-dir
        # accumulates: a second one would be searched after the default)
        data = [] if "--dataset-dir" in args else ["--dataset-dir", str(data_dir)]
        cmd = [str(evals or ROOT / "evals"), "-q", "-p", "no:cacheprovider",
               *data, "--output-dir", str(out_dir),
               "--cache-path", str(tmp_path / "cache.sqlite"), *args]
        proc = run_pytest(cmd, env={"BENCHGATE_HOME": str(benchgate_home), **(env or {})},
                          subprocess_=in_subprocess if subprocess_ is None else subprocess_,
                          timeout=timeout)
        return EvalRun(proc, out_dir)

    return run


# A tiny reward model (Llama with a one-label sequence-classification head), built locally and
# deterministically with the smoke model's tokenizer, saved and loaded through from_pretrained.
def build_reward_model(smoke_path: str, out: Path) -> Path:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(smoke_path)
    tokenizer.save_pretrained(out)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, initializer_range=0.2, num_labels=1,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1234)
        model = LlamaForSequenceClassification(config).to(torch.float32)
    model.save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="session")
def reward_model_path(smoke_path, tmp_path_factory) -> str:
    """The tiny reward model, built once per pytest session (all xdist workers together)."""
    return str(build_once(tmp_path_factory, "reward_model", lambda out: build_reward_model(smoke_path, out)))


# -- the arena suite, for tests/arena and the integration tests that run it ----------------

class ArenaRun:
    def __init__(self, proc, output_dir: Path):
        self.proc, self.output_dir, self.code = proc, output_dir, proc.returncode
        self.out = proc.stdout + proc.stderr

    @property
    def results(self) -> dict:
        return json.loads((self.output_dir / "results.json").read_text(encoding="utf-8"))

    @property
    def arena(self) -> dict:
        return self.results["arena"]

    def samples(self) -> list[dict]:
        return [json.loads(x) for x in (self.output_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()]

    def reviews(self) -> list[dict]:
        return [json.loads(x) for x in
                (self.output_dir / "arena" / "reviews.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def run_arena(request, tmp_path, benchgate_home):
    """run_arena(config, *args, output="out", target="arena", cmd=None) -> ArenaRun: `pytest arena
    --arena-config CONFIG ...` from the repository root, in this process (`run_pytest`), or in
    a subprocess where the test is marked `subprocess` or runs another command (`cmd`)."""
    counter = iter(range(1000))
    in_subprocess = request.node.get_closest_marker("subprocess") is not None

    def run(config: Path, *args: str, output: str | None = None, target: str = "arena",
            cmd: list[str] | None = None, env: dict | None = None, timeout: int = 600) -> ArenaRun:
        out = tmp_path / (output or f"out{next(counter)}")
        tail = ["--output-dir", str(out), "--cache-path", str(tmp_path / "cache.sqlite"), *args]
        run_env = {"BENCHGATE_HOME": str(benchgate_home), **(env or {})}
        if cmd is None:
            proc = run_pytest([target, "-q", "-p", "no:cacheprovider", "--arena-config", str(config), *tail],
                              env=run_env, subprocess_=in_subprocess, timeout=timeout)
        else:
            proc = subprocess.run(cmd + tail, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, **run_env})
        return ArenaRun(proc, out)

    return run
