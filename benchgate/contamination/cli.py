"""`benchgate contamination CHECK ...`: leakage checks of benchmark samples (docs/contamination.md)."""
from __future__ import annotations

from benchgate.contamination.membership import add_command as add_membership
from benchgate.contamination.membership import run as run_membership
from benchgate.contamination.ngram_cli import add_ngram, run_ngram
from benchgate.usage import USAGE_ERROR, UsageParser


def main(argv: list[str]) -> int:
    parser = UsageParser(prog="benchgate contamination", description=__doc__)
    checks = parser.add_subparsers(dest="check", required=True)
    add_ngram(checks)
    add_membership(checks)
    args = parser.parse_args(argv)
    if args.check == "ngram":
        return run_ngram(args, parser)
    if args.check == "membership":
        return run_membership(args)
    return USAGE_ERROR
