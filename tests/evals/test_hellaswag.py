"""HellaSwag module: derived and native formats, lm-eval preprocessing, prompts 0- and 10-shot
checked against lm-eval itself, gold labels read a second time, bad rows."""
import bz2
import functools
import json
from collections import Counter
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


@pytest.fixture(scope="module")
def default(data_dir):
    """The default context and its 10,042 samples, loaded once for the tests that only read
    them (each load decompresses the whole bz2 file, ~0.5 s)."""
    c = ctx(data_dir)
    return c, HS.load(c, "default")


@functools.lru_cache(maxsize=None)
def _derived_lines(data_dir) -> tuple[str, ...]:
    """The lines of the derived file, decompressed once for the module's second readers."""
    with bz2.open(data_dir / "hellaswag" / "hellaswag_val_full.txt.bz2", "rt", encoding="utf-8") as f:
        return tuple(f.read().split("\n"))


def test_full_validation_count_from_the_derived_file(default):
    _, samples = default
    assert len(samples) == 10042 and all(s.error is None for s in samples)
    assert [sum(s.target == k for s in samples) for k in range(4)] == [2515, 2485, 2584, 2458]


def test_prompt_and_continuations(default):
    c, samples = default
    sample = samples[0]
    requests = HS.requests(c, sample)
    assert {r.context for r in requests} == {"Roof shingle removal: A man is sitting on a roof. he"}
    assert [r.continuation for r in requests] == [" is using wrap to wrap a pair of skis.", " is ripping level tiles off.",
                                                  " is holding a rubik's cube.", " starts pulling up roofing on a roof."]
    assert sample.target == 3


def test_native_jsonl_is_preferred_and_gives_lm_eval_queries_and_few_shot(tmp_path):
    folder = tmp_path / "hellaswag"
    folder.mkdir()
    (folder / "hellaswag_val.jsonl").write_text(json.dumps(NATIVE) + "\n" + json.dumps(WIKIHOW) + "\n")
    other = {**WIKIHOW, "ind": 9, "endings": ["[substeps] water it.", "b", "c", "d"]}
    (folder / "hellaswag_train.jsonl").write_text(json.dumps(WIKIHOW) + "\n" + json.dumps(other) + "\n")
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=HS.effective_args({"few_shot_num": 1}))
    first, second = HS.load(c, "default")
    assert first.data["query"] == ("Removing ice from car: Then, the man writes over the snow covering the window of "
                                   "a car, and a woman wearing winter clothes smiles. Then")
    # verbatim lm-eval: 3 spaces left by a removed tag become 2; a leading tag leaves a space
    assert second.data["query"] == "Home and Garden: How to grow basil. Pick a sunny spot.  Basil needs"
    assert second.data["choices"][0] == " six hours of sun." and second.target == 0
    # lm-eval's draw for doc 0: random.Random(1234).sample(range(2), 2) == [1, 0], keep the first
    assert HS.prompt(c, first) == second.data["query"] + "  water it.\n\n" + first.data["query"]
    (folder / "hellaswag_train.jsonl").write_text(json.dumps(WIKIHOW) + "\n")  # lm-eval draws n+1 = 2
    with pytest.raises(DataError, match="few_shot_num=1 needs 2 few-shot examples"):
        HS.prompt(RunContext(dataset_dir=tmp_path, dataset_hub="local", args=HS.effective_args({"few_shot_num": 1})), first)


def _native_rows(data_dir, n=None):
    """A second reader of the derived file (bz2, 6 lines a task) into lm-eval's hub schema: the
    derived context line is "activity_label: ctx" with the tags already removed, so it becomes
    activity_label + ctx_a, ctx_b empty (lm-eval's query is then the same line, preprocessed)."""
    lines = _derived_lines(data_dir)
    rows = []
    for start in range(0, (n or 10042) * 6, 6):
        label, _, rest = lines[start].partition(": ")
        rows.append({"ind": start // 6, "activity_label": label, "ctx_a": rest, "ctx_b": "", "ctx": lines[start],
                     "endings": lines[start + 2:start + 6], "label": lines[start + 1], "source_id": "x",
                     "split": "val", "split_type": "indomain"})
    return rows


def test_golden_zero_shot_prompts_match_lm_eval(data_dir, default):
    """lm-eval's hellaswag task (its YAML and utils.process_docs) over the local rows: the same
    context, continuations and gold for 40 items."""
    from tests.evals._lm_eval_reference import benchgate_requests, lm_eval_requests, lm_eval_task

    rows = _native_rows(data_dir, 40)
    task = lm_eval_task("hellaswag/hellaswag.yaml", {"validation": rows, "train": rows[:1]})
    reference = lm_eval_requests(task, limit=40)
    c, samples = default
    for sample in samples[:40]:
        assert benchgate_requests(HS.requests(c, sample)) == reference[sample.index], sample.id
        assert task.doc_to_target(task.validation_docs()[sample.index]) == sample.target


@pytest.mark.parametrize("pool", ["disjoint", "contains_eval_docs", "duplicates"])
def test_golden_ten_shot_draws_match_lm_eval(tmp_path, data_dir, pool):
    """The leaderboard's 10-shot setup on native files: lm-eval (no test split, so its sampler
    sees the eval doc: 11 drawn, the eval doc dropped, a redraw when too few are left) and
    benchgate give the same contexts for 30 items. "contains_eval_docs" puts every eval item in
    the train pool, "duplicates" twice, so the drop and the redraw both happen."""
    from tests.evals._lm_eval_reference import benchgate_requests, lm_eval_requests, lm_eval_task

    rows = _native_rows(data_dir, 300)
    val = rows[:30]
    train = {"disjoint": rows[30:], "contains_eval_docs": rows[:60], "duplicates": val + val + rows[30:35]}[pool]
    folder = tmp_path / "hellaswag"
    folder.mkdir()
    for name, part in (("val", val), ("train", train)):
        (folder / f"hellaswag_{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part))
    task = lm_eval_task("hellaswag/hellaswag.yaml", {"validation": val, "train": train}, num_fewshot=10)
    reference = lm_eval_requests(task, limit=30)
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=HS.effective_args({"few_shot_num": 10}))
    samples = HS.load(c, "default")
    for sample in samples:
        assert benchgate_requests(HS.requests(c, sample)) == reference[sample.index], sample.id
    # which paths the draws took: calls per item = 11 when only the n+1 draw was checked,
    # more when lm-eval's redraw from the pool without the eval doc happened
    calls, hits = Counter(), Counter()

    def same(d, i):
        calls[d] += 1
        hits[d] += train[i] == val[d]
        return train[i] == val[d]

    sys.modules["benchgate.benchmark"].lm_eval_draws(len(train), 10, 30, is_eval_doc=same)
    assert (sum(hits.values()) > 0) == (pool != "disjoint")
    assert any(n > 11 for n in calls.values()) == (pool == "duplicates")


def test_every_gold_label_against_the_raw_file(data_dir, default):
    """Second reader over all 10,042 items: the gold ending (line 2 of each task) is the
    choice the sample's target points at, after lm-eval's preprocessing."""
    rows = _native_rows(data_dir)
    _, samples = default
    assert len(rows) == len(samples) == 10042
    for row, sample in zip(rows, samples):
        assert sample.target == int(row["label"])
        assert sample.data["choices"][sample.target] == preprocess(row["endings"][int(row["label"])])


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


def test_acc_and_acc_norm(default):
    c, samples = default
    sample = samples[0]  # ending lengths 37, 27, 26, 36; gold 3
    scored = HS.score(c, sample, [Loglikelihood(v, False) for v in (-9.0, -6.0, -6.5, -7.1)])
    assert scored.extracted == 1 and scored.scores == {"acc": 0.0, "acc_norm": 1.0}


def test_malformed_tasks_name_file_and_line(tmp_path, data_dir):
    folder = tmp_path / "hellaswag"
    folder.mkdir()
    lines = list(_derived_lines(data_dir)[:18])
    lines[7] = "7"  # task 1: label out of range
    lines = lines[:16]  # task 2 truncated to 4 lines
    path = folder / "hellaswag_val_full.txt.bz2"
    with bz2.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    samples = HS.load(ctx(tmp_path), "default")
    assert len(samples) == 3 and samples[0].error is None
    assert samples[1].error == f"{path}:7: malformed row: label must be 0-3, got '7'"
    assert samples[2].error == f"{path}:13: truncated task: 4 of 6 lines"


def test_shuffle_keeps_gold_and_moves_it(data_dir, default):
    plain = default[1][:40]
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
