"""load_cases: JSONL/CSV case files, prompt templates, bad rows, and the samples of built-in
benchmarks (checked against the built-in modules themselves)."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchgate import Case, load_cases
from benchgate.benchmark import DataError, RunContext
from benchgate.engine.items import import_benchmark
from tests.conftest import ROOT


def write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_jsonl_fields_ids_and_row_attributes(tmp_path):
    path = write(tmp_path / "capitals.jsonl", [
        {"question": "Capital of France?", "answer": "Paris", "category": "Europe", "level": 1},
        {"prompt": "Capital of Japan?", "target": "Tokyo"},
        {"query": "Capital of Peru?", "expected_output": "Lima"}])
    cases = load_cases(str(path))
    assert [c.id for c in cases] == ["capitals/0", "capitals/1", "capitals/2"]
    assert [(c.prompt, c.target) for c in cases] == [
        ("Capital of France?", "Paris"), ("Capital of Japan?", "Tokyo"), ("Capital of Peru?", "Lima")]
    assert cases[0].category == "Europe" and cases[1].category is None
    assert cases[0].level == 1 and cases[0].question == "Capital of France?"
    assert cases[0].oracle == "Paris" and cases[0].source == f"{path}:1"
    with pytest.raises(AttributeError, match="has no field 'nope'"):
        cases[0].nope


def test_csv_template_target_field_limit_and_subset(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text("q,gold,other\nWhat is 2+2?,4,x\nWhat is 3+3?,6,y\nWhat is 1+1?,2,z\n",
                    encoding="utf-8")
    cases = load_cases(path, prompt="Q: {q}\nA:", target="gold", limit=2, subset="arith",
                       stop=["\n"], max_new_tokens=5)
    assert [(c.id, c.prompt, c.target) for c in cases] == [
        ("arith/0", "Q: What is 2+2?\nA:", "4"), ("arith/1", "Q: What is 3+3?\nA:", "6")]
    assert cases[0].stop == ("\n",) and cases[0].max_new_tokens == 5
    by_function = load_cases(path, prompt=lambda row: [{"role": "user", "content": row["q"]}])
    assert by_function[2].prompt == [{"role": "user", "content": "What is 1+1?"}]


def test_bad_rows_become_cases_that_carry_an_error_naming_file_and_line(tmp_path):
    path = write(tmp_path / "bad.jsonl", [
        {"question": "ok?", "answer": "yes"}, "{not json", {"answer": "no prompt"}, "[1, 2]",
        {"question": "  ", "answer": "blank prompt"}])
    cases = load_cases(path)
    assert cases[0].error is None
    assert cases[1].error.startswith(f"{path}:2: invalid JSON")
    assert cases[2].error.startswith(f"{path}:3: malformed row: no prompt")
    assert cases[3].error == f"{path}:4: expected a JSON object"
    assert cases[4].error.startswith(f"{path}:5: malformed row: no prompt")
    templated = load_cases(path, prompt="{question} {missing}")
    assert templated[0].error == f"{path}:1: malformed row: prompt template needs field 'missing' " \
                                 f"that the row does not have"


def test_relative_paths_are_looked_up_beside_the_caller_then_the_working_directory(tmp_path, monkeypatch):
    here = write(tmp_path / "cwd_cases.jsonl", [{"question": "q", "answer": "a"}])
    monkeypatch.chdir(tmp_path)
    assert load_cases("cwd_cases.jsonl")[0].source == f"{here.resolve()}:1"
    beside = ROOT / "tests" / "fixtures" / "general_qa"
    module = tmp_path / "caller.py"
    module.write_text("from benchgate import load_cases\nCASES = load_cases('qa_en.jsonl')\n")
    namespace = {"__file__": str(beside / "caller.py")}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    assert len(namespace["CASES"]) == 4 and namespace["CASES"][0].subset == "qa_en"
    with pytest.raises(DataError, match="file missing.jsonl not found"):
        load_cases("missing.jsonl")
    with pytest.raises(DataError, match="neither a file .* nor a built-in benchmark"):
        load_cases("no_such_benchmark")
    with pytest.raises(DataError, match="must be a .jsonl or .csv file"):
        load_cases(str(write(tmp_path / "cases.txt", ["x"])))


rows = st.lists(st.fixed_dictionaries({
    "question": st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1).filter(str.strip),
    "answer": st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]))}), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows, blanks=st.lists(st.booleans(), max_size=12))
def test_any_rows_keep_their_order_index_prompt_and_target(tmp_path, rows, blanks):
    lines = []
    for i, row in enumerate(rows):
        if i < len(blanks) and blanks[i]:
            lines.append("   ")  # blank lines do not count as rows, as in every reader
        lines.append(json.dumps(row, ensure_ascii=False))
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cases = load_cases(path)
    assert [(c.index, c.prompt, c.target) for c in cases] == \
        [(i, r["question"], r["answer"]) for i, r in enumerate(rows)]


def test_a_file_without_rows_is_an_error_naming_it(tmp_path):
    """As for every reader (docs/reliability.md, bad data): an empty or blank cases file."""
    for text in ("", "  \n\n"):
        path = tmp_path / "empty.jsonl"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DataError, match=f"{path}:1: no rows"):
            load_cases(path)


def test_a_builtin_benchmark_gives_the_same_samples_and_prompts(data_dir):
    gsm8k = import_benchmark(ROOT / "evals" / "gsm8k.py")
    ctx = RunContext(dataset_dir=data_dir, dataset_hub="local", args=gsm8k.effective_args({}))
    samples = gsm8k.load(ctx, "main")[:3]
    cases = load_cases("gsm8k", limit=3, dataset_dir=data_dir)
    assert [c.id for c in cases] == ["main/0", "main/1", "main/2"]
    for case, sample in zip(cases, samples):
        (request,) = gsm8k.requests(ctx, sample)
        assert (case.index, case.target, case.data) == (sample.index, sample.target, sample.data)
        assert case.prompt == gsm8k.prompt(ctx, sample) and case.stop == request.stop
        assert case.oracle == request.oracle and case.requests == (request,)
    # lm-eval's 5-shot draw for doc 0 (tests/evals/test_gsm8k.py and its golden test)
    assert cases[0].prompt.startswith("Question: Jen and Tyler are gymnasts practicing flips.")
    assert cases[0].prompt.count("#### ") == 5 and cases[0].target == "18"


def test_a_builtin_loglikelihood_benchmark_gives_subsets_categories_and_requests(data_dir):
    mmlu = import_benchmark(ROOT / "evals" / "mmlu.py")
    ctx = RunContext(dataset_dir=data_dir, dataset_hub="local", args=mmlu.effective_args({}))
    cases = load_cases("mmlu", subset=["anatomy", "abstract_algebra"], limit=2, dataset_dir=data_dir)
    assert [c.id for c in cases] == ["abstract_algebra/0", "abstract_algebra/1", "anatomy/0", "anatomy/1"]
    sample = mmlu.load(ctx, "anatomy")[1]
    assert cases[3].category == mmlu.category(ctx, "anatomy")
    assert cases[0].category == mmlu.category(ctx, "abstract_algebra") == "STEM"
    assert cases[3].requests == tuple(mmlu.requests(ctx, sample))
    assert cases[3].prompt == cases[3].requests[0].context
    with pytest.raises(DataError, match=r"no subset\(s\) \['nope'\]"):
        load_cases("mmlu", subset="nope", dataset_dir=data_dir)
    with pytest.raises(ValueError, match="prompt/target apply to files"):
        load_cases("mmlu", prompt="{question}", dataset_dir=data_dir)


def test_case_is_a_plain_object_with_a_readable_repr():
    case = Case("s", 3, "p", "t")
    assert case.id == "s/3" and repr(case) == "Case(s/3)"
