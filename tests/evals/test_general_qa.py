"""General QA module: the user's JSONL/CSV, prompts with system/history, BLEU/ROUGE, bad rows."""
import pytest

from benchgate.benchmark import DataError, RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT

GQA = import_benchmark(ROOT / "evals" / "general_qa.py")
FIXTURES = ROOT / "tests" / "fixtures"


def ctx(dataset_dir=FIXTURES, chat=False, **args):
    return RunContext(dataset_dir=dataset_dir, dataset_hub="local", args=GQA.effective_args(args), chat=chat)


def test_folder_subsets_one_per_file():
    c = ctx()
    assert GQA.subsets(c) == ["qa_en", "qa_zh"]
    en, zh = GQA.load(c, "qa_en"), GQA.load(c, "qa_zh")
    assert len(en) == 4 and len(zh) == 3 and all(s.error is None for s in en + zh)
    assert en[2].data["question"] == "And its largest moon?" and en[2].target.startswith("Phobos")
    assert zh[1].data["system"] == "你是一个乐于助人的助手。" and zh[0].data["system"] is None


def test_path_arg_takes_a_file_or_a_folder_and_no_data_is_a_clear_error(tmp_path):
    one = ctx(dataset_dir=None, path=str(FIXTURES / "general_qa" / "qa_zh.csv"))
    assert GQA.subsets(one) == ["qa_zh"]
    assert GQA.subsets(ctx(dataset_dir=None, path=str(FIXTURES / "general_qa"))) == ["qa_en", "qa_zh"]
    with pytest.raises(DataError, match="general_qa: no data: pass --dataset-args"):
        GQA.subsets(ctx(dataset_dir=tmp_path))
    with pytest.raises(DataError, match="path .*nope.jsonl not found"):
        GQA.subsets(ctx(dataset_dir=None, path=str(tmp_path / "nope.jsonl")))


def test_prompts_plain_and_chat():
    en = GQA.load(ctx(), "qa_en")
    assert GQA.prompt(ctx(), en[0]) == "What is the capital of France?"
    assert GQA.prompt(ctx(), en[1]) == ("You are a concise assistant.\n\n"
                                        "Which planet is known as the red planet?")
    assert GQA.prompt(ctx(chat=True), en[2]) == (
        {"role": "user", "content": "Which planet is known as the red planet?"},
        {"role": "assistant", "content": "Mars."},
        {"role": "user", "content": "And its largest moon?"})
    assert GQA.prompt(ctx(), en[3]).startswith("Let us talk about colours.\n\nSure.\n\nName a")
    (request,) = GQA.requests(ctx(), en[0])
    assert request.oracle == en[0].target


def test_scores_bleu_and_rouge_on_a_0_to_1_scale_with_chinese_segmented():
    c = ctx()
    zh = GQA.load(c, "qa_zh")[0]  # 北京是中国的首都。
    exact = GQA.score(c, zh, [Generation("北京是中国的首都。")]).scores
    assert set(exact) == {"bleu-1", "bleu-2", "bleu-3", "bleu-4", *(f"rouge-{n}-{m}" for n in "12l" for m in "prf")}
    assert all(v == 1.0 for v in exact.values())
    partial = GQA.score(c, zh, [Generation("中国的首都是北京。")]).scores
    assert 0 < partial["rouge-1-f"] <= 1 and partial["rouge-l-f"] < 1 and 0 < partial["bleu-1"] < 1.0 + 1e-12
    empty = GQA.score(c, zh, [Generation("")]).scores
    assert empty["rouge-l-f"] == 0.0 and empty["bleu-1"] == 0.0


def test_malformed_rows_name_file_and_line(tmp_path):
    folder = tmp_path / "general_qa"
    folder.mkdir()
    (folder / "mine.jsonl").write_text(
        '{"question": "q", "answer": "a"}\n{"question": "q"}\n{bad\n'
        '{"question": "q", "answer": "a", "history": "not a list"}\n'
        '{"question": "q", "answer": "a", "history": [["only one"]]}\n')
    (folder / "mine_csv.csv").write_text('question,answer\nq,a\n"q2","a2","extra"\n,"a3"\n')
    c = ctx(dataset_dir=tmp_path)
    js = GQA.load(c, "mine")
    p = folder / "mine.jsonl"
    assert js[0].error is None
    assert js[1].error == f"{p}:2: malformed row: missing field: one of 'answer', 'response'"
    assert js[2].error.startswith(f"{p}:3: invalid JSON")
    assert js[3].error.startswith(f"{p}:4: malformed row: ")
    assert js[4].error == (f"{p}:5: malformed row: history items must be [question, answer] pairs "
                           "or {role, content} messages")
    cs = GQA.load(c, "mine_csv")
    q = folder / "mine_csv.csv"
    assert cs[0].error is None and cs[0].data["question"] == "q"
    assert cs[1].error == f"{q}:3: expected 2 fields, got 3"
    assert cs[2].error == f"{q}:4: malformed row: field 'question' must be a non-empty string"


def test_oracle_scores_one_and_wrong_scores_zero(run_evals):
    base = ("--datasets", "general_qa", "--dataset-dir", str(FIXTURES))
    oracle = run_evals("--model", "oracle", *base)
    assert oracle.code == 0, oracle.out
    res = oracle.results["benchmarks"]["general_qa"]
    assert res["n"] == 7 and res["metric"] == "rouge-l-f"
    assert {m: b["score"] for m, b in res["metrics"].items()} == {m: 1.0 for m in res["metrics"]}
    path = '{"general_qa": {"path": "%s"}}' % (FIXTURES / "general_qa" / "qa_en.jsonl")
    wrong = run_evals("--model", "wrong", "--datasets", "general_qa", "--dataset-args", path)
    assert wrong.code == 0, wrong.out
    res = wrong.results["benchmarks"]["general_qa"]
    assert res["n"] == 4 and all(b["score"] == 0.0 for b in res["metrics"].values())


def test_metrics_arg_picks_named_metrics_and_the_primary_score():
    c = ctx(metrics=["em", "keyword_recall"])
    first = GQA.load(c, "qa_en")[0]  # "Paris is the capital of France." (tests/fixtures)
    scored = GQA.score(c, first, [Generation(" Paris is the capital of France. ")]).scores
    assert scored == {"em": 1.0, "keyword_recall": 1.0}
    assert GQA.metric(c) == "em" and GQA.metric(ctx()) == "rouge-l-f"
    assert GQA.metric(ctx(metrics=["bleu", "rouge"])) == "rouge-l-f"
    assert GQA.metric(ctx(metrics=["bleu"], primary="bleu-1")) == "bleu-1"
    with pytest.raises(ValueError, match="primary score 'nope' is not among"):
        GQA.score(ctx(metrics=["em"], primary="nope"), first, [Generation("x")])


def test_metrics_arg_errors_name_the_option():
    with pytest.raises(ValueError, match="general_qa metrics: unknown metric 'nope'"):
        ctx(metrics=["rouge", "nope"])
    with pytest.raises(ValueError, match="general_qa metrics must be list or null, got .rouge."):
        ctx(metrics="rouge")
