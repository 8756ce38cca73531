"""Equality of typed answer values: exact first, SymPy where needed, tolerance only for rounding.

Rules (the contract every figure of evalkit rests on):

* Exactness. Numbers are compared as exact `Fraction`s / SymPy rationals, never as floats:
  `12345678901234567890` != `12345678901234567891`, `2^{2^{20}}` != `2^{2^{20}}+1`,
  `\\frac{1}{2004!}` != `\\frac{1}{2006!}`. Floats are used only to *refute* equality quickly
  (values that differ in the 9th significant digit), never to establish it for exact values.
* Rounded decimals. A decimal with at least two significant digits (`0.33`, `1.57`) equals a
  value that has no terminating decimal expansion (`\\frac13`, `\\frac{\\pi}{2}`, `\\sqrt2`) when
  it is that value rounded to the digits given: |value - decimal| <= half a unit in its last
  place. Truncation is not rounding (`0.666` != `\\frac23`, `0.667` == `\\frac23`). A
  terminating value (`2.45`, `3`) must be matched exactly.
* Percent. `50\\%` equals `50` and `0.5`; unmarked numbers are never rescaled (`2` != `200`).
* Lists. A bare comma list (`2, 3, 4`) and a set (`\\{2,3,4\\}`) compare as multisets (order does
  not matter: a list of solutions); a parenthesised tuple `(1, 2)` is ordered. `\\pm a` is the
  list `a, -a`, so `\\pm 2` == `2, -2` and `\\pm 2021` != `2021`. A tuple `(a, b)` also equals the
  open interval `(a, b)`; a bare list compared with a tuple is compared in order. A bare list
  whose items all equal one number is that number restated (`15\\frac{39}{40}, \\frac{639}{40}`
  == `\\frac{639}{40}`, the boxes of "= \\boxed{15\\frac{39}{40}}, or \\boxed{\\frac{639}{40}}").
* Intervals compare endpoints exactly and openness strictly (`(0, 1]` != `(0, 1)`); unions
  compare as sets of intervals; a univariate inequality equals the interval it describes.
* Equations. `x = 3` (a variable named equal to a value) equals `3`; `y = 2x + 1` equals
  `2x + 1`. Two equations are equal when their sides' differences are nonzero constant
  multiples of each other (`y = 2x + 1` == `2x - y + 1 = 0`); two different lines are unequal.
  Inequalities are equal when they describe the same half-space (`x > 2` == `2 < x`).
* Expressions with variables are equal when their difference expands or simplifies to zero, or
  vanishes at several fixed positive rational points (polynomial identity testing).
* Matrices compare entry by entry; a one-row or one-column matrix also equals the tuple of its
  entries. Text compares case-insensitively after whitespace collapse; choice letters exactly.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import sympy

from evalkit.grading.normalize import number_key
from evalkit.grading.values import (
    Choice,
    Expr,
    Interval,
    IntervalUnion,
    Items,
    Matrix,
    Number,
    Relation,
    Text,
    Value,
)

_REFUTE_RELATIVE = 1e-9
_ZERO_ABSOLUTE = sympy.Rational(1, 10**25)
_TEST_POINTS = (
    (sympy.Rational(37, 29), sympy.Rational(53, 41), sympy.Rational(71, 23)),
    (sympy.Rational(113, 47), sympy.Rational(19, 61), sympy.Rational(89, 31)),
    (sympy.Rational(7, 11), sympy.Rational(97, 43), sympy.Rational(43, 67)),
)


# ---------------------------------------------------------------- exact numbers (pure Python)

def significant_digits(value: Fraction, decimals: int) -> int:
    """How many significant digits a decimal written with `decimals` places carries."""
    scaled = abs(value) * 10**decimals
    return len(str(int(scaled))) if scaled >= 1 else 0


def is_terminating(value: Fraction) -> bool:
    """Whether `value` has a finite decimal expansion (denominator of the form 2^a 5^b)."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def _scaled_candidates(value: Fraction, decimals: int | None, percent: bool) -> list[tuple[Fraction, int | None]]:
    candidates = [(value, decimals)]
    if percent:
        candidates.append((value / 100, None if decimals is None else decimals + 2))
    return candidates


def _rounds_to(exact: Fraction, decimal: Fraction, decimals: int | None) -> bool:
    if decimals is None or decimals < 1 or significant_digits(decimal, decimals) < 2:
        return False
    if is_terminating(exact):
        return False
    return abs(exact - decimal) * 2 * 10**decimals <= 1


def exact_numbers_equal(a_value: Fraction, a_decimals: int | None, a_percent: bool,
                        b_value: Fraction, b_decimals: int | None, b_percent: bool) -> bool:
    """Equality of two exactly written numbers under the percent and rounding rules above."""
    for x, x_decimals in _scaled_candidates(a_value, a_decimals, a_percent):
        for y, y_decimals in _scaled_candidates(b_value, b_decimals, b_percent):
            if x == y or _rounds_to(y, x, x_decimals) or _rounds_to(x, y, y_decimals):
                return True
    return False


# ---------------------------------------------------------------- SymPy scalars

def _sympy_of(value: Number | Expr) -> sympy.Expr:
    if isinstance(value, Number):
        return sympy.Rational(value.value.numerator, value.value.denominator)
    return value.expr


def _complex_or_none(expr: sympy.Expr, digits: int = 20) -> complex | None:
    try:
        number = expr.evalf(digits)
        if number.free_symbols or not number.is_number:
            return None
        result = complex(number)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError):
        return None
    if result != result:  # NaN
        return None
    return result


@lru_cache(maxsize=8192)
def fingerprint(value: Value) -> complex | None:
    """A float image of a constant scalar, used only to refute equality quickly."""
    if isinstance(value, Number):
        if value.percent:
            return None
        try:
            return complex(float(value.value))
        except OverflowError:
            return None
    if isinstance(value, Expr) and not value.expr.free_symbols:
        return _complex_or_none(value.expr, 15)
    return None


def _refuted(a: Value, b: Value) -> bool:
    fa, fb = fingerprint(a), fingerprint(b)
    if fa is None or fb is None or fa in (complex("inf"), complex("-inf")) or fb in (
            complex("inf"), complex("-inf")):
        return False
    if any(abs(part) == float("inf") for part in (fa.real, fa.imag, fb.real, fb.imag)):
        return False
    tolerance = _REFUTE_RELATIVE * max(1.0, abs(fa), abs(fb))
    for value in (a, b):
        if isinstance(value, Number) and value.decimals:
            tolerance = max(tolerance, 10.0 ** (-value.decimals))
    return abs(fa - fb) > tolerance


def sympy_equal(x: sympy.Expr, y: sympy.Expr) -> bool:
    """Exact equality of two SymPy scalars (see the module rules)."""
    if x == y:
        return True
    if x.has(sympy.nan, sympy.zoo) or y.has(sympy.nan, sympy.zoo):
        return False
    if x.is_infinite or y.is_infinite:
        return False
    if x.is_Rational and y.is_Rational:
        return False
    difference = x - y
    if difference == 0:
        return True
    if difference.is_Rational:
        return False
    if not difference.free_symbols:
        approximate = _complex_or_none(difference, 30)
        if approximate is not None and abs(approximate) > 1e-20:
            return False
        try:
            if sympy.simplify(difference) == 0:
                return True
        except (TypeError, ValueError, RecursionError, AttributeError):
            pass
        precise = _complex_or_none(difference, 60)
        return precise is not None and abs(precise) < 1e-40
    return expressions_identical(difference)


def expressions_identical(difference: sympy.Expr) -> bool:
    """Whether an expression in variables is identically zero."""
    if sympy.expand(difference) == 0:
        return True
    symbols = sorted(difference.free_symbols, key=lambda s: s.name)
    valid_points = 0
    for point in _TEST_POINTS:
        substitution = {s: point[i % len(point)] + i // len(point) for i, s in enumerate(symbols)}
        value = _complex_or_none(difference.xreplace(substitution), 30)
        if value is None:
            continue
        if abs(value) > 1e-12 * max(1.0, 1.0):
            return False
        valid_points += 1
    if valid_points >= 2:
        return True
    try:
        return sympy.simplify(difference) == 0
    except (TypeError, ValueError, RecursionError, AttributeError):
        return False


def _decimal_rounds_to(decimal: Number, other: Number | Expr) -> bool:
    """The rounding rule between a written decimal and a non-terminating exact value."""
    if decimal.decimals is None:
        return False
    if isinstance(other, Number):
        return False
    expr = other.expr
    if expr.free_symbols or expr.is_Rational and is_terminating(Fraction(int(expr.p), int(expr.q))):
        return False
    for candidate, decimals in _scaled_candidates(decimal.value, decimal.decimals, decimal.percent):
        if decimals is None or significant_digits(candidate, decimals) < 2:
            continue
        if expr.is_Rational:
            if _rounds_to(Fraction(int(expr.p), int(expr.q)), candidate, decimals):
                return True
            continue
        approximate = _complex_or_none(expr, decimals + 20)
        if approximate is None or abs(approximate.imag) > 0:
            continue
        exact_gap = sympy.Abs(sympy.Float(approximate.real, decimals + 20) - sympy.Rational(
            candidate.numerator, candidate.denominator))
        if exact_gap * 2 * 10**decimals <= 1:
            return True
    return False


def scalars_equal(a: Number | Expr, b: Number | Expr) -> bool:
    """Equality of two scalars under the exactness, percent and rounding rules."""
    if isinstance(a, Number) and isinstance(b, Number):
        return exact_numbers_equal(a.value, a.decimals, a.percent, b.value, b.decimals, b.percent)
    if _refuted(a, b):
        return False
    for x in _percent_forms(a):
        for y in _percent_forms(b):
            if sympy_equal(x, y):
                return True
    if isinstance(a, Number) and _decimal_rounds_to(a, b):
        return True
    return isinstance(b, Number) and _decimal_rounds_to(b, a)


def _percent_forms(value: Number | Expr) -> list[sympy.Expr]:
    base = _sympy_of(value)
    if isinstance(value, Number) and value.percent:
        return [base, base / 100]
    return [base]


# ---------------------------------------------------------------- structure

def values_equal(a: Value, b: Value) -> bool:
    """Whether two parsed answers are the same mathematical answer (see module rules)."""
    if a == b:
        return True
    scalar_types = (Number, Expr)
    if isinstance(a, scalar_types) and isinstance(b, scalar_types):
        return scalars_equal(a, b)
    if isinstance(a, Items) and isinstance(b, scalar_types):
        return _restates(a, b)
    if isinstance(b, Items) and isinstance(a, scalar_types):
        return _restates(b, a)
    if isinstance(a, Relation) or isinstance(b, Relation):
        return _relation_equal(a, b)
    if isinstance(a, Items) and isinstance(b, Items):
        return _items_equal(a, b)
    if isinstance(a, Interval) and isinstance(b, Interval):
        return _intervals_equal(a, b)
    if isinstance(a, (Items, Interval)) and isinstance(b, (Items, Interval)):
        tuple_value, interval = (a, b) if isinstance(a, Items) else (b, a)
        return tuple_value.maybe_interval and interval.left_open and interval.right_open and \
            values_equal(tuple_value.items[0], interval.low) and values_equal(tuple_value.items[1], interval.high)
    if isinstance(a, IntervalUnion) and isinstance(b, IntervalUnion):
        return _unordered_equal(a.parts, b.parts)
    if isinstance(a, Matrix) and isinstance(b, Matrix):
        return len(a.rows) == len(b.rows) and all(
            len(ra) == len(rb) and all(values_equal(x, y) for x, y in zip(ra, rb))
            for ra, rb in zip(a.rows, b.rows))
    if isinstance(a, (Matrix, Items)) and isinstance(b, (Matrix, Items)):
        matrix, items = (a, b) if isinstance(a, Matrix) else (b, a)
        if items.kind != "tuple":
            return False
        entries = _vector_entries(matrix)
        return entries is not None and _ordered_equal(entries, items.items)
    if isinstance(a, Text) and isinstance(b, Text):
        return a.text == b.text
    if isinstance(a, Choice) and isinstance(b, Choice):
        return a.letter == b.letter
    return False


def _restates(items: Items, scalar: Number | Expr) -> bool:
    """A bare list whose every item equals one number is that number written in several forms
    (`\\boxed{15\\frac{39}{40}}, or \\boxed{\\frac{639}{40}}`); tuples and sets never are."""
    return items.kind == "list" and all(values_equal(item, scalar) for item in items.items)


def _vector_entries(matrix: Matrix) -> tuple | None:
    if len(matrix.rows) == 1:
        return matrix.rows[0]
    if all(len(row) == 1 for row in matrix.rows):
        return tuple(row[0] for row in matrix.rows)
    return None


def _ordered_equal(xs: tuple, ys: tuple) -> bool:
    return len(xs) == len(ys) and all(values_equal(x, y) for x, y in zip(xs, ys))


def _unordered_equal(xs: tuple, ys: tuple) -> bool:
    """Multiset equality: match each item of xs with a distinct equal item of ys."""
    if len(xs) != len(ys):
        return False
    remaining = list(ys)
    for x in xs:
        for index, y in enumerate(remaining):
            if values_equal(x, y):
                del remaining[index]
                break
        else:
            return False
    return True


def _items_equal(a: Items, b: Items) -> bool:
    if a.kind == "tuple" and b.kind == "tuple":
        return _ordered_equal(a.items, b.items)
    if "set" in (a.kind, b.kind) and "tuple" in (a.kind, b.kind):
        return False
    if "tuple" in (a.kind, b.kind):
        return _ordered_equal(a.items, b.items)
    return _unordered_equal(a.items, b.items)


def _intervals_equal(a: Interval, b: Interval) -> bool:
    return a.left_open == b.left_open and a.right_open == b.right_open and \
        values_equal(a.low, b.low) and values_equal(a.high, b.high)


def _named_value(relation: Relation) -> Value | None:
    """`x = 3` -> 3, `y = 2x + 1` -> 2x + 1: the right side of `variable = expression`."""
    if relation.op != "=":
        return None
    left, right = relation.left, relation.right
    if isinstance(left, Expr) and isinstance(left.expr, sympy.Symbol):
        if not isinstance(right, Expr) or left.expr not in right.expr.free_symbols:
            return right
    return None


def _relation_equal(a: Value, b: Value) -> bool:
    if isinstance(a, Relation) and isinstance(b, Relation):
        if _relations_equivalent(a, b):
            return True
        named_a, named_b = _named_value(a), _named_value(b)
        return named_a is not None and named_b is not None and values_equal(named_a, named_b)
    relation, other = (a, b) if isinstance(a, Relation) else (b, a)
    named = _named_value(relation)
    if named is not None:
        return values_equal(named, other)
    if isinstance(other, (Interval, IntervalUnion)):
        relation_set = _relation_as_set(relation)
        other_set = _as_sympy_set(other)
        return relation_set is not None and other_set is not None and relation_set == other_set
    return False


_FLIPPED = {"<": ">", "<=": ">=", ">": ">", ">=": ">="}


def _difference_form(relation: Relation) -> tuple[str, sympy.Expr]:
    """`a < b` -> (">", b - a): every inequality as `expression > 0` or `>= 0`."""
    left, right = _sympy_of(relation.left), _sympy_of(relation.right)
    if relation.op in ("<", "<="):
        return _FLIPPED[relation.op], right - left
    return relation.op, left - right


def _relations_equivalent(a: Relation, b: Relation) -> bool:
    if (a.op in ("=", "!=")) != (b.op in ("=", "!=")):
        return False
    op_a, diff_a = _difference_form(a)
    op_b, diff_b = _difference_form(b)
    if op_a != op_b:
        return False
    if diff_a == 0 or diff_b == 0:
        return diff_a == diff_b
    ratio = sympy.cancel(sympy.together(diff_a / diff_b))
    if ratio.free_symbols:
        if not _constant_at_test_points(ratio):
            return False
        ratio = sympy.simplify(ratio)
    if ratio.free_symbols or ratio == 0 or ratio.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return False
    if op_a in ("=", "!="):
        return True
    return bool(ratio.is_positive)


def _constant_at_test_points(expr: sympy.Expr) -> bool:
    """False when `expr` takes two clearly different values at two of the fixed test points."""
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    values = []
    for point in _TEST_POINTS:
        substitution = {s: point[i % len(point)] + i // len(point) for i, s in enumerate(symbols)}
        value = _complex_or_none(expr.xreplace(substitution), 20)
        if value is not None:
            values.append(value)
    return all(abs(v - values[0]) <= 1e-9 * max(1.0, abs(values[0])) for v in values[1:])


def _relation_as_set(relation: Relation) -> sympy.Set | None:
    if relation.op in ("=", "!="):
        return None
    left, right = _sympy_of(relation.left), _sympy_of(relation.right)
    symbols = (left - right).free_symbols
    if len(symbols) != 1:
        return None
    builders = {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge}
    try:
        return builders[relation.op](left, right).as_set()
    except (NotImplementedError, TypeError, ValueError):
        return None


def _as_sympy_set(value: Value) -> sympy.Set | None:
    if isinstance(value, Interval):
        if not isinstance(value.low, (Number, Expr)) or not isinstance(value.high, (Number, Expr)):
            return None
        return sympy.Interval(_sympy_of(value.low), _sympy_of(value.high), value.left_open, value.right_open)
    if isinstance(value, IntervalUnion):
        parts = [_as_sympy_set(p) for p in value.parts]
        return None if any(p is None for p in parts) else sympy.Union(*parts)
    return None


# ---------------------------------------------------------------- canonical keys

def value_key(value: Value) -> str | None:
    """A canonical key: values with equal keys are equal. None where no key is cheap and safe."""
    try:
        return _key(value)
    except (ValueError, RecursionError):
        return None


def _key(value: Value) -> str | None:
    if isinstance(value, Number):
        return number_key(value.value.numerator, value.value.denominator)
    if isinstance(value, Expr):
        if value.expr.is_Rational:
            return number_key(int(value.expr.p), int(value.expr.q))
        return "e:" + sympy.srepr(value.expr)
    if isinstance(value, Text):
        return "t:" + value.text
    if isinstance(value, Choice):
        return "c:" + value.letter
    if isinstance(value, Items):
        keys = [_key(item) for item in value.items]
        if any(k is None for k in keys):
            return None
        if value.kind == "tuple":
            return "(" + ",".join(keys) + ")"
        return "{" + ",".join(sorted(keys)) + "}"
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
    if isinstance(value, Relation):
        left, right = _key(value.left), _key(value.right)
        return None if left is None or right is None else f"r:{left}{value.op}{right}"
    return None
