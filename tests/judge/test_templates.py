"""Judge templates from the real FastChat and EvalScope files (../shared/arena)."""
import json

import pytest

from benchgate.judge.templates import TemplateError, load_templates, select_template
from tests.conftest import ARENA_DATA as ARENA

FASTCHAT = ARENA / "judge_prompts.jsonl"
EVALSCOPE = ARENA / "evalscope" / "prompt_template" / "prompt_templates.jsonl"
LMSYS_V2 = ARENA / "evalscope" / "prompt_template" / "lmsys_v2.jsonl"


@pytest.fixture(scope="module", params=[FASTCHAT, EVALSCOPE, LMSYS_V2], ids=["fastchat", "evalscope", "lmsys_v2"])
def templates(request):
    if not request.param.is_file():
        pytest.fail(f"shared arena data missing: {request.param}")
    return load_templates(request.param)


def test_reads_all_eight(templates):
    assert len(templates) == 8
    names = {t.name for t in templates}
    assert {"pair-v2", "pair-v2-multi-turn", "pair-math-v1", "pair-math-v1-multi-turn",
            "single-v1", "single-math-v1", "single-v1-multi-turn", "single-math-v1-multi-turn"} == names


def test_selection_follows_fastchat(templates):
    # FastChat gen_judgment.make_judge_pairwise/single: 'default', 'math' (reference-guided,
    # for NEED_REF_CATS = math, reasoning, coding) and their multi-turn forms
    for kind, prefix in (("pairwise", "pair"), ("single", "single")):
        general = f"{prefix}-v2" if kind == "pairwise" else "single-v1"
        for category in ("math", "reasoning", "coding"):
            assert select_template(templates, kind, category, 1, True).name == f"{prefix}-math-v1"
            assert select_template(templates, kind, category, 2, True).name == f"{prefix}-math-v1-multi-turn"
            # no reference answer: the general template
            assert select_template(templates, kind, category, 1, False).name == general
        for category in ("writing", "roleplay", "stem", "humanities", "extraction", "generic"):
            assert select_template(templates, kind, category, 1, True).name == general
            assert select_template(templates, kind, category, 2, False).name == f"{general}-multi-turn"


def test_render_is_fastchat_format(templates):
    t = select_template(templates, "pairwise", "math", 2, True)
    path = t.source.rsplit(":", 1)[0]
    raw = next(r for r in map(json.loads, open(path, encoding="utf-8")) if r["name"] == t.name)
    values = {"question_1": "Q1", "question_2": "Q2", "answer_a_1": "A1", "answer_a_2": "A2",
              "answer_b_1": "B1", "answer_b_2": "B2", "ref_answer_1": "R1", "ref_answer_2": "R2"}
    system, user = t.render(values)
    assert system == raw["system_prompt"]
    assert user == raw["prompt_template"].format(**values)  # FastChat's run_judge_pair
    assert t.output_format == "[[A]]" and t.multi_turn and t.ref_based and t.turns == 2


def test_bad_template_files_name_the_line_and_key(tmp_path):
    def write(rows):
        path = tmp_path / "t.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        return path

    good = {"name": "p", "type": "pairwise", "system_prompt": "", "prompt_template": "{question} {answer_a} {answer_b}",
            "output_format": "[[A]]", "category": "general"}
    with pytest.raises(TemplateError, match=r"t.jsonl:1: .*'output_format'"):
        load_templates(write([{**good, "output_format": "[[X]]"}]))
    with pytest.raises(TemplateError, match=r"t.jsonl:2: .*unknown placeholder\(s\) \['answer_c'\]"):
        load_templates(write([good, {**good, "name": "q", "prompt_template": "{answer_c}"}]))
    with pytest.raises(TemplateError, match=r"t.jsonl:1: .*does not fit type 'single'"):
        load_templates(write([{**good, "type": "single"}]))
    with pytest.raises(TemplateError, match="appear more than once"):
        load_templates(write([good, good]))
    with pytest.raises(TemplateError, match="no 2-turn pairwise judge template"):
        select_template(load_templates(write([good])), "pairwise", "writing", 2)
