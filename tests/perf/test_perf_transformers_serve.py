"""A real OpenAI-compatible server: `transformers serve` with the offline smoke-test model.

The test starts the server itself on 127.0.0.1 with HF_HUB_OFFLINE=1 (the model is a local
directory, nothing is downloaded) and stops it at the end.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from benchgate.perf.api import run_perf
from benchgate.perf.config import PerfConfig

pytestmark = pytest.mark.slow


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    try:
        from benchgate.models.smoke import smoke_model_path
    except ImportError:  # the smoke model module is not there: build an equivalent tiny Llama
        return _tiny_llama(tmp_path_factory.mktemp("tiny-llama"))
    return smoke_model_path()


def _tiny_llama(out: Path) -> str:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<s>": 0, "</s>": 1, "<unk>": 2, **{f"w{i}": i + 3 for i in range(61)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    hf.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    hf.save_pretrained(out)
    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256)
    LlamaForCausalLM(cfg).save_pretrained(out)
    return str(out)


@pytest.fixture(scope="module")
def transformers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    exe = shutil.which("transformers") or str(Path(sys.executable).with_name("transformers"))
    if not Path(exe).exists():
        pytest.fail("the `transformers` CLI is not installed (the test extra installs it)")
    for mod in ("fastapi", "uvicorn"):
        if importlib.util.find_spec(mod) is None:
            pytest.fail(f"`transformers serve` needs {mod}: pip install 'transformers[serving]' (the test extra)")
    model = _model_dir(tmp_path_factory)
    port = _free_port()
    log = tmp_path_factory.mktemp("tserve") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    with open(log, "wb") as fh:
        proc = subprocess.Popen([exe, "serve", model, "--host", "127.0.0.1", "--port", str(port), "--device", "cpu",
                                 "--log-level", "warning"], stdout=fh, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not come up in 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, model
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _check(s: dict, p: dict, number: int, max_tokens: int) -> None:
    assert s["Succeed requests"] == number, s["Errors by type"]
    assert s["Output token source"] == f"usage: {number}"
    assert 1 <= s["Average output tokens per request"] <= max_tokens
    assert s["Average input tokens per request"] > 0
    assert 0 < p["ttft"]["p50"] <= p["latency"]["p50"]
    assert s["Output token throughput (tok/s)"] > 0


def test_chat_stream_against_transformers_serve(transformers_server, tmp_path):
    base, model = transformers_server
    cfg = PerfConfig(url=base + "/v1/chat/completions", prompt="Tell me a story about a cat.", number=[4],
                     parallel=[2], max_tokens=8, tokenizer_path=model, progress=False, outputs_dir=str(tmp_path))
    out = run_perf(cfg)
    s, p = out.points[0]["summary"], out.points[0]["percentiles"]
    _check(s, p, 4, 8)
    # transformers serve sends the role-only chunk before generating: the first chunk comes
    # before TTFT (the first chunk carrying output, EvalScope's rule)
    assert s["Average time to first chunk (s)"] <= s["Average time to first token (s)"]
    assert out.target.model == model  # taken from GET /v1/models
    assert (tmp_path / "report.html").exists()


def test_completions_and_non_stream(transformers_server):
    base, model = transformers_server
    cfg = PerfConfig(url=base + "/v1/completions", model=model, prompt="Once upon a time", number=[3],
                     parallel=[1], max_tokens=8, progress=False)
    s, p = (lambda o: (o.points[0]["summary"], o.points[0]["percentiles"]))(run_perf(cfg, write=False))
    _check(s, p, 3, 8)
    cfg = PerfConfig(url=base + "/v1/chat/completions", model=model, prompt="hi", number=[2], parallel=[2],
                     max_tokens=8, stream=False, progress=False)
    s, p = (lambda o: (o.points[0]["summary"], o.points[0]["percentiles"]))(run_perf(cfg, write=False))
    _check(s, p, 2, 8)
