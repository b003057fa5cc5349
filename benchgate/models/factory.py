"""Turn `--model` (and friends) into a model backend, and say clearly when that is impossible."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from benchgate.models.base import BackendError, ModelBackend

WHAT_MODEL_TAKES = ("--model takes a local checkpoint directory, a hub id (--model-hub modelscope or "
                    "huggingface), or one of smoke, dummy, oracle, wrong, replay:FILE, panel:FILE")


@dataclass(frozen=True)
class ModelRole:
    """Which model of the run this is, for the messages saying it cannot be used: how they
    name it and the settings a user changes to fix it. The default is the run's --model; a
    judge or an arena candidate has its own (see `judge_role`, `arena_candidate_role`)."""

    subject: str = ""  # e.g. "the judge --judge-model 'gpt-4'"; "" names it "--model 'NAME'"
    model_setting: str = "--model"
    url_setting: str = "--api-url"
    key_setting: str = "--api-key or $BENCHGATE_API_KEY"

    def name(self, model: str | None) -> str:
        return self.subject or f"{self.model_setting} {model!r}"


def judge_role(model: str) -> ModelRole:
    """The judge of judge metrics (--judge-*)."""
    return ModelRole(f"the judge --judge-model {model!r}", "--judge-model", "--judge-api-url",
                     "--judge-api-key or $BENCHGATE_JUDGE_API_KEY")


def arena_judge_role(name: str, model: str, config: str) -> ModelRole:
    """The arena's reviewer (its model from reviews_gen.reviewer.args or --judge-model)."""
    where = f"reviews_gen.reviewer.args of {config}"
    return ModelRole(f"the arena judge {name!r}" + (f" (model {model!r})" if model != name else ""),
                     f"--judge-model or model in {where}", f"--judge-api-url or api_url in {where}",
                     f"--judge-api-key, the variable named by api_key_env in {where}, or "
                     f"$BENCHGATE_JUDGE_API_KEY")


def arena_candidate_role(name: str, model: str, config: str) -> ModelRole:
    """An arena candidate that answers with a model (answers_gen.NAME)."""
    where = f"answers_gen.{name} of {config}"
    return ModelRole(f"arena candidate {name!r}" + (f" (model {model!r})" if model != name else ""),
                     f"model_id_or_path in {where}",
                     f"api_url in {where}", f"the variable named by api_key_env in {where}, or --api-key")


def role_of(options) -> ModelRole:
    """The role of a model's options (RunOptions: the run's --model)."""
    return getattr(options, "role", None) or ModelRole()


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
    if model.startswith("panel:"):
        return load_panel(options)
    check_model_args(model, options.api_url, options.model_args)
    if options.api_url:
        from benchgate.models.openai_api import OpenAIBackend

        backend = OpenAIBackend(options.api_url, model, options.model_args, options.generation,
                                api_key=options.api_key, chat_template=True)
        role = role_of(options)
        backend.probe(url_setting=role.url_setting, key_setting=role.key_setting)
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


def load_panel(options, members: list[dict] | None = None, source: str | None = None) -> ModelBackend:
    """`--model panel:FILE` (or the arena config's reviewer panel: its checked `members`, named
    by `source` in messages): each member loaded (and probed) as its own --model would be."""
    import copy

    from benchgate.models.panel import PanelBackend, read_panel_spec

    if options.api_url:
        raise ValueError("--model panel:FILE: give each member's api_url in the file, not --api-url")
    source = source or options.model[len("panel:"):]
    loaded = []
    try:
        for spec in members if members is not None else read_panel_spec(source):
            member = copy.copy(options)
            member.model, member.api_url = spec["model"], spec.get("api_url")
            member.model_args = dict(spec.get("model_args") or {})
            if member.api_url and "concurrency" in options.model_args:  # --model-args concurrency=N
                member.model_args.setdefault("concurrency", options.model_args["concurrency"])
            member.role = ModelRole(f"panel member {spec['name']!r} (model {spec['model']!r})",
                                    f"model in {source}", "its api_url", "its api_key_env")
            try:
                env = spec.get("api_key_env")
                if env and env not in os.environ:
                    raise ValueError(f"the variable {env!r} named by its api_key_env is not set")
                member.api_key = os.environ[env] if env else options.api_key
                loaded.append((spec["name"], load_backend(member)))
            except Exception as e:  # noqa: BLE001 - one message naming the member
                raise ModelUnavailable(load_failure_message(member, e)) from None
    except BaseException:
        for _, backend in loaded:
            backend.close()
        raise
    return PanelBackend(loaded)


DEFAULT_API_CONCURRENCY = 8  # the OpenAI backend's requests in flight when not set


def api_concurrency(options) -> int | None:
    """The requests in flight of a model served over an API: `--api-url`'s `concurrency`
    (default 8), or for `panel:FILE` whose members all have an api_url the largest member's
    (its own model_args, else `--model-args concurrency`, else 8). None for any other model
    (local, built-in, replay, a panel with a local member), and for a panel file that cannot
    be read (loading it says why)."""
    from benchgate.models.panel import PanelSpecError, read_panel_spec

    def of(model_args: dict | None, default: int) -> int:
        value = (model_args or {}).get("concurrency", default)
        return value if isinstance(value, int) and value > 0 else default

    model = options.model or ""
    top = of(options.model_args, DEFAULT_API_CONCURRENCY)
    if not model.startswith("panel:"):
        return top if options.api_url else None
    try:
        members = read_panel_spec(model[len("panel:"):], check_env=False)
    except PanelSpecError:
        return None
    if not all(m.get("api_url") for m in members):
        return None
    return max(of(m.get("model_args"), top) for m in members)


def model_identity(options) -> tuple[str, dict] | None:
    """(name, fingerprint) of a local or hub causal LM without loading its weights (the same
    fingerprint as its loaded backend's), so that a run whose requests are all cached never
    loads it; None for the models whose backend is cheap to build (API, built-in, replay) and
    for a panel (loaded to be identified: no local model path to resolve, nor torch to import)."""
    model = options.model or ""
    if not model or options.api_url or model in ("dummy", "oracle", "wrong") or model.startswith(("replay:", "panel:")):
        return None
    from benchgate.models.args import check_hf_args
    from benchgate.models.fingerprint import hf_fingerprint, model_name

    path = local_model_path(options)
    fingerprint = hf_fingerprint(path, check_hf_args(options.model_args), options.chat_template)
    check_weight_files(path)
    return model_name(path), fingerprint


def check_weight_files(path: str) -> None:
    """Open the header of each safetensors file of a local model (no tensor is read), so a
    truncated or corrupt download is found before the first sample, not at the first cache
    miss. Raises the reader's error."""
    from safetensors import safe_open

    folder = Path(path)
    for weights in sorted(folder.glob("*.safetensors")) if folder.is_dir() else ():
        with safe_open(str(weights), framework="numpy"):
            pass


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
        if options.api_url or model in ("dummy", "oracle", "wrong") or model.startswith("panel:"):
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
    """One message naming the model (as its role names it: --model, the judge, an arena
    candidate), what was tried, why it failed and what to do."""
    if isinstance(error, ModelUnavailable):
        return str(error)
    from benchgate.models.openai_api import ServerUnavailableError, sanitize_url

    model = options.model or ""
    role = role_of(options)
    who = role.name(model)
    reason = f"{type(error).__name__}: {error}".strip().rstrip(".")
    if len(reason) > 800:
        reason = reason[:800] + " ..."
    if isinstance(error, ServerUnavailableError):
        return f"{who}: {error}"
    api_url = getattr(options, "api_url", None)
    if api_url:
        return (f"{who} over the API at {sanitize_url(api_url)} could not be set up: "
                f"{reason}")
    if model.startswith("replay:"):
        return (f"{who}: the replay file cannot be used: {reason}. Pass a samples.jsonl of an "
                f"earlier run, or a JSONL file of {{\"id\", \"response\"}} lines")
    if model == "smoke":
        return (f"{who}: the built-in smoke model could not be built or loaded under "
                f"$BENCHGATE_HOME: {reason}. Check that $BENCHGATE_HOME is writable")
    from benchgate.models.resolve import ModelDownloadError

    hint = "" if isinstance(error, ModelDownloadError) else \
        f". {WHAT_MODEL_TAKES.replace('--model', role.model_setting, 1)}"
    if role.model_setting != "--model":  # a judge or a candidate may be served over an API
        hint += f"; for a model behind an OpenAI-compatible API, set {role.url_setting}"
    return (f"{who} could not be loaded (tried: a local directory, else the {getattr(options, 'model_hub', 'modelscope')} "
            f"hub, then transformers from_pretrained): {reason}{hint}")
