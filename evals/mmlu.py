"""MMLU (Hendrycks et al., 2021): 57 subjects, 4-way multiple choice.

Default: lm-evaluation-harness `mmlu` (5-shot from dev in file order, loglikelihood of
" A".." D"); `mode: generate` asks for the letter and extracts it, for chat/API models.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from benchgate.benchmark import Benchmark, DataError, RunContext, Sample, Scored, shuffle_choices
from benchgate.data.files import dataset_folder, read_csv, to_samples
from benchgate.data.hub import load_hub_split
from benchgate.extract import extract_choice
from benchgate.models.base import GenerateRequest, Loglikelihood, LoglikelihoodRequest

LETTERS = "ABCD"
CATEGORY_NAMES = {"STEM": "STEM", "humanities": "Humanities", "social sciences": "Social Sciences",
                  "other (business, health, misc.)": "Other"}
WRONG = Loglikelihood(-10.0, False)
RIGHT = Loglikelihood(0.0, True)


def _from_fields(fields: list[str]) -> tuple[dict, str]:
    question, *choices, answer = fields
    answer = answer.strip()
    if answer not in LETTERS:
        raise ValueError(f"answer must be one of A-D, got {answer!r}")
    return {"question": question, "choices": choices}, answer


def _from_hub(row: dict) -> tuple[dict, str]:
    if "choices" in row:  # cais/mmlu: question, choices, answer (0-3)
        return {"question": row["question"], "choices": list(row["choices"])}, LETTERS[int(row["answer"])]
    return _from_fields([row.get("input", row.get("question")), row["A"], row["B"], row["C"],
                         row["D"], row.get("target", row.get("answer"))])


class MMLU(Benchmark):
    name = "mmlu"
    modes = ("loglikelihood", "generate")
    primary_metric = "acc"
    default_args = {"few_shot_num": 5, "shuffle_choices": False}
    hub_ids = {"modelscope": "modelscope/mmlu", "huggingface": "cais/mmlu"}

    def _folder(self, ctx: RunContext) -> Path:
        return dataset_folder(ctx, "mmlu") / "data"

    def _split(self, ctx: RunContext, subset: str, split: str) -> list[Sample]:
        if ctx.dataset_hub == "local":
            rows = read_csv(self._folder(ctx) / split / f"{subset}_{split}.csv", n_fields=6)
            return to_samples(self.name, subset, rows, _from_fields)
        rows = load_hub_split(ctx.dataset_hub, self.hub_ids[ctx.dataset_hub], subset, split)
        where = f"{self.hub_ids[ctx.dataset_hub]}[{subset}/{split}]"
        return to_samples(self.name, subset, ((i, r, f"{where}#{i}") for i, r in enumerate(rows)),
                          _from_hub)

    def _categories(self, ctx: RunContext) -> dict[str, str]:
        def load() -> dict[str, str]:
            if ctx.dataset_hub != "local":
                return {}
            path = dataset_folder(ctx, "mmlu") / "categories.yaml"
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            return {s: CATEGORY_NAMES.get(v["category"], v["category"])
                    for s, v in data["subjects"].items()}
        return ctx.cached(("mmlu", "categories"), load)

    def subsets(self, ctx: RunContext) -> list[str]:
        if ctx.dataset_hub == "local":
            folder = self._folder(ctx) / "test"
            names = sorted(p.name[: -len("_test.csv")] for p in folder.glob("*_test.csv"))
            if not names:
                raise DataError(f"{folder}: no *_test.csv files")
            return names
        return sorted(self._categories(ctx)) or list(SUBJECTS)

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        samples = self._split(ctx, subset, "test")
        if ctx.args["shuffle_choices"]:
            for s in samples:
                if s.error is None:
                    s.data["choices"], gold = shuffle_choices(s.data["choices"],
                                                              LETTERS.index(s.target), ctx.seed, s.id)
                    s.target = LETTERS[gold]
        return samples

    def fewshot_pool(self, ctx: RunContext, subset: str) -> list[Sample]:
        return self._split(ctx, subset, "dev")

    def category(self, ctx: RunContext, subset: str) -> str | None:
        return self._categories(ctx).get(subset)

    @staticmethod
    def _question(sample: Sample) -> str:
        choices = "".join(f"\n{L}. {c}" for L, c in zip(LETTERS, sample.data["choices"]))
        return f"{sample.data['question'].strip()}{choices}\nAnswer:"

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        subject = sample.subset.replace("_", " ")
        head = f"The following are multiple choice questions (with answers) about {subject}.\n\n"
        shots = "".join(f"{self._question(s)} {s.target}\n\n" for s in self.shots(ctx, sample))
        return head + shots + self._question(sample)

    def requests(self, ctx: RunContext, sample: Sample):
        prompt = self.prompt(ctx, sample)
        if ctx.args["mode"] == "generate":
            return [GenerateRequest(prompt, stop=("\n\n",), oracle=f" {sample.target}")]
        return [LoglikelihoodRequest(prompt, f" {L}", oracle=RIGHT if L == sample.target else WRONG)
                for L in LETTERS]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        if ctx.args["mode"] == "generate":
            choice = extract_choice(outputs[0].text, LETTERS)
        else:
            logprobs = [o.logprob for o in outputs]
            choice = LETTERS[logprobs.index(max(logprobs))]
        return Scored(choice, {"acc": float(choice == sample.target)})


SUBJECTS = (
    "abstract_algebra anatomy astronomy business_ethics clinical_knowledge college_biology "
    "college_chemistry college_computer_science college_mathematics college_medicine "
    "college_physics computer_security conceptual_physics econometrics electrical_engineering "
    "elementary_mathematics formal_logic global_facts high_school_biology high_school_chemistry "
    "high_school_computer_science high_school_european_history high_school_geography "
    "high_school_government_and_politics high_school_macroeconomics high_school_mathematics "
    "high_school_microeconomics high_school_physics high_school_psychology "
    "high_school_statistics high_school_us_history high_school_world_history human_aging "
    "human_sexuality international_law jurisprudence logical_fallacies machine_learning "
    "management marketing medical_genetics miscellaneous moral_disputes moral_scenarios "
    "nutrition philosophy prehistory professional_accounting professional_law "
    "professional_medicine professional_psychology public_relations security_studies "
    "sociology us_foreign_policy virology world_religions").split()

BENCHMARK = MMLU()
