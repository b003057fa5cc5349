"""pytest options of the SLO suite (`pytest evals/perf --url ... --slo ttft_p99=500ms`).

`add_perf_options(parser)` is called from `evals/perf/conftest.py` (and may be called from the
project plugin too: options that already exist are skipped, so a second registration is harmless).
`--model` and `--api-key` are the benchgate plugin's options and are reused, not re-registered.
"""
from __future__ import annotations

from typing import Any

import pytest

from .config import PerfConfig

__all__ = ["add_perf_options", "config_from_pytest"]

_OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("--url",), dict(default=None, help="perf: endpoint to load-test (…/v1/chat/completions or …/v1)")),
    (("--slo",), dict(action="append", default=[], metavar="EXPR",
                      help="perf: objective, e.g. ttft_p99=500ms, tpot_p50=50ms, error_rate=0, qps>=5 (repeatable)")),
    (("--parallel",), dict(type=int, nargs="+", default=[1], help="perf: concurrency level(s)")),
    (("--number",), dict(type=int, nargs="+", default=None, help="perf: requests per run (default 10 x parallel)")),
    (("--rate",), dict(type=float, default=None, help="perf: open-loop arrivals per second")),
    (("--duration",), dict(type=float, default=None, help="perf: seconds per run (stop sending after)")),
    (("--warmup-num",), dict(type=int, default=0, help="perf: unmeasured requests before each run")),
    (("--max-tokens",), dict(type=int, default=256, help="perf: max_tokens per request")),
    (("--min-tokens",), dict(type=int, default=None, help="perf: min_tokens per request")),
    (("--perf-dataset",), dict(default=None, choices=("openqa", "line_by_line", "random", "sharegpt"),
                               help="perf: prompt source (default: --perf-prompt)")),
    (("--perf-dataset-path",), dict(default=None, help="perf: dataset file")),
    (("--perf-prompt",), dict(default="Hello, tell me a story.", help="perf: fixed prompt when no dataset")),
    (("--tokenizer-path",), dict(default=None, help="perf: local tokenizer (random prompts, token counts)")),
    (("--no-stream",), dict(action="store_true", default=False, help="perf: non-streaming requests")),
    (("--perf-outputs-dir",), dict(default=None, help="perf: where reports go (default outputs/perf/<ts>)")),
]


def add_perf_options(parser: pytest.Parser) -> None:
    """Register the perf options in a 'benchgate perf' group (skipping names already taken)."""
    group = parser.getgroup("benchgate-perf", "benchgate serving stress test (evals/perf)")
    for names, kw in _OPTIONS:
        try:
            group.addoption(*names, **kw)
        except ValueError:  # already registered (e.g. by the project plugin)
            pass


def _opt(config: pytest.Config, name: str, default: Any = None) -> Any:
    try:
        return config.getoption(name)
    except ValueError:
        return default


def config_from_pytest(config: pytest.Config) -> PerfConfig | None:
    """The PerfConfig the options describe, or None when no --url was given."""
    url = _opt(config, "url")
    if not url:
        return None
    parallel = _opt(config, "parallel") or [1]
    number = _opt(config, "number")
    duration = _opt(config, "duration")
    if number is None and duration is None:
        number = [10 * p for p in parallel]
    dataset = _opt(config, "perf_dataset")
    cfg = PerfConfig(
        url=url, model=_opt(config, "model"), api_key=_opt(config, "api_key"), parallel=parallel, number=number,
        rate=_opt(config, "rate"), duration=duration, warmup_num=_opt(config, "warmup_num", 0),
        dataset=dataset or "openqa", dataset_path=_opt(config, "perf_dataset_path"),
        prompt=None if dataset else _opt(config, "perf_prompt"), max_tokens=_opt(config, "max_tokens"),
        min_tokens=_opt(config, "min_tokens"), tokenizer_path=_opt(config, "tokenizer_path"),
        stream=not _opt(config, "no_stream", False), outputs_dir=_opt(config, "perf_outputs_dir"),
        progress=False,
    )
    cfg.validate()
    return cfg
