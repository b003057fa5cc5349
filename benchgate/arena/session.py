"""Per-process arena state: the config, questions, units, candidates and judges of a run.

Built in `pytest_configure` of every process when --arena-config is given (reading files
only: candidates and judges load on first use), so config errors stop the run at once, and
the xdist controller knows the units' prediction groups without collecting.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from benchgate.arena.candidates import Candidate, ModelCandidate, candidate_options, make_candidate
from benchgate.arena.config import ArenaConfig, ArenaConfigError, load_arena_config
from benchgate.arena.judging import ArenaJudging, UnitOutcome
from benchgate.arena.plan import Unit, build_units, questions_per_group
from benchgate.arena.questions import QuestionFileError, load_questions, load_references
from benchgate.engine.options import (JUDGE_KEY_ENV, JUDGE_URL_ENV, ModelOptions, RunOptions, limit_count,
                                      parse_kv)
from benchgate.judge.model import Judge, detect_kind
from benchgate.judge.templates import TemplateError, load_templates, select_template
from benchgate.models.factory import arena_judge_role, load_panel


def _usage(message: str) -> pytest.UsageError:
    return pytest.UsageError(f"--arena-config: {message}")


class ArenaSession:
    """The arena of one pytest process (see the module docstring)."""

    def __init__(self, pytest_config: pytest.Config, options: RunOptions):
        self.pytest_config = pytest_config
        self.options = options
        try:
            self.config: ArenaConfig = load_arena_config(options.arena_config, options.judge_model)
        except ArenaConfigError as e:
            raise _usage(str(e)) from None
        where = self.config.path
        if self.panel is not None and options.judge_api_url:
            raise _usage(f"{where}: reviews_gen.reviewer.args.panel: --judge-api-url does not apply to a "
                         f"panel: give each member its api_url there (or pass --judge-model)")
        try:
            questions = load_questions(self.config.question_file)
        except QuestionFileError as e:
            raise _usage(f"{where}: question_file: {e}") from None
        try:
            references = (load_references(self.config.reference_file, questions)
                          if self.config.reference_file else {})
        except QuestionFileError as e:
            raise _usage(f"{where}: reviews_gen.reference_file: {e}") from None
        try:
            templates = load_templates(self.config.prompt_file) if self.config.prompt_file else []
        except TemplateError as e:
            raise _usage(f"{where}: reviews_gen.prompt_file: {e}") from None
        if options.limit:
            questions = questions[:limit_count(options.limit, len(questions))]
        self.questions = questions
        self.references = references
        self.templates = templates
        reviewer = self.config.reviewer
        kind = "single" if reviewer.mode == "single" else "pairwise"
        if reviewer.kind != "reward_model":
            self._check_templates(kind)
        peers = [c.name for c in self.config.candidates if c.generated] if reviewer.kind == "peer" else None
        try:
            self.units: list[Unit] = build_units(questions, self.config.names, reviewer.mode,
                                                 reviewer.position_bias_mitigation,
                                                 reviewer.random_seed, reviewer.turns, peers)
        except ValueError as e:
            raise _usage(f"{self.config.path}: reviews_gen.reviewer.kind: {e}") from None
        self.by_id = {u.id: u for u in self.units}
        self.per_group = questions_per_group(options.group_size, self.config.names, reviewer.mode)
        self.groups: dict[tuple, list] = {}
        self._judging: ArenaJudging | None = None
        self._candidates: dict[str, Candidate] = {}
        self._judges: dict[str, Judge | None] = {}

    def _check_templates(self, kind: str) -> None:
        """Every question/turn has a template, before any model is loaded."""
        for q in self.questions:
            ref = bool(self.references.get(q.id) or q.reference)
            for turn in range(1, len(q.turns) + 1):
                if self.config.reviewer.turns == "first" and turn > 1:
                    break
                if self.config.reviewer.turns == "last" and turn < len(q.turns):
                    continue
                try:
                    select_template(self.templates, kind, q.category, turn, ref)
                except TemplateError as e:
                    raise _usage(f"{self.config.path}: reviews_gen.prompt_file "
                                 f"({self.config.prompt_file}): question {q.id}, turn {turn}: {e}") from None

    # -- groups -------------------------------------------------------------------------
    def group_of(self, unit: Unit) -> tuple:
        return ("arena", unit.question.position // self.per_group)

    def scope(self, unit_id: str) -> str | None:
        """The xdist scope of a unit id (its prediction group), None for an unknown id."""
        unit = self.by_id.get(unit_id)
        return None if unit is None else f"arena#{self.group_of(unit)[1]}"

    def index_items(self, items: list) -> None:
        """Remember the selected arena items of each group (after -k / --deselect)."""
        from benchgate.arena.items import ArenaItem

        self.groups = {}
        for item in items:
            if isinstance(item, ArenaItem):
                self.groups.setdefault(item.group, []).append(item)

    # -- models -------------------------------------------------------------------------
    @property
    def dry_run(self) -> bool:
        return self.options.dry_run

    def _quiet(self):
        from benchgate.engine.state import get_state

        return get_state(self.pytest_config)._capture_disabled()

    def _progress(self):
        from benchgate.engine.state import get_state

        return get_state(self.pytest_config).progress_settings()

    @property
    def panel(self) -> list[dict] | None:
        """The config's panel of judges (reviewer.args.panel) when it judges (no --judge-model)."""
        r = self.config.reviewer
        return r.panel if r.panel and not self.options.judge_model else None

    def _judge_options(self) -> ModelOptions:
        r, o = self.config.reviewer, self.options
        generation = r.generation
        if self.pytest_config.getoption("judge_generation_config", None):
            generation = o.judge_generation
        key = (o.judge_api_key or (os.environ.get(r.api_key_env) if r.api_key_env else None)
               or os.environ.get(JUDGE_KEY_ENV) or None)
        api_url = o.judge_api_url or r.api_url or os.environ.get(JUDGE_URL_ENV) or None
        model = o.judge_model or r.model
        if self.panel is not None:  # each member has its own model, URL and key
            model, api_url, key = f"panel:{r.panel_source}", None, None
        role = arena_judge_role((self.judge_names() or ["judge"])[0], model, str(self.config.path))
        return ModelOptions(model=model, model_args={**r.model_args, **o.judge_model_args},
                            generation=generation, chat_template=True, model_hub=o.model_hub,
                            api_url=api_url, api_key=key, seed=o.seed, use_cache=o.use_cache,
                            cache_path=o.cache_path, dry_run=False, cache_timeout=o.cache_timeout,
                            role=role)

    def judge_names(self) -> list[str]:
        r = self.config.reviewer
        if r.kind == "peer":
            return [c.name for c in self.config.candidates if c.generated]
        if self.panel is not None:
            return ["panel"]
        model = self.options.judge_model or r.model
        return [Path(model.rstrip("/")).name if os.path.isdir(model) else model]

    def _make_judges(self) -> dict[str, Judge | None]:
        r = self.config.reviewer
        names = self.judge_names()
        if self.dry_run:
            return {n: None for n in names}
        opts = self._judge_options()
        if r.kind == "peer":
            judges = {}
            for name in names:
                candidate = self._candidates[name]
                peer_opts = copy.copy(candidate.options)
                peer_opts.generation = opts.generation
                judges[name] = Judge(peer_opts, name=name, kind="generative",
                                     load_backend=_shared_backend(candidate),
                                     quiet_capture=self._quiet, progress=self._progress())
            return judges
        if self.panel is not None:
            return {names[0]: Judge(opts, name=names[0], kind="generative", load_backend=self._load_panel,
                                    quiet_capture=self._quiet, progress=self._progress())}
        kind = r.kind
        if kind == "generative" and not opts.api_url and detect_kind(opts.model) == "reward_model":
            kind = "reward_model"
        return {names[0]: Judge(opts, name=names[0], kind=kind, quiet_capture=self._quiet,
                                progress=self._progress())}

    @property
    def judging(self) -> ArenaJudging:
        if self._judging is None:
            text = self.pytest_config.getoption("generation_config", None)
            overrides = parse_kv(text, "--generation-config") if text else None
            self._candidates = {s.name: make_candidate(s, self.options, self._quiet, overrides,
                                                    self._progress())
                                for s in self.config.candidates}
            self._judges = self._make_judges()
            kind = "reward_model" if any(j is not None and j.kind == "reward_model"
                                         for j in self._judges.values()) \
                or self.config.reviewer.kind == "reward_model" else "generative"
            self._judging = ArenaJudging(candidates=self._candidates, judges=self._judges,
                                         judge_kind=kind, templates=self.templates,
                                         references=self.references, reviewer=self.config.reviewer,
                                         seed=self.options.seed, dry_run=self.dry_run)
        return self._judging

    def model_errors(self, load: bool, selected: list[str] | None = None) -> list[str]:
        """Why models this arena needs cannot be used (one message each; [] when all can): the
        candidates that answer with a model and, unless this is a dry run, the judge. Only those
        the units to run use: after collection (`load`: they are loaded now, as a serial run is
        about to use them), else those of the `selected` test ids, else all (the xdist
        controller's cheap check: API probed, config read, no weights)."""
        from benchgate.models.factory import ModelUnavailable, check_model

        if load:
            units = [item.unit for items in self.groups.values() for item in items]
        elif selected is not None:
            ids = (i.split("::", 1)[-1] for i in selected)
            units = [self.by_id[i] for i in ids if i in self.by_id]
        else:
            units = self.units
        if not units:
            return []
        peer = self.config.reviewer.kind == "peer"
        names = {m for u in units for m in u.models}
        if peer and not self.dry_run:
            names |= {j for u in units for j in u.judges}
        checks = []
        if load:
            self.judging  # noqa: B018 - builds the candidates and judges (loads nothing)
            checks += [c.predictor.load for name, c in self._candidates.items()
                       if name in names and isinstance(c, ModelCandidate)]
            if not peer:  # peer judges are the candidates' own models
                checks += [j.predictor.load for j in self._judges.values() if j is not None]
        else:
            options = [candidate_options(s, self.options) for s in self.config.candidates
                       if s.generated and s.name in names]
            checks += [lambda o=o: check_model(o) for o in options]
            if not peer and not self.dry_run:
                judge = self._judge_options()
                checks.append((lambda: self._check_panel(judge)) if self.panel is not None
                              else (lambda: check_model(judge)))
        errors = []
        for check in checks:
            try:
                check()
            except ModelUnavailable as e:
                errors.append(str(e))
        return errors

    def _load_panel(self, options: ModelOptions):
        """The backend of the config's panel (each member loaded and probed)."""
        return load_panel(options, self.panel, self.config.reviewer.panel_source)

    def _check_panel(self, options: ModelOptions) -> None:
        """The xdist controller's check of the config's panel: its members load (then closed)."""
        from benchgate.models.factory import ModelUnavailable, load_failure_message

        try:
            self._load_panel(options).close()
        except Exception as e:  # noqa: BLE001 - one message naming the member
            raise ModelUnavailable(load_failure_message(options, e)) from None

    def load_errors(self) -> list[str]:
        """Why candidates or judges of this process could not be loaded (the run stops)."""
        predictors = [c.predictor for c in self._candidates.values() if isinstance(c, ModelCandidate)]
        predictors += [j.predictor for j in self._judges.values() if j is not None]
        return [p.load_error for p in predictors if p.load_error]

    def outcome_for(self, item) -> UnitOutcome:
        """The item's outcome, judging its whole (selected) group on first use."""
        if item.outcome is None:
            members = [m for m in self.groups.get(item.group, []) if m.outcome is None and not m.ran]
            if item not in members:
                members.append(item)
            outcomes = self.judging.run([m.unit for m in members])
            for m in members:
                m.outcome = outcomes[m.unit.id]
        return item.outcome

    # -- reporting ------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """What this process tells the controller (settings, model identities, call counts)."""
        settings = self.config.settings()
        settings["dry_run"] = self.dry_run
        settings["seed"] = self.options.seed
        settings["judges"] = self.judge_names()
        fingerprints = {}
        stats = []
        for name, c in self._candidates.items():
            fingerprints[name] = c.fingerprint()
            if c.stats():
                stats.append(c.stats())
        judges = {}
        for name, j in self._judges.items():
            if j is not None and j.predictor.loaded:
                judges[name] = {**j.describe(), "fingerprint": j.fingerprint()}
                stats.append(dict(j.predictor.stats.__dict__))
        settings["judge_models"] = judges
        return {"settings": settings, "stats": stats,
                "model": {"name": "arena: " + ", ".join(self.config.names),
                          "fingerprint": fingerprints or None}}

    def close(self) -> None:
        for j in self._judges.values():
            if j is not None:
                j.close()
        for c in self._candidates.values():
            c.close()


def _shared_backend(candidate: Candidate):
    """A peer judge's backend: the candidate's own loaded model, with the judge's decoding
    settings (a shallow copy: the weights are loaded once)."""
    def load(options):
        backend = copy.copy(candidate.predictor.backend)
        if hasattr(backend, "generation"):
            backend.generation = options.generation
        backend.close = lambda: None  # the candidate owns (and frees) the model
        return backend

    return load
