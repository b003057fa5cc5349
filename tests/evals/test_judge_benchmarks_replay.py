"""Replays of the authors' released judgments reproduce their published figures exactly:
PandaLM's table (read from ../shared/judges/README.md) and every LLMBar statistics.json of
GPT-4 and ChatGPT under Vanilla, Swap and CoT on the five sets."""
import json
import re
from pathlib import Path

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.replay import ReplayError, ReplaySource
from tests.conftest import ROOT, run_pytest

JUDGES = ROOT.parent / "shared" / "judges"
PANDALM = import_benchmark(ROOT / "evals" / "pandalm.py")
LLMBAR = import_benchmark(ROOT / "evals" / "llmbar.py")


@pytest.fixture(scope="module")
def judges_dir() -> Path:
    if not (JUDGES / "pandalm").is_dir():
        pytest.fail(f"judge data not found at {JUDGES}")
    return JUDGES


def _published_pandalm(judges_dir: Path) -> dict[str, list[str]]:
    """The README's table: judge -> [accuracy, macro P, macro R, macro F1] as printed."""
    rows = re.findall(r"^\| (gpt-3\.5-turbo|PandaLM-7B) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$",
                      (judges_dir / "README.md").read_text(encoding="utf-8"), re.M)
    return {name: list(values) for name, *values in rows}


def _replay(bench, ctx, path: Path, subset: str):
    """Each sample's replayed outputs as the engine asks them: the first requests, then the
    follow-up round the benchmark asks from those answers (LLMBar's synthesize round), served
    from the saved list; a file holding a round the benchmark did not ask (or lacking one it
    asked) fails."""
    source = ReplaySource(path)
    out = []
    for s in bench.load(ctx, subset):
        requests = bench.requests(ctx, s)
        outputs = source.outputs(s.id, requests, 0, stepwise=bench.follows_up)
        more = bench.followups(ctx, s, outputs) if bench.follows_up else []
        if more:
            outputs += source.outputs(s.id, more, len(requests), stepwise=True)
        if bench.follows_up:
            assert len(source.entries[s.id]["response"]) == len(outputs), s.id
        out.append(bench.score(ctx, s, outputs).scores)
    return out


@pytest.mark.parametrize(("judge", "file"), [("gpt-3.5-turbo", "gpt-3.5-turbo-testset-v1.json"),
                                             ("PandaLM-7B", "pandalm-7b-testset-v1.json")])
def test_pandalm_table_reproduced_to_the_printed_digits(judges_dir, judge, file):
    published = _published_pandalm(judges_dir)[judge]
    ctx = RunContext(judges_dir, "local", PANDALM.effective_args({}))
    scores = _replay(PANDALM, ctx, judges_dir / "pandalm" / file, "test")
    assert len(scores) == 999
    corpus = PANDALM.corpus_metrics(scores)
    acc = sum(s["acc"] for s in scores) / len(scores)
    ours = [acc, corpus["macro_precision"], corpus["macro_recall"], corpus["macro_f1"]]
    assert [f"{v:.{len(p.split('.')[1])}f}" for v, p in zip(ours, published)] == published
    assert corpus["parse_failures"] == 0  # "garbage" and "0" are ties by the authors' rule


CASES = [(j, s, subset) for j in ("GPT-4", "ChatGPT") for s in ("Vanilla", "Swap", "CoT")
         for subset in ("Natural", "GPTInst", "GPTOut", "Manual", "Neighbor")]


@pytest.mark.parametrize(("judge", "strategy", "subset"), CASES)
def test_llmbar_statistics_reproduced(judges_dir, judge, strategy, subset):
    folder = judges_dir / "llmbar" / ("Natural" if subset == "Natural" else f"Adversarial/{subset}")
    base = folder / "evaluators" / judge / strategy
    stats = json.loads((base / "statistics.json").read_text(encoding="utf-8"))
    ctx = RunContext(judges_dir, "local", LLMBAR.effective_args({"prompt": strategy}))
    scores = _replay(LLMBAR, ctx, base / "result.json", subset)
    n = len(scores)
    for key, metric in (("correct_False", "acc_original"), ("correct_True", "acc_swapped"),
                        ("correct_both", "acc_both"), ("equal", "agreement")):
        count = round(sum(s[metric] for s in scores))
        assert f"{count} / {n} = {count / n * 100}%" == stats[key], key
    assert f"{sum(s['acc'] for s in scores) / n * 100}%" == stats["correct_average"]


def test_llmbar_result_outside_its_set_folder_is_refused(judges_dir, tmp_path):
    source = judges_dir / "llmbar" / "Natural" / "evaluators" / "GPT-4" / "Vanilla" / "result.json"
    copy = tmp_path / "result.json"
    copy.write_bytes(source.read_bytes())
    with pytest.raises(ReplayError, match="must lie at <set>/evaluators"):
        ReplaySource(copy)


def test_unknown_json_array_and_missing_key_name_the_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[{"a": 1}]')
    with pytest.raises(ReplayError, match=f"{path}: a JSON array that is neither"):
        ReplaySource(path)
    path.write_text('[{"idx": 0, "gpt_result": "1"}, {"idx": 1}]')
    with pytest.raises(ReplayError, match="row 1 has no 'gpt_result'"):
        ReplaySource(path)


def test_adversarial_average_of_a_full_run(judges_dir, tmp_path):
    """GPT-4's Vanilla judgments of all five sets as one replay JSONL: the Adversarial
    category's macro_subsets is LLMBar's average over the four adversarial sets, and each set's
    acc its correct_average (from the statistics.json files)."""
    lines, expected = [], {}
    for subset in ("Natural", "GPTInst", "GPTOut", "Manual", "Neighbor"):
        base = judges_dir / "llmbar" / ("Natural" if subset == "Natural" else f"Adversarial/{subset}") / \
            "evaluators" / "GPT-4" / "Vanilla"
        lines += [json.dumps(e) for e in ReplaySource(base / "result.json").entries.values()]
        stats = json.loads((base / "statistics.json").read_text(encoding="utf-8"))
        expected[subset] = float(stats["correct_average"].rstrip("%")) / 100
    (tmp_path / "gpt4.jsonl").write_text("\n".join(lines) + "\n")
    proc = run_pytest([str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
                       "--model", f"replay:{tmp_path / 'gpt4.jsonl'}", "--datasets", "llmbar",
                       "--dataset-dir", str(judges_dir), "--output-dir", str(tmp_path / "out"),
                       "--cache-path", str(tmp_path / "c.sqlite")], env={"BENCHGATE_HOME": str(tmp_path / "home")})
    assert proc.returncode == 0, proc.stdout[-3000:]
    entry = json.loads((tmp_path / "out" / "results.json").read_text())["benchmarks"]["llmbar"]
    assert {s: pytest.approx(b["score"]) for s, b in entry["subsets"].items()} == expected
    adversarial = [expected[s] for s in ("GPTInst", "GPTOut", "Manual", "Neighbor")]
    assert entry["categories"]["Adversarial"]["macro_subsets"] == pytest.approx(sum(adversarial) / 4)


@pytest.mark.parametrize("judge", ["GPT-4", "ChatGPT"])
def test_llmbar_synthesize_prompts_are_the_authors(judges_dir, judge):
    """The synthesize round benchgate builds from the first round's replies (which explanation
    goes to which assistant, "(a)"/"(b)" swapped where it was written in the other order) is,
    message for message, the prompt the authors stored in every two-round Swap row."""
    import ast

    from benchgate.judge_eval.prompts import chatml_messages

    ctx = RunContext(judges_dir, "local", LLMBAR.effective_args({"prompt": "Swap"}), chat=True)
    checked, two_rounds = 0, 0
    for subset in LLMBAR.subsets(ctx):
        folder = judges_dir / "llmbar" / ("Natural" if subset == "Natural" else f"Adversarial/{subset}")
        rows = json.loads((folder / "evaluators" / judge / "Swap" / "result.json").read_text(encoding="utf-8"))
        source = ReplaySource(folder / "evaluators" / judge / "Swap" / "result.json")
        for sample, row in zip(LLMBAR.load(ctx, subset), rows):
            rounds = row["results"] if isinstance(row["results"], list) else ast.literal_eval(row["results"])
            first = source.outputs(sample.id, LLMBAR.requests(ctx, sample), 0, stepwise=True)
            asked = LLMBAR.followups(ctx, sample, first)
            assert bool(asked) == (len(rounds) == 2), sample.id
            two_rounds += len(rounds) == 2
            for request, key in zip(asked, ("swap = False", "swap = True")):
                assert list(request.prompt) == chatml_messages(rounds[1][key]["prompt"], sample.id), (sample.id, key)
                assert request.max_new_tokens == 50  # the authors' Swap config for this round
                checked += 1
    assert two_rounds > 0 and checked == 2 * two_rounds
