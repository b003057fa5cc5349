"""MMLU (Hendrycks et al., 2021): 57 subjects, 4-way multiple choice.

Default: lm-evaluation-harness `mmlu` (5-shot from dev in file order, loglikelihood of
" A".." D"); `mode: generate` asks for the letter and extracts it, for chat/API models.
"""
from __future__ import annotations

import yaml

from benchgate.benchmark import DataError, RunContext, Sample
from benchgate.data.files import dataset_folder, read_csv, read_text, to_samples
from benchgate.data.hub import hub_samples
from benchgate.multiple_choice import LetterChoiceBenchmark
from benchgate.variants.choices import ChoiceVariants

LETTERS = "ABCD"
CATEGORY_NAMES = {"STEM": "STEM", "humanities": "Humanities", "social sciences": "Social Sciences",
                  "other (business, health, misc.)": "Other"}


def _from_fields(fields: list[str]) -> tuple[dict, str]:
    question, *choices, answer = fields
    answer = answer.strip()
    if answer not in tuple(LETTERS):  # not a substring test: "" and "AB" are not answers
        raise ValueError(f"answer must be one of A-D, got {answer!r}")
    return {"question": question, "choices": choices}, answer


def _from_hub(row: dict) -> tuple[dict, str]:
    if "choices" in row:  # cais/mmlu: question, choices, answer (0-3)
        return {"question": row["question"], "choices": list(row["choices"])}, LETTERS[int(row["answer"])]
    return _from_fields([row.get("input", row.get("question")), row["A"], row["B"], row["C"],
                         row["D"], row.get("target", row.get("answer"))])


class MMLU(ChoiceVariants, LetterChoiceBenchmark):
    name = "mmlu"
    hub_ids = {"modelscope": "modelscope/mmlu", "huggingface": "cais/mmlu"}

    def split(self, ctx: RunContext, subset: str, split: str) -> list[Sample]:
        if ctx.dataset_hub == "local":
            rows = read_csv(dataset_folder(ctx, "mmlu") / "data" / split / f"{subset}_{split}.csv", n_fields=6)
            return to_samples(self.name, subset, rows, _from_fields)
        return hub_samples(self, ctx, subset, split, _from_hub)

    def _categories(self, ctx: RunContext) -> dict[str, str]:
        def load() -> dict[str, str]:
            if ctx.dataset_hub != "local":  # the hubs carry no category table: the same one
                return dict(HUB_CATEGORIES)  # as ../shared/benchmarks/mmlu/categories.yaml
            path = dataset_folder(ctx, "mmlu") / "categories.yaml"
            try:
                data = yaml.safe_load(read_text(path))
            except yaml.YAMLError as e:
                line = e.problem_mark.line + 1 if getattr(e, "problem_mark", None) else 1
                raise DataError(f"{path}:{line}: invalid YAML: {getattr(e, 'problem', None) or e}") from None
            subjects = data.get("subjects") if isinstance(data, dict) else None
            if not isinstance(subjects, dict) or not all(
                    isinstance(v, dict) and isinstance(v.get("category"), str) for v in subjects.values()):
                raise DataError(f"{path}:1: expected 'subjects: {{<subject>: {{category: <name>}}}}'")
            return {str(s): CATEGORY_NAMES.get(v["category"], v["category"]) for s, v in subjects.items()}
        return ctx.cached(("mmlu", "categories"), load)

    def subsets(self, ctx: RunContext) -> list[str]:
        if ctx.dataset_hub == "local":
            folder = dataset_folder(ctx, "mmlu") / "data" / "test"
            names = sorted(p.name[: -len("_test.csv")] for p in folder.glob("*_test.csv"))
            if not names:
                raise DataError(f"{folder}: no *_test.csv files")
            return names
        return list(SUBJECTS)

    def category(self, ctx: RunContext, subset: str) -> str | None:
        return self._categories(ctx).get(subset)

    def head(self, sample: Sample) -> str:
        subject = sample.subset.replace("_", " ")
        return f"The following are multiple choice questions (with answers) about {subject}.\n\n"

    def question(self, sample: Sample) -> str:
        return f"{sample.data['question'].strip()}{self.options(sample)}\nAnswer:"


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

# subject -> category for data loaded from a hub (no categories.yaml there): Hendrycks et al.'s
# categories.py, as in the local data's categories.yaml (tests/evals/test_mmlu.py compares them)
HUB_CATEGORIES = {subject: CATEGORY_NAMES[category] for category, subjects in {
    "STEM": "abstract_algebra astronomy college_biology college_chemistry college_computer_science "
            "college_mathematics college_physics computer_security conceptual_physics "
            "electrical_engineering elementary_mathematics high_school_biology high_school_chemistry "
            "high_school_computer_science high_school_mathematics high_school_physics "
            "high_school_statistics machine_learning",
    "humanities": "formal_logic high_school_european_history high_school_us_history "
                  "high_school_world_history international_law jurisprudence logical_fallacies "
                  "moral_disputes moral_scenarios philosophy prehistory professional_law world_religions",
    "social sciences": "econometrics high_school_geography high_school_government_and_politics "
                       "high_school_macroeconomics high_school_microeconomics high_school_psychology "
                       "human_sexuality professional_psychology public_relations security_studies "
                       "sociology us_foreign_policy",
    "other (business, health, misc.)": "anatomy business_ethics clinical_knowledge college_medicine "
                                       "global_facts human_aging management marketing medical_genetics "
                                       "miscellaneous nutrition professional_accounting "
                                       "professional_medicine virology",
}.items() for subject in subjects.split()}

BENCHMARK = MMLU()
