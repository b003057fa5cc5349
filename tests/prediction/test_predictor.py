import sqlite3
import time
from types import SimpleNamespace

import pytest

from benchgate.prediction.predictor import Prediction, Predictor
from benchgate.models.base import (BackendError, BatchError, GenerateRequest, Generation, GenerationConfig,
                                   Loglikelihood, LoglikelihoodRequest)


class CountingBackend:
    """A real (tiny) backend: echoes prompts, counts calls, fails prompts containing 'FAIL'."""

    name = "counting"

    def __init__(self):
        self.calls: list[int] = []

    def fingerprint(self):
        return {"name": "counting"}

    def generate(self, requests, progress=None):
        self.calls.append(len(requests))
        out = [BackendError("server said no") if "FAIL" in r.prompt else Generation(r.prompt.upper())
               for r in requests]
        if progress:
            progress(len(requests))
        if any(isinstance(o, BackendError) for o in out):  # the API backend's partial-failure contract
            raise BatchError("1 request failed", out)
        return out

    def loglikelihood(self, requests, progress=None):
        self.calls.append(len(requests))
        if any("CRASH" in r.context for r in requests):
            raise RuntimeError("CUDA out of memory")
        return [Loglikelihood(-float(len(r.continuation)), True) for r in requests]

    def close(self):
        pass


def options(tmp_path, **kw):
    base = dict(model="counting", model_args={"batch_size": 1}, generation=GenerationConfig(), api_url=None,
                use_cache=False, cache_path=tmp_path / "cache.sqlite", dry_run=False)
    return SimpleNamespace(**(base | kw))


def test_dedupes_batches_and_writes_through(tmp_path):
    backend = CountingBackend()
    p = Predictor(options(tmp_path), lambda o: backend)
    preds = [Prediction([GenerateRequest(f"q{i % 3}")]) for i in range(9)]
    p.predict("g", preds)
    assert sum(backend.calls) == 3  # 9 samples, 3 distinct requests
    assert [x.outputs[0].text for x in preds[:3]] == ["Q0", "Q1", "Q2"]
    assert p.stats.computed == 3 and len(p.cache) == 3


def test_use_cache_recomputes_nothing(tmp_path):
    first = CountingBackend()
    Predictor(options(tmp_path), lambda o: first).predict("g", [Prediction([GenerateRequest("a")])])
    second = CountingBackend()
    p = Predictor(options(tmp_path, use_cache=True), lambda o: second)
    preds = [Prediction([GenerateRequest("a")]), Prediction([GenerateRequest("b")])]
    p.predict("g", preds)
    assert second.calls == [1]  # only "b"
    assert preds[0].cached == 1 and preds[0].outputs[0].text == "A"
    # without --use-cache the cache is written but not read
    third = CountingBackend()
    Predictor(options(tmp_path), lambda o: third).predict("g", [Prediction([GenerateRequest("a")])])
    assert third.calls == [1]


def test_an_identified_model_loads_only_at_the_first_cache_miss(tmp_path):
    """With `identify` (name and fingerprint without the weights), a process whose requests are
    all cached never loads the model; the first miss loads it once."""
    Predictor(options(tmp_path), lambda o: CountingBackend()).predict("g", [Prediction([GenerateRequest("a")])])
    loads = []

    def load(o):
        loads.append(CountingBackend())
        return loads[-1]

    identify = lambda o: ("counting", {"name": "counting"})  # noqa: E731 - the backend's own
    p = Predictor(options(tmp_path, use_cache=True), load, identify=identify)
    p.load()  # the serial run's fail-fast check: identified, not loaded
    cached = Prediction([GenerateRequest("a")])
    p.predict("g", [cached])
    assert loads == [] and cached.outputs[0].text == "A" and cached.cached == 1
    assert p.loaded and p.name == "counting" and p.fingerprint() == {"name": "counting"}
    missed = [Prediction([GenerateRequest("b")]), Prediction([GenerateRequest("c")])]
    p.predict("g", missed[:1])
    p.predict("g", missed[1:])
    assert len(loads) == 1 and [m.outputs[0].text for m in missed] == ["B", "C"]


def test_a_model_that_cannot_be_identified_is_loaded_to_say_why(tmp_path):
    def unidentifiable(o):
        raise OSError("no config.json")

    def broken(o):
        raise OSError("no such checkpoint")

    p = Predictor(options(tmp_path), broken, identify=unidentifiable)
    with pytest.raises(BackendError, match="no such checkpoint"):
        p.load()


def test_per_request_errors_fail_only_their_samples(tmp_path):
    p = Predictor(options(tmp_path), lambda o: CountingBackend())
    ok, bad = Prediction([GenerateRequest("fine")]), Prediction([GenerateRequest("FAIL me")])
    p.predict("g", [ok, bad])
    assert ok.error is None and ok.outputs[0].text == "FINE"
    assert "server said no" in bad.error
    assert len(p.cache) == 1  # the failure is not cached


def test_a_crashing_chunk_fails_its_samples_and_keeps_the_others(tmp_path):
    p = Predictor(options(tmp_path), lambda o: CountingBackend())
    p.chunk_size = lambda: 1
    good = Prediction([LoglikelihoodRequest("ctx", " A"), LoglikelihoodRequest("ctx", " BB")])
    crash = Prediction([LoglikelihoodRequest("CRASH", " A")])
    p.predict("g", [good, crash])
    assert [o.logprob for o in good.outputs] == [-2.0, -3.0]
    assert "model call failed (loglikelihood): RuntimeError: CUDA out of memory" == crash.error


def test_model_load_failure_is_reported_once_per_sample(tmp_path):
    loads = []

    def broken(o):
        loads.append(1)
        raise OSError("no such checkpoint")

    p = Predictor(options(tmp_path), broken)
    a, b = Prediction([GenerateRequest("x")]), Prediction([GenerateRequest("y")])
    p.predict("g1", [a])
    p.predict("g2", [b])
    assert "--model 'counting' could not be loaded" in a.error and "OSError: no such checkpoint" in a.error
    assert b.error == a.error and len(loads) == 1 and p.load_error == a.error


def test_dry_run_calls_nothing(tmp_path):
    backend = CountingBackend()
    p = Predictor(options(tmp_path, dry_run=True), lambda o: backend)
    pred = Prediction([GenerateRequest("x")])
    p.predict("g", [pred])
    assert backend.calls == [] and pred.outputs is None


def test_cache_identity_ignores_the_location_of_hashed_weights():
    from benchgate.prediction.predictor import cache_identity

    a = {"backend": "hf", "model": "/a/m", "dtype": "float32", "content_sha256": "x"}
    b = {**a, "model": "/b/m"}
    assert cache_identity(a) == cache_identity(b)
    assert cache_identity({**a, "content_sha256": "y"}) != cache_identity(a)
    unhashed = {"backend": "hf", "model": "org/id", "content_sha256": None}
    assert cache_identity(unhashed) == unhashed


# ----- a cache that cannot be used never costs an output -----

def _predict_all(tmp_path, cache_path, **kw):
    import warnings as w

    from benchgate.prediction.predictor import CacheWarning

    backend = CountingBackend()
    p = Predictor(options(tmp_path, cache_path=cache_path, **kw), lambda o: backend)
    groups = [[Prediction([GenerateRequest(f"q{g}-{i}")]) for i in range(3)] for g in range(2)]
    with w.catch_warnings(record=True) as caught:
        w.simplefilter("always")
        for i, group in enumerate(groups):
            p.predict(f"g{i}", group)
    cache_warnings = [c for c in caught if issubclass(c.category, CacheWarning)]
    preds = [x for g in groups for x in g]
    return p, preds, cache_warnings


def test_cache_that_cannot_be_opened(tmp_path):
    (tmp_path / "a-file").write_text("x")
    p, preds, warned = _predict_all(tmp_path, tmp_path / "a-file" / "cache.sqlite")
    assert [x.outputs[0].text for x in preds] == [f"Q{g}-{i}" for g in range(2) for i in range(3)]
    assert all(x.error is None for x in preds) and p.stats.computed == 6
    assert len(warned) == 1 and "could not be opened" in str(warned[0].message)
    assert "going on without it" in p.cache_warning


def test_corrupt_cache_file(tmp_path):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    p, preds, warned = _predict_all(tmp_path, path, use_cache=True)
    assert all(x.error is None and x.outputs[0] is not None for x in preds)
    assert len(warned) == 1 and "DatabaseError" in str(warned[0].message)


def test_lock_held_past_the_timeout(tmp_path):
    """Another connection holds the write lock for the whole run: after --cache-timeout the
    writes give up (one warning), every output is still delivered, the holder's data is intact."""
    import sqlite3
    import time

    from benchgate.prediction.cache import PredictionCache

    path = tmp_path / "cache.sqlite"
    PredictionCache(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO predictions VALUES ('held', '1', 0)")
    try:
        start = time.monotonic()
        p, preds, warned = _predict_all(tmp_path, path, cache_timeout=0.3)
        assert time.monotonic() - start < 10
        assert all(x.error is None and x.outputs[0] is not None for x in preds) and p.stats.computed == 6
        assert len(warned) == 1 and "database is locked" in str(warned[0].message)
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert len(PredictionCache(path)) == 1  # only the holder's row: the run went on without the cache



def test_an_identified_model_that_fails_to_load_fails_its_misses_once(tmp_path):
    def broken(o):
        raise OSError("weights do not match the config")

    p = Predictor(options(tmp_path), broken, identify=lambda o: ("counting", {"name": "counting"}))
    p.load()  # identified: nothing loaded yet
    a, b = Prediction([GenerateRequest("x")]), Prediction([GenerateRequest("y")])
    p.predict("g1", [a])
    p.predict("g2", [b])
    assert "weights do not match the config" in a.error and b.error == a.error == p.load_error


class StreamingBackend(CountingBackend):
    """Reports each generation as it finishes, as the local backend under continuous batching."""

    def generate(self, requests, progress=None, on_result=None):
        out = super().generate(requests, progress)
        for i, g in enumerate(out):
            on_result(i, g)
        return out


def test_streamed_local_generation_takes_longer_calls_and_writes_each_result(tmp_path):
    """A local backend that reports each result gets calls of 32 batches (batch_size 4: 128
    requests, not 64), and every result reaches the cache."""
    backend = StreamingBackend()
    opts = options(tmp_path, model_args={"batch_size": 4}, use_cache=True)
    p = Predictor(opts, lambda o: backend)
    preds = [Prediction([GenerateRequest(f"q{i}")]) for i in range(200)]
    p.predict("g", preds)
    assert backend.calls == [128, 72]
    again = Predictor(opts, lambda o: CountingBackend())
    fresh = [Prediction([GenerateRequest(f"q{i}")]) for i in range(200)]
    again.predict("g", fresh)
    assert [f.outputs[0].text for f in fresh] == [f"Q{i}" for i in range(200)]
    assert all(f.cached for f in fresh)
    # loglikelihood calls keep their size
    plain = CountingBackend()
    Predictor(options(tmp_path, model_args={"batch_size": 4}), lambda o: plain).predict(
        "g", [Prediction([LoglikelihoodRequest(f"c{i}", " A")]) for i in range(100)])
    assert plain.calls == [64, 36]


class CacheWatchingBackend(CountingBackend):
    """Reports its first answer, then waits (up to 5 s) until another connection finds it in the
    cache before it reports the others and returns."""

    def __init__(self, cache_path):
        super().__init__()
        self.cache_path = cache_path
        self.rows_while_running: int | None = None

    def generate(self, requests, progress=None, on_result=None):
        out = super().generate(requests, progress)
        on_result(0, out[0])
        deadline = time.monotonic() + 5
        while self.rows_while_running is None and time.monotonic() < deadline:
            time.sleep(0.02)
            try:
                with sqlite3.connect(self.cache_path, timeout=1) as db:
                    self.rows_while_running = db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] or None
            except sqlite3.Error:  # not created yet
                pass
        for i in range(1, len(out)):
            on_result(i, out[i])
        return out


def test_streamed_answers_reach_the_cache_while_the_call_runs(tmp_path):
    """The writer (group commits every 0.1 s) stores an answer while its call still runs, so a
    run killed then would not ask it again; the rest are written when the call ends."""
    backend = CacheWatchingBackend(tmp_path / "cache.sqlite")
    p = Predictor(options(tmp_path), lambda o: backend)
    p.predict("g", [Prediction([GenerateRequest(f"q{i}")]) for i in range(5)])
    assert backend.rows_while_running == 1
    again = Predictor(options(tmp_path, use_cache=True), lambda o: CountingBackend())
    fresh = [Prediction([GenerateRequest(f"q{i}")]) for i in range(5)]
    again.predict("g", fresh)
    assert all(f.cached for f in fresh) and [f.outputs[0].text for f in fresh] == [f"Q{i}" for i in range(5)]
