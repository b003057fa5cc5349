"""Exit codes shared by `pytest` runs and every `benchgate` command (README, "When things go
wrong"), and an argparse parser whose usage errors exit with USAGE_ERROR, not argparse's 2
(2 means "interrupted" here, as in pytest)."""
from __future__ import annotations

import argparse
import sys

PASSED, FAILED, INTERRUPTED, OUTPUT_ERROR, USAGE_ERROR = 0, 1, 2, 3, 4


class UsageParser(argparse.ArgumentParser):
    """argparse with exit code 4 for a bad command line; its subparsers are UsageParsers too."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")

    def usage_error(self, message: str):
        """Exit 4 with `prog: error: message`, without the usage lines (an input that was
        well-formed on the command line but cannot be used: a missing or malformed file)."""
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def whole_number(text: str) -> int:
    """An argparse `type`: an integer >= 1 ("--n: must be >= 1, got 0" as the usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value
