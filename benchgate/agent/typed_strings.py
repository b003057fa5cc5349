"""Java and JavaScript values written as strings, converted by their declared type as BFCL's
type converters do (bfcl_eval/eval_checker/ast_eval/type_convertor): a string that does not
have the declared type's form stays a string (and then fails the type check)."""
from __future__ import annotations

import re
from typing import Any

JAVA_TYPES: dict[str, type] = {
    "byte": int, "short": int, "integer": int, "float": float, "double": float, "long": int,
    "boolean": bool, "char": str, "Array": list, "ArrayList": list, "Set": set, "HashMap": dict,
    "Hashtable": dict, "Queue": list, "Stack": list, "String": str, "any": str}
JS_TYPES: dict[str, type] = {
    "String": str, "integer": int, "float": float, "Bigint": int, "Boolean": bool, "dict": dict,
    "array": list, "any": str}
COLLECTION_TYPES = ("Array", "ArrayList", "array")  # converted with their items' type

_INT = re.compile(r"^-?\d+$")
_JAVA_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$")
_JAVA_DOUBLE = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_JAVA_LONG = re.compile(r"^-?\d+[lL]$")
_JS_FLOAT = re.compile(r"^-?\d+(\.\d+)?$")


class UnsupportedType(ValueError):
    """A declared type BFCL has no converter for (Set, Queue ...): BFCL's checker raises too."""


def java_value(text: str, declared: str, items: str | None = None) -> Any:
    """`text` as the Java type `declared` (items: the element type of an Array/ArrayList)."""
    if declared not in JAVA_TYPES:
        raise UnsupportedType(f"unsupported Java type {declared!r}")
    if declared in ("byte", "short", "integer"):
        return int(text) if _INT.match(text) else text
    if declared == "float":
        return float(re.sub(r"[fF]$", "", text)) if _JAVA_FLOAT.match(text) else text
    if declared == "double":
        return float(text) if _JAVA_DOUBLE.match(text) else text
    if declared == "long":
        return int(re.sub(r"[lL]$", "", text)) if _JAVA_LONG.match(text) else text
    if declared == "boolean":
        return text == "true" if text in ("true", "false") else text
    if declared in ("char", "String", "any"):
        return text  # BFCL's char pattern never matches: a char stays the text as written
    if declared == "ArrayList":
        return _java_arraylist(text, items)
    if declared == "Array":
        return _java_array(text, items)
    if declared == "HashMap":
        return _java_hashmap(text)
    raise UnsupportedType(f"{declared} conversion is not implemented (as in BFCL)")


def java_literal(text: str) -> Any:
    """A Java literal of unknown type: boolean, "string", 1L, 1.5f, int, double, else the text."""
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _JAVA_LONG.match(text):
        return int(text[:-1])
    if _JAVA_FLOAT.match(text):
        return float(re.sub(r"[fF]$", "", text))
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _java_element(text: str, items: str | None) -> Any:
    if items in ("char", "String"):
        return text[1:-1]  # quotes dropped
    return java_value(text, items) if items else java_literal(text)


def _java_arraylist(text: str, items: str | None) -> Any:
    m = re.search(r"new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)", text)
    if m:
        return [_java_element(e.strip(), items) for e in m.group(1).split(",")]
    m = re.search(r"new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}", text, re.DOTALL)
    if m:
        return [_java_element(a.strip(), items) for a in re.findall(r"add\((.+?)\)", m.group(1))]
    if re.search(r"new\s+ArrayList<\w*>\(\)", text):
        return []
    return text


def _java_array(text: str, items: str | None) -> Any:
    m = re.search(r"new\s+\w+\[\]\s*\{(.*?)\}", text)
    if not m:
        return text
    parts = [x.strip() for x in m.group(1).split(",") if x.strip()]
    return [java_value(x, items) if items else java_literal(x) for x in parts]


def _java_hashmap(text: str) -> Any:
    m = re.search(r"new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}", text, re.DOTALL)
    if m:
        return {k: java_literal(v.strip()) for k, v in re.findall(r"put\(\"(.*?)\",\s*(.*?)\)", m.group(1))}
    if re.search(r"new\s+HashMap<.*?>\s*\(\)", text):
        return {}
    return text


def js_value(text: str, declared: str, items: str | None = None) -> Any:
    """`text` as the JavaScript type `declared` (items: the element type of an array)."""
    if declared not in JS_TYPES:
        raise UnsupportedType(f"unsupported JavaScript type {declared!r}")
    if declared == "String":
        quoted = len(text) >= 1 and text[0] == text[-1] and text[0] in "\"'"
        return text[1:-1] if quoted else text
    if declared == "integer":
        return int(text) if _INT.match(text) else text
    if declared == "float":
        return float(text) if _JS_FLOAT.match(text) else text
    if declared == "Bigint":
        return int(text[:-1]) if re.match(r"^-?\d+n$", text) else text
    if declared == "Boolean":
        return text == "true" if text in ("true", "false") else text
    if declared == "any":
        return text
    return _js_collection(text, declared, items)


def js_literal(text: str) -> Any:
    """A JavaScript literal of unknown type: boolean, quoted string, int, float, else the text."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"') and text.endswith('"') or text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


_JS_2D = re.compile(r"\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\)")
_JS_1D = re.compile(r"\[(.*?)\]|\bnew\s+Array\((.*?)\)")


def _js_collection(code: str, kind: str, items: str | None = None) -> Any:
    code = code.strip()
    if kind == "array":
        try:
            m = _JS_2D.match(code)
            if m:
                rows = []
                for i, inner in enumerate(re.findall(r"\[(.*?)\]", m.group(0))):
                    inner = inner.strip()
                    if i == 0 and inner.startswith("["):
                        inner = inner[1:]
                    rows.append([js_literal(e.strip()) for e in inner.split(",")])
                return rows
            m = _JS_1D.match(code)
            if not m:
                return code
            body = m.group(1) if m.group(1) is not None else m.group(2)
            body = (body or "").strip()
            parts = body.split(",") if body else []
            if items:
                return [js_value(e.strip(), items, "String") if e.strip()[:1] in ("'", '"')
                        else js_value(e.strip(), items) for e in parts]
            return [js_literal(e.strip()) for e in parts]
        except Exception:  # BFCL keeps the text when its array parse fails in any way
            return code
    if code == "{}":
        return {}
    m = re.match(r"\{(.*?)\}", code)
    if not m:
        return code
    try:
        out: dict = {}
        for key, value in re.findall(r"([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)", m.group(1)):
            key, value = key.strip().strip("'\""), value.strip()
            if value.startswith("[") and value.endswith("]"):
                out[key] = _js_collection(value, "array")
            elif value.startswith("{") and value.endswith("}"):
                out[key] = _js_collection(value, "dict")
            else:
                out[key] = js_literal(value.strip("'\""))
        return out
    except Exception:
        return code
