"""Replay, shards + merge: end to end on the real data."""
import json

from tests.conftest import run_benchgate

ARGS = ("--datasets", "mmlu", "gsm8k", "--limit", "3")
VOLATILE = ("created", "timings")


def comparable(results: dict) -> dict:
    out = {k: v for k, v in results.items() if k not in VOLATILE}
    out["config"] = {k: v for k, v in results["config"].items() if k not in ("shard", "merged_from")}
    return out


def test_shards_merge_to_the_unsharded_results(run_evals, tmp_path):
    whole = run_evals("--model", "dummy", *ARGS, output="whole")
    assert whole.code == 0
    parts = [run_evals("--model", "dummy", *ARGS, "--shard", f"{i}/3", output=f"shard{i}") for i in (1, 2, 3)]
    sizes = [len(p.samples()) for p in parts]
    assert all(p.code == 0 for p in parts) and sum(sizes) == 174 and min(sizes) > 40
    merged = tmp_path / "merged"
    proc = run_benchgate(["merge", *(str(p.output_dir) for p in parts), "--output-dir", str(merged)])
    assert proc.returncode == 0, proc.stderr
    merged_results = json.loads((merged / "results.json").read_text())
    assert comparable(merged_results) == comparable(whole.results)
    assert (merged / "samples.jsonl").read_text() == (whole.output_dir / "samples.jsonl").read_text()
    # a missing shard is refused
    proc = run_benchgate(["merge", str(parts[0].output_dir), str(parts[1].output_dir),
                          "--output-dir", str(tmp_path / "m2")])
    assert proc.returncode == 4 and "missing shard(s) ['3/3']" in proc.stderr


def test_replay_rescores_saved_responses_and_names_missing_ids(run_evals, tmp_path):
    first = run_evals("--model", "dummy", "--datasets", "mmlu", "gsm8k", "--limit", "2", output="first")
    replay = run_evals("--model", f"replay:{first.output_dir / 'samples.jsonl'}",
                       "--datasets", "mmlu", "gsm8k", "--limit", "2", output="replayed")
    assert replay.code == 0, replay.out
    assert replay.results["benchmarks"] == first.results["benchmarks"]
    assert replay.results["model"]["name"] == "replay"
    # a plain {"id", "response"} file produced elsewhere
    outside = tmp_path / "outside.jsonl"
    outside.write_text(json.dumps({"id": "gsm8k/main/0", "response": "so #### 18"}) + "\n")
    run = run_evals("--model", f"replay:{outside}", "--datasets", "gsm8k", "--limit", "2")
    assert run.code == 1
    assert f"gsm8k/main/1: no saved response for gsm8k/main/1 in {outside}" in run.out
    assert run.results["benchmarks"]["gsm8k"]["score"] == 1.0 and run.results["benchmarks"]["gsm8k"]["n"] == 1
