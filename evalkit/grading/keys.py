"""Canonical keys and numeric fingerprints of answer values: the two indexes clustering uses.

* `value_key(value)`: a string such that two values with one key are equal (`compare.equal`).
  Most equal answers share a key (`0.5`, `\\frac12`, `1/2`, `\\frac{2}{4}` are all `n:1/2`), so
  most clustering is a dictionary look-up. A key carries every attribute that can change
  equality or correctness: the exact value, the percent mark, the structure (tuple or set,
  open or closed ends), the meridiem of a time.
* `fingerprint(value)`: a hashable numeric digest (values rounded to 12 significant digits, at
  fixed points for expressions in variables). Equal values have equal fingerprints, so two
  answers with different keys are only ever compared when their fingerprints agree: clustering
  costs time in proportion to the number of distinct answers, not its square.

Neither index decides equality on its own: equal keys are equal by construction, and equal
fingerprints only propose a comparison that `compare.equal` decides.
"""

from __future__ import annotations

from decimal import Context, Decimal, ROUND_HALF_EVEN
from fractions import Fraction
from typing import Hashable

import sympy

from evalkit.grading.numbers import number_key
from evalkit.grading.values import (
    Choice,
    Expr,
    Interval,
    IntervalUnion,
    Items,
    Labelled,
    Matrix,
    Named,
    Number,
    Numeral,
    Ratio,
    Relation,
    Text,
    Time,
    Value,
    definition_in,
    difference_form,
    stated_value,
    sympy_of,
)

FINGERPRINT_DIGITS = 12
_WIDE = Context(prec=40)
_NARROW = Context(prec=FINGERPRINT_DIGITS, rounding=ROUND_HALF_EVEN)
_POINTS = (sympy.Rational(37, 29), sympy.Rational(-53, 41), sympy.Rational(7, 11))


def value_key(value: Value) -> str | None:
    """The canonical key of a value, or None where no key is cheap and safe."""
    try:
        return _key(value)
    except (ValueError, TypeError, RecursionError):
        return None


def _key(value: Value) -> str | None:
    if isinstance(value, Number):
        return number_key(value.value, value.percent)
    if isinstance(value, Expr):
        if value.expr.is_Rational:
            return number_key(Fraction(int(value.expr.p), int(value.expr.q)), value.percent)
        return "e:" + sympy.srepr(value.expr) + ("%" if value.percent else "")
    if isinstance(value, Text):
        return "t:" + value.text
    if isinstance(value, Choice):
        return "c:" + value.letter
    if isinstance(value, Time):
        return f"T:{value.hours}:{value.minutes:02d}{value.meridiem}"
    if isinstance(value, Numeral):
        return f"b:{value.digits}_{value.base}"
    if isinstance(value, Named):
        in_x = definition_in(value, _DEFINITION_VARIABLE)
        return None if in_x is None else _key(in_x)
    if isinstance(value, Labelled):
        return _key(value.value)
    if isinstance(value, Items):
        keys = [_key(item) for item in value.items]
        if any(k is None for k in keys):
            return None
        if value.kind == "tuple":
            if value.names:
                return "N(" + ",".join(sorted(f"{n}={k}" for n, k in zip(value.names, keys))) + ")"
            return "(" + ",".join(keys) + ")"
        distinct = sorted(set(keys))
        if value.kind in ("list", "set") and len(distinct) == 1:  # `{5}`, `5, 5`: the one value
            return distinct[0]
        # a set holds each item once; a bare list as often as written (`1, 2, 2` is not `1, 2`)
        return "{" + ",".join(distinct if value.kind == "set" else sorted(keys)) + "}"
    if isinstance(value, Interval):
        low, high = _key(value.low), _key(value.high)
        if low is None or high is None:
            return None
        return f"I{'(' if value.left_open else '['}{low},{high}{')' if value.right_open else ']'}"
    if isinstance(value, IntervalUnion):
        keys = [_key(p) for p in value.parts]
        return None if any(k is None for k in keys) else "U{" + ",".join(sorted(keys)) + "}"
    if isinstance(value, Matrix):
        rows = [[_key(cell) for cell in row] for row in value.rows]
        if any(k is None for row in rows for k in row):
            return None
        return "M[" + ";".join(",".join(row) for row in rows) + "]"
    if isinstance(value, Ratio):
        scaled = _scaled_terms(value)
        if scaled is None:
            return None
        return "R:" + ",".join(number_key(term) for term in scaled)
    if isinstance(value, Relation):
        sides = [_key(s) for s in value.sides]
        if any(s is None for s in sides):
            return None
        return "r:" + "".join(f"{side}{op}" for side, op in zip(sides, value.ops)) + sides[-1]
    return None


def _scaled_terms(ratio: Ratio) -> list[Fraction] | None:
    """The terms of a ratio of exact numbers divided by its first nonzero term (proportional ratios
    give one list); None when a term is not an exact number."""
    if not all(isinstance(term, Number) for term in ratio.terms):
        return None
    terms = [term.value for term in ratio.terms]
    pivot = next((t for t in terms if t != 0), None)
    return terms if pivot is None else [t / pivot for t in terms]


# ---------------------------------------------------------------- fingerprints

def digest_fraction(value: Fraction) -> str:
    """The 12-significant-digit digest of an exact number."""
    wide = _WIDE.divide(Decimal(value.numerator), Decimal(value.denominator))
    return _narrow(wide)


def _narrow(number: Decimal) -> str:
    if number == 0:
        return "0"
    return format(_NARROW.plus(number), "e")


def _digest_sympy(expr: sympy.Expr) -> str | None:
    try:
        value = expr.evalf(30)
    except (TypeError, ValueError, ZeroDivisionError, AttributeError, RecursionError, OverflowError):
        return None
    if value.free_symbols or value.has(sympy.nan, sympy.zoo):
        return None
    if value.has(sympy.oo, -sympy.oo):
        return str(value)
    real, imag = value.as_real_imag()
    try:
        real_text = _narrow(Decimal(str(sympy.Float(real, 30))))
        imag_text = _narrow(Decimal(str(sympy.Float(imag, 30))))
    except (TypeError, ValueError, ArithmeticError):
        return None
    return real_text if imag_text == "0" else f"{real_text}{imag_text:+}i" if not imag_text.startswith("-") \
        else f"{real_text}{imag_text}i"


_DEFINITION_VARIABLE = sympy.Symbol("x")
"""The variable a definition is keyed in (`values.definition_in`): `f(y) = 2y` is keyed as `2x`, like `f(x) = 2x`
and the bare `2x`; `f(y) = 2x`, which uses `x` for something else, has no key."""


class Alternatives(frozenset):
    """Several fingerprints of one value, where it equals values of several forms: `y = 2x - 3` equals the bare
    `2x - 3` (the value it states) and `2x - y - 3 = 0` (a multiple of it); `x \\ge 2` equals `[2, \\infty)`. The
    value is compared with every answer that shares any of them (`fingerprints_of`)."""


def fingerprints_of(digest: Hashable | None) -> tuple[Hashable, ...]:
    """Each fingerprint a value has: none, its one fingerprint, or each of its `Alternatives`."""
    if digest is None:
        return ()
    return tuple(sorted(digest, key=repr)) if isinstance(digest, Alternatives) else (digest,)


_SET_LIKE = ("set-like",)
"""What a set of reals may be written as: an interval, a union, an inequality in one variable. Such
answers are few in a problem, and their forms share no numeric digest (`x < 0`, `(-\\infty, 0)`), so all of them
are compared with each other."""


def fingerprint(value: Value) -> Hashable | None:
    """A numeric digest: equal values have equal fingerprints (module notes), or share one of their
    `Alternatives`; None when a value has none (text, choices and times cluster by key alone)."""
    try:
        prints = {print_ for print_ in (_fingerprint(value), *_other_forms(value)) if print_ is not None}
    except (ValueError, TypeError, RecursionError, AttributeError, ZeroDivisionError):
        return None
    if len(prints) > 1:
        return Alternatives(prints)
    return prints.pop() if prints else None


def _other_forms(value: Value) -> tuple[Hashable | None, ...]:
    """The fingerprints of the other forms a value equals (`Alternatives`), beside `_fingerprint`'s."""
    if isinstance(value, Labelled):
        return _other_forms(value.value)
    if isinstance(value, Named) and value.relation is not None:
        return (_equation_digest(value.relation),)
    if isinstance(value, Relation):
        symbols = set().union(*(sympy_of(side).free_symbols for side in value.sides if isinstance(side, (Number, Expr))))
        inequality = all(op in ("<", "<=", ">", ">=") for op in value.ops)
        return (_equation_digest(value), _SET_LIKE if inequality and len(symbols) == 1 else None)
    if isinstance(value, (Interval, IntervalUnion)):
        return (_SET_LIKE,)
    return ()


def _equation_digest(relation: Relation) -> Hashable | None:
    """A digest of an equation or inequality in variables that its multiples share (`y = 2x - 3`, `y + 3 = 2x`,
    `2x - y - 3 = 0`; an inequality, its positive multiples): `left - right` at fixed points, divided by its size at
    the first point where it is not zero (by its value there for an equation, whose sign is free)."""
    if len(relation.ops) != 1 or not all(isinstance(side, (Number, Expr)) for side in relation.sides):
        return None
    op, difference = difference_form(relation)
    symbols = sorted(difference.free_symbols, key=lambda s: s.name)
    if not symbols:
        return None
    values = []
    for point in _POINTS:
        value = difference.xreplace({s: point + index for index, s in enumerate(symbols)}).evalf(30)
        if value.free_symbols or not value.is_real:
            return None
        values.append(value)
    scale = next((value for value in values if value != 0), None)
    if scale is None:
        return None
    if op not in ("=", "!="):
        scale = abs(scale)
    digests = tuple(_digest_sympy(value / scale) for value in values)
    return None if None in digests else ("relation", op, tuple(s.name for s in symbols), digests)


def _fingerprint(value: Value) -> Hashable | None:
    if isinstance(value, Number):
        return ("s", value.percent, digest_fraction(value.value))
    if isinstance(value, Expr):
        expr = value.expr
        if not expr.free_symbols:
            digest = _digest_sympy(expr)
            return None if digest is None else ("s", value.percent, digest)
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
        digests = []
        for point in _POINTS:
            substitution = {s: point + index for index, s in enumerate(symbols)}
            digests.append(_digest_sympy(expr.xreplace(substitution)))
        return ("f", value.percent, tuple(s.name for s in symbols), tuple(digests))
    if isinstance(value, Named):
        in_x = definition_in(value, _DEFINITION_VARIABLE)
        return _fingerprint(value.value if in_x is None else in_x)
    if isinstance(value, Labelled):
        return _fingerprint(value.value)
    if isinstance(value, Items):
        prints = [_fingerprint(item) for item in value.items]
        if any(p is None for p in prints):
            return None
        if value.kind == "tuple":
            if value.names:
                return ("named", frozenset(zip(value.names, prints)))
            if value.maybe_interval:
                return ("pair", prints[0], prints[1])
            return ("t", tuple(prints))
        distinct = frozenset(prints)
        if value.kind in ("list", "set") and len(distinct) == 1:
            return next(iter(distinct))
        return ("set", distinct)
    if isinstance(value, Interval):
        low, high = _fingerprint(value.low), _fingerprint(value.high)
        if low is None or high is None:
            return None
        if value.left_open and value.right_open:
            return ("pair", low, high)
        return ("I", value.left_open, value.right_open, low, high)
    if isinstance(value, Matrix):
        rows = tuple(tuple(_fingerprint(c) for c in row) for row in value.rows)
        if len(rows) == 1:
            return ("t", rows[0])
        if all(len(row) == 1 for row in rows):
            return ("t", tuple(row[0] for row in rows))
        return ("M", rows)
    if isinstance(value, Relation):
        stated = stated_value(value)  # `m+n = 33` is compared with `33` (`compare._relations`)
        return (type(value).__name__,) if stated is None else _fingerprint(stated)
    if isinstance(value, IntervalUnion):
        return (type(value).__name__,)
    if isinstance(value, Ratio):
        return ("ratio", len(value.terms))  # proportional ratios are compared by `compare.equal`
    return None
