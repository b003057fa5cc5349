"""resolve_model_path: local directories as is, clear errors when a hub cannot be reached."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchgate.models.resolve import ModelDownloadError, resolve_model_path

MISSING = "benchgate-tests/no-such-model-7f3a"


def test_local_dir_returned_as_is(tmp_path):
    assert resolve_model_path(str(tmp_path)) == str(tmp_path)
    assert resolve_model_path(str(tmp_path), hub="huggingface", revision="v1") == str(tmp_path)


def test_missing_local_path_is_not_sent_to_a_hub(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_model_path(str(tmp_path / "nope"))


def test_unknown_hub():
    with pytest.raises(ValueError, match="huggingface"):
        resolve_model_path(MISSING, hub="gitee")


def test_huggingface_failure_names_id_and_hub(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(ModelDownloadError) as e:
        resolve_model_path(MISSING, hub="huggingface", revision="main")
    msg = str(e.value)
    assert MISSING in msg and "huggingface" in msg and "--model PATH" in msg and "'main'" in msg


def test_modelscope_failure_names_id_and_hub(tmp_path):
    """The real modelscope download path (offline here, or an unknown id online), run in a fresh
    process so that modelscope reads the short-retry settings at import."""
    code = ("from benchgate.models.resolve import resolve_model_path\n"
            f"resolve_model_path({MISSING!r})\n")
    env = dict(os.environ, MODELSCOPE_CACHE=str(tmp_path), MODELSCOPE_API_MAX_RETRIES="1",
               MODELSCOPE_REPO_TREE_PAGE_MAX_ATTEMPTS="1", MODELSCOPE_API_CONNECT_TIMEOUT="5")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode != 0
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("benchgate.models.resolve.ModelDownloadError: "), p.stderr[-2000:]
    assert MISSING in last and "modelscope" in last and "--model PATH" in last


def test_an_unreachable_hub_is_known_at_once_unless_a_proxy_decides(monkeypatch):
    from benchgate.hubs import PROXY_VARS, no_network

    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MODELSCOPE_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    for hub in ("modelscope", "huggingface"):
        assert no_network(hub).startswith(f"no network: 127.0.0.1:{port} cannot be reached"), hub
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert no_network("modelscope") is None
