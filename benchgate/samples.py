"""The plain data a run is made of: a `Sample`, its `Scored` result and the `RunContext` a
benchmark sees (a bottom layer: imports nothing of benchgate).

`benchgate.benchmark` re-exports them, where benchmark authors find them (docs/writing-a-benchmark.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Sample:
    """One evaluation item. `index` is its 0-based position in the evaluation split file."""

    benchmark: str
    subset: str
    index: int
    data: dict[str, Any]
    target: Any
    source: str = ""  # "file:line" for error messages
    error: str | None = None  # a malformed row: its test fails with this message
    # a dynamic variant of the item ("numbers-7": the variant and its seed), "" for the original
    variant: str = ""

    @property
    def id(self) -> str:
        base = f"{self.benchmark}/{self.subset}/{self.index}"
        return f"{base}{VARIANT_SEP}{self.variant}" if self.variant else base


# a variant's sample id is the original's id, this separator and the variant: gsm8k/main/3~numbers-7
VARIANT_SEP = "~"


def pair_key(sample_id: str) -> str:
    """The id of the original item a sample id stands for (the id without its variant), the
    key that pairs a variant run's samples with the original run's."""
    return sample_id.split(VARIANT_SEP, 1)[0]


def variant_of_id(sample_id: str) -> str:
    """The variant a sample id carries ("numbers-7"), "" for an original item."""
    return sample_id.partition(VARIANT_SEP)[2]


@dataclass
class Scored:
    """A scored sample: the extracted answer and the metric values (a wrong answer scores 0)."""

    extracted: Any
    scores: dict[str, float]


@dataclass
class RunContext:
    """What a benchmark needs to know about the run: where data lives and its effective args."""

    dataset_dir: Path | None
    dataset_hub: str
    args: dict[str, Any]
    seed: int = 0
    chat: bool = False  # the model takes chat messages (chat template on)
    # the judge model of the run (--judge-model), set by the engine for every benchmark; the
    # judge stage asks it what `Benchmark.judge_prompts` returns. None: no judge in this run,
    # judge-scored parts are skipped with a reason (Benchmark.skip_reason), never scored 0
    judge: str | None = None
    _cache: dict = field(default_factory=dict)
    # every --dataset-dir, searched in order for a benchmark's folder (default: dataset_dir alone)
    dataset_dirs: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        if not self.dataset_dirs and self.dataset_dir is not None:
            self.dataset_dirs = (Path(self.dataset_dir),)

    def cached(self, key: Any, build):
        """Memoise per-process data (few-shot pools, category maps)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]
