import re

import pytest

from benchgate.engine.options import (OptionError, parse_dataset_args, parse_datasets,
                                      parse_generation_config, parse_kv)


def test_kv_and_json_forms_agree():
    assert parse_kv("dtype=float32,batch_size=4,trust_remote_code=true", "--model-args") == \
        parse_kv('{"dtype": "float32", "batch_size": 4, "trust_remote_code": true}', "--model-args")


def test_kv_errors_name_the_option():
    with pytest.raises(OptionError, match="--model-args: expected key=value"):
        parse_kv("dtype", "--model-args")
    with pytest.raises(OptionError, match="--model-args: invalid JSON"):
        parse_kv("{bad", "--model-args")


def test_generation_config_types_and_unknown_keys():
    g = parse_generation_config("do_sample=true,temperature=0.7,max_new_tokens=64,seed=3")
    assert (g.do_sample, g.temperature, g.max_new_tokens, g.seed) == (True, 0.7, 64, 3)
    with pytest.raises(OptionError, match="unknown key.*tempreature"):
        parse_generation_config("tempreature=1")


@pytest.mark.parametrize("raw", [["mmlu", "gsm8k"], ["mmlu,gsm8k"], ["mmlu, gsm8k"], "mmlu,gsm8k"])
def test_datasets_spaces_or_commas(raw):
    assert parse_datasets(raw) == ["mmlu", "gsm8k"]


def test_dataset_args_must_be_objects():
    assert parse_dataset_args('{"mmlu": {"few_shot_num": 0}}') == {"mmlu": {"few_shot_num": 0}}
    with pytest.raises(OptionError, match="'mmlu' must be an object"):
        parse_dataset_args('{"mmlu": 3}')


@pytest.mark.parametrize("text, message", [
    ("temperature=hot", "temperature must be number >= 0, got 'hot'"),
    ("top_p=1.5", "top_p must be number > 0 <= 1, got 1.5"),
    ("max_new_tokens=0", "max_new_tokens must be int >= 1, got 0"),
    ("max_new_tokens=2.5", "max_new_tokens must be int >= 1, got 2.5"),
    ("do_sample=yes please", "do_sample must be bool"),
    ("seed=-1", "seed must be int >= 0"),
    ('{"temperature": "0.7"}', "temperature must be number >= 0, got '0.7'"),
    ("do_sample=true,temperature=0", "temperature must be > 0 when do_sample is true"),
])
def test_generation_config_values_are_checked(text, message):
    with pytest.raises(OptionError, match=re.escape(message)):
        parse_generation_config(text)


def test_generation_config_stop_is_a_string_or_a_list():
    assert parse_generation_config("stop=ing").stop == ("ing",)
    assert parse_generation_config('{"stop": ["ing", "\\n\\n"]}').stop == ("ing", "\n\n")
    assert parse_generation_config(None).stop == ()
    with pytest.raises(OptionError, match="stop strings must not be empty"):
        parse_generation_config('{"stop": ["a", ""]}')
    with pytest.raises(OptionError, match="stop must be"):
        parse_generation_config('{"stop": 3}')
    # added after the benchmark's own stops, without repeats
    assert parse_generation_config("stop=ing").stops(("Q:", "ing")) == ("Q:", "ing")
    assert parse_generation_config('{"stop": ["b", "a"]}').stops(("a", "c")) == ("a", "c", "b")


def test_generation_config_numbers_are_normalised():
    # 1 and 1.0 are the same setting (and the same cache key)
    assert parse_generation_config("temperature=1").key() == parse_generation_config("temperature=1.0").key()


@pytest.mark.parametrize("model, api_url, args, message", [
    ("oracle", None, {"x": 1}, "--model oracle takes no model args, got ['x']"),
    ("wrong", None, {"temperature": 0}, "--model wrong takes no model args"),
    ("replay:f.jsonl", None, {"a": 1}, "takes no model args"),
    ("dummy", None, {"responce": "x"}, "unknown key 'responce' (did you mean 'response'?); accepted: response"),
    ("smoke", None, {"batch_size": 0}, "batch_size must be int >= 1, got 0"),
    ("smoke", None, {"dtype": "float8"}, "dtype must be one of 'auto'"),
    ("some/model", None, {"trust_remote_code": "yes"}, "trust_remote_code must be bool"),
    ("some/model", None, {"dtype": "float16", "precision": "float16"}, "not both"),
    ("m", "http://h/v1", {"concurrency": "many"}, "concurrency must be int >= 1, got 'many'"),
    ("m", "http://h/v1", {"batch_size": 8}, "unknown key 'batch_size'"),
])
def test_model_args_are_checked_per_backend(model, api_url, args, message):
    from benchgate.models.args import check_model_args

    with pytest.raises(ValueError, match=re.escape(message)):
        check_model_args(model, api_url, args)


def test_model_args_accepted_per_backend():
    from benchgate.models.args import check_hf_args, check_model_args

    check_model_args("dummy", None, {"response": 42})
    check_model_args("oracle", None, {})
    check_model_args("m", "http://h/v1", {"concurrency": 4, "extra_body": '{"top_k": 3}'})
    assert check_hf_args({"precision": "bfloat16", "batch_size": 2}) == {"dtype": "bfloat16", "batch_size": 2}


@pytest.mark.parametrize("url", ["ftp://host/v1", "127.0.0.1:8000/v1", "http:///v1", "http://h:99999/v1"])
def test_api_url_must_be_http_with_a_host(url):
    from benchgate.engine.options import check_api_url

    with pytest.raises(OptionError, match="--api-url"):
        check_api_url(url)
    check_api_url("https://api.example.com/v1")


def test_api_url_credentials_never_reach_the_error_or_results(tmp_path):
    from benchgate.engine.options import check_api_url

    with pytest.raises(OptionError) as e:
        check_api_url("ftp://user:sk-SECRET@host/v1")
    assert "sk-SECRET" not in str(e.value)


def test_output_dir_must_be_writable_and_nothing_is_created(tmp_path):
    from benchgate.engine.options import check_output_dir

    check_output_dir(tmp_path / "a" / "b")
    assert not (tmp_path / "a").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(OptionError, match="is not a directory"):
        check_output_dir(tmp_path / "file" / "out")


def test_hf_prefix_default_is_the_one_the_backend_uses():
    from benchgate.models.args import PREFIX_MIN_TOKENS
    from benchgate.models.hf_prefix import DEFAULT_MIN_TOKENS

    assert PREFIX_MIN_TOKENS == DEFAULT_MIN_TOKENS


def test_default_output_dir_is_a_new_folder_per_run(tmp_path, monkeypatch):
    import time

    from benchgate.engine.options import default_output_dir

    monkeypatch.setattr(time, "gmtime", lambda *a: time.struct_time((2026, 12, 7, 1, 2, 3, 0, 341, 0)))
    first = default_output_dir("/models/Qwen2.5-0.5B-Instruct/", tmp_path)
    assert first == tmp_path / "Qwen2.5-0.5B-Instruct-20261207-010203" and not first.exists()
    first.mkdir()
    assert default_output_dir("/models/Qwen2.5-0.5B-Instruct", tmp_path).name == "Qwen2.5-0.5B-Instruct-20261207-010203-2"
    assert default_output_dir("org/name with spaces", tmp_path).name == "name-with-spaces-20261207-010203"
    assert default_output_dir(None, tmp_path).name == "no-model-20261207-010203"
