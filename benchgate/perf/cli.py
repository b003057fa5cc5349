"""`benchgate perf` command line."""
from __future__ import annotations

import sys

from benchgate.usage import USAGE_ERROR

from .api import run_perf
from .config import ConfigError, build_parser, config_from_args
from .datasets import DatasetError
from .report import redact

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the load test, print the tables; 0 ok, 4 bad input (usage error),
    1 every request failed."""
    parser = build_parser()
    ns = parser.parse_args(argv)
    try:
        cfg = config_from_args(ns)
        outcome = run_perf(cfg)
    except (ConfigError, DatasetError) as e:
        print(f"benchgate perf: error: {redact(str(e), [ns.api_key])}", file=sys.stderr)
        return USAGE_ERROR
    if not cfg.quiet:
        print(redact(outcome.text(), [cfg.api_key]))
    total_ok = sum(p["summary"]["Succeed requests"] for p in outcome.points)
    return 0 if total_ok > 0 else 1
