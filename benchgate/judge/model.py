"""The judge object: a model that grades answers, called in batches through the engine's
Predictor (SQLite cache, length-sorted batches for local models, bounded concurrency and
retries for API models).

    judge = Judge(options)                       # options: benchgate.engine.options.ModelOptions
    replies = judge.complete([JudgePrompt.of(system, user, tag="single-v1")])
    replies[0].text                              # the judge's raw output (or replies[0].error)
    scores = judge.reward([[{"role": "user", ...}, {"role": "assistant", ...}]])  # reward models

Kinds: ``generative`` (an OpenAI-compatible API with `api_url`, or a local causal LM,
``smoke``, ``dummy``) and ``reward_model`` (a local sequence-classification checkpoint with
one label; detected from its config.json). Every call of one batch goes to the backend in
one pass; each request is cached under the judge's fingerprint, the messages and the `tag`
(a template name, an answer order: what is not in the messages but tells requests apart).
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from benchgate.prediction.predictor import Prediction, Predictor
from benchgate.models.base import BackendError, GenerateRequest, ModelBackend, RewardRequest

KINDS = ("generative", "reward_model")


@dataclass(frozen=True)
class JudgePrompt:
    """What a generative judge is asked: chat messages, plus a tag that is part of the cache
    key but not sent (e.g. '{"template": "pair-v2", "order": "ba"}'), and the most new tokens
    the reply may have when the prompt's authors fixed it (None: --judge-generation-config)."""

    messages: tuple
    tag: str = ""
    max_new_tokens: int | None = None
    member: str = ""  # a panel judge: ask only this member ("": all; a member's re-ask)

    @classmethod
    def of(cls, system: str | None, user: str, tag: Any = "",
           max_new_tokens: int | None = None) -> "JudgePrompt":
        """A system prompt (omitted when empty) and a user prompt; `tag` may be a dict."""
        messages = ([{"role": "system", "content": system}] if system else []) + \
            [{"role": "user", "content": user}]
        return cls(tuple(messages), tag if isinstance(tag, str) else
                   json.dumps(tag, sort_keys=True, ensure_ascii=False), max_new_tokens)

    def followed_by(self, reply: str, user: str, member: str = "") -> "JudgePrompt":
        """This conversation continued with the judge's reply and a new user turn (a re-ask);
        `member`: of that panel member only."""
        messages = self.messages + ({"role": "assistant", "content": reply},
                                    {"role": "user", "content": user})
        return JudgePrompt(messages, self.tag, self.max_new_tokens, member or self.member)

    @property
    def user(self) -> str:
        """The last user message (the rendered judge prompt)."""
        return self.messages[-1]["content"]


@dataclass
class JudgeReply:
    """The judge's raw text (a reward model: its `score`), or the error that stopped the
    call; `cached` when it came from the cache."""

    text: str | None
    error: str | None = None
    cached: bool = False
    score: float | None = None


def detect_kind(model: str) -> str:
    """'reward_model' for a local sequence-classification checkpoint, else 'generative'."""
    from benchgate.judge.reward import is_reward_model

    return "reward_model" if is_reward_model(model) else "generative"


def load_judge_backend(options, kind: str) -> ModelBackend:
    """The backend of a judge (a failure is reported by the Predictor in the words of the
    judge's `options.role`, which say how to use an API instead)."""
    if kind == "reward_model":
        from benchgate.judge.reward import RewardModelBackend
        from benchgate.models.resolve import resolve_model_path

        path = resolve_model_path(options.model, hub=options.model_hub,
                                  revision=options.model_args.get("revision"))
        return RewardModelBackend(path, options.model_args)
    from benchgate.models.factory import load_backend

    return load_backend(options)


class Judge:
    """A judge model with batched, cached calls (see the module docstring)."""

    def __init__(self, options, *, name: str | None = None, kind: str = "auto",
                 load_backend: Callable[[Any], ModelBackend] | None = None,
                 quiet_capture: Callable[[], contextlib.AbstractContextManager] | None = None,
                 progress=None):
        if not options.model:
            raise ValueError("a judge needs a model")
        if kind == "auto":
            kind = "generative" if options.api_url else detect_kind(options.model)
        if kind not in KINDS:
            raise ValueError(f"judge kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.options = options
        self.name = name or options.model
        loader = load_backend or (lambda opts: load_judge_backend(opts, kind))
        self.predictor = Predictor(options, loader, quiet_capture, progress)

    def describe(self) -> dict:
        """Public identity for results: name, kind, model, endpoint (never a key)."""
        from benchgate.models.openai_api import sanitize_url

        return {"name": self.name, "kind": self.kind, "model": self.options.model,
                "api_url": sanitize_url(self.options.api_url) if self.options.api_url else None}

    def fingerprint(self) -> dict:
        return self.predictor.fingerprint()

    def complete(self, prompts: Sequence[JudgePrompt], label: str = "judge") -> list[JudgeReply]:
        """The judge's reply to each prompt, in order: one batched, cached pass."""
        if self.kind != "generative":
            raise BackendError(f"judge {self.name!r} is a reward model: use reward(), not complete()")
        predictions = [Prediction([GenerateRequest(p.messages, max_new_tokens=p.max_new_tokens,
                                                   cache_tag=p.tag, panel_member=p.member)]) for p in prompts]
        return self._run(label, predictions, lambda out: JudgeReply(out.text))

    def reward(self, conversations: Sequence[Sequence[dict]], label: str = "judge",
               tags: Sequence[str] | None = None) -> list[JudgeReply]:
        """A reward model's score of each conversation (JudgeReply.score)."""
        if self.kind != "reward_model":
            raise BackendError(f"judge {self.name!r} is generative: use complete(), not reward()")
        tags = tags or [""] * len(conversations)
        predictions = [Prediction([RewardRequest(tuple(dict(m) for m in c), cache_tag=t)])
                       for c, t in zip(conversations, tags)]
        return self._run(label, predictions, lambda out: JudgeReply(None, score=float(out)))

    def _run(self, label: str, predictions: list[Prediction], reply) -> list[JudgeReply]:
        if not predictions:
            return []
        self.predictor.predict(label, predictions)
        out = []
        for p in predictions:
            if p.error is not None or p.outputs is None:
                out.append(JudgeReply(None, p.error or "the judge gave no output"))
            else:
                r = reply(p.outputs[0])
                r.cached = bool(p.cached)
                out.append(r)
        return out

    def close(self) -> None:
        self.predictor.close()
