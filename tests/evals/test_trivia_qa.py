"""TriviaQA module: derived subsample and native rc/unfiltered JSON, prompts, EM/F1, bad rows."""
import json

import pytest
from hypothesis import given, strategies as st

from benchgate.benchmark import DataError, RunContext, Sample
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT

TQA = import_benchmark(ROOT / "evals" / "trivia_qa.py")


def native_item(qid, question, value, aliases):
    return {"Answer": {"Aliases": aliases, "MatchedWikiEntityName": value,
                       "NormalizedAliases": [a.lower() for a in aliases],
                       "NormalizedMatchedWikiEntityName": value.lower(),
                       "NormalizedValue": value.lower(), "Type": "WikipediaEntity", "Value": value},
            "EntityPages": [], "Question": question, "QuestionId": qid, "QuestionSource": "x",
            "SearchResults": []}


NATIVE = {"Data": [
    native_item("tc_1", "Which Lloyd Webber musical premiered in the US on 10th December 1993",
                "Sunset Boulevard", ["Sunset Blvd", "Sunset Boulevard", "West Sunset Boulevard"]),
    native_item("tc_2", "Who was the man behind The Chipmunks?", "David Seville",
                ["David Seville", "Ross Bagdasarian"]),
    native_item("tc_3", "In which country is the Mekong delta", "Vietnam",
                ["Viet Nam", "Vietnam", "Socialist Republic of Vietnam"]),
], "Domain": "Web", "Split": "dev", "Version": 1.0, "VerifiedEval": False}


@pytest.fixture
def native_dir(tmp_path):
    folder = tmp_path / "trivia_qa"
    folder.mkdir()
    (folder / "unfiltered-web-dev.json").write_text(json.dumps(NATIVE, indent=1))
    train = {**NATIVE, "Split": "train", "Data": [
        native_item("tr_1", "What is the capital of Australia?", "Canberra", ["Canberra"]),
        native_item("tr_2", "Which planet is closest to the Sun?", "Mercury", ["Mercury", "Planet Mercury"])]}
    (folder / "unfiltered-web-train.json").write_text(json.dumps(train, indent=1))
    return tmp_path


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=TQA.effective_args(args))


def test_derived_subsample_count_and_prompt(data_dir):
    c = ctx(data_dir)
    assert TQA.subsets(c) == ["sm_sub"]
    samples = TQA.load(c, "sm_sub")
    assert len(samples) == 3000 and all(s.error is None for s in samples)
    s = samples[1]
    assert TQA.prompt(c, s) == "Question: What type of animal is a dik-dik?\nAnswer:"
    (request,) = TQA.requests(c, s)
    assert request.stop == ("\n", ".", ",") and request.oracle == " Botswanan Antelopes"
    assert s.target == "Antelope" and "Antelopes" in s.data["aliases"]


def test_few_shot_from_the_same_file_never_shows_the_sample(data_dir):
    c = ctx(data_dir, few_shot_num=2)
    samples = TQA.load(c, "sm_sub")
    prompt = TQA.prompt(c, samples[0])
    assert prompt.count("Question: ") == 3 and prompt.count(samples[0].data["question"]) == 1
    assert prompt.startswith("Question: What type of animal is a dik-dik?\nAnswer: Antelope\n\n")
    later = TQA.prompt(c, samples[5])
    assert later.startswith("Question: Brunswick, Lancastrian and Pearl Pickler")
    r = ctx(data_dir, few_shot_num=3, few_shot_random=True)
    assert TQA.shots(r, samples[7]) == TQA.shots(r, samples[7])
    assert samples[7] not in TQA.shots(r, samples[7])


def test_native_format_lm_eval_prompt_and_train_shots(native_dir):
    c = ctx(native_dir, few_shot_num=1)
    assert TQA.subsets(c) == ["unfiltered-web-dev"]
    samples = TQA.load(c, "unfiltered-web-dev")
    assert [s.target for s in samples] == ["Sunset Boulevard", "David Seville", "Vietnam"]
    assert TQA.prompt(c, samples[2]) == ("Question: What is the capital of Australia??\nAnswer: Canberra\n\n"
                                         "Question: In which country is the Mekong delta?\nAnswer:")
    assert samples[0].data["aliases"][0] == "Sunset Boulevard"  # Value first, then the aliases


def test_native_file_via_path_arg(native_dir):
    path = native_dir / "trivia_qa" / "unfiltered-web-dev.json"
    c = RunContext(dataset_dir=None, dataset_hub="local", args=TQA.effective_args({"path": str(path)}))
    assert TQA.subsets(c) == ["unfiltered-web-dev"] and len(TQA.load(c, "unfiltered-web-dev")) == 3


@pytest.mark.parametrize("text,em,f1", [
    (" Vietnam", 1.0, 1.0), (" viet nam", 1.0, 1.0), (" The Socialist Republic of Vietnam!", 1.0, 1.0),
    ("  **Vietnam**\n", 1.0, 1.0), (" Vietnam today", 0.0, pytest.approx(2 / 3)), (" Laos", 0.0, 0.0),
])
def test_em_and_f1_over_all_aliases(native_dir, text, em, f1):
    c = ctx(native_dir)
    sample = TQA.load(c, "unfiltered-web-dev")[2]
    assert TQA.score(c, sample, [Generation(text)]).scores == {"em": em, "f1": f1}


@given(st.integers(0, 10**7), st.booleans(), st.sampled_from(["", "."]), st.booleans(),
       st.sampled_from(["", "$"]))
def test_number_answers_with_commas_dollars_period_and_bold(n, commas, period, bold, dollar):
    shown = f"{dollar}{n:,}" if commas else f"{dollar}{n}"
    shown = f"**{shown}**{period}" if bold else f"{shown}{period}"
    sample = Sample("trivia_qa", "x", 0, {"aliases": [str(n)]}, str(n))
    c = RunContext(dataset_dir=None, dataset_hub="local", args=TQA.effective_args({}))
    assert TQA.score(c, sample, [Generation(f" {shown}")]).scores == {"em": 1.0, "f1": 1.0}
    assert TQA.score(c, sample, [Generation(f" {n + 1}")]).scores["em"] == 0.0


def test_malformed_rows_name_file_and_line(tmp_path, native_dir):
    folder = tmp_path / "trivia_qa"
    lines = ['{"context": "Question: a?\\nAnswer:", "answer": "b", "aliases": ["b"]}',
             '{"context": "Question: a?\\nAnswer:", "answer": "b"}',
             '{"context": "no answer cue", "answer": "b", "aliases": ["b"]}',
             '{"context": "Question: a?\\nAnswer:", "answer": "b", "aliases": []}']
    (folder / "triviaqa_sm_sub.jsonl").write_text("\n".join(lines) + "\n")
    c = ctx(tmp_path)
    path = folder / "triviaqa_sm_sub.jsonl"
    samples = TQA.load(c, "sm_sub")
    assert samples[0].error is None
    assert samples[1].error == f"{path}:2: malformed row: missing field 'aliases'"
    assert samples[2].error == f"{path}:3: malformed row: context must be a string ending in 'Answer:'"
    assert samples[3].error == f"{path}:4: malformed row: aliases must be a non-empty list of strings"
    native = folder / "unfiltered-web-dev.json"
    doc = json.loads(native.read_text())
    del doc["Data"][1]["Answer"]
    native.write_text(json.dumps(doc, indent=1))
    bad = TQA.load(c, "unfiltered-web-dev")
    start = next(i for i, l in enumerate(native.read_text().splitlines(), 1) if '"tc_2"' in l)
    opening = max(i for i, l in enumerate(native.read_text().splitlines()[:start], 1) if l.strip() == "{")
    assert bad[1].error == f"{native}:{opening}: malformed row: missing field 'Answer'"
    native.write_text('{"Data": [\n{"Question": "x"},\n]}')
    with pytest.raises(DataError, match=rf"{native}:3: invalid JSON"):
        TQA.load(c, "unfiltered-web-dev")


def test_oracle_scores_one_and_wrong_scores_zero(run_evals, native_dir):
    oracle = run_evals("--model", "oracle", "--datasets", "trivia_qa", "--limit", "10")
    assert oracle.code == 0, oracle.out
    res = oracle.results["benchmarks"]["trivia_qa"]
    assert res["score"] == 1.0 and res["metrics"]["f1"]["score"] == 1.0 and res["n"] == 10
    native = ["--dataset-dir", str(native_dir), "--dataset-args", '{"trivia_qa": {"few_shot_num": 1}}']
    oracle_native = run_evals("--model", "oracle", "--datasets", "trivia_qa", *native)
    assert oracle_native.code == 0 and oracle_native.results["benchmarks"]["trivia_qa"]["score"] == 1.0
    wrong = run_evals("--model", "wrong", "--datasets", "trivia_qa", "--limit", "10")
    assert wrong.code == 0 and wrong.results["benchmarks"]["trivia_qa"]["score"] == 0.0
    assert wrong.results["benchmarks"]["trivia_qa"]["metrics"]["f1"]["score"] == 0.0
