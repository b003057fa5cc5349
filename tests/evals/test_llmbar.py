"""LLMBar: the authors' prompts verbatim, their parsing rules, both orders, oracle/wrong, bad rows."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.judge_eval.swap import debate, reverse_output_ab
from benchgate.judge_eval.verdicts import parse_llmbar, parse_llmbar_cot
from benchgate.models.base import Generation
from tests.conftest import ROOT, mean_score, score_all

LLMBAR = import_benchmark(ROOT / "evals" / "llmbar.py")
JUDGES = ROOT.parent / "shared" / "judges"


def ctx(chat=True, data=JUDGES, **args):
    return RunContext(dataset_dir=data, dataset_hub="local", args=LLMBAR.effective_args(args), chat=chat)


def test_sets_sizes_and_categories():
    c = ctx()
    sizes = {s: len(LLMBAR.load(c, s)) for s in LLMBAR.subsets(c)}
    assert sizes == {"Natural": 100, "GPTInst": 92, "GPTOut": 47, "Manual": 46, "Neighbor": 134}
    assert LLMBAR.category(c, "Natural") == "Natural" and LLMBAR.category(c, "Manual") == "Adversarial"


def test_vanilla_prompt_is_the_file_split_as_chatml_in_both_orders():
    c = ctx()
    sample = LLMBAR.load(c, "Natural")[0]
    first, swapped = LLMBAR.requests(c, sample)
    text = (JUDGES / "llmbar" / "prompts" / "comparison" / "Vanilla.txt").read_text(encoding="utf-8")
    system_text = text.split("<|im_start|>system\n")[1].split("<|im_end|>")[0].strip()
    user_text = text.split("<|im_start|>user\n")[1].split("<|im_end|>")[0].strip()
    d = sample.data
    assert first.prompt == ({"role": "system", "content": system_text},
                            {"role": "user", "content": user_text.format(input=d["input"], output_1=d["output_1"],
                                                                         output_2=d["output_2"])})
    assert swapped.prompt[1]["content"] == user_text.format(input=d["input"], output_1=d["output_2"],
                                                            output_2=d["output_1"])
    assert first.max_new_tokens == 50 and first.cache_tag != swapped.cache_tag
    # gold of this row is output 1: first in the original order, second when swapped
    assert sample.target == 1 and first.oracle == "Output (a)" and swapped.oracle == "Output (b)"
    plain = LLMBAR.requests(ctx(chat=False), sample)[0].prompt
    assert plain == system_text + "\n\n" + first.prompt[1]["content"]


@pytest.mark.parametrize(("text", "vanilla", "cot"), [
    ("Output (a)", "A", None), (" Output (b)", "B", None), ("I pick\nOutput (b)", "B", None),
    ("So Output (a)", None, None), ("Therefore, Output (b) is better.", None, "B"),
    ("Output (a) is better. Output (b) is better.", "A", "A"), ("", None, None)])
def test_parsing_rules_as_the_authors_configs(text, vanilla, cot):
    assert parse_llmbar(text) == vanilla and parse_llmbar_cot(text) == cot


def test_swap_and_synthesize_debate_as_the_authors_annotate():
    """Hand cases of LLMEvaluator/evaluate.py: a synthesize round only when the two orders chose
    different outputs of the row; Assistant (a) argues for the output shown first, an
    explanation written in the other order has (a)/(b) swapped."""
    fa, fb = "Output (a) wins. Therefore, Output (a) is better.", "Therefore, Output (b) is better."
    # original order chose output 1 (a), swapped order chose output 1 too ((b) = output 1): agree
    assert debate(parse_llmbar_cot, (fa, fb)) is None
    assert debate(parse_llmbar_cot, (fa, "no verdict")) is None  # one unparsed: no synthesize round
    # both chose (a): original -> output 1, swapped -> output 2: disagree
    shown = debate(parse_llmbar_cot, ("  " + fa + "\n", "output (a) is shorter. Therefore, Output (a) is better."))
    assert shown == [
        # row order: explanation_1 argues output 1 = (a) as written; explanation_2 (written swapped) reversed
        (fa, "output (b) is shorter. Therefore, Output (b) is better."),
        # swapped order: Assistant (a) argues output 2, now shown first, as written; output 1's reversed
        ("output (a) is shorter. Therefore, Output (a) is better.", "Output (b) wins. Therefore, Output (b) is better.")]
    assert reverse_output_ab("Output (a) and output (b), not Output (c)") == "Output (b) and output (a), not Output (c)"


@given(st.text(alphabet="Outpa()b ", max_size=30))
def test_reversing_outputs_twice_is_the_identity(text):
    assert reverse_output_ab(reverse_output_ab(text)) == text


@given(st.text(alphabet="abcdefgh ().\n", max_size=40))
def test_text_without_the_word_output_never_parses(text):
    assert parse_llmbar(text) is None and parse_llmbar_cot(text) is None


def test_scores_hand_computed():
    c = ctx()
    sample = LLMBAR.load(c, "Natural")[0]  # gold: output 1
    cases = {("Output (a)", "Output (b)"): dict(acc=1.0, acc_both=1.0, agreement=1.0, first_position=0.5),
             ("Output (a)", "Output (a)"): dict(acc=0.5, acc_both=0.0, agreement=0.0, first_position=1.0),
             ("Output (b)", "nonsense"): dict(acc=0.0, acc_both=0.0, agreement=0.0, parse_failure=0.5),
             ("nonsense", "nope"): dict(acc=0.0, agreement=1.0, parse_failure=1.0)}
    for (a, b), expected in cases.items():
        scores = LLMBAR.score(c, sample, [Generation(a), Generation(b)]).scores
        assert {k: scores[k] for k in expected} == expected, (a, b)
    one = LLMBAR.score(ctx(swap=False), sample, [Generation("Output (a)")]).scores
    assert one["acc"] == 1.0 and "acc_both" not in one


def test_oracle_best_wrong_worst():
    c = ctx()
    oracle, wrong = score_all(LLMBAR, c, "oracle"), score_all(LLMBAR, c, "wrong")
    assert len(oracle) == 419
    assert mean_score(oracle, "acc") == 1.0 and mean_score(oracle, "agreement") == 1.0
    assert mean_score(wrong, "acc") == 0.0 and mean_score(wrong, "parse_failure") == 0.0
    cot = score_all(LLMBAR, ctx(prompt="CoT"), "oracle", subsets=["Manual"])
    assert mean_score(cot, "acc") == 1.0


def test_fastchat_template_through_the_arena_parser(tmp_path):
    path = tmp_path / "judge_prompts.jsonl"
    path.write_text('{"name": "pair-v2", "type": "pairwise", "system_prompt": "Be fair.", "prompt_template": '
                    '"[Q]{question}[A]{answer_a}[B]{answer_b}", "output_format": "[[A]]", "category": "general"}\n')
    c = ctx(judge_template=str(path))
    sample = LLMBAR.load(c, "Natural")[0]
    first, _ = LLMBAR.requests(c, sample)
    assert first.prompt[0] == {"role": "system", "content": "Be fair."}
    assert first.prompt[1]["content"].startswith("[Q]" + sample.data["input"])
    tie = LLMBAR.score(c, sample, [Generation("[[C]]"), Generation("[[C]]")]).scores
    assert tie["acc"] == 0.0 and tie["parse_failure"] == 0.0 and tie["agreement"] == 1.0
    assert mean_score(score_all(LLMBAR, c, "oracle", subsets=["GPTOut"]), "acc") == 1.0


def test_bad_prompt_and_malformed_row(tmp_path):
    with pytest.raises(ValueError, match="LLMBar prompt 'Mine' not found"):
        LLMBAR.protocol(ctx(prompt="Mine"))
    with pytest.raises(ValueError, match="auxiliary round"):
        LLMBAR.protocol(ctx(prompt="Metrics_Reference"))
    folder = tmp_path / "llmbar" / "Natural"
    folder.mkdir(parents=True)
    (folder / "dataset.json").write_text('[\n{"input": "q", "output_1": "a", "output_2": "b", "label": 3}\n]')
    samples = LLMBAR.load(ctx(data=tmp_path), "Natural")
    assert samples[0].error == f"{folder / 'dataset.json'}:2: malformed row: label must be 1 or 2, got 3"
