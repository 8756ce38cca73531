"""Typed answer values and the parser from normalised answer strings to them.

An answer is one of: `Number` (exact `Fraction`, with its written decimal places and percent
mark), `Expr` (a SymPy scalar expression), `Text`, `Choice` (a multiple-choice letter),
`Items` (tuple: ordered; set and bare comma list: unordered), `Interval`, `IntervalUnion`,
`Matrix`, or `Relation` (an equation or inequality).

Structure (lists, brackets, relations, `\\pm`, unions, matrices) is split by this module's own
bracket-aware scanner; only scalar pieces go to a LaTeX parser (`latex2sympy2_extended`, an ANTLR
grammar that builds SymPy objects node by node; its normaliser and variable substitution, the
paths that reach `parse_expr`, are not used). Plain-text spellings (`sqrt(2)/2`, `2*pi`, `x**2`)
are rewritten to LaTeX by a tokenizer here. No text ever reaches `eval`, `exec`, `sympify` or
`parse_expr`.

SymPy may take long on hostile input (`9^{9^{9}}`), so `parse_value` is meant to run inside the
worker pool with a hard timeout (see `api.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy

from evalkit.grading.normalize import (
    MAX_ANSWER_CHARS,
    normalize_answer,
    parse_exact_number,
    split_top_level,
    split_top_level_with_separators,
)


class ParseError(ValueError):
    """A normalised answer that no typed value describes."""


@dataclass(frozen=True)
class Number:
    value: Fraction
    decimals: int | None = None
    percent: bool = False


@dataclass(frozen=True)
class Expr:
    expr: sympy.Expr


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Choice:
    letter: str


@dataclass(frozen=True)
class Items:
    """`kind` is "tuple" (ordered), "set" (`\\{...\\}`) or "list" (bare commas, unordered).
    `maybe_interval` marks `(a, b)`, which may be a point or an open interval."""

    kind: str
    items: tuple
    maybe_interval: bool = False


@dataclass(frozen=True)
class Interval:
    low: object
    high: object
    left_open: bool
    right_open: bool


@dataclass(frozen=True)
class IntervalUnion:
    parts: tuple


@dataclass(frozen=True)
class Matrix:
    rows: tuple


@dataclass(frozen=True)
class Relation:
    """`op` is one of = != < <= > >=; sides are scalar values (`Number` or `Expr`)."""

    op: str
    left: object
    right: object


Value = Number | Expr | Text | Choice | Items | Interval | IntervalUnion | Matrix | Relation

_RELATION_TOKENS = {"=": "=", "\\ne": "!=", "<": "<", ">": ">", "\\le": "<=", "\\ge": ">="}
_CHOICE = re.compile(r"^[A-J]$")
_WORD = re.compile(r"^[A-Za-z][A-Za-z' -]{2,}$")
_FUNCTION_WORDS = ("sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "arcsin",
                   "arccos", "arctan", "sinh", "cosh", "tanh")
_MATRIX = re.compile(r"^\\begin\{(pmatrix|bmatrix|matrix|smallmatrix|Bmatrix)\}(.*)\\end\{\1\}$", re.DOTALL)
_ARRAY = re.compile(r"^\(?\\begin\{array\}\{[^{}]*\}(.*)\\end\{array\}\)?$", re.DOTALL)
_MAX_DEPTH = 12
_MAX_ITEMS = 200


def parse_answer(text: str) -> Value:
    """Normalise and parse a raw answer string (see `normalize.normalize_answer`)."""
    return parse_value(normalize_answer(text))


@lru_cache(maxsize=8192)
def parse_value(normalized: str) -> Value:
    """Parse a normalised answer into a typed value; raises `ParseError`."""
    if len(normalized) > MAX_ANSWER_CHARS:
        raise ParseError("answer too long")
    return _parse(normalized, 0)


def _parse(text: str, depth: int) -> Value:
    text = text.strip()
    if depth > _MAX_DEPTH:
        raise ParseError("answer nested too deeply")
    if not text:
        raise ParseError("empty answer")
    if _CHOICE.match(text):
        return Choice(text)
    if text in ("\\emptyset", "\\{\\}"):
        return Items("set", ())
    if text.startswith("\\text{") and text.endswith("}"):
        return Text(" ".join(text[6:-1].lower().split()))
    if _WORD.match(text) and not _looks_like_math_words(text):
        return Text(" ".join(text.lower().split()))
    parts = split_top_level(text, (",", ";"))
    if len(parts) > 1:
        if len(parts) > _MAX_ITEMS or any(not p.strip() for p in parts):
            raise ParseError("malformed list")
        return _flatten_list([_parse(p, depth + 1) for p in parts])
    union = split_top_level(text, ("\\cup",))
    if len(union) > 1:
        pieces = tuple(_parse(p, depth + 1) for p in union)
        if all(isinstance(p, (Interval, Items)) for p in pieces):
            return IntervalUnion(tuple(_as_interval_or_set(p) for p in pieces))
        raise ParseError("union of non-intervals")
    relation = _parse_relation(text, depth)
    if relation is not None:
        return relation
    plus_minus = _parse_plus_minus(text, depth)
    if plus_minus is not None:
        return plus_minus
    bracketed = _parse_brackets(text, depth)
    if bracketed is not None:
        return bracketed
    matrix = _parse_matrix(text, depth)
    if matrix is not None:
        return matrix
    return parse_scalar(text)


def _looks_like_math_words(text: str) -> bool:
    return text.lower() in _FUNCTION_WORDS or text.lower() in ("pi", "inf", "infinity") or len(text) < 3


def _flatten_list(values: list[Value]) -> Items:
    """A comma list; `\\pm` items inside it contribute both signs."""
    flat: list[Value] = []
    for value in values:
        if isinstance(value, Items) and value.kind == "list":
            flat.extend(value.items)
        else:
            flat.append(value)
    return Items("list", tuple(flat))


def _as_interval_or_set(value: Value) -> Value:
    if isinstance(value, Items) and value.maybe_interval:
        return Interval(value.items[0], value.items[1], True, True)
    return value


def _parse_relation(text: str, depth: int) -> Value | None:
    pieces, separators = split_top_level_with_separators(text, tuple(_RELATION_TOKENS))
    if len(pieces) == 1:
        if not re.search(r"\\in(?![a-zA-Z])", text):
            return None
        members = split_top_level(text, ("\\in",))
        if len(members) == 2 and re.fullmatch(r"[a-zA-Z](?:_\{?\w+\}?)?", members[0].strip()):
            return _parse(members[1], depth + 1)
        return None
    ops = [_RELATION_TOKENS[separator] for separator in separators]
    if any(not p.strip() for p in pieces):
        raise ParseError("malformed relation")
    sides = [_parse(p, depth + 1) for p in pieces]
    for side in sides:
        if not isinstance(side, (Number, Expr)):
            if len(sides) == 2 and ops[0] == "=" and _is_symbol(sides[0]):
                return sides[1]  # `x = (1, 2)`, `S = \{1, 2\}`: the value named
            raise ParseError("relation between non-scalars")
    if len(sides) == 3 and all(op in ("<", "<=") for op in ops) and _is_symbol(sides[1]):
        return Interval(sides[0], sides[2], ops[0] == "<", ops[1] == "<")
    if len(sides) == 3 and all(op in (">", ">=") for op in ops) and _is_symbol(sides[1]):
        return Interval(sides[2], sides[0], ops[1] == ">", ops[0] == ">")
    if len(sides) != 2:
        return Items("tuple", tuple(Relation(op, left, right) for op, left, right in zip(ops, sides, sides[1:])))
    return Relation(ops[0], sides[0], sides[1])


def _is_symbol(value: Value) -> bool:
    return isinstance(value, Expr) and isinstance(value.expr, sympy.Symbol)


def _parse_plus_minus(text: str, depth: int) -> Value | None:
    for sign in ("\\pm", "\\mp"):
        pieces = split_top_level(text, (sign,))
        if len(pieces) == 2:
            head, tail = pieces[0].strip(), pieces[1].strip()
            if not tail:
                raise ParseError("dangling \\pm")
            if head:
                return Items("list", (_parse(f"{head}+{{{tail}}}", depth + 1),
                                      _parse(f"{head}-{{{tail}}}", depth + 1)))
            return Items("list", (_parse(tail, depth + 1), _parse(f"-{{{tail}}}", depth + 1)))
        if len(pieces) > 2:
            raise ParseError("several \\pm")
    return None


def _parse_brackets(text: str, depth: int) -> Value | None:
    opening, closing = text[0], text[-1]
    if text.startswith("\\{") and text.endswith("\\}"):
        inner = text[2:-2]
        if _closes_at_end(text, 2):
            parts = split_top_level(inner, (",", ";")) if inner.strip() else []
            return Items("set", tuple(_parse(p, depth + 1) for p in parts))
        return None
    if opening not in "([" or closing not in ")]" or not _closes_at_end(text, 1):
        return None
    inner = text[1:-1]
    parts = split_top_level(inner, (",",))
    if any(not p.strip() for p in parts):
        raise ParseError("empty item in brackets")
    if len(parts) == 1:
        if opening == "(" and closing == ")":
            return _parse(inner, depth + 1)
        return None
    values = tuple(_parse(p, depth + 1) for p in parts)
    if len(values) == 2:
        mixed = opening == "[" or closing == "]"
        unbounded = any(_is_infinite(v) for v in values)
        if mixed or unbounded:
            if not all(isinstance(v, (Number, Expr)) for v in values):
                raise ParseError("interval with non-scalar ends")
            return Interval(values[0], values[1], opening == "(", closing == ")")
        return Items("tuple", values, maybe_interval=all(isinstance(v, (Number, Expr)) for v in values))
    return Items("tuple", values)


def _closes_at_end(text: str, opener_length: int) -> bool:
    """Whether the bracket opening `text` is closed by its last character (any bracket kind)."""
    depth = 0
    index = 0
    while index < len(text):
        if text.startswith("\\{", index) or text.startswith("\\}", index):
            depth += 1 if text[index + 1] == "{" else -1
            index += 2
        elif text[index] == "\\":
            index += 2
            continue
        else:
            if text[index] in "([{":
                depth += 1
            elif text[index] in ")]}":
                depth -= 1
            index += 1
        if depth == 0:
            return index >= len(text)
    return False


def _is_infinite(value: Value) -> bool:
    return isinstance(value, Expr) and bool(value.expr.is_infinite)


def _parse_matrix(text: str, depth: int) -> Value | None:
    match = _MATRIX.match(text) or _ARRAY.match(text)
    if not match:
        return None
    body = match.group(match.lastindex)
    rows = [row for row in re.split(r"\\\\", body) if row.strip()]
    if not rows or len(rows) > _MAX_ITEMS:
        raise ParseError("empty matrix")
    parsed = tuple(tuple(_parse(cell, depth + 1) for cell in row.split("&")) for row in rows)
    if len({len(row) for row in parsed}) != 1:
        raise ParseError("ragged matrix")
    return Matrix(parsed)


def parse_scalar(text: str) -> Number | Expr:
    """One scalar: an exact number when written as one, else a SymPy expression."""
    number = parse_exact_number(text)
    if number is not None:
        return Number(number.value, number.decimals, number.percent)
    return Expr(latex_to_sympy(text))


@lru_cache(maxsize=8192)
def latex_to_sympy(text: str) -> sympy.Expr:
    """Parse one scalar LaTeX (or plain-text) expression with latex2sympy2_extended."""
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig, latex2sympy

    latex = plain_text_to_latex(text)
    if latex.endswith("%"):
        latex = f"({latex[:-1]})/100"
    config = ConversionConfig(interpret_as_mixed_fractions=True, interpret_simple_eq_as_assignment=False,
                              interpret_contains_as_eq=False, lowercase_symbols=False)
    try:
        result = latex2sympy(latex, normalization_config=None, conversion_config=config)
    except RecursionError as error:
        raise ParseError("expression nested too deeply") from error
    except Exception as error:  # the ANTLR grammar raises bare Exception on syntax errors
        raise ParseError(f"not a LaTeX expression: {str(error).splitlines()[0][:80]}") from error
    if not isinstance(result, sympy.Expr) or isinstance(result, sympy.MatrixBase):
        raise ParseError(f"not a scalar expression ({type(result).__name__})")
    return canonical_expr(result)


def canonical_expr(expr: sympy.Expr) -> sympy.Expr:
    """Evaluate what the parser left unevaluated, make floats exact and read `i` as the unit."""
    expr = expr.doit()
    floats = {atom: sympy.Rational(str(atom)) for atom in expr.atoms(sympy.Float)}
    if floats:
        expr = expr.xreplace(floats)
    imaginary = [s for s in expr.free_symbols if s.name == "i"]
    if imaginary:
        expr = expr.xreplace({imaginary[0]: sympy.I})
    if not isinstance(expr, sympy.Expr):
        raise ParseError("not a scalar expression")
    return expr


_PLAIN_FUNCTION = re.compile(r"(?<![\\a-zA-Z])(" + "|".join(sorted(_FUNCTION_WORDS, key=len, reverse=True))
                             + r")(?![a-zA-Z])")
_PLAIN_CONSTANT = re.compile(r"(?<![\\a-zA-Z])(pi|infinity|inf|oo)(?![a-zA-Z])")


def plain_text_to_latex(text: str) -> str:
    """Rewrite plain-text math (`sqrt(2)/2`, `2*pi`, `x**2`) as LaTeX; LaTeX passes unchanged."""
    text = text.replace("**", "^")
    text = _PLAIN_CONSTANT.sub(lambda m: "\\pi" if m.group(1) == "pi" else "\\infty", text)
    if "sqrt" in text and "\\sqrt" not in text:
        text = _rewrite_sqrt_calls(text)
    text = _PLAIN_FUNCTION.sub(lambda m: "\\" + m.group(1), text)
    text = re.sub(r"\^\(([^()]*)\)", r"^{(\1)}", text)
    return text


def _rewrite_sqrt_calls(text: str) -> str:
    out: list[str] = []
    index = 0
    while True:
        found = text.find("sqrt(", index)
        if found < 0 or (found > 0 and text[found - 1].isalpha()):
            out.append(text[index:])
            return "".join(out)
        depth = 0
        close = -1
        for position in range(found + 4, len(text)):
            if text[position] == "(":
                depth += 1
            elif text[position] == ")":
                depth -= 1
                if depth == 0:
                    close = position
                    break
        if close < 0:
            out.append(text[index:])
            return "".join(out)
        out.append(text[index:found] + "\\sqrt{" + _rewrite_sqrt_calls(text[found + 5:close]) + "}")
        index = close + 1
