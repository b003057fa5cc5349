"""Run a load test from Python: config in, metrics and written report paths out."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import PerfConfig
from .datasets import load_prompts, load_tokenizer
from .report import format_percentiles, format_summary, format_sweep, write_outputs
from .runner import RunResult, Target, run_all
from .stats import percentile_table, summarize, throughput_series

__all__ = ["PerfOutcome", "run_perf"]


@dataclass
class PerfOutcome:
    """Everything a load test produced."""

    target: Target
    runs: list[RunResult]
    points: list[dict[str, Any]]  # per run: summary, percentiles, throughput_series
    files: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The console report (summary + percentiles per run, sweep table if several)."""
        parts = []
        for note in self.target.notes:
            parts.append(f"note: {note}")
        for p in self.points:
            parts.append("Benchmarking summary:\n" + format_summary(p["summary"]))
            parts.append("Percentile results:\n" + format_percentiles(p["percentiles"]))
        if len(self.points) > 1:
            parts.append("Sweep:\n" + format_sweep(self.points))
        if self.files:
            parts.append("Outputs: " + ", ".join(f"{k}={v}" for k, v in self.files.items()))
        return "\n".join(parts)


def default_outputs_dir() -> Path:
    """outputs/perf/<YYYYmmdd-HHMMSS>."""
    return Path("outputs") / "perf" / time.strftime("%Y%m%d-%H%M%S")


def run_perf(cfg: PerfConfig, write: bool = True) -> PerfOutcome:
    """Validate, load prompts, run the sweep, compute metrics and (if ``write``) write the reports."""
    cfg.validate()
    tokenizer = load_tokenizer(cfg.tokenizer_path)
    count = max(n for _, n in cfg.sweep()) if cfg.number else 1000
    prompts = load_prompts(cfg, tokenizer, count)
    target, runs = asyncio.run(run_all(cfg, prompts, tokenizer))
    points = [{"summary": summarize(r), "percentiles": percentile_table(r), "throughput_series": throughput_series(r)}
              for r in runs]
    out = PerfOutcome(target, runs, points)
    if write:
        out_dir = Path(cfg.outputs_dir) if cfg.outputs_dir else default_outputs_dir()
        notes = list(target.notes)
        config = {**cfg.public_dict(), "resolved_url": target.url, "resolved_model": target.model,
                  "include_usage_sent": target.include_usage}
        title = f"benchgate perf: {cfg.name or target.model} @ {target.url}"
        out.files = write_outputs(out_dir, config, points, runs, notes, [cfg.api_key, *cfg.headers.values()], title)
    return out
