"""The offline smoke-test model: a tiny random Llama with a byte-level BPE tokenizer.

It is built locally (no network) from `smoke_corpus.txt`, bit-identically every time, and then
loaded through the same `from_pretrained` path as any real checkpoint. Its outputs are
meaningless; it exists so that the whole pipeline (batching, caching, serving) can be tested.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

SMOKE_MODEL_NAME = "smoke-model-v1"
CORPUS = Path(__file__).with_name("smoke_corpus.txt")
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIAL_TOKENS = ["<s>", "</s>", "<pad>"]


def benchgate_home() -> Path:
    """`$BENCHGATE_HOME`, default `~/.cache/benchgate`."""
    return Path(os.environ.get("BENCHGATE_HOME") or "~/.cache/benchgate").expanduser()


def smoke_model_path() -> str:
    """Directory of the smoke model, building it on first use.

    The model is built in a temporary directory beside the target and renamed into place, so a
    half-built model is never visible and concurrent builders (e.g. xdist workers) are safe: the
    first rename wins, the others discard their copy (identical anyway).
    """
    return build_once_into(benchgate_home() / SMOKE_MODEL_NAME, build_smoke_model)


def build_once_into(final: Path, build: Callable[[Path], None]) -> str:
    """`final` as a string, first made by `build(tmp)` in a temporary directory beside it and
    renamed into place when missing: a half-built directory is never visible, and of
    concurrent builders the first rename wins (the others discard their copy)."""
    if final.is_dir():
        return str(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        build(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return str(final)


def _train_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2000, special_tokens=SPECIAL_TOKENS, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    tok.train_from_iterator(lines, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return tok


def build_smoke_model(out_dir: str | os.PathLike) -> None:
    """Write tokenizer + tiny LlamaForCausalLM (safetensors) into `out_dir`; deterministic."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_train_tokenizer(), bos_token="<s>", eos_token="</s>",
        pad_token="<pad>", model_max_length=4096,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(out_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
        initializer_range=0.1, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = LlamaForCausalLM(config).to(torch.float32)
    model.save_pretrained(out_dir, safe_serialization=True)
