"""Turn `--model` (a local directory or a hub id) into a local directory."""
from __future__ import annotations

import os

HUBS = ("modelscope", "huggingface")


class ModelDownloadError(RuntimeError):
    """The model is not a local directory and could not be downloaded from its hub."""


def resolve_model_path(model: str, hub: str = "modelscope", revision: str | None = None) -> str:
    """Return `model` if it is an existing directory, else download it and return the snapshot.

    hub="modelscope" uses `modelscope.snapshot_download`, hub="huggingface" uses
    `huggingface_hub.snapshot_download`; `revision` is passed to either. A failed download
    (offline, unknown id, no access) raises ModelDownloadError naming the id, the hub and the
    reason.
    """
    if os.path.isdir(model):
        return model
    if hub not in HUBS:
        raise ValueError(f"unknown hub {hub!r}; accepted: {list(HUBS)}")
    if model.startswith(("/", "./", "../", "~")) or os.sep + os.sep in model:
        raise FileNotFoundError(f"model directory {model!r} does not exist")
    try:
        if hub == "modelscope":
            from modelscope import snapshot_download
        else:
            from huggingface_hub import snapshot_download
        kwargs = {"revision": revision} if revision else {}
        return str(snapshot_download(model, **kwargs))
    except Exception as e:  # noqa: BLE001 - re-raised with the context a user needs
        reason = f"{type(e).__name__}: {e}"
        if len(reason) > 600:
            reason = reason[:600] + "..."
        rev = f" at revision {revision!r}" if revision else ""
        raise ModelDownloadError(
            f"could not download model {model!r}{rev} from the {hub} hub: {reason}. "
            f"If this machine is offline or cannot reach {hub}, download the model elsewhere "
            f"and pass its local directory with --model PATH."
        ) from e
