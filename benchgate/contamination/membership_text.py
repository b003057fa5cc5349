"""The benchmark samples a membership check scores, and the text of each.

`--text item` (default) scores the item as it would appear in a leaked copy of the test set:
the question, its options (one per line, "A. ..."), and "Answer: " with the gold answer (the
gold option as "B. text", else the benchmark's worked solution, else the target as text). This
is how Shi et al. (2023, section 6, "dataset contamination") plant and detect benchmark
examples: each example formatted as one text with its answer. `--text question` scores the
question alone (with its options), for leaks of questions without answers.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from benchgate.benchmark import Benchmark, RunContext, Sample, import_benchmark, is_benchmark_module
from benchgate.task import default_evals_dir

TEXT_MODES = ("item", "question")
QUESTION_KEYS = ("question", "problem", "query", "input", "prompt", "user")
SOLUTION_KEYS = ("answer", "solution")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class SampleTextError(ValueError):
    """A sample whose text cannot be found (the message names the sample and its fields), or
    a benchmark name that is not one."""


@dataclass(frozen=True)
class ScoredText:
    """A sample id and the text scored for it."""

    id: str
    benchmark: str
    text: str


def benchmark_names() -> list[str]:
    """The built-in benchmarks (evals/<name>.py)."""
    return sorted(p.stem for p in default_evals_dir().glob("*.py") if is_benchmark_module(p))


def load_benchmark(name: str) -> Benchmark:
    """The benchmark `name`; SampleTextError listing the known ones."""
    path = default_evals_dir() / f"{name}.py"
    if not path.is_file() or not is_benchmark_module(path):
        raise SampleTextError(f"--datasets: unknown benchmark {name!r}; one of {', '.join(benchmark_names())}")
    return import_benchmark(path)


def load_samples(names: Sequence[str], dataset_dirs: Sequence[Path], hub: str,
                 limit: int | None = None) -> list[tuple[Sample, Benchmark]]:
    """Every evaluation sample of the benchmarks (their default --dataset-args), subsets in
    order, `limit` per subset; malformed rows are skipped (their tests fail in an eval run)."""
    out = []
    for name in names:
        bench = load_benchmark(name)
        ctx = RunContext(Path(dataset_dirs[0]) if dataset_dirs else None, hub, bench.effective_args({}),
                         dataset_dirs=tuple(Path(d) for d in dataset_dirs))
        for subset in bench.subsets(ctx):
            samples = [s for s in bench.load(ctx, subset) if not s.error]
            out += [(s, bench) for s in samples[:limit]]
    return out


def question_text(sample: Sample) -> str:
    """The sample's question (its first non-empty field of QUESTION_KEYS)."""
    for key in QUESTION_KEYS:
        value = sample.data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise SampleTextError(f"{sample.id}: no question text (looked for a non-empty "
                          f"{'/'.join(QUESTION_KEYS)} field; it has {', '.join(sorted(sample.data)) or 'none'})")


def _choices(sample: Sample) -> list[str] | None:
    choices = sample.data.get("choices")
    if isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices):
        return choices
    return None


def answer_text(sample: Sample) -> str:
    """The gold answer: "B. text" of the gold option, else the worked solution, else the target."""
    choices = _choices(sample)
    target = sample.target
    if choices is not None:
        if isinstance(target, int) and not isinstance(target, bool) and 0 <= target < len(choices):
            return f"{LETTERS[target]}. {choices[target]}"
        if isinstance(target, str) and len(target) == 1 and target in LETTERS[:len(choices)]:
            i = LETTERS.index(target)
            return f"{target}. {choices[i]}"
    for key in SOLUTION_KEYS:
        value = sample.data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    if target is None or (isinstance(target, str) and not target.strip()):
        raise SampleTextError(f"{sample.id}: no answer text (no gold option, answer/solution field or target)")
    return str(target).strip()


def sample_text(sample: Sample, mode: str = "item") -> str:
    """The text scored for a sample (module docstring): `item` or `question`."""
    if mode not in TEXT_MODES:
        raise ValueError(f"--text must be one of {', '.join(TEXT_MODES)}, got {mode!r}")
    parts = [question_text(sample)]
    choices = _choices(sample)
    if choices is not None:
        parts += [f"{LETTERS[i]}. {c.strip()}" for i, c in enumerate(choices[:len(LETTERS)])]
    if mode == "item":
        parts.append(f"Answer: {answer_text(sample)}")
    return "\n".join(parts)
