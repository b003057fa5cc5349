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
    default_args: ClassVar[dict[str, Any]] = {}
    # ids of the same data on the hubs: {"modelscope": "...", "huggingface": "..."}
    hub_ids: ClassVar[dict[str, str]] = {}

    def effective_args(self, user_args: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults updated by the user's `--dataset-args`, validated."""
        args = {"few_shot_num": 0, "few_shot_random": False, "subset_list": None,
                "mode": self.modes[0], "judge": None, **self.default_args}
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
        if args["judge"] is not None:
            from benchgate.judge.metric import parse_spec

            parse_spec(args["judge"], self.name)  # raises ValueError naming the key
        return args

    def metric(self, ctx: RunContext) -> str:
        """The primary metric of this run (override when it depends on the mode)."""
        return self.primary_metric

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

    # -- judge metrics (benchgate.judge.metric; --dataset-args '{"<name>": {"judge": ...}}') --
    def judge_inputs(self, ctx: RunContext, sample: Sample, outputs: Sequence[Any]):
        """What a judge metric shows the judge (a `JudgeInput`): the question (the sample's
        "question" field, else the last user message of its first request's prompt), the
        answer (the first output's text) and the reference (the target as text). Override
        when the prompt holds few-shot examples the judge should not see."""
        from benchgate.judge.metric import JudgeInput

        question = sample.data.get("question")
        if not isinstance(question, str):
            prompt = getattr(self.requests(ctx, sample)[0], "prompt", "")
            question = prompt if isinstance(prompt, str) else next(
                (m["content"] for m in reversed(prompt) if m.get("role") == "user"), "")
        answer = getattr(outputs[0], "text", str(outputs[0]))
        return JudgeInput(question, answer, None if sample.target is None else str(sample.target))

    def judge_prompts(self, ctx: RunContext, sample: Sample, outputs: Sequence[Any]) -> list:
        """The judge requests (`JudgePrompt`s) for one sample after the model answered; the
        engine sends those of a whole group to the judge in one batched, cached call. Default:
        the `judge` dataset arg's metric; [] (no judge) when it is not set. Override to judge
        your own way (and `judge_score` to read the replies)."""
        spec = self._judge_spec(ctx)
        if spec is None:
            return []
        from benchgate.judge.metric import judge_prompts

        return judge_prompts(spec, self.judge_inputs(ctx, sample, outputs), self.name)

    def judge_score(self, ctx: RunContext, sample: Sample, outputs: Sequence[Any], replies):
        """Scores from the judge's replies (`JudgeReply`s, in `judge_prompts` order): a
        `JudgeScores` whose scores are merged into the sample's scores. A reply that does not
        parse must give no metric value (never a 0)."""
        from benchgate.judge.metric import judge_scores

        return judge_scores(self._judge_spec(ctx), replies)

    def _judge_spec(self, ctx: RunContext):
        from benchgate.judge.metric import parse_spec

        return ctx.cached(("judge-spec", self.name), lambda: parse_spec(ctx.args.get("judge"), self.name))
