"""The benchmark definition API: what one module in `evals/` implements.

A benchmark says where its data is, how a sample becomes model requests, and how
the model's outputs are scored. Everything else (collection, batching, caching,
recording, aggregation, gates) is the engine's job.
"""
from __future__ import annotations

import random
import warnings
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping, Sequence

from benchgate.argspec import Arg, check_args, spec_of, with_default
from benchgate.errors import DataError, DataMissing, DataWarning  # noqa: F401 - the benchmark API
from benchgate.metrics.dimension import DimensionScore, headline
from benchgate.models.base import Request
from benchgate.pathimport import import_path
from benchgate.samples import RunContext, Sample, Scored  # noqa: F401 - the benchmark API

# --dataset-args every benchmark accepts (plus "mode", one of the benchmark's modes)
BASE_ARGS: dict[str, Arg] = {
    "few_shot_num": Arg(0, int, min=0, help="few-shot exemplars per prompt"),
    "few_shot_random": Arg(False, help="seeded random draw of the exemplars instead of the first n"),
    "subset_list": Arg(None, str, each=True, sep=",", help="only these subsets (a list, or names separated by commas)"),
    "judge": Arg(None, (str, dict, bool), help="a judge metric: 'score', 'correct' or an object "
                 "(benchgate.judge.metric; needs --judge-model)"),
}

# lm-evaluation-harness `--fewshot_random_seed` default (lm_eval.defaults.DEFAULT_OTHER_SEED)
LM_EVAL_FEWSHOT_SEED = 1234


# the seed's evaluation dimensions a benchmark can belong to (docs/results.md "Evaluation dimensions")
DIMENSIONS = ("Safety", "Bias", "Hallucination", "Instruction Following", "Robustness", "Agent",
              "Judge")


def shuffle_choices(choices: Sequence[str], target: int, seed: int, sample_id: str) -> tuple[list[str], int]:
    """Seeded permutation of a sample's choices; returns (choices, new index of the gold one).
    The same (seed, sample id) always gives the same order."""
    order = list(range(len(choices)))
    random.Random(f"shuffle/{seed}/{sample_id}").shuffle(order)
    return [choices[i] for i in order], order.index(target)


def lm_eval_draws(pool_size: int, n: int, n_docs: int, seed: int = LM_EVAL_FEWSHOT_SEED,
                  is_eval_doc: Callable[[int, int], bool] | None = None) -> list[list[int]]:
    """Pool indices of the exemplars lm-evaluation-harness' default sampler
    (`lm_eval.api.samplers.ContextSampler`) gives eval docs 0..n_docs-1: one `random.Random(seed)`
    for the whole task, one `rnd.sample(pool, n)` per doc in doc order. With `is_eval_doc`
    (lm-eval passes the eval doc to the sampler when the task has no test split) it draws n+1,
    drops pool docs equal to the eval doc, keeps n, and redraws from the pool without them when
    fewer than n are left, as lm-eval does."""
    rnd = random.Random(seed)
    draws = []
    for doc in range(n_docs):
        if is_eval_doc is None:
            draws.append(rnd.sample(range(pool_size), n))
            continue
        picked = [i for i in rnd.sample(range(pool_size), n + 1) if not is_eval_doc(doc, i)][:n]
        if len(picked) < n:
            rest = [i for i in range(pool_size) if not is_eval_doc(doc, i)]
            if len(rest) < n:
                raise DataError(f"eval doc {doc}: only {len(rest)} few-shot examples differ from it, "
                                f"{n} needed")
            picked = rnd.sample(rest, n)
        draws.append(picked)
    return draws


class Benchmark:
    """Base class for a benchmark module. Subclasses set the class attributes and
    implement `subsets`, `load`, `requests` and `score`."""

    name: ClassVar[str]
    modes: ClassVar[tuple[str, ...]] = ("generate",)
    primary_metric: ClassVar[str] = "acc"
    lower_is_better: ClassVar[tuple[str, ...]] = ()  # metrics gated as "at most" (perplexity)
    # the seed's evaluation dimension the benchmark measures (DIMENSIONS), None for none of them
    dimension: ClassVar[str | None] = None
    # extra --dataset-args keys: a plain default (its type is checked) or an Arg with type/range
    default_args: ClassVar[dict[str, Any]] = {}
    # ids of the same data on the hubs: {"modelscope": "...", "huggingface": "..."}
    hub_ids: ClassVar[dict[str, str]] = {}
    # how the reference picks few-shot exemplars (without few_shot_random): "first_n" = the
    # first n of the pool in file order (lm-eval FirstNSampler); "lm_eval" = lm-eval's seeded
    # default sampler (`lm_eval_draws`), reproduced draw for draw
    fewshot_sampler: ClassVar[str] = "first_n"
    # lm-eval gives its sampler the eval doc (tasks without a test split): n+1 drawn, eval doc dropped
    fewshot_sampler_sees_eval_doc: ClassVar[bool] = False
    # an agent loop: `followups` gives requests that depend on the model's answers so far
    follows_up: ClassVar[bool] = False
    # dynamic variants the benchmark can build (`variant_of`), chosen with the `variant` and
    # `variant_seed` dataset args (docs/contamination.md)
    variants: ClassVar[tuple[str, ...]] = ()

    def arg_specs(self) -> dict[str, Arg]:
        """Every accepted --dataset-args key with its type, range and default."""
        specs = {**BASE_ARGS, "mode": Arg(self.modes[0], str, choices=tuple(self.modes))}
        if self.variants:
            specs["variant"] = Arg(None, str, choices=self.variants,
                                   help="a dynamic variant of every item (docs/contamination.md)")
            specs["variant_seed"] = Arg(0, int, min=0, help="the seed of the variant's draws")
        for key, value in self.default_args.items():
            if key in specs and not isinstance(value, Arg):
                specs[key] = with_default(specs[key], value)
            else:
                specs[key] = spec_of(value)
        return specs

    def effective_args(self, user_args: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults updated by the user's `--dataset-args`; unknown keys, wrong types and
        values out of range raise ValueError naming the key and what it accepts."""
        args = check_args(user_args, self.arg_specs(), f"--dataset-args: {self.name}")
        if args["judge"] is not None:
            from benchgate.judge.metric import parse_spec

            parse_spec(args["judge"], self.name)  # raises ValueError naming the key
        return args

    def prepare(self, ctx: RunContext) -> None:
        """Called once per process when the run's context is built (with `ctx.judge`): check
        the args that depend on the run and resolve run-dependent defaults in `ctx.args`, so
        results.json records what was used. Raise ValueError (naming the key) for a usage error."""

    def metric(self, ctx: RunContext) -> str:
        """The primary metric of this run (override when it depends on the mode)."""
        return self.primary_metric

    def dimension_for(self, ctx: RunContext) -> str | None:
        """The evaluation dimension of this run: "Robustness" when the run perturbs its
        samples (`perturb`), else the class's `dimension`."""
        return "Robustness" if ctx.args.get("perturb") else self.dimension

    def dimension_score(self, metrics: Mapping[str, float], primary: str,
                        lower: Sequence[str]) -> DimensionScore:
        """This benchmark's score in its evaluation dimension, "behaves well" in [0, 1], from
        its aggregate metrics ({name: value}) and the run's primary metric and lower-is-better
        metrics (benchgate.metrics.dimension). Default: the primary metric, 1 - it when lower
        is better. Override when the primary metric alone rewards bad behaviour (xstest's
        over-refusal rate says nothing of unsafe compliance)."""
        return headline(metrics, primary, lower)

    def lower_metrics(self, ctx: RunContext) -> tuple[str, ...]:
        """The metrics of this run for which lower is better (gated as "at most"); with the
        `judge` dataset arg also its parse-failure rate."""
        return self.lower_is_better + (("judge_parse_failure",) if ctx.args.get("judge") else ())

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

    def categories(self, ctx: RunContext, sample: Sample) -> list[str]:
        """The categories one sample is counted in (once in each) for the per-category
        breakdown. Default: its subset's `category`. Override for per-sample categories (MATH
        levels) or subsets that belong to several categories (CMMLU's China-specific subjects)."""
        category = self.category(ctx, sample.subset)
        return [category] if category else []

    def fewshot_samples(self, ctx: RunContext, subset: str) -> list[Sample]:
        """The few-shot pool of a subset (memoised) without its malformed rows, which are
        skipped with one DataWarning naming their file:line."""
        def build() -> list[Sample]:
            pool = ctx.cached(("fewshot", self.name, subset), lambda: self.fewshot_pool(ctx, subset))
            bad = [s for s in pool if s.error]
            if bad:
                shown = "; ".join(str(s.error) for s in bad[:5])
                more = f"; ... (+{len(bad) - 5} more)" if len(bad) > 5 else ""
                warnings.warn(DataWarning(f"{self.name}/{subset}: skipped {len(bad)} malformed "
                                          f"few-shot row(s): {shown}{more}"), stacklevel=2)
            return [s for s in pool if not s.error]
        return ctx.cached(("fewshot-valid", self.name, subset), build)

    def shots(self, ctx: RunContext, sample: Sample) -> list[Sample]:
        """The few-shot exemplars for a sample, as the reference picks them (`fewshot_sampler`):
        the first n of the pool in file order, or lm-evaluation-harness' seeded draw for this
        sample's position in the evaluation split. `few_shot_random: true` instead draws a
        seeded random set per sample (--seed, sample id). When the pool is the evaluation file
        itself, the sample is never its own exemplar (rows are told apart by "file:line")."""
        n = ctx.args["few_shot_num"]
        if n == 0:
            return []
        full = self.fewshot_samples(ctx, sample.subset)
        pool = [s for s in full if s.source != sample.source] if sample.source else full
        if len(pool) < n:
            where = f"{sample.source}: " if sample.source else ""
            raise DataError(f"{where}{self.name}/{sample.subset}: few_shot_num={n} but the few-shot "
                            f"split has only {len(pool)} other examples")
        if ctx.args["few_shot_random"]:
            return random.Random(f"{ctx.seed}/{sample.id}").sample(pool, n)
        if self.fewshot_sampler == "lm_eval":
            draws, position = ctx.cached(("lm_eval_draws", self.name, sample.subset, n),
                                         lambda: self._lm_eval_draws(ctx, sample.subset, full, n))
            return [full[i] for i in draws[position[sample.index]]]
        return pool[:n]

    def _lm_eval_draws(self, ctx: RunContext, subset: str, pool: list[Sample], n: int):
        """(draws for every eval doc in file order, {sample index: doc position})."""
        docs = self.load(ctx, subset)
        need = n + 1 if self.fewshot_sampler_sees_eval_doc else n  # lm-eval draws one extra here
        if len(pool) < need:
            where = f"{pool[-1].source}: " if pool and pool[-1].source else ""
            raise DataError(f"{where}{self.name}/{subset}: few_shot_num={n} needs {need} few-shot examples "
                            f"(lm-eval's draw), the few-shot split has only {len(pool)}")
        same = None
        if self.fewshot_sampler_sees_eval_doc:
            same = lambda d, i: (pool[i].data, pool[i].target) == (docs[d].data, docs[d].target)  # noqa: E731
        draws = lm_eval_draws(len(pool), n, len(docs), is_eval_doc=same)
        return draws, {s.index: pos for pos, s in enumerate(docs)}

    def variant_of(self, ctx: RunContext, sample: Sample, variant: str, rng: random.Random) -> Sample:
        """The `variant` of one sample, its gold answer recomputed, drawn from `rng` (seeded by
        the variant, its seed and the sample id); raise `benchgate.variants.base.Dropped` saying
        why when the item has no such variant (it is then left out of the variant run). Benchmarks with `variants`
        implement it (benchgate.variants)."""
        raise NotImplementedError(f"{self.name} has no variants")

    # -- model I/O ----------------------------------------------------------
    def requests(self, ctx: RunContext, sample: Sample) -> list[Request]:
        """The model requests for one sample. Each request carries its `oracle` output."""
        raise NotImplementedError

    def score(self, ctx: RunContext, sample: Sample, outputs: Sequence[Any]) -> Scored:
        """Score the outputs of `requests` (same order)."""
        raise NotImplementedError

    def followups(self, ctx: RunContext, sample: Sample, outputs: Sequence[Any]) -> list[Request]:
        """With `follows_up = True`: the next requests of a sample given every output so far
        (an agent loop's next step), [] when the sample is complete. The engine asks after each
        round and batches the rounds of a whole group; `score` then gets all outputs in order.
        Build them from `outputs` alone (no state kept between calls), so cache and replay work."""
        return []

    def corpus_metrics(self, scores: Sequence[dict[str, float]]) -> dict[str, float]:
        """Metrics that are not means of per-sample values (e.g. word perplexity from summed
        loglikelihoods and word counts), computed by the controller for each subset, category
        and the whole benchmark from the per-sample scores. Per-sample score keys starting
        with '_' are components for this and are not reported as metrics themselves."""
        return {}

    def contamination_texts(self, ctx: RunContext, sample: Sample) -> dict[str, str]:
        """The texts of a sample that leakage checks compare with a corpus (docs/contamination.md),
        {"question": ..., "answer": ...} (a part that is missing is left out). Default: the
        question is the first text among the data fields "question", "problem", "query",
        "prompt", "input", "instruction", "text"; the answer is the "answer" or "solution" field,
        else the gold choice's text (`choices` indexed by an integer target or a letter A, B, ...),
        else the target as text. Override when the sample keeps its texts elsewhere."""
        data = sample.data if isinstance(sample.data, dict) else {}
        out: dict[str, str] = {}
        question = next((data[k] for k in ("question", "problem", "query", "prompt", "input",
                                           "instruction", "text") if isinstance(data.get(k), str)), None)
        if question is not None:
            out["question"] = question
        answer = next((data[k] for k in ("answer", "solution") if isinstance(data.get(k), str)), None)
        target, choices = sample.target, data.get("choices")
        if answer is None and isinstance(choices, (list, tuple)) and choices:
            if isinstance(target, str) and len(target) == 1 and "A" <= target <= "Z":
                target = ord(target) - ord("A")
            if isinstance(target, int) and not isinstance(target, bool) and 0 <= target < len(choices):
                answer = str(choices[target])
        if answer is None and isinstance(target, (str, int, float)) and not isinstance(target, bool):
            answer = str(target)
        if answer is not None:
            out["answer"] = answer
        return out

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

def chat_prompt(ctx: RunContext, user: str, system: str | None = None) -> str | tuple:
    """A one-turn prompt: chat messages (system, user) when the model takes chat messages
    (--chat-template on), else the plain text, system and user joined by a blank line."""
    if ctx.chat:
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
        return tuple(messages)
    return f"{system}\n\n{user}" if system else user


# -- benchmark modules (evals/<name>.py), found by the engine and by load_cases --
def is_benchmark_module(path: Path) -> bool:
    """Modules directly in an `evals/` folder, except conftest, test_* and _private ones."""
    return (path.suffix == ".py" and path.parent.name == "evals"
            and not path.name.startswith(("_", "test_", "conftest")))


def import_benchmark(path: Path) -> Benchmark:
    """Import an evals module by path and return its `BENCHMARK` instance."""
    module = import_path(f"benchgate_evals.{path.stem}", path)
    bench = getattr(module, "BENCHMARK", None)
    if not isinstance(bench, Benchmark):
        raise TypeError(f"{path}: a benchmark module must define BENCHMARK = <Benchmark instance>")
    return bench
