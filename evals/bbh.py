"""BIG-Bench Hard (Suzgun et al., 2022): 27 tasks, 6,511 examples, chain-of-thought.

Default: the paper's own 3-shot CoT setup. The prompt is the task's `cot-prompts/<task>.txt`
(description + 3 worked exemplars, canary header removed), then
"\n\nQ: {input}\nA: Let's think step by step."; greedy generation stopped at "\n\nQ:". This is
byte-identical to the model inputs in the authors' released code-davinci-002 outputs.

Scoring (primary `exact_match`): the authors' scoring of their released outputs: the text
after the last "So the answer is", stripped, one trailing "." removed, compared with the
target by exact string equality. Replaying those outputs reproduces the authors' per-task
accuracy exactly (tests/evals/test_bbh.py). Secondary metrics, named for what they are:
`lm_eval_exact_match` (lm-evaluation-harness `bbh_cot_fewshot` v4.0: regex
`(?<=the answer is )(.*)(?=.)`, first match, stripped, case-sensitive equality; it drops the
last character of an answer that has no final period) and `lenient_match` (case-insensitive,
letters "(B)"/"B"/"**(B)**", numbers as numbers).

Dataset arg `prompt_style: "lm_eval"` renders lm-evaluation-harness `bbh_cot_fewshot` (v4.0)
instead: exemplars "Q: ..\nA: Let's think step by step.\n<chain of thought>", a trailing "\n"
after the question's "Let's think step by step.", stops "</s>", "Q", "\n\n". The options live
inside the question text, so there is no choice shuffling for BBH.
"""
from __future__ import annotations

import re
from pathlib import Path

from benchgate.benchmark import Benchmark, DataError, DataMissing, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, json_items, read_json, read_text, to_samples
from benchgate.extract import normalize_number, numbers_equal
from benchgate.models.base import GenerateRequest

STOP = ("\n\nQ:",)
LM_EVAL_STOP = ("</s>", "Q", "\n\n")  # lm-eval bbh_cot_fewshot v4.0 generation_kwargs.until
PROMPT_STYLES = ("paper", "lm_eval")
COT_CUE = "\nA: Let's think step by step."
PAPER_PHRASE = "So the answer is"
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


def paper_answer(text: str) -> str:
    """The BBH authors' answer: the text after the last "So the answer is" (the whole text when
    the phrase is missing), stripped, without one trailing period."""
    answer = text.split(PAPER_PHRASE)[-1].strip()
    return answer[:-1] if answer.endswith(".") else answer


def lm_eval_answer(text: str) -> str:
    """lm-eval bbh_cot_fewshot filter "get-answer": regex `(?<=the answer is )(.*)(?=.)`,
    the first match, stripped; "[invalid]" when nothing matches (its RegexFilter fallback)."""
    found = _LM_EVAL.findall(text)
    return found[0].strip() if found else "[invalid]"


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
    primary_metric = "exact_match"
    default_args = {"few_shot_num": 3, "prompt_style": "paper"}

    def _folder(self, ctx: RunContext) -> Path:
        return local_folder(ctx, "bbh")

    def subsets(self, ctx: RunContext) -> list[str]:
        folder = self._folder(ctx) / "bbh"
        names = sorted(p.stem for p in folder.glob("*.json"))
        if not names:
            raise DataError(f"{folder}: no <task>.json files")
        return names

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        n = ctx.args["few_shot_num"]  # a missing or broken CoT prompt fails the task here, once
        if n > len(self.exemplars(ctx, subset)[1]):
            raise DataError(f"{self._cot_path(ctx, subset)}:1: bbh/{subset}: few_shot_num={n} but the CoT "
                            f"prompt has {len(self.exemplars(ctx, subset)[1])} exemplars")
        return to_samples(self.name, subset, read_examples(self._folder(ctx) / "bbh" / f"{subset}.json"),
                          _convert)

    def effective_args(self, user_args):
        args = super().effective_args(user_args)
        if args["prompt_style"] not in PROMPT_STYLES:
            raise ValueError(f"--dataset-args: bbh prompt_style must be one of {PROMPT_STYLES}, "
                             f"got {args['prompt_style']!r}")
        return args

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

    def _cot_path(self, ctx: RunContext, subset: str) -> Path:
        return self._folder(ctx) / "cot-prompts" / f"{subset}.txt"

    def exemplars(self, ctx: RunContext, subset: str) -> tuple[str, list[tuple[str, str]]]:
        """(description, [(question, chain of thought)]) of the task's CoT prompt."""
        def build():
            description, *blocks = self.cot_prompt(ctx, subset).split("\n\nQ: ")
            shots = []
            for block in blocks:
                question, cue, cot = block.partition(COT_CUE)
                if not cue:
                    raise DataError(f"{self._cot_path(ctx, subset)}:1: bbh/{subset}: a CoT exemplar has no "
                                    f"{COT_CUE.strip()!r} line")
                shots.append((question, cot[1:] if cot[:1] in (" ", "\n") else cot))
            return description, shots
        return ctx.cached(("bbh", "exemplars", subset), build)

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        n = ctx.args["few_shot_num"]
        description, shots = self.exemplars(ctx, sample.subset)
        if n > len(shots):
            raise DataError(f"{self._cot_path(ctx, sample.subset)}:1: bbh/{sample.subset}: few_shot_num={n} "
                            f"but the CoT prompt has {len(shots)} exemplars")
        if ctx.args["prompt_style"] == "lm_eval":  # description + "\n\n"-joined turns
            turns = [f"Q: {q}{COT_CUE}\n{cot}" for q, cot in shots[:n]]
            return "\n\n".join([description, *turns, f"Q: {sample.data['input']}{COT_CUE}\n"])
        prefix = self.cot_prompt(ctx, sample.subset)
        if n != len(shots):  # keep the description and the first n exemplars as written
            prefix = "\n\nQ: ".join(prefix.split("\n\nQ: ")[: n + 1])
        return f"{prefix}\n\nQ: {sample.data['input']}{COT_CUE}"

    def requests(self, ctx: RunContext, sample: Sample):
        stop = LM_EVAL_STOP if ctx.args["prompt_style"] == "lm_eval" else STOP
        return [GenerateRequest(self.prompt(ctx, sample), stop=stop,
                                oracle=f" The reasoning goes here. So the answer is {sample.target}.")]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        text = outputs[0].text
        answer = paper_answer(text)
        return Scored(answer, {
            "exact_match": float(answer == sample.target),
            "lm_eval_exact_match": float(lm_eval_answer(text) == sample.target),
            "lenient_match": float(answers_match(extract_answer(text), sample.target)),
        })


BENCHMARK = BBH()
