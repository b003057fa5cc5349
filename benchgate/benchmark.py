"""The benchmark definition API: what one module in `evals/` implements.

A benchmark says where its data is, how a sample becomes model requests, and how
the model's outputs are scored. Everything else (collection, batching, caching,
recording, aggregation, gates) is the engine's job.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Sequence

from benchgate.models.base import Request


# the seed's evaluation dimensions a benchmark can belong to (docs/results.md "Evaluation dimensions")
DIMENSIONS = ("Safety", "Bias", "Hallucination", "Instruction Following", "Robustness")


class DataError(ValueError):
    """A malformed data file or row; the message names the file and line."""


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

    @property
    def id(self) -> str:
        return f"{self.benchmark}/{self.subset}/{self.index}"


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
    # the judge model of the run (set by the judge stage); None: no judge, judge-scored parts
    # are skipped with a reason (Benchmark.skip_reason), never scored 0
    judge: str | None = None
    _cache: dict = field(default_factory=dict)

    def cached(self, key: Any, build):
        """Memoise per-process data (few-shot pools, category maps)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]


def shuffle_choices(choices: Sequence[str], target: int, seed: int, sample_id: str) -> tuple[list[str], int]:
    """Seeded permutation of a sample's choices; returns (choices, new index of the gold one).
    The same (seed, sample id) always gives the same order."""
    order = list(range(len(choices)))
    random.Random(f"shuffle/{seed}/{sample_id}").shuffle(order)
    return [choices[i] for i in order], order.index(target)


class Benchmark:
    """Base class for a benchmark module. Subclasses set the class attributes and
    implement `subsets`, `load`, `requests` and `score`."""

    name: ClassVar[str]
    modes: ClassVar[tuple[str, ...]] = ("generate",)
    primary_metric: ClassVar[str] = "acc"
    lower_is_better: ClassVar[tuple[str, ...]] = ()  # metrics gated as "at most" (perplexity)
    # the seed's evaluation dimension the benchmark measures (DIMENSIONS), None for none of them
    dimension: ClassVar[str | None] = None
    default_args: ClassVar[dict[str, Any]] = {}
    # ids of the same data on the hubs: {"modelscope": "...", "huggingface": "..."}
    hub_ids: ClassVar[dict[str, str]] = {}

    def effective_args(self, user_args: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults updated by the user's `--dataset-args`, validated."""
        args = {"few_shot_num": 0, "few_shot_random": False, "subset_list": None,
                "mode": self.modes[0], **self.default_args}
        for key, value in (user_args or {}).items():
            if key not in args:
                raise ValueError(f"--dataset-args: unknown key {key!r} for {self.name} "
                                 f"(accepted: {', '.join(sorted(args))})")
            args[key] = value
        if args["mode"] not in self.modes:
            raise ValueError(f"--dataset-args: {self.name} mode must be one of {self.modes}, "
                             f"got {args['mode']!r}")
        if not isinstance(args["few_shot_num"], int) or args["few_shot_num"] < 0:
            raise ValueError(f"--dataset-args: {self.name} few_shot_num must be an integer >= 0")
        return args

    def metric(self, ctx: RunContext) -> str:
        """The primary metric of this run (override when it depends on the mode)."""
        return self.primary_metric

    def dimension_for(self, ctx: RunContext) -> str | None:
        """The evaluation dimension of this run: "Robustness" when the run perturbs its
        samples (`perturb`), else the class's `dimension`."""
        return "Robustness" if ctx.args.get("perturb") else self.dimension

    def lower_metrics(self, ctx: RunContext) -> tuple[str, ...]:
        """The metrics of this run for which lower is better (gated as "at most")."""
        return self.lower_is_better

    def skip_reason(self, ctx: RunContext, subset: str) -> str | None:
        """Why a subset cannot be scored in this run (e.g. its scoring needs a judge model and
        none was given), else None. A skipped subset's samples are not run; results.json lists
        it under `skipped` with this reason and its sample count, never as a score of 0."""
        return None

    # -- data -------------------------------------------------------------
    def subsets(self, ctx: RunContext) -> list[str]:
        """All subset names, in a stable order."""
        raise NotImplementedError

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        """The evaluation split of one subset, in file order."""
        raise NotImplementedError

    def fewshot_pool(self, ctx: RunContext, subset: str) -> list[Sample]:
        """Few-shot exemplars for one subset (empty when the benchmark is zero-shot)."""
        return []

    def category(self, ctx: RunContext, subset: str) -> str | None:
        """The category a subset belongs to, for the per-category breakdown."""
        return None

    def shots(self, ctx: RunContext, sample: Sample) -> list[Sample]:
        """The few-shot exemplars for a sample: the first n of the pool in file order, or a
        seeded random draw (seed, sample id) when few_shot_random is set. When the pool is
        the evaluation file itself, the sample is never its own exemplar (rows are told
        apart by their "file:line" source)."""
        n = ctx.args["few_shot_num"]
        if n == 0:
            return []
        pool = ctx.cached(("fewshot", self.name, sample.subset),
                          lambda: self.fewshot_pool(ctx, sample.subset))
        if sample.source:
            pool = [s for s in pool if s.source != sample.source]
        if len(pool) < n:
            raise DataError(f"{self.name}/{sample.subset}: few_shot_num={n} but the few-shot "
                            f"split has only {len(pool)} examples")
        if ctx.args["few_shot_random"]:
            return random.Random(f"{ctx.seed}/{sample.id}").sample(pool, n)
        return pool[:n]

    # -- model I/O ----------------------------------------------------------
    def requests(self, ctx: RunContext, sample: Sample) -> list[Request]:
        """The model requests for one sample. Each request carries its `oracle` output."""
        raise NotImplementedError

    def score(self, ctx: RunContext, sample: Sample, outputs: Sequence[Any]) -> Scored:
        """Score the outputs of `requests` (same order)."""
        raise NotImplementedError

    def corpus_metrics(self, scores: Sequence[dict[str, float]]) -> dict[str, float]:
        """Metrics that are not means of per-sample values (e.g. word perplexity from summed
        loglikelihoods and word counts), computed by the controller for each subset, category
        and the whole benchmark from the per-sample scores. Per-sample score keys starting
        with '_' are components for this and are not reported as metrics themselves."""
        return {}


def chat_prompt(ctx: RunContext, user: str, system: str | None = None) -> str | tuple:
    """A one-turn prompt: chat messages (system, user) when the model takes chat messages
    (--chat-template on), else the plain text, system and user joined by a blank line."""
    if ctx.chat:
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
        return tuple(messages)
    return f"{system}\n\n{user}" if system else user
