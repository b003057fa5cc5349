"""C-Eval module: official prompt, 52-subject mapping, counts, generation mode, bad rows."""
import json
import shutil

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation, Loglikelihood
from tests.conftest import ROOT

CEVAL = import_benchmark(ROOT / "evals" / "ceval.py")


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=CEVAL.effective_args(args))


def test_full_val_counts_and_categories(data_dir):
    c = ctx(data_dir)
    subsets = CEVAL.subsets(c)
    assert len(subsets) == 52
    samples = [s for subset in subsets for s in CEVAL.load(c, subset)]
    assert len(samples) == 1346 and all(s.error is None for s in samples)
    sizes = {}
    for subset in subsets:
        sizes[CEVAL.category(c, subset)] = sizes.get(CEVAL.category(c, subset), 0) + 1
    assert sizes == {"STEM": 20, "Social Science": 10, "Humanities": 11, "Other": 11}
    assert sum(len(CEVAL.fewshot_pool(c, s)) for s in subsets) == 260


def test_mapping_equals_the_official_subject_mapping(data_dir):
    official = json.loads((data_dir / "ceval" / "subject_mapping.json").read_text(encoding="utf-8"))
    module = __import__("sys").modules[type(CEVAL).__module__]
    assert {s: [zh, module.CATEGORY[s]] for s, zh in module.NAME_ZH.items()} == {s: v[1:] for s, v in official.items()}


def test_prompt_is_the_official_five_shot_answer_only_prompt(data_dir):
    c = ctx(data_dir)
    sample = CEVAL.load(c, "accountant")[0]
    prompt = CEVAL.prompt(c, sample)
    assert prompt.startswith("以下是中国关于注册会计师考试的单项选择题，请选出其中的正确答案。\n\n甲公司是国内一家上市公司。")
    assert "\nA. 增量预算\nB. 零基预算\nC. 固定预算\nD. 弹性预算\n答案：B\n\n债务人转让全部合同义务的" in prompt
    assert prompt.count("\n答案：") == 6 and prompt.endswith(
        "D. 税务机关按法定程序依法征税，可以自由做出减征、停征或免征税款的决定\n答案：")
    requests = CEVAL.requests(c, sample)
    assert [r.continuation for r in requests] == ["A", "B", "C", "D"] and sample.target == "D"
    assert CEVAL.prompt(ctx(data_dir, few_shot_num=0), sample).count("答案：") == 1


def test_scoring_both_modes(data_dir):
    c = ctx(data_dir)
    sample = CEVAL.load(c, "accountant")[0]  # gold D
    lls = [Loglikelihood(v, False) for v in (-3.0, -2.0, -4.0, -1.0)]
    assert CEVAL.score(c, sample, lls).scores == {"acc": 1.0}
    g = ctx(data_dir, mode="generate")
    (request,) = CEVAL.requests(g, sample)
    assert request.prompt.endswith("答案：") and request.oracle == "D"
    assert CEVAL.score(g, sample, [Generation("D")]).scores == {"acc": 1.0}
    assert CEVAL.score(g, sample, [Generation("答案是 (D)。")]).extracted == "D"
    assert CEVAL.score(g, sample, [Generation("B. 不对")]).scores == {"acc": 0.0}


def test_shuffle_remaps_the_gold_letter(data_dir):
    plain = [s for sub in ("accountant", "law") for s in CEVAL.load(ctx(data_dir), sub)]
    shuffled = [s for sub in ("accountant", "law") for s in CEVAL.load(ctx(data_dir, shuffle_choices=True), sub)]
    gold = lambda s: s.data["choices"]["ABCD".index(s.target)]  # noqa: E731
    assert [gold(s) for s in plain] == [gold(s) for s in shuffled]
    assert sum(p.target != s.target for p, s in zip(plain, shuffled)) > 20


def test_malformed_rows_name_file_and_line(tmp_path, data_dir):
    for split in ("dev", "val"):
        (tmp_path / "ceval" / split).mkdir(parents=True)
        shutil.copy(data_dir / "ceval" / split / f"law_{split}.csv", tmp_path / "ceval" / split)
    path = tmp_path / "ceval" / "val" / "law_val.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "1,only,four,fields\r\n"
    lines[3] = lines[3].rstrip().rsplit(",", 1)[0] + ",E\r\n"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    samples = CEVAL.load(RunContext(dataset_dir=tmp_path, dataset_hub="local", args=CEVAL.effective_args({})), "law")
    assert len(samples) == 24 and samples[0].error is None
    assert samples[1].error == f"{path}:3: expected 7 fields, got 4"
    assert samples[2].error == f"{path}:4: malformed row: answer must be one of A-D, got 'E'"


def test_oracle_one_wrong_zero_in_both_modes(run_evals):
    for model, mode, shuffle, want in (("oracle", "loglikelihood", False, 1.0), ("wrong", "loglikelihood", False, 0.0),
                                       ("oracle", "generate", True, 1.0), ("wrong", "generate", False, 0.0)):
        args = json.dumps({"ceval": {"mode": mode, "shuffle_choices": shuffle}})
        run = run_evals("--model", model, "--datasets", "ceval", "--limit", "1", "--dataset-args", args)
        assert run.code == 0, run.out
        res = run.results["benchmarks"]["ceval"]
        assert res["n"] == 52 and res["score"] == want
        assert set(res["categories"]) == {"STEM", "Social Science", "Humanities", "Other"}


def test_every_gold_label_against_the_raw_files(data_dir):
    """Second reader (csv module) over all 1,346 val rows: the answer column is the target."""
    import csv

    c = ctx(data_dir)
    n = 0
    for subset in CEVAL.subsets(c):
        with open(data_dir / "ceval" / "val" / f"{subset}_val.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        samples = CEVAL.load(c, subset)
        assert [(r["answer"], [r[k] for k in "ABCD"]) for r in rows] == [(s.target, s.data["choices"]) for s in samples]
        n += len(rows)
    assert n == 1346
