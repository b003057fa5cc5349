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


def model_name(path: str) -> str:
    """How a local causal LM is named in results: its folder's name, else the hub id."""
    return Path(path.rstrip("/")).name if os.path.isdir(path) else path


def config_max_length(config) -> int:
    """A model's window from its config (n_positions, max_position_embeddings or n_ctx), else 2048."""
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        if isinstance(getattr(config, attr, None), int):
            return getattr(config, attr)
    return 2048


def hf_fingerprint(path: str, args: dict, chat_template: bool) -> dict:
    """Identity of a local causal LM (`HFBackend`, checked `args`) read from its files and config
    only, never its weights, so a run whose requests are all cached need not load the model:
    path, revision, dtype, window, scoring settings and `content_sha256` of the files. `dtype`
    is the one asked for, else the config's; "auto" when the config has none (transformers then
    takes the weights' dtype, which the content hash covers)."""
    from transformers import AutoConfig

    revision = args.get("revision")
    config = AutoConfig.from_pretrained(path, revision=revision,
                                        trust_remote_code=bool(args.get("trust_remote_code", False)))
    dtype = args.get("dtype", "auto")
    if dtype == "auto":
        found = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)
        dtype = str(found).replace("torch.", "") if found is not None else "auto"
    directory = path if os.path.isdir(path) else _cached_snapshot(path, revision)
    return {
        "backend": "hf", "model": path, "revision": revision, "dtype": dtype,
        "max_length": args.get("max_length") or config_max_length(config),
        "add_bos_token": bool(args.get("add_bos_token", False)), "chat_template": bool(chat_template),
        "content_sha256": content_hash(directory) if directory else None,
    }


def _cached_snapshot(repo_id: str, revision: str | None) -> str | None:
    try:
        from huggingface_hub import snapshot_download
        return snapshot_download(repo_id, revision=revision, local_files_only=True)
    except Exception:  # noqa: BLE001 - no local copy: fingerprint without content hash
        return None
