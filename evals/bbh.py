"""BIG-Bench Hard (Suzgun et al., 2022): 27 tasks, 6,511 examples, chain-of-thought.

Default: the paper's 3-shot CoT setup as lm-evaluation-harness `bbh_cot_fewshot`: the prompt is
the task's `cot-prompts/<task>.txt` (description + 3 worked exemplars, canary header removed),
then "\\n\\nQ: {input}\\nA: Let's think step by step."; greedy generation stopped at "\\n\\nQ:".
The answer is the text after the last "the answer is" (case-insensitive), up to the end of that
line, without a trailing "." and markdown bold. `acc` compares it with the target after light
normalisation (case, "(B)" vs "B" vs "(B) option text" for letter targets, numbers as numbers);
`exact_match` is lm-eval's strict check (first "the answer is " match, last character
dropped, case-insensitive equality). The options live inside the question text, so there is no
choice shuffling for BBH.
"""
from __future__ import annotations

import re
from pathlib import Path

from benchgate.benchmark import Benchmark, DataError, DataMissing, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, json_items, read_json, read_text, to_samples
from benchgate.extract import normalize_number, numbers_equal
from benchgate.models.base import GenerateRequest

STOP = ("\n\nQ:",)
COT_SUFFIX = "\nA: Let's think step by step."
_ANSWER_IS = re.compile(r"the answer is", re.IGNORECASE)
_LM_EVAL = re.compile(r"(?<=the answer is )(.*)(?=.)")
_LETTER_TARGET = re.compile(r"^\(([A-Z])\)$")
_LETTER = re.compile(r"^\(?([A-Z])\)?(?:$|[\s.:,)])")


def extract_answer(text: str) -> str | None:
    """The text after the last "the answer is" on its line, without markup, quotes and a
    trailing period; None when the phrase is missing."""
    matches = list(_ANSWER_IS.finditer(text))
    if not matches:
        return None
    rest = text[matches[-1].end():].split("\n", 1)[0].strip()
    rest = rest.lstrip(":").strip()
    for _ in range(3):  # peel nested markup: **(B)**, `True`, "yes".
        before = rest
        rest = rest.strip().rstrip(".").strip()
        for left, right in (("**", "**"), ("__", "__"), ("`", "`"), ('"', '"'), ("$", "$")):
            if len(rest) > len(left) + len(right) and rest.startswith(left) and rest.endswith(right):
                rest = rest[len(left):-len(right)]
        if rest == before:
            break
    return rest or None


def answers_match(answer: str | None, target: str) -> bool:
    """Normalised comparison: letters for "(X)" targets, numbers numerically, else
    case- and whitespace-insensitive text."""
    if answer is None:
        return False
    letter = _LETTER_TARGET.match(target)
    if letter:
        m = _LETTER.match(answer.strip())
        return bool(m) and m.group(1) == letter.group(1)
    if normalize_number(target) is not None and target.strip().lstrip("-").isdigit():
        return numbers_equal(answer, target)
    return " ".join(answer.lower().split()) == " ".join(target.lower().split())


def lm_eval_exact_match(text: str, target: str) -> bool:
    """lm-eval bbh_cot_fewshot: regex `(?<=the answer is )(.*)(?=.)`, first match, ignore_case."""
    found = _LM_EVAL.findall(text)
    return bool(found) and found[0].lower() == target.lower()


def read_examples(path: Path):
    """Rows (index, example | DataError, "file:line") of a BBH task file
    `{"canary": ..., "examples": [...]}`; the line is where each example starts."""
    doc, text = read_json(path)
    examples = doc.get("examples") if isinstance(doc, dict) else None
    key = re.search(r'"examples"\s*:\s*\[', text)
    if not isinstance(examples, list) or key is None:
        raise DataError(f"{path}:1: expected an object with an \"examples\" list")
    for index, obj, where in json_items(path, text, key.end(), len(examples)):
        yield index, obj if isinstance(obj, dict) else DataError(f"{where}: expected a JSON object"), where


def _convert(row: dict) -> tuple[dict, str]:
    question, target = row["input"], row["target"]
    if not isinstance(question, str) or not isinstance(target, str) or not target.strip():
        raise ValueError("'input' and 'target' must be non-empty strings")
    return {"input": question}, target.strip()


def local_folder(ctx: RunContext, name: str) -> Path:
    """The local data folder; this benchmark is not wired to a hub."""
    if ctx.dataset_hub != "local":
        raise DataMissing(f"{name}: only local data is supported (no {ctx.dataset_hub} copy is wired); "
                        f"pass --dataset-dir with a folder that contains {name}/")
    return dataset_folder(ctx, name)


class BBH(Benchmark):
    name = "bbh"
    modes = ("generate",)
    primary_metric = "acc"
    default_args = {"few_shot_num": 3}

    def _folder(self, ctx: RunContext) -> Path:
        return local_folder(ctx, "bbh")

    def subsets(self, ctx: RunContext) -> list[str]:
        folder = self._folder(ctx) / "bbh"
        names = sorted(p.stem for p in folder.glob("*.json"))
        if not names:
            raise DataError(f"{folder}: no <task>.json files")
        return names

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        self.exemplars(ctx, subset)  # a missing or broken CoT prompt fails the task here, once
        return to_samples(self.name, subset, read_examples(self._folder(ctx) / "bbh" / f"{subset}.json"),
                          _convert)

    def cot_prompt(self, ctx: RunContext, subset: str) -> str:
        """The task's CoT prefix without the canary header (text after the "-----" line)."""
        def build() -> str:
            path = self._folder(ctx) / "cot-prompts" / f"{subset}.txt"
            if not path.is_file():
                raise DataError(f"{path}: file not found (the CoT prompt of {subset})")
            text = read_text(path)
            head, sep, body = text.partition("\n-----\n")
            if not sep:
                raise DataError(f"{path}:1: no '-----' line after the canary header")
            return body.strip("\n")
        return ctx.cached(("bbh", "cot", subset), build)

    def exemplars(self, ctx: RunContext, subset: str) -> str:
        """The CoT prompt cut to its description and the first few_shot_num exemplars."""
        n = ctx.args["few_shot_num"]
        prefix = self.cot_prompt(ctx, subset)
        if n != 3:  # keep the description and the first n exemplars
            blocks = prefix.split("\n\nQ: ")
            if n > len(blocks) - 1:
                path = self._folder(ctx) / "cot-prompts" / f"{subset}.txt"
                raise DataError(f"{path}:1: bbh/{subset}: few_shot_num={n} but the CoT prompt has "
                                f"{len(blocks) - 1} exemplars")
            prefix = "\n\nQ: ".join(blocks[: n + 1])
        return prefix

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        return f"{self.exemplars(ctx, sample.subset)}\n\nQ: {sample.data['input']}{COT_SUFFIX}"

    def requests(self, ctx: RunContext, sample: Sample):
        return [GenerateRequest(self.prompt(ctx, sample), stop=STOP,
                                oracle=f" The reasoning goes here. So the answer is {sample.target}.")]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        text = outputs[0].text
        answer = extract_answer(text)
        return Scored(answer, {"acc": float(answers_match(answer, sample.target)),
                               "exact_match": float(lm_eval_exact_match(text, sample.target))})


BENCHMARK = BBH()
