"""Judge prompts for the judge benchmarks.

- LLMBar's prompt files (``<llmbar>/prompts/comparison/<name>.txt``, and the synthesize round's
  ``prompts/swap_and_synthesize/<name>.txt`` with ``{explanation_1}``, ``{explanation_2}`` too):
  ChatML text (``<|im_start|>system ... <|im_end|>``) with ``{input}``, ``{output_1}``, ``{output_2}``,
  split into messages as LLMBar's ``prompt_to_chatml`` does (role line, content stripped).
- PandaLM-7B's prompt (pandalm/utils ``build_pandalm_prompt``): the instruction, the input when
  there is one, the two responses, "### Evaluation:\\n".
- FastChat/EvalScope pairwise templates (`benchgate.judge.templates`): ``{question}``,
  ``{answer_a}``, ``{answer_b}``.
"""
from __future__ import annotations

import string
from pathlib import Path

from benchgate.benchmark import DataError

LLMBAR_FIELDS = {"input", "output_1", "output_2"}
SYNTHESIS_FIELDS = {"explanation_1", "explanation_2"}  # the swap-and-synthesize round's debate


def chatml_messages(text: str, where: str) -> list[dict[str, str]]:
    """LLMBar's prompt_to_chatml: ChatML text as [{"role", "content"}]."""
    text = text.strip()
    if not text.startswith("<|im_start|>") or not text.endswith("<|im_end|>"):
        raise DataError(f"{where}: expected a ChatML prompt (<|im_start|> ... <|im_end|>)")
    messages = []
    for part in text.split("<|im_start|>")[1:]:
        role, _, rest = part.partition("\n")
        role = role.strip()
        messages.append({"role": "system" if role.startswith("system") else role,
                         "content": rest.split("<|im_end|>", 1)[0].strip()})
    return messages


def load_llmbar_prompt(folder: Path, name: str, kind: str = "comparison") -> list[dict[str, str]]:
    """The messages of an LLMBar prompt file (`kind`: its folder, ``comparison`` or
    ``swap_and_synthesize``, whose prompts also take the two first-round explanations); a
    prompt that needs an auxiliary round (metrics, reference) is refused with the placeholder
    it needs."""
    path = folder / "prompts" / kind / f"{name}.txt"
    if not path.is_file():
        found = sorted(p.stem for p in (folder / "prompts" / kind).glob("*.txt"))
        raise ValueError(f"--dataset-args: LLMBar prompt {name!r} not found at {path} (found: {found})")
    messages = chatml_messages(path.read_text(encoding="utf-8"), str(path))
    fields = {f for m in messages for _, f, _, _ in string.Formatter().parse(m["content"]) if f}
    extra = fields - LLMBAR_FIELDS - (SYNTHESIS_FIELDS if kind == "swap_and_synthesize" else set())
    if extra:
        raise ValueError(f"--dataset-args: LLMBar prompt {name!r} needs {sorted(extra)} from an "
                         f"auxiliary round, which benchgate does not run")
    return messages


def fill(messages: list[dict[str, str]], values: dict[str, str]) -> list[dict[str, str]]:
    """The messages with the placeholders filled (str.format_map, as LLMBar does)."""
    return [{"role": m["role"], "content": m["content"].format_map(values)} for m in messages]


def pandalm_prompt(instruction: str, input_text: str, response1: str, response2: str) -> str:
    """PandaLM-7B's evaluation prompt."""
    rsp = f"### Response 1:\n{response1.strip()}\n\n### Response 2:\n{response2.strip()}"
    if input_text:
        return ("Below are two responses for a given task. The task is defined by the Instruction with an "
                "Input that provides further context. Evaluate the responses and generate a reference answer "
                f"for the task.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input_text}\n\n{rsp}"
                "\n\n### Evaluation:\n")
    return ("Below are two responses for a given task. The task is defined by the Instruction. Evaluate the "
            "responses and generate a reference answer for the task.\n\n### Instruction:\n"
            f"{instruction}\n\n{rsp}\n\n### Evaluation:\n")
