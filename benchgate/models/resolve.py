"""Turn `--model` (a local directory or a hub id) into a local directory."""
from __future__ import annotations

import os

from benchgate.hubs import describe_failure, missing_package, no_network

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
        unreachable = no_network(hub)
        if unreachable:  # offline: a cached snapshot, else fail now (the clients retry ~30 s)
            try:
                return str(snapshot_download(model, local_files_only=True, **kwargs))
            except Exception:  # noqa: BLE001 - not cached either
                raise _Offline(f"{unreachable}, and no copy is cached locally") from None
        return str(snapshot_download(model, **kwargs))
    except Exception as e:  # noqa: BLE001 - re-raised with the context a user needs
        rev = f" at revision {revision!r}" if revision else ""
        package = missing_package(e, hub)
        if package:
            raise ModelDownloadError(f"could not download model {model!r}{rev} from the {hub} hub: "
                                     f"{package}. Or pass a local directory with --model PATH.") from e
        reason = str(e) if isinstance(e, _Offline) else describe_failure(e, hub, f"model {model!r}")
        if len(reason) > 600:
            reason = reason[:600] + "..."
        advice = (f"Check the id, or the hub (--model-hub {'huggingface' if hub == 'modelscope' else 'modelscope'})"
                  if reason.startswith("unknown id") else
                  f"If this machine is offline or cannot reach {hub}, download the model elsewhere")
        raise ModelDownloadError(
            f"could not download model {model!r}{rev} from the {hub} hub: {reason}. "
            f"{advice} and pass its local directory with --model PATH."
        ) from e


class _Offline(ConnectionError):
    """The hub cannot be reached and no copy of the model is cached (the message says why)."""
