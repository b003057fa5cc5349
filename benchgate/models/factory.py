"""Turn `--model` (and friends) into a model backend."""
from __future__ import annotations

from benchgate.models.base import ModelBackend


def load_backend(options) -> ModelBackend:
    """The backend named by the run options. Heavy imports happen only here."""
    from benchgate.models.args import check_model_args

    model = options.model
    if not model:
        raise ValueError("no model: pass --model (a checkpoint dir, a hub id, 'smoke', 'dummy', 'wrong', "
                         "'oracle' or 'replay:FILE')")
    check_model_args(model, options.api_url, options.model_args)
    if options.api_url:
        from benchgate.models.openai_api import OpenAIBackend

        return OpenAIBackend(options.api_url, model, options.model_args, options.generation,
                             api_key=options.api_key, chat_template=True)
    if model == "dummy":
        from benchgate.models.builtin import DummyBackend

        return DummyBackend(options.model_args, options.generation, seed=options.seed)
    if model == "oracle":
        from benchgate.models.builtin import OracleBackend

        return OracleBackend()
    if model == "wrong":
        from benchgate.models.builtin import WrongBackend

        return WrongBackend()
    from benchgate.models.hf import HFBackend

    if model == "smoke":
        from benchgate.models.smoke import smoke_model_path

        path = smoke_model_path()
    else:
        from benchgate.models.resolve import resolve_model_path

        path = resolve_model_path(model, hub=options.model_hub,
                                  revision=options.model_args.get("revision"))
    return HFBackend(path, options.model_args, options.generation,
                     chat_template=options.chat_template)
