"""Arena test helpers: EvalScope's shipped configs with only their paths changed."""
import json
from pathlib import Path

import pytest

CONFIGS = ("cfg_arena", "cfg_pairwise_baseline", "cfg_single")


def evalscope_config(arena_dir: Path, name: str, tmp: Path, model_path: str,
                     question_file: Path | None = None) -> Path:
    """EvalScope's config `name` with its paths (and only its paths) pointing at real files:
    the questions, the prompt templates, a local model for every model id, output files in tmp."""
    text = (arena_dir / "evalscope" / "config" / f"{name}.yaml").read_text(encoding="utf-8")
    replace = {
        "registry/data/question.jsonl": str(question_file or arena_dir / "evalscope" / "question.jsonl"),
        "registry/data/prompt_template/": str(arena_dir / "evalscope" / "prompt_template") + "/",
        "registry/data/arena/": str(tmp / "arena") + "/",
        "ZhipuAI/chatglm3-6b": model_path, "baichuan-inc/Baichuan2-7B-Base": model_path,
        "qwen/Qwen-7B": model_path,
    }
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write_baseline_answers(tmp: Path, question_file: Path, model_id: str = "text_davinci_003") -> Path:
    """The baseline answer file cfg_pairwise_baseline names (EvalScope answer format)."""
    path = tmp / "arena" / "answers" / "answer_text_davinci_003.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for line in question_file.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            f.write(json.dumps({"question_id": q["question_id"], "text": q["text"],
                                "category": q["category"], "model_id": model_id, "metadata": {},
                                "answer": f"Baseline answer to: {q['text']}"}) + "\n")
    return path


def one_per_category(arena_dir, tmp_path):
    """MT-bench's first question of each of its 8 categories (a question file of 8 lines)."""
    seen, lines = set(), []
    for line in (arena_dir / "mt_bench" / "question.jsonl").read_text(encoding="utf-8").splitlines():
        category = json.loads(line)["category"]
        if category not in seen:
            seen.add(category)
            lines.append(line)
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def few_evalscope_questions(arena_dir, tmp_path) -> Path:
    """The first 3 questions of EvalScope's question file (a copy: a path change, nothing else)."""
    lines = (arena_dir / "evalscope" / "question.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    path = tmp_path / "question.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_config(path: Path, questions: Path, models: dict, reviewer: dict | None = None,
                 prompt_file: Path | None = None, rating: dict | None = None, **reviews) -> Path:
    """An arena config YAML with `models` as answers_gen."""
    import yaml

    data = {"question_file": str(questions), "answers_gen": models,
            "reviews_gen": {"reviewer": reviewer or {"args": {"mode": "pairwise"}},
                            **({"prompt_file": str(prompt_file)} if prompt_file else {}),
                            **{k: str(v) if isinstance(v, Path) else v for k, v in reviews.items()}},
            "rating_gen": rating or {}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
