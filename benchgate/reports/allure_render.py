"""Render Allure results with Allure 3 (npm `allure`) into one offline HTML file, with quality
gates generated from the run's own `--gate` thresholds.

Allure 3.14.3 is the newest release that runs on Node.js 20 (3.15+ call
`Iterator.prototype.toArray`, Node >= 22). Its HTML always embeds a Google Analytics script
(`analyticsEnable: true` is hard-coded in the awesome plugin), so the page is post-processed:
that block is removed and any remaining external URL to fetch is an error.

Quality gates: a sample's Allure status is `passed` when its primary score is right and
`failed` when wrong (broken: a real error, left out of benchgate's scores). For a gate on a
primary metric whose scores are all 0/1, Allure's success rate over the gate's samples is
exactly benchgate's score, so the gate becomes an Allure `successRate` rule (1 - threshold for
lower-is-better metrics). Other gates (BLEU, F1, a non-primary metric) have no Allure
equivalent in 3.14.3 and are listed as benchgate-only.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchgate.engine.gates import Threshold, parse_gates
from benchgate.metrics.verdict import is_binary

ALLURE_VERSION = "3.14.3"
INSTALL_HINT = (f"install Allure 3 with `npm install --prefix .tools/allure allure@{ALLURE_VERSION}` "
                f"(Node.js 20) or point BENCHGATE_ALLURE at its `allure` executable")

_ANALYTICS = re.compile(r'\s*<script async src="https://www\.googletagmanager\.com/[^"]*"></script>\s*'
                        r'<script>\s*window\.dataLayer.*?</script>', re.S)
# what a browser would fetch: src/href/url() and import()/fetch() of an absolute URL
_FETCHED = re.compile(r'''(?:\bsrc\s*=\s*["']?|\bhref\s*=\s*["']?|url\(\s*["']?|import\(\s*["']|fetch\(\s*["'])(?:https?:)?//''',
                      re.I)


GENERATE_SCRIPT = Path(__file__).with_name("assets") / "allure_generate.mjs"
GATE_FAILED = 3  # GENERATE_SCRIPT's exit status when a quality-gate rule failed


class AllureError(RuntimeError):
    """Allure 3 missing, failing, or a report that would reach the network."""


@dataclass
class GateRules:
    """Allure quality-gate rules generated from benchgate thresholds."""

    rules: list[dict[str, Any]] = field(default_factory=list)  # {id, successRate, filter:{...}}
    benchgate_only: list[str] = field(default_factory=list)  # labels + why


def allure_command() -> list[str]:
    """The Allure 3 executable: $BENCHGATE_ALLURE, ./.tools/allure, or `allure` on PATH."""
    env = os.environ.get("BENCHGATE_ALLURE")
    candidates = [Path(env)] if env else []
    candidates.append(Path.cwd() / ".tools" / "allure" / "node_modules" / ".bin" / "allure")
    for path in candidates:
        if path.is_file():
            return [str(path)]
    if env:
        raise AllureError(f"BENCHGATE_ALLURE={env} does not exist; {INSTALL_HINT}")
    found = shutil.which("allure")
    if found:
        return [found]
    raise AllureError(f"Allure 3 not found; {INSTALL_HINT}")


def load_run(run_dir: Path) -> tuple[dict, list[dict]]:
    """results.json and samples.jsonl of a run folder (clear errors naming the file)."""
    from benchgate.reports.run_data import read_results, read_samples

    return read_results(run_dir), read_samples(run_dir)


def gate_rules(results: dict, samples: list[dict], specs: list[str] | None = None) -> GateRules:
    """Allure rules for the run's thresholds (`specs`, else the run's own --gate values as
    recorded in results.json)."""
    if specs is None:
        sign = {"at most": "<=", "at least": ">="}
        specs = [f"{c['gate']}{sign.get(c.get('direction'), '=')}{c['threshold']}"
                 for c in (results.get("gates") or {}).get("checks", [])]
    out = GateRules()
    for t in parse_gates(specs):
        rule, why = _rule(t, results.get("benchmarks", {}), samples)
        if rule is None:
            out.benchgate_only.append(f"{t.label} >= {t.value}: {why}")
        else:
            out.rules.append(rule)
    return out


def _rule(t: Threshold, benchmarks: dict, samples: list[dict]) -> tuple[dict | None, str]:
    entry = benchmarks.get(t.benchmark)
    if entry is None:
        return None, "no results for this benchmark"
    primary = entry["metric"]
    if (t.metric or primary) != primary:
        return None, f"Allure statuses follow the primary metric {primary!r}, not {t.metric!r}"
    members = [s for s in samples if s.get("benchmark") == t.benchmark]
    labels = {"epic": t.benchmark}
    if t.scope is not None:
        if t.scope in entry.get("subsets", {}):
            labels["feature"] = t.scope
            members = [s for s in members if s.get("subset") == t.scope]
        elif t.scope in entry.get("categories", {}):
            labels["story"] = t.scope
            members = [s for s in members if s.get("category") == t.scope]
        else:
            return None, f"no subset or category {t.scope!r}"
    if not is_binary(members):
        return None, "scores are not all 0/1, so no Allure success rate equals the score"
    lower = primary in (entry.get("lower_is_better") or ())
    if t.direction and (t.direction == "<=") != lower:
        return None, (f"{t.direction} against the metric's own direction: Allure's success rate "
                      f"is a minimum of right answers")
    return {"id": f"benchgate {t.label}", "successRate": 1.0 - t.value if lower else t.value,
            "filter": labels}, ""


def allurerc(rules: GateRules, output: Path, name: str) -> str:
    """An allurerc.mjs: single-file awesome report + the quality-gate rules."""
    lines = [
        "// Generated by `benchgate report allure` from the run's --gate thresholds.",
        "// A rule's filter selects the run's samples by label (epic = benchmark, feature = subset,",
        "// story = category) and leaves out broken results (real errors have no score).",
        "const pick = (labels) => (tr) => tr.status !== \"broken\" &&",
        "  Object.entries(labels).every(([name, value]) =>",
        "    (tr.labels ?? []).some((l) => l.name === name && l.value === value));",
        "export default {",
        f"  name: {json.dumps(name)},",
        f"  output: {json.dumps(str(output))},",
        "  // tree: benchmark (epic) > category (story) > subset (feature) > sample",
        "  plugins: { awesome: { options: { singleFile: true, reportName: " + json.dumps(name)
        + ", groupBy: [\"epic\", \"story\", \"feature\"] } } },",
        "  qualityGate: {",
        "    rules: [",
    ]
    for rule in rules.rules:
        lines.append(f"      {{ id: {json.dumps(rule['id'])}, successRate: {json.dumps(rule['successRate'])}, "
                     f"filter: pick({json.dumps(rule['filter'])}) }},")
    lines += ["    ],", "  },", "};", ""]
    return "\n".join(lines)


def strip_analytics(html: str) -> str:
    """Remove Allure's analytics block; fail if anything else would be fetched."""
    cleaned = _ANALYTICS.sub("\n", html)
    leftover = external_fetches(cleaned)
    if leftover:
        raise AllureError(f"the Allure report still references the network: {leftover[:5]}")
    return cleaned


def external_fetches(html: str) -> list[str]:
    """Absolute URLs the page would fetch (src/href/url()/import()/fetch())."""
    return [html[m.start():m.end() + 60] for m in _FETCHED.finditer(html)]


@dataclass
class Rendered:
    """What `render` produced and Allure's own quality-gate verdict."""

    index: Path
    config: Path
    gate_passed: bool | None  # None: no rule to check
    gate_output: str
    rules: GateRules

    @property
    def failed_rules(self) -> set[str]:
        """Ids of the rules Allure reported as failed (from its quality-gate output)."""
        return failed_rules(self.gate_output)


def failed_rules(output: str) -> set[str]:
    """`allure quality-gate` lists each failed rule as `... <rule id>/<rule name>`."""
    return {m.group(1) for m in re.finditer(r"⨯ .*?\s{2,}(benchgate .+?)/successRate\s*$", output, re.M)}


def render(allure_results: Path, output: Path, *, results: dict | None = None,
           samples: list[dict] | None = None, gates: list[str] | None = None,
           name: str = "benchgate") -> Rendered:
    """`allure generate` into output/index.html (offline), with the quality gate of the run's
    thresholds evaluated into the report (its "Quality Gates" tab) and returned."""
    allure_results = Path(allure_results).resolve()
    if not allure_results.is_dir() or not any(allure_results.glob("*-result.json")):
        raise AllureError(f"{allure_results}: no Allure results (*-result.json) there; run "
                          f"pytest with --alluredir {allure_results}")
    output = Path(output).resolve()
    command = allure_command()
    rules = gate_rules(results, samples or [], gates) if results is not None else GateRules()
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="benchgate-allure-") as tmp:
        config = Path(tmp) / "allurerc.mjs"
        config.write_text(allurerc(rules, output, name), encoding="utf-8")
        gate_failed, gate_output = _generate(command, config, allure_results, tmp)
        index = output / "index.html"
        if not index.is_file():
            raise AllureError(f"allure generate wrote no {index}")
        index.write_text(strip_analytics(index.read_text(encoding="utf-8")), encoding="utf-8")
        gate_passed = (not gate_failed) if rules.rules else None
        gate_output = gate_output if rules.rules else ""
        saved = output / "allurerc.mjs"
        shutil.copyfile(config, saved)
    return Rendered(index, saved, gate_passed, gate_output, rules)


def _generate(command: list[str], config: Path, allure_results: Path, cwd: str) -> tuple[bool, str]:
    """`allure generate` with the config's quality gate evaluated into the report (its "Quality
    Gates" tab; plain `allure generate` leaves it empty, and `allure quality-gate` checks
    without reporting): GENERATE_SCRIPT, run by Node.js on the Allure 3 install of `command`.
    Returns (a rule failed, the gate's output as `allure quality-gate` prints it)."""
    cli = Path(command[-1]).resolve()
    node = shutil.which("node") or str(cli.parent / "node")
    proc = subprocess.run([node, str(GENERATE_SCRIPT), str(cli), str(config), str(allure_results)],
                          cwd=cwd, capture_output=True, text=True, timeout=1800)
    output = _plain(proc.stdout + proc.stderr)
    if proc.returncode not in (0, GATE_FAILED):
        raise AllureError(f"allure generate failed (exit {proc.returncode}): {output[-2000:]}")
    return proc.returncode == GATE_FAILED, output


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
