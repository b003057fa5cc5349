"""Content hash of a model directory, for cache keys and results.json."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

MIB = 1 << 20
META_FILES = frozenset({
    "config.json", "generation_config.json",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "vocab.json", "vocab.txt", "merges.txt", "tokenizer.model", "spiece.model",
    "chat_template.jinja", "chat_template.json",
    "model.safetensors.index.json", "pytorch_model.bin.index.json",
})
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _weight_digest(path: Path) -> str:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(MIB)
        f.seek(max(0, size - MIB))
        tail = f.read(MIB)
    return f"size={size} head={_sha(head)} tail={_sha(tail)}"


def content_hash(directory: str | os.PathLike) -> str:
    """sha256 identifying the model files in `directory` (top level only).

    Hashed, in sorted file-name order, as `name + digest` lines:
    - config, generation config, tokenizer files, chat templates and weight index files
      (`META_FILES`): sha256 of the whole file;
    - weight files (`*.safetensors`, `*.bin`, `*.pt`, `*.pth`, `*.gguf`): the file size plus the
      sha256 of its first and of its last MiB (reading multi-GB weights in full would cost
      minutes; size + both ends catches re-saves, dtype changes and truncated downloads).
    Other files (README, images) are ignored. Deterministic across processes and machines.
    """
    root = Path(directory)
    h = hashlib.sha256()
    for name in sorted(os.listdir(root)):
        path = root / name
        if not path.is_file():
            continue
        if name in META_FILES:
            digest = _sha(path.read_bytes())
        elif name.endswith(WEIGHT_SUFFIXES):
            digest = _weight_digest(path)
        else:
            continue
        h.update(f"{name}\t{digest}\n".encode())
    return h.hexdigest()
