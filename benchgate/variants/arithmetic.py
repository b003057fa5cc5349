"""Safe evaluation of GSM8K calculator annotations (`<<80000*1.5=120000>>`): numbers, + - * /
// % **, unary signs and parentheses, read with `ast` (never `eval`), computed exactly with
`fractions.Fraction` so a re-run reproduces the written result digit for digit."""
from __future__ import annotations

import ast
import operator
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

ANNOTATION = re.compile(r"<<([^<>]*)>>")

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
MAX_EXPONENT = 64  # a larger power is not grade-school arithmetic (and could exhaust memory)


class NotArithmetic(ValueError):
    """An expression that is not plain arithmetic, or that cannot be computed (division by 0)."""


def to_fraction(text: str) -> Fraction:
    """A decimal number as written ("1,200", "0.75", "-3") as an exact fraction."""
    try:
        return Fraction(Decimal(text.replace(",", "")))
    except (InvalidOperation, ValueError):
        raise NotArithmetic(f"not a number: {text!r}") from None


def literals(expression: str) -> list[tuple[int, int, Fraction]]:
    """(start, end, value) of every number literal of an expression, in order."""
    tree = _parse(expression)
    offsets = _line_offsets(expression)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            start = offsets[node.lineno - 1] + node.col_offset
            end = offsets[node.end_lineno - 1] + node.end_col_offset
            out.append((start, end, to_fraction(expression[start:end])))
    return sorted(out)


def evaluate(expression: str, values: dict[int, Fraction] | None = None) -> Fraction:
    """The exact value of an arithmetic expression; `values` replaces the literal that starts at
    a given character offset (how a variant puts its new numbers into an annotation)."""
    tree = _parse(expression)
    offsets = _line_offsets(expression)
    values = values or {}

    def run(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Expression):
            return run(node.body)
        if isinstance(node, ast.Constant):
            start = offsets[node.lineno - 1] + node.col_offset
            if start in values:
                return values[start]
            end = offsets[node.end_lineno - 1] + node.end_col_offset
            return to_fraction(expression[start:end])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = run(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            base, exponent = run(node.left), run(node.right)
            if exponent.denominator != 1 or abs(exponent) > MAX_EXPONENT:
                raise NotArithmetic(f"unsupported power in {expression!r}")
            if base == 0 and exponent < 0:
                raise NotArithmetic(f"division by zero in {expression!r}")
            return base ** int(exponent)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = run(node.left), run(node.right)
            if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and right == 0:
                raise NotArithmetic(f"division by zero in {expression!r}")
            return Fraction(_BINARY[type(node.op)](left, right))
        raise NotArithmetic(f"not plain arithmetic: {expression!r}")

    return run(tree)


def _parse(expression: str) -> ast.Expression:
    if len(expression) > 500:
        raise NotArithmetic("expression too long")
    try:
        tree = ast.parse(expression.strip() and expression, mode="eval")
    except SyntaxError:
        raise NotArithmetic(f"not an arithmetic expression: {expression!r}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and (isinstance(node.value, bool)
                                               or not isinstance(node.value, (int, float))):
            raise NotArithmetic(f"not a number in {expression!r}: {node.value!r}")
        if not isinstance(node, (ast.Expression, ast.Constant, ast.UnaryOp, ast.BinOp, ast.USub, ast.UAdd,
                                 ast.Pow, *_BINARY)):
            raise NotArithmetic(f"not plain arithmetic: {expression!r}")
    return tree


def _line_offsets(text: str) -> list[int]:
    offsets, total = [], 0
    for line in text.splitlines(keepends=True) or [""]:
        offsets.append(total)
        total += len(line)
    return offsets
