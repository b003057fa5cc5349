"""`benchgate report allure|html|summary|annotations` and `benchgate leaderboard`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchgate.usage import USAGE_ERROR


def add_commands(sub) -> None:
    """Register `report` and `leaderboard` on the `benchgate` command's subparsers."""
    report = sub.add_parser("report", help="render reports of a run folder (allure, html, summary, annotations)")
    kinds = report.add_subparsers(dest="kind", required=True)
    allure = kinds.add_parser("allure", help="render --alluredir results with Allure 3 into one offline HTML "
                                             "file; quality gates from the run's --gate thresholds")
    allure.add_argument("alluredir", help="the folder given to pytest --alluredir")
    allure.add_argument("--run", default=None, help="the run's output folder (results.json): its gates "
                                                    "become Allure quality gates")
    allure.add_argument("--gate", action="append", default=None, help="thresholds instead of the run's own")
    allure.add_argument("-o", "--output", default="reports/out/allure", help="report folder")
    allure.add_argument("--name", default="benchgate", help="report title")
    page = kinds.add_parser("html", help="one self-contained HTML report of a run")
    page.add_argument("run", help="run output folder (results.json, samples.jsonl)")
    page.add_argument("--compare", default=None, help="baseline run folder: deltas and changed samples")
    page.add_argument("--perf", default=None, help="a `benchgate perf` outputs folder to include")
    page.add_argument("--alpha", type=float, default=None, help="significance level (default: the run's)")
    page.add_argument("-o", "--output", default="reports/out/report.html", help="the HTML file")
    for name, text in (("summary", "GitHub step summary (markdown) of a run"),
                       ("annotations", "GitHub ::error annotations for failed gates (at most 10)")):
        p = kinds.add_parser(name, help=text)
        p.add_argument("run", help="run output folder")
        p.add_argument("--baseline", default=None, help="earlier run folder: delta and paired test")
        p.add_argument("--alpha", type=float, default=None, help="significance level (default: the run's)")
    board = sub.add_parser("leaderboard", help="leaderboard table of runs (results.json only)")
    board.add_argument("runs", nargs="+", help="run output folders (or results.json files)")
    board.add_argument("--targets", default=None, help="targets.yaml: officially claimed scores")
    board.add_argument("--benchmark", default=None, help="benchmark whose table to print (default mmlu); `arena`: the arena leaderboard; "
                       "`dimensions`: one column per evaluation dimension")
    board.add_argument("--category", default="*",
                       help="arena runs: the display category's leaderboard (default '*': all)")
    board.add_argument("--format", choices=("md", "csv", "html"), default="md")
    board.add_argument("--title", default=None, help="table title")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Dispatch a parsed `report`/`leaderboard` command; errors in its inputs exit 4 (usage
    error) with the reason."""
    from benchgate.reports.allure_render import AllureError
    from benchgate.reports.run_data import RunDataError

    try:
        if args.command == "leaderboard":
            return _leaderboard(args)
        return {"allure": _allure, "html": _html, "summary": _summary,
                "annotations": _annotations}[args.kind](args)
    except (RunDataError, AllureError) as e:
        parser.exit(USAGE_ERROR, f"benchgate {args.command}: error: {e}\n")
    return USAGE_ERROR


def _leaderboard(args) -> int:
    from benchgate.reports.leaderboard import leaderboard_rows, load_targets, render

    targets = load_targets(Path(args.targets)) if args.targets else None
    header, rows = leaderboard_rows([Path(r) for r in args.runs], args.benchmark, targets,
                                    args.category)
    sys.stdout.write(render(header, rows, args.format, args.title or ""))
    return 0


def _allure(args) -> int:
    from benchgate.reports.allure_render import render
    from benchgate.reports.run_data import read_results, read_samples

    results = read_results(Path(args.run)) if args.run else None
    samples = read_samples(Path(args.run)) if args.run else None
    done = render(Path(args.alluredir), Path(args.output), results=results, samples=samples,
                  gates=args.gate, name=args.name)
    print(f"Allure report: {done.index}")
    print(f"quality-gate config: {done.config}")
    for rule in done.rules.rules:
        verdict = "failed" if rule["id"] in done.failed_rules else "passed"
        print(f"allure quality gate {rule['id']}: successRate >= {rule['successRate']:g}: {verdict}")
    for note in done.rules.benchgate_only:
        print(f"benchgate-only gate (no Allure equivalent): {note}")
    if done.gate_passed is False:
        print(done.gate_output.strip())
        return 1
    return 0


def _html(args) -> int:
    from benchgate.reports.html import write_report

    path = write_report(Path(args.run), Path(args.output),
                        compare=Path(args.compare) if args.compare else None,
                        perf=Path(args.perf) if args.perf else None, alpha=args.alpha)
    print(f"HTML report: {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


def _summary(args) -> int:
    from benchgate.reports.summary import summary_markdown

    sys.stdout.write(summary_markdown(Path(args.run), Path(args.baseline) if args.baseline else None,
                                      args.alpha))
    return 0


def _annotations(args) -> int:
    from benchgate.reports.summary import annotations

    for line in annotations(Path(args.run), Path(args.baseline) if args.baseline else None, args.alpha):
        print(line)
    return 0
