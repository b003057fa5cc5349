"""Arena configs: EvalScope's shipped configs (paths changed only), and errors naming the key."""
import textwrap

import pytest

from benchgate.arena.config import ArenaConfigError, load_arena_config
from tests.arena.conftest import evalscope_config, write_baseline_answers


def test_evalscope_arena_config(arena_dir, tmp_path):
    cfg = load_arena_config(evalscope_config(arena_dir, "cfg_arena", tmp_path, "/models/local"))
    assert cfg.names == ["chatglm3-6b", "Qwen-7B"]  # Baichuan2 is disabled and has no answers
    assert cfg.reviewer.kind == "generative" and cfg.reviewer.model == "gpt-4"
    assert cfg.reviewer.mode == "pairwise" and cfg.reviewer.position_bias_mitigation == "none"
    assert cfg.reviewer.generation.max_new_tokens == 1024 and cfg.reviewer.generation.temperature == 0.2
    assert cfg.rating.metrics == ["elo"]
    c = cfg.candidates[0]
    assert c.model == "/models/local" and c.model_args == {"revision": "v1.0.2", "dtype": "float16"}
    assert c.generation.do_sample and c.generation.top_k == 20 and c.generation.max_new_tokens == 256
    assert c.output_file == tmp_path / "arena" / "answers" / "answer_chatglm3-6b.jsonl"
    assert any("Baichuan2-7B-Base is disabled" in n for n in cfg.notes)


def test_evalscope_pairwise_baseline_config(arena_dir, tmp_path):
    path = evalscope_config(arena_dir, "cfg_pairwise_baseline", tmp_path, "/models/local")
    with pytest.raises(ArenaConfigError, match=r"reviews_gen.baseline_file: answer file .* not found"):
        load_arena_config(path)
    write_baseline_answers(tmp_path, arena_dir / "evalscope" / "question.jsonl")
    cfg = load_arena_config(path)
    # target_answers: chatglm3 (enabled) and Baichuan2 (disabled, no file); the baseline last
    assert cfg.names == ["chatglm3-6b", "text_davinci_003"]
    assert cfg.rating.baseline_model == "text_davinci_003" and cfg.rating.metrics == ["pairwise"]
    assert cfg.reviewer.position_bias_mitigation == "swap_position"
    assert cfg.candidates[-1].answers_file is not None
    assert any("Qwen-7B is not in reviews_gen.target_answers" in n for n in cfg.notes)
    assert any("cache_file" in n for n in cfg.notes)


def test_evalscope_single_config(arena_dir, tmp_path):
    cfg = load_arena_config(evalscope_config(arena_dir, "cfg_single", tmp_path, "/models/local"))
    assert cfg.names == ["chatglm3-6b"] and cfg.mode == "single" and cfg.rating.metrics == ["score"]


def write(tmp_path, text):
    path = tmp_path / "cfg.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


BASE = """
question_file: {q}
answers_gen:
  m1: {{model_id_or_path: dummy}}
  m2: {{model_id_or_path: dummy}}
reviews_gen:
  prompt_file: {p}
  reviewer: {{args: {{mode: pairwise}}}}
"""


@pytest.mark.parametrize("edit, key", [
    (("question_file: {q}", "question_file: nowhere.jsonl"), "question_file: file .* not found"),
    (("m2: {{model_id_or_path: dummy}}", "m2: {{revision: v1}}"), "answers_gen.m2.model_id_or_path: missing"),
    (("m2: {{model_id_or_path: dummy}}", "m2: {{model_id_or_path: dummy, enabel: true}}"),
     "answers_gen.m2.enabel: unknown key"),
    (("m2: {{model_id_or_path: dummy}}", "m2: {{model_id_or_path: dummy, precision: int3}}"),
     "answers_gen.m2.precision"),
    (("m2: {{model_id_or_path: dummy}}", "m2: {{model_id_or_path: dummy, generation_config: {{beams: 2}}}}"),
     "answers_gen.m2.generation_config.beams: unknown generation key"),
    (("m2: {{model_id_or_path: dummy}}", "a/b: {{model_id_or_path: dummy}}"), "answers_gen.a/b: model name"),
    (("m2: {{model_id_or_path: dummy}}", "m2: {{model_id_or_path: dummy, api_key: sk-1}}"),
     "answers_gen.m2.api_key: API keys do not belong"),
    (("{{mode: pairwise}}", "{{mode: pairwise_all}}"), "reviews_gen.reviewer.args.mode: must be one of"),
    (("{{mode: pairwise}}", "{{mode: pairwise, position_bias_mitigation: swap}}"),
     "reviews_gen.reviewer.args.position_bias_mitigation"),
    (("{{mode: pairwise}}", "{{mode: pairwise, fn_completion_parser: my_parser}}"),
     "reviews_gen.reviewer.args.fn_completion_parser"),
    (("{{mode: pairwise}}", "{{mode: pairwise_baseline}}"), "reviews_gen.baseline_file: pairwise_baseline mode needs"),
    (("{{args: {{mode: pairwise}}}}", "{{ref: 'my.mod:Reviewer'}}"), "reviews_gen.reviewer.ref"),
    (("{{args: {{mode: pairwise}}}}", "{{kind: reward_model}}"), "reviews_gen.reviewer.args.model"),
    (("prompt_file: {p}", "prompt_file: null"), "reviews_gen.prompt_file: missing"),
    (("reviews_gen:", "rating_gen: {{metrics: [score]}}\nreviews_gen:"), r"rating_gen.metrics\[0\]"),
    (("reviews_gen:", "rating_gen: {{baseline_model: m9}}\nreviews_gen:"), "rating_gen.baseline_model"),
    (("reviews_gen:", "rating_gen: {{ci_quantiles: [0.9, 0.1]}}\nreviews_gen:"), "rating_gen.ci_quantiles"),
    (("reviews_gen:", "ratings_gen: {{}}\nreviews_gen:"), "ratings_gen: unknown key"),
])
def test_errors_name_the_key(arena_dir, tmp_path, edit, key):
    text = BASE.replace(*edit).format(q=arena_dir / "mt_bench" / "question.jsonl", p=arena_dir / "judge_prompts.jsonl")
    with pytest.raises(ArenaConfigError, match=key):
        load_arena_config(write(tmp_path, text))


def test_replay_and_benchgate_keys(arena_dir, tmp_path):
    answers = tmp_path / "m3.jsonl"
    answers.write_text('{"question_id": 81, "model_id": "org/m3", "choices": [{"index": 0, "turns": ["a", "b"]}]}\n')
    text = BASE.format(q=arena_dir / "mt_bench" / "question.jsonl", p=arena_dir / "judge_prompts.jsonl")
    text = text.replace("m2: {model_id_or_path: dummy}",
                        "m2: {model_id_or_path: replay:m3.jsonl}\n  m4: {model_id_or_path: gpt-x, "
                        "api_url: 'http://127.0.0.1:9/v1', api_key_env: MY_KEY, model_args: {concurrency: 4}}")
    cfg = load_arena_config(write(tmp_path, text))
    assert cfg.names == ["m1", "m2", "m4"]
    assert cfg.candidates[1].answers_file == answers and not cfg.candidates[1].generated
    assert cfg.candidates[2].api_url and cfg.candidates[2].model_args == {"concurrency": 4}
