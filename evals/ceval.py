"""C-Eval (Huang et al., 2023): 52 Chinese exam subjects, 4-way multiple choice; val 1,346
questions (the test split has no public answers), dev 5 per subject for few-shot.

Default: the official C-Eval code (hkust-nlp/ceval, answer-only setting): 5-shot from dev in file
order, prompt "以下是中国关于{科目}考试的单项选择题，请选出其中的正确答案。\\n\\n" + questions
"{q}\\nA. ..\\nB. ..\\nC. ..\\nD. ..\\n答案：" (+ "{letter}\\n\\n" for the exemplars); loglikelihood of
"A".."D" right after "答案：" (no space, like the official next-token comparison; lm-eval
`ceval-valid` uses " A" and no "考试"). `mode: generate` extracts the letter from the reply.
Categories STEM / Social Science / Humanities / Other as in the C-Eval paper; category and
benchmark scores are micro averages (weighted by subject size).
"""
from __future__ import annotations

from benchgate.benchmark import RunContext, Sample
from benchgate.data.files import dataset_folder, read_csv, to_samples
from benchgate.data.hub import hub_samples
from benchgate.multiple_choice import LetterChoiceBenchmark
from benchgate.variants.choices import ChoiceVariants, NONE_OF_THE_OTHERS_ZH

LETTERS = "ABCD"

# category -> {subject: Chinese name}: the C-Eval paper's subject list (= the official
# hkust-nlp/ceval subject_mapping.json)
SUBJECTS = {
    "STEM": {
        "computer_network": "计算机网络",
        "operating_system": "操作系统",
        "computer_architecture": "计算机组成",
        "college_programming": "大学编程",
        "college_physics": "大学物理",
        "college_chemistry": "大学化学",
        "advanced_mathematics": "高等数学",
        "probability_and_statistics": "概率统计",
        "discrete_mathematics": "离散数学",
        "electrical_engineer": "注册电气工程师",
        "metrology_engineer": "注册计量师",
        "high_school_mathematics": "高中数学",
        "high_school_physics": "高中物理",
        "high_school_chemistry": "高中化学",
        "high_school_biology": "高中生物",
        "middle_school_mathematics": "初中数学",
        "middle_school_biology": "初中生物",
        "middle_school_physics": "初中物理",
        "middle_school_chemistry": "初中化学",
        "veterinary_medicine": "兽医学",
    },
    "Social Science": {
        "college_economics": "大学经济学",
        "business_administration": "工商管理",
        "marxism": "马克思主义基本原理",
        "mao_zedong_thought": "毛泽东思想和中国特色社会主义理论体系概论",
        "education_science": "教育学",
        "teacher_qualification": "教师资格",
        "high_school_politics": "高中政治",
        "high_school_geography": "高中地理",
        "middle_school_politics": "初中政治",
        "middle_school_geography": "初中地理",
    },
    "Humanities": {
        "modern_chinese_history": "近代史纲要",
        "ideological_and_moral_cultivation": "思想道德修养与法律基础",
        "logic": "逻辑学",
        "law": "法学",
        "chinese_language_and_literature": "中国语言文学",
        "art_studies": "艺术学",
        "professional_tour_guide": "导游资格",
        "legal_professional": "法律职业资格",
        "high_school_chinese": "高中语文",
        "high_school_history": "高中历史",
        "middle_school_history": "初中历史",
    },
    "Other": {
        "civil_servant": "公务员",
        "sports_science": "体育学",
        "plant_protection": "植物保护",
        "basic_medicine": "基础医学",
        "clinical_medicine": "临床医学",
        "urban_and_rural_planner": "注册城乡规划师",
        "accountant": "注册会计师",
        "fire_engineer": "注册消防工程师",
        "environmental_impact_assessment_engineer": "环境影响评价工程师",
        "tax_accountant": "税务师",
        "physician": "医师资格",
    },
}
CATEGORY = {s: c for c, subjects in SUBJECTS.items() for s in subjects}
NAME_ZH = {s: zh for subjects in SUBJECTS.values() for s, zh in subjects.items()}


def _convert(row) -> tuple[dict, str]:
    if isinstance(row, dict):  # hub (ceval/ceval-exam): id, question, A-D, answer, explanation
        row = [row["id"], row["question"], row["A"], row["B"], row["C"], row["D"], row["answer"]]
    answer = row[6].strip()
    if answer not in tuple(LETTERS):  # not a substring test: "" and "AB" are not answers
        raise ValueError(f"answer must be one of A-D, got {answer!r}")
    return {"question": row[1], "choices": list(row[2:6])}, answer


class CEval(ChoiceVariants, LetterChoiceBenchmark):
    none_of_the_others_text = NONE_OF_THE_OTHERS_ZH
    name = "ceval"
    letter_prefix = ""  # the official code puts the letter right after the cue
    eval_split = "val"
    hub_ids = {"modelscope": "modelscope/ceval-exam", "huggingface": "ceval/ceval-exam"}

    def subsets(self, ctx: RunContext) -> list[str]:
        return sorted(CATEGORY)

    def category(self, ctx: RunContext, subset: str) -> str | None:
        return CATEGORY[subset]

    def split(self, ctx: RunContext, subset: str, split: str) -> list[Sample]:
        if ctx.dataset_hub == "local":
            path = dataset_folder(ctx, "ceval") / split / f"{subset}_{split}.csv"
            rows = read_csv(path, n_fields=8 if split == "dev" else 7, header=True)
            return to_samples(self.name, subset, rows, _convert)
        return hub_samples(self, ctx, subset, split, _convert)

    def head(self, sample: Sample) -> str:
        return f"以下是中国关于{NAME_ZH[sample.subset]}考试的单项选择题，请选出其中的正确答案。\n\n"

    def question(self, sample: Sample) -> str:
        return f"{sample.data['question']}{self.options(sample)}\n答案："


BENCHMARK = CEval()
