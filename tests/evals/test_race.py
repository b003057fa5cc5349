"""RACE module on a small fixture in the official per-passage JSON layout, plus the hub grouping."""
import json
import shutil
import sys

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Loglikelihood
from tests.conftest import ROOT

RACE = import_benchmark(ROOT / "evals" / "race.py")
module = sys.modules[type(RACE).__module__]
FIXTURES = ROOT / "tests" / "fixtures"


def ctx(data_dir=FIXTURES, hub="local", **args):
    return RunContext(dataset_dir=data_dir, dataset_hub=hub, args=RACE.effective_args(args))


def test_counts_per_passage_and_per_question():
    assert {s: len(RACE.load(ctx(), s)) for s in RACE.subsets(ctx())} == {"high": 3, "middle": 2}
    assert {s: len(RACE.load(ctx(all_questions=True), s)) for s in ("high", "middle")} == {"high": 6, "middle": 3}
    # natural file order: 1.txt, 2.txt, 10.txt
    assert [s.data["passage"] for s in RACE.load(ctx(), "high")] == ["high1.txt", "high2.txt", "high10.txt"]


def test_prompt_is_lm_eval_race_with_earlier_questions_answered():
    c = ctx()
    sample = RACE.load(c, "high")[0]
    prompt = RACE.prompt(c, sample)
    assert prompt.startswith("Article: Maria grew up in a small fishing town on the coast.")
    assert prompt.endswith("older ships.\n\nQuestion: Why did Maria study marine engineering?\n"
                           "Answer: To design boats that could survive storms.\n"
                           "Maria helped her father mend the nets\n"  # '  _  .' question: last 5 chars cut
                           "What is the best title for the passage?")
    requests = RACE.requests(c, sample)
    assert [r.continuation for r in requests][-1] == " A Dream Built from a Storm" and sample.target == 3
    first = RACE.load(ctx(all_questions=True), "high")[0]
    assert RACE.prompt(c, first).endswith("older ships.\n\nWhy did Maria study marine engineering?")


def _synthetic_passages(folder, n=24):
    """n passages in the official layout, with 1-4 questions each, every other earlier question
    a '  _  .' fill-in (the branch lm-eval handles specially)."""
    folder.mkdir(parents=True)
    for k in range(n):
        count = 1 + k % 4
        questions = [f"Passage {k} question {i} goes  _  ." if (i + k) % 2 else f"What is fact {i} of passage {k}?"
                     for i in range(count)]
        options = [[f"option {k}.{i}.{j}" for j in range(4)] for i in range(count)]
        answers = ["ABCD"[(k + i) % 4] for i in range(count)]
        row = {"answers": answers, "options": options, "questions": questions,
               "article": f"Article number {k}. It has  two spaces and a line\nbreak.", "id": f"high{k + 1}.txt"}
        (folder / f"{k + 1}.txt").write_text(json.dumps(row))


def test_golden_prompts_match_lm_eval(tmp_path):
    """lm-eval's own race task (v3.0: its YAML and preprocess_race.doc_to_text / doc_to_choice /
    doc_to_target) over the fixture passages and 24 synthetic ones, read here with json into
    EleutherAI/race's schema (article, problems as a Python literal string)."""
    from tests.evals._lm_eval_reference import benchgate_requests, lm_eval_requests, lm_eval_task

    _synthetic_passages(tmp_path / "race" / "test" / "high")
    shutil.copytree(FIXTURES / "race" / "test" / "middle", tmp_path / "race" / "test" / "middle")
    for subset in ("high", "middle"):
        files = sorted((tmp_path / "race" / "test" / subset).glob("*.txt"), key=lambda p: int(p.stem))
        docs = []
        for path in files:
            row = json.loads(path.read_text())
            problems = [{"answer": a, "options": o, "question": q}
                        for q, o, a in zip(row["questions"], row["options"], row["answers"])]
            docs.append({"example_id": row["id"], "article": row["article"], "problems": repr(problems)})
        task = lm_eval_task("race/race.yaml", {"test": docs})
        reference = lm_eval_requests(task, limit=len(docs))
        c = ctx(tmp_path)
        samples = RACE.load(c, subset)
        assert len(samples) == len(docs) == len(reference)
        for sample in samples:
            assert benchgate_requests(RACE.requests(c, sample)) == reference[sample.index], sample.id
            assert task.doc_to_target(docs[sample.index]) == sample.target


def test_every_gold_label_against_the_raw_files():
    """Second reader: the gold option of each passage's last question, straight from the JSON."""
    for subset in ("high", "middle"):
        samples = RACE.load(ctx(all_questions=True), subset)
        files = sorted((FIXTURES / "race" / "test" / subset).glob("*.txt"), key=lambda p: int(p.stem))
        raw = [(q, o, a) for path in files for q, o, a in zip(*(json.loads(path.read_text())[k]
                                                                  for k in ("questions", "options", "answers")))]
        assert [(s.data["question"], s.data["choices"][s.target]) for s in samples] == \
            [(q, o["ABCD".index(a)]) for q, o, a in raw]


def test_scoring():
    c = ctx()
    sample = RACE.load(c, "middle")[0]  # gold C
    lls = [Loglikelihood(v, False) for v in (-5.0, -4.0, -1.0, -3.0)]
    assert RACE.score(c, sample, lls).scores == {"acc": 1.0}
    assert RACE.score(c, sample, lls[::-1]).scores == {"acc": 0.0}


def test_hub_rows_are_grouped_by_passage(monkeypatch):
    rows = [{"example_id": "high7.txt", "article": "A.", "answer": "A", "question": f"q{i}?",
             "options": ["w", "x", "y", "z"]} for i in range(3)]
    rows.append({"example_id": "high8.txt", "article": "B.", "answer": "D", "question": "r?", "options": ["1", "2", "3", "4"]})
    monkeypatch.setattr(module, "load_hub_split", lambda hub, dataset_id, subset, split: rows)
    samples = RACE.load(ctx(hub="huggingface"), "high")
    assert [(s.data["passage"], s.data["question"], s.target, s.source) for s in samples] == [
        ("high7.txt", "q2?", 0, "ehovy/race[high/test]#0"), ("high8.txt", "r?", 3, "ehovy/race[high/test]#3")]
    assert [q["question"] for q in samples[0].data["previous"]] == ["q0?", "q1?"]


def test_malformed_passages_name_file_and_line(tmp_path):
    shutil.copytree(FIXTURES / "race", tmp_path / "race")
    folder = tmp_path / "race" / "test" / "high"
    (folder / "2.txt").write_text('{"article": "x",\n "questions": [}')
    bad = json.loads((folder / "10.txt").read_text())
    bad["answers"] = ["E"]
    (folder / "10.txt").write_text(json.dumps(bad))
    samples = RACE.load(ctx(tmp_path, all_questions=True), "high")
    assert [s.error for s in samples[:3]] == [None, None, None] and len(samples) == 5
    assert samples[3].error == f"{folder / '2.txt'}:2: invalid JSON: Expecting value"
    assert samples[4].error == (f"{folder / '10.txt'}:1: malformed row: question 0: need 4 options and an answer A-D, "
                                f"got 4 options, answer 'E'")


def test_shuffle_keeps_the_gold_text():
    plain = RACE.load(ctx(all_questions=True), "high")
    shuffled = RACE.load(ctx(all_questions=True, shuffle_choices=True), "high")
    assert [p.data["choices"][p.target] for p in plain] == [s.data["choices"][s.target] for s in shuffled]
    assert any(p.target != s.target for p, s in zip(plain, shuffled))


def test_oracle_one_wrong_zero(run_evals):
    for model, args, n, want in (("oracle", {}, 5, 1.0), ("wrong", {}, 5, 0.0),
                                 ("oracle", {"shuffle_choices": True, "all_questions": True}, 9, 1.0)):
        run = run_evals("--model", model, "--datasets", "race", "--dataset-dir", str(FIXTURES),
                        "--dataset-args", json.dumps({"race": args}))
        assert run.code == 0, run.out
        res = run.results["benchmarks"]["race"]
        assert res["n"] == n and res["score"] == want
