"""Group prefetch: all requests of a group in one batched, cached pass (DESIGN.md section 3).

The first sample test of a group asks for its outputs; the predictor then builds the
requests of every selected sample of that group, looks them up in the cache, computes
the misses in length-sorted chunks, writes each chunk through to the cache, and hands
each sample its outputs. Per-sample tests never call the model themselves.
"""
from __future__ import annotations

import contextlib
import inspect
import queue
import sqlite3
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from benchgate.prediction.cache import CacheKeys, PredictionCache
from benchgate.prediction.progress import PassProgress, ProgressSettings
from benchgate.models.batching import by_count
from benchgate.models.factory import ModelUnavailable, api_concurrency, load_failure_message
from benchgate.models.base import (BackendError, BatchError, Generation, Loglikelihood, ModelBackend,
                                   Request)
from benchgate.models.replay import ReplayError, ReplaySource

NO_CACHE_MODELS = ("dummy", "oracle", "wrong")
CACHE_ERRORS = (sqlite3.Error, OSError, ValueError)  # ValueError: a corrupt cached value


class CacheWarning(UserWarning):
    """The prediction cache could not be used; the run goes on without it."""


def encode_output(output: Any) -> Any:
    """Model output -> JSON value (cache and samples.jsonl)."""
    if isinstance(output, Loglikelihood):
        return [output.logprob, output.is_greedy]
    if isinstance(output, Generation):
        return {"text": output.text, "usage": output.usage}
    return output


def decode_output(kind: str, value: Any) -> Any:
    """Inverse of encode_output for a request kind."""
    if kind == "loglikelihood":
        return Loglikelihood(float(value[0]), bool(value[1]))
    if kind == "generate":
        return Generation(value["text"], value.get("usage"))
    return float(value)


def cache_identity(fingerprint: dict) -> dict:
    """The part of a fingerprint that keys the cache: where the weights are hashed, their
    location does not matter (a moved or re-downloaded checkpoint keeps its cache)."""
    if fingerprint.get("content_sha256"):
        return {k: v for k, v in fingerprint.items() if k not in ("model", "path")}
    return fingerprint


def _order(request: Request) -> tuple:
    """Longest first; loglikelihood requests with the same context stay together, so one backend
    call holds all the choices of a sample and their shared context is forwarded once."""
    if request.kind == "loglikelihood":
        return -len(request.context), request.context, -len(request.continuation)
    return (-_length(request),)


def _length(request: Request) -> int:
    if request.kind == "loglikelihood":
        return len(request.context) + len(request.continuation)
    if request.kind == "generate":
        p = request.prompt
        return len(p) if isinstance(p, str) else sum(len(m.get("content") or "") for m in p)  # None: tool calls
    if request.kind == "reward":
        return sum(len(m.get("content", "")) for m in request.messages)
    return len(request.text)


def _streams_results(method) -> bool:
    """Whether a backend method reports each result as it completes (`on_result`)."""
    try:
        return "on_result" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


@dataclass
class Prediction:
    """A sample's requests and, after prefetch, their outputs or the error that stopped them."""

    requests: list[Request] = field(default_factory=list)
    sample_id: str = ""
    outputs: list[Any] | None = None
    error: str | None = None
    cached: int = 0
    judge_prompts: list | None = None  # JudgePrompts of a judge metric, after the model answered
    judge_replies: list | None = None  # the judge's JudgeReplies, in judge_prompts order
    # a follow-up round of a multi-step sample (Benchmark.followups): its requests come after
    # `offset` earlier ones, and a replay file serves it from the saved list at that position
    offset: int = 0
    stepwise: bool = False


@dataclass
class PredictorStats:
    requests: int = 0
    cache_hits: int = 0
    computed: int = 0
    seconds: float = 0.0


class Predictor:
    """Holds the model (loaded lazily, once per process) and the cache. `progress`: how a pass
    that computes requests shows its progress (default: a line every 10 s on stderr, tqdm on a
    TTY; prediction/progress.py)."""

    def __init__(self, options, load_backend: Callable[[Any], ModelBackend],
                 quiet_capture: Callable[[], contextlib.AbstractContextManager] | None = None,
                 progress: ProgressSettings | None = None,
                 identify: Callable[[Any], tuple[str, dict] | None] | None = None):
        self.options = options
        self.progress = progress or ProgressSettings()
        self._load_backend = load_backend
        # (name, fingerprint) without loading the model (models.factory.model_identity): the
        # model is then loaded only when a request misses the cache
        self._identify = identify
        self._identity: tuple[str, dict] | None = None
        self._backend: ModelBackend | None = None
        self._load_error: str | None = None
        self._fingerprint: dict | None = None
        self._api_concurrency: tuple[int] | None = None  # (0,): not served over an API
        self._cache: PredictionCache | None = None
        self._quiet_capture = quiet_capture or contextlib.nullcontext
        self.stats = PredictorStats()
        self._replay = None
        self.cache_warning: str | None = None  # why the cache was given up (once per process)

    @property
    def backend(self) -> ModelBackend:
        if self._load_error is not None:  # load once; later groups fail fast with the same reason
            raise ModelUnavailable(self._load_error)
        if self._backend is None:
            try:
                self._backend = self._load_backend(self.options)
            except Exception as e:
                self._load_error = load_failure_message(self.options, e)
                raise ModelUnavailable(self._load_error) from None
        return self._backend

    @property
    def load_error(self) -> str | None:
        """Why the model (or replay file) could not be loaded; None when it loaded or was not tried."""
        return self._load_error

    def load(self) -> None:
        """Check the model now (load it, read the replay file, or identify a local model from
        its files and config: its weights wait for the first cache miss), so that a model that
        cannot be used stops the run once, before any sample; raises ModelUnavailable."""
        if self.options.dry_run:
            return
        if (self.options.model or "").startswith("replay:"):
            self._replay_source()
        elif self._identified() is None:
            self.backend  # noqa: B018 - loads it

    def _identified(self) -> tuple[str, dict] | None:
        """(name, fingerprint) without loading the model, where `identify` gives it (tried once;
        a model it cannot identify is loaded instead, which says why it cannot be used)."""
        if self._identify is not None and self._backend is None and self._load_error is None:
            identify, self._identify = self._identify, None
            try:
                self._identity = identify(self.options)
            except Exception:  # noqa: BLE001 - loading the backend reports the reason
                self._identity = None
        return self._identity

    @property
    def loaded(self) -> bool:
        """The model is known: loaded, read (replay) or identified without loading."""
        return self._backend is not None or self._replay is not None or self._identity is not None

    @property
    def name(self) -> str:
        if self._replay is not None:
            return "replay"
        identity = self._identified() if self._backend is None else None
        return identity[0] if identity else self.backend.name

    def fingerprint(self) -> dict:
        if self._replay is not None:
            return self._replay.fingerprint()
        if self._fingerprint is None:
            identity = self._identified() if self._backend is None else None
            self._fingerprint = identity[1] if identity else self.backend.fingerprint()
        return self._fingerprint

    @property
    def cache(self) -> PredictionCache | None:
        """The cache, or None (built-in models; or it could not be opened: warned once)."""
        if self._cache is None and self.cache_warning is None \
                and self.options.model not in NO_CACHE_MODELS:
            try:
                self._cache = PredictionCache(self.options.cache_path,
                                              timeout=getattr(self.options, "cache_timeout", 60.0))
            except CACHE_ERRORS as e:
                self._give_up_cache("opened", e)
        return self._cache

    def _cache_get(self, keys) -> dict[str, Any]:
        cache = self.cache
        if cache is None:
            return {}
        try:
            return cache.get_many(keys)
        except CACHE_ERRORS as e:
            self._give_up_cache("read", e)
            return {}

    def _cache_put(self, items: dict[str, Any]) -> None:
        cache = self.cache
        if cache is None or not items:
            return
        try:
            cache.put_many(items)
        except CACHE_ERRORS as e:
            self._give_up_cache("written", e)

    def _give_up_cache(self, action: str, error: BaseException) -> None:
        """Go on without the cache: every output is still delivered, scored and written;
        one warning says why (read-only or full disk, a lock held too long, a corrupt file)."""
        self.cache_warning = (f"the prediction cache {self.options.cache_path} could not be {action} "
                              f"({type(error).__name__}: {error}); going on without it, so this "
                              f"run's predictions are not cached")
        warnings.warn(CacheWarning(self.cache_warning), stacklevel=2)
        if self._cache is not None:
            with contextlib.suppress(Exception):
                self._cache.close()
            self._cache = None

    @property
    def api_concurrency(self) -> int | None:
        """Requests in flight when the model is served over an API (`--api-url`, or a panel
        whose members all are; `models.factory.api_concurrency`), else None."""
        if self._api_concurrency is None:
            self._api_concurrency = (api_concurrency(self.options) or 0,)
        return self._api_concurrency[0] or None

    def chunk_size(self) -> int:
        """Requests per backend call; each call's results are written to the cache as it ends.
        Local models: a few batches. API models (a panel of API judges too): 64 waves of
        `concurrency` requests, so the wave that drains at the end of a call costs under 2%
        of the ideal rate."""
        args = self.options.model_args
        batch = args.get("batch_size", 8)
        batch = batch if isinstance(batch, int) and batch > 0 else 8
        return max(64, 4 * batch, 64 * (self.api_concurrency or 0))

    def streamed_generation_chunk(self, size: int) -> int:
        """Requests per call of a local backend's generate that reports each result as it
        finishes (continuous batching): 32 batches, so its batch seldom drains; the cache is
        still written result by result. API backends: `size`."""
        if self.options.api_url:
            return size
        batch = self.options.model_args.get("batch_size", 8)
        batch = batch if isinstance(batch, int) and batch > 0 else 8
        return max(size, 32 * batch)

    @property
    def replay(self):
        """The replay source of `--model replay:FILE`, else None."""
        if (self.options.model or "").startswith("replay:"):
            return self._replay_source()
        return None

    def _replay_source(self):
        if self._load_error is not None:
            raise ModelUnavailable(self._load_error)
        if self._replay is None:
            try:
                self._replay = ReplaySource(self.options.model[len("replay:"):])
            except Exception as e:
                self._load_error = load_failure_message(self.options, e)
                raise ModelUnavailable(self._load_error) from None
        return self._replay

    def predict(self, label: str, predictions: Sequence[Prediction]) -> None:
        """Fill `outputs` (or `error`) of every prediction, computing cache misses in batches."""
        if self.options.dry_run:
            return
        try:
            replay = self.replay
        except ModelUnavailable as e:
            self._fail([(p, 0) for p in predictions], str(e))
            return
        if replay is not None:
            self._predict_replay(predictions)
            return
        start = time.perf_counter()
        # one entry per distinct request: key -> (request, [(prediction, position), ...])
        wanted: dict[str, tuple[Request, list[tuple[Prediction, int]]]] = {}
        try:
            fingerprint = cache_identity(self.fingerprint())
        except BackendError as e:  # model failed to load: every sample of the group fails
            for p in predictions:
                p.error = p.error or str(e)
            return
        key_of = CacheKeys(fingerprint, self.options.generation)
        for p in predictions:
            if p.error is not None:
                continue
            p.outputs = [None] * len(p.requests)
            for pos, request in enumerate(p.requests):
                key = key_of(request)
                wanted.setdefault(key, (request, []))[1].append((p, pos))
        self.stats.requests += len(wanted)
        found: dict[str, Any] = {}
        if self.options.use_cache:
            for key, value in self._cache_get(wanted).items():
                request, users = wanted[key]
                try:
                    output = decode_output(request.kind, value)
                except (KeyError, IndexError, TypeError, ValueError):
                    continue  # a malformed cached value: computed again
                found[key] = value
                self._deliver(users, output, cached=True)
            self.stats.cache_hits += len(found)
        misses = [(k, r) for k, (r, _) in wanted.items() if k not in found]
        if misses:
            self._compute(label, misses, wanted)
        self.stats.seconds += time.perf_counter() - start

    def _predict_replay(self, predictions: Sequence[Prediction]) -> None:
        for p in predictions:
            if p.error is None:
                try:
                    p.outputs = self.replay.outputs(p.sample_id, p.requests, p.offset, p.stepwise)
                except ReplayError as e:
                    p.error = str(e)

    def _compute(self, label, misses, wanted) -> None:
        by_kind: dict[str, list[tuple[str, Request]]] = {}
        for key, request in misses:
            by_kind.setdefault(request.kind, []).append((key, request))
        try:
            backend = self.backend  # loaded at the first miss
        except ModelUnavailable as e:
            for key, _ in misses:
                self._fail(wanted[key][1], str(e))
            return
        with self._quiet_capture(), PassProgress(label, len(misses), self.progress) as bar:
            for kind, pending in by_kind.items():
                pending.sort(key=lambda kr: _order(kr[1]))
                method = getattr(backend, kind)
                stream = _streams_results(method)
                size = self.chunk_size()
                if stream and kind == "generate":
                    size = self.streamed_generation_chunk(size)
                for chunk in by_count(pending, size):
                    cache = self.cache if stream else None  # opened here, not on the writer thread: two openings race
                    writer = _ResultWriter(cache, [k for k, _ in chunk]) if cache is not None else None
                    kwargs = {"on_result": writer} if writer is not None else {}
                    try:
                        try:
                            outputs = method([r for _, r in chunk], progress=bar.update, **kwargs)
                        except BatchError as e:  # some requests failed for good (API)
                            outputs = e.results
                        if len(outputs) != len(chunk):
                            raise BackendError(f"backend returned {len(outputs)} results for "
                                               f"{len(chunk)} requests")
                    except Exception as e:
                        message = f"model call failed ({kind}): {type(e).__name__}: {e}"
                        for key, _ in chunk:
                            self._fail(wanted[key][1], message)
                        continue
                    finally:
                        written = writer.close() if writer is not None else set()
                        if writer is not None and writer.error is not None:
                            self._give_up_cache("written", writer.error)
                    done = {}
                    for (key, _), output in zip(chunk, outputs):
                        if isinstance(output, BaseException):
                            self._fail(wanted[key][1], f"model call failed ({kind}): {output}")
                            continue
                        done[key] = encode_output(output)
                        self._deliver(wanted[key][1], output, cached=False)
                    self.stats.computed += len(done)
                    self._cache_put({k: v for k, v in done.items() if k not in written})

    @staticmethod
    def _deliver(users, output, cached: bool) -> None:
        for p, pos in users:
            p.outputs[pos] = output
            p.cached += cached

    @staticmethod
    def _fail(users, message: str) -> None:
        for p, _ in users:
            p.error = p.error or message

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
        if self._cache is not None:
            self._cache.close()


class _ResultWriter:
    """`on_result(i, result)` for backends that report each request as it finishes (the API
    backend). Each answer is queued to a writer thread, which stores what has come in every
    `GROUP_SECONDS` in one small WAL transaction (a group commit): a run killed mid-chunk
    repeats no request answered more than that before, and the backend's event loop neither
    waits on SQLite (which releases the GIL while it writes) nor wakes the writer for every
    answer (each wake-up takes the interpreter lock from the loop while a wave of answers comes
    in). Failed requests are not cached. `close()` writes what is left at once and ends the
    thread; a cache that fails is left in `error` and no longer written (the chunk's answers
    are still delivered)."""

    GROUP_SECONDS = 0.1
    _STOP = object()

    def __init__(self, cache: PredictionCache, keys: list[str]):
        self.cache = cache
        self.keys = keys
        self.written: set[str] = set()
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._write, name="benchgate-cache-writer", daemon=True)
        self._thread.start()

    def __call__(self, index: int, result: Any) -> None:
        if not isinstance(result, BaseException):
            self._queue.put((self.keys[index], result))

    def _write(self) -> None:
        stop = False
        while not stop:
            batch = [self._queue.get()]
            self._closing.wait(self.GROUP_SECONDS)  # the answers that follow join this transaction
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._queue.get_nowait())
            stop = any(item is self._STOP for item in batch)
            items = {k: encode_output(r) for k, r in (i for i in batch if i is not self._STOP)}
            if items and self.error is None:
                try:
                    self.cache.put_many(items)
                except CACHE_ERRORS as e:
                    self.error = e
                else:
                    self.written.update(items)

    def close(self) -> set[str]:
        """Write what is queued, stop the thread; the keys written."""
        self._closing.set()
        self._queue.put(self._STOP)
        self._thread.join()
        return self.written

