"""Freeing a closed backend's model."""
from __future__ import annotations

import gc
import weakref

import torch


def drop_model(owner, *holders: str) -> None:
    """Set `owner.model` and the attributes `holders` (what else holds the model: a prefix
    cache, a logits buffer) to None, so reference counting frees the model at once. A full
    garbage collection (a quarter of a second with torch and transformers loaded) runs only
    when something still holds it (a reference cycle); CUDA's cache is emptied. Dropping an
    already dropped model does nothing."""
    if owner.model is None:
        return
    model = weakref.ref(owner.model)
    for name in ("model", *holders):
        setattr(owner, name, None)
    if model() is not None:
        gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
