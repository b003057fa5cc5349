"""Built-in models that need no weights: `dummy` (dry runs), `oracle` and `wrong` (benchmark checks)."""
from __future__ import annotations

import hashlib
import json
import random
from typing import Callable, Sequence

from benchgate.models.base import (GenerateRequest, Generation, GenerationConfig, Loglikelihood,
                                   LoglikelihoodRequest, RollingLoglikelihoodRequest)

Progress = Callable[[int], None] | None


def _rng(seed: int, request) -> random.Random:
    digest = hashlib.sha256(json.dumps(request.key(), sort_keys=True).encode()).hexdigest()
    return random.Random(f"{seed}:{digest}")


def _uniform(seed: int, request, low: float, high: float) -> float:
    """A seeded uniform draw from a hash of the request (no Random object, no JSON per request)."""
    if isinstance(request, LoglikelihoodRequest):
        text = f"{seed}\x00{request.context}\x00{request.continuation}"
    else:
        text = f"{seed}\x00{request.text}"
    u = int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "big") / 2.0 ** 64
    return low + (high - low) * u


class DummyBackend:
    """No model: a fixed response (`--model-args response=...`) or seeded-random answers.
    Loglikelihoods are seeded random numbers, so multiple choice scores near chance."""

    name = "dummy"

    def __init__(self, model_args: dict, generation: GenerationConfig, seed: int = 42):
        from benchgate.argspec import check_args
        from benchgate.models.args import DUMMY_ARGS

        self.response = check_args(model_args, DUMMY_ARGS, "--model-args (dummy)")["response"]
        self.seed = seed

    def fingerprint(self) -> dict:
        # "draws": 2 since log-likelihoods are drawn by `_uniform` (caches of earlier draws miss)
        return {"name": "dummy", "response": self.response, "seed": self.seed, "draws": 2}

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest], progress: Progress = None):
        out = [Loglikelihood(-_uniform(self.seed, r, 0.1, 20.0), False) for r in requests]
        if progress:
            progress(len(requests))
        return out

    def loglikelihood_rolling(self, requests: Sequence[RollingLoglikelihoodRequest],
                              progress: Progress = None) -> list[float]:
        out = [-_uniform(self.seed, r, 1.0, 5.0) * max(1, len(r.text.split())) for r in requests]
        if progress:
            progress(len(requests))
        return out

    def generate(self, requests: Sequence[GenerateRequest], progress: Progress = None):
        out = []
        for r in requests:
            if self.response is not None:
                out.append(Generation(str(self.response)))
            else:
                rng = _rng(self.seed, r)
                out.append(Generation(f"The answer is {rng.choice('ABCD')}. "
                                      f"#### {rng.randint(0, 100)}"))
        if progress:
            progress(len(requests))
        return out

    def close(self) -> None:
        pass


class OracleBackend:
    """Answers every request with the output its benchmark declared as gold (`request.oracle`).
    Every benchmark must score exactly 1.0 with it."""

    name = "oracle"

    def fingerprint(self) -> dict:
        return {"name": "oracle"}

    @staticmethod
    def _oracle(request):
        if request.oracle is None:
            raise ValueError(f"the benchmark gave no oracle output for this {request.kind} request")
        return request.oracle

    def loglikelihood(self, requests, progress: Progress = None):
        out = []
        for r in requests:
            o = self._oracle(r)
            out.append(o if isinstance(o, Loglikelihood) else Loglikelihood(*o))
        if progress:
            progress(len(requests))
        return out

    def loglikelihood_rolling(self, requests, progress: Progress = None):
        out = [float(self._oracle(r)) for r in requests]
        if progress:
            progress(len(requests))
        return out

    def generate(self, requests, progress: Progress = None):
        out = [Generation(str(self._oracle(r))) for r in requests]
        if progress:
            progress(len(requests))
        return out

    def close(self) -> None:
        pass


class WrongBackend(OracleBackend):
    """Wrong on every request kind: the gold choice gets loglikelihood -1e4 and every other one 0
    (so it is never picked, also per character, and its probability mass underflows to exactly 0);
    a rolling loglikelihood of -10 nats per UTF-8 byte (byte perplexity e^10, far from the
    oracle's 1); every generation is the request's declared worst answer (`wrong`, e.g. a refusal
    of a safe prompt), else a nonsense word that shares no token, number, letter choice or answer
    phrase with any reference. Every benchmark scores its worst: 0 for accuracy-type metrics,
    1 for lower-is-better rates."""

    name = "wrong"
    RESPONSE = "xyzzy"
    GOLD = Loglikelihood(-1e4, False)
    OTHER = Loglikelihood(0.0, True)
    NATS_PER_BYTE = 10.0

    def fingerprint(self) -> dict:
        return {"name": "wrong"}

    def loglikelihood(self, requests, progress: Progress = None):
        out = []
        for r in requests:
            o = self._oracle(r)
            gold = o.is_greedy if isinstance(o, Loglikelihood) else bool(o[1])
            out.append(self.GOLD if gold else self.OTHER)
        if progress:
            progress(len(requests))
        return out

    def loglikelihood_rolling(self, requests, progress: Progress = None):
        out = [-self.NATS_PER_BYTE * max(1, len(r.text.encode("utf-8"))) for r in requests]
        if progress:
            progress(len(requests))
        return out

    def generate(self, requests, progress: Progress = None):
        if progress:
            progress(len(requests))
        return [Generation(self.RESPONSE if r.wrong is None else str(r.wrong)) for r in requests]
