"""How a judge benchmark asks its judge: the prompt for a pair and the rule reading the reply.

`--dataset-args` keys (both judge benchmarks):
- ``prompt``: ``pandalm`` (PandaLM-7B's prompt, verdict rule ``pandalm``), an LLMBar comparison
  prompt name (``Vanilla``, ``Vanilla_NoRules``, ``CoT``, ``Vanilla_1shot``, ...; rule
  ``llmbar``, or ``llmbar_cot`` for CoT prompts), or ``Swap`` / ``Swap_CoT`` (LLMBar's
  swap-and-synthesize, `benchgate.judge_eval.swap`: the CoT prompt in both orders, then, where
  the two disagree, the `Synthesis` round, read by ``llmbar`` for Swap and ``llmbar_cot`` for
  Swap_CoT, as the authors' configs).
- ``judge_template``: a FastChat ``judge_prompts.jsonl`` / EvalScope template file (overrides
  ``prompt``); ``template_name`` picks one pairwise template (default: the general
  single-turn one), ``parser`` the arena parser (``lmsys_parser`` default, ``arena_hard``,
  ``json``). The pair fills ``{question}``, ``{answer_a}``, ``{answer_b}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from benchgate.argspec import Arg
from benchgate.judge.templates import TemplateError, load_templates, select_template
from benchgate.judge_eval.prompts import fill, load_llmbar_prompt, pandalm_prompt
from benchgate.judge_eval.verdicts import answer_for, rule_parser, template_parser

# LLMBar's max_tokens per prompt kind (LLMEvaluator/evaluators/config/GPT-4/*.json)
LLMBAR_MAX_TOKENS = {"llmbar": 50, "llmbar_cot": 300}
SYNTHESIZE = ("Swap", "Swap_CoT")  # LLMBar's swap-and-synthesize prompts
PANDALM_MAX_TOKENS = 512

# the --dataset-args both judge benchmarks take for a FastChat/EvalScope template (beside `prompt`)
TEMPLATE_ARGS = {
    "judge_template": Arg(None, str, help="a FastChat/EvalScope judge template file (overrides prompt)"),
    "template_name": Arg(None, str, help="the template of judge_template to use"),
    "parser": Arg("lmsys_parser", str, choices=("lmsys_parser", "fastchat", "arena_hard", "json"),
                  help="the arena parser for judge_template"),
}


@dataclass(frozen=True)
class Synthesis:
    """The synthesize round of LLMBar's swap-and-synthesize (`benchgate.judge_eval.swap`):
    `build(input, first, second, explanation_1, explanation_2)` gives (system or None, user)
    with the outputs in the order shown and the debate's two explanations; `parse` its rule."""

    name: str
    style: str
    build: Callable[[str, str, str, str, str], tuple[str | None, str]]
    parse: Callable[[str], str | None]
    max_new_tokens: int

    def answer(self, position: str) -> str:
        """The reply that picks `position`."""
        return answer_for(self.style, position)


@dataclass(frozen=True)
class Protocol:
    """A judge prompt and its verdict rule. `build(question, input, first, second)` gives
    (system or None, user) texts; `parse(text)` a position ("A", "B", "tie") or None."""

    name: str
    style: str  # a verdict rule or a template output_format (`verdicts.answer_for`)
    build: Callable[[str, str, str, str], tuple[str | None, str]]
    parse: Callable[[str], str | None]
    max_new_tokens: int | None
    has_tie: bool
    synthesis: Synthesis | None = None  # Swap, Swap_CoT: the round asked where the two orders disagree

    def answer(self, position: str) -> str:
        """The reply that picks `position` (the oracle's and wrong model's answers)."""
        text = answer_for(self.style, position)
        if text is None:
            raise ValueError(f"judge prompt {self.name!r} has no way to say {position!r}")
        return text


def _chatml_build(messages: list[dict[str, str]]) -> Callable[..., tuple[str | None, str]]:
    """(system or None, user) of LLMBar prompt messages filled with the given values (the
    non-system messages joined by a blank line)."""
    def build(values: dict[str, str]) -> tuple[str | None, str]:
        filled = fill(messages, values)
        system = next((m["content"] for m in filled if m["role"] == "system"), None)
        return system, "\n\n".join(m["content"] for m in filled if m["role"] != "system")
    return build


def _llmbar(folder: Path, name: str) -> Protocol:
    prompt_name = "CoT" if name in SYNTHESIZE else name
    first_round = _chatml_build(load_llmbar_prompt(folder, prompt_name))
    rule = "llmbar_cot" if "CoT" in prompt_name else "llmbar"

    def build(question: str, input_text: str, first: str, second: str) -> tuple[str | None, str]:
        text = question if not input_text else f"{question}\n\n{input_text}"
        return first_round({"input": text, "output_1": first, "output_2": second})
    synthesis = None
    if name in SYNTHESIZE:
        synthesize = _chatml_build(load_llmbar_prompt(folder, name, "swap_and_synthesize"))
        synth_rule = "llmbar_cot" if name == "Swap_CoT" else "llmbar"

        def build_synthesis(text: str, first: str, second: str, one: str, two: str) -> tuple[str | None, str]:
            return synthesize({"input": text, "output_1": first, "output_2": second,
                               "explanation_1": one, "explanation_2": two})
        synthesis = Synthesis(name, synth_rule, build_synthesis, rule_parser(synth_rule), LLMBAR_MAX_TOKENS[synth_rule])
    return Protocol(name, rule, build, rule_parser(rule), LLMBAR_MAX_TOKENS[rule], False, synthesis)


def _pandalm() -> Protocol:
    def build(question: str, input_text: str, first: str, second: str) -> tuple[str | None, str]:
        return None, pandalm_prompt(question, input_text, first, second)
    return Protocol("pandalm", "pandalm", build, rule_parser("pandalm"), PANDALM_MAX_TOKENS, True)


def _template(path: str, name: str | None, parser: str) -> Protocol:
    try:
        templates = load_templates(path)
        if name is None:
            template = select_template(templates, "pairwise", "general")
        else:
            template = next((t for t in templates if t.name == name), None)
            if template is None:
                raise TemplateError(f"{path}: no template named {name!r} "
                                    f"(found: {[t.name for t in templates]})")
        if template.type != "pairwise" or template.turns != 1 or template.ref_based:
            raise TemplateError(f"{path}: template {template.name!r} is not a single-turn pairwise "
                                f"template without reference")
        parse = template_parser(parser, template.output_format)
    except (TemplateError, ValueError) as e:
        raise ValueError(f"--dataset-args judge_template: {e}") from None

    def build(question: str, input_text: str, first: str, second: str) -> tuple[str | None, str]:
        text = question if not input_text else f"{question}\n\n{input_text}"
        system, user = template.render({"question": text, "answer_a": first, "answer_b": second})
        return system or None, user
    style = "[[A>>B]]" if parser == "arena_hard" else ("json" if parser == "json" else template.output_format)
    return Protocol(template.name, style, build, parse, None, True)


def protocol_for(args: dict, llmbar_folder: Path | None) -> Protocol:
    """The protocol the benchmark's effective args ask for (module doc)."""
    if args.get("judge_template"):
        return _template(args["judge_template"], args.get("template_name"), args.get("parser") or "lmsys_parser")
    if args["prompt"] == "pandalm":
        return _pandalm()
    if llmbar_folder is None:
        raise ValueError(f"--dataset-args: prompt {args['prompt']!r} is an LLMBar prompt; it needs "
                         f"the llmbar folder beside this benchmark's data")
    if args["prompt"] in SYNTHESIZE and not args.get("swap"):
        raise ValueError(f"--dataset-args: prompt {args['prompt']!r} (LLMBar's swap-and-synthesize) judges "
                         f"every pair in both orders: it needs llmbar with \"swap\": true")
    return _llmbar(llmbar_folder, args["prompt"])
