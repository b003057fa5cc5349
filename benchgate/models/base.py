"""Request types and the interface every model backend implements.

A benchmark turns each sample into one or more *requests*; the predictor batches
the requests of a whole group and hands them to a backend in one call.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence, Union, runtime_checkable

Message = dict  # {"role": "system"|"user"|"assistant", "content": str}


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """log P(continuation | context), as lm-evaluation-harness `loglikelihood`."""

    context: str
    continuation: str
    oracle: Any = field(default=None, compare=False, repr=False)  # the output a perfect model gives

    kind = "loglikelihood"

    def key(self) -> dict:
        return {"kind": self.kind, "context": self.context, "continuation": self.continuation}


@dataclass(frozen=True)
class RollingLoglikelihoodRequest:
    """Total log P(text) over non-overlapping windows (perplexity)."""

    text: str
    oracle: Any = field(default=None, compare=False, repr=False)

    kind = "loglikelihood_rolling"

    def key(self) -> dict:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True)
class TokenScoresRequest:
    """The log-probability of every token of `text` (the first one given the BOS/EOS token),
    for membership scores (Min-K% Prob, Min-K%++, perplexity)."""

    text: str

    kind = "token_scores"

    def key(self) -> dict:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True)
class TokenScores:
    """Result of a TokenScoresRequest: per scored token, log p(token | prefix) and, where the
    backend sees the whole next-token distribution (local models), its mean and variance of
    log p over the vocabulary, mu = sum p log p and sigma^2 = sum p (log p)^2 - mu^2
    (Min-K%++). `mean`/`var` are None where the backend cannot give them (API logprobs)."""

    logprobs: tuple[float, ...]
    mean: tuple[float, ...] | None = None
    var: tuple[float, ...] | None = None


@dataclass(frozen=True)
class GenerateRequest:
    """Free generation from a prompt (plain text) or a chat (list of messages)."""

    prompt: Union[str, tuple]  # str, or a tuple of Message dicts for chat models
    stop: tuple[str, ...] = ()
    max_new_tokens: int | None = None  # None: the generation config's value
    repeat: int = 0  # the i-th of n samples for the same prompt (pass@k); part of the identity
    oracle: Any = field(default=None, compare=False, repr=False)
    # the worst answer, where an answer-free text is not the worst one (a refusal of a safe
    # prompt, a followed injection); `--model wrong` answers it, else "(no answer)"
    wrong: Any = field(default=None, compare=False, repr=False)
    # extra identity that is not sent to the model (a judge's template name and answer order):
    # two requests with the same prompt but different tags are cached separately
    cache_tag: str = ""
    # the tools offered for native tool calling (a JSON list of OpenAI `tools` entries), "" for
    # none; the answer's calls come back in the text (`tool_calls_text`, or the chat template's
    # own tool-call format for local models)
    tools: str = ""
    # a panel of judges (`panel:FILE`): ask only this member ("" asks every member), e.g. the
    # re-ask of one member's reply that held no verdict
    panel_member: str = ""

    kind = "generate"

    def key(self) -> dict:
        prompt = self.prompt if isinstance(self.prompt, str) else [dict(m) for m in self.prompt]
        key = {"kind": self.kind, "prompt": prompt, "stop": list(self.stop),
               "max_new_tokens": self.max_new_tokens}
        if self.repeat:
            key["repeat"] = self.repeat
        if self.tools:
            key["tools"] = self.tools
        if self.cache_tag:
            key["tag"] = self.cache_tag
        if self.panel_member:
            key["panel_member"] = self.panel_member
        return key


@dataclass(frozen=True)
class RewardRequest:
    """The scalar score a reward model (sequence classification, one label) gives a
    conversation: a tuple of {"role", "content"} messages ending with the answer scored."""

    messages: tuple
    cache_tag: str = ""
    oracle: Any = field(default=None, compare=False, repr=False)

    kind = "reward"

    def key(self) -> dict:
        key = {"kind": self.kind, "messages": [dict(m) for m in self.messages]}
        if self.cache_tag:
            key["tag"] = self.cache_tag
        return key


@dataclass(frozen=True)
class GenerationConfig:
    """Decoding settings (`--generation-config`). Part of every generation cache key."""

    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 50
    max_new_tokens: int = 256
    repetition_penalty: float = 1.0
    seed: int = 0
    # extra stop strings for every generation, added to the benchmark's own (lm-eval's
    # `until`, EvalScope's `stop`); in the cache key only when given, so keys of runs
    # without it are unchanged
    stop: tuple[str, ...] = ()

    def key(self) -> dict:
        key = dict(self.__dict__)
        if not self.stop:
            del key["stop"]
        else:
            key["stop"] = list(self.stop)
        return key

    def stops(self, own: Sequence[str]) -> tuple[str, ...]:
        """A request's own stop strings followed by the configured extra ones (no repeats)."""
        return tuple(dict.fromkeys((*own, *self.stop)))


Request = Union[LoglikelihoodRequest, RollingLoglikelihoodRequest, GenerateRequest, RewardRequest]


@dataclass(frozen=True)
class Loglikelihood:
    """Result of a LoglikelihoodRequest: summed logprob and whether greedy decoding yields it."""

    logprob: float
    is_greedy: bool


@dataclass(frozen=True)
class Generation:
    """Result of a GenerateRequest."""

    text: str
    usage: dict | None = None  # {"prompt_tokens": n, "completion_tokens": m} where known


def tool_calls_text(content: str | None, calls: Sequence[dict]) -> str:
    """The text of an answer with native tool calls: the JSON object {"content": ...,
    "tool_calls": [{"name": ..., "arguments": "<JSON text as the model wrote it>"}]}."""
    return json.dumps({"content": content, "tool_calls": [
        {"name": c.get("name"), "arguments": c.get("arguments")} for c in calls]}, ensure_ascii=False)


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """`text` up to (excluding) the earliest occurrence of any stop string."""
    cut = len(text)
    for s in stops:
        if s:
            i = text.find(s)
            if 0 <= i < cut:
                cut = i
    return text[:cut]


class BackendError(RuntimeError):
    """A model call failed; the message says why (never contains secrets)."""


class BatchError(BackendError):
    """Some requests of a batch failed for good. ``results[i]`` is the result, or the
    exception of that request; the predictor keeps (and caches) every completed result."""

    def __init__(self, message: str, results: list):
        super().__init__(message)
        self.results = results

    @property
    def errors(self) -> dict[int, BaseException]:
        """Failed requests by input position."""
        return {i: r for i, r in enumerate(self.results) if isinstance(r, BaseException)}


@runtime_checkable
class ModelBackend(Protocol):
    """What the predictor needs from a model. All methods take whole batches."""

    name: str

    def fingerprint(self) -> dict:
        """Identity of the model for cache keys and results.json (weights hash, revision, dtype...)."""

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest],
                      progress: Callable[[int], None] | None = None) -> list[Loglikelihood]:
        """One result per request, in order; `progress(n)` is called as n requests finish."""

    def loglikelihood_rolling(self, requests: Sequence[RollingLoglikelihoodRequest],
                              progress: Callable[[int], None] | None = None) -> list[float]:
        """Total logprob of each text."""

    def generate(self, requests: Sequence[GenerateRequest],
                 progress: Callable[[int], None] | None = None) -> list[Generation]:
        """One generation per request, stop strings cut off, using the backend's GenerationConfig."""

    def close(self) -> None:
        ...
