"""The arena leaderboard as console lines (end of `pytest evals/arena` and `benchgate arena rate`)."""
from __future__ import annotations

from typing import Any

from benchgate.arena.ratings import ALL


def _f(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(ci: Any, digits: int = 1) -> str:
    return "-" if not ci else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def table(rows: list[dict], single: bool) -> list[str]:
    """One leaderboard as aligned text."""
    if single:
        header = ("model", "score", "95% CI", "n")
        body = [(r["model"], _f(r["score"], 2), _ci(r["score_ci95"], 2), str(r["battles"])) for r in rows]
    else:
        # the summary table's arena rows are win_rate_ties_half (or, for the baseline,
        # win_rate_adjusted): both are columns here, under their own names
        header = ("model", "elo", "bt", "bt 95% CI", "W/L/T", "win_rate_adjusted",
                  "win_rate_ties_half", "bt predicted vs baseline")
        body = [(r["model"] + (" (baseline)" if r.get("is_baseline") else ""), _f(r["elo"]),
                 _f(r["bt_rating"]), _ci(r["bt_ci95"]), f"{r['win']}/{r['loss']}/{r['tie']}",
                 _f(r["win_rate_adjusted"], 4), _f(r.get("win_rate_ties_half"), 4),
                 _f(r["win_rate_vs_baseline"], 3)) for r in rows]
    widths = [max(len(x[i]) for x in body + [header]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*header), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in body]


def leaderboard_lines(arena: dict, categories: bool = False) -> list[str]:
    """The overall leaderboard (and, with `categories`, one per display category), counts and bias."""
    single = arena.get("mode") == "single"
    counts = arena.get("counts", {})
    units = f"{counts['units']} units, " if "units" in counts else ""
    lines = [f"arena ({arena.get('mode')}{', dry run' if arena.get('dry_run') else ''}): "
             f"{units}{counts.get('judgments', 0)} judgments, "
             f"{counts.get('parse_failures', 0)} parse failures"
             + (f", battles in {arena['battle_order']} order" if arena.get("battle_order") else "")]
    board = arena.get("leaderboard") or {}
    lines += table(board.get(ALL, []), single)
    if categories:
        for name, rows in board.items():
            if name != ALL:
                lines += ["", f"category: {name}"] + table(rows, single)
    bias = arena.get("bias")
    if bias:
        lines.append(f"position consistency {_f(bias['position_consistency'], 3)}, swap flips "
                     f"{bias['swap_flips'] if bias['swap_flips'] is not None else '-'}, first "
                     f"position win rate {_f(bias['first_position_win_rate'], 3)}, longer answer "
                     f"win rate {_f(bias['longer_answer_win_rate'], 3)}")
    lines += [f"note: {note}" for note in arena.get("notes") or ()]
    lines += [f"WARNING: {warning}" for warning in arena.get("warnings") or ()]
    return lines


def pytest_benchgate_summary(results: dict, terminalreporter) -> None:
    """An arena run's leaderboard under the scores table, its warnings in bold red (registered
    by the plugin)."""
    if results.get("arena"):
        for line in leaderboard_lines(results["arena"]):
            terminalreporter.write_line(line, red=line.startswith("WARNING"), bold=line.startswith("WARNING"))
