"""BFCL's "FC" mode: function docs as OpenAI `tools` (bfcl_eval convert_to_tool, OpenAI style) and
the answer's tool calls read back as `[{name: {param: value}}]`.

An fc answer reaches a benchmark as text (so caching, samples.jsonl and replay need nothing
new): an API backend writes native `tool_calls` as the JSON object
`{"content": ..., "tool_calls": [{"name": ..., "arguments": "<JSON text>"}]}`
(benchgate.models.base.tool_calls_text); a local model's raw text holds the tool-call format
its chat template taught it: Hermes/Qwen `<tool_call>{...}</tool_call>`, Llama 3.1
`{"name": ..., "parameters": {...}}` (optionally after `<|python_tag|>`), Mistral
`[TOOL_CALLS] [{...}]`. Any other text is a plain answer without calls."""
from __future__ import annotations

import copy
import json
import re
from typing import Any

from benchgate.agent.prompt_mode import DecodeError

OPENAPI_TYPES = {
    "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
    "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object",
    "tuple": "array", "any": "string", "byte": "integer", "short": "integer", "long": "integer",
    "double": "number", "char": "string", "ArrayList": "array", "Array": "array", "HashMap": "object",
    "Hashtable": "object", "Queue": "array", "Stack": "array", "Any": "string", "String": "string",
    "Bigint": "integer"}


def _cast(properties: dict) -> dict:
    for key, value in properties.items():
        if "type" not in value:
            value["type"] = "string"
        else:
            kind = value["type"]
            if kind == "float":
                value["format"] = "float"
                value["description"] = value.get("description", "") + " This is a float type value."
            value["type"] = OPENAPI_TYPES.get(kind, "string")
        if value["type"] in ("array", "object"):
            if "properties" in value:
                value["properties"] = _cast(value["properties"])
            elif "items" in value:
                items = value["items"]
                items["type"] = OPENAPI_TYPES[items["type"]]
                if items["type"] == "array" and "items" in items:
                    items["items"]["type"] = OPENAPI_TYPES[items["items"]["type"]]
                elif items["type"] == "object" and "properties" in items:
                    items["properties"] = _cast(items["properties"])
    return properties


def tools(functions: list[dict]) -> list[dict]:
    """OpenAI `tools` for BFCL function docs: dots in names become underscores, BFCL's types
    become JSON-schema ones (float: number with format float), as BFCL's OpenAI handler sends."""
    out = []
    for function in copy.deepcopy(functions):
        function["name"] = function["name"].replace(".", "_")
        function["parameters"]["type"] = "object"
        function["parameters"]["properties"] = _cast(function["parameters"]["properties"])
        out.append({"type": "function", "function": function})
    return out


def _arguments(raw: Any, where: str) -> dict:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as e:
            raise DecodeError(f"{where}: arguments are not valid JSON ({e.msg} at char {e.pos}): {raw[:200]!r}") from None
    if not isinstance(raw, dict):
        raise DecodeError(f"{where}: arguments are not a JSON object: {raw!r:.200}")
    return raw


def _named(items: Any, where: str, key: str = "arguments") -> list[dict]:
    """[{name: arguments}] of tool calls given as {"name", "arguments" or "parameters"}."""
    items = items if isinstance(items, list) else [items]
    calls = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise DecodeError(f"{where} call {i}: no function name")
        args = item.get(key, item.get("arguments", item.get("parameters", {})))
        calls.append({item["name"]: _arguments(args, f"{where} call {i} ({item['name']})")})
    return calls


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DecodeError(f"{where}: not valid JSON ({e.msg} at char {e.pos}): {text[:200]!r}") from None


_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def decode(text: str) -> list[dict] | str:
    """The calls of an fc answer as `[{name: {param: value}}]`, or the answer's text when it
    made no call. Raises DecodeError for a call that cannot be read (malformed arguments)."""
    stripped = text.strip()
    if stripped.startswith("{") and '"tool_calls"' in stripped:
        try:
            wire = json.loads(stripped)
        except json.JSONDecodeError:
            wire = None
        if isinstance(wire, dict) and isinstance(wire.get("tool_calls"), list):
            return _named(wire["tool_calls"], "tool_calls")
    if "<tool_call>" in stripped:
        return [c for block in _HERMES.findall(stripped) for c in _named(_json(block, "<tool_call>"), "<tool_call>")]
    if "[TOOL_CALLS]" in stripped:
        body = stripped.split("[TOOL_CALLS]", 1)[1].strip()
        body = body.split("[/TOOL_CALLS]", 1)[0] if "[/TOOL_CALLS]" in body else body
        return _named(_json(body, "[TOOL_CALLS]"), "[TOOL_CALLS]")
    body = stripped.removeprefix("<|python_tag|>").strip()
    if body.startswith(("{", "[")) and '"name"' in body:
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError:
            parsed = None
        if parsed is not None and all(isinstance(p, dict) and "name" in p and
                                      ("parameters" in p or "arguments" in p)
                                      for p in (parsed if isinstance(parsed, list) else [parsed])):
            return _named(parsed, "JSON", "parameters")
    return text
