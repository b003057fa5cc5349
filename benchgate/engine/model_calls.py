"""The `model` fixture's object: the run's model for hand-written tests, batched.

pytest runs one test at a time, so `model.generate(case.prompt)` in a test must not become
one model call per test. When a test whose parameter is a `Case` calls `generate` with a
prompt built from its case (the case's prompt, or text around it: `f"Q: {case.prompt}\\nA:"`),
the model is asked once for that prompt shape for every not-yet-run test of the same
prediction group (same module, test function and subset; `--group-size` cases), in one batched,
cached pass through the engine's predictor. The tests that follow find their outputs ready.
A shape that turns out not to be the one the next tests use is not tried again for that
test function. Any other call is computed when made (`generate_batch` and `loglikelihood`
batch their own arguments); `prefetch` computes a list of prompts ahead in one pass.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

import pytest

from benchgate.cases import Case
from benchgate.engine.plain import (PREFETCHED_KEY, RAN_KEY, RUN_KEY, ModelCallError, pending_members,
                                    sample_of)
from benchgate.prediction.predictor import Prediction
from benchgate.models.base import GenerateRequest, Generation, Loglikelihood, LoglikelihoodRequest


def _prompt_value(prompt: Any) -> str | tuple:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple)) and all(isinstance(m, dict) for m in prompt):
        return tuple({"role": m["role"], "content": m["content"]} for m in prompt)
    raise TypeError(f"model.generate: the prompt must be a string, a list of "
                    f"{{'role', 'content'}} messages or a Case, got {type(prompt).__name__}")


def _key(request) -> str:
    return json.dumps(request.key(), sort_keys=True, ensure_ascii=False)


def _shape(prompt: str | tuple, case_prompt: Any) -> tuple[str, str] | None:
    """(prefix, suffix) such that prompt == prefix + case_prompt + suffix, else None."""
    if prompt == case_prompt:
        return "", ""
    if isinstance(prompt, str) and isinstance(case_prompt, str) and case_prompt \
            and prompt.count(case_prompt) == 1:
        prefix, suffix = prompt.split(case_prompt)
        return prefix, suffix
    return None


class Model:
    """The `--model` of the run (loaded once per process, on first use), for plain tests."""

    def __init__(self, state):
        self._state = state
        self._shared: dict[str, tuple[Any, int]] = {}  # model.prefetch results
        self._tried: set[tuple] = set()  # (group, shape, stop, max_new_tokens) prefetched
        self.no_shape_guess: set[tuple] = set()  # test functions whose prompt shape missed
        self._group_keys: dict[tuple, list[dict]] = {}  # group -> per guessed shape: item -> key

    # -- identity -------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._state.predictor.name

    def fingerprint(self) -> dict:
        return self._state.predictor.fingerprint()

    # -- calls ----------------------------------------------------------------
    def generate(self, prompt: str | Sequence[dict] | Case, *, stop: Sequence[str] | None = None,
                 max_new_tokens: int | None = None) -> str:
        """The model's response to one prompt (or to a Case: its prompt, stop strings and
        max_new_tokens), with the run's --generation-config."""
        request = self._request(prompt, stop, max_new_tokens)
        item = self._state.current_item
        if self._state.options.dry_run:
            self._deliver(item, request, Generation(""), 0, dry_run=True)
            pytest.skip("--dry-run: the model is not called")
        found = self._lookup(item, request)
        if found is None:
            found = self._guess_and_prefetch(item, request, prompt)
        if found is None:
            (found,) = self._compute([request], self._sample_id(item))
        output, cached = found
        return self._deliver(item, request, output, cached).text

    def generate_batch(self, prompts: Sequence[str | Sequence[dict] | Case], *,
                       stop: Sequence[str] | None = None,
                       max_new_tokens: int | None = None) -> list[str]:
        """Responses to many prompts, computed in one batched pass."""
        item = self._state.current_item
        requests = [self._request(p, stop, max_new_tokens) for p in prompts]
        results = self._compute(requests, self._sample_id(item))
        return [self._deliver(item, r, out, cached).text for r, (out, cached) in zip(requests, results)]

    def loglikelihood(self, context: str, continuations: Sequence[str]) -> list[Loglikelihood]:
        """log P(continuation | context) and is_greedy for each continuation, in one pass
        (as lm-evaluation-harness `loglikelihood`)."""
        if isinstance(continuations, str):
            raise TypeError("model.loglikelihood: continuations must be a list of strings")
        requests = [LoglikelihoodRequest(context, c) for c in continuations]
        prediction = Prediction(requests=requests, sample_id=self._sample_id(self._state.current_item))
        self._predict("loglikelihood", [prediction])
        self._raise(prediction)
        return list(prediction.outputs)

    def prefetch(self, prompts: Sequence[str | Sequence[dict] | Case], *,
                 stop: Sequence[str] | None = None, max_new_tokens: int | None = None) -> None:
        """Compute responses for many prompts now, in one batched pass; later `generate`
        calls with the same prompt and options (from any test) find them ready."""
        requests = [self._request(p, stop, max_new_tokens) for p in prompts]
        fresh = [r for r in requests if _key(r) not in self._shared]
        predictions = [Prediction(requests=[r]) for r in fresh]
        self._predict("prefetch", predictions)
        for r, p in zip(fresh, predictions):
            if p.error is None and p.outputs is not None:
                self._shared[_key(r)] = (p.outputs[0], p.cached)

    # -- internals ------------------------------------------------------------
    def _request(self, prompt, stop, max_new_tokens) -> GenerateRequest:
        item = self._state.current_item
        sample = sample_of(item) if item is not None else None
        case = prompt if isinstance(prompt, Case) else (sample.case if sample else None)
        if isinstance(prompt, Case):
            if prompt.error:
                raise ModelCallError(f"case {prompt.id}: {prompt.error}")
            stop = prompt.stop if stop is None else stop
            max_new_tokens = prompt.max_new_tokens if max_new_tokens is None else max_new_tokens
            prompt = prompt.prompt
        if isinstance(stop, str):
            stop = (stop,)
        return GenerateRequest(_prompt_value(prompt), stop=tuple(stop or ()),
                               max_new_tokens=max_new_tokens,
                               oracle=case.oracle if case is not None else None)

    @staticmethod
    def _sample_id(item) -> str:
        sample = sample_of(item) if item is not None else None
        return sample.id if sample is not None else ""

    def _lookup(self, item, request) -> tuple[Any, int] | None:
        key = _key(request)
        if item is not None:
            found = item.stash.get(PREFETCHED_KEY, {}).get(key)
            if found is not None:
                run = item.stash.get(RUN_KEY, None)
                if run is not None:
                    run.used_prefetched = True
                if isinstance(found[0], str):  # the group's model call failed
                    raise ModelCallError(found[0])
                return found
        return self._shared.get(key)

    def _guess_and_prefetch(self, item, request: GenerateRequest, prompt) -> tuple[Any, int] | None:
        """A prompt built from the item's case: compute the same shape for the whole group."""
        sample = sample_of(item) if item is not None else None
        if sample is None or sample.group is None:
            return None
        case_prompt = _shape_fits(("", ""), sample.case.prompt)  # list messages -> tuple
        shape = ("", "") if isinstance(prompt, Case) else _shape(request.prompt, case_prompt)
        function = sample.group[:2]
        if shape is None or (function in self.no_shape_guess and shape != ("", "")):
            return None
        tried = (sample.group, shape, request.stop, request.max_new_tokens)
        if tried in self._tried:
            return None
        self._tried.add(tried)
        members = pending_members(self._state, sample.group, item)
        predictions, keys = [], []
        for m in members:
            case = sample_of(m).case
            fitted = None if case.error else _shape_fits(shape, case.prompt)
            if fitted is None:
                continue
            req = GenerateRequest(fitted, stop=request.stop,
                                  max_new_tokens=request.max_new_tokens, oracle=case.oracle)
            predictions.append((m, Prediction(requests=[req], sample_id=sample_of(m).id)))
            keys.append(_key(req))
        _, _, subset, chunk = sample.group
        self._predict(f"{sample.benchmark}/{subset}#{chunk}", [p for _, p in predictions])
        for (m, p), key in zip(predictions, keys):
            value = (p.error, 0) if p.error is not None else (p.outputs[0], p.cached)
            m.stash.setdefault(PREFETCHED_KEY, {})[key] = value
        self._group_keys.setdefault(sample.group, []).append({m: key for (m, _), key in zip(predictions, keys)})
        return self._lookup(item, request)

    def group_answers(self, item) -> dict:
        """The model's answers, already computed, of the not-yet-run tests of `item`'s group
        (and `item`'s own) to the same prompt shape as `item`'s latest `generate` call:
        {test item: text}; {} when that call was not one of a group's batched ones."""
        sample = sample_of(item) if item is not None else None
        run = item.stash.get(RUN_KEY, None) if item is not None else None
        if sample is None or sample.group is None or run is None or not run.calls:
            return {}
        latest = run.calls[-1]["response"]
        for keys in reversed(self._group_keys.get(sample.group, [])):
            own = item.stash.get(PREFETCHED_KEY, {}).get(keys.get(item))
            if own is None or isinstance(own[0], str) or own[0].text != latest:
                continue
            out = {}
            for m, key in keys.items():
                found = m.stash.get(PREFETCHED_KEY, {}).get(key) if not m.stash.get(RAN_KEY, False) else None
                if found is not None and not isinstance(found[0], str):
                    out[m] = found[0].text
            return out
        return {}

    def _compute(self, requests: list, sample_id: str) -> list[tuple[Any, int]]:
        predictions = [Prediction(requests=[r], sample_id=sample_id) for r in requests]
        self._predict("model calls", predictions)
        for p in predictions:
            self._raise(p)
        return [(p.outputs[0], p.cached) for p in predictions]

    def _predict(self, label: str, predictions: list[Prediction]) -> None:
        self._state.predictor.predict(label, predictions)

    def _raise(self, prediction: Prediction) -> None:
        if self._state.options.dry_run:
            pytest.skip("--dry-run: the model is not called")
        if prediction.error is not None:
            raise ModelCallError(prediction.error)

    def _deliver(self, item, request: GenerateRequest, output: Generation, cached: int,
                 dry_run: bool = False) -> Generation:
        """Log the call on the running test (its record's prompt and response)."""
        run = item.stash.get(RUN_KEY, None) if item is not None else None
        if run is not None:
            prompt = request.prompt if isinstance(request.prompt, str) else [dict(m) for m in request.prompt]
            run.calls.append({"prompt": prompt, "response": None if dry_run else output.text,
                              "usage": output.usage, "cached": cached})
        return output


def _shape_fits(shape: tuple[str, str], case_prompt: Any) -> Any:
    """The prompt of a case in a given shape (None: a chat prompt cannot take text around
    it, or the case's prompt is not a prompt)."""
    try:
        case_prompt = _prompt_value(case_prompt)
    except TypeError:
        return None
    if shape == ("", ""):
        return case_prompt
    if not isinstance(case_prompt, str):
        return None
    return shape[0] + case_prompt + shape[1]
