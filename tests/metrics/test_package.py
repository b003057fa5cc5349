"""The metrics package stays pure: no pytest, no file/network I/O, no printing; exports work."""

import ast
import inspect
from pathlib import Path

import benchgate.metrics as metrics

PKG = Path(metrics.__file__).parent
# serving.py is owned by the stress-test work and checked by its own tests
OWN_MODULES = ["_validate", "stats", "significance", "text", "bleu", "rouge", "passk", "perplexity", "elo", "__init__"]
FORBIDDEN_IMPORTS = {"pytest", "requests", "aiohttp", "urllib", "socket", "subprocess", "pandas", "evaluate"}
FORBIDDEN_CALLS = {"open", "print", "input"}


def _tree(name):
    return ast.parse((PKG / f"{name}.py").read_text(encoding="utf-8"))


def test_no_pytest_no_io():
    for name in OWN_MODULES:
        for node in ast.walk(_tree(name)):
            if isinstance(node, ast.Import):
                mods = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                mods = {(node.module or "").split(".")[0]}
            else:
                mods = set()
            assert not mods & FORBIDDEN_IMPORTS, (name, mods)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, (name, node.func.id, node.lineno)


def test_public_functions_have_docstrings_and_type_hints():
    for name in metrics.__all__:
        obj = getattr(metrics, name)
        assert obj.__doc__ and obj.__doc__.strip(), name
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            assert sig.return_annotation is not inspect.Signature.empty, name
            for p in sig.parameters.values():
                assert p.annotation is not inspect.Parameter.empty, (name, p.name)


def test_required_names_are_exported():
    required = {
        "mean_stderr", "confidence_interval", "bootstrap_stderr", "micro_average", "macro_average",
        "PairedTestResult", "mcnemar_exact", "paired_bootstrap", "paired_test",
        "normalize_answer", "exact_match", "f1_score", "sentence_bleu", "corpus_bleu", "rouge",
        "pass_at_k", "pass_at_k_table", "perplexities", "corpus_perplexities",
        "online_elo", "bradley_terry", "win_rate_matrix", "battle_count_matrix",
    }
    assert required <= set(metrics.__all__)
    for name in metrics.__all__:
        assert hasattr(metrics, name), name
