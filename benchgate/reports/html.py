"""`benchgate report html RUN_DIR [--compare BASE] -o report.html`: one self-contained file.

The page is assets/report.html with its CSS and JS inlined (vanilla JS, inline SVG, a CSP of
`default-src 'none'`, so it can fetch nothing) and the run's data embedded as gzip + base64
JSON, decoded in the browser with DecompressionStream. Samples are stored column-wise; gzip
folds the repeated few-shot prompts, which keeps a full MMLU run (14,042 samples) small.

Sections: per-benchmark scores with CI bars, per-category and per-subset charts, a radar of
the evaluation dimensions, a sample browser (search, right/wrong/partial/error filter, prompt
| response | target side by side, a judge metric's calls); with --compare: score deltas with
the baseline gate's paired test (benchgate.engine.gates.check_baseline), the samples that
changed and the baseline's dimensions on the radar; arena runs: run facts, leaderboard per
category and mode, win-rate heat map, judge bias, a browser of every judgment (category, model,
decided / tie / parse-failure filters); judge benchmarks (pandalm, llmbar): confusion matrix
against the gold, accuracy per set and category with CIs, position/length bias, unparsed
verdicts (reports/judge_eval.py); perf outputs: summary table and the perf HTML report.
"""
from __future__ import annotations

import base64
import gzip
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from benchgate.reports.judge_eval import judge_sections
from benchgate.reports.run_data import (is_arena_unit, perf_folder, read_arena, read_perf,
                                        read_results, read_samples, results_path, tool_calls)
from benchgate.reports.summary import baseline_comparison
from benchgate.metrics.verdict import ERROR, primary_score, verdict, verdict_metric
from benchgate.samples import pair_key


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _response(record: dict[str, Any]) -> str:
    """Generation: the raw output(s). Loglikelihood: one line per continuation."""
    if "response" in record:
        return _text(record["response"])
    lls = record.get("loglikelihoods")
    if lls is None:
        return ""
    conts = record.get("continuations") or [""] * len(lls)
    lines = []
    for cont, ll in zip(conts, lls):
        if isinstance(ll, (list, tuple)):
            lines.append(f"{cont!r}: logprob {ll[0]:.4f}" + (" (greedy)" if len(ll) > 1 and ll[1] else ""))
        else:
            lines.append(f"{cont!r}: {ll}")
    return "\n".join(lines)


def _columns(samples: list[dict], errors: list[dict]) -> tuple[dict[str, list], dict[str, list]]:
    """Column-wise samples (+ errored samples, verdict 'error') and the name lists they index."""
    lists: dict[str, list[str]] = {"benchmarks": [], "subsets": [], "categories": []}
    where: dict[str, dict[str, int]] = {k: {} for k in lists}

    def code(kind: str, name: str | None) -> int:
        name = name or ""
        if name not in where[kind]:
            where[kind][name] = len(lists[kind])
            lists[kind].append(name)
        return where[kind][name]

    cols: dict[str, list] = {k: [] for k in ("id", "b", "s", "c", "v", "score", "pp", "prompt", "response",
                                             "extracted", "target", "scores", "judgments", "fr", "tools")}
    prefixes, prefix_of = _prompt_prefixes(samples)
    lists["prefixes"] = prefixes
    for r in samples:
        cols["id"].append(r["id"])
        cols["b"].append(code("benchmarks", r.get("benchmark")))
        cols["s"].append(code("subsets", r.get("subset")))
        cols["c"].append(code("categories", r.get("category")))
        cols["v"].append(verdict(r) or "")
        cols["score"].append(primary_score(r))
        prompt = _text(r.get("prompt"))
        pp = prefix_of.get((r.get("benchmark"), r.get("subset")), 0)
        cols["pp"].append(pp)
        cols["prompt"].append(prompt[len(prefixes[pp]):])
        cols["response"].append(_response(r))
        cols["extracted"].append(_text(r.get("extracted")))
        cols["target"].append(_text(r.get("target")))
        cols["scores"].append(_text(r.get("scores")))
        cols["judgments"].append(_text(r.get("judgments")))  # a judge metric's calls
        cols["fr"].append(_text(r.get("failed_requirement")))  # a hand-written eval's failed assert
        cols["tools"].append(_text(tool_calls(r)))  # a tool-use sample's calls beside the expected ones
    for e in errors:
        bench, subset = (e["id"].split("/") + ["", ""])[:2]
        cols["id"].append(e["id"])
        cols["b"].append(code("benchmarks", bench))
        cols["s"].append(code("subsets", subset))
        cols["c"].append(code("categories", None))
        cols["v"].append(ERROR)
        cols["score"].append(None)
        cols["pp"].append(0)
        for key in ("prompt", "extracted", "target", "scores", "judgments", "fr", "tools"):
            cols[key].append("")
        cols["response"].append(e.get("message", ""))
    return cols, lists


def _prompt_prefixes(samples: list[dict]) -> tuple[list[str], dict[tuple, int]]:
    """Per (benchmark, subset), the prompt prefix all its samples share (the instruction and
    few-shot examples), stored once: a sample keeps only its own suffix. Index 0 is ''."""
    groups: dict[tuple, list[str]] = {}
    for r in samples:
        if isinstance(r.get("prompt"), str):
            groups.setdefault((r.get("benchmark"), r.get("subset")), []).append(r["prompt"])
    prefixes, prefix_of = [""], {}
    for key, prompts in groups.items():
        common = os.path.commonprefix(prompts) if len(prompts) > 1 else ""
        if len(common) >= 64:
            prefix_of[key] = len(prefixes)
            prefixes.append(common)
    return prefixes, prefix_of


def _change(old: float | None, new: float | None, lower: bool) -> str | None:
    if old is None or new is None or old == new:
        return None
    binary = old in (0.0, 1.0) and new in (0.0, 1.0)
    better = (new < old) if lower else (new > old)
    if binary:
        return "wrong→right" if better else "right→wrong"
    return "better" if better else "worse"


def comparison(run: Path, base: Path, results: dict, samples: list[dict],
               alpha: float | None) -> dict[str, Any]:
    """Deltas per benchmark with the baseline gate's paired test, the changed samples (arena
    units left out: they are judged battles, not answers to a target) and the baseline's
    evaluation dimensions."""
    base_results = read_results(base)
    base_samples = {pair_key(r["id"]): r for r in read_samples(base)}  # a variant pairs with its original
    tests = baseline_comparison(run, base, alpha)
    benchmarks = {}
    for name, entry in results["benchmarks"].items():
        old = base_results["benchmarks"].get(name)
        t = tests.get(name, {})
        benchmarks[name] = {
            "metric": entry["metric"], "score": entry["score"],
            "baseline_score": old["score"] if old else None,
            "delta": entry["score"] - old["score"] if old and None not in (old["score"], entry["score"]) else None,
            "test": t.get("test"), "n_paired": t.get("n_paired"), "p_value": t.get("p_value"),
            "alpha": t.get("alpha"), "significant_drop": bool(t.get("significant_drop")),
            "contamination_gap": {k: v for k, v in t["contamination_gap"].items() if k != "lost"}
            if t.get("contamination_gap") else None,
        }
    changed = []
    for r in samples:
        b = base_samples.get(pair_key(r["id"]))
        if b is None or is_arena_unit(r):
            continue
        lower = verdict_metric(r) in (r.get("lower_is_better") or ())
        old, new = primary_score(b), primary_score(r)
        kind = _change(old, new, lower)
        if kind:
            changed.append({"id": r["id"], "change": kind, "old": old, "new": new,
                            "old_response": _response(b)})
    return {"baseline_path": str(results_path(base).parent), "baseline_model":
            (base_results.get("model") or {}).get("name"), "benchmarks": benchmarks, "changed": changed,
            "dimensions": base_results.get("dimensions") or None}


def status_reasons(results: dict[str, Any], limit: int = 5) -> list[str]:
    """Why a run did not pass, in the console's words: each failed gate (name, value and
    threshold: results.json `gates.failures`), each benchmark whose aggregation failed, the
    failed samples and failed requirements (counted, the first few named), an interruption."""
    reasons: list[str] = []
    if results.get("status") == "interrupted":
        reasons.append("interrupted before every sample ran (the scores cover the samples that did)")
    reasons += list((results.get("gates") or {}).get("failures") or [])
    for name, entry in (results.get("benchmarks") or {}).items():
        if entry.get("error"):
            reasons.append(f"{name}: {entry['error']}")
    for key, what in (("errors", "sample(s) failed"), ("failed_requirements", "requirement(s) failed")):
        items = results.get(key) or []
        if items:
            shown = "; ".join(f"{e['id']}: {str(e['message']).splitlines()[0][:200]}" for e in items[:limit])
            more = f"; … and {len(items) - limit} more" if len(items) > limit else ""
            reasons.append(f"{len(items)} {what}: {shown}{more}")
    return reasons


def build_payload(run: Path, compare: Path | None = None, perf: Path | None = None,
                  alpha: float | None = None) -> dict[str, Any]:
    """Everything the page shows, as one JSON-able document."""
    results = read_results(run)
    samples = read_samples(run, required=not results.get("arena"))
    arena = read_arena(run, results)
    answers = [r for r in samples if not is_arena_unit(r)]  # arena units: the battle browser
    if arena is not None:
        arena["units"] = {r["id"]: {"question": r.get("question"), "answers": r.get("answers")}
                          for r in samples if is_arena_unit(r)}
    cols, lists = _columns(answers, results.get("errors") or [])
    config = results.get("config") or {}
    payload: dict[str, Any] = {
        "meta": {"model": (results.get("model") or {}).get("name") or config.get("model"),
                 "status": results.get("status"), "status_reasons": status_reasons(results),
                 "created": results.get("created"),
                 "benchgate_version": results.get("benchgate_version"), "seed": config.get("seed"),
                 "timings": results.get("timings"), "gates": results.get("gates"),
                 "failed_requirements": results.get("failed_requirements") or [],
                 "skipped": results.get("skipped") or [],
                 "contamination": results.get("contamination") or None},
        "benchmarks": results.get("benchmarks") or {},
        "dimensions": results.get("dimensions") or None,
        "judge": results.get("judge") or None,
        "judges": judge_sections(results.get("benchmarks") or {}, answers) or None,
        "samples": cols, "lists": lists,
        "compare": comparison(run, compare, results, samples, alpha) if compare else None,
        "arena": arena,
        "perf": None,
    }
    folder = perf_folder(perf) if perf else perf_folder(results_path(run).parent)
    if perf and folder is None:
        from benchgate.reports.run_data import RunDataError

        raise RunDataError(f"--perf {perf}: no summary.json and percentiles.json there")
    if folder is not None:
        payload["perf"] = read_perf(folder)
    return payload


def render_html(payload: dict[str, Any]) -> str:
    """The single HTML file."""
    assets = resources.files("benchgate.reports") / "assets"
    page = (assets / "report.html").read_text(encoding="utf-8")
    css = (assets / "report.css").read_text(encoding="utf-8")
    js = (assets / "report.js").read_text(encoding="utf-8")
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    encoded = base64.b64encode(gzip.compress(data, compresslevel=6, mtime=0)).decode("ascii")
    for marker, text in (("/*CSS*/", css), ("/*JS*/", js), ("/*DATA*/", encoded)):
        if marker == "/*JS*/" and "</script" in text.lower():
            raise ValueError("report.js must not contain '</script'")
        page = page.replace(marker, text, 1)
    return page


def write_report(run: Path, output: Path, compare: Path | None = None, perf: Path | None = None,
                 alpha: float | None = None) -> Path:
    """Build and write the report; returns its path."""
    page = render_html(build_payload(run, compare, perf, alpha))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(output.suffix + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(output)
    return output
