"""HaluEval (Li et al., EMNLP 2023), QA subset: can the model tell a hallucinated answer?

Data: `halueval/qa_one-turn_data.json` (JSON lines: knowledge, question, right_answer,
hallucinated_answer; RUCAIBox/HaluEval). Every question is asked twice, once with the right
answer (gold: "No", not hallucinated) and once with the hallucinated one (gold: "Yes"); the
authors' script picks one of the two at random, benchgate asks both so the score does not
depend on a coin. A sample is one question with its two judgments; the index is the row's
position in the file.

Prompt (`prompt` dataset arg):
- `evalscope` (default, EvalScope `halueval` qa_samples): one user turn,
  "{instruction}\n\n#Knowledge: {knowledge}\n#Question#: {question}\n#Answer#: {answer}\n#Your Judgement#:"
  with EvalScope's QA_INSTRUCTIONS (the authors' instruction, its quotes unescaped).
- `authors` (evaluation/evaluate.py `get_qa_response`): system "You are a huallucination detector. ..."
  and the user turn "{instruction}\n\n#Question#: {question}\n#Answer#: {answer}\n#Your Judgement#: "
  with the instruction file's text verbatim (no knowledge).
Without a chat template the system text (if any) and the user turn are joined by a blank line
and generation stops at the first line break (base models continue the few-shot pattern).

Scoring as EvalScope: the verdict is read with `extract_verdict` (exactly one whole-word
"Yes"/"YES" or "No"/"NO"; both or neither is no verdict and counts as wrong). Per sample:
`acc` (share of its two judgments that are right), `acc_right` (the right answer judged not
hallucinated), `acc_hallucinated` (the hallucinated answer caught), `yes_ratio`; per subset
and benchmark also precision, recall and F1 of "Yes" (hallucinated) as EvalScope reports.

Hallucination dimension score (`dimension_score`): the harmonic mean of `acc_hallucinated` and
`acc_right`, so answering always "Yes" (or always "No") scores 0, not `acc`'s 0.5.
"""
from __future__ import annotations

import re

from benchgate.benchmark import Benchmark, RunContext, Sample, Scored, chat_prompt
from benchgate.data.files import dataset_folder, read_jsonl, to_samples
from benchgate.metrics.dimension import DimensionScore, both_sides
from benchgate.models.base import GenerateRequest

# RUCAIBox/HaluEval @ b7253db evaluation/qa/qa_evaluation_instruction.txt, verbatim (its quotes
# are written \" in the file, and the authors' script sends them so)
AUTHORS_QA_INSTRUCTION = (
    'I want you act as an answer judge. Given a question and an answer, your objective is to determine if the provided answer contains non-factual or hallucinated information. You SHOULD give your judgement based on the following hallucination types and the world knowledge.\n'
    '\n'
    'You are trying to determine if the answer misunderstands the question context and intention.\n'
    '#Question#: What is a rare breed of dog that was derived as a variant of Rat Terrier, Shiloh Shepherd dog or American Hairless Terrier?\n'
    '#Answer#: American Hairless Terrier\n'
    '#Your Judgement#: No\n'
    '\n'
    'You are trying to determine if there is a factual contradiction between the answer and the world knowledge. Some information in the answer might be fabricated.\n'
    '#Question#: Are the New Orleans Outfall Canals the same length as the Augusta Canal?\n'
    '#Answer#: No, the New Orleans Outfall Canals and the Augusta Canal are not the same length. The Orleans Canal is approximately 3.6 miles (5.8 kilometers) long while the Augusta Canal is approximately 7 miles (11.3 kilometers) long.\n'
    '#Your Judgement#: Yes\n'
    '#Question#: What U.S Highway gives access to Zilpo Road, and is also known as Midland Trail?\n'
    '#Answer#: U.S Highway 70\n'
    '#Your Judgement#: Yes\n'
    '\n'
    'You are trying to determine if the answer is too general or too specific to answer the question at an appropriate level of specificity.\n'
    '#Question#: What genre do Superheaven and Oceansize belong to?\n'
    '#Answer#: Superheaven and Oceansize belong to the rock genre.\n'
    '#Your Judgement#: No\n'
    '#Question#: What profession do Kōbō Abe and Agatha Christie share?\n'
    '#Answer#: Playwright.\n'
    '#Your Judgement#: No\n'
    '\n'
    'You are trying to determine if the answer can be correctly inferred from the knowledge.\n'
    '#Question#: Which band has more members, Muse or The Raconteurs?\n'
    '#Answer#: Muse has more members than The Raconteurs.\n'
    '#Your Judgement#: Yes\n'
    '#Question#: Which is currently more valuable, Temagami-Lorrain Mine or Meadowbank Gold Mine?\n'
    '#Answer#: Meadowbank Gold Mine, since Meadowbank Gold Mine is still producing gold and the TemagamiLorrain Mine has been inactive for years.\n'
    '#Your Judgement#: No\n'
    '\n'
    'You should try your best to determine if the answer contains non-factual or hallucinated information according to the above hallucination types. The answer you give MUST be \\"Yes\\" or \\"No\\"".')
# EvalScope halu_eval_instructions.QA_INSTRUCTIONS: the same text in a Python string (the \"
# become plain quotes) ending with a line break
EVALSCOPE_QA_INSTRUCTION = AUTHORS_QA_INSTRUCTION.replace('\\"', '"') + "\n"
AUTHORS_SYSTEM = ("You are a huallucination detector. You MUST determine if the provided answer contains "
                  "hallucination or not for the question based on the world knowledge. The answer you "
                  "provided MUST be \"Yes\" or \"No\"")
PROMPTS = ("evalscope", "authors")

# EvalScope utils/yes_no.py: whole-word verdicts, as prompts ask for them or in capitals
_YES = re.compile(r"\b(?:Yes|YES)\b")
_NO = re.compile(r"\b(?:No|NO)\b")


def extract_verdict(reply: str) -> str | None:
    """"YES" or "NO" when the reply holds exactly one whole-word verdict, else None."""
    has_yes, has_no = _YES.search(reply) is not None, _NO.search(reply) is not None
    if has_yes == has_no:
        return None
    return "YES" if has_yes else "NO"


def _convert(row: dict) -> tuple[dict, None]:
    for key in ("knowledge", "question", "right_answer", "hallucinated_answer"):
        if not isinstance(row[key], str) or not row[key].strip():
            raise ValueError(f"field {key!r} must be a non-empty string")
    return {k: row[k] for k in ("knowledge", "question", "right_answer", "hallucinated_answer")}, None


class HaluEval(Benchmark):
    name = "halueval"
    modes = ("generate",)
    primary_metric = "acc"
    dimension = "Hallucination"
    default_args = {"prompt": "evalscope"}

    def effective_args(self, user_args):
        args = super().effective_args(user_args)
        if args["prompt"] not in PROMPTS:
            raise ValueError(f"--dataset-args: halueval prompt must be one of {PROMPTS}, got {args['prompt']!r}")
        return args

    def dimension_score(self, metrics, primary, lower) -> DimensionScore:
        """Both sides: harmonic mean of acc_hallucinated and acc_right."""
        return both_sides(metrics.get("acc_hallucinated"), metrics.get("acc_right"),
                          "acc_hallucinated", "acc_right")

    def subsets(self, ctx: RunContext) -> list[str]:
        return ["qa"]

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        path = dataset_folder(ctx, "halueval") / "qa_one-turn_data.json"
        return to_samples(self.name, subset, read_jsonl(path), _convert)

    def prompt(self, ctx: RunContext, sample: Sample, answer: str):
        d = sample.data
        if ctx.args["prompt"] == "authors":
            user = (f"{AUTHORS_QA_INSTRUCTION}\n\n#Question#: {d['question']}\n#Answer#: {answer}"
                    f"\n#Your Judgement#: ")
            return chat_prompt(ctx, user, AUTHORS_SYSTEM)
        user = (f"{EVALSCOPE_QA_INSTRUCTION}\n\n#Knowledge: {d['knowledge']}\n#Question#: {d['question']}"
                f"\n#Answer#: {answer}\n#Your Judgement#:")
        return chat_prompt(ctx, user)

    def requests(self, ctx: RunContext, sample: Sample):
        stop = () if ctx.chat else ("\n",)
        return [GenerateRequest(self.prompt(ctx, sample, sample.data["right_answer"]), stop=stop, oracle="No"),
                GenerateRequest(self.prompt(ctx, sample, sample.data["hallucinated_answer"]), stop=stop,
                                oracle="Yes")]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        right, hallucinated = (extract_verdict(o.text) for o in outputs)
        ok_right, ok_hallucinated = right == "NO", hallucinated == "YES"
        return Scored([right, hallucinated], {
            "acc": (ok_right + ok_hallucinated) / 2, "acc_right": float(ok_right),
            "acc_hallucinated": float(ok_hallucinated),
            "yes_ratio": ((right == "YES") + (hallucinated == "YES")) / 2,
            # components of precision/recall/F1 of "Yes" (corpus_metrics)
            "_tp": float(hallucinated == "YES"), "_fp": float(right == "YES"), "_fn": float(hallucinated != "YES")})

    def corpus_metrics(self, scores):
        """EvalScope's precision, recall and F1 of the "Yes" (hallucinated) verdict."""
        tp, fp, fn = (sum(s[k] for s in scores) for k in ("_tp", "_fp", "_fn"))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1}


BENCHMARK = HaluEval()
