"""`benchgate` command: run a task config, load-test an endpoint, merge shard outputs, run
or re-rate an arena, render reports (Allure, HTML, GitHub summary and annotations) and the
leaderboard."""
from __future__ import annotations

import argparse
import sys

from benchgate.usage import USAGE_ERROR, UsageParser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = UsageParser(prog="benchgate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the evaluation described by a YAML task config")
    run.add_argument("config", help="YAML file with the same keys as the command-line options")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER,
                     help="extra pytest arguments, e.g. -n 2 -k abstract_algebra")
    merge = sub.add_parser("merge", help="combine the outputs of --shard I/N runs into one results.json")
    merge.add_argument("shards", nargs="+", help="output folders of the shard runs")
    merge.add_argument("--output-dir", required=True, help="where the merged outputs go")
    merge.add_argument("--gate", action="append", default=[], help="as pytest --gate")
    merge.add_argument("--baseline", default=None, help="as pytest --baseline")
    merge.add_argument("--baseline-alpha", type=float, default=0.05)
    from benchgate.reports.cli import add_commands, run as run_report

    add_commands(sub)
    sub.add_parser("perf", help="load-test an OpenAI-compatible endpoint (see `benchgate perf -h`)",
                   add_help=False)
    sub.add_parser("arena", help="run an arena config (`benchgate arena CONFIG.yaml`) or re-rate "
                                 "a review file (`benchgate arena rate FILE`)", add_help=False)
    if argv[:1] == ["perf"]:
        from benchgate.perf.cli import main as perf_main

        return perf_main(argv[1:])
    sub.add_parser("contamination", help="leakage checks: `benchgate contamination ngram|membership "
                                         "...` (docs/contamination.md)", add_help=False)
    if argv[:1] == ["contamination"]:
        from benchgate.contamination.cli import main as contamination_main

        return contamination_main(argv[1:])
    if argv[:1] == ["arena"]:
        from benchgate.arena.cli import main as arena_main

        return arena_main(argv[1:])
    args = parser.parse_args(argv)
    if args.command == "run":
        from benchgate.task import config_to_args, load_config

        import pytest

        try:
            config = load_config(args.config)
            config.setdefault("pytest_args", [])
            config["pytest_args"] = list(config["pytest_args"]) + args.pytest_args
            return int(pytest.main(config_to_args(config)))
        except ValueError as e:
            parser.usage_error(str(e))
    if args.command == "merge":
        return _merge(args, parser)
    if args.command in ("report", "leaderboard"):
        return run_report(args, parser)
    return USAGE_ERROR


def _merge(args, parser) -> int:
    from pathlib import Path

    from benchgate.engine.controller import OutputError
    from benchgate.engine.merge import MergeError, merge
    from benchgate.engine.options import OptionError
    from benchgate.reports.console import summary_lines

    try:
        results, failures = merge([Path(s) for s in args.shards], Path(args.output_dir),
                                  gates=args.gate, baseline=args.baseline, alpha=args.baseline_alpha)
    except (MergeError, OptionError) as e:
        parser.exit(USAGE_ERROR, f"benchgate merge: error: {e}\n")
    except OutputError as e:
        parser.exit(3, f"benchgate merge: error: {e}\n")
    for line in summary_lines(results["benchmarks"], str(results["model"]["name"])):
        print(line)
    for failure in failures:
        print(failure)
    print(f"results: {Path(args.output_dir) / 'results.json'}")
    broken = [b for b, e in results["benchmarks"].items() if e.get("error")]
    return 1 if failures or results["errors"] or broken else 0


if __name__ == "__main__":
    sys.exit(main())
