"""IFEval benchmark: 541 prompts, prompt- and instruction-level strict/loose accuracy, the oracle
(best possible: 536 prompts strictly, all 541 loosely), wrong, bad rows."""
import json

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.ifeval.oracle import unsatisfiable_strictly
from benchgate.models.base import Generation
from tests.conftest import ROOT, mean_score, score_all

IFEVAL = import_benchmark(ROOT / "evals" / "ifeval.py")


def ctx(data, chat=False, **args):
    return RunContext(dataset_dir=data, dataset_hub="local", args=IFEVAL.effective_args(args), chat=chat)


def test_full_collection_and_prompt(safety_dir):
    samples = IFEVAL.load(ctx(safety_dir), "default")
    assert len(samples) == 541 and all(s.error is None for s in samples)
    assert sum(len(s.data["instruction_id_list"]) for s in samples) == 834
    request = IFEVAL.requests(ctx(safety_dir, chat=True), samples[0])[0]
    assert request.prompt == ({"role": "user", "content": samples[0].data["prompt"]},)
    assert request.max_new_tokens == 1280 and request.wrong == ""


def test_scores_and_instruction_level_pooling(safety_dir):
    c = ctx(safety_dir)
    samples = IFEVAL.load(c, "default")
    first = samples[0]  # no_comma, highlighted sections (3), 300+ words
    assert first.data["instruction_id_list"] == ["punctuation:no_comma", "detectable_format:number_highlighted_sections",
                                                "length_constraints:number_words"]
    text = "*a* *b* *c* " + " ".join(["word"] * 300)
    assert IFEVAL.score(c, first, [Generation(text)]).scores["prompt_level_strict_acc"] == 1.0
    scored = [IFEVAL.score(c, first, [Generation("*a*, *b*")]).scores,  # 0 of 3 followed
              IFEVAL.score(c, first, [Generation(text)]).scores]  # 3 of 3
    metrics = IFEVAL.corpus_metrics(scored)
    assert metrics["inst_level_strict_acc"] == pytest.approx(3 / 6)
    assert [s["prompt_level_strict_acc"] for s in scored] == [0.0, 1.0]
    # loose: the first line dropped removes the comma
    loose = IFEVAL.score(c, first, [Generation("Sure, here it is:\n" + text)]).scores
    assert loose["prompt_level_strict_acc"] == 0.0 and loose["prompt_level_loose_acc"] == 1.0


@pytest.mark.slow  # real data or the reference implementation on every row: many seconds
def test_oracle_is_the_best_possible_and_wrong_the_worst(safety_dir):
    c = ctx(safety_dir)
    oracle = score_all(IFEVAL, c, "oracle")
    impossible = {s.data["key"] for s, _ in oracle
                  if unsatisfiable_strictly(s.data["instruction_id_list"], s.data["kwargs"])}
    # five prompts ask to repeat a prompt that itself breaks another instruction (a comma under
    # no_comma, a forbidden word, a keyword too often): no response follows them strictly
    assert impossible == {374, 1627, 3369, 3371, 3718}
    assert [s.data["key"] for s, sc in oracle if sc.scores["prompt_level_strict_acc"] != 1.0] == \
        sorted(impossible, key=lambda k: [s.data["key"] for s, _ in oracle].index(k))
    assert mean_score(oracle, "prompt_level_loose_acc") == 1.0
    assert IFEVAL.corpus_metrics([sc.scores for _, sc in oracle])["inst_level_loose_acc"] == 1.0
    wrong = score_all(IFEVAL, c, "wrong")
    assert mean_score(wrong, "prompt_level_loose_acc") == 0.0
    assert IFEVAL.corpus_metrics([sc.scores for _, sc in wrong]) == {"inst_level_strict_acc": 0.0,
                                                                     "inst_level_loose_acc": 0.0}


def test_malformed_rows_name_file_and_line(tmp_path, safety_dir):
    (tmp_path / "ifeval").mkdir()
    lines = (safety_dir / "ifeval" / "input_data.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    row = json.loads(lines[1])
    row["instruction_id_list"][0] = "keywords:key_sentences"
    lines[1] = json.dumps(row) + "\n"
    row = json.loads(lines[2])
    row["kwargs"] = [{}] * len(row["kwargs"])
    lines[2] = json.dumps(row) + "\n"
    path = tmp_path / "ifeval" / "input_data.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    samples = IFEVAL.load(ctx(tmp_path), "default")
    assert samples[1].error == f"{path}:2: malformed row: unknown instruction id 'keywords:key_sentences'"
    assert samples[2].error.startswith(f"{path}:3: malformed row: kwarg ")
    assert samples[0].error is None
