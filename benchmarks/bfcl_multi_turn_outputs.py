"""Multi-turn conversations for the cross-check against bfcl-eval's multi_turn_checker
(benchmarks/bfcl_reference_verdicts.py scores rows that carry "calls"). Needs bfcl-eval's
simulated APIs importable (`pip install --no-deps bfcl-eval==2026.3.23 mpmath`, or PYTHONPATH):

    python benchmarks/bfcl_multi_turn_outputs.py ../shared/agent MT_OUTPUTS.jsonl

Per case (every 4th of each multi-turn category, both modes' conversations are the same calls):
the ground-truth call sequence, and perturbed ones: a turn's last call missing, a string
argument changed, an extra read-only call first, a turn without calls, a turn's calls
reversed. Each is played through benchgate's agent loop (prompt mode); the row holds the calls
the loop executed per turn and step, and benchgate's verdict.
"""
from __future__ import annotations

import inspect
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchgate.agent import multi_turn as mt  # noqa: E402
from benchgate.agent import multi_turn_runner as mr  # noqa: E402
from benchgate.agent.prompt_mode import system_prompt  # noqa: E402

CATEGORIES = ("multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context")
READ_ONLY = {"GorillaFileSystem": "pwd()", "MathAPI": "absolute_value(number=-3)", "TwitterAPI": "get_user_stats(username='x')",
             "TicketAPI": "get_user_tickets()", "TradingBot": "get_current_time()", "TravelAPI": "list_all_airports()",
             "VehicleControlAPI": "displayCarStatus(option='fuel')", "MessageAPI": "view_messages_sent()"}


def _text(calls: list[str]) -> str:
    return "[" + ", ".join(calls) + "]"


def perturbations(case: dict, truth: list[list[str]], rng: random.Random) -> list[tuple[str, list[list[str]]]]:
    out = [("ground_truth", truth)]
    busy = [i for i, t in enumerate(truth) if t]
    if not busy:
        return out
    t = rng.choice(busy)
    out.append(("missing_step", [c[:-1] if i == t else c for i, c in enumerate(truth)]))
    out.append(("no_calls_in_turn", [[] if i == t else c for i, c in enumerate(truth)]))
    out.append(("reversed_turn", [c[::-1] if i == t else c for i, c in enumerate(truth)]))
    extra = READ_ONLY[case["involved_classes"][0]]
    out.append(("extra_read_only", [[extra] + c if i == t else c for i, c in enumerate(truth)]))
    changed = [list(c) for c in truth]
    for j, call in enumerate(changed[t]):
        if "'" in call:
            first = call.index("'")
            changed[t][j] = call[:first + 1] + "zq" + call[first + 1:]
            out.append(("wrong_argument", changed))
            break
    return out


def keyword_form(case: dict, truth: list[list[str]]) -> list[list[str]]:
    """The ground-truth calls with every argument named (from the methods' signatures), as a
    model writes them (BFCL's decoders keep keyword arguments only)."""
    world = mt.World(case, False)
    out = []
    for turn in truth:
        calls = []
        for text in turn:
            name, args, kwargs = mt.parse_call_text(text)
            bound = inspect.signature(world.methods[name]).bind(*args, **kwargs).arguments
            calls.append(mt.call_text(name, dict(bound)))
        out.append(calls)
    return out


def main(dataset_dir: str, out_path: str) -> None:
    folder = Path(dataset_dir) / "bfcl"
    rng = random.Random(1919)
    rows = []
    for category in CATEGORIES:
        cases = [json.loads(line) for line in open(folder / f"BFCL_v4_{category}.json", encoding="utf-8")]
        truths = {a["id"]: a["ground_truth"] for a in map(json.loads, open(
            folder / "possible_answer" / f"BFCL_v4_{category}.json", encoding="utf-8"))}
        for n, case in enumerate(cases):
            if n % 4:
                continue
            docs, held = mt.function_docs(folder, case)
            truth = truths[case["id"]]
            states, results = mr.ground_truth_states(case, truth)
            for label, plan in perturbations(case, keyword_form(case, truth), rng):
                answers = []
                for turn_calls in plan:
                    if turn_calls:
                        answers.append(_text(turn_calls))
                    answers.append("Done.")
                conv, step = mr.converse(case, docs, held, answers, "prompt", system_prompt, lambda d: d)
                assert step is None, case["id"]
                valid, error_type, _ = mr.verdict(conv, truth, states, results)
                rows.append({"category": category, "case_id": case["id"], "label": label, "calls": conv.calls,
                             "ours": {"valid": valid, "error_type": error_type}})
    with open(out_path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} conversations -> {out_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
