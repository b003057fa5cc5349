"""HellaSwag module: derived and native formats, lm-eval preprocessing, few-shot, bad rows."""
import bz2
import json
import re
import sys

import pytest
from hypothesis import given, strategies as st

from benchgate.benchmark import DataError, RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Loglikelihood
from tests.conftest import ROOT

HS = import_benchmark(ROOT / "evals" / "hellaswag.py")
preprocess = sys.modules[type(HS).__module__].preprocess

NATIVE = {"ind": 4, "activity_label": "Removing ice from car", "ctx_a": "Then, the man writes over the snow "
          "covering the window of a car, and a woman wearing winter clothes smiles.", "ctx_b": "then",
          "ctx": "...", "split": "val", "split_type": "indomain", "label": 3, "source_id": "activitynet~v_-1IBHYS3L-Y",
          "endings": [", the man adds wax to the windshield and cuts it.", ", a person board a ski lift, while two men "
                      "supporting the head of the person wearing winter clothes snow as the we girls sled.",
                      ", the man puts on a christmas coat, knitted with netting.",
                      ", the man continues removing the snow on his car."]}
WIKIHOW = {**NATIVE, "activity_label": "Home and Garden", "ctx_a": "[header] How to grow basil [title] Pick a "
           "sunny spot.  [step] Basil needs", "ctx_b": "", "endings": ["[substeps] six hours of sun.", "b", "c", "d"],
           "label": "0"}


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=HS.effective_args(args))


def test_full_validation_count_from_the_derived_file(data_dir):
    samples = HS.load(ctx(data_dir), "default")
    assert len(samples) == 10042 and all(s.error is None for s in samples)
    assert [sum(s.target == k for s in samples) for k in range(4)] == [2515, 2485, 2584, 2458]


def test_prompt_and_continuations(data_dir):
    c = ctx(data_dir)
    sample = HS.load(c, "default")[0]
    requests = HS.requests(c, sample)
    assert {r.context for r in requests} == {"Roof shingle removal: A man is sitting on a roof. he"}
    assert [r.continuation for r in requests] == [" is using wrap to wrap a pair of skis.", " is ripping level tiles off.",
                                                  " is holding a rubik's cube.", " starts pulling up roofing on a roof."]
    assert sample.target == 3


def test_native_jsonl_is_preferred_and_gives_lm_eval_queries_and_few_shot(tmp_path):
    folder = tmp_path / "hellaswag"
    folder.mkdir()
    (folder / "hellaswag_val.jsonl").write_text(json.dumps(NATIVE) + "\n" + json.dumps(WIKIHOW) + "\n")
    (folder / "hellaswag_train.jsonl").write_text(json.dumps(WIKIHOW) + "\n")
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=HS.effective_args({"few_shot_num": 1}))
    first, second = HS.load(c, "default")
    assert first.data["query"] == ("Removing ice from car: Then, the man writes over the snow covering the window of "
                                   "a car, and a woman wearing winter clothes smiles. Then")
    # verbatim lm-eval: 3 spaces left by a removed tag become 2; a leading tag leaves a space
    assert second.data["query"] == "Home and Garden: How to grow basil. Pick a sunny spot.  Basil needs"
    assert second.data["choices"][0] == " six hours of sun." and second.target == 0
    assert HS.prompt(c, first) == second.data["query"] + "  six hours of sun.\n\n" + first.data["query"]


def test_few_shot_without_a_train_split_is_a_clear_error(data_dir):
    with pytest.raises(DataError, match="few-shot needs the train split .*hellaswag_train.jsonl.*use few_shot_num=0"):
        HS.load(ctx(data_dir, few_shot_num=10), "default")


@pytest.mark.parametrize("text,expected", [
    ("Tea: [header] How to make tea [title] Boil water.", "Tea: How to make tea. Boil water."),
    ("[header] How to", " How to"),  # lm-eval strips before removing tags
    ("  Fill the cup. [step] Wait  ", "Fill the cup. Wait"),
    ("See [www.example.org] now", "See now"),
    ("a   b", "a  b"),  # lm-eval replaces "  " once: not a full whitespace fold
])
def test_preprocess_matches_lm_eval(text, expected):
    assert preprocess(text) == expected


TOKENS = st.sampled_from(["[header]", "[title]", "[step]", "[substeps]", "[ citation needed ]", "word", "Two",
                          "end.", "x,", " ", ""])


@given(st.lists(TOKENS, max_size=12).map(" ".join))
def test_preprocess_properties(text):
    once = preprocess(text)
    assert not re.search(r"\[[^\]\n]*\]", once)  # no bracket tag survives
    assert " ".join(preprocess(once).split()) == " ".join(once.split())  # idempotent up to spacing
    words = [t for t in text.split() if not t.startswith("[") and not t.endswith("]") and t not in ("citation", "needed")]
    assert [w.rstrip(".") for w in once.replace(".", " ").split()] == [w.rstrip(".") for w in " ".join(words).replace(".", " ").split()]


def test_acc_and_acc_norm(data_dir):
    c = ctx(data_dir)
    sample = HS.load(c, "default")[0]  # ending lengths 37, 27, 26, 36; gold 3
    scored = HS.score(c, sample, [Loglikelihood(v, False) for v in (-9.0, -6.0, -6.5, -7.1)])
    assert scored.extracted == 1 and scored.scores == {"acc": 0.0, "acc_norm": 1.0}


def test_malformed_tasks_name_file_and_line(tmp_path, data_dir):
    folder = tmp_path / "hellaswag"
    folder.mkdir()
    with bz2.open(data_dir / "hellaswag" / "hellaswag_val_full.txt.bz2", "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")[:18]
    lines[7] = "7"  # task 1: label out of range
    lines = lines[:16]  # task 2 truncated to 4 lines
    path = folder / "hellaswag_val_full.txt.bz2"
    with bz2.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    samples = HS.load(ctx(tmp_path), "default")
    assert len(samples) == 3 and samples[0].error is None
    assert samples[1].error == f"{path}:7: malformed row: label must be 0-3, got '7'"
    assert samples[2].error == f"{path}:13: truncated task: 4 of 6 lines"


def test_shuffle_keeps_gold_and_moves_it(data_dir):
    plain = HS.load(ctx(data_dir), "default")[:40]
    shuffled = HS.load(ctx(data_dir, shuffle_choices=True), "default")[:40]
    assert all(p.data["choices"][p.target] == s.data["choices"][s.target] for p, s in zip(plain, shuffled))
    assert sum(p.target != s.target for p, s in zip(plain, shuffled)) > 10


def test_oracle_one_wrong_zero_and_shuffled_oracle_one(run_evals):
    for model, args, want in (("oracle", (), 1.0), ("wrong", (), 0.0),
                              ("oracle", ("--dataset-args", '{"hellaswag": {"shuffle_choices": true}}'), 1.0)):
        run = run_evals("--model", model, "--datasets", "hellaswag", "--limit", "3", *args)
        assert run.code == 0, run.out
        res = run.results["benchmarks"]["hellaswag"]
        assert res["n"] == 3 and res["metric"] == "acc_norm" and res["score"] == want
        assert res["metrics"]["acc"]["score"] == want
