"""`--model-args` of every backend: the accepted keys, their types and ranges.

Light on imports (no torch, no aiohttp), so the plugin checks `--model-args` before anything
runs; the backends use the same specs when they are built.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchgate.argspec import Arg, accepted, check_args

DTYPES = ("auto", "float32", "float16", "bfloat16")
PREFIX_MIN_TOKENS = 16  # = benchgate.models.hf_prefix.DEFAULT_MIN_TOKENS (that module imports torch)
BUILTIN = ("dummy", "oracle", "wrong")
# `--model panel:FILE --model-args concurrency=N`: the API members' requests in flight (a
# member's own model_args win) and the size of the predictor's batches for the panel
PANEL_ARGS = {"concurrency": Arg(None, int, min=1, help="requests in flight per API member")}

HF_ARGS: dict[str, Arg] = {
    "add_bos_token": Arg(False, help="encode with the tokenizer's special tokens (lm-eval: off)"),
    "attn_implementation": Arg(None, str, help="transformers attention: sdpa (its default), eager, "
                                               "flash_attention_2 ..."),
    "batch_size": Arg(8, int, min=1, help="rows per forward pass"),
    "continuous_batching": Arg(True, help="generation: a finished row leaves the batch and a "
                                          "waiting prompt takes its place"),
    "device": Arg(None, str, help="cpu, cuda, cuda:1 ... (default: cuda when available)"),
    "device_map": Arg(None, (str, dict), help="transformers device_map, e.g. auto"),
    "dtype": Arg("auto", str, choices=DTYPES),
    "precision": Arg(None, str, choices=DTYPES, optional=True, help="alias of dtype"),
    "max_length": Arg(None, int, min=2, help="context length (default: the model's)"),
    "prefix_cache": Arg(True, help="compute a shared few-shot prefix once per batch"),
    "prefix_min_tokens": Arg(PREFIX_MIN_TOKENS, int, min=1, help="shortest prefix worth sharing"),
    "revision": Arg(None, str, help="hub revision (branch, tag or commit)"),
    "trim_last_layer": Arg(True, help="a forward that keeps a few positions' logits computes the "
                                      "last layer's attention and MLP at those positions only"),
    "trust_remote_code": Arg(False, help="run the checkpoint's own modelling code"),
}
DUMMY_ARGS: dict[str, Arg] = {"response": Arg(None, (str, int, float), help="the fixed answer")}
# a reward-model judge (benchgate.judge.reward.RewardModelBackend)
REWARD_ARGS: dict[str, Arg] = {k: HF_ARGS[k] for k in (
    "batch_size", "device", "dtype", "precision", "max_length", "revision", "trust_remote_code")}


def is_reward_model(path: str) -> bool:
    """Whether a local checkpoint is a sequence-classification model (its config's architectures)."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return False
    try:
        architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, ValueError, AttributeError):
        return False
    return any(str(a).endswith("ForSequenceClassification") for a in architectures)


def check_hf_args(args: dict[str, Any] | None) -> dict[str, Any]:
    """Validated HF backend args with defaults; `precision` folded into `dtype`."""
    given = dict(args or {})
    if "dtype" in given and "precision" in given:
        raise ValueError("--model-args: give 'dtype' or its alias 'precision', not both")
    if "device" in given and "device_map" in given:
        raise ValueError("--model-args: give 'device' or 'device_map', not both")
    out = check_args(given, HF_ARGS, "--model-args")
    if out.pop("precision") is not None:
        out["dtype"] = given["precision"]
    return {k: v for k, v in out.items() if k in given or k in ("dtype", "batch_size")}


def backend_kind(model: str | None, api_url: str | None) -> str:
    """'api', 'dummy', 'oracle', 'wrong', 'replay', 'panel' or 'hf' (smoke, a checkpoint dir, a hub id)."""
    if (model or "").startswith("panel:"):
        return "panel"
    if api_url:
        return "api"
    if model in BUILTIN:
        return model
    if (model or "").startswith("replay:"):
        return "replay"
    return "hf"


def check_model_args(model: str | None, api_url: str | None, args: dict[str, Any],
                     option: str = "--model-args", judge: bool = False) -> None:
    """ValueError naming the key when `--model-args` (or `option`, e.g. --judge-model-args)
    do not fit the backend the model selects; `judge`: a local sequence-classification
    checkpoint is a reward model, with its own keys."""
    try:
        _check_model_args(model, api_url, args, judge)
    except ValueError as e:
        message = str(e)
        if option != "--model-args":
            message = message.replace("--model-args", option).replace("--model ", "the model ")
        raise ValueError(message) from None


def _check_model_args(model: str | None, api_url: str | None, args: dict[str, Any], judge: bool) -> None:
    kind = backend_kind(model, api_url)
    if judge and kind == "hf" and model and is_reward_model(model):
        check_args(args, REWARD_ARGS, "--model-args (reward model)")
        if "dtype" in args and "precision" in args:
            raise ValueError("--model-args: give 'dtype' or its alias 'precision', not both")
        return
    if kind == "api":
        from benchgate.models.openai_api import OpenAIArgs

        OpenAIArgs.parse(args, "chat")
    elif kind == "hf":
        check_hf_args(args)
    elif kind == "dummy":
        check_args(args, DUMMY_ARGS, "--model-args (dummy)")
    elif kind == "panel":
        check_args(args, PANEL_ARGS, "--model-args (panel)")
    elif args:
        raise ValueError(f"--model-args: --model {model} takes no model args, got {sorted(args)}"
                         + (f"; dummy accepts {accepted(DUMMY_ARGS)}" if kind != "replay" else ""))
