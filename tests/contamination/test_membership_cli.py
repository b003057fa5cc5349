"""`benchgate contamination membership`: the scored text of real benchmark rows, the --members
file and its errors (exit 4, naming file and line), an API model through a real local server,
and a run on the smoke model."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchgate.benchmark import Sample
from benchgate.cli import main
from benchgate.contamination.membership import read_members
from benchgate.contamination.membership_scores import min_k, zlib_score
from benchgate.contamination.membership_text import SampleTextError, load_samples, sample_text
from benchgate.fixtures.servers import FakeOpenAIServer, fake_logprob, fake_tokens
from tests.conftest import DATA


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def base(tmp_path: Path, *extra: str, model: str = "smoke") -> list[str]:
    return ["contamination", "membership", "--model", model, "--datasets", "mmlu",
            "--dataset-dir", str(DATA), "--output-dir", str(tmp_path / "out"), *extra]


# ---------------------------------------------------------------- the scored text
def test_item_text_of_real_rows():
    loaded = load_samples(["mmlu", "gsm8k"], [DATA], "local", limit=1)
    mmlu = next(s for s, _ in loaded if s.id == "mmlu/abstract_algebra/0")
    # ../shared/benchmarks/mmlu/data/test/abstract_algebra_test.csv, first row (answer B)
    assert sample_text(mmlu) == ("Find the degree for the given field extension Q(sqrt(2), sqrt(3), "
                                 "sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer: B. 4")
    assert sample_text(mmlu, "question").endswith("\nD. 6")
    gsm = next(s for s, _ in loaded if s.benchmark == "gsm8k")
    text = sample_text(gsm)
    assert text.startswith("Janet’s ducks lay 16 eggs per day.")
    assert "\nAnswer: Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day." in text
    assert text.endswith("#### 18")
    assert "Answer" not in sample_text(gsm, "question")


def test_sample_without_question_is_named():
    with pytest.raises(SampleTextError, match=r"x/y/3: no question text .* it has code"):
        sample_text(Sample("x", "y", 3, {"code": "1"}, "a"))
    assert sample_text(Sample("x", "y", 0, {"problem": "2+2?"}, "4")) == "2+2?\nAnswer: 4"
    assert sample_text(Sample("x", "y", 0, {"question": "q", "choices": ["a", "b"]}, 1)) == \
        "q\nA. a\nB. b\nAnswer: B. b"


# ---------------------------------------------------------------- the --members file
@settings(max_examples=50)
@given(st.dictionaries(st.text(min_size=1, max_size=30), st.booleans(), min_size=2, max_size=20)
       .filter(lambda d: len(set(d.values())) == 2),
       st.sampled_from(["\n", "\r\n", "\n\n"]), st.booleans())
def test_members_file_round_trips(labels, newline, ascii_only):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.jsonl"
        path.write_text(newline.join(json.dumps({"id": i, "member": m}, ensure_ascii=ascii_only)
                                       for i, m in labels.items()) + newline,
                        encoding="utf-8", newline="")
        assert read_members(path) == labels


# ---------------------------------------------------------------- usage errors: exit 4
@pytest.mark.parametrize("lines, message", [
    (['{"id": "mmlu/anatomy/0", "member": true}', "not json"], r"members.jsonl:2: invalid JSON"),
    (['{"id": "mmlu/anatomy/0", "member": "yes"}'], r"members.jsonl:1: expected \{\"id\""),
    (['{"id": "mmlu/anatomy/0", "member": true}', "", '{"id": "mmlu/anatomy/0", "member": false}'],
     r"members.jsonl:3: sample 'mmlu/anatomy/0' is labelled twice"),
    (['{"id": "mmlu/anatomy/0", "member": true}'], r"members.jsonl: only members"),
    (['{"id": "mmlu/anatomy/0", "member": true}', '{"id": "gsm8k/main/0", "member": false}'],
     r"members.jsonl: 1 labelled id\(s\) are not samples of --datasets mmlu: gsm8k/main/0"),
])
def test_bad_members_file_exits_4_naming_file_and_line(tmp_path, capsys, lines, message):
    path = tmp_path / "members.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run(base(tmp_path, "--members", str(path)), capsys)
    assert code == 4
    assert "benchgate contamination membership: error: --members" in err
    assert re.search(message, err), err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra, message", [
    (("--k", "0"), "argument --k: expected a number in (0, 1], got '0'"),
    (("--method", "loss"), "argument --method: invalid choice: 'loss'"),
    (("--members", "/nonexistent/m.jsonl"), "--members /nonexistent/m.jsonl: cannot be read"),
    (("--model-args", "batch_size=4"), "--model-args: invalid JSON"),
])
def test_bad_options_exit_4(tmp_path, capsys, extra, message):
    code, _, err = run(base(tmp_path, *extra), capsys)
    assert code == 4 and message in err, err


def test_unknown_benchmark_and_missing_data_exit_4(tmp_path, capsys):
    code, _, err = run(["contamination", "membership", "--model", "smoke", "--datasets", "mmlux",
                        "--output-dir", str(tmp_path)], capsys)
    assert code == 4 and "unknown benchmark 'mmlux'" in err and "mmlu" in err
    code, _, err = run(base(tmp_path)[:-2] + ["--dataset-dir", str(tmp_path), "--output-dir", str(tmp_path / "o")],
                       capsys)
    assert code == 4 and "mmlu: data folder" in err


def test_model_without_token_logprobs_exits_4(tmp_path, capsys):
    code, _, err = run(base(tmp_path, "--limit", "1", model="dummy"), capsys)
    assert code == 4 and "--model 'dummy' gives no token log-probabilities" in err


def test_min_k_pp_over_an_api_is_refused_before_any_request(tmp_path, capsys):
    code, _, err = run(base(tmp_path, "--api-url", "http://127.0.0.1:9/v1", "--method", "min_k", "min_k_pp"),
                       capsys)
    assert code == 4 and "--method min_k_pp needs the model's whole next-token distribution" in err


# ---------------------------------------------------------------- an API model (real local server)
def test_api_model_scores_echoed_logprobs(tmp_path, capsys):
    members = tmp_path / "members.jsonl"
    members.write_text('{"id": "mmlu/anatomy/0", "member": true}\n{"id": "mmlu/anatomy/1", "member": false}\n')
    with FakeOpenAIServer() as server:
        code, out, err = run(base(tmp_path, "--api-url", server.base_url, "--members", str(members),
                                  model="fake-model"), capsys)
        bodies = list(server.requests)
    assert code == 0, err
    result = json.loads((tmp_path / "out" / "membership.json").read_text())
    assert result["methods"] == ["min_k", "zlib", "ppl"]  # min_k_pp needs a local model
    texts = {s.id: sample_text(s) for s, _ in load_samples(["mmlu"], [DATA], "local", limit=2)}
    assert sorted(b["prompt"] for b in bodies) == sorted(texts[i] for i in ("mmlu/anatomy/0", "mmlu/anatomy/1"))
    assert all(b["echo"] is True and b["logprobs"] == 1 for b in bodies)
    for record in result["samples"]:
        text = texts[record["id"]]
        lps = [fake_logprob(t) for t in fake_tokens(text)[1:]]  # the first token has no logprob
        assert record["n_tokens"] == len(lps)
        assert record["scores"]["min_k"] == pytest.approx(min_k(lps, 0.2))
        assert record["scores"]["zlib"] == pytest.approx(zlib_score(lps, text))
        assert record["scores"]["ppl"] == pytest.approx(sum(lps) / len(lps))
    assert result["evaluation"]["n_members"] == 1 and result["evaluation"]["n_non_members"] == 1
    assert "ROC AUC" in out and "TPR@5%FPR" in out


def test_api_without_echoed_logprobs_exits_4_after_one_request(tmp_path, capsys):
    with FakeOpenAIServer() as server:
        server.logprobs = False  # like `transformers serve`
        code, _, err = run(base(tmp_path, "--api-url", server.base_url, "--limit", "2", model="fake-model"), capsys)
        sent = len(server.requests)
    assert code == 4, err
    assert "--model 'fake-model' at --api-url cannot give token log-probabilities" in err
    assert "echo=true and logprobs" in err and "generation mode" not in err
    assert sent == 1  # probed with one request, not one per sample


def test_a_request_failing_for_good_exits_1_and_writes_nothing(tmp_path, capsys):
    texts = [sample_text(s) for s, _ in load_samples(["mmlu"], [DATA], "local", limit=1)[:3]]
    with FakeOpenAIServer() as server:
        server.script[texts[1]] = ["400!context length exceeded"] * 3
        code, _, err = run(base(tmp_path, "--api-url", server.base_url, "--limit", "1", "--model-args",
                                '{"max_retries": 0}', model="fake-model")[:-2] + ["--output-dir", str(tmp_path / "o")],
                           capsys)
    assert code == 1, err
    assert "error: scoring failed" in err and "context length exceeded" in err
    assert not (tmp_path / "o" / "membership.json").exists()


# ---------------------------------------------------------------- the smoke model
def test_smoke_run_writes_scores_and_evaluation(tmp_path, capsys, smoke_path, monkeypatch, benchgate_home):
    monkeypatch.setenv("BENCHGATE_HOME", str(benchgate_home))
    members = tmp_path / "members.jsonl"
    labels = {"mmlu/anatomy/0": True, "mmlu/anatomy/1": False, "mmlu/virology/2": True,
              "mmlu/virology/3": False}
    members.write_text("".join(json.dumps({"id": i, "member": m}) + "\n" for i, m in labels.items()))
    code, out, err = run(base(tmp_path, "--members", str(members), "--k", "0.5"), capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "out" / "membership.json").read_text())
    assert result["methods"] == ["min_k", "min_k_pp", "zlib", "ppl"] and result["k"] == 0.5
    assert {r["id"]: r["member"] for r in result["samples"]} == labels
    assert result["benchmarks"]["mmlu"]["n"] == 4
    for method, v in result["evaluation"]["methods"].items():
        assert 0 <= v["auc"] <= 1 and 0 <= v["tpr_at_5_fpr"] <= 1
    for r in result["samples"]:
        assert r["perplexity"] == pytest.approx(2.718281828 ** -r["scores"]["ppl"], rel=1e-6)
        assert r["scores"]["min_k"] <= r["scores"]["ppl"]  # the lowest half's mean <= the mean
    assert "membership.json" in out
