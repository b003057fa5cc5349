"""CMMLU (Li et al., 2023): 67 Chinese knowledge subjects, 4-way multiple choice; test 11,582
questions (the released CSVs; the paper says 11,528), dev 5 per subject for few-shot.

Default: the official CMMLU code (haonan-li/CMMLU `src/mp_utils.py`): 5-shot from dev in file
order, prompt "以下是关于{科目}的单项选择题，请直接给出正确答案的选项。\\n\\n" + questions
"题目：{q}\\nA. ..\\nB. ..\\nC. ..\\nD. ..\\n答案是：" (+ "{letter}\\n\\n" for the exemplars);
loglikelihood of "A".."D" right after "答案是：". `mode: generate` extracts the letter.
Categories STEM / Humanities / Social Science / Other / China specific from the official
`src/categories.py`; a China-specific subject counts in "China specific" and in its other
category, as in the official per-category averages. The official numbers are means over
subjects: each category's `macro_subsets` (and the benchmark's `macro_subsets` for "Average").
"""
from __future__ import annotations

from benchgate.benchmark import RunContext, Sample
from benchgate.data.files import dataset_folder, read_csv, to_samples
from benchgate.data.hub import hub_samples
from benchgate.multiple_choice import LetterChoiceBenchmark
from benchgate.variants.choices import ChoiceVariants, NONE_OF_THE_OTHERS_ZH

LETTERS = "ABCD"

# subject: (Chinese name, categories), from haonan-li/CMMLU src/categories.py @ d6e7b716 (name_en2zh;
# subcategories -> categories). The 15 China-specific subjects belong to "China specific" and to the
# category of their other subcategory, and count in both, as in the official averages.
SUBJECTS = {
    "agronomy": ("农学", ("Other",)),
    "anatomy": ("解剖学", ("STEM",)),
    "ancient_chinese": ("古汉语", ("Social Science", "China specific")),
    "arts": ("艺术学", ("Humanities",)),
    "astronomy": ("天文学", ("STEM",)),
    "business_ethics": ("商业伦理", ("Social Science",)),
    "chinese_civil_service_exam": ("中国公务员考试", ("Social Science", "China specific")),
    "chinese_driving_rule": ("中国驾驶规则", ("Other", "China specific")),
    "chinese_food_culture": ("中国饮食文化", ("Social Science", "China specific")),
    "chinese_foreign_policy": ("中国外交政策", ("Social Science", "China specific")),
    "chinese_history": ("中国历史", ("Humanities", "China specific")),
    "chinese_literature": ("中国文学", ("Humanities", "China specific")),
    "chinese_teacher_qualification": ("中国教师资格", ("Social Science", "China specific")),
    "clinical_knowledge": ("临床知识", ("Other",)),
    "college_actuarial_science": ("大学精算学", ("STEM",)),
    "college_education": ("大学教育学", ("Social Science",)),
    "college_engineering_hydrology": ("大学工程水文学", ("STEM",)),
    "college_law": ("大学法律", ("Humanities",)),
    "college_mathematics": ("大学数学", ("STEM",)),
    "college_medical_statistics": ("大学医学统计", ("STEM",)),
    "college_medicine": ("大学医学", ("Other",)),
    "computer_science": ("计算机科学", ("STEM",)),
    "computer_security": ("计算机安全", ("Other",)),
    "conceptual_physics": ("概念物理学", ("STEM",)),
    "construction_project_management": ("建设工程管理", ("Other", "China specific")),
    "economics": ("经济学", ("Social Science",)),
    "education": ("教育学", ("Social Science",)),
    "electrical_engineering": ("电气工程", ("STEM",)),
    "elementary_chinese": ("小学语文", ("Social Science", "China specific")),
    "elementary_commonsense": ("小学常识", ("Other", "China specific")),
    "elementary_information_and_technology": ("小学信息技术", ("Other",)),
    "elementary_mathematics": ("初等数学", ("STEM",)),
    "ethnology": ("民族学", ("Social Science", "China specific")),
    "food_science": ("食品科学", ("Other",)),
    "genetics": ("遗传学", ("STEM",)),
    "global_facts": ("全球事实", ("Humanities",)),
    "high_school_biology": ("高中生物", ("STEM",)),
    "high_school_chemistry": ("高中化学", ("STEM",)),
    "high_school_geography": ("高中地理", ("Social Science",)),
    "high_school_mathematics": ("高中数学", ("STEM",)),
    "high_school_physics": ("高中物理学", ("STEM",)),
    "high_school_politics": ("高中政治", ("Social Science", "China specific")),
    "human_sexuality": ("人类性行为", ("Other",)),
    "international_law": ("国际法学", ("Humanities",)),
    "journalism": ("新闻学", ("Social Science",)),
    "jurisprudence": ("法理学", ("Humanities",)),
    "legal_and_moral_basis": ("法律与道德基础", ("Other",)),
    "logical": ("逻辑学", ("Humanities",)),
    "machine_learning": ("机器学习", ("STEM",)),
    "management": ("管理学", ("Social Science",)),
    "marketing": ("市场营销", ("Social Science",)),
    "marxist_theory": ("马克思主义理论", ("Humanities",)),
    "modern_chinese": ("现代汉语", ("Social Science", "China specific")),
    "nutrition": ("营养学", ("Other",)),
    "philosophy": ("哲学", ("Humanities",)),
    "professional_accounting": ("专业会计", ("Social Science",)),
    "professional_law": ("专业法学", ("Humanities",)),
    "professional_medicine": ("专业医学", ("Other",)),
    "professional_psychology": ("专业心理学", ("Social Science",)),
    "public_relations": ("公共关系", ("Social Science",)),
    "security_study": ("安全研究", ("Social Science",)),
    "sociology": ("社会学", ("Social Science",)),
    "sports_science": ("体育学", ("Other",)),
    "traditional_chinese_medicine": ("中医中药", ("Other", "China specific")),
    "virology": ("病毒学", ("STEM",)),
    "world_history": ("世界历史", ("Humanities",)),
    "world_religions": ("世界宗教", ("Humanities",)),
}


def _convert(row) -> tuple[dict, str]:
    if isinstance(row, dict):  # hub (haonan-li/cmmlu): Question, A-D, Answer
        row = ["", row["Question"], row["A"], row["B"], row["C"], row["D"], row["Answer"]]
    answer = row[6].strip()
    if answer not in tuple(LETTERS):  # not a substring test: "" and "AB" are not answers
        raise ValueError(f"answer must be one of A-D, got {answer!r}")
    return {"question": row[1], "choices": list(row[2:6])}, answer


class CMMLU(ChoiceVariants, LetterChoiceBenchmark):
    none_of_the_others_text = NONE_OF_THE_OTHERS_ZH
    name = "cmmlu"
    letter_prefix = ""  # the official code puts the letter right after the cue
    eval_split = "test"
    hub_ids = {"modelscope": "modelscope/cmmlu", "huggingface": "haonan-li/cmmlu"}

    def subsets(self, ctx: RunContext) -> list[str]:
        return sorted(SUBJECTS)

    def category(self, ctx: RunContext, subset: str) -> str | None:
        return SUBJECTS[subset][1][0]

    def categories(self, ctx: RunContext, sample: Sample) -> list[str]:
        return list(SUBJECTS[sample.subset][1])

    def split(self, ctx: RunContext, subset: str, split: str) -> list[Sample]:
        if ctx.dataset_hub == "local":
            path = dataset_folder(ctx, "cmmlu") / "data" / split / f"{subset}.csv"
            rows = read_csv(path, n_fields=7, header=True)
            return to_samples(self.name, subset, rows, _convert)
        return hub_samples(self, ctx, subset, split, _convert)

    def head(self, sample: Sample) -> str:
        return f"以下是关于{SUBJECTS[sample.subset][0]}的单项选择题，请直接给出正确答案的选项。\n\n"

    def question(self, sample: Sample) -> str:
        return f"题目：{sample.data['question']}{self.options(sample)}\n答案是："


BENCHMARK = CMMLU()
