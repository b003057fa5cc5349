"""Planted contamination for the membership check (docs/contamination.md): train the smoke
model on 200 MMLU test items until it has memorised them (seeded; cached under
$BENCHGATE_HOME), then run `benchgate contamination membership` on those 200 and 200 unseen
test items and print ROC AUC and TPR at 5% FPR per method, the training's CPU time, and the
members' and non-members' perplexities.

    python benchmarks/membership_planted.py --dataset-dir ../shared/benchmarks --output-dir outputs/membership-planted
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchgate.cli import main as benchgate_main
from benchgate.contamination.membership_planted import (TrainConfig, members_lines, planted_model_path,
                                                        planted_split)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset-dir", required=True, help="the folder holding mmlu/")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--n", type=int, default=200, help="members (and as many non-members)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    members, non_members = planted_split(args.dataset_dir, args.n, args.seed)
    (out / "members.jsonl").write_text(members_lines(members, non_members))
    wall, cpu = time.perf_counter(), time.process_time()
    config = TrainConfig(seed=args.seed)
    model = planted_model_path([text for _, text in members], config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"planted model: {model} ({config}; built or found in {wall:.0f} s wall, {cpu:.0f} s CPU "
          f"of this process, 0 when cached)")
    code = benchgate_main(["contamination", "membership", "--model", model, "--datasets", "mmlu",
                           "--dataset-dir", args.dataset_dir, "--members", str(out / "members.jsonl"),
                           "--output-dir", str(out)])
    if code == 0:
        result = json.loads((out / "membership.json").read_text())
        print(json.dumps(result["evaluation"]["methods"], indent=1))
        for label, member in (("members", True), ("non-members", False)):
            ppl = sorted(r["perplexity"] for r in result["samples"] if r["member"] is member)
            print(f"{label}: median perplexity {ppl[len(ppl) // 2]:.2f}, mean {sum(ppl) / len(ppl):.2f}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
