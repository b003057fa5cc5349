"""CI gates: score thresholds and a paired significance test against a baseline run."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchgate.engine.options import OptionError
from benchgate.metrics.significance import paired_test
from benchgate.samples import pair_key
from benchgate.variants.gap import GAP_METRIC, contamination_gaps, gap_message


@dataclass(frozen=True)
class Threshold:
    """`bench[/subset-or-category][:metric]=value`."""

    benchmark: str
    scope: str | None
    metric: str | None
    value: float
    # "<=" / ">=" written in the gate (`gsm8k:variant_gap<=0.05`); None: the metric's direction
    direction: str | None = None

    @property
    def label(self) -> str:
        name = self.benchmark + (f"/{self.scope}" if self.scope else "")
        return name + (f":{self.metric}" if self.metric else "")


@dataclass
class GateOutcome:
    """What the gates found: failure messages and the regression details."""

    failures: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a gate on a deprecated metric name
    regressions: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures


def _parse_one(name: str, value: Any, source: str) -> Threshold:
    direction = None
    if name.endswith(("<", ">")):  # NAME<=VALUE, NAME>=VALUE
        direction, name = name[-1] + "=", name[:-1].strip()
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{source}: threshold for {name!r} must be a number, got {value!r}") from None
    if math.isnan(threshold):
        raise OptionError(f"{source}: threshold for {name!r} is NaN")
    metric = None
    if ":" in name:
        name, metric = name.split(":", 1)
    bench, _, scope = name.partition("/")
    if not bench:
        raise OptionError(f"{source}: gate name is empty")
    return Threshold(bench, scope or None, metric or None, threshold, direction)


def parse_gates(specs: list[str]) -> list[Threshold]:
    """`--gate` values: NAME=VALUE (the metric's own direction: at least, or at most for a
    lower-is-better metric), NAME<=VALUE or NAME>=VALUE (that direction), or a YAML file
    mapping names to thresholds (top-level, or under a `gates:` key)."""
    out: list[Threshold] = []
    for spec in specs:
        if "=" in spec:
            name, value = spec.split("=", 1)
            out.append(_parse_one(name.strip(), value.strip(), "--gate"))
            continue
        path = Path(spec)
        if not path.is_file():
            raise OptionError(f"--gate {spec!r}: expected NAME=VALUE or an existing YAML file")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise OptionError(f"--gate {path}: invalid YAML: {e}") from None
        data = data.get("gates", data) if isinstance(data, dict) else data
        if not isinstance(data, dict):
            raise OptionError(f"--gate {path}: expected a mapping of NAME: threshold")
        out.extend(_parse_one(str(k), v, str(path)) for k, v in data.items())
    return out


def check_thresholds(thresholds: list[Threshold], benchmarks: dict[str, Any], outcome: GateOutcome) -> None:
    """Compare each threshold with the aggregated results; misses become failures."""
    for t in thresholds:
        entry = benchmarks.get(t.benchmark)
        if entry is None:
            outcome.failures.append(f"gate {t.label}: benchmark {t.benchmark!r} has no results in this run")
            continue
        if entry.get("error"):
            outcome.failures.append(f"gate {t.label}: {t.benchmark} has no score ({entry['error']})")
            continue
        metric = t.metric or entry["metric"]
        deprecated = (entry.get("deprecated_metrics") or {}).get(metric)
        if deprecated and f"gate {t.label}: {deprecated}" not in outcome.notes:
            outcome.notes.append(f"gate {t.label}: {deprecated}")
        if t.scope is None:
            block = entry["metrics"].get(metric)
        else:
            scope = entry["subsets"].get(t.scope) or entry["categories"].get(t.scope)
            block = scope["metrics"].get(metric) if scope else None
        if block is None:
            hint = (" (the contamination gap needs --baseline ORIGINAL_RUN and a variant run, "
                    "docs/contamination.md)" if metric == GAP_METRIC else "")
            outcome.failures.append(f"gate {t.label}: no {metric!r} score for "
                                    f"{t.benchmark}{'/' + t.scope if t.scope else ''} in this run{hint}")
            continue
        score = block["score"]
        lower = t.direction == "<=" if t.direction else metric in entry.get("lower_is_better", ())
        ok = score <= t.value if lower else score >= t.value
        outcome.checks.append({"gate": t.label, "metric": metric, "score": score,
                               "threshold": t.value, "passed": ok,
                               "direction": "at most" if lower else "at least"})
        if not ok:
            outcome.failures.append(f"gate {t.label}: {metric} = {score:.4f} is "
                                    f"{'over' if lower else 'under'} the threshold {t.value:.4f}"
                                    f"{' (lower is better)' if lower else ''}")


def load_baseline_scores(path: Path) -> dict[str, dict[str, float]]:
    """Per-sample scores of an earlier run: results.json (or its folder) -> samples.jsonl beside it."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not (folder / "results.json").is_file():
        raise OptionError(f"--baseline {path}: no results.json there")
    samples = folder / "samples.jsonl"
    if not samples.is_file():
        raise OptionError(f"--baseline {path}: {samples} is missing (the paired test needs "
                          f"per-sample scores)")
    from benchgate.benchmark import DataError
    from benchgate.data.files import read_jsonl

    scores: dict[str, dict[str, float]] = {}
    try:
        for _, rec, where in read_jsonl(samples):
            if isinstance(rec, DataError):
                raise OptionError(f"--baseline: {rec}")
            if rec.get("scores") is not None:
                if not isinstance(rec.get("id"), str) or not isinstance(rec["scores"], dict):
                    raise OptionError(f"--baseline: {where}: unreadable record (no id or scores)")
                scores[rec["id"]] = rec["scores"]
    except DataError as e:
        raise OptionError(f"--baseline: {e}") from None
    return scores


def check_baseline(baseline: dict[str, dict[str, float]], current: dict[str, dict[str, float]],
                   primary: dict[str, str], alpha: float, outcome: GateOutcome,
                   lower_is_better: dict[str, list[str]] | None = None) -> None:
    """Per benchmark, a one-sided paired test (McNemar exact for 0/1 scores, paired
    bootstrap otherwise) on the samples both runs share; a significant regression fails.
    A regression is a drop, or a rise for a lower-is-better metric (attack success rate,
    over-refusal). Samples pair by `pair_key` (the id without a variant), so a variant run
    pairs with its original run: there the drop is the contamination gap
    (benchgate.variants.gap; its entry carries `contamination_gap`) and is said in those words."""
    gaps = contamination_gaps(baseline, current, primary, alpha)
    by_key = {pair_key(i): s for i, s in sorted(baseline.items(), key=lambda kv: kv[0] == pair_key(kv[0]))}
    for bench, metric in sorted(primary.items()):
        lower = metric in (lower_is_better or {}).get(bench, ())
        # corpus-level metrics (perplexity) have no per-sample value: nothing to pair
        ids = sorted(i for i in current if i.split("/", 1)[0] == bench and pair_key(i) in by_key
                     and metric in by_key[pair_key(i)] and metric in current[i])
        if not ids:
            continue
        old = [float(by_key[pair_key(i)][metric]) for i in ids]
        new = [float(current[i][metric]) for i in ids]
        result = paired_test(old, new, alternative="greater" if lower else "less")
        worse = (lambda o, n: n > o) if lower else (lambda o, n: n < o)
        regressed = [i for i, o, n in zip(ids, old, new) if worse(o, n)]
        improved = sum(1 for o, n in zip(old, new) if worse(n, o))
        significant = result.p_value < alpha and (result.effect > 0 if lower else result.effect < 0)
        outcome.regressions[bench] = {
            "metric": metric, "test": result.test, "n_paired": len(ids),
            "baseline": sum(old) / len(old), "current": sum(new) / len(new),
            "effect": result.effect, "p_value": result.p_value, "alpha": alpha,
            "lower_is_better": lower,
            "significant_drop": significant, "regressed": regressed, "improved": improved,
        }
        gap = gaps.get(bench)
        if gap is not None and not lower:
            outcome.regressions[bench]["contamination_gap"] = gap
            if significant:
                outcome.failures.append(gap_message(bench, gap) + f"; {len(regressed)} item(s) lost on the variant")
            continue
        if significant:
            shown = ", ".join(regressed[:20]) + (f" ... (+{len(regressed) - 20} more)"
                                                 if len(regressed) > 20 else "")
            outcome.failures.append(
                f"baseline {bench}: {metric} {'rose' if lower else 'dropped'} "
                f"{sum(old) / len(old):.4f} -> {sum(new) / len(new):.4f}"
                f"{' (lower is better)' if lower else ''} ({result.test}, p = {result.p_value:.3g} "
                f"< {alpha}); {len(regressed)} sample(s) regressed: {shown}")


def add_gap_metrics(baseline: dict[str, dict[str, float]], current: dict[str, dict[str, float]],
                    primary: dict[str, str], benchmarks: dict[str, Any], alpha: float) -> None:
    """Put the contamination gap of each variant benchmark (against an original baseline) into
    its results entry: `contamination_gap` and the metric `variant_gap` (lower is better), so
    `--gate gsm8k:variant_gap<=0.05` gates on it like on any metric."""
    for bench, gap in contamination_gaps(baseline, current, primary, alpha).items():
        entry = benchmarks.get(bench)
        if entry is None or entry.get("error") or "metrics" not in entry:
            continue
        entry["contamination_gap"] = gap
        entry["metrics"][GAP_METRIC] = {"score": gap["gap"], "n": gap["n_paired"], "stderr": gap["stderr"],
                                        "ci95": gap["ci95"],
                                        "ci_method": "paired_bootstrap", "test": gap["test"],
                                        "p_value": gap["p_value"]}
        entry["lower_is_better"] = [*entry.get("lower_is_better", ()), GAP_METRIC]
