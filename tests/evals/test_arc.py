"""ARC module: lm-eval arc prompts 0- and 25-shot (checked against lm-eval itself), counts,
gold labels read a second time, acc/acc_norm, bad rows."""
import json

import pytest

from hypothesis import given, strategies as st

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Loglikelihood
from tests.conftest import ROOT

ARC = import_benchmark(ROOT / "evals" / "arc.py")
arc_module = __import__("sys").modules[type(ARC).__module__]


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=ARC.effective_args(args))


def test_full_test_split_counts(data_dir):
    c = ctx(data_dir)
    counts = {s: ARC.load(c, s) for s in ARC.subsets(c)}
    assert {s: len(v) for s, v in counts.items()} == {"ARC-Challenge": 1172, "ARC-Easy": 2376}
    assert all(s.error is None for v in counts.values() for s in v)
    assert len(ARC.fewshot_pool(c, "ARC-Challenge")) == 1119


def test_zero_shot_prompt_and_continuations(data_dir):
    c = ctx(data_dir)
    sample = ARC.load(c, "ARC-Challenge")[0]
    assert ARC.prompt(c, sample) == ("Question: An astronomer observes that a planet rotates faster after a "
                                     "meteorite impact. Which is the most likely effect of this increase in "
                                     "rotation?\nAnswer:")
    requests = ARC.requests(c, sample)
    assert [r.continuation for r in requests] == [" Planetary density will decrease.",
                                                  " Planetary years will become longer.",
                                                  " Planetary days will become shorter.",
                                                  " Planetary gravity will become stronger."]
    assert sample.target == 2 and requests[2].oracle.is_greedy


def test_leaderboard_25_shot_from_train(data_dir):
    c = ctx(data_dir, few_shot_num=25)
    sample = ARC.load(c, "ARC-Challenge")[0]
    prompt = ARC.prompt(c, sample)
    assert prompt.count("Question: ") == 26 and prompt.endswith("rotation?\nAnswer:")
    train = [json.loads(line) for line in (data_dir / "arc" / "ARC-Challenge" / "ARC-Challenge-Train.jsonl")
             .read_text(encoding="utf-8").splitlines()]
    shown = [q for q in (row["question"]["stem"] for row in train) if f"Question: {q}\nAnswer: " in prompt]
    assert len(shown) == 25  # 25 distinct train questions, each with its gold answer text


def _hub_rows(path):
    """A second reader of the ARC JSONL: rows in the hub schema lm-eval's arc task reads."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        q = row["question"]
        rows.append({"id": row["id"], "question": q["stem"], "answerKey": row["answerKey"],
                     "choices": {"text": [c["text"] for c in q["choices"]], "label": [c["label"] for c in q["choices"]]}})
    return rows


@pytest.mark.parametrize("subset,shots", [("ARC-Challenge", 0), ("ARC-Easy", 0), ("ARC-Challenge", 25),
                                          ("ARC-Easy", 25)])
def test_golden_prompts_match_lm_eval(data_dir, subset, shots):
    """lm-eval's arc_challenge / arc_easy (its YAML, ConfigurableTask, default sampler, seed 1234)
    over the local rows: the same contexts, continuations and gold index for 30 questions."""
    from tests.evals._lm_eval_reference import benchgate_requests, lm_eval_requests, lm_eval_task

    folder = data_dir / "arc" / subset
    test, train = _hub_rows(folder / f"{subset}-Test.jsonl"), _hub_rows(folder / f"{subset}-Train.jsonl")
    dev = _hub_rows(folder / f"{subset}-Dev.jsonl")
    name = "arc_challenge" if subset == "ARC-Challenge" else "arc_easy"
    task = lm_eval_task(f"arc/{name}.yaml", {"test": test, "train": train, "validation": dev}, num_fewshot=shots)
    reference = lm_eval_requests(task, limit=30)
    c = ctx(data_dir, few_shot_num=shots)
    for sample in ARC.load(c, subset)[:30]:
        assert benchgate_requests(ARC.requests(c, sample)) == reference[sample.index], sample.id
        assert task.doc_to_target(test[sample.index]) == sample.target


def test_every_gold_label_against_the_raw_files(data_dir):
    """Second reader over every test row: the gold choice text is the one whose label is answerKey."""
    c = ctx(data_dir)
    for subset in ("ARC-Challenge", "ARC-Easy"):
        raw = [json.loads(line) for line in (data_dir / "arc" / subset / f"{subset}-Test.jsonl")
               .read_text(encoding="utf-8").splitlines()]
        samples = ARC.load(c, subset)
        assert len(raw) == len(samples)
        for row, sample in zip(raw, samples):
            gold = [ch["text"] for ch in row["question"]["choices"] if ch["label"] == row["answerKey"]]
            assert gold == [sample.data["choices"][sample.target]], sample.id


def test_numeric_labels_map_to_the_answer_index(data_dir):
    sample = ARC.load(ctx(data_dir), "ARC-Challenge")[44]  # labels 1-4, answerKey "2"
    assert sample.target == 1 and sample.data["choices"][1].startswith("Kinetic energy increases")


def test_acc_and_acc_norm_as_lm_eval(data_dir):
    c = ctx(data_dir)
    sample = ARC.load(c, "ARC-Challenge")[0]  # gold 2, choice lengths 32, 36, 35, 39
    lls = [Loglikelihood(v, False) for v in (-8.0, -9.5, -8.5, -10.0)]
    scored = ARC.score(c, sample, lls)
    # acc: argmax logprob = 0; acc_norm: -8/32=-.25, -9.5/36=-.264, -8.5/35=-.243, -10/39=-.256 -> 2
    assert scored.extracted == 0 and scored.scores == {"acc": 0.0, "acc_norm": 1.0}


@given(st.lists(st.sampled_from("ABCDE12345"), min_size=2, max_size=5, unique=True), st.data())
def test_label_mapping_property(labels, data):
    key = data.draw(st.sampled_from(labels))
    row = {"question": {"stem": "q", "choices": [{"text": f"t{L}", "label": L} for L in labels]}, "answerKey": key}
    fields, target = arc_module._convert(row)
    assert fields["choices"][target] == f"t{key}"
    hub = {"question": "q", "choices": {"text": [f"t{L}" for L in labels], "label": labels}, "answerKey": key}
    assert arc_module._convert(hub) == (fields, target)


def test_shuffled_choices_keep_the_gold_text_and_move_positions(data_dir):
    plain = ARC.load(ctx(data_dir), "ARC-Easy")[:50]
    shuffled = ARC.load(ctx(data_dir, shuffle_choices=True), "ARC-Easy")[:50]
    assert all(p.data["choices"][p.target] == s.data["choices"][s.target] for p, s in zip(plain, shuffled))
    assert sum(p.target != s.target for p, s in zip(plain, shuffled)) > 10
    again = ARC.load(ctx(data_dir, shuffle_choices=True), "ARC-Easy")[:50]
    assert [s.data for s in again] == [s.data for s in shuffled]  # seeded


def test_malformed_rows_name_file_and_line(tmp_path, data_dir):
    folder = tmp_path / "arc" / "ARC-Easy"
    folder.mkdir(parents=True)
    src = data_dir / "arc" / "ARC-Easy" / "ARC-Easy-Test.jsonl"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)[:5]
    lines[1] = "{not json\n"
    row = json.loads(lines[3])
    row["answerKey"] = "Z"
    lines[3] = json.dumps(row) + "\n"
    (folder / "ARC-Easy-Test.jsonl").write_text("".join(lines), encoding="utf-8")
    samples = ARC.load(RunContext(dataset_dir=tmp_path, dataset_hub="local", args=ARC.effective_args({})), "ARC-Easy")
    path = folder / "ARC-Easy-Test.jsonl"
    assert len(samples) == 5 and samples[0].error is None
    assert samples[1].error.startswith(f"{path}:2: invalid JSON")
    assert samples[3].error == f"{path}:4: malformed row: answerKey 'Z' is not one of the choice labels ['A', 'B', 'C', 'D']"


def test_oracle_one_wrong_zero_and_shuffled_oracle_one(run_evals):
    for model, args, want in (("oracle", (), 1.0), ("wrong", (), 0.0),
                              ("oracle", ("--dataset-args", '{"arc": {"shuffle_choices": true, "few_shot_num": 2}}'), 1.0)):
        run = run_evals("--model", model, "--datasets", "arc", "--limit", "3", *args)
        assert run.code == 0, run.out
        res = run.results["benchmarks"]["arc"]
        assert res["n"] == 6 and res["metric"] == "acc_norm" and res["score"] == want
        assert res["metrics"]["acc"]["score"] == want
