"""Score model outputs with bfcl-eval's own evaluation code (the reference for benchgate's BFCL
checker). Run it with the Python of a separate virtual environment holding bfcl-eval:

    python3 -m venv /tmp/bfcl-venv
    /tmp/bfcl-venv/bin/pip install --no-deps bfcl-eval==2026.3.23
    /tmp/bfcl-venv/bin/pip install mpmath overrides tenacity filelock requests python-dotenv \
        tree-sitter==0.21.3 tree-sitter-java==0.21.0 tree-sitter-javascript==0.21.4
    /tmp/bfcl-venv/bin/python benchmarks/bfcl_reference_verdicts.py OUTPUTS.jsonl VERDICTS.jsonl

OUTPUTS.jsonl comes from benchmarks/bfcl_reference_outputs.py. Each output is scored as
bfcl-eval's eval runner does (`_evaluate_single_ast_entry` / `_evaluate_single_relevance_entry`
with the real handler of gpt-4o-2024-11-20 for prompt mode and gpt-4o-2024-11-20-FC for fc
mode, on bfcl-eval's own copy of the data). Provider SDKs that bfcl-eval imports but the
checkers never call (openai, anthropic, ...) are replaced by empty stand-in modules.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
import types

STUBBED = ("openai", "anthropic", "cohere", "mistralai", "google", "boto3", "botocore", "writerai",
           "qwen_agent", "httpx", "datamodel_code_generator", "tqdm", "pandas", "numpy", "typer",
           "tabulate", "huggingface_hub", "sentence_transformers", "faiss", "rank_bm25", "html2text",
           "bs4", "serpapi", "networkx", "wandb", "transformers", "torch", "pydantic")


class _Anything:
    """A stand-in class: any attribute, call, subscript or base class works."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Anything()

    def __getattr__(self, name):
        return _Anything()

    def __getitem__(self, item):
        return _Anything()

    def __iter__(self):
        return iter(())

    def __mro_entries__(self, bases):
        return (object,)


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        top = fullname.split(".")[0]
        if top not in STUBBED:
            return None
        if importlib.machinery.PathFinder.find_spec(top) is not None:
            return None  # installed: the real one
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _StubFinder())

from bfcl_eval.constants.enums import Language, ReturnFormat  # noqa: E402
from bfcl_eval.eval_checker import eval_runner  # noqa: E402
from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker  # noqa: E402
from bfcl_eval.utils import load_dataset_entry, load_ground_truth_entry  # noqa: E402

MODELS = {"prompt": "gpt-4o-2024-11-20", "fc": "gpt-4o-2024-11-20-FC"}


def main(outputs_path: str, verdicts_path: str) -> None:
    handlers = {mode: eval_runner.get_handler(name) for mode, name in MODELS.items()}
    entries: dict[str, dict] = {}
    answers: dict[str, list] = {}
    rows = [json.loads(line) for line in open(outputs_path, encoding="utf-8")]
    for category in sorted({r["category"] for r in rows}):
        for e in load_dataset_entry(category, include_prereq=False, include_language_specific_hint=False):
            entries[e["id"]] = e
        if "relevance" not in category:  # (multi-turn answers are lists of call texts per turn)
            for a in load_ground_truth_entry(category):
                answers[a["id"]] = a["ground_truth"]
    with open(verdicts_path, "w", encoding="utf-8") as out:
        for n, r in enumerate(rows):
            if "calls" in r:  # a multi-turn conversation: the calls executed per turn and step
                out.write(json.dumps({**r, "reference": _multi_turn(r, entries, answers, n)}, ensure_ascii=False) + "\n")
                continue
            category, mode = r["category"], r["mode"]
            handler, model = handlers[mode], MODELS[mode]
            entry = json.loads(json.dumps(entries[r["case_id"]]))
            try:
                if "relevance" in category:
                    res = eval_runner._evaluate_single_relevance_entry(handler, r["case_id"], r["output"], entry,
                                                                       model, category)
                else:
                    lang, fmt = ((Language.JAVA, ReturnFormat.JAVA) if category.endswith("java") else
                                 (Language.JAVASCRIPT, ReturnFormat.JAVASCRIPT) if category.endswith("javascript")
                                 else (Language.PYTHON, ReturnFormat.PYTHON))
                    res = eval_runner._evaluate_single_ast_entry(handler, r["case_id"], r["output"],
                                                                 answers[r["case_id"]], entry, model, category,
                                                                 language=lang, return_format=fmt)
                verdict = {"valid": bool(res["valid"]), "error_type": res.get("error_type")}
            except Exception as e:  # the reference itself crashes on this output
                verdict = {"valid": None, "error_type": f"crash:{type(e).__name__}"}
            out.write(json.dumps({**r, "reference": verdict}, ensure_ascii=False) + "\n")


def _multi_turn(r: dict, entries: dict, answers: dict, n: int) -> dict:
    """bfcl-eval's multi_turn_checker on one conversation (the runner's turn-count check first);
    a model name per row keeps its API instances apart from every other row's."""
    truth = answers[r["case_id"]]
    if len(r["calls"]) != len(truth):
        return {"valid": False, "error_type": "multi_turn:force_terminated"}
    entry = json.loads(json.dumps(entries[r["case_id"]]))
    try:
        res = multi_turn_checker(r["calls"], truth, entry, r["category"], f"{MODELS['prompt']}_row{n}")
        return {"valid": bool(res["valid"]), "error_type": res.get("error_type")}
    except Exception as e:  # the reference itself crashes on this conversation
        return {"valid": None, "error_type": f"crash:{type(e).__name__}"}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
