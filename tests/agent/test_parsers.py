"""Answer parsers: prompt-mode `[f(a=1)]` (Python values round-trip, Java/JS raw text), the fc
formats (native tool_calls JSON, Hermes/Qwen <tool_call>, Llama 3.1 JSON, Mistral
[TOOL_CALLS]), Java/JS typed strings (hand-checked against BFCL's converter rules)."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchgate.agent import fc_mode, prompt_mode
from benchgate.agent.checker import standardize
from benchgate.agent.typed_strings import java_value, js_value
from benchgate.models.base import tool_calls_text

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda n: not __import__("keyword").iskeyword(n))
scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32).map(float),
                    st.text(max_size=20), st.booleans())
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                      max_leaves=8)
calls = st.lists(st.tuples(names, st.dictionaries(names, values, max_size=4)), min_size=1, max_size=3)


@given(calls)
def test_prompt_mode_round_trips_python_calls(cs):
    text = "[" + ", ".join(f"{n}(" + ", ".join(f"{k}={v!r}" for k, v in a.items()) + ")" for n, a in cs) + "]"
    assert prompt_mode.decode(text) == [{n: a} for n, a in cs]
    assert prompt_mode.decode(text[1:-1]) == [{n: a} for n, a in cs]  # brackets optional, as BFCL


@given(calls)
def test_fc_native_tool_calls_round_trip(cs):
    text = tool_calls_text(None, [{"name": n, "arguments": json.dumps(a)} for n, a in cs])
    assert fc_mode.decode(text) == [{n: a} for n, a in cs]


def test_prompt_mode_details():
    assert prompt_mode.decode("```\n[math.hypot(x=-3, y=2*2)]\n```") == [{"math.hypot": {"x": -3, "y": 4}}]
    assert prompt_mode.decode("[f(t=(1, 2), n=None)]") == [{"f": {"t": (1, 2), "n": None}}]
    for bad in ("The answer is 4.", "[f(x=1), 3]", "[f(x=lambda: 1)]", "[f(x=2**10**10)]"):
        with pytest.raises(prompt_mode.DecodeError):
            prompt_mode.decode(bad)
    # a call without keywords stays its text, never run (BFCL: ast.unparse)
    assert prompt_mode.decode("[f(x=__import__('os').getcwd())]") == [{"f": {"x": "__import__('os').getcwd()"}}]
    # Java/JS: values as written, string quotes dropped without escape processing; `from` is a
    # Java parameter name, not a Python keyword; one call only, as BFCL's tree-sitter parsers
    assert prompt_mode.decode("[q(from='20.5', to=30, ok=true, m='put(\"a\", 1)')]", "java") == [
        {"q": {"from": "20.5", "to": "30", "ok": "true", "m": 'put("a", 1)'}}]
    assert prompt_mode.decode("[]", "java") == {}
    with pytest.raises(prompt_mode.DecodeError):
        prompt_mode.decode("[f(a='1'), g(b='2')]", "java")
    assert prompt_mode.decode("[f(a='1'), g(b='2')]", "javascript") is None


def test_fc_local_template_formats():
    hermes = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n' \
             '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>'
    assert fc_mode.decode(hermes) == [{"get_weather": {"city": "Paris"}}, {"get_time": {}}]
    llama = '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}'
    assert fc_mode.decode(llama) == [{"get_weather": {"city": "Paris"}}]
    mistral = '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}]'
    assert fc_mode.decode(mistral) == [{"get_weather": {"city": "Paris"}}]
    assert fc_mode.decode("It is sunny in Paris.") == "It is sunny in Paris."
    with pytest.raises(prompt_mode.DecodeError, match="not valid JSON"):
        fc_mode.decode('<tool_call>{"name": "f", "arguments": {"a": </tool_call>')
    with pytest.raises(prompt_mode.DecodeError, match="arguments are not valid JSON"):
        fc_mode.decode(tool_calls_text(None, [{"name": "f", "arguments": '{"a": 1'}]))


def test_typed_strings_follow_bfcls_converters():
    # java_type_converter's own examples (bfcl_eval .../java_type_converter.py test function)
    assert java_value("123L", "long") == 123 and java_value("3.14f", "float") == 3.14
    assert java_value("3e-3F", "float") == 3e-3 and java_value("3.14e2", "double") == 314.0
    assert java_value("new int[]{1, 2, 3}", "Array", "integer") == [1, 2, 3]
    assert java_value('new ArrayList<>(Arrays.asList("a", "b"))', "ArrayList", "String") == ["a", "b"]
    assert java_value('new HashMap<String, String>() {{ put("key", "value"); }}', "HashMap") == {"key": "value"}
    assert java_value("new HashMap<>()", "HashMap") == {}
    assert java_value("3.14", "float") == "3.14"  # not the declared form: stays a string
    assert js_value("123n", "Bigint") == 123 and js_value("'abc'", "String") == "abc"
    assert js_value("[1, 'two', true]", "array") == [1, "two", True]
    assert js_value("{'key1': 123, 'key2': 'value', 'key3': false}", "dict") == {"key1": 123, "key2": "value",
                                                                                "key3": False}
    assert js_value("new Array(1, 2, 3)", "array") == [1, 2, 3]


@given(st.text(max_size=30))
def test_standardize_drops_bfcls_punctuation_and_case(text):
    out = standardize(text)
    assert not set(out) & set(" ,./-_*^'")
    assert standardize(out) == out
    assert standardize("A b-C_d.e,f/g*h^i'") == 'abcdefghi"'
