"""The samples of benchmarks, loaded through their definitions (evals/<name>.py), and their
texts for the leakage checks (`Benchmark.contamination_texts`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from benchgate.benchmark import Benchmark, RunContext, import_benchmark, is_benchmark_module


class BenchmarkError(ValueError):
    """A benchmark that cannot be named or loaded; the message names it (and the option)."""


@dataclass(frozen=True)
class SampleTexts:
    benchmark: str
    sample_id: str
    texts: dict[str, str]  # part ("question", "answer") -> text


def available(evals_dir: Path) -> dict[str, Path]:
    """{benchmark name: module path} of the benchmark modules in `evals_dir`."""
    return {p.stem: p for p in sorted(Path(evals_dir).glob("*.py")) if is_benchmark_module(p)}


def load_benchmarks(names: list[str], evals_dir: Path) -> dict[str, Benchmark]:
    """The named benchmarks' definitions; BenchmarkError naming --datasets for an unknown one."""
    modules = available(evals_dir)
    unknown = [n for n in names if n not in modules]
    if unknown:
        raise BenchmarkError(f"--datasets: unknown benchmark(s) {', '.join(unknown)}; available in "
                             f"{evals_dir}: {', '.join(modules)}")
    return {name: import_benchmark(modules[name]) for name in names}


def context(bench: Benchmark, dataset_dirs: tuple[Path, ...], dataset_hub: str,
            args: dict[str, Any] | None = None, seed: int = 42) -> RunContext:
    """The RunContext a run with these options gives `bench` (its effective --dataset-args)."""
    try:
        effective = bench.effective_args(args or {})
    except ValueError as e:
        raise BenchmarkError(str(e)) from None
    ctx = RunContext(dataset_dir=dataset_dirs[0] if dataset_dirs else None, dataset_dirs=dataset_dirs,
                     dataset_hub=dataset_hub, args=effective, seed=seed)
    return ctx


def sample_texts(bench: Benchmark, ctx: RunContext, ids: set[str] | None = None) -> Iterator[SampleTexts]:
    """Every sample of every subset (or only those whose id is in `ids`), in subset and file
    order, with its texts. A malformed row has no texts; data that cannot be loaded is a
    BenchmarkError naming the benchmark."""
    try:
        subsets = bench.subsets(ctx)
    except Exception as e:  # noqa: BLE001 - a missing data folder, said with its reason
        raise BenchmarkError(f"{bench.name}: cannot list its subsets: {e}") from None
    chosen = ctx.args.get("subset_list")
    for subset in subsets:
        if chosen and subset not in chosen:
            continue
        if ids is not None and not any(i.startswith(f"{bench.name}/{subset}/") for i in ids):
            continue
        try:
            samples = bench.load(ctx, subset)
        except Exception as e:  # noqa: BLE001
            raise BenchmarkError(f"{bench.name}/{subset}: cannot load its samples: {e}") from None
        for sample in samples:
            if ids is not None and sample.id not in ids:
                continue
            texts = {} if sample.error else bench.contamination_texts(ctx, sample)
            yield SampleTexts(bench.name, sample.id, texts)


def all_texts(benchmarks: dict[str, Benchmark], contexts: dict[str, RunContext],
              ids: set[str] | None = None) -> Iterable[SampleTexts]:
    for name, bench in benchmarks.items():
        yield from sample_texts(bench, contexts[name], ids)
