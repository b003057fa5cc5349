"""MMLU module: the lm-evaluation-harness prompt (checked against lm-eval itself), real-data
counts, every gold label read a second time, scoring, bad rows."""
import csv
import shutil

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation, Loglikelihood
from tests.conftest import ROOT

MMLU = import_benchmark(ROOT / "evals" / "mmlu.py")


def ctx(data_dir, **args):
    return RunContext(dataset_dir=data_dir, dataset_hub="local", args=MMLU.effective_args(args))


def test_full_test_split_counts(data_dir):
    c = ctx(data_dir)
    subsets = MMLU.subsets(c)
    assert len(subsets) == 57
    assert sum(len(MMLU.load(c, s)) for s in subsets) == 14042
    cats = {MMLU.category(c, s) for s in subsets}
    assert cats == {"STEM", "Humanities", "Social Sciences", "Other"}


def test_prompt_is_lm_eval_mmlu_five_shot(data_dir):
    c = ctx(data_dir)
    sample = MMLU.load(c, "abstract_algebra")[0]
    prompt = MMLU.prompt(c, sample)
    assert prompt.startswith("The following are multiple choice questions (with answers) about "
                             "abstract algebra.\n\nFind all c in Z_3 such that Z_3[x]/(x^2 + c) is a "
                             "field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n")
    assert prompt.count("\nAnswer:") == 6 and prompt.endswith(
        "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q."
        "\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:")
    requests = MMLU.requests(c, sample)
    assert [r.continuation for r in requests] == [" A", " B", " C", " D"]
    assert {r.context for r in requests} == {prompt}


def test_zero_shot_and_random_shots(data_dir):
    sample = MMLU.load(ctx(data_dir), "anatomy")[3]
    zero = MMLU.prompt(ctx(data_dir, few_shot_num=0), sample)
    assert zero.count("Answer:") == 1
    c = ctx(data_dir, few_shot_num=3, few_shot_random=True)
    shots = MMLU.shots(c, sample)
    assert len(shots) == 3 and shots == MMLU.shots(c, sample)  # seeded: reproducible


def test_scoring_loglikelihood_and_generation(data_dir):
    c = ctx(data_dir)
    sample = MMLU.load(c, "abstract_algebra")[0]  # test row 1 of the CSV ends ",B": gold B
    assert sample.target == "B"
    picks_b = [Loglikelihood(v, False) for v in (-3.0, -1.0, -2.0, -4.0)]  # argmax: the 2nd, B
    picks_c = [Loglikelihood(v, False) for v in (-3.0, -2.0, -1.0, -4.0)]
    assert MMLU.score(c, sample, picks_b).extracted == "B" and MMLU.score(c, sample, picks_b).scores == {"acc": 1.0}
    assert MMLU.score(c, sample, picks_c).extracted == "C" and MMLU.score(c, sample, picks_c).scores == {"acc": 0.0}
    g = ctx(data_dir, mode="generate")
    assert MMLU.score(g, sample, [Generation("The answer is (B).")]).scores == {"acc": 1.0}
    assert MMLU.score(g, sample, [Generation("The answer is (D).")]).scores == {"acc": 0.0}
    assert MMLU.score(g, sample, [Generation("I do not know")]).scores == {"acc": 0.0}


def _hub_rows(path, subject):
    """A second reader of the headerless CSV into cais/mmlu's schema (question, subject, choices, answer)."""
    with open(path, newline="", encoding="utf-8") as f:
        return [{"question": r[0], "subject": subject, "choices": r[1:5], "answer": "ABCD".index(r[5])}
                for r in csv.reader(f)]


def test_golden_prompts_match_lm_eval(data_dir):
    """lm-eval's mmlu task YAMLs (num_fewshot 5, as the Open LLM Leaderboard runs it; first_n
    from dev) over the local rows: the same context and continuations for 6 questions in each of
    5 subjects (30), and the same gold index."""
    from tests.evals._lm_eval_reference import benchgate_requests, lm_eval_requests, lm_eval_task

    c = ctx(data_dir)
    for subject in ("abstract_algebra", "high_school_us_history", "moral_scenarios", "professional_law", "virology"):
        data = data_dir / "mmlu" / "data"
        test = _hub_rows(data / "test" / f"{subject}_test.csv", subject)
        dev = _hub_rows(data / "dev" / f"{subject}_dev.csv", subject)
        task = lm_eval_task(f"mmlu/default/mmlu_{subject}.yaml", {"test": test, "dev": dev}, num_fewshot=5)
        reference = lm_eval_requests(task, limit=6)
        for sample in MMLU.load(c, subject)[:6]:
            assert benchgate_requests(MMLU.requests(c, sample)) == reference[sample.index], sample.id
            assert "ABCD"[task.doc_to_target(test[sample.index])] == sample.target


def test_every_gold_label_against_the_raw_files(data_dir):
    """Second reader over all 14,042 test rows: the last CSV field is the sample's target."""
    c = ctx(data_dir)
    n = 0
    for subject in MMLU.subsets(c):
        rows = _hub_rows(data_dir / "mmlu" / "data" / "test" / f"{subject}_test.csv", subject)
        samples = MMLU.load(c, subject)
        assert [("ABCD"[r["answer"]], r["choices"]) for r in rows] == [(s.target, s.data["choices"]) for s in samples]
        n += len(rows)
    assert n == 14042


def test_bad_dataset_args_are_named():
    with pytest.raises(ValueError, match="unknown key 'fewshot'.*few_shot_num"):
        MMLU.effective_args({"fewshot": 1})
    with pytest.raises(ValueError, match="mode must be one of"):
        MMLU.effective_args({"mode": "chat"})


def test_malformed_row_becomes_a_sample_error_naming_file_and_line(tmp_path, data_dir):
    root = tmp_path / "mmlu" / "data"
    for split in ("dev", "test"):
        (root / split).mkdir(parents=True)
        shutil.copy(data_dir / "mmlu" / "data" / split / f"anatomy_{split}.csv", root / split)
    path = root / "test" / "anatomy_test.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "only,three,fields\n"
    lines[4] = lines[4].rstrip().rsplit(",", 1)[0] + ",E\n"
    path.write_text("".join(lines), encoding="utf-8")
    c = RunContext(dataset_dir=tmp_path, dataset_hub="local", args=MMLU.effective_args({}))
    samples = MMLU.load(c, "anatomy")
    assert len(samples) == 135
    assert samples[2].error == f"{path}:3: expected 6 fields, got 3"
    assert samples[4].error == f"{path}:5: malformed row: answer must be one of A-D, got 'E'"
    assert samples[3].error is None


def test_mmlu_from_a_hub_has_the_same_category_table_as_the_local_data(data_dir):
    """The hubs carry no categories.yaml: a hub run must still get every subject's category
    (the leaderboard's WeightedAvg by category), the same as the local data's table (read
    here straight from the YAML file: Hendrycks et al.'s categories)."""
    import yaml

    table = yaml.safe_load((data_dir / "mmlu" / "categories.yaml").read_text())["subjects"]
    names = {"STEM": "STEM", "humanities": "Humanities", "social sciences": "Social Sciences",
             "other (business, health, misc.)": "Other"}
    for hub in ("modelscope", "huggingface"):
        hub_ctx = RunContext(dataset_dir=None, dataset_hub=hub, args=MMLU.effective_args({}))
        subjects = MMLU.subsets(hub_ctx)
        assert len(subjects) == 57 and set(subjects) == set(table)
        assert {s: MMLU.category(hub_ctx, s) for s in subjects} == \
            {s: names[v["category"]] for s, v in table.items()}
