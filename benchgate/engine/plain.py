"""Hand-written evals: plain pytest test functions that are benchmark samples.

A test is a sample when it uses benchgate's `record` or `judge` fixture or
carries `pytest.mark.benchgate`. Its sample id is `<benchmark>/<subset>/<index>`: the benchmark is
the module name without `test_` (or the marker's `benchmark=`); with a `Case` parameter the
subset and index are the case's, otherwise the subset is the test function's name and the
index its parametrization's position. At the end of the test's call phase its record (scores
given to `record`, the prompts and responses of its `model` calls, and `requirement`: 1 when
the test passed, 0 when an assert failed) goes through `pytest_benchgate_record`, the same
path as a built-in sample's; any other exception is that sample's error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from benchgate.cases import Case
from benchgate.judge.metric import PARSE_FAILURE as JUDGE_PARSE_FAILURE

MARKER = "benchgate"
MARKER_KEYS = ("benchmark", "subset", "category", "metric")
REQUIREMENT = "requirement"  # score: 1 when the test's asserts held, 0 when one failed
ERROR_PROPERTY = "benchgate_error"  # user_properties key: {"id", "message", "when"}


class ModelCallError(Exception):
    """A model call made by a hand-written test failed; the test fails with this message."""


@dataclass
class PlainSample:
    """Where a hand-written test's record goes."""

    benchmark: str
    subset: str
    index: int
    category: str | None = None
    metric: str | None = None  # primary metric named by the marker
    case: Case | None = None
    group: tuple | None = None  # prediction group: tests with a case that use `model`

    @property
    def id(self) -> str:
        return f"{self.benchmark}/{self.subset}/{self.index}"


@dataclass
class SampleRun:
    """What one running hand-written test has recorded so far."""

    scores: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    first_metric: str | None = None
    used_prefetched: bool = False
    judgments: list[dict[str, Any]] = field(default_factory=list)  # `judge` fixture calls


SAMPLE_KEY = pytest.StashKey[PlainSample]()
RUN_KEY = pytest.StashKey[SampleRun]()
PREFETCHED_KEY = pytest.StashKey[dict]()  # request key -> (output or error message, cached)
RAN_KEY = pytest.StashKey[bool]()


FIXTURE_ROLE = "benchgate_fixture"  # attribute that names benchgate's own `model`, `judge`, `record`


def fixture_role(role: str) -> Callable[[Callable], Callable]:
    """Mark a fixture function as benchgate's own `role` fixture (benchgate.fixtures.evals),
    so the engine tells it from a project's fixture of the same name without importing it."""
    def mark(func: Callable) -> Callable:
        setattr(func, FIXTURE_ROLE, role)
        return func
    return mark


def resolves_to(item: pytest.Item, name: str) -> bool:
    """Whether the fixture `name` that `item` uses is benchgate's own fixture of that name
    (and not a project's own fixture of the same name, e.g. a conftest `model`)."""
    if name not in getattr(item, "fixturenames", ()):
        return False
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.get(name) if info is not None else None
    if not defs:
        return True
    func = getattr(defs[-1].func, "__wrapped__", defs[-1].func)
    return getattr(func, FIXTURE_ROLE, None) == name


def is_plain_eval(item: pytest.Item) -> bool:
    return isinstance(item, pytest.Function) and (
        item.get_closest_marker(MARKER) is not None or resolves_to(item, "record")
        or resolves_to(item, "judge"))


def uses_model(item: pytest.Item) -> bool:
    return resolves_to(item, "model")


def uses_judge(item: pytest.Item) -> bool:
    return resolves_to(item, "judge")


def case_of(item: pytest.Item) -> Case | None:
    """The item's Case parameter (the one named `case` when there are several)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    cases = {k: v for k, v in callspec.params.items() if isinstance(v, Case)}
    return cases.get("case") or next(iter(cases.values()), None)


def marker_args(item: pytest.Item) -> dict[str, Any]:
    """The keywords of the `pytest.mark.benchgate(...)` marks on the test, its class and
    module (the closest mark wins per keyword), validated."""
    args: dict[str, Any] = {}
    for mark in item.iter_markers(MARKER):  # closest first
        if mark.args:
            raise pytest.UsageError(f"{item.nodeid}: pytest.mark.benchgate takes keywords only "
                                    f"({', '.join(MARKER_KEYS)})")
        unknown = sorted(set(mark.kwargs) - set(MARKER_KEYS))
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: pytest.mark.benchgate: unknown keyword(s) "
                                    f"{unknown} (accepted: {', '.join(MARKER_KEYS)})")
        for key, value in mark.kwargs.items():
            if not isinstance(value, str) or not value or (key != "category" and "/" in value):
                raise pytest.UsageError(f"{item.nodeid}: pytest.mark.benchgate({key}=...) must "
                                        f"be a non-empty string without '/', got {value!r}")
            args.setdefault(key, value)
    return args


def module_benchmark(path: Path) -> str:
    """test_capitals.py -> capitals (also capitals_test.py)."""
    stem = path.stem
    if stem.startswith("test_"):
        return stem[len("test_"):]
    return stem[:-len("_test")] if stem.endswith("_test") else stem


def _param_index(item: pytest.Function) -> int | None:
    """The position of the item's parametrization (None: not parametrized by a direct argument)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return 0
    for mark in item.iter_markers("parametrize"):
        if mark.kwargs.get("indirect"):
            continue
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        for name in names:
            if name in callspec.indices:
                return callspec.indices[name]
    return None


def describe(item: pytest.Function, position: int, group_size: int) -> PlainSample:
    """The sample identity of a hand-written test (`position`: its place among the items
    of its function, used when the parametrization has no direct index)."""
    args = marker_args(item)
    case = case_of(item)
    function = item.originalname if item.cls is None else f"{item.cls.__name__}.{item.originalname}"
    if case is not None:
        subset, index = case.subset, case.index
    else:
        index = _param_index(item)
        subset, index = function, position if index is None else index
    sample = PlainSample(benchmark=args.get("benchmark") or module_benchmark(item.path),
                         subset=args.get("subset") or subset, index=index,
                         category=(case.category if case else None) or args.get("category"),
                         metric=args.get("metric"), case=case)
    if case is not None and (uses_model(item) or uses_judge(item)):
        sample.group = (str(item.path), function, sample.subset, index // group_size)
    return sample


def analyse(items: list[pytest.Item], group_size: int) -> None:
    """Tag every hand-written eval item with its PlainSample (before -k/-m selection, so
    that positions do not depend on the selection)."""
    positions: dict[tuple, int] = {}
    for item in items:
        if not is_plain_eval(item):
            continue
        key = (str(item.path), item.cls, item.originalname)
        position = positions.get(key, 0)
        positions[key] = position + 1
        sample = describe(item, position, group_size)
        item.stash[SAMPLE_KEY] = sample
        item.extra_keyword_matches.update({sample.benchmark, sample.subset})
        if sample.category:
            item.extra_keyword_matches.add(sample.category)


def pending_members(state, group: tuple, item: pytest.Item) -> list[pytest.Item]:
    """The tests of a prediction group that have not run yet, `item` (running now) included:
    whose model or judge calls a prefetch may answer in one batch."""
    members = [m for m in state.plain_groups.get(group, [item]) if not m.stash.get(RAN_KEY, False)]
    if item not in members:
        members.append(item)
    return members


def sample_of(item: pytest.Item) -> PlainSample | None:
    return item.stash.get(SAMPLE_KEY, None)


def ensure_run(item: pytest.Item, group_size: int) -> SampleRun:
    """The item's SampleRun (describing the item now if collection did not: a `record`
    fixture requested dynamically)."""
    if SAMPLE_KEY not in item.stash:
        item.stash[SAMPLE_KEY] = describe(item, 0, group_size)
    run = item.stash.get(RUN_KEY, None)
    if run is None:
        run = item.stash[RUN_KEY] = SampleRun()
    return run


def check_scores(scores: dict[str, Any]) -> dict[str, float]:
    """Metric name -> finite float; a clear error otherwise."""
    out: dict[str, float] = {}
    for name, value in scores.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"record: metric names must be non-empty strings, got {name!r}")
        if name == REQUIREMENT:
            raise ValueError(f"record: {REQUIREMENT!r} is set by benchgate (1 when the test's "
                             f"asserts held, 0 when one failed); use another name")
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, (int, float)) or isinstance(value, complex):
            raise TypeError(f"record: score {name!r} must be a number, got {type(value).__name__}")
        value = float(value)
        if math.isnan(value):
            raise ValueError(f"record: score {name!r} is NaN")
        out[name] = value
    return out


def _message(excinfo: pytest.ExceptionInfo) -> str:
    text = excinfo.exconly().strip()
    if excinfo.errisinstance(AssertionError) and text.startswith("AssertionError: "):
        text = text[len("AssertionError: "):]
    lines = text.splitlines()
    short = lines[0] if lines else type(excinfo.value).__name__
    return short[:500]


def _calls_fields(calls: list[dict[str, Any]]) -> dict[str, Any]:
    if not calls:
        return {}
    if len(calls) == 1:
        call = calls[0]
        out = {"prompt": call["prompt"], "response": call["response"]}
        if call.get("usage"):
            out["usage"] = [call["usage"]]
        return out
    usage = [c["usage"] for c in calls if c.get("usage")]
    return {"prompt": [c["prompt"] for c in calls], "response": [c["response"] for c in calls],
            **({"usage": usage} if usage else {})}


def build_record(item: pytest.Item, excinfo: pytest.ExceptionInfo | None,
                 dry_run: bool) -> tuple[dict | None, dict | None]:
    """(record, error) of a finished call phase; either may be None (a skipped test has
    neither). An assertion failure (or pytest.fail) is a failed requirement: the record keeps
    the scores given so far, with requirement 0; any other exception is an error."""
    sample = sample_of(item)
    run = item.stash.get(RUN_KEY, None) or SampleRun()
    if excinfo is not None and excinfo.errisinstance(pytest.skip.Exception) and not dry_run:
        return None, None
    failed = excinfo is not None and not excinfo.errisinstance(pytest.skip.Exception)
    requirement = failed and excinfo.errisinstance((AssertionError, pytest.fail.Exception))
    if failed and not requirement:
        from benchgate.engine.items import SampleError

        own = excinfo.errisinstance((ModelCallError, SampleError))  # messages that name the sample
        message = str(excinfo.value) if own else _message(excinfo)
        return None, {"id": sample.id, "message": message, "when": "call"}
    case = sample.case
    record: dict[str, Any] = {
        "id": sample.id, "benchmark": sample.benchmark, "subset": sample.subset,
        "index": sample.index, "category": sample.category,
        "metric": sample.metric or run.first_metric, "module": str(item.path),
        "test": item.nodeid, "target": case.target if case is not None else None,
        "cached": sum(c.get("cached", 0) for c in run.calls),
    }
    record.update(_calls_fields(run.calls))
    if run.judgments:
        record["judgments"] = [dict(j) for j in run.judgments]
    record.update(run.info)
    if dry_run:
        record["scores"] = None
        return record, None
    record["scores"] = {**run.scores, REQUIREMENT: 0.0 if requirement else 1.0}
    if JUDGE_PARSE_FAILURE in run.scores:  # `judge.score` was used: its failure rate is "at most"
        record["lower_is_better"] = [JUDGE_PARSE_FAILURE]
    if requirement:
        record["failed_requirement"] = _message(excinfo)
    return record, None


class Record:
    """The `record` fixture: scores of the running hand-written test.

    `record(acc=1.0)` or `record({"rouge-l-f": 0.4})` adds scores (the first name recorded is
    the benchmark's primary metric unless the marker names one); `record.metrics(prediction,
    reference, "rouge", "evaluate:exact_match", "my_metric")` computes named metrics and
    records them; `record.info(extracted=...)` adds fields to the sample's record."""

    RESERVED = frozenset({"id", "benchmark", "subset", "index", "category", "metric", "module",
                          "test", "scores", "failed_requirement", "cached", "judgments"})

    def __init__(self, run: SampleRun):
        self._run = run

    def __call__(self, scores: dict[str, Any] | None = None, /, **named: Any) -> None:
        values = check_scores({**(scores or {}), **named})
        if not values:
            raise ValueError("record: give at least one score, e.g. record(acc=1.0)")
        if self._run.first_metric is None:
            self._run.first_metric = next(iter(values))
        self._run.scores.update(values)

    def metrics(self, prediction: Any, reference: Any, *names: str) -> dict[str, float]:
        """Compute the named metrics (benchgate.named_metrics) and record their scores."""
        from benchgate.named_metrics import compute_all

        if not names:
            raise ValueError("record.metrics: name at least one metric, e.g. 'rouge'")
        scores = compute_all(list(names), prediction, reference)
        self(scores)
        return scores

    def info(self, **fields: Any) -> None:
        """Extra fields for the sample's record in samples.jsonl (e.g. extracted=...)."""
        clash = sorted(set(fields) & self.RESERVED)
        if clash:
            raise ValueError(f"record.info: {clash} are set by benchgate")
        self._run.info.update(fields)
