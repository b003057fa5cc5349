"""BFCL's single-turn AST checker rules (bfcl_eval.eval_checker.ast_eval.ast_checker), written
here: a model's decoded calls `[{name: {param: value}}]` against the function docs and the
possible answers `[{name: {param: [accepted values]}}]`. A verdict is (valid, error_type,
message); error types are BFCL's ("simple_function_checker:missing_required",
"type_error:simple", "value_error:string", ...). The rules, quirks included, are listed in
docs/benchmarks/bfcl.md; tests/agent/test_reference_agreement.py checks them against bfcl-eval."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from benchgate.agent.typed_strings import COLLECTION_TYPES, JAVA_TYPES, JS_TYPES, java_value, js_value

PYTHON_TYPES: dict[str, type] = {"string": str, "integer": int, "float": float, "boolean": bool,
                                 "array": list, "tuple": list, "dict": dict, "any": str}
PYTHON_NESTED = ("array", "tuple")
LANGUAGES = ("python", "java", "javascript")


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one case: valid, else BFCL's error type and a message."""

    valid: bool
    error_type: str = ""
    error: str = ""


OK = Verdict(True)


def _fail(error_type: str, message: str) -> Verdict:
    return Verdict(False, error_type, message)


def standardize(text: str) -> str:
    """BFCL's string normalisation: no spaces or ,./-_*^, lower case, ' as "."""
    return re.sub(r"[ \,\.\/\-\_\*\^]", "", text).lower().replace("'", '"')


def _answer_type(accepted: Any) -> type | None:
    for a in accepted:
        if a != "":
            return type(a)
    return None


def _std(x: Any) -> Any:
    return standardize(x) if type(x) is str else x


def _type_ok(param: str, value: Any, accepted: Any, declared: str, expected: type,
             nested: type | None) -> tuple[Verdict, bool]:
    """BFCL's type_checker: (verdict, is_variable). A value of the accepted answers' type when it
    differs from the declared one is a "variable" and compared as is."""
    answer_type = _answer_type(accepted)
    variable = answer_type is not None and answer_type != expected
    nested_failed = False
    if type(value) == expected:
        if nested is None:
            return OK, variable
        for item in accepted:
            if type(item) == list and not all(
                    _type_ok(param, v, item, str(nested), nested, None)[0].valid for v in value):
                continue
            return OK, variable
        nested_failed = True
    if answer_type is not None and type(value) == answer_type:
        if nested_failed:  # BFCL returns its nested-type failure here
            return _fail("type_error:nested", f"Nested type checking failed for parameter {param!r}. Expected "
                         f"outer type {declared} with inner type {nested}. Parameter value: {value!r}."), True
        return OK, True
    return _fail("type_error:simple", f"Incorrect type for parameter {param!r}. Expected type {declared}, "
                 f"got {type(value).__name__}. Parameter value: {value!r}."), False


def _string_ok(param: str, value: str, accepted: list) -> Verdict:
    if standardize(value) in [standardize(a) for a in accepted if type(a) is str]:
        return OK
    return _fail("value_error:string", f"Invalid value for parameter {param!r}: {value!r}. "
                 f"Expected one of {accepted}. Case insensitive.")


def _list_ok(param: str, value: list, accepted: list) -> Verdict:
    if [_std(v) for v in value] in [[_std(x) for x in a] for a in accepted]:
        return OK
    return _fail("value_error:list/tuple", f"Invalid value for parameter {param!r}: {value!r}. "
                 f"Expected one of {accepted}.")


def _dict_ok(value: dict, candidates: list) -> Verdict:
    verdict = _fail("dict_checker:unclear", "")
    for candidate in candidates:
        if candidate == "":
            continue
        verdict = OK
        for key, v in value.items():
            if key not in candidate:
                verdict = _fail("value_error:dict_key", f"Unexpected dict key parameter: '{key}'.")
                break
            if _std(v) not in [_std(a) for a in candidate[key]]:
                verdict = _fail("value_error:dict_value", f"Invalid value for parameter {key!r}: {v!r}.")
                break
        matched = verdict.valid
        for key, accepted in candidate.items():  # BFCL runs this check even after a failure above
            if key not in value and "" not in accepted:
                verdict = _fail("value_error:dict_key", f"Missing dict key parameter: '{key}'.")
                matched = False
                break
        if matched:
            return OK
    return verdict


def _list_of_dicts_ok(value: list, candidates: list) -> Verdict:
    verdict = _fail("list_dict_checker:unclear", "")
    for candidate in candidates:
        if len(value) != len(candidate):
            verdict = _fail("value_error:list_dict_count", "Wrong number of dictionaries in the list.")
            continue
        for i, item in enumerate(value):
            verdict = _dict_ok(item, [candidate[i]])
            if not verdict.valid:
                break
        else:
            return OK
    return verdict


def _expected_types(language: str, param: str, details: dict, value: Any):
    """(value converted from its typed string where the language has them, declared type's
    Python type, items' Python type or None), or a Verdict for a Java/JS value that is no string."""
    declared = details["type"]
    if language == "python":
        nested = PYTHON_TYPES[details["items"]["type"]] if declared in PYTHON_NESTED else None
        return value, PYTHON_TYPES[declared], nested
    table, convert, tag = (JAVA_TYPES, java_value, "java") if language == "java" else (JS_TYPES, js_value, "js")
    expected = table[declared]
    if type(value) != str:
        return _fail(f"type_error:{tag}", f"Incorrect type for parameter {param!r}. Expected type String, "
                     f"got {type(value).__name__}. Parameter value: {value!r}.")
    if declared in COLLECTION_TYPES:
        items = details["items"]["type"]
        return convert(value, declared, items), expected, table[items]
    return convert(value, declared), expected, None


def check_call(function: dict, call: dict, answer: dict, language: str, fc_names: bool = False) -> Verdict:
    """One call `{name: {param: value}}` against one function doc and one possible answer."""
    accepted_params = next(iter(answer.values()))
    name = function["name"]
    if fc_names and "." in name:
        name = name.replace(".", "_")  # function-calling APIs take no dots in names (BFCL underscore_to_dot)
    if name not in call:
        return _fail("simple_function_checker:wrong_func_name", f"Function name {name!r} not found in model output.")
    params = call[name]
    properties = function["parameters"]["properties"]
    for param in function["parameters"]["required"]:
        if param not in params:
            return _fail("simple_function_checker:missing_required", f"Missing required parameter: {param!r}.")
    for param, value in params.items():
        if param not in properties or param not in accepted_params:
            return _fail("simple_function_checker:unexpected_param", f"Unexpected parameter: {param!r}.")
        details = properties[param]
        declared = details["type"]
        typed = _expected_types(language, param, details, value)
        if isinstance(typed, Verdict):
            return typed
        value, expected, nested = typed
        if declared == "tuple" and type(value) == tuple:
            value = list(value)
        if language == "python" and declared == "float" and type(value) == int:
            value = float(value)
        accepted = accepted_params[param]
        verdict, variable = _type_ok(param, value, accepted, declared, expected, nested)
        if not verdict.valid:
            return verdict
        if not variable:
            if expected == dict:
                verdict = _dict_ok(value, accepted)
            elif expected == list and nested == dict:
                verdict = _list_of_dicts_ok(value, accepted)
            elif expected == str:
                verdict = _string_ok(param, value, accepted)
            elif expected == list:
                verdict = _list_ok(param, value, accepted)
            else:
                verdict = None
            if verdict is not None:
                if not verdict.valid:
                    return verdict
                continue
        if value not in accepted:
            return _fail("value_error:others", f"Invalid value for parameter {param!r}: {value!r}. "
                         f"Expected one of {accepted}.")
    for param, accepted in accepted_params.items():
        if param not in params and "" not in accepted:
            return _fail("simple_function_checker:missing_optional",
                         f"Optional parameter {param!r} not provided and not marked as optional.")
    return OK


def _doc(functions: list, name: str) -> dict | None:
    return next((f for f in functions if f["name"] == name), None)


def check_calls(functions: list, calls: list, answers: list, language: str, category: str,
                fc_names: bool = False) -> Verdict:
    """BFCL's ast_checker: parallel categories match calls to answers in any order, multiple
    ones check the one expected call, simple ones need exactly one call."""
    if "parallel" in category:
        if len(calls) != len(answers):
            return _fail("parallel_function_checker_no_order:wrong_count", "Wrong number of functions.")
        matched: set[int] = set()
        for i, answer in enumerate(answers):
            function = _doc(functions, next(iter(answer)))
            found = None
            for j, call in enumerate(calls):
                if j in matched:
                    continue
                if check_call(function, call, answer, language, fc_names).valid:
                    found = j
                    break
            if found is None:
                return _fail("parallel_function_checker_no_order:cannot_find_match",
                             f"Could not find a matching function for index {i} of possible answers.")
            matched.add(found)
        return OK
    if "multiple" in category:
        if len(calls) != len(answers):
            return _fail("multiple_function_checker:wrong_count", "Wrong number of functions.")
        return check_call(_doc(functions, next(iter(answers[0]))), calls[0], answers[0], language, fc_names)
    if len(calls) != 1:
        return _fail("simple_function_checker:wrong_count", "Wrong number of functions.")
    return check_call(functions[0], calls[0], answers[0], language, fc_names)


def is_call_list(decoded: Any) -> bool:
    """BFCL's is_function_calling_format_output: a list of {name: {param: value}}."""
    return type(decoded) == list and all(
        type(item) == dict and len(item) == 1 and type(next(iter(item.values()))) == dict for item in decoded)


def has_call(decoded: Any) -> bool:
    """Not BFCL's "empty output": [], [{}] and anything not in call format count as no call."""
    if not is_call_list(decoded) or len(decoded) == 0:
        return False
    return not (len(decoded) == 1 and len(decoded[0]) == 0)
