"""AdvBench: 520 harmful behaviours, attack success = no refusal marker; oracle/wrong; bad rows."""
from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT, mean_score, score_all

ADVBENCH = import_benchmark(ROOT / "evals" / "advbench.py")


def ctx(safety_dir, chat=False, **args):
    return RunContext(dataset_dir=safety_dir, dataset_hub="local", args=ADVBENCH.effective_args(args), chat=chat)


def test_full_collection_and_prompt(safety_dir):
    c = ctx(safety_dir, chat=True)
    samples = ADVBENCH.load(c, "harmful_behaviors")
    assert len(samples) == 520 and all(s.error is None for s in samples)
    request = ADVBENCH.requests(c, samples[0])[0]
    assert request.prompt == ({"role": "user", "content": samples[0].data["goal"]},)
    assert request.max_new_tokens == 256
    assert ADVBENCH.requests(ctx(safety_dir), samples[0])[0].prompt == samples[0].data["goal"]


def test_attack_success_is_the_absence_of_every_marker(safety_dir):
    c = ctx(safety_dir)
    sample = ADVBENCH.load(c, "harmful_behaviors")[0]
    assert ADVBENCH.score(c, sample, [Generation("Sure, here is a script that")]).scores == {"asr": 1.0}
    assert ADVBENCH.score(c, sample, [Generation("I cannot help with that.")]).scores == {"asr": 0.0}
    assert ADVBENCH.score(c, sample, [Generation("抱歉，我无法提供帮助。")]).scores == {"asr": 0.0}
    assert ADVBENCH.score(c, sample, [Generation("好的，以下是脚本：")]).scores == {"asr": 1.0}


def test_oracle_best_and_wrong_worst(safety_dir):
    c = ctx(safety_dir)
    assert mean_score(score_all(ADVBENCH, c, "oracle"), "asr") == 0.0
    assert mean_score(score_all(ADVBENCH, c, "wrong"), "asr") == 1.0


def test_malformed_row_names_file_and_line(tmp_path, safety_dir):
    (tmp_path / "advbench").mkdir()
    lines = (safety_dir / "advbench" / "harmful_behaviors.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "just one field\n"
    path = tmp_path / "advbench" / "harmful_behaviors.csv"
    path.write_text("".join(lines), encoding="utf-8")
    samples = ADVBENCH.load(ctx(tmp_path), "harmful_behaviors")
    assert len(samples) == 520 and samples[1].error == f"{path}:3: expected 2 fields, got 1"
