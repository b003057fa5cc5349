"""`--junitxml`: one readable testcase per sample, pointing at its data row (file:line)."""
import json
import xml.etree.ElementTree as ET


def test_junit_names_and_data_row_locations(run_evals, tmp_path, data_dir):
    junit = tmp_path / "junit.xml"
    run = run_evals("--model", "dummy", "--datasets", "gsm8k", "mmlu", "--limit", "3", "-k", "gsm8k or anatomy",
                    "--junitxml", str(junit), "-o", "junit_family=xunit1")
    assert run.code == 0, run.out
    cases = ET.parse(junit).getroot().iter("testcase")
    found = {c.get("name"): c for c in cases}
    assert set(found) == {f"gsm8k/main/{i}" for i in range(3)} | {f"mmlu/anatomy/{i}" for i in range(3)}
    samples = {s["id"]: s for s in run.samples()}
    test_lines = (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines()
    for i in range(3):
        case = found[f"gsm8k/main/{i}"]
        assert case.get("classname") == "evals.gsm8k"
        assert case.get("file").endswith("gsm8k/test.jsonl")
        assert json.loads(test_lines[int(case.get("line"))])["answer"].endswith(samples[f"gsm8k/main/{i}"]["target"])
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["sample"] == f"gsm8k/main/{i}" and props["file"].endswith(f"test.jsonl:{i + 1}")
        assert props["verdict"] in ("right", "wrong") and "benchgate_record" not in props
    assert found["mmlu/anatomy/0"].get("file").endswith("anatomy_test.csv")
