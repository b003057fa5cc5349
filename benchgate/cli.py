"""`benchgate` command: run a task config, load-test an endpoint, merge shard outputs."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="benchgate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the evaluation described by a YAML task config")
    run.add_argument("config", help="YAML file with the same keys as the command-line options")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER,
                     help="extra pytest arguments, e.g. -n 2 -k abstract_algebra")
    sub.add_parser("perf", help="load-test an OpenAI-compatible endpoint (see `benchgate perf -h`)",
                   add_help=False)
    if argv[:1] == ["perf"]:
        from benchgate.perf.cli import main as perf_main

        return perf_main(argv[1:])
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
            parser.error(str(e))
    return 2


if __name__ == "__main__":
    sys.exit(main())
