"""Per-sample metrics by name, for general_qa's `metrics` list and `record.metrics(...)`.

A name is, in this order:
- `evaluate:NAME` or `evaluate:PATH`: a Hugging Face `evaluate` metric, from a local metric
  script (a `.py` file or its folder) offline, or by name from the Hub online;
- a built-in: `bleu` (bleu-1..4), `rouge` (rouge-{1,2,l}-{p,r,f}), `em`, `f1`;
- a user metric: `metrics/<name>.py` of the suite (the pytest rootdir's `metrics/`, then this
  checkout's), a module defining `score(prediction, reference) -> float | dict[str, float]`.
Every metric is called as `metric(prediction, reference)` and returns {score name: float}.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from benchgate.pathimport import import_path
from benchgate.run import active_run
from benchgate.task import default_evals_dir

EVALUATE_PREFIX = "evaluate:"


class MetricError(ValueError):
    """An unknown or unloadable metric name; the message says what was looked for."""


@dataclass(frozen=True)
class NamedMetric:
    """A metric ready to call, with the score name it reports first."""

    name: str
    primary: str
    compute: Callable[[Any, Any], dict[str, float]]

    def __call__(self, prediction: Any, reference: Any) -> dict[str, float]:
        return self.compute(prediction, reference)


def _bleu(prediction: str, reference: Any) -> dict[str, float]:
    from benchgate.metrics.bleu import sentence_bleu

    refs = [reference] if isinstance(reference, str) else list(reference)
    return {k: min(1.0, v / 100.0) for k, v in sentence_bleu(prediction, refs, 4).items()}


def _rouge(prediction: str, reference: Any) -> dict[str, float]:
    from benchgate.metrics.rouge import rouge

    return rouge(prediction, reference)


def _em(prediction: str, reference: Any) -> dict[str, float]:
    from benchgate.metrics.text import exact_match

    return {"em": exact_match(prediction, reference)}


def _f1(prediction: str, reference: Any) -> dict[str, float]:
    from benchgate.metrics.text import f1_score

    return {"f1": f1_score(prediction, reference)}


BUILTIN = {
    "bleu": NamedMetric("bleu", "bleu-4", _bleu),
    "rouge": NamedMetric("rouge", "rouge-l-f", _rouge),
    "em": NamedMetric("em", "em", _em),
    "f1": NamedMetric("f1", "f1", _f1),
}


def metrics_dirs() -> list[Path]:
    """Where user metrics are looked up: the running suite's rootdir/metrics, then this
    checkout's metrics/ (never an installed top-level module)."""
    dirs = []
    state = active_run()
    if state is not None:
        dirs.append(Path(state.rootpath) / "metrics")
    checkout = default_evals_dir().parent / "metrics"
    if checkout not in dirs:
        dirs.append(checkout)
    return dirs


def _numeric(name: str, values: Any) -> dict[str, float]:
    if isinstance(values, bool) or isinstance(values, (int, float)) or _is_scalar(values):
        values = {name: values}
    if not isinstance(values, dict):
        raise MetricError(f"metric {name}: expected a number or a dict of numbers, "
                          f"got {type(values).__name__}")
    out = {}
    for key, value in values.items():
        if isinstance(value, bool) or isinstance(value, (int, float)) or _is_scalar(value):
            value = float(value)
            if math.isnan(value):
                raise MetricError(f"metric {name}: score {key!r} is NaN")
            out[str(key)] = value
    if not out:
        raise MetricError(f"metric {name}: returned no numeric score ({values!r})")
    return out


def _is_scalar(value: Any) -> bool:
    """numpy scalars (evaluate metrics return them) without importing numpy here."""
    return type(value).__module__ == "numpy" and getattr(value, "shape", None) == ()


def _user_metric(name: str, dirs: list[Path]) -> NamedMetric | None:
    for folder in dirs:
        path = folder / f"{name}.py"
        if path.is_file():
            module = import_path(f"benchgate_metrics.{name}", path)
            score = getattr(module, "score", None)
            if not callable(score):
                raise MetricError(f"metric {name}: {path} must define "
                                  f"score(prediction, reference) -> float | dict[str, float]")
            primary = getattr(module, "PRIMARY", name)
            return NamedMetric(name, primary, lambda p, r: _numeric(name, score(p, r)))
    return None


def _evaluate_metric(spec: str) -> NamedMetric:
    path = Path(spec).expanduser()
    local = path.exists()
    if not local and (spec.endswith(".py") or spec.startswith(("./", "../", "/", "~"))):
        raise MetricError(f"{EVALUATE_PREFIX}{spec}: metric script {path} not found")
    try:
        import evaluate
    except ImportError:
        raise MetricError(f"{EVALUATE_PREFIX}{spec} needs the Hugging Face `evaluate` package: "
                          f"pip install 'benchgate[evaluate]'") from None
    try:
        module = evaluate.load(str(path.resolve()) if local else spec)
    except Exception as e:
        reason = f"{type(e).__name__}: {e}".splitlines()[0][:300]
        if local:
            raise MetricError(f"{EVALUATE_PREFIX}{spec}: loading the metric script {path} "
                              f"failed: {reason}") from None
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        raise MetricError(f"{EVALUATE_PREFIX}{spec}: could not load the metric from the Hugging "
                          f"Face Hub ({reason}). {'HF_HUB_OFFLINE is set.' if offline else 'Offline?'}"
                          f" Use a local metric script: {EVALUATE_PREFIX}path/to/{spec}.py "
                          f"(or its folder)") from None
    stem = path.stem if local and path.is_file() else path.name

    def compute(prediction: Any, reference: Any) -> dict[str, float]:
        result = module.compute(predictions=[prediction], references=[reference])
        return _numeric(f"{EVALUATE_PREFIX}{spec}", result)

    return NamedMetric(f"{EVALUATE_PREFIX}{spec}", stem, compute)


_CACHE: dict[tuple, NamedMetric | MetricError] = {}


def resolve(name: str, dirs: list[Path] | None = None) -> NamedMetric:
    """The metric called `name` (see the module docstring), or a MetricError listing what
    exists. Both are remembered: a metric that cannot load fails every later use at once."""
    if not isinstance(name, str) or not name.strip():
        raise MetricError(f"metric names must be non-empty strings, got {name!r}")
    dirs = metrics_dirs() if dirs is None else dirs
    key = (name, tuple(str(d) for d in dirs))
    if key not in _CACHE:
        try:
            _CACHE[key] = _load(name, dirs)
        except MetricError as e:
            _CACHE[key] = e
    found = _CACHE[key]
    if isinstance(found, MetricError):
        raise MetricError(str(found))
    return found


def _load(name: str, dirs: list[Path]) -> NamedMetric:
    if name.startswith(EVALUATE_PREFIX):
        return _evaluate_metric(name[len(EVALUATE_PREFIX):])
    if name in BUILTIN:
        return BUILTIN[name]
    metric = _user_metric(name, dirs)
    if metric is None:
        found = sorted({p.stem for d in dirs if d.is_dir() for p in d.glob("*.py")
                        if not p.name.startswith("_")})
        raise MetricError(f"unknown metric {name!r}: not a built-in ({', '.join(BUILTIN)}), "
                          f"not in {' or '.join(str(d) for d in dirs)} "
                          f"(found: {', '.join(found) or 'none'}), and not "
                          f"{EVALUATE_PREFIX}NAME")
    return metric


def compute_all(names: list[str], prediction: Any, reference: Any,
                dirs: list[Path] | None = None) -> dict[str, float]:
    """The scores of several metrics for one prediction; two metrics reporting the same
    score name is an error."""
    scores: dict[str, float] = {}
    for name in names:
        for key, value in resolve(name, dirs)(prediction, reference).items():
            if key in scores:
                raise MetricError(f"metrics {names}: two of them report a score named {key!r}")
            scores[key] = value
    return scores
