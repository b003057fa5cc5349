import multiprocessing as mp

from benchgate.engine.cache import PredictionCache, cache_key
from benchgate.models.base import GenerateRequest, GenerationConfig, LoglikelihoodRequest

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
