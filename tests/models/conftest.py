"""Fixtures for the model-backend tests: the smoke model, built into a temporary BENCHGATE_HOME."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def backend(smoke_path):
    """HFBackend on the smoke model, batch_size 4, default max_length (4096)."""
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"batch_size": 4, "dtype": "float32", "device": "cpu"})
    yield b
    b.close()


@pytest.fixture(scope="session")
def short_backend(smoke_path):
    """HFBackend with max_length=16, so truncation and rolling windows happen on short texts."""
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"batch_size": 3, "max_length": 16, "precision": "float32"})
    yield b
    b.close()


@pytest.fixture
def tiny_llama(smoke_path):
    """`tiny_llama(kv_heads, layers=2)`: a Llama of random weights (seed 0) on the smoke model's
    vocabulary, float32, hidden size 64 and 4 heads: the attention tests' model, grouped-query
    attention when `kv_heads` < 4."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    def build(kv_heads: int, layers: int = 2):
        tok = AutoTokenizer.from_pretrained(smoke_path)
        config = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=96,
                             num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=kv_heads,
                             max_position_embeddings=256)
        torch.manual_seed(0)
        return LlamaForCausalLM(config).eval()

    return build
