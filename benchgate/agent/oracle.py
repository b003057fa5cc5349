"""What a perfect model answers on a BFCL case: the ground-truth calls with the first accepted
value of each parameter ("" first = the parameter omitted, unless it is required), written as
a prompt-mode call list or an fc tool-call answer. Java and JavaScript values are written as
the typed strings BFCL's type converters read back."""
from __future__ import annotations

import json
from typing import Any

from benchgate.agent.typed_strings import js_literal
from benchgate.models.base import tool_calls_text


def _first(accepted: list, required: bool) -> tuple[bool, Any]:
    """(present, value): the first accepted value; "" means omitted unless the param is required."""
    for value in accepted:
        if value == "" and not required:
            return False, None
        if value != "":
            return True, value
    return False, None


def _java(value: Any, declared: str, items: str | None) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if declared == "long" and isinstance(value, int):
        return f"{value}L"
    if declared == "float":
        return f"{value}f"
    if declared == "Array" and isinstance(value, list):
        return "new " + (items or "Object") + "[]{" + ", ".join(_java(v, items or "any", None) for v in value) + "}"
    if declared == "ArrayList" and isinstance(value, list):
        if not value:
            return "new ArrayList<>()"
        quoted = items in ("String", "char")
        parts = [f'"{v}"' if quoted else _java(v, items or "any", None) for v in value]
        return "new ArrayList<>(Arrays.asList(" + ", ".join(parts) + "))"
    if declared == "HashMap" and isinstance(value, dict):
        puts = " ".join(f'put("{k}", {_java_literal(v)});' for k, v in value.items())
        return "new HashMap<String, Object>() {{ " + puts + " }}"
    return str(value)


def _java_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _js(value: Any, declared: str, items: str | None) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if declared == "Bigint" and isinstance(value, int):
        return f"{value}n"
    if declared == "array" and isinstance(value, list):
        return "[" + ", ".join(_js_literal(v) for v in value) + "]"
    if declared == "dict" and isinstance(value, dict):
        return "{" + ", ".join(f'{k}: {_js_literal(v)}' for k, v in value.items()) + "}"
    return str(value)


def _js_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # bare where BFCL's parser reads it back as this string: a text
        bare = (value == value.strip() and value and not any(c in value for c in ",:[]{}")
                and js_literal(value) == value)
        return value if bare else f'"{value}"'  # holding both quote kinds is then expressible
    if isinstance(value, list):
        return "[" + ", ".join(_js_literal(v) for v in value) + "]"
    return str(value)


def _dict_value(value: Any) -> Any:
    """A dict parameter's accepted value is {key: [accepted...]}: take the first of each."""
    if isinstance(value, dict):
        return {k: _dict_value(v[0]) if isinstance(v, list) and v else v for k, v in value.items()
                if not (isinstance(v, list) and v and v[0] == "")}
    if isinstance(value, list):
        return [_dict_value(v) for v in value]
    return value


def oracle_calls(functions: list[dict], truth: list[dict] | None, lang: str) -> list[tuple[str, dict]]:
    """(name, arguments) per ground-truth call; with no ground truth, the first function called
    with its required parameters left out (a call, whatever its arguments)."""
    docs = {f["name"]: f for f in functions}
    if truth is None:
        return [(functions[0]["name"], {})]
    calls = []
    for call in truth:
        name, params = next(iter(call.items()))
        doc = docs.get(name, {"parameters": {"properties": {}, "required": []}})
        properties, required = doc["parameters"]["properties"], doc["parameters"].get("required", [])
        args = {}
        for param, accepted in params.items():
            present, value = _first(accepted, param in required)
            if param not in properties and "" in accepted:  # BFCL data: an undeclared optional parameter
                present = False
            if not present:
                continue
            value = _dict_value(value)
            details = properties.get(param, {})
            declared, items = details.get("type", "string"), details.get("items", {}).get("type")
            if lang == "java":
                value = _java(value, declared, items)
            elif lang == "javascript":
                value = _js(value, declared, items)
            args[param] = value
        calls.append((name, args))
    return calls


def prompt_answer(functions: list[dict], truth: list[dict] | None, lang: str) -> str:
    """The oracle's prompt-mode answer: `[f(a=1), g(b='x')]`."""
    return "[" + ", ".join(f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")"
                           for name, args in oracle_calls(functions, truth, lang)) + "]"


def fc_answer(functions: list[dict], truth: list[dict] | None, lang: str) -> str:
    """The oracle's fc answer: native tool calls (names with dots as underscores)."""
    return tool_calls_text(None, [{"name": name.replace(".", "_"), "arguments": json.dumps(args)}
                                  for name, args in oracle_calls(functions, truth, lang)])
