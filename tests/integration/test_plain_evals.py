"""Hand-written evals end to end: plain pytest modules in a suite folder, run by pytest like a
user runs them (in this process; under xdist in a subprocess); their results go through the same aggregation, gates, baseline, merge
and xdist paths as built-in benchmarks (the built-in general_qa is the reference)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from benchgate.cli import main as cli_main
from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import ROOT, EvalRun, in_process, run_pytest

CAPITALS = [("France", "Paris", "Europe"), ("Japan", "Tokyo", "Asia"), ("Italy", "Rome", "Europe"),
            ("Kenya", "Nairobi", "Africa"), ("Peru", "Lima", "Americas"), ("Spain", "Madrid", "Europe")]


class Suite:
    """A suite folder (pytest.ini, evals/) in tmp and `pytest` runs on it (`run_pytest`: in this
    process, or a subprocess under xdist)."""

    def __init__(self, root: Path, home: Path):
        self.root = root
        self.home = home
        self.runs = 0
        (root / "evals").mkdir(parents=True)
        (root / "pytest.ini").write_text("[pytest]\n")
        self.write("evals/capitals.jsonl", "".join(
            json.dumps({"question": f"What is the capital of {c}?", "answer": a, "category": k}) + "\n"
            for c, a, k in CAPITALS))

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, *args: str, output: str | None = None, cache_provider: bool = False,
            env: dict | None = None, timeout: int = 600) -> EvalRun:
        self.runs += 1
        out = self.root.parent / (output or f"out{self.runs}")
        cmd = [*args, "-q", "--output-dir", str(out),
               "--cache-path", str(self.root.parent / "cache.sqlite"),
               *([] if cache_provider else ["-p", "no:cacheprovider"])]
        # in this process unless the args ask for xdist workers (run_pytest)
        proc = run_pytest(cmd, env={"BENCHGATE_HOME": str(self.home), **(env or {})},
                          timeout=timeout, cwd=self.root)
        return EvalRun(proc, out)


@pytest.fixture
def suite(tmp_path, benchgate_home) -> Suite:
    return Suite(tmp_path / "suite", benchgate_home)


CAPITAL_TEST = """
    import pytest
    from benchgate import load_cases


    @pytest.mark.parametrize("case", load_cases("capitals.jsonl"), ids=lambda c: c.id)
    def test_capital(case, model, record):
        answer = model.generate(case.prompt)
        record(acc=float(case.target.lower() in answer.lower()))
"""


def blocks_without_requirement(entry: dict) -> dict:
    """A benchmark entry with the hand-written `requirement` score left out."""
    def strip(block):
        return {**block, "metrics": {k: v for k, v in block["metrics"].items() if k != "requirement"}}
    return {**strip(entry), "subsets": {k: strip(v) for k, v in entry["subsets"].items()},
            "categories": {k: strip(v) for k, v in entry["categories"].items()}}


def test_a_hand_written_eval_scores_exactly_like_the_builtin_general_qa(suite):
    suite.write("evals/qa.jsonl", "".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in [
        ("Where is the Eiffel Tower?", "The Eiffel Tower is in Paris"),
        ("What is the capital of France?", "Paris is the capital of France"),
        ("Name a primary colour.", "Red is a primary colour"),
        ("What does a cat say?", "A cat says meow"),
        ("Which city hosts the Louvre?", "Paris hosts the Louvre museum")]))
    suite.write("evals/test_qa.py", """
        import pytest
        from benchgate import load_cases


        @pytest.mark.benchgate(metric="rouge-l-f")
        @pytest.mark.parametrize("case", load_cases("qa.jsonl"))
        def test_qa(case, model, record):
            record.metrics(model.generate(case.prompt).strip(), case.target, "bleu", "rouge")
    """)
    args = ("evals/test_qa.py", str(ROOT / "evals" / "general_qa.py"), "--dataset-args",
            json.dumps({"general_qa": {"path": str(suite.root / "evals" / "qa.jsonl")}}),
            "--model", "dummy", "--model-args", "response=Paris is the capital of France")
    run = suite.run(*args)
    assert run.code == 0, run.out
    res = run.results["benchmarks"]
    hand, builtin = res["qa"], res["general_qa"]
    assert 0 < builtin["score"] < 1 and builtin["stderr"] > 0  # the samples differ
    assert blocks_without_requirement(hand) == builtin
    assert hand["metrics"]["requirement"]["score"] == 1.0
    samples = run.samples()
    by_id = {s["id"]: s for s in samples}
    for i in range(5):
        h, b = by_id[f"qa/qa/{i}"], by_id[f"general_qa/qa/{i}"]
        assert h["prompt"] == b["prompt"] and h["response"] == b["response"]
        assert {k: v for k, v in h["scores"].items() if k != "requirement"} == b["scores"]
        assert h["test"] == f"evals/test_qa.py::test_qa[qa/{i}]" and h["target"] == b["target"]
    # under xdist the records travel from the workers: the same numbers
    xdist = suite.run(*args, "-n", "2")
    assert xdist.code == 0, xdist.out
    assert xdist.results["benchmarks"] == res and xdist.results["timings"]["workers"] == 2


def test_gates_baseline_shards_and_merge(suite, tmp_path):
    suite.write("evals/test_capitals.py", CAPITAL_TEST)
    base = suite.run("evals", "--model", "oracle", "--gate", "capitals=0.8", output="base")
    assert base.code == 0, base.out
    assert "benchgate gates passed" in base.out
    entry = base.results["benchmarks"]["capitals"]
    assert (entry["score"], entry["n"], entry["metric"]) == (1.0, 6, "acc")
    assert set(entry["categories"]) == {"Europe", "Asia", "Africa", "Americas"}
    assert entry["categories"]["Europe"]["n"] == 3
    replay = suite.run("evals", "--model", f"replay:{base.output_dir / 'samples.jsonl'}")
    assert replay.code == 0 and replay.results["benchmarks"]["capitals"]["score"] == 1.0, replay.out
    worse = suite.run("evals", "--model", "wrong", "--gate", "capitals=0.8",
                      "--baseline", str(base.output_dir / "results.json"))
    assert worse.code == 1, worse.out
    assert "gate capitals: acc = 0.0000 is under the threshold 0.8000" in worse.out
    assert "baseline capitals: acc dropped 1.0000 -> 0.0000" in worse.out
    regression = worse.results["gates"]["baseline"]["capitals"]
    assert regression["n_paired"] == 6 and regression["significant_drop"]
    assert regression["regressed"][0] == "capitals/capitals/0"
    parts = [suite.run("evals", "--model", "oracle", "--shard", f"{i}/2", output=f"shard{i}")
             for i in (1, 2)]
    assert all(p.code == 0 for p in parts) and sorted(len(p.samples()) for p in parts) != [0, 6]
    merged = tmp_path / "merged"
    with in_process() as (out, err):  # `benchgate merge`, in this process
        code = cli_main(["merge", *(str(p.output_dir) for p in parts), "--output-dir", str(merged),
                         "--gate", "capitals=0.8"])
    assert code == 0, out.getvalue() + err.getvalue()
    merged_results = json.loads((merged / "results.json").read_text())
    assert merged_results["benchmarks"] == base.results["benchmarks"]
    assert (merged / "samples.jsonl").read_text().count("\n") == 6


def test_asserts_are_failed_requirements_and_other_exceptions_are_errors(suite):
    suite.write("evals/cases.jsonl", "".join(json.dumps(r) + "\n" for r in [
        {"question": "Capital of France?", "answer": "Paris"},
        {"question": "Capital of Italy?", "answer": "Rome"},
        {"question": "Capital of Japan?", "answer": "Tokyo"},
        {"question": "Capital of Peru?", "answer": "Lima"}]) + '{"question": "broken"\n')
    suite.write("evals/test_reqs.py", """
        import pytest
        from benchgate import load_cases


        @pytest.mark.parametrize("case", load_cases("cases.jsonl"))
        def test_answer(case, model, record):
            answer = model.generate(case)
            record(acc=float(answer == case.target))
            if case.index == 1:
                raise KeyError("boom")
            assert answer != "Tokyo", "Tokyo is not allowed"


        @pytest.mark.xfail(reason="known gap")
        def test_known_gap(record):
            record(x=1.0)
            assert False
    """)
    run = suite.run("evals", "--model", "oracle", cache_provider=True)
    assert run.code == 1, run.out
    res = run.results
    assert res["status"] == "failed"
    assert res["failed_requirements"] == [{"id": "reqs/cases/2", "message": "Tokyo is not allowed"}]
    errors = {e["id"]: e["message"] for e in res["errors"]}
    assert errors["reqs/cases/1"] == "KeyError: 'boom'"
    assert errors["reqs/cases/4"].startswith(f"reqs/cases/4: {suite.root / 'evals' / 'cases.jsonl'}:5: "
                                             f"invalid JSON")
    assert len(errors) == 2
    samples = {s["id"]: s for s in run.samples()}
    assert sorted(samples) == ["reqs/cases/0", "reqs/cases/2", "reqs/cases/3", "reqs/test_known_gap/0"]
    assert samples["reqs/cases/2"]["scores"] == {"acc": 1.0, "requirement": 0.0}
    assert samples["reqs/cases/2"]["failed_requirement"] == "Tokyo is not allowed"
    assert samples["reqs/test_known_gap/0"]["expected_failure"] is True
    entry = res["benchmarks"]["reqs"]
    assert entry["metrics"]["requirement"]["score"] == 0.5  # 0 and 2 of 4 recorded samples
    assert entry["metrics"]["acc"]["n"] == 3
    assert "1 sample(s) failed a requirement" in run.out and "2 sample(s) failed with errors" in run.out
    # under xdist (records stored by the workers, summaries sent): the same outputs
    xdist = suite.run("evals", "--model", "oracle", "-n", "2")
    assert xdist.code == 1, xdist.out
    for key in ("benchmarks", "failed_requirements", "errors"):
        assert xdist.results[key] == res[key], key
    assert xdist.samples() == run.samples()
    # --lf runs the failed tests again, and only those
    again = suite.run("evals", "--model", "oracle", "--lf", cache_provider=True)
    assert again.code == 1 and "3 failed" in again.out, again.out
    assert [s["id"] for s in again.samples()] == ["reqs/cases/2"]
    assert sorted(e["id"] for e in again.results["errors"]) == ["reqs/cases/1", "reqs/cases/4"]
    # -x stops at the first failure; what ran is still written
    first = suite.run("evals", "--model", "oracle", "-x")
    assert first.code == 1 and "stopping after 1 failures" in first.out
    assert [s["id"] for s in first.samples()] == ["reqs/cases/0"]
    assert [e["id"] for e in first.results["errors"]] == ["reqs/cases/1"]


def test_identity_markers_selection_and_usage_errors(suite):
    suite.write("evals/test_geo.py", """
        import pytest
        from benchgate import load_cases

        pytestmark = pytest.mark.benchgate(benchmark="geo")


        @pytest.mark.parametrize("case", load_cases("capitals.jsonl"))
        def test_capital(case, model, record):
            record(acc=float(model.generate(case) == case.target))


        @pytest.mark.benchgate(subset="lengths")
        @pytest.mark.parametrize("word", ["a", "bb"])
        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_lengths(word, n, record):
            record(other=0.0, len=float(len(word) * n))
    """)
    collected = suite.run("evals", "--model", "oracle", "--collect-only")
    assert "evals/test_geo.py::test_capital[capitals/5]" in collected.out
    run = suite.run("evals", "--model", "oracle", "--limit", "2")
    assert run.code == 0, run.out
    ids = [s["id"] for s in run.samples()]
    assert ids == ["geo/capitals/0", "geo/capitals/1", *(f"geo/lengths/{i}" for i in range(6))]
    geo = run.results["benchmarks"]["geo"]
    # one primary metric per benchmark: the one its first sample (in sample order) recorded first
    assert geo["metric"] == "acc" and geo["subsets"]["capitals"]["score"] == 1.0
    assert geo["subsets"]["lengths"]["metrics"]["len"]["score"] == (1 + 2) * (1 + 2 + 3) / 6
    picked = suite.run("evals", "--model", "oracle", "-k", "Europe or Asia")
    assert [s["id"] for s in picked.samples()] == ["geo/capitals/0", "geo/capitals/1",
                                                    "geo/capitals/2", "geo/capitals/5"]
    suite.write("evals/test_other.py", """
        def test_one(record):
            record(x=1.0)
    """)
    chosen = suite.run("evals", "--model", "oracle", "--datasets", "other", "--collect-only")
    assert "1/13 tests collected (12 deselected)" in chosen.out, chosen.out
    unknown = suite.run("evals", "--model", "oracle", "--datasets", "geo,nosuch")
    assert unknown.code == 4, unknown.out
    assert "unknown benchmark(s) ['nosuch']; hand-written evals here: geo, other" in unknown.out
    no_model = suite.run("evals")
    assert no_model.code == 4 and "tests that use the `model` fixture were collected but no --model" \
        in no_model.out
    suite.write("evals/test_dup.py", """
        import pytest
        from benchgate import load_cases

        CASES = load_cases("capitals.jsonl")


        @pytest.mark.parametrize("case", CASES)
        def test_a(case, record):
            record(x=1.0)


        @pytest.mark.parametrize("case", CASES)
        def test_b(case, record):
            record(y=1.0)
    """)
    dup = suite.run("evals/test_dup.py", "--model", "oracle")
    assert dup.code == 4, dup.out
    assert "two tests record the same sample id" in dup.out
    assert "dup/capitals/0: evals/test_dup.py::test_a[capitals/0] and evals/test_dup.py::test_b" \
           "[capitals/0]" in dup.out


def test_dry_run_records_prompts_and_calls_no_model(suite):
    suite.write("evals/test_capitals.py", CAPITAL_TEST)
    run = suite.run("evals", "--dry-run")
    assert run.code == 0, run.out
    assert "6 skipped" in run.out
    assert run.results["status"] == "dry_run"
    samples = run.samples()
    assert [s["prompt"] for s in samples][0] == "What is the capital of France?"
    assert all(s["scores"] is None and s["response"] is None for s in samples)


def test_a_projects_own_model_and_record_fixtures_are_left_alone(suite):
    suite.write("conftest.py", """
        import pytest

        @pytest.fixture
        def model():
            return "my model"

        @pytest.fixture
        def record():
            return []
    """)
    suite.write("tests/test_mine.py", """
        def test_mine(model, record):
            record.append(model)
            assert record == ["my model"]
    """)
    run = suite.run("tests")
    assert run.code == 0 and "1 passed" in run.out, run.out
    assert not run.output_dir.exists()  # not an eval: nothing written


def test_load_cases_of_a_builtin_gives_the_builtin_prompts_in_a_run(suite, data_dir):
    suite.write("evals/test_gsm.py", """
        import pytest
        from benchgate import load_cases
        from benchgate.extract import extract_number, numbers_equal


        @pytest.mark.parametrize("case", load_cases("gsm8k"))
        def test_gsm8k(case, model, record):
            answer = extract_number(model.generate(case))
            record(acc=float(numbers_equal(answer, case.target)))
    """)
    run = suite.run("evals/test_gsm.py", str(ROOT / "evals" / "gsm8k.py"), "--model", "oracle",
                    "--limit", "3", "--dataset-dir", str(data_dir))
    assert run.code == 0, run.out
    res = run.results["benchmarks"]
    assert res["gsm"]["score"] == res["gsm8k"]["score"] == 1.0 and res["gsm"]["n"] == 3
    by_id = {s["id"]: s for s in run.samples()}
    for i in range(3):
        assert by_id[f"gsm/main/{i}"]["prompt"] == by_id[f"gsm8k/main/{i}"]["prompt"]
        assert by_id[f"gsm/main/{i}"]["response"] == by_id[f"gsm8k/main/{i}"]["response"]


BATCHED = {
    "case": "answer = model.generate(case)",
    "prompt": "answer = model.generate(case.prompt)",
    "shaped": 'answer = model.generate(f"Q: {case.prompt}\\nA:")',
    "messages": "answer = model.generate(case.prompt)",  # chat messages built by load_cases
}


@pytest.mark.parametrize("call", ["case", "prompt", "shaped", "messages", "prefetch", "unrelated"])
def test_model_calls_from_many_tests_are_batched(suite, call):
    """The server sees the calls of 24 tests in flight together (8 connections), each prompt
    once; a prompt the engine cannot foresee is computed when asked, one at a time."""
    rows = "".join(json.dumps({"question": f"question {i}?", "answer": f"a{i}", "tag": f"t{i}"}) + "\n"
                   for i in range(24))
    suite.write("evals/many.jsonl", rows)
    body = BATCHED.get(call) or {
        "prefetch": 'answer = model.generate(f"[{case.tag}]")',
        "unrelated": 'answer = model.generate(f"[{case.tag}]")'}[call]
    setup = ("\n    @pytest.fixture(scope='module', autouse=True)\n    def warm(model):\n"
             "        model.prefetch([f'[{c.tag}]' for c in CASES])\n") if call == "prefetch" else ""
    chat = ', prompt=lambda row: [{"role": "user", "content": row["question"]}]' \
        if call == "messages" else ""
    suite.write("evals/test_many.py", f"""
    import pytest
    from benchgate import load_cases

    CASES = load_cases("many.jsonl"{chat})
    {setup}

    @pytest.mark.parametrize("case", CASES)
    def test_many(case, model, record):
        {body}
        record(ok=float(answer.startswith("answer to")))
    """)
    server = FakeOpenAIServer(latency=0.05).start()
    try:
        args = ["evals", "--api-url", server.base_url, "--model", "fake-model",
                "--model-args", "concurrency=8"]
        run = suite.run(*args)
        assert run.code == 0, run.out
        assert run.results["benchmarks"]["many"]["score"] == 1.0
        assert len(server.requests) == 24  # every prompt sent once
        if call == "unrelated":
            assert server.max_in_flight == 1
        else:
            assert server.max_in_flight == 8
        if call == "shaped":
            assert run.samples()[0]["prompt"] == "Q: question 0?\nA:"
            # under xdist each worker predicts the groups it runs: no prompt is sent twice
            server.reset()
            again = suite.run(*args, "-n", "2")
            assert again.code == 0, again.out
            assert len(server.requests) == 24 and server.max_in_flight > 1
    finally:
        server.stop()


def test_evaluate_metrics_in_general_qa_and_in_record(suite, tmp_path):
    """A Hugging Face `evaluate` metric script written here, used by path in general_qa's
    metric list and in record.metrics; its numbers are evaluate's own."""
    evaluate = pytest.importorskip("evaluate")  # installed by the test extra
    from tests.test_named_metrics import CHAR_OVERLAP

    script = suite.write("metrics_hf/char_overlap.py", CHAR_OVERLAP)
    rows = [("Name a fruit.", "apple"), ("Name a colour.", "green"), ("Name a pet.", "cat")]
    suite.write("evals/qa.jsonl", "".join(json.dumps({"question": q, "answer": a}) + "\n"
                                           for q, a in rows))
    suite.write("evals/test_hf.py", f"""
        import pytest
        from benchgate import load_cases


        @pytest.mark.parametrize("case", load_cases("qa.jsonl"))
        def test_hf(case, model, record):
            record.metrics(model.generate(case.prompt).strip(), case.target, "evaluate:{script}")
    """)
    run = suite.run("evals/test_hf.py", str(ROOT / "evals" / "general_qa.py"), "--dataset-args",
                    json.dumps({"general_qa": {"path": str(suite.root / "evals" / "qa.jsonl"),
                                               "metrics": [f"evaluate:{script}", "em"]}}),
                    "--model", "dummy", "--model-args", "response=a green apple",
                    env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")})
    assert run.code == 0, run.out
    res = run.results["benchmarks"]
    assert res["general_qa"]["metric"] == "char_overlap" and res["hf"]["metric"] == "char_overlap"
    metric = evaluate.load(str(script))
    by_id = {s["id"]: s for s in run.samples()}
    for i, (_, answer) in enumerate(rows):
        expected = metric.compute(predictions=["a green apple"], references=[answer])["char_overlap"]
        assert by_id[f"general_qa/qa/{i}"]["scores"]["char_overlap"] == expected
        assert by_id[f"hf/qa/{i}"]["scores"]["char_overlap"] == expected
    assert by_id["general_qa/qa/0"]["scores"]["em"] == 0.0
