"""The smoke model: bit-identical builds, race-safe builds, loaded like any checkpoint."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchgate.models.fingerprint import content_hash
from benchgate.models.smoke import SMOKE_MODEL_NAME, build_smoke_model

BUILD = ("import json; from benchgate.models.smoke import smoke_model_path; "
         "from benchgate.models.fingerprint import content_hash; p = smoke_model_path(); "
         "print(json.dumps({'path': p, 'hash': content_hash(p)}))")


def test_layout(smoke_path):
    p = Path(smoke_path)
    assert p.name == SMOKE_MODEL_NAME
    names = set(os.listdir(p))
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    cfg = json.loads((p / "config.json").read_text())
    assert cfg["model_type"] == "llama" and cfg["max_position_embeddings"] == 4096
    assert 1000 <= cfg["vocab_size"] <= 2100
    assert not [n for n in os.listdir(p.parent) if n.startswith(".")]  # no temp dirs left


def test_rebuild_is_bit_identical(smoke_path, tmp_path):
    build_smoke_model(tmp_path)
    for name in os.listdir(smoke_path):
        assert (tmp_path / name).read_bytes() == (Path(smoke_path) / name).read_bytes(), name
    assert content_hash(tmp_path) == content_hash(smoke_path)


def test_racing_builds_in_two_processes(smoke_path, tmp_path):
    """Two processes build into the same empty BENCHGATE_HOME at once: both succeed, agree on
    the path, and their model equals the one built in this process (bit-identical across
    processes)."""
    env = dict(os.environ, BENCHGATE_HOME=str(tmp_path / "home"))
    procs = [subprocess.Popen([sys.executable, "-c", BUILD], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert results[0] == results[1]
    assert results[0]["path"] == str(tmp_path / "home" / SMOKE_MODEL_NAME)
    assert results[0]["hash"] == content_hash(smoke_path)
    assert os.listdir(tmp_path / "home") == [SMOKE_MODEL_NAME]


def test_fingerprint(backend, smoke_path, tmp_path):
    from benchgate.models.hf import HFBackend

    fp = backend.fingerprint()
    assert fp["content_sha256"] == content_hash(smoke_path)
    assert fp["dtype"] == "float32" and fp["model"] == smoke_path and fp["revision"] is None
    assert json.loads(json.dumps(fp)) == fp
    other = HFBackend(smoke_path, {"max_length": 16})
    assert other.fingerprint()["content_sha256"] == fp["content_sha256"]
    assert other.fingerprint() != fp  # max_length changes results, so it is part of the identity


@pytest.mark.parametrize("args", [{}, {"dtype": "bfloat16", "max_length": 64}, {"add_bos_token": True}])
def test_identity_without_loading_is_the_loaded_backends(smoke_path, args, monkeypatch):
    """model_identity (no weights loaded) gives the name and fingerprint the loaded backend
    gives, so cache keys are the same whether or not a process loaded the model."""
    from benchgate.engine.options import ModelOptions
    from benchgate.models import hf
    from benchgate.models.factory import model_identity

    opts = ModelOptions(model=smoke_path, model_args=args)
    loaded = hf.HFBackend(smoke_path, args)
    assert str(loaded.model.dtype) == f"torch.{loaded.fingerprint()['dtype']}"  # the dtype it loaded in
    monkeypatch.setattr(hf.HFBackend, "__init__", lambda *a, **k: pytest.fail("weights loaded"))
    assert model_identity(opts) == (loaded.name, loaded.fingerprint())


def test_content_hash_sees_weight_changes(smoke_path, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(smoke_path, copy)
    assert content_hash(copy) == content_hash(smoke_path)
    data = bytearray((copy / "model.safetensors").read_bytes())
    data[-5] ^= 1  # flip one bit in the last MiB
    (copy / "model.safetensors").write_bytes(bytes(data))
    assert content_hash(copy) != content_hash(smoke_path)
    (copy / "README.md").write_text("ignored")
    (copy / "tokenizer_config.json").write_text("{}")
    h = content_hash(copy)
    (copy / "README.md").write_text("still ignored")
    assert content_hash(copy) == h
