"""Collection: a benchmark module becomes one pytest item per sample."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from benchgate.argspec import did_you_mean
from benchgate.benchmark import (Benchmark, DataError, DataMissing, RunContext, Sample,  # noqa: F401
                                 import_benchmark, is_benchmark_module)  # (importable from here too)
from benchgate.engine.options import limit_count
from benchgate.prediction.predictor import Prediction, encode_output
from benchgate.engine.stash import get_state
from benchgate.variants.base import apply_variant


RECORD_PROPERTY = "benchgate_record"  # user_properties key that carries a sample's record
SUBSET_ERROR_PROPERTY = "benchgate_error_id"  # user_properties key naming a failed subset (not a sample)
SKIP_PROPERTY = "benchgate_skipped"  # user_properties key of a skipped subset: {benchmark, subset, n, reason}


class SampleError(Exception):
    """A real error for one sample (model call, malformed row, extractor crash)."""


class BenchmarkFile(pytest.File):
    """An evals/<benchmark>.py module: yields one SampleItem per selected sample."""

    def collect(self):
        state = get_state(self.config)
        bench = import_benchmark(self.path)
        if not state.wants(bench.name):
            return []
        try:
            ctx = state.context_for(bench)
            return list(self._samples(state, bench, ctx, self._subsets(bench, ctx)))
        except pytest.UsageError as e:  # reported by pytest_collection_finish: exit code 4
            state.usage_errors.append(str(e))
            return []
        except DataError as e:  # no data at all, or the subset list cannot be read
            if state.options.datasets is None:  # not asked for by name: skip, say why
                self.warn(pytest.PytestWarning(f"benchmark {bench.name} skipped: {e}"))
                return []
            raise self.CollectError(f"{bench.name}: {e}") from None

    @staticmethod
    def _subsets(bench: Benchmark, ctx: RunContext) -> list[str]:
        subsets = bench.subsets(ctx)
        chosen = ctx.args.get("subset_list")
        if chosen:
            unknown = sorted(set(chosen) - set(subsets))
            if unknown:
                raise pytest.UsageError(f"--dataset-args: {bench.name} has no subset(s) {unknown}"
                                        f"{did_you_mean(unknown, subsets)}; "
                                        f"its subsets: {', '.join(subsets)}")
            subsets = [s for s in subsets if s in set(chosen)]
        return subsets

    def _samples(self, state, bench: Benchmark, ctx: RunContext, subsets: list[str]):
        limit = state.options.limit
        group_size = state.options.group_size
        for subset in subsets:
            try:
                samples, category = load_subset(bench, ctx, subset)
                reason = bench.skip_reason(ctx, subset)
            except DataMissing:
                raise
            except Exception as e:  # noqa: BLE001 - a subset that cannot be read fails alone
                message = str(e) if isinstance(e, DataError) else \
                    f"reading the data failed: {type(e).__name__}: {e}"
                yield SubsetErrorItem.from_parent(self, name=f"{bench.name}/{subset}", bench=bench,
                                                  subset=subset, message=message)
                continue
            if limit is not None:
                samples = samples[:limit_count(limit, len(samples))]
            try:  # a dynamic variant after --limit: the same --limit selects the same original items
                samples = apply_variant(bench, ctx, subset, samples)
            except Exception as e:  # noqa: BLE001 - a subset whose variant breaks fails alone
                yield SubsetErrorItem.from_parent(self, name=f"{bench.name}/{subset}", bench=bench, subset=subset,
                                                  message=f"building the variant failed: {type(e).__name__}: {e}")
                continue
            if reason is not None:
                if samples:
                    yield SkippedSubsetItem.from_parent(self, name=f"{bench.name}/{subset}", bench=bench,
                                                        subset=subset, category=category,
                                                        n=len(samples), reason=reason)
                continue
            for sample in samples:
                item = SampleItem.from_parent(self, name=sample.id, sample=sample, bench=bench,
                                              ctx=ctx, categories=_categories(bench, ctx, sample),
                                              group=(bench.name, subset, sample.index // group_size))
                yield item


def load_subset(bench: Benchmark, ctx: RunContext, subset: str) -> tuple[list[Sample], str | None]:
    """A subset's samples and category; its few-shot pool is read now too (when shots are
    asked for), so a missing or unreadable few-shot file fails the subset once, at collection,
    rather than every sample."""
    samples = bench.load(ctx, subset)
    n = ctx.args.get("few_shot_num") or 0
    if n and samples and type(bench).fewshot_pool is not Benchmark.fewshot_pool:
        pool = bench.fewshot_samples(ctx, subset)
        sources = {s.source for s in pool}
        own = any(s.source in sources for s in samples)  # the pool is the evaluation file itself
        extra = bench.fewshot_sampler == "lm_eval" and bench.fewshot_sampler_sees_eval_doc  # n+1 drawn
        if len(pool) - (own or extra) < n:
            raw = ctx.cached(("fewshot", bench.name, subset), lambda: bench.fewshot_pool(ctx, subset))
            source = raw[-1].source if raw else samples[-1].source  # the pool's file, else the split's
            where = f"{source}: " if source else ""
            raise DataError(f"{where}{bench.name}/{subset}: few_shot_num={n} but the few-shot split "
                            f"has only {len(pool)} well-formed examples"
                            + (" (a sample is never its own exemplar)" if own else "")
                            + (" (lm-eval's draw takes one more)" if extra else ""))
    return samples, bench.category(ctx, subset)


def _categories(bench: Benchmark, ctx: RunContext, sample: Sample) -> tuple[str, ...]:
    """The sample's categories; none for a malformed row (its test fails with its own error)."""
    try:
        return tuple(bench.categories(ctx, sample))
    except Exception:  # noqa: BLE001
        if sample.error:
            return ()
        raise


class SubsetErrorItem(pytest.Item):
    """A subset whose data could not be read: one failing test naming the file and line."""

    def __init__(self, *, bench: Benchmark, subset: str, message: str, **kwargs):
        super().__init__(**kwargs)
        self.message = message
        self.extra_keyword_matches.update((bench.name, subset))
        self.user_properties.append((SUBSET_ERROR_PROPERTY, f"{bench.name}/{subset}"))

    def runtest(self) -> None:
        raise SampleError(f"{self.name}: {self.message}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, SampleError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, self.name


class SampleItem(pytest.Item):
    """One sample: reads its prediction from the group prefetch, scores it, records it."""

    def __init__(self, *, sample: Sample, bench: Benchmark, ctx: RunContext,
                 categories: tuple[str, ...], group: tuple, **kwargs):
        super().__init__(**kwargs)
        self.sample = sample
        self.bench = bench
        self.ctx = ctx
        self.categories = categories  # the sample is counted in each (Benchmark.categories)
        self.category = categories[0] if categories else None
        self.group = group
        self.prediction: Prediction | None = None
        self.ran = False
        self.extra_keyword_matches.update((bench.name, sample.subset, *categories))

    def runtest(self) -> None:
        sample = self.sample
        if sample.error:
            raise SampleError(f"{sample.id}: {sample.error}")
        state = get_state(self.config)
        prediction = state.prediction_for(self)
        self.prediction, self.ran = None, True  # free memory as soon as the sample is done
        if prediction.error:
            if state.fatal:  # the model cannot be used: stop here, not one failure per sample
                self.session.shouldstop = f"benchgate: {state.fatal}"
            raise SampleError(f"{sample.id}: {prediction.error}")
        record = base_record(self, prediction)
        if not state.options.dry_run:
            try:
                scored = self.bench.score(self.ctx, sample, prediction.outputs)
            except Exception as e:
                raise SampleError(f"{sample.id}: scoring failed: {type(e).__name__}: {e}") from e
            record["extracted"] = scored.extracted
            record["scores"] = scored.scores
            if prediction.judge_replies is not None:
                self._add_judgments(record, state, prediction)
        self.config.hook.pytest_benchgate_record(record=record, item=self)

    def _add_judgments(self, record: dict, state, prediction: Prediction) -> None:
        """Merge the judge metric's scores into the record, with the judge's raw replies."""
        try:
            judged = self.bench.judge_score(self.ctx, self.sample, prediction.outputs,
                                            prediction.judge_replies)
        except Exception as e:
            raise SampleError(f"{self.sample.id}: judge scoring failed: {type(e).__name__}: {e}") from e
        record["scores"] = {**record["scores"], **judged.scores}
        if judged.extracted is not None:
            record["extracted"] = judged.extracted
        name = state.judge.name if state.judge is not None else None
        record["judgments"] = [
            {"judge": name, "prompt": jp.user, "response": reply.text,
             **(judged.details[i] if i < len(judged.details) else {})}
            for i, (jp, reply) in enumerate(zip(prediction.judge_prompts, prediction.judge_replies))]

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, SampleError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        """The data row the sample comes from (`file`, 0-based line, as pytest's locations are),
        so `--junitxml` (xunit1) and failure headers point at the row; else the module."""
        path, line = source_location(self.sample.source)
        if path is not None:
            return path, line - 1, self.sample.id
        return self.path, None, self.sample.id

    def junit_properties(self) -> list[tuple[str, str]]:
        """Short, readable properties for `--junitxml` (instead of the whole record)."""
        from benchgate.metrics.verdict import primary_score, verdict

        props = [("sample", self.sample.id), ("benchmark", self.sample.benchmark),
                 ("subset", self.sample.subset)]
        if self.category:
            props.append(("category", self.category))
        if self.sample.source:
            props.append(("file", self.sample.source))
        record = next((p[1] for p in self.user_properties if p[0] == RECORD_PROPERTY), None)
        if record is not None:
            score = primary_score(record)
            if score is not None:
                props += [("metric", str(record.get("metric"))), ("score", f"{score:g}"),
                          ("verdict", str(verdict(record)))]
        return props


def source_location(source: str) -> tuple[Path | None, int]:
    """'path:line' -> (Path, line); (None, 0) when there is no readable location."""
    path, _, line = (source or "").rpartition(":")
    if path and line.isdigit() and int(line) >= 1:
        return _path(path), int(line)
    return None, 0


@functools.lru_cache(maxsize=256)
def _path(path: str) -> Path:
    return Path(path)  # one per data file, not one per sample


class SkippedSubsetItem(pytest.Item):
    """A subset that cannot be scored in this run (Benchmark.skip_reason): one skipped test
    that tells the controller the subset, its sample count and the reason."""

    def __init__(self, *, bench: Benchmark, subset: str, category: str | None, n: int, reason: str,
                 **kwargs):
        super().__init__(**kwargs)
        self.reason = reason
        self.add_marker(pytest.mark.skip(reason=reason))
        self.extra_keyword_matches.update((bench.name, subset))
        self.user_properties.append((SKIP_PROPERTY, {"benchmark": bench.name, "subset": subset,
                                                     "category": category, "n": n, "reason": reason}))

    def runtest(self) -> None:  # never called: the skip marker skips it at setup
        pytest.skip(self.reason)

    def reportinfo(self):
        return self.path, 0, self.name  # a skip report needs a line number


def base_record(item: SampleItem, prediction: Prediction) -> dict[str, Any]:
    """The per-sample record without scores: id, prompt, outputs, target."""
    sample = item.sample
    requests = prediction.requests
    first = requests[0] if requests else None
    record: dict[str, Any] = {
        "id": sample.id,
        "benchmark": sample.benchmark,
        "subset": sample.subset,
        "index": sample.index,
        "category": item.category,
        "categories": list(item.categories),
        "metric": item.bench.metric(item.ctx),
        "module": str(item.path),
        "target": sample.target,
        "cached": prediction.cached,
    }
    lower = item.bench.lower_metrics(item.ctx)
    if lower:
        record["lower_is_better"] = list(lower)
    dimension = item.bench.dimension_for(item.ctx)
    if dimension:
        record["dimension"] = dimension
    if first is None:
        return record
    if first.kind == "generate":
        record["prompt"] = first.prompt if isinstance(first.prompt, str) else list(first.prompt)
        if prediction.outputs is not None:
            record["response"] = prediction.outputs[0].text if len(requests) == 1 else \
                [o.text for o in prediction.outputs]
            record["usage"] = [o.usage for o in prediction.outputs if o.usage] or None
    elif first.kind == "loglikelihood":
        record["prompt"] = first.context
        record["continuations"] = [r.continuation for r in requests]
        if prediction.outputs is not None:
            record["loglikelihoods"] = [encode_output(o) for o in prediction.outputs]
    else:
        record["prompt"] = first.text
        if prediction.outputs is not None:
            record["loglikelihoods"] = list(prediction.outputs)
    return record
