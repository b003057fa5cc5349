"""Typed specs of key/value options: a benchmark's `--dataset-args`, a backend's `--model-args`.

`Arg(default, type, ...)` says what a key accepts; `check_args(given, specs, where)` returns the
defaults updated by the given values, or raises ValueError naming the key, what it accepts and
what it got. Unknown keys are refused with the list of accepted ones.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import Any, Mapping

_NAMES = {bool: "bool", int: "int", float: "number", str: "str", dict: "object", list: "list"}


@dataclass(frozen=True)
class Arg:
    """One key: its default, type and allowed values.

    type: bool, int, float (any finite number, stored as float), str, dict, list or a tuple of
    them; None takes the default's type (any value when the default is None). A None value is
    accepted when the default is None or `optional` is set. `each`: a list of such values (a
    single value becomes a one-element list; a str is split at `sep` when that is set)."""

    default: Any = None
    type: type | tuple[type, ...] | None = None
    choices: tuple | None = None
    min: float | None = None
    max: float | None = None
    above: float | None = None  # exclusive lower bound
    each: bool = False
    sep: str | None = None  # `each`: a str value is split at this separator
    optional: bool = False
    help: str = ""

    def _types(self) -> tuple[type, ...] | None:
        if self.type is not None:
            return self.type if isinstance(self.type, tuple) else (self.type,)
        value = self.default
        if self.each and isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            return None
        return (float,) if isinstance(value, float) else (type(value),)

    def describe(self) -> str:
        """'int >= 1', 'one of 'a', 'b'', 'list of str', 'number > 0 or null' ..."""
        if self.choices is not None:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            types = self._types()
            text = " or ".join(_NAMES.get(t, t.__name__) for t in types) if types else "any value"
            bounds = [f">= {self.min:g}" if self.min is not None else "",
                      f"> {self.above:g}" if self.above is not None else "",
                      f"<= {self.max:g}" if self.max is not None else ""]
            text += "".join(f" {b}" for b in bounds if b)
        if self.each:
            text = f"list of {text}"
        if self.optional or self.default is None:
            text += " or null"
        return text

    def check(self, value: Any, where: str) -> Any:
        """The value, normalised (numbers to float, single values to lists for `each`);
        ValueError `'<where> must be <describe>, got <value>'` when it does not fit."""
        if value is None and (self.optional or self.default is None):
            return None
        if self.each:
            if isinstance(value, str) and self.sep:
                value = [v.strip() for v in value.split(self.sep) if v.strip()]
            elif not isinstance(value, list):
                value = [value]
            if not value:
                raise ValueError(f"{where} must be a non-empty {self.describe()}, got []")
            return [self._one(v, where) for v in value]
        return self._one(value, where)

    def _one(self, value: Any, where: str) -> Any:
        bad = ValueError(f"{where} must be {self.describe()}, got {value!r}")
        if self.choices is not None:
            if not any(value == c and type(value) is type(c) for c in self.choices):
                raise bad
            return value
        types = self._types()
        if types is None:
            return value
        if isinstance(value, bool):
            ok = bool in types
        elif isinstance(value, int):
            ok = int in types or float in types
            if ok and int not in types:
                value = float(value)
        elif isinstance(value, float):
            ok = float in types and math.isfinite(value)
        else:
            ok = any(isinstance(value, t) for t in types if t not in (bool, int, float))
        if not ok:
            raise bad
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if (self.min is not None and value < self.min) or \
                    (self.max is not None and value > self.max) or \
                    (self.above is not None and value <= self.above):
                raise bad
        return value


def spec_of(value: Any) -> Arg:
    """An Arg as is; a plain default value becomes Arg(value) (its type is then checked)."""
    return value if isinstance(value, Arg) else Arg(value)


def with_default(spec: Arg, default: Any) -> Arg:
    """`spec` with another default (a subclass overriding a base key with a plain value)."""
    return dataclasses.replace(spec, default=default)


def accepted(specs: Mapping[str, Arg]) -> str:
    """'key (type), key (type)' for error messages."""
    return ", ".join(f"{k} ({specs[k].describe()})" for k in sorted(specs))


def did_you_mean(names, choices) -> str:
    """" (did you mean 'gsm8k'?)" for the closest of `choices` to each unknown name (difflib),
    or '' when none is close."""
    close = [m[0] for n in names if (m := difflib.get_close_matches(str(n), list(choices), n=1))]
    close = list(dict.fromkeys(close))
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def check_args(given: Mapping[str, Any] | None, specs: Mapping[str, Arg], where: str) -> dict[str, Any]:
    """Defaults of `specs` updated by `given`, each value checked; `where` prefixes errors,
    e.g. '--dataset-args: humaneval'."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(specs))
    if unknown:
        what = f"key {unknown[0]!r}" if len(unknown) == 1 else f"keys {unknown}"
        raise ValueError(f"{where}: unknown {what}{did_you_mean(unknown, specs)}; accepted: {accepted(specs)}")
    out = {k: s.default for k, s in specs.items()}
    for key, value in given.items():
        out[key] = specs[key].check(value, f"{where} {key}")
    return out
