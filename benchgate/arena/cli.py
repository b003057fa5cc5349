"""`benchgate arena CONFIG.yaml [--dry-run] [--output-dir DIR] [pytest args]` runs the arena
suite (the same as `pytest evals/arena --arena-config CONFIG.yaml ...`);
`benchgate arena rate REVIEWS.jsonl [--category-file F] ...` re-rates a review file (benchgate,
EvalScope or FastChat) without calling any model."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchgate.arena.config import METRICS, SWAP_RULES
from benchgate.usage import USAGE_ERROR, UsageParser


def _run(argv: list[str]) -> int:
    parser = UsageParser(prog="benchgate arena", description=__doc__)
    parser.add_argument("config", help="arena config YAML (EvalScope keys, docs/arena.md)")
    parser.add_argument("--dry-run", action="store_true",
                        help="candidates answer; the judge is never called (seeded random verdicts)")
    parser.add_argument("--output-dir", default=None, help="where results go (default outputs/)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER,
                        help="more pytest/benchgate options: -n 2, -k MODEL, --judge-api-url URL, "
                             "--use-cache, --gate arena/MODEL:win_rate_ties_half=0.5, ...")
    args = parser.parse_args(argv)
    if not Path(args.config).is_file():
        parser.error(f"config file {args.config} not found")
    import pytest

    from benchgate.task import default_evals_dir

    cmd = [str(default_evals_dir() / "arena"), "--arena-config", args.config]
    if args.dry_run:
        cmd.append("--dry-run")
    if args.output_dir:
        cmd += ["--output-dir", args.output_dir]
    return int(pytest.main(cmd + list(args.pytest_args)))


def _rate(argv: list[str]) -> int:
    parser = UsageParser(
        prog="benchgate arena rate",
        description="Rate a review file (benchgate arena/reviews.jsonl, EvalScope battle.jsonl or "
                    "review file, FastChat model_judgment) without calling any model.")
    parser.add_argument("reviews", help="the review file (JSONL)")
    parser.add_argument("--category-file", default=None,
                        help="EvalScope category_mapping.yaml: display category -> categories ('*': the rest)")
    parser.add_argument("--baseline-model", default=None,
                        help="anchor Bradley-Terry at this model; win rates against it")
    parser.add_argument("--swap-rule", choices=SWAP_RULES, default=None,
                        help="how the two orders of a match combine (default: the file's: "
                             "benchgate/FastChat 'tie', EvalScope battle rows 'separate')")
    parser.add_argument("--metric", choices=METRICS, default=None,
                        help="sort by (default: elo; score for single-mode files)")
    parser.add_argument("--battle-order", choices=("auto", "tstamp", "file"), default="auto",
                        help="the order Elo replays battles in: auto (default) sorts rows by tstamp "
                             "when they have one, as EvalScope and FastChat do, except benchgate's own "
                             "reviews.jsonl (its file order is the run's); tstamp; file")
    parser.add_argument("--bootstrap-rounds", type=int, default=100)
    parser.add_argument("--ci-quantiles", type=float, nargs=2, default=[0.025, 0.975])
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--strong-verdict-weight", type=int, default=3,
                        help="an arena-hard [[A>>B]] counts this many times (default 3)")
    parser.add_argument("--weighting", choices=("none", "peer_rank"), default="none",
                        help="reviewer weights (peer review files)")
    parser.add_argument("--parse-failure-warn", type=float, default=None, metavar="SHARE",
                        help="warn when more than this share of judgments failed to parse (default 0.2)")
    parser.add_argument("--json", default=None, help="write the result (leaderboards...) here")
    parser.add_argument("--categories", action="store_true", help="print every category's leaderboard")
    args = parser.parse_args(argv)
    if args.parse_failure_warn is not None and not 0 <= args.parse_failure_warn <= 1:
        parser.error(f"--parse-failure-warn must be a share between 0 and 1, got {args.parse_failure_warn}")

    from benchgate.arena.ratings import RatingParams, category_function, load_category_mapping
    from benchgate.arena.report import leaderboard_lines
    from benchgate.arena.results import PARSE_FAILURE_WARN, parse_failure_warnings
    from benchgate.arena.reviews import ReviewFileError, read_review_file
    from benchgate.arena.summary import summarize

    try:
        review = read_review_file(args.reviews, args.battle_order)
        mapping = load_category_mapping(args.category_file) if args.category_file else None
    except (ReviewFileError, ValueError) as e:
        parser.exit(USAGE_ERROR, f"benchgate arena rate: error: {e}\n")
    single = review.kind == "single"
    metric = args.metric or ("score" if single else "elo")
    if (metric == "score") != single:
        parser.error(f"--metric {metric} does not fit a {review.kind} review file")
    params = RatingParams(bootstrap_rounds=args.bootstrap_rounds,
                          quantiles=tuple(args.ci_quantiles), seed=args.seed,
                          baseline=args.baseline_model, sort_by=metric)
    try:
        result = summarize(review, params, category_function(mapping), rule=args.swap_rule,
                           weighting=args.weighting, strong_weight=args.strong_verdict_weight)
    except ValueError as e:
        parser.exit(USAGE_ERROR, f"benchgate arena rate: error: {e}\n")
    result = {"source": str(args.reviews), "mode": review.kind, "battle_order": review.order, **result}
    counts = result["counts"]
    result["warnings"] = parse_failure_warnings(counts["judgments"], counts["parse_failures"],
                                                PARSE_FAILURE_WARN if args.parse_failure_warn is None
                                                else args.parse_failure_warn)
    out = {"mode": "single" if single else "pairwise", "counts": counts,
           "leaderboard": result["leaderboard"], "bias": result["bias"], "notes": result["notes"],
           "warnings": result["warnings"], "battle_order": None if single else review.order}
    for line in leaderboard_lines(out, categories=args.categories):
        print(line, file=sys.stderr if line.startswith("WARNING") else sys.stdout)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n",
                                   encoding="utf-8")
    return 0


def main(argv: list[str]) -> int:
    """Entry from `benchgate arena ...`."""
    if argv[:1] == ["rate"]:
        return _rate(argv[1:])
    return _run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
