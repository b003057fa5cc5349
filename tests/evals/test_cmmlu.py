"""CMMLU module: official prompt, 67 subjects in 5 categories, counts, generation mode, bad rows."""
import json
import shutil

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation, Loglikelihood
from tests.conftest import ROOT

CMMLU = import_benchmark(ROOT / "evals" / "cmmlu.py")


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=CMMLU.effective_args(args))


def test_full_test_counts_and_categories(data_dir):
    c = ctx(data_dir)
    subsets = CMMLU.subsets(c)
    assert subsets == sorted(p.stem for p in (data_dir / "cmmlu" / "data" / "test").glob("*.csv"))
    samples = [s for subset in subsets for s in CMMLU.load(c, subset)]
    assert len(samples) == 11582 and all(s.error is None for s in samples)
    sizes = {}
    first = {subset: CMMLU.load(c, subset)[0] for subset in subsets}
    for subset in subsets:
        for category in CMMLU.categories(c, first[subset]):
            sizes[category] = sizes.get(category, 0) + 1
    # subjects per category, counted from the official src/categories.py (haonan-li/CMMLU @ d6e7b716):
    # the 15 China-specific subjects also count in the category of their other subcategory
    assert sizes == {"STEM": 17, "Humanities": 13, "Social Science": 22, "Other": 15, "China specific": 15}
    assert CMMLU.categories(c, first["ancient_chinese"]) == ["Social Science", "China specific"]  # linguistics
    assert CMMLU.categories(c, first["chinese_driving_rule"]) == ["Other", "China specific"]
    assert CMMLU.categories(c, first["anatomy"]) == ["STEM"]


def test_prompt_is_the_official_five_shot_prompt(data_dir):
    c = ctx(data_dir)
    sample = CMMLU.load(c, "agronomy")[0]
    prompt = CMMLU.prompt(c, sample)
    assert prompt.startswith("以下是关于农学的单项选择题，请直接给出正确答案的选项。\n\n题目：肉牛屠宰后，胴体的哪个部位肉质较好"
                             "\nA. 胸\nB. 腹\nC. 大腿\nD. 小腿\n答案是：C\n\n题目：")
    assert prompt.count("题目：") == 6 and prompt.endswith(
        "题目：在农业生产中被当作极其重要的劳动对象发挥作用，最主要的不可替代的基本生产资料是\n"
        "A. 农业生产工具\nB. 土地\nC. 劳动力\nD. 资金\n答案是：")
    assert [r.continuation for r in CMMLU.requests(c, sample)] == ["A", "B", "C", "D"] and sample.target == "B"


def test_scoring_both_modes(data_dir):
    c = ctx(data_dir)
    sample = CMMLU.load(c, "agronomy")[0]  # gold B
    assert CMMLU.score(c, sample, [Loglikelihood(v, False) for v in (-3.0, -1.0, -2.0, -4.0)]).scores == {"acc": 1.0}
    g = ctx(data_dir, mode="generate")
    assert CMMLU.requests(g, sample)[0].oracle == "B"
    assert CMMLU.score(g, sample, [Generation("B")]).scores == {"acc": 1.0}
    assert CMMLU.score(g, sample, [Generation("(no answer)")]).scores == {"acc": 0.0}


def test_shuffle_remaps_the_gold_letter(data_dir):
    plain = CMMLU.load(ctx(data_dir), "arts")
    shuffled = CMMLU.load(ctx(data_dir, shuffle_choices=True), "arts")
    gold = lambda s: s.data["choices"]["ABCD".index(s.target)]  # noqa: E731
    assert [gold(s) for s in plain] == [gold(s) for s in shuffled]
    assert sum(p.target != s.target for p, s in zip(plain, shuffled)) > 50


def test_malformed_rows_name_file_and_line(tmp_path, data_dir):
    for split in ("dev", "test"):
        (tmp_path / "cmmlu" / "data" / split).mkdir(parents=True)
        shutil.copy(data_dir / "cmmlu" / "data" / split / "arts.csv", tmp_path / "cmmlu" / "data" / split)
    path = tmp_path / "cmmlu" / "data" / "test" / "arts.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "1,too,few\n"
    lines[3] = lines[3].rstrip().rsplit(",", 1)[0] + ",X\n"
    path.write_text("".join(lines), encoding="utf-8")
    samples = CMMLU.load(RunContext(dataset_dir=tmp_path, dataset_hub="local", args=CMMLU.effective_args({})), "arts")
    assert len(samples) == 160 and samples[0].error is None
    assert samples[1].error == f"{path}:3: expected 7 fields, got 3"
    assert samples[2].error == f"{path}:4: malformed row: answer must be one of A-D, got 'X'"


def test_oracle_one_wrong_zero_in_both_modes(run_evals):
    for model, mode, shuffle, want in (("oracle", "loglikelihood", False, 1.0), ("wrong", "loglikelihood", False, 0.0),
                                       ("oracle", "generate", True, 1.0), ("wrong", "generate", False, 0.0)):
        args = json.dumps({"cmmlu": {"mode": mode, "shuffle_choices": shuffle}})
        xdist = ("-n", "2") if model == "oracle" and not shuffle else ()  # categories travel from workers too
        run = run_evals("--model", model, "--datasets", "cmmlu", "--limit", "1", "--dataset-args", args, *xdist)
        assert run.code == 0, run.out
        res = run.results["benchmarks"]["cmmlu"]
        assert res["n"] == 67 and res["score"] == want and len(res["categories"]) == 5
        assert {k: v["n"] for k, v in res["categories"].items()} == {
            "STEM": 17, "Humanities": 13, "Social Science": 22, "Other": 15, "China specific": 15}


def test_every_gold_label_against_the_raw_files(data_dir):
    """Second reader (csv module) over all 11,582 test rows: the Answer column is the target."""
    import csv

    c = ctx(data_dir)
    n = 0
    for subset in CMMLU.subsets(c):
        with open(data_dir / "cmmlu" / "data" / "test" / f"{subset}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        samples = CMMLU.load(c, subset)
        assert [(r["Answer"], [r[k] for k in "ABCD"]) for r in rows] == [(s.target, s.data["choices"]) for s in samples]
        n += len(rows)
    assert n == 11582
