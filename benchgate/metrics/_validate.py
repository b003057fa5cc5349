"""Shared input checks for the metrics package (internal).

Every public metric validates its input with these helpers so that bad input fails with a
``ValueError`` that says what is wrong, instead of a NaN or an obscure numpy error later.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def as_float_array(values: Any, name: str = "values", *, allow_empty: bool = False) -> np.ndarray:
    """Return ``values`` as a 1-d float64 array; reject empty, NaN, infinite or non-numeric input."""
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of numbers, got a string")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of numbers: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-d sequence of numbers, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN at index {int(np.flatnonzero(np.isnan(arr))[0])}")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains an infinite value at index {int(np.flatnonzero(np.isinf(arr))[0])}")
    return arr


def check_finite(x: float, name: str) -> float:
    """Return ``x`` as a float; reject NaN, infinities and non-numbers."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {type(x).__name__}")
    xf = float(x)
    if math.isnan(xf):
        raise ValueError(f"{name} is NaN")
    if math.isinf(xf):
        raise ValueError(f"{name} is infinite")
    return xf


def check_int(x: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``x`` as an int; reject non-integers (bools included) and values below ``minimum``."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        if isinstance(x, (float, np.floating)) and float(x).is_integer():
            x = int(x)
        else:
            raise ValueError(f"{name} must be an integer, got {x!r}")
    xi = int(x)
    if minimum is not None and xi < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {xi}")
    return xi


def check_same_length(a: Sequence[Any], b: Sequence[Any], name_a: str, name_b: str) -> None:
    """Raise if the two sequences differ in length."""
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} have different lengths ({len(a)} != {len(b)})")


def check_level(level: float) -> float:
    """Validate a confidence level in (0, 1)."""
    lv = check_finite(level, "level")
    if not 0.0 < lv < 1.0:
        raise ValueError(f"level must be in (0, 1), got {lv}")
    return lv


ALTERNATIVES = ("less", "two-sided", "greater")


def check_alternative(alternative: str) -> str:
    """Validate a hypothesis-test alternative."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    return alternative
