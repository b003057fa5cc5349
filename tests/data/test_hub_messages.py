"""A model or dataset that cannot come from a hub says what is actually wrong: the hub's
package is not installed (with the pip command), the hub cannot be reached (no network, offline
mode), or the id does not exist. Real failures: the import machinery refusing a module that
sys.modules marks as absent, a real closed port, a real HTTP server answering 404 as a hub does.
The hub clients read their endpoints at import, so those runs are fresh processes."""
from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest

from benchgate.benchmark import DataMissing
from benchgate.data.hub import load_hub_split
from benchgate.models.resolve import ModelDownloadError, resolve_model_path

LOAD = ("import sys\nfrom benchgate.data.hub import load_hub_split\n"
        "try:\n    load_hub_split(sys.argv[1], sys.argv[2], 'anatomy', 'test')\n"
        "except Exception as e:\n    print(f'{type(e).__name__}: {e}')\n")
FAST_MODELSCOPE = {"MODELSCOPE_API_MAX_RETRIES": "1", "MODELSCOPE_REPO_TREE_PAGE_MAX_ATTEMPTS": "1",
                   "MODELSCOPE_API_CONNECT_TIMEOUT": "5"}


def load_in_a_process(hub: str, dataset_id: str, env: dict, tmp_path) -> str:
    proxyless = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    full = {**proxyless, "HF_HOME": str(tmp_path / "hf"), "MODELSCOPE_CACHE": str(tmp_path / "ms"),
            **FAST_MODELSCOPE, **env}
    proc = subprocess.run([sys.executable, "-c", LOAD, hub, dataset_id], env=full, capture_output=True,
                          text=True, timeout=180)
    return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:]


@pytest.mark.parametrize("hub, module, pip", [("modelscope", "modelscope", "pip install 'modelscope>=1.15'"),
                                              ("huggingface", "datasets", "pip install 'datasets>=2.19'")])
def test_a_missing_hub_package_names_the_pip_command(monkeypatch, hub, module, pip):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails as if not installed
    with pytest.raises(DataMissing) as e:
        load_hub_split(hub, "cais/mmlu", "anatomy", "test")
    message = str(e.value)
    assert f"the {module!r} package is not installed" in message and pip in message, message
    assert "network" not in message and "Offline" not in message


def test_a_model_hub_id_without_modelscope_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "modelscope", None)
    with pytest.raises(ModelDownloadError) as e:
        resolve_model_path("Qwen/Qwen2.5-0.5B-Instruct", hub="modelscope")
    assert "the 'modelscope' package is not installed" in str(e.value)
    assert "pip install 'modelscope>=1.15'" in str(e.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("hub, variable, cache", [
    ("modelscope", "MODELSCOPE_ENDPOINT", ""),
    ("huggingface", "HF_ENDPOINT", " (a copy in the Hugging Face cache is read with HF_DATASETS_OFFLINE=1)")])
def test_an_unreachable_hub_says_no_network_before_its_client_retries(monkeypatch, hub, variable, cache):
    """A real closed port as the hub's endpoint, no proxy and no offline mode: the failure is
    known from one refused connection, before the client's 20-30 s of retries, in this process
    (the probe reads the endpoint when it runs)."""
    port = _closed_port()
    for name in list(os.environ):
        if "proxy" in name.lower() or name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv(variable, f"http://127.0.0.1:{port}")
    with pytest.raises(DataMissing) as e:
        load_hub_split(hub, "cais/mmlu", "anatomy", "test")
    assert str(e.value) == (f"could not load dataset 'cais/mmlu' (subset 'anatomy', split 'test') from {hub}: "
                            f"no network: 127.0.0.1:{port} cannot be reached (Connection refused){cache}. "
                            "Or pass --dataset-dir with a local copy (and --dataset-hub local)")


@pytest.mark.slow
def test_hugging_face_offline_mode_is_named(tmp_path):
    line = load_in_a_process("huggingface", "cais/mmlu", {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"},
                           tmp_path)
    assert "from huggingface: offline mode is set (HF_HUB_OFFLINE=1, HF_DATASETS_OFFLINE=1)" in line, line


class _NoSuchRepo(http.server.BaseHTTPRequestHandler):
    """A hub that knows no repository: 404 with the Hub's error header, for every request."""

    def _not_found(self):
        body = b'{"error": "Repository not found"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Error-Code", "RepoNotFound")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = _not_found

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_an_unknown_dataset_id_is_named_as_such(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoSuchRepo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        line = load_in_a_process("huggingface", "no-such-org/no-such-dataset",
                               {"HF_ENDPOINT": f"http://127.0.0.1:{server.server_port}"}, tmp_path)
    finally:
        server.shutdown()
    assert ("from huggingface: unknown id: the huggingface hub has no dataset 'no-such-org/no-such-dataset' "
            "(DatasetNotFoundError") in line, line
    assert "no network" not in line


def test_the_readme_install_brings_the_hub_clients():
    """`pip install torch==2.13.0 -e .` (README) installs the core dependencies only: the
    default hub (ModelScope, whose dataset loader needs `datasets` and `addict`) and
    --dataset-hub huggingface must be among them, and their modules importable here."""
    import importlib.util
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    core = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    assert {"modelscope", "datasets", "addict", "huggingface_hub"} <= core
    assert "pip install torch==2.13.0 -e ." in (root / "README.md").read_text()
    for module in ("modelscope", "datasets", "addict", "huggingface_hub"):
        assert importlib.util.find_spec(module) is not None, module


@pytest.mark.slow
def test_an_unknown_model_id_is_named_as_such(tmp_path):
    """`--model HUB_ID` (benchgate/models/resolve.py) against a hub that knows no such model."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoSuchRepo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = ("from benchgate.models.resolve import resolve_model_path\n"
            "try:\n    resolve_model_path('no-such-org/no-such-model', hub='huggingface')\n"
            "except Exception as e:\n    print(f'{type(e).__name__}: {e}')\n")
    env = {**{k: v for k, v in os.environ.items() if "proxy" not in k.lower()},
           "HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": f"http://127.0.0.1:{server.server_port}"}
    try:
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    finally:
        server.shutdown()
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:]
    assert line.startswith("ModelDownloadError: could not download model 'no-such-org/no-such-model' from the "
                           "huggingface hub: unknown id: the huggingface hub has no model"), line
    assert "Check the id, or the hub (--model-hub modelscope)" in line
