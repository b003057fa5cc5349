"""Every bad option, `--dataset-args`, `--model-args` and `--generation-config` value is a usage
error (pytest's exit code 4) naming the key and what it accepts, before anything runs."""
import time

import pytest

# run_evals in a subprocess: the tests are about the exit code and message of the `pytest` process
pytestmark = pytest.mark.subprocess

HE = ("--datasets", "humaneval")

CASES = [
    # (extra args, text the message must contain)
    (("--model", "dummy", "--datasets", "gsm8k", "--generation-config", "temperature=hot"),
     "--generation-config temperature must be number >= 0, got 'hot'"),
    (("--model", "dummy", "--datasets", "gsm8k", "--generation-config", "max_tokens=5"),
     "--generation-config: unknown key 'max_tokens' (did you mean 'max_new_tokens'?); accepted: do_sample (bool), "
     "max_new_tokens (int >= 1)"),
    (("--model", "dummy", "--datasets", "mmlu", "--dataset-args",
      '{"mmlu": {"subset_list": "abstract_algebra,nosuch"}}'), "mmlu has no subset(s) ['nosuch']; its subsets: "),
    (("--model", "dummy", *HE, "--dataset-args", '{"humaneval": {"timeout": -1}}'),
     "--dataset-args: humaneval timeout must be number > 0, got -1"),
    (("--model", "dummy", *HE, "--dataset-args", '{"humaneval": {"memory_mb": "lots"}}'),
     "humaneval memory_mb must be int >= 64 or null, got 'lots'"),
    (("--model", "dummy", *HE, "--dataset-args", '{"humaneval": {"workers": 0}}'),
     "humaneval workers must be int >= 1, got 0"),
    (("--model", "dummy", "--datasets", "gsm8k", "--dataset-args", '{"gsm8k": {"shots": 1}}'),
     "--dataset-args: gsm8k: unknown key 'shots'; accepted: few_shot_num (int >= 0), few_shot_random (bool)"),
    (("--model", "dummy", "--datasets", "gsm8k", "--dataset-args", '{"gsm8k": {"few_shot_num": "5"}}'),
     "gsm8k few_shot_num must be int >= 0, got '5'"),
    (("--model", "dummy", "--dataset-args", '{"gsm8kk": {}}'), "--dataset-args: unknown benchmark(s) ['gsm8kk']"),
    (("--model", "oracle", "--datasets", "gsm8k", "--model-args", "x=1"), "--model oracle takes no model args"),
    (("--model", "wrong", "--datasets", "gsm8k", "--model-args", "response=A"), "--model wrong takes no model args"),
    (("--model", "dummy", "--datasets", "gsm8k", "--model-args", "foo=1"),
     "--model-args (dummy): unknown key 'foo'; accepted: response"),
    (("--model", "smoke", "--datasets", "gsm8k", "--model-args", "batch_size=0"),
     "--model-args batch_size must be int >= 1, got 0"),
    (("--model", "m", "--api-url", "http://127.0.0.1:9/v1", "--datasets", "gsm8k", "--model-args",
      "concurrency=many"), "--model-args (OpenAI API) concurrency must be int >= 1, got 'many'"),
    (("--model", "m", "--api-url", "ftp://host/v1", "--datasets", "gsm8k"), "--api-url: expected an http(s) URL"),
    (("--model", "dummy", "--datasets", "gsm8k", "--baseline-alpha", "2"), "--baseline-alpha must be between 0 and 1"),
    (("--model", "dummy", "--datasets", "gsm8k", "--cache-timeout", "0"), "--cache-timeout must be > 0"),
    (("--model", "dummy", "--datasets", "gsm8k", "--dataset-dir", "/nonexistent/data"),
     "--dataset-dir /nonexistent/data: not a directory"),
    (("--model", "dummy", "--datasets", "gsm8k", "--gate", "gsm8k=high"),
     "--gate: threshold for 'gsm8k' must be a number, got 'high'"),
    (("--model", "dummy", "--datasets", "gsm8k", "--limit", "0"), "argument --limit: must be > 0 (a whole number >= 1 or a fraction between 0 and 1), got '0'"),
]


@pytest.mark.parametrize("args, message", CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_input_is_a_usage_error_before_anything_runs(run_evals, args, message):
    start = time.monotonic()
    run = run_evals(*args)
    assert run.code == 4, run.out
    assert message in run.out, run.out
    assert "Traceback" not in run.out and "passed" not in run.out and "failed" not in run.out
    assert not (run.output_dir / "results.json").exists()
    assert time.monotonic() - start < 60


def test_output_dir_that_cannot_be_written_is_refused_up_front(run_evals, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "1", "--output-dir", str(blocker / "out"))
    assert run.code == 4 and f"--output-dir {blocker / 'out'}: {blocker} is not a directory" in run.out


def test_subset_list_as_a_string_selects_that_subset(run_evals):
    run = run_evals("--model", "oracle", "--datasets", "mmlu", "--limit", "1", "--dataset-args",
                    '{"mmlu": {"subset_list": "anatomy, virology"}}')
    assert run.code == 0, run.out
    assert [s["id"] for s in run.samples()] == ["mmlu/anatomy/0", "mmlu/virology/0"]
    assert run.results["config"]["effective_dataset_args"]["mmlu"]["subset_list"] == ["anatomy", "virology"]
