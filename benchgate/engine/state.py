"""Per-process run state: options, benchmark contexts, groups and the predictor."""
from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

import pytest

from benchgate.benchmark import Benchmark, RunContext
from benchgate.engine.options import RunOptions
from benchgate.prediction.predictor import Prediction, Predictor
from benchgate.prediction.progress import DEFAULT_INTERVAL, ProgressSettings
from benchgate.engine.stash import STATE_KEY, get_state  # noqa: F401 - importable from here
from benchgate.run import ACTIVE

if TYPE_CHECKING:
    from benchgate.engine.items import SampleItem

RECORDS_DIR_KEY = "benchgate_records_dir"  # workerinput: where workers store full records
_ACTIVE = ACTIVE  # the states of the pytest sessions running in this process (benchgate.run)


def active_state() -> "EvalState | None":
    """The state of the pytest session running now (for `load_cases` at collection)."""
    return _ACTIVE[-1] if _ACTIVE else None


class EvalState:
    """What one pytest process knows about the evaluation run."""

    def __init__(self, config: pytest.Config, options: RunOptions):
        self.config = config
        self.options = options
        self.contexts: dict[str, RunContext] = {}
        self.groups: dict[tuple, list["SampleItem"]] = {}
        self.plain_groups: dict[tuple, list[pytest.Item]] = {}  # hand-written tests with a case
        self.current_item: pytest.Item | None = None  # the test running now (plain tests)
        self.unknown_datasets: list[str] = []  # --datasets names left to hand-written evals
        self.plain_benchmarks: set[str] = set()  # benchmark names of the hand-written evals
        self._predictor: Predictor | None = None
        self._model = None
        self._judge = None
        self._judge_calls = None
        self.arena = None  # the arena session (benchgate.arena.session) when the arena suite runs
        self.collection_s: float | None = None  # set by the plugin's collection hooks
        self.usage_errors: list[str] = []  # bad --dataset-args found while collecting
        self.model_checked = False  # xdist controller: the model was probed once
        # the models' check before the first sample failed and was reported as a usage error
        # (plugin: exit 4 with its message), so the session's summary does not repeat it
        self.check_reported = False
        self._sink = None

    @property
    def limit(self) -> int | None:
        """--limit (benchgate.run.Run: what `load_cases` reads)."""
        return self.options.limit

    @property
    def rootpath(self):
        """The pytest rootdir (benchgate.run.Run: where `load_cases` and named metrics look)."""
        return self.config.rootpath

    @property
    def record_sink(self):
        """On an xdist worker whose controller gave a records folder: this worker's record
        file (`recorder.WorkerSink`); else None (records travel whole in the test report)."""
        if self._sink is None:
            folder = (getattr(self.config, "workerinput", None) or {}).get(RECORDS_DIR_KEY)
            if folder:
                from benchgate.engine.recorder import WorkerSink

                try:
                    self._sink = WorkerSink(folder, self.config.workerinput.get("workerid", "gw"))
                except OSError:  # no room for the file: whole records travel in the reports
                    self._sink = False
        return self._sink or None

    def wants(self, name: str) -> bool:
        return self.options.datasets is None or name in self.options.datasets

    def context_for(self, bench: Benchmark) -> RunContext:
        """The RunContext of a benchmark, with its effective `--dataset-args`."""
        ctx = self.contexts.get(bench.name)
        if ctx is None:
            try:
                args = bench.effective_args(self.options.dataset_args.get(bench.name))
            except ValueError as e:
                raise pytest.UsageError(str(e)) from None
            if args.get("judge") and not self.options.judge_model and not self.options.dry_run:
                raise pytest.UsageError(f"--dataset-args: {bench.name}.judge needs a judge model: "
                                        f"pass --judge-model (and --judge-api-url for an API)")
            ctx = RunContext(dataset_dir=self.options.dataset_dir, dataset_dirs=self.options.dataset_dirs,
                             dataset_hub=self.options.dataset_hub, args=args,
                             seed=self.options.seed, chat=self.options.chat_template,
                             judge=self.options.judge_model or None)
            try:
                bench.prepare(ctx)
            except ValueError as e:
                raise pytest.UsageError(str(e)) from None
            self.contexts[bench.name] = ctx
        return ctx

    @property
    def judge(self):
        """The judge of this run (--judge-*), built on first use; None without --judge-model.
        The object benchmarks' judge metrics, the arena and hand-written evals share."""
        if self._judge is None and self.options.judge_model:
            from benchgate.judge.model import Judge

            self._judge = Judge(self.options.judge_options(), quiet_capture=self._capture_disabled,
                                progress=self.progress_settings())
        return self._judge

    def index_groups(self, items) -> None:
        """Remember the selected items of each prediction group (after -k/--deselect)."""
        from benchgate.engine.items import SampleItem
        from benchgate.engine.plain import sample_of

        self.groups = {}
        self.plain_groups = {}
        for item in items:
            if isinstance(item, SampleItem):
                self.groups.setdefault(item.group, []).append(item)
            else:
                sample = sample_of(item)
                if sample is not None and sample.group is not None:
                    self.plain_groups.setdefault(sample.group, []).append(item)

    @property
    def judge_calls(self):
        """The `judge` fixture's object (benchgate.engine.judge_calls.JudgeCalls)."""
        if self._judge_calls is None:
            from benchgate.engine.judge_calls import JudgeCalls

            self._judge_calls = JudgeCalls(self)
        return self._judge_calls

    @property
    def model(self):
        """The `model` fixture's object (benchgate.engine.model_calls.Model)."""
        if self._model is None:
            from benchgate.engine.model_calls import Model

            self._model = Model(self)
        return self._model

    @property
    def predictor(self) -> Predictor:
        if self._predictor is None:
            from benchgate.models.factory import load_backend, model_identity

            def load(options):
                backend = load_backend(options)
                self._share_cpus()
                return backend

            self._predictor = Predictor(self.options.model_options(), load, self._capture_disabled,
                                        self.progress_settings(), identify=model_identity)
        return self._predictor

    def progress_settings(self) -> ProgressSettings:
        """Where a prediction pass's progress lines go. The controller (or a run without xdist):
        the pytest terminal (capture is off during the pass), tqdm on a TTY. An xdist worker:
        its stderr, which execnet leaves as the controller's stderr (its stdout is the channel),
        with pytest's capture lifted for each line only, the worker id in front, and no bar."""
        config = self.config
        interval = float(config.getoption("progress_interval", DEFAULT_INTERVAL))
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None:
            capman = config.pluginmanager.getplugin("capturemanager")

            def write_from_worker(line: str) -> None:
                with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
                    sys.stderr.write(line + "\n")
                    sys.stderr.flush()

            return ProgressSettings(interval, write_from_worker, bar=False,
                                    prefix=f"[{workerinput.get('workerid', 'gw')}] ")
        reporter = config.pluginmanager.getplugin("terminalreporter")
        if reporter is None:
            return ProgressSettings(interval)

        def write_to_terminal(line: str) -> None:
            reporter.write_line(line)
            reporter.flush()

        return ProgressSettings(interval, write_to_terminal)

    def _share_cpus(self) -> None:
        """Under xdist, give each worker its share of the cores for torch's intra-op threads:
        N workers each using every core oversubscribe the CPU (measured: 2 workers on 2 cores
        ran MMLU 2x slower than one process). Called once the model is loaded: a model that
        does not use torch (API, built-in, replay) has not imported it, and nothing is set
        (importing torch only to set its threads cost each worker ~1.8 CPU-s)."""
        workerinput = getattr(self.config, "workerinput", None)
        torch = sys.modules.get("torch")
        if not workerinput or torch is None:
            return
        workers = int(workerinput.get("workercount", 1))
        threads = max(1, (os.cpu_count() or 1) // workers)
        torch.set_num_threads(min(torch.get_num_threads(), threads))

    def _capture_disabled(self):
        capman = self.config.pluginmanager.getplugin("capturemanager")
        if capman is None or hasattr(self.config, "workerinput"):
            return contextlib.nullcontext()
        return capman.global_and_fixture_disabled()

    def prediction_for(self, item: "SampleItem") -> Prediction:
        """The item's prediction, prefetching its whole group on first use. With an API model
        in a single process (`--api-url`, or a panel of API judges), the groups that follow are
        taken along until a backend chunk is full, so many small subsets (MMLU's 57, LLMBar's
        five) keep every connection busy. Not under xdist (a
        worker cannot know its next group) and not for local models (their batches, and so
        their last float bits, must not depend on -n)."""
        if item.prediction is None:
            members = self._pending(item.group)
            if item not in members:
                members.append(item)
            if self.predictor.api_concurrency and not hasattr(self.config, "workerinput"):
                order = list(self.groups)
                want = self.predictor.chunk_size()
                position = order.index(item.group) + 1 if item.group in self.groups else len(order)
                for group in order[position:]:
                    if len(members) >= want:
                        break
                    members += self._pending(group)
            for m in members:
                m.prediction = build_prediction(m)
                m.prediction.stepwise = m.bench.follows_up
            bench, subset, chunk = item.group
            predictions = [m.prediction for m in members]
            along = len({m.group for m in members}) - 1  # groups taken along (API, serial)
            label = f"{bench}/{subset}#{chunk}" + (f" (+{along} more groups)" if along else "")
            try:
                self.predictor.predict(label, predictions)
                self._follow_up(label, members)
                if not self.options.dry_run:
                    self._judge_members(f"judge {bench}/{subset}#{chunk}", members)
            except Exception as e:  # noqa: BLE001 - a bug must fail its samples, not crash the run
                for p in predictions:
                    p.error = p.error or f"prediction failed: {type(e).__name__}: {e}"
            if not self.options.dry_run:
                for p in predictions:  # every sample gets all its outputs, or an error
                    if p.error is None and (p.outputs is None or any(o is None for o in p.outputs)):
                        p.error = "prediction failed: the model gave no output for this sample"
        return item.prediction

    def _follow_up(self, label: str, members: list["SampleItem"]) -> None:
        """Agent loops (Benchmark.followups): while answered samples ask for more requests, send
        the next round of every such sample of the group in one batched, cached call, so the
        conversations of a group advance together (an API model serves them concurrently)."""
        while True:
            asked = []
            for m in members:
                p = m.prediction
                if not m.bench.follows_up or p.error is not None or p.outputs is None or \
                        any(o is None for o in p.outputs):
                    continue
                try:
                    more = list(m.bench.followups(m.ctx, m.sample, p.outputs))
                except Exception as e:  # noqa: BLE001 - a benchmark bug fails its sample
                    p.error = f"building the next requests failed: {type(e).__name__}: {e}"
                    continue
                if more:
                    asked.append((m, Prediction(requests=more, sample_id=m.sample.id, offset=len(p.requests),
                                                stepwise=True)))
            if not asked:
                return
            self.predictor.predict(label, [q for _, q in asked])
            for m, q in asked:
                p = m.prediction
                if q.error is not None or q.outputs is None:
                    p.error = p.error or q.error or "prediction failed: the model gave no output for this step"
                    continue
                p.requests += q.requests
                p.outputs += q.outputs
                p.cached += q.cached

    def _judge_members(self, label: str, members: list["SampleItem"]) -> None:
        """The judge stage: the judge requests of every answered sample of the group (the
        benchmark's `judge_prompts` hook), in one batched, cached call after the model's."""
        asked = []
        for m in members:
            p = m.prediction
            if p.error is not None or p.outputs is None:
                continue
            try:
                prompts = list(m.bench.judge_prompts(m.ctx, m.sample, p.outputs))
            except Exception as e:
                p.error = f"building the judge requests failed: {type(e).__name__}: {e}"
                continue
            if prompts:
                p.judge_prompts = prompts
                asked.append(m)
        if not asked:
            return
        if self.judge is None:
            for m in asked:
                m.prediction.error = "this benchmark asks a judge: pass --judge-model"
            return
        replies = self.judge.complete([jp for m in asked for jp in m.prediction.judge_prompts], label)
        start = 0
        for m in asked:
            p = m.prediction
            p.judge_replies = replies[start:start + len(p.judge_prompts)]
            start += len(p.judge_prompts)
            failed = next((r.error for r in p.judge_replies if r.error), None)
            if failed:
                p.error = f"judge call failed: {failed}"

    def _pending(self, group: tuple) -> list["SampleItem"]:
        return [m for m in self.groups.get(group, []) if m.prediction is None and not m.ran]

    def uses_judge(self) -> bool:
        """Whether the benchmark samples of this run ask the judge (a `judge` dataset arg):
        those selected (after collection), else those the options name (xdist controller)."""
        if self.options.dry_run or not self.options.judge_model:
            return False
        if self.groups:
            return any(items and items[0].ctx.args.get("judge") for items in self.groups.values())
        return any(args.get("judge") for name, args in self.options.dataset_args.items()
                   if self.wants(name))

    def check_models(self, load: bool, selected: list[str] | None = None) -> None:
        """Fail fast: raise ModelUnavailable, with one line per model that cannot be used, when
        a model the run needs cannot be: the --model of benchmark samples, the judge of judge
        metrics, the arena's candidates and judge. `load`: load them now (a serial run, about
        to use them; only what the selected tests need); else the cheap check of the xdist
        controller (API probed, config read, no weights; `selected`: the test ids a worker
        collected, when known)."""
        from benchgate.models.factory import ModelUnavailable, check_model

        errors: list[str] = []
        checks = []
        opts = self.options
        if opts.model and not opts.dry_run and (self.groups or not load):
            checks.append(self.predictor.load if load else (lambda: check_model(opts)))
        if self.uses_judge():
            judge = self.judge
            checks.append(judge.predictor.load if load else (lambda: check_model(judge.options)))
        for check in checks:
            try:
                check()
            except ModelUnavailable as e:
                errors.append(str(e))
        if self.arena is not None:
            errors += self.arena.model_errors(load, selected)
        if errors:
            raise ModelUnavailable("\n".join(dict.fromkeys(errors)))

    @property
    def fatal(self) -> str | None:
        """Why a model this process needs (the --model, the judge, an arena candidate or judge)
        could not be loaded (the run stops), else None."""
        found = [p.load_error for p in (self._predictor, self._judge and self._judge.predictor)
                 if p is not None and p.load_error]
        if self.arena is not None:
            found += self.arena.load_errors()
        return "\n".join(dict.fromkeys(found)) or None

    def summary(self) -> dict:
        """What this process tells the controller: model identity, effective args, timings."""
        out: dict = {"dataset_args": {name: ctx.args for name, ctx in self.contexts.items()},
                     "collection_s": self.collection_s}
        predictor = self._predictor
        if self.fatal and not self.check_reported:
            out["fatal"] = self.fatal
        if predictor is not None and predictor.cache_warning:
            out["warnings"] = [predictor.cache_warning]
        if predictor is not None and predictor.loaded:
            out["model"] = {"name": predictor.name, "fingerprint": predictor.fingerprint()}
            out["stats"] = dict(predictor.stats.__dict__)
        if self.arena is not None:
            out["arena"] = self.arena.summary()
        if self._judge is not None and self._judge.predictor.loaded:
            out["judge"] = {**self._judge.describe(), "fingerprint": self._judge.fingerprint(),
                            "stats": dict(self._judge.predictor.stats.__dict__)}
        return out

    def close(self) -> None:
        if self._predictor is not None:
            self._predictor.close()
        if self._judge is not None:
            self._judge.close()
        if self.arena is not None:
            self.arena.close()
        if self._sink:
            self._sink.close()


def build_prediction(item: "SampleItem") -> Prediction:
    """A sample's requests; a failure to build them is that sample's error."""
    if item.sample.error:
        return Prediction(error=item.sample.error)
    try:
        return Prediction(requests=list(item.bench.requests(item.ctx, item.sample)),
                          sample_id=item.sample.id)
    except Exception as e:
        where = f" ({item.sample.source})" if item.sample.source else ""
        return Prediction(error=f"building the requests failed{where}: {type(e).__name__}: {e}")


def get_judge(config: pytest.Config):
    """The run's configured judge (`benchgate.judge.Judge`, from --judge-*), or None."""
    return get_state(config).judge
