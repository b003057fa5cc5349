"""TriviaQA (Joshi et al., 2017), closed-book: answer a trivia question with a short span.

Default: lm-evaluation-harness `triviaqa` (rc.nocontext): prompt "Question: {question}?\\nAnswer:",
greedy generation stopped at "\\n", "." or ","; 0-shot by default, few-shot with
`few_shot_num` ("Question: ...?\\nAnswer: {answer}\\n\\n" per exemplar, the answer being the
`answer` / `Value` field). Scores: exact match and token F1 (benchgate.metrics.text, SQuAD
normalisation) against every alias and the answer, max over them.

Data (subsets, from `<dataset-dir>/trivia_qa/`):
* `sm_sub`: the derived MosaicML 3,000-question subsample `triviaqa_sm_sub.jsonl`
  (`{"context": "Question: ...?\\nAnswer:", "answer", "aliases"}`); its context is used as the
  prompt as it is. It has no training split: few-shot exemplars are drawn from the same file,
  never the sample itself (the first n other questions, or a seeded draw with few_shot_random).
* native rc / unfiltered JSON (`{"Data": [{"Question", "QuestionId", "Answer": {"Value",
  "Aliases", "NormalizedAliases", ...}}, ...]}`): every `*-dev.json` file is a subset named
  after the file (`unfiltered-web-dev` ...); few-shot exemplars come from the matching
  `*-train.json` when it is there (else from the dev file, as above).
Dataset arg `path`: one file in either format instead of the folder (subset = the file stem).
"""
from __future__ import annotations

import re
from pathlib import Path

from benchgate.argspec import Arg
from benchgate.benchmark import Benchmark, DataError, DataMissing, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, json_items, read_json, read_jsonl, to_samples
from benchgate.metrics.text import em_f1
from benchgate.models.base import GenerateRequest

STOP = ("\n", ".", ",")
DERIVED = "triviaqa_sm_sub.jsonl"


def _aliases(values) -> list[str]:
    if not isinstance(values, list) or not values or not all(isinstance(a, str) for a in values):
        raise ValueError("aliases must be a non-empty list of strings")
    return values


def _from_derived(row: dict) -> tuple[dict, str]:
    context, answer = row["context"], row["answer"]
    if not isinstance(context, str) or not context.rstrip().endswith("Answer:"):
        raise ValueError("context must be a string ending in 'Answer:'")
    if not isinstance(answer, str) or not answer.strip():
        raise ValueError("answer must be a non-empty string")
    aliases = list(dict.fromkeys([*_aliases(row["aliases"]), answer]))
    question = context.removeprefix("Question: ").rsplit("\nAnswer:", 1)[0]
    return {"prompt": context.rstrip(), "question": question, "aliases": aliases}, answer


def _from_native(row: dict) -> tuple[dict, str]:
    question, answer = row["Question"], row["Answer"]
    if not isinstance(question, str) or not question.strip():
        raise ValueError("Question must be a non-empty string")
    aliases = _aliases(answer["Aliases"])
    value = answer.get("Value", aliases[0])
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Answer.Value must be a non-empty string")
    golds = list(dict.fromkeys([value, *aliases]))
    return {"prompt": f"Question: {question}?\nAnswer:", "question": question, "aliases": golds,
            "id": row.get("QuestionId")}, value


def read_native(path: Path):
    """Rows of a native TriviaQA JSON file; the line is where each question object starts."""
    doc, text = read_json(path)
    key = re.search(r'"Data"\s*:\s*\[', text)
    if not isinstance(doc, dict) or not isinstance(doc.get("Data"), list) or key is None:
        raise DataError(f"{path}:1: expected a TriviaQA object with a \"Data\" list")
    # line numbers: find each item's opening brace by decoding the array in place
    for index, obj, where in json_items(path, text, key.end(), len(doc["Data"])):
        yield index, obj if isinstance(obj, dict) else DataError(f"{where}: expected a JSON object"), where


def _read(benchmark: str, subset: str, path: Path) -> list[Sample]:
    if path.suffix == ".jsonl":
        return to_samples(benchmark, subset, read_jsonl(path), _from_derived)
    return to_samples(benchmark, subset, read_native(path), _from_native)


def local_folder(ctx: RunContext, name: str) -> Path:
    """The local data folder; this benchmark is not wired to a hub."""
    if ctx.dataset_hub != "local":
        raise DataMissing(f"{name}: only local data is supported (no {ctx.dataset_hub} copy is wired); "
                        f"pass --dataset-dir with a folder that contains {name}/")
    return dataset_folder(ctx, name)


class TriviaQA(Benchmark):
    name = "trivia_qa"
    modes = ("generate",)
    primary_metric = "em"
    default_args = {"few_shot_num": 0, "path": Arg(None, str, help="one data file instead of the folder")}

    def _files(self, ctx: RunContext) -> dict[str, Path]:
        """subset -> evaluation file."""
        if ctx.args["path"]:
            path = Path(ctx.args["path"]).expanduser()
            if not path.is_file():
                raise DataError(f"trivia_qa: path {path} not found")
            return {path.stem: path}
        folder = local_folder(ctx, "trivia_qa")
        files = {}
        if (folder / DERIVED).is_file():
            files["sm_sub"] = folder / DERIVED
        for p in sorted(folder.glob("*-dev.json")):
            files[p.stem] = p
        if not files:
            raise DataError(f"{folder}: neither {DERIVED} nor native *-dev.json files")
        return files

    def subsets(self, ctx: RunContext) -> list[str]:
        return list(self._files(ctx))

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        return _read(self.name, subset, self._files(ctx)[subset])

    def fewshot_pool(self, ctx: RunContext, subset: str) -> list[Sample]:
        path = self._files(ctx)[subset]
        train = path.with_name(path.name.replace("-dev.json", "-train.json"))
        if path.suffix == ".json" and train != path and train.is_file():
            pool = _read(self.name, subset, train)
        else:  # no training split: the evaluation file itself (the sample is excluded in shots)
            pool = self.load(ctx, subset)
        return [s for s in pool if s.error is None]

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        shots = "".join(f"{s.data['prompt']} {s.target}\n\n" for s in self.shots(ctx, sample))
        return shots + sample.data["prompt"]

    def requests(self, ctx: RunContext, sample: Sample):
        return [GenerateRequest(self.prompt(ctx, sample), stop=STOP,
                                oracle=f" {sample.data['aliases'][0]}")]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        answer = outputs[0].text.strip()
        return Scored(answer, em_f1(answer, sample.data["aliases"]))


BENCHMARK = TriviaQA()
