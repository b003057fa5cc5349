"""Turn `--model` (and friends) into a model backend, and say clearly when that is impossible."""
from __future__ import annotations

from benchgate.models.base import BackendError, ModelBackend

WHAT_MODEL_TAKES = ("--model takes a local checkpoint directory, a hub id (--model-hub modelscope or "
                    "huggingface), or one of smoke, dummy, oracle, wrong, replay:FILE")


class ModelUnavailable(BackendError):
    """The model, or the API serving it, cannot be used at all: the run stops with this one
    message (what was tried, why it failed, what to do) instead of failing every sample."""


def load_backend(options) -> ModelBackend:
    """The backend named by the run options. Heavy imports happen only here. An API backend is
    probed (GET /models) so that an unreachable server or a refused key fails here, once."""
    from benchgate.models.args import check_model_args

    model = options.model
    if not model:
        raise ValueError("no model: pass --model (a checkpoint dir, a hub id, 'smoke', 'dummy', 'wrong', "
                         "'oracle' or 'replay:FILE')")
    check_model_args(model, options.api_url, options.model_args)
    if options.api_url:
        from benchgate.models.openai_api import OpenAIBackend

        backend = OpenAIBackend(options.api_url, model, options.model_args, options.generation,
                                api_key=options.api_key, chat_template=True)
        backend.probe()
        return backend
    if model == "dummy":
        from benchgate.models.builtin import DummyBackend

        return DummyBackend(options.model_args, options.generation, seed=options.seed)
    if model == "oracle":
        from benchgate.models.builtin import OracleBackend

        return OracleBackend()
    if model == "wrong":
        from benchgate.models.builtin import WrongBackend

        return WrongBackend()
    path = local_model_path(options)  # before importing torch: a bad path fails at once
    from benchgate.models.hf import HFBackend

    return HFBackend(path, options.model_args, options.generation, chat_template=options.chat_template)


def local_model_path(options) -> str:
    """The directory of a local or hub model (`smoke` is built on first use)."""
    if options.model == "smoke":
        from benchgate.models.smoke import smoke_model_path

        return smoke_model_path()
    from benchgate.models.resolve import resolve_model_path

    return resolve_model_path(options.model, hub=options.model_hub,
                              revision=options.model_args.get("revision"))


def check_model(options) -> None:
    """A cheap check that `--model` can be used, without loading weights (for the xdist
    controller, which runs no sample itself): the API is probed, a replay file read, a local
    or hub model resolved (downloaded if needed) and its config read. Raises ModelUnavailable."""
    model = options.model or ""
    try:
        if options.api_url or model in ("dummy", "oracle", "wrong"):
            load_backend(options)
        elif model.startswith("replay:"):
            from benchgate.models.replay import ReplaySource

            ReplaySource(model[len("replay:"):])
        else:
            from transformers import AutoConfig

            path = local_model_path(options)
            AutoConfig.from_pretrained(path, revision=options.model_args.get("revision"),
                                       trust_remote_code=bool(options.model_args.get("trust_remote_code")))
    except Exception as e:  # noqa: BLE001 - every failure here means "this model cannot be used"
        raise ModelUnavailable(load_failure_message(options, e)) from None


def load_failure_message(options, error: BaseException) -> str:
    """One message naming the model, what was tried, why it failed and what to do."""
    if isinstance(error, ModelUnavailable):
        return str(error)
    from benchgate.models.openai_api import ServerUnavailableError, sanitize_url

    model = options.model or ""
    reason = f"{type(error).__name__}: {error}".strip().rstrip(".")
    if len(reason) > 800:
        reason = reason[:800] + " ..."
    if isinstance(error, ServerUnavailableError):
        return f"--model {model!r}: {error}"
    api_url = getattr(options, "api_url", None)
    if api_url:
        return (f"--model {model!r} over the API at {sanitize_url(api_url)} could not be set up: "
                f"{reason}")
    if model.startswith("replay:"):
        return (f"--model {model!r}: the replay file cannot be used: {reason}. Pass a samples.jsonl of an "
                f"earlier run, or a JSONL file of {{\"id\", \"response\"}} lines")
    if model == "smoke":
        return (f"--model smoke: the built-in smoke model could not be built or loaded under "
                f"$BENCHGATE_HOME: {reason}. Check that $BENCHGATE_HOME is writable")
    from benchgate.models.resolve import ModelDownloadError

    hint = "" if isinstance(error, ModelDownloadError) else f". {WHAT_MODEL_TAKES}"
    return (f"--model {model!r} could not be loaded (tried: a local directory, else the {getattr(options, 'model_hub', 'modelscope')} "
            f"hub, then transformers from_pretrained): {reason}{hint}")
