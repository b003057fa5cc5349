"""An arena run folder built to the docs/results.md contract from the real EvalScope review
file (shared/arena/evalscope/qa_browser/battle.jsonl, 634 GPT-4 judgments, each question judged
in both orders) and its category mapping; the arena code itself is not needed to build it."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from benchgate.metrics.elo import battle_count_matrix, online_elo, win_rate_matrix


def display_categories(mapping_path: Path) -> dict[str, str]:
    mapping = yaml.safe_load(mapping_path.read_text(encoding="utf-8"))
    raw_to_display = {}
    for display, raws in mapping.items():
        for raw in raws:
            raw_to_display[raw] = display
    return raw_to_display


def build_arena_run(arena_dir: Path, out: Path) -> tuple[Path, list[dict]]:
    qa = arena_dir / "evalscope" / "qa_browser"
    rows = [json.loads(line) for line in (qa / "battle.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    mapping = display_categories(qa / "category_mapping.yaml")
    other = mapping.get("*", "other")
    seen: dict[int, int] = {}
    reviews = []
    for row in rows:
        k = seen.get(row["question_id"], 0)
        seen[row["question_id"]] = k + 1
        reviews.append({**row, "id": f"arena/{row['question_id']}/{row['model_a']}-vs-{row['model_b']}",
                        "judge": "gpt-4", "order": "ab" if k == 0 else "ba",
                        "verdict": {"model_a": "A", "model_b": "B"}.get(row["win"], "C"),
                        "judge_output": f"scores {row['scores']}",
                        "display_category": mapping.get(row["category"], other)})
    battles = [(r["model_a"], r["model_b"], r["win"]) for r in reviews]
    models = sorted({m for b in battles for m in b[:2]})
    elo = online_elo(battles)

    def board(subset):
        out_rows = []
        for m in models:
            win = sum(1 for a, b, w in subset if (a == m and w == "model_a") or (b == m and w == "model_b"))
            loss = sum(1 for a, b, w in subset if (a == m and w == "model_b") or (b == m and w == "model_a"))
            tie = sum(1 for a, b, w in subset if m in (a, b) and w.startswith("tie"))
            n = win + loss + tie
            out_rows.append({"model": m, "elo": elo[m], "bt_rating": None, "bt_ci95": None,
                             "win_rate_vs_baseline": None, "win": win, "loss": loss, "tie": tie,
                             "win_rate_adjusted": (win + 0.5 * tie) / n if n else None,
                             "battles": n, "score": None, "score_ci95": None})
        return sorted(out_rows, key=lambda r: -(r["win_rate_adjusted"] or 0))

    leaderboard = {"*": board(battles)}
    for cat in sorted({r["display_category"] for r in reviews}):
        leaderboard[cat] = board([(r["model_a"], r["model_b"], r["win"]) for r in reviews if r["display_category"] == cat])
    out.mkdir(parents=True, exist_ok=True)
    (out / "arena").mkdir(exist_ok=True)
    with open(out / "arena" / "reviews.jsonl", "w", encoding="utf-8") as f:
        for r in reviews:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    results = {
        "schema_version": 1, "benchgate_version": "0.1.0", "created": "2026-12-01T00:00:00+00:00",
        "status": "passed", "config": {"model": None, "seed": 42}, "model": {"name": "arena"},
        "benchmarks": {}, "gates": {"passed": True, "checks": [], "failures": [], "baseline": None},
        "errors": [],
        "arena": {"mode": "pairwise", "models": models, "baseline_model": None,
                  "judges": [{"name": "gpt-4", "kind": "generative", "template": "pair-v2"}],
                  "position_bias_mitigation": "swap_position", "dry_run": False,
                  "counts": {"units": len(reviews) // 2, "judgments": len(reviews), "parse_failures": 0},
                  "leaderboard": leaderboard,
                  "matrices": {"win_rate": win_rate_matrix(battles), "battles": battle_count_matrix(battles)},
                  "bias": {"position_consistency": None, "first_position_win_rate": None, "swap_flips": None,
                           "longer_answer_win_rate": None},
                  "agreement": None, "parse_failures": [],
                  "files": {"reviews": "arena/reviews.jsonl", "answers": {}}},
    }
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    return out, reviews
