"""A tiny reward model (Llama with a one-label sequence-classification head), built locally and
deterministically with the smoke model's tokenizer, saved and loaded through from_pretrained."""
from pathlib import Path

import pytest


def build_reward_model(smoke_path: str, out: Path) -> Path:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(smoke_path)
    tokenizer.save_pretrained(out)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, initializer_range=0.2, num_labels=1,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1234)
        model = LlamaForSequenceClassification(config).to(torch.float32)
    model.save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="session")
def reward_model_path(smoke_path, tmp_path_factory) -> str:
    return str(build_reward_model(smoke_path, tmp_path_factory.mktemp("reward_model")))
