"""Cases for hand-written evals: `load_cases(...)` reads a JSONL/CSV file, or a built-in
benchmark's samples, into `Case` objects to parametrize a plain pytest test with.

    @pytest.mark.parametrize("case", load_cases("my_cases.jsonl"))
    def test_capital(case, model, record):
        record(acc=float(case.target.lower() in model.generate(case.prompt).lower()))

A case's id is `<subset>/<index>` (index: 0-based row position in its file, as built-in
samples); the sample id in results.json is `<benchmark>/<subset>/<index>`.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from benchgate.benchmark import import_benchmark, is_benchmark_module
from benchgate.data.files import read_csv_records, read_jsonl
from benchgate.errors import DataError
from benchgate.run import Run, active_run, limit_count
from benchgate.samples import RunContext
from benchgate.task import default_evals_dir

PROMPT_KEYS = ("prompt", "question", "query", "input")
TARGET_KEYS = ("target", "answer", "response", "expected", "expected_output", "reference")
SUFFIXES = (".jsonl", ".csv")


@dataclass
class Case:
    """One case of a hand-written eval. Fields of its row are also attributes
    (`case.question` is `case.data["question"]`)."""

    subset: str
    index: int
    prompt: Any  # str, or a tuple of {"role", "content"} messages
    target: Any = None
    data: dict[str, Any] = field(default_factory=dict)
    category: str | None = None
    source: str = ""  # "file:line"
    error: str | None = None  # a malformed row: the test of this case fails with this message
    stop: tuple[str, ...] = ()
    max_new_tokens: int | None = None
    oracle: Any = None  # what a perfect model answers (`--model oracle`)
    requests: tuple = ()  # built-in benchmarks: the benchmark's own requests for this sample

    @property
    def id(self) -> str:
        return f"{self.subset}/{self.index}"

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("data") or {}
        if name in data:
            return data[name]
        raise AttributeError(f"case {self.__dict__.get('subset')}/{self.__dict__.get('index')} "
                             f"has no field {name!r} (fields: {', '.join(sorted(data)) or 'none'})")

    def __repr__(self) -> str:
        return f"Case({self.id})"


def load_cases(source: str | Path, *, limit: int | None = None, subset: str | Sequence[str] | None = None,
               prompt: str | Callable[[dict], Any] | None = None, target: str | None = None,
               stop: Sequence[str] = (), max_new_tokens: int | None = None,
               dataset_dir: str | Path | None = None) -> list[Case]:
    """Cases from a `.jsonl`/`.csv` file, or the samples of a built-in benchmark by name.

    File: one case per row; the prompt is `prompt` (a `str.format` template over the row's
    fields, or a function of the row), else the first of the fields prompt/question/query/input;
    the target is the field named `target`, else the first of target/answer/response/expected/
    expected_output/reference (none: None). A relative path is looked up beside the calling
    module, then in the working directory. The subset is the file stem (or `subset`).
    Built-in (`load_cases("gsm8k")`): the same samples, prompts and targets as `evals/gsm8k.py`
    in this run (`--dataset-dir`, `--dataset-args`; a `dataset_dir` given here wins), optionally
    only the named `subset`(s).
    `limit` keeps the first N cases of each subset; `--limit` applies as well."""
    state = active_run()
    if limit is not None and limit < 1:
        raise ValueError(f"load_cases: limit must be >= 1, got {limit}")
    limit = _subset_limit(limit, state.limit if state is not None else None)
    caller = sys._getframe(1).f_globals.get("__file__")
    path = _find_file(source, caller)
    if path is not None:
        if path.suffix not in SUFFIXES:
            raise DataError(f"load_cases: {path} must be a .jsonl or .csv file")
        if subset is not None and not isinstance(subset, str):
            raise ValueError("load_cases: subset of a file is one name (the file stem by default)")
        cases = _file_cases(path, subset or path.stem, prompt, target, tuple(stop), max_new_tokens)
        return cases[:limit(len(cases))] if limit is not None else cases
    module = _builtin_module(str(source), state)
    if module is None:
        raise DataError(f"load_cases: {source!r} is neither a file (looked beside "
                        f"{caller or 'the caller'} and in {Path.cwd()}) nor a built-in benchmark")
    if prompt is not None or target is not None:
        raise ValueError(f"load_cases({source!r}): prompt/target apply to files; a built-in "
                         f"benchmark builds its own prompts")
    return _builtin_cases(module, state, limit, subset, dataset_dir)


def _subset_limit(own: int | None, run_limit: int | float | None) -> Callable[[int], int] | None:
    """subset size -> cases kept: `limit` and the run's `--limit` (N or a fraction, per subset,
    as for the built-in evals) both apply; None: keep all."""
    if own is None and run_limit is None:
        return None
    return lambda size: min(limit_count(run_limit, size), own if own is not None else size)


def _find_file(source: str | Path, caller: str | None) -> Path | None:
    path = Path(source).expanduser()
    looks_like_file = path.suffix != "" or len(path.parts) > 1
    candidates = [path] if path.is_absolute() else \
        ([Path(caller).parent / path] if caller else []) + [Path.cwd() / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    if looks_like_file:
        raise DataError(f"load_cases: file {source} not found (looked in "
                        f"{', '.join(str(c.parent) for c in candidates)})")
    return None


def _row_prompt(row: dict, prompt: str | Callable[[dict], Any] | None) -> Any:
    if callable(prompt):
        return prompt(row)
    if isinstance(prompt, str):
        try:
            return prompt.format(**row)
        except KeyError as e:
            raise ValueError(f"prompt template needs field {e} that the row does not have") from None
    for key in PROMPT_KEYS:
        if isinstance(row.get(key), str) and row[key].strip():
            return row[key]
    raise ValueError(f"no prompt: none of the fields {', '.join(PROMPT_KEYS)} is a non-empty "
                     f"string (or pass prompt=... to load_cases)")


def _row_target(row: dict, target: str | None) -> Any:
    if target is not None:
        if target not in row:
            raise ValueError(f"missing target field {target!r}")
        return row[target]
    return next((row[k] for k in TARGET_KEYS if row.get(k) is not None), None)


def _file_cases(path: Path, subset: str, prompt, target, stop: tuple[str, ...],
                max_new_tokens: int | None) -> list[Case]:
    rows = read_jsonl(path) if path.suffix == ".jsonl" else read_csv_records(path)
    cases = []
    for index, row, where in rows:
        if isinstance(row, DataError):
            cases.append(Case(subset, index, None, source=where, error=str(row)))
            continue
        try:
            case_prompt, case_target = _row_prompt(row, prompt), _row_target(row, target)
        except (ValueError, TypeError) as e:
            cases.append(Case(subset, index, None, data=row, source=where,
                              error=f"{where}: malformed row: {e}"))
            continue
        category = row.get("category") if isinstance(row.get("category"), str) else None
        cases.append(Case(subset, index, case_prompt, case_target, data=row, category=category,
                          source=where, stop=stop, max_new_tokens=max_new_tokens,
                          oracle=None if case_target is None else str(case_target)))
    return cases


def _builtin_module(name: str, state: Run | None) -> Path | None:
    folders = ([Path(state.rootpath) / "evals"] if state is not None else []) + [default_evals_dir()]
    for folder in folders:
        path = folder / f"{name}.py"
        if is_benchmark_module(path) and path.is_file():
            return path
    return None


def _builtin_cases(path: Path, state: Run | None, limit: Callable[[int], int] | None, subset,
                   dataset_dir) -> list[Case]:
    bench = import_benchmark(path)
    if state is not None and dataset_dir is None:
        ctx = state.context_for(bench)
    else:  # an explicit dataset_dir wins over the run's --dataset-dir/--dataset-hub
        import os

        folders = [Path(dataset_dir)] if dataset_dir else \
            [Path(f) for f in os.environ.get("BENCHGATE_DATASET_DIR", "").split(os.pathsep) if f]
        folder = folders[0] if folders else None
        ctx = RunContext(dataset_dir=folder, dataset_dirs=tuple(folders),
                         dataset_hub="local" if folder else "modelscope",
                         args=state.context_for(bench).args if state is not None
                         else bench.effective_args(None),
                         judge=state.context_for(bench).judge if state is not None else None)
        if state is None:  # the run's context was prepared when it was built
            bench.prepare(ctx)
    names = bench.subsets(ctx)
    wanted = [subset] if isinstance(subset, str) else (list(subset) if subset else None)
    wanted = wanted or ctx.args.get("subset_list")
    if wanted:
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise DataError(f"load_cases({bench.name!r}): no subset(s) {unknown}; "
                            f"available: {', '.join(names)}")
        names = [n for n in names if n in set(wanted)]
    cases: list[Case] = []
    for name in names:
        samples = bench.load(ctx, name)
        category = bench.category(ctx, name)
        for sample in samples[:limit(len(samples))] if limit is not None else samples:
            cases.append(_builtin_case(bench, ctx, sample, category))
    return cases


def _builtin_case(bench, ctx: RunContext, sample, category: str | None) -> Case:
    base = dict(subset=sample.subset, index=sample.index, target=sample.target, data=sample.data,
                category=category, source=sample.source)
    if sample.error:
        return Case(prompt=None, error=sample.error, **base)
    try:
        requests = tuple(bench.requests(ctx, sample))
    except Exception as e:
        return Case(prompt=None, error=f"{sample.id}: building the requests failed: "
                                       f"{type(e).__name__}: {e}", **base)
    first = requests[0] if requests else None
    kind = getattr(first, "kind", None)
    if kind == "generate":
        return Case(prompt=first.prompt, stop=first.stop, max_new_tokens=first.max_new_tokens,
                    oracle=first.oracle, requests=requests, **base)
    prompt = first.context if kind == "loglikelihood" else getattr(first, "text", None)
    return Case(prompt=prompt, requests=requests, **base)
