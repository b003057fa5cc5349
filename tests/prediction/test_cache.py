import hashlib
import json
import multiprocessing as mp

from hypothesis import given, strategies as st

from benchgate.prediction.cache import CacheKeys, PredictionCache, cache_key
from benchgate.models.base import (GenerateRequest, GenerationConfig, LoglikelihoodRequest,
                                   RewardRequest, RollingLoglikelihoodRequest)

FP = {"name": "m", "hash": "abc"}


def test_key_depends_on_model_request_and_generation_config():
    g = GenerationConfig()
    r = GenerateRequest("Q: 1+1?", stop=("\n",))
    base = cache_key(FP, r, g)
    assert cache_key(FP, r, g) == base
    assert cache_key({**FP, "hash": "abd"}, r, g) != base
    assert cache_key(FP, GenerateRequest("Q: 1+2?", stop=("\n",)), g) != base
    assert cache_key(FP, GenerateRequest("Q: 1+1?"), g) != base
    assert cache_key(FP, r, GenerationConfig(max_new_tokens=7)) != base
    # the oracle answer is not part of the request identity
    assert cache_key(FP, GenerateRequest("Q: 1+1?", stop=("\n",), oracle="2"), g) == base


def test_sampling_keys_include_seed_and_repeat():
    g = GenerationConfig(do_sample=True, seed=1)
    assert cache_key(FP, GenerateRequest("x"), g) != cache_key(FP, GenerateRequest("x", repeat=1), g)
    assert cache_key(FP, GenerateRequest("x"), g) != cache_key(
        FP, GenerateRequest("x"), GenerationConfig(do_sample=True, seed=2))
    # repeat 0 keeps the key of a request that never had a repeat index
    assert GenerateRequest("x", repeat=0).key() == GenerateRequest("x").key()


def _documented_key(fingerprint, request, generation) -> str:
    """The key every cache so far was written with: sha256 of the whole payload's JSON."""
    payload = {"model": fingerprint, "request": request.key()}
    if request.kind == "generate":
        payload["generation"] = generation.key()
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


_text = st.text(max_size=40)
_messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant"]),
                                            "content": _text}), min_size=1, max_size=3).map(tuple)
_requests = st.one_of(
    st.builds(GenerateRequest, st.one_of(_text, _messages), stop=st.lists(_text, max_size=2).map(tuple),
              max_new_tokens=st.none() | st.integers(1, 99), repeat=st.integers(0, 3), cache_tag=_text),
    st.builds(LoglikelihoodRequest, _text, _text),
    st.builds(RollingLoglikelihoodRequest, _text),
    st.builds(RewardRequest, _messages, cache_tag=_text))


@given(fingerprint=st.dictionaries(_text, st.one_of(_text, st.integers(), st.booleans(), st.none(),
                                                     st.dictionaries(_text, _text, max_size=2)), max_size=4),
       request=_requests, generation=st.builds(GenerationConfig, max_new_tokens=st.integers(1, 9),
                                               do_sample=st.booleans(), seed=st.integers(0, 9)))
def test_keys_stay_those_of_existing_caches(fingerprint, request, generation):
    """Keys are built part by part for speed; they must equal the whole payload's hash, or
    every cache written before would be missed."""
    assert cache_key(fingerprint, request, generation) == _documented_key(fingerprint, request, generation)


@given(fingerprint=st.dictionaries(_text, _text, max_size=2), requests=st.lists(
    st.builds(LoglikelihoodRequest, st.sampled_from(["", "Q: é?\nA:", "ctx \"q\" \\ \u2028"]) | _text, _text)
    | _requests, max_size=8))
def test_keys_of_one_batch_stay_those_of_existing_caches(fingerprint, requests):
    """One CacheKeys over many requests (choices sharing a context) gives the documented keys."""
    generation = GenerationConfig()
    keys = CacheKeys(fingerprint, generation)
    assert [keys(r) for r in requests] == [_documented_key(fingerprint, r, generation) for r in requests]


def test_loglikelihood_key_ignores_generation_config():
    r = LoglikelihoodRequest("ctx", " A")
    assert cache_key(FP, r, GenerationConfig()) == cache_key(FP, r, GenerationConfig(max_new_tokens=3))


def test_roundtrip_and_reopen(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = PredictionCache(path)
    cache.put_many({"k1": [-1.5, True], "k2": {"text": "hi", "usage": None}})
    cache.close()
    again = PredictionCache(path)
    assert again.get_many(["k1", "k2", "k3"]) == {"k1": [-1.5, True], "k2": {"text": "hi", "usage": None}}
    assert len(again) == 2


def _writer(path, worker):
    cache = PredictionCache(path)
    for i in range(50):
        cache.put_many({f"w{worker}-{i}-{j}": j for j in range(5)})
    cache.close()


def test_concurrent_processes_share_the_cache(tmp_path):
    path = tmp_path / "c.sqlite"
    PredictionCache(path).close()
    procs = [mp.get_context("spawn").Process(target=_writer, args=(path, w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(PredictionCache(path)) == 3 * 50 * 5


def _open_at_once(path, worker, barrier, failures):
    barrier.wait()  # every process opens the new file in the same instant, as xdist workers do
    try:
        cache = PredictionCache(path, timeout=30)
        for i in range(20):  # writing while the others still open it
            cache.put_many({f"w{worker}-{i}": i})
        cache.close()
    except Exception as e:  # noqa: BLE001 - reported to the test
        failures.put(f"worker {worker}: {type(e).__name__}: {e}")


def test_processes_opening_a_new_cache_at_once_all_get_it(tmp_path):
    """SQLite answers "database is locked" at once, without waiting, to a connection switching a
    new file to WAL while others open it; a worker that got that error went on without the cache,
    and a killed run then repeated all of that worker's answers."""
    fork = mp.get_context("fork")
    failures = fork.Queue()
    workers = 6
    for round_ in range(8):
        path = tmp_path / f"c{round_}.sqlite"
        barrier = fork.Barrier(workers)
        procs = [fork.Process(target=_open_at_once, args=(path, w, barrier, failures)) for w in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
            assert p.exitcode == 0
        assert failures.empty(), failures.get()
        assert len(PredictionCache(path)) == workers * 20


def test_stop_of_the_generation_config_is_in_the_key_only_when_given():
    """A config without `stop` keeps the key every cache was written with (the seven settings,
    written out here); extra stop strings give other keys, so generations cached with other
    stops are not reused."""
    r = GenerateRequest("Q: 1+1?", stop=("\n",))
    old = {"model": FP, "request": r.key(), "generation": {
        "do_sample": False, "temperature": 1.0, "top_p": 1.0, "top_k": 50, "max_new_tokens": 256,
        "repetition_penalty": 1.0, "seed": 0}}
    blob = json.dumps(old, sort_keys=True, ensure_ascii=False)
    assert cache_key(FP, r, GenerationConfig()) == hashlib.sha256(blob.encode()).hexdigest()
    keys = {cache_key(FP, r, GenerationConfig(stop=s)) for s in [(), ("ing",), ("ing", "Q:"), ("Q:",)]}
    assert len(keys) == 4
    assert GenerationConfig(stop=("ing",)).key()["stop"] == ["ing"]
