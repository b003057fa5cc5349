"""The candidates: models that answer the questions (once, batched, cached) or answer files.

A generated candidate answers turn by turn: every question of the batch asks turn 1 in one
predictor call, then turn 2 is asked after the model's own answer to turn 1, and so on. Each
turn is a chat request (``[system?], user, assistant, user, ...``), cached in the shared SQLite
cache under the model's fingerprint, so a re-run with --use-cache asks nothing twice.
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import Sequence

from benchgate.arena.answers import AnswerFileError, read_answers
from benchgate.arena.config import CandidateSpec
from benchgate.arena.questions import Question
from benchgate.engine.options import ModelOptions
from benchgate.prediction.predictor import Prediction, Predictor
from benchgate.models.base import GenerateRequest
from benchgate.models.factory import arena_candidate_role

Answers = dict[str, "tuple[str, ...] | str"]  # question id -> turns, or an error message


class Candidate:
    """A model under evaluation; `answers` returns turns (or an error) per question id."""

    def __init__(self, spec: CandidateSpec):
        self.spec = spec
        self.name = spec.name
        self._answers: dict[str, tuple[str, ...] | str] = {}

    @property
    def can_judge(self) -> bool:
        return False

    def answers(self, questions: Sequence[Question]) -> Answers:
        missing = [q for q in questions if q.id not in self._answers]
        if missing:
            self._answers.update(self._compute(missing))
        return {q.id: self._answers[q.id] for q in questions}

    def _compute(self, questions: Sequence[Question]) -> Answers:
        raise NotImplementedError

    def fingerprint(self) -> dict | None:
        return None

    def stats(self) -> dict | None:
        return None

    def close(self) -> None:
        pass


class FileCandidate(Candidate):
    """Answers replayed from a file (benchgate, FastChat or EvalScope format)."""

    def __init__(self, spec: CandidateSpec):
        super().__init__(spec)
        self._file: dict[str, tuple[str, ...]] | None = None
        self._error: str | None = None

    def _load(self) -> dict[str, tuple[str, ...]]:
        if self._file is None and self._error is None:
            try:
                models = read_answers(self.spec.answers_file)
            except AnswerFileError as e:
                self._error = str(e)
            else:
                if self.name in models:
                    self._file = models[self.name]
                elif len(models) == 1:
                    self._file = next(iter(models.values()))
                else:
                    self._error = (f"{self.spec.answers_file} holds no answers of {self.name!r} "
                                   f"(models there: {sorted(models)})")
        return self._file or {}

    def _compute(self, questions: Sequence[Question]) -> Answers:
        found = self._load()
        out: Answers = {}
        for q in questions:
            if self._error:
                out[q.id] = f"candidate {self.name}: {self._error}"
            elif q.id not in found:
                out[q.id] = (f"candidate {self.name}: no answer to question {q.id} in "
                             f"{self.spec.answers_file}")
            elif len(found[q.id]) < len(q.turns):
                out[q.id] = (f"candidate {self.name}: {self.spec.answers_file} answers "
                             f"{len(found[q.id])} of the {len(q.turns)} turns of question {q.id}")
            else:
                out[q.id] = found[q.id][:len(q.turns)]
        return out

    def fingerprint(self) -> dict:
        return {"answers_file": str(self.spec.answers_file)}


class ModelCandidate(Candidate):
    """A model (local, hub, API or built-in) that answers through its own Predictor."""

    def __init__(self, spec: CandidateSpec, run_options, quiet_capture=None,
                 overrides: dict | None = None, progress=None):
        super().__init__(spec)
        self.options = candidate_options(spec, run_options, overrides)
        from benchgate.models.factory import load_backend

        self.predictor = Predictor(self.options, load_backend, quiet_capture, progress)

    @property
    def can_judge(self) -> bool:
        return True

    def _messages(self, question: Question, previous: tuple[str, ...]) -> tuple:
        messages = [{"role": "system", "content": self.spec.system_prompt}] if self.spec.system_prompt else []
        for turn, answer in zip(question.turns, previous):
            messages += [{"role": "user", "content": turn}, {"role": "assistant", "content": answer}]
        messages.append({"role": "user", "content": question.turns[len(previous)]})
        return tuple(messages)

    def _compute(self, questions: Sequence[Question]) -> Answers:
        done: dict[str, list[str]] = {q.id: [] for q in questions}
        failed: dict[str, str] = {}
        for turn in range(max(len(q.turns) for q in questions)):
            asking = [q for q in questions if q.id not in failed and turn < len(q.turns)]
            if not asking:
                break
            predictions = [Prediction([GenerateRequest(self._messages(q, tuple(done[q.id])))],
                                      sample_id=f"{q.id}#{turn + 1}") for q in asking]
            self.predictor.predict(f"answers {self.name} turn {turn + 1}", predictions)
            for q, p in zip(asking, predictions):
                if p.error is not None or p.outputs is None:
                    failed[q.id] = f"candidate {self.name} (turn {turn + 1}): {p.error or 'no output'}"
                else:
                    done[q.id].append(p.outputs[0].text)
        return {q.id: failed.get(q.id) or tuple(done[q.id]) for q in questions}

    def fingerprint(self) -> dict | None:
        return self.predictor.fingerprint() if self.predictor.loaded else None

    def stats(self) -> dict | None:
        return dict(self.predictor.stats.__dict__) if self.predictor.loaded else None

    def close(self) -> None:
        self.predictor.close()


def candidate_options(spec: CandidateSpec, run_options, overrides: dict | None = None) -> ModelOptions:
    """What the Predictor of a model candidate loads; `overrides`: --generation-config (it wins
    over the config file). The key: the variable api_key_env names, else --api-key."""
    key = os.environ.get(spec.api_key_env) if spec.api_key_env else None
    generation = replace(spec.generation, **overrides) if overrides else spec.generation
    config = getattr(run_options, "arena_config", None) or "the arena config"
    return ModelOptions(
        model=spec.model, model_args=spec.model_args, generation=generation,
        chat_template=True, model_hub=run_options.model_hub, api_url=spec.api_url,
        api_key=key or (run_options.api_key if spec.api_url else None), seed=run_options.seed,
        use_cache=run_options.use_cache, cache_path=run_options.cache_path, dry_run=False,
        cache_timeout=getattr(run_options, "cache_timeout", 60.0),
        role=arena_candidate_role(spec.name, spec.model or "", str(config)))


def make_candidate(spec: CandidateSpec, run_options, quiet_capture=None,
                   overrides: dict | None = None, progress=None) -> Candidate:
    """A candidate; `overrides`: generation settings given on the command line; `progress`:
    how its answer passes show progress (prediction/progress.py)."""
    if spec.generated:
        return ModelCandidate(spec, run_options, quiet_capture, overrides, progress)
    return FileCandidate(spec)
