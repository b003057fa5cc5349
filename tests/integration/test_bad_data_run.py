"""Bad data in a real run: a malformed few-shot row is skipped with one warning, a subset whose
file cannot be read fails as one test naming file:line while the others are scored."""
import shutil



def copy_benchmark(data_dir, tmp_path, name):
    dst = tmp_path / "data" / name
    shutil.copytree(data_dir / name, dst)
    return dst


def test_malformed_few_shot_row_is_skipped_with_one_warning(run_evals, data_dir, tmp_path):
    gsm8k = copy_benchmark(data_dir, tmp_path, "gsm8k")
    lines = (gsm8k / "train.jsonl").read_text().splitlines(keepends=True)
    lines[2] = '{"question": "a row without its answer"}\n'
    (gsm8k / "train.jsonl").write_text("".join(lines))
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "5",
                    "--dataset-dir", str(tmp_path / "data"))
    assert run.code == 0, run.out
    assert "5 passed" in run.out and "KeyError" not in run.out
    assert run.out.count(f"skipped 1 malformed few-shot row(s): {gsm8k / 'train.jsonl'}:3: malformed row: "
                         f"missing field 'answer'") == 1
    assert all("a row without its answer" not in s["prompt"] for s in run.samples())


def test_unreadable_subset_fails_alone_with_file_and_line(run_evals, data_dir, tmp_path):
    mmlu = copy_benchmark(data_dir, tmp_path, "mmlu")
    (mmlu / "data" / "dev" / "anatomy_dev.csv").write_text("")  # its few-shot split is empty
    run = run_evals("--model", "oracle", "--datasets", "mmlu", "--limit", "1", "--dataset-dir", str(tmp_path / "data"))
    assert run.code == 1, run.out
    assert "56 passed" in run.out and "1 failed" in run.out and "Traceback" not in run.out
    message = f"mmlu/anatomy: {mmlu / 'data' / 'dev' / 'anatomy_dev.csv'}:1: no rows (empty file)"
    assert message in run.out
    assert run.results["errors"] == [{"id": "mmlu/anatomy", "message": message}]
    assert run.results["benchmarks"]["mmlu"]["n"] == 56 and run.results["benchmarks"]["mmlu"]["score"] == 1.0
