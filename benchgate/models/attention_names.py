"""benchgate's own attention functions, registered with transformers under names of their own
(`AttentionInterface`), each with the mask function transformers calls for that name."""
from __future__ import annotations

from typing import Callable

_registered: dict[str, bool] = {}


def register(name: str, attention: Callable, mask: Callable | None = None) -> bool:
    """Register `attention` under `name` once, with `mask` as its mask function (default: the
    one SDPA gets); False where this transformers has no AttentionInterface."""
    if name not in _registered:
        try:
            from transformers import AttentionInterface
            from transformers.masking_utils import AttentionMaskInterface, sdpa_mask
        except ImportError:
            _registered[name] = False
        else:
            AttentionInterface.register(name, attention)
            AttentionMaskInterface.register(name, mask or sdpa_mask)
            _registered[name] = True
    return _registered[name]
