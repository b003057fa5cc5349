"""What went wrong when a model or dataset could not come from a hub (ModelScope, Hugging
Face): its package is not installed (the pip command), the hub cannot be reached (no network,
offline mode), or the hub answered that the id does not exist. Shared by the dataset loader
(benchgate/data/hub.py) and the model resolver (benchgate/models/resolve.py)."""
from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

# hub -> (the import that fails without it, the pip requirement that provides it)
PACKAGES = {"modelscope": ("modelscope", "modelscope>=1.15"),
            "huggingface": ("datasets", "datasets>=2.19")}
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
OFFLINE_VARS = {"huggingface": ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")}
_NOT_FOUND = ("NotFound", "does not exist", "doesn't exist", "not found", "404", "Couldn't find")


def endpoint(hub: str) -> tuple[str, int]:
    """(host, port) of a hub's API as this process would reach it (MODELSCOPE_ENDPOINT or
    MODELSCOPE_DOMAIN, HF_ENDPOINT, else the public hosts)."""
    if hub == "modelscope":
        url = os.environ.get("MODELSCOPE_ENDPOINT") or os.environ.get("MODELSCOPE_DOMAIN") or "modelscope.cn"
    else:
        url = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return parts.hostname or "", parts.port or (80 if parts.scheme == "http" else 443)


def offline_mode(hub: str) -> str | None:
    """'offline mode is set (HF_HUB_OFFLINE=1, ...)' when the hub's client is told to use its
    cache only, else None."""
    offline = [v for v in OFFLINE_VARS.get(hub, ()) if os.environ.get(v, "").lower() in ("1", "true", "yes", "on")]
    return f"offline mode is set ({', '.join(f'{v}=1' for v in offline)})" if offline else None


def no_network(hub: str, timeout: float = 3.0) -> str | None:
    """'no network: HOST:PORT cannot be reached (...)' when a connection to the hub's API is
    refused, its host unknown or silent for `timeout` s; None when it connects or when a proxy
    is configured (the proxy decides). Asked before a hub client is called: the clients retry
    for 20-30 s before they give up."""
    if any(os.environ.get(v) for v in PROXY_VARS):
        return None
    host, port = endpoint(hub)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        return f"no network: {host}:{port} cannot be reached ({e.strerror or type(e).__name__})"
    return None


def unreachable(hub: str, timeout: float = 3.0) -> str | None:
    """Why `hub` cannot be reached from here (offline mode set, unknown host, refused, no
    answer in `timeout` s), or None when it can or when a proxy is configured."""
    return offline_mode(hub) or no_network(hub, timeout)


def missing_package(error: BaseException, hub: str) -> str | None:
    """'the modelscope package is not installed ...: pip install ...' when `error` is the
    import of a hub's package failing, else None."""
    if not isinstance(error, ImportError):
        return None
    module = (getattr(error, "name", None) or "").split(".")[0] or PACKAGES.get(hub, ("?",))[0]
    requirement = dict(PACKAGES.values()).get(module, module)
    return (f"the {module!r} package is not installed ({type(error).__name__}: {error}); install it "
            f"with: pip install '{requirement}' (it comes with `pip install -e .`)")


def describe_failure(error: BaseException, hub: str, what: str) -> str:
    """One line saying what is actually wrong when `what` (e.g. "dataset 'cais/mmlu'") could
    not be loaded from `hub`: a missing package, no network, an unknown id, or else the
    hub's own error."""
    reason = f"{type(error).__name__}: {error}".splitlines()[0][:300]
    package = missing_package(error, hub)
    if package:
        return package
    cut_off = unreachable(hub)
    if cut_off:
        return f"{cut_off} ({reason})"
    if any(marker in f"{type(error).__name__} {error}" for marker in _NOT_FOUND):
        return f"unknown id: the {hub} hub has no {what} ({reason})"
    return reason
