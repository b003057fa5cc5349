"""BFCL's "prompt" mode: the system prompt asking for `[func_name(param=value, ...)]` and the
parser that reads such an answer back with Python's `ast` (bfcl_eval default_decode_ast_prompting).
Java and JavaScript cases keep argument values as the source text, for the declared-type
conversion the checker applies (benchgate.agent.typed_strings)."""
from __future__ import annotations

import ast
import json
import keyword
import re
from typing import Any

# BFCL's default system prompt (ret_fmt=python, no tool-call tag, JSON function docs, plaintext,
# classic style): bfcl_eval/constants/default_prompts.py, assembled as formulate_system_prompt
# does (persona and task run together without a space, as there)
SYSTEM_PROMPT = (
    "You are an expert in composing functions."
    "You are given a question and a set of possible functions. Based on the question, you will need to make "
    "one or more function/tool calls to achieve the purpose. If none of the functions can be used, point it "
    "out. If the given question lacks the parameters required by the function, also point it out."
    "\n\n"
    "You should only return the function calls in your response.\n\nIf you decide to invoke any of the "
    "function(s), you MUST put it in the format of [func_name1(params_name1=params_value1, "
    "params_name2=params_value2...), func_name2(params)].  You SHOULD NOT include any other text in the response."
    "\n\n"
    "At each turn, you should try your best to complete the tasks requested by the user within the current "
    "turn. Continue to output functions to call until you have fulfilled the user's request to the best of "
    "your ability. Once you have no more functions to call, the system will consider the current turn complete "
    "and proceed to the next turn or task."
    "\n\n"
    "Here is a list of functions in json format that you can invoke.\n{functions}\n")


def system_prompt(functions: list[dict]) -> str:
    """BFCL's system prompt with the function docs as indented JSON."""
    return SYSTEM_PROMPT.replace("{functions}", json.dumps(functions, indent=4))


class DecodeError(ValueError):
    """An answer that is not a list of calls; BFCL's "ast_decoder:decoder_failed"."""


def decode(text: str, language: str = "python") -> Any:
    """`[f(a=1), g(b="x")]` (brackets optional, surrounding backticks dropped) as
    `[{"f": {"a": 1}}, {"g": {"b": "x"}}]`. For java/javascript every argument value is kept as
    its source text (a quoted string literal loses its quotes) and, as BFCL's tree-sitter
    parsers, one call is read: no call gives `{}` (not a call list), several calls are a
    DecodeError in Java and not a call list (None) in JavaScript. Raises DecodeError."""
    text = text.strip("`\n ")
    if not text.startswith("["):
        text = "[" + text
    if not text.endswith("]"):
        text = text + "]"
    source = text.strip().strip("'")
    if language != "python":  # a Java/JS parameter may be a Python keyword (`from=`): BFCL parses
        source = _KEYWORD_ARG.sub(lambda m: m.group(1) + _RENAMED + m.group(2) + "=", source)  # with tree-sitter
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError) as e:
        raise DecodeError(f"not a Python call list: {e}") from None
    body = tree.body
    calls = [body] if isinstance(body, ast.Call) else getattr(body, "elts", None)
    if calls is None or not all(isinstance(c, ast.Call) for c in calls):
        raise DecodeError("not a list of function calls")
    if language != "python" and len(calls) != 1:
        if not calls:
            return {}
        if language == "java":
            raise DecodeError("several Java calls: not one method invocation")
        return None
    try:
        return [_call(c, source if language != "python" else None) for c in calls]
    except DecodeError:
        raise
    except Exception as e:  # an expression BFCL's resolver cannot evaluate either
        raise DecodeError(f"unsupported argument: {e}") from None


_RENAMED = "__bfcl_kw_"
_KEYWORD_ARG = re.compile(r"([(,]\s*)(" + "|".join(keyword.kwlist) + r")\s*=(?!=)")


def _name(func: ast.expr) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def _call(node: ast.Call, source: str | None) -> dict:
    args = {}
    for kw in node.keywords:
        if source is not None:  # java/javascript: the value as written
            v = kw.value
            raw = ast.get_source_segment(source, v)  # BFCL's tree-sitter text: no escape processing
            quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'"
            args[kw.arg.removeprefix(_RENAMED)] = raw[1:-1] if quoted else raw
        else:
            args[kw.arg] = _value(kw.value)
    return {_name(node.func): args}


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.operand, ast.Constant):
            raise DecodeError("unsupported unary operand")
        return -node.operand.value
    if isinstance(node, ast.List):
        return [_value(v) for v in node.elts]
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.BinOp):
        return _arithmetic(node)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _call(node, None) if node.keywords else ast.unparse(node)
    if isinstance(node, ast.Tuple):
        return tuple(_value(v) for v in node.elts)
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value) + "[" + ast.unparse(node.slice) + "]"
    raise DecodeError(f"unsupported argument type {type(node).__name__}")


_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
        ast.Pow: lambda a, b: a ** b}


def _arithmetic(node: ast.expr) -> Any:
    """Constant arithmetic (`2*3.5`), evaluated without eval(); BFCL evaluates it with eval()."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, complex, str)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _arithmetic(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > 64:
            raise DecodeError("exponent too large")
        return _OPS[type(node.op)](left, right)
    raise DecodeError(f"non-constant expression {ast.unparse(node)!r}")
