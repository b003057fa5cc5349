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
