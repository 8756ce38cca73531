"""When two typed answers are the same answer, and when an answer matches its reference.

Two relations, one module:

* `equal(a, b)`: exact mathematical equality with the same attributes. It is what clusters are
  made of, so it is symmetric and (up to SymPy's power to prove things) transitive.
* `matches(reference, answer, policy)`: whether an answer is right. It is `equal`, widened only
  where the *reference* asks for it:

  - Exact reference (an integer, a fraction, a radical, pi, e, any value that is not written as a
    decimal): only an exactly equal answer is right. A terminating decimal equal to it is exactly
    equal (`\\frac{17}{50}` = `0.34`); a rounded one is not (`\\frac{2}{3}` != `0.667`,
    `4\\pi` != `12.57`, `\\frac{22}{7}` != `3.14`).
  - Decimal reference (`0.67`, `7.2\\times10^{-4}`: the problem asked for a rounded value): any
    answer equal to it at the reference's precision is right, i.e. that rounds to it at its last
    written place, halves away from zero (`0.67` accepts `\\frac23`, `0.667` and `0.665`, rejects
    `0.7`, `0.66` and `0.675`; `0.003` accepts `0.0025`, rejects `0.0035`). When the problem's
    question is known and asks for no rounded value (`rounding.asks_for_rounding`; `Find 2.4 \\div 6`),
    its decimal reference is an exact value like any other (`0.4` rejects `0.36`), unless the
    task's policy says its decimal references are always rounded (`decimal_references`).
  - Relative tolerance: only when the task's policy sets one (Minerva's OCW problems), a number
    within that relative distance of a numeric reference is right.
  - Percent: `p\\%` is the number p/100. A reference `p\\%` also accepts the bare number `p` (the
    question asked for a percentage), and the bare fraction p/100 unless the question asks for a
    percentage (`What percent ...?`: `0.2` reads as 0.2 percent); a reference `q` also accepts `q\\%` when the problem's question
    speaks of percentages or is not known (`question.QuestionReading`: `40\\%` is no number of dollars).
    Unmarked numbers are never rescaled (`2` != `200`).
  - Factored form: when the question asks to factor (`question.asks_to_factor`), a reference
    written as a product of factors with variables needs an answer written as a product
    (`(t-7)(t+7)` for `Factor $t^2-49$`, not `t^2-49`).
  - Expanded form: when the question asks to expand (`question.asks_to_expand`), a reference with
    variables written as a sum needs an answer with no sum multiplied or raised to a power
    (`x^2+5x+6` for `Expand $(x+2)(x+3)$`, not `(x+3)(x+2)`, `7(3y+2)` or `(x+1)^2`).

  Clusters never mix right and wrong answers because `matches` depends only on what `equal`
  preserves: the exact value, the percent mark and the structure.

The structural rules are the same for both relations (the scalar rule differs):

* Lists and sets. A bare comma list (`2, 3, 4`) and a set (`\\{2,3,4\\}`) compare without order (a
  list of solutions); a set holds each item once, a bare list as often as written (`16, 3, 1, 1`
  != `16, 3, 1`; `1, 2, 2` != `\\{1, 2\\}`), except that against a reference without repeats an
  answer naming one item twice is right (`matches("1, 2", "1, 2, 2")`: a solution restated); a tuple `(1, 2)` is ordered; a tuple and a bare
  list compare in order; a tuple never equals a set; a bare list compares in order where the question
  names as many values as the reference lists (`What are the values of $a, h$ and $k$?`). `\\pm a` is the list `a, -a`. A bare list whose
  items all equal one value is that value restated (`15\\frac{39}{40}, \\frac{639}{40}`), and a set
  of one value is that value (the solution set `\\{\\frac12\\}` = `\\frac12`).
  `AB=4, CD=5` is the tuple (4, 5) whose items are named: two such lists with the same names
  match by name.
* Intervals compare ends and openness (`(0, 1]` != `(0, 1)`); a tuple `(a, b)` of two scalars
  equals the open interval `(a, b)`; unions compare as sets; an inequality in one variable equals
  the set it describes (`x \\ge 5` = `[5, \\infty)`, `1 \\le |z| \\le 2` = `[-2,-1] \\cup [1,2]`).
* `name = value` equals its value (`g(2) = 7` = `7`); a chain `x = 5+5+1 = 11` is its last value.
  Against a bare value, an equation is the value it states: its constant right side (`m+n = 33`
  = `33`) or the right side of an identity (`8m - 2m = 6m` = `6m`).
  Two assignments to different variables are compared as equations (`x = 2` != `y = 2`).
  Two equations are equal when one is a nonzero multiple of the other (`y = 2x + 1` =
  `2x - y + 1 = 0`); two inequalities in several variables when one is a positive multiple.
* Ratios of three or more terms are equal when in proportion (`2:4:6` = `1:2:3`), exactly; a
  ratio of two terms is its quotient (`1:3` = `\\frac13`); a ratio equals nothing else.
* Matrices compare entry by entry; a one-row or one-column matrix also equals the tuple of its
  entries. Text compares after case, spaces and articles are normalised (capitals written together,
  `CD`, are text too; `DNE` = `does not exist`; `no solution` = `\\emptyset`); choice letters exactly,
  and letters written together equal the same letters listed in that order (`\\text{ACE}` = `A, C, E`).
  A choice with its value (`(B) 27`) equals its letter (`B`) or its value (`27`).
  A time of day without a.m./p.m. equals the same clock time with either (`4:30` = `4:30pm`).
  A numeral in another base equals the same digits and base, or the digits alone (`4343_7` =
  `4343`, != `4343_6`, != `1550`).
* Expressions with variables are equal when their difference expands to zero, or vanishes at
  several fixed real points of both signs (`|x|` = `\\sqrt{x^2}` != `x`); when both round (floor,
  ceiling) in the variables named n, m, k, at the integers 1..24 and more instead, which decide both ways
  (`\\lceil n/2\\rceil` = `\\lfloor (n+1)/2\\rfloor`; `\\lceil 2n/3\\rceil` != `\\lfloor 2n/3\\rfloor + 1`, equal wherever
  2n/3 is not whole; and `\\lfloor x\\rfloor` != `\\lceil x\\rceil`). A function of one variable is the
  name the other side uses for it alone (`x'(t) = k x(t) - a` = `\\frac{dx}{dt} = kx - a`).
  Constants are compared with relative error bounds, never absolute ones
  (`\\frac{\\sqrt2}{2004!}` != `\\frac{\\sqrt2}{2006!}`, `e^{-100}` != `e^{-101}`).

Every comparison returns a `Decision` naming the rule that decided it, for `Verdict.explain`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy
from sympy.core.function import AppliedUndef

from evalkit.grading.policy import DEFAULT_POLICY, GradingPolicy
from evalkit.grading.normalize import NormalizationError, normalize_answer
from evalkit.grading.question import QuestionReading, name_key
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
    ParseError,
    Ratio,
    Relation,
    Scalar,
    Text,
    Time,
    Value,
    definition_in,
    function_argument,
    numeral_digits,
    parse_value,
    difference_form,
    stated_value,
    sympy_of,
)


@dataclass(frozen=True)
class Decision:
    """Whether two values were found equal, and the rule that decided."""

    equal: bool
    rule: str

    def __bool__(self) -> bool:
        return self.equal


_ROUNDED_RULE = "equal at the reference's precision"
_TOLERANCE_RULE = "within the task's relative tolerance"
_FLOAT_RULE = "the reference in floating point"
_FLOAT_DIGITS = 10 ** 14
"""An answer written with at least 15 significant digits (`0.49999999999999994`, `0.7071067811865476`: a
program's float printed in full) that agrees with the reference to within `_FLOAT_GAP` of its size is the
reference computed in double precision (which holds 15-17 digits), not another value."""
_FLOAT_GAP = Fraction(1, 10 ** 14)


def is_approximate(rule: str | None) -> bool:
    """Whether the rule that found an answer right accepts a value other than the reference's own: one that
    rounds to it, or one within the task's tolerance (`0.0061` for `0.006`). Such answers are right without
    being equal to each other."""
    return rule is not None and (_ROUNDED_RULE in rule or _TOLERANCE_RULE in rule or _FLOAT_RULE in rule)


def _yes(rule: str) -> Decision:
    return Decision(True, rule)


def _no(rule: str) -> Decision:
    return Decision(False, rule)


@dataclass(frozen=True)
class _Mode:
    """How scalars compare: exactly (`directed=False`), or against a reference (`directed=True`)
    that may ask for its written precision or the policy's relative tolerance."""

    directed: bool
    relative_tolerance: float = 0.0
    reading: QuestionReading = QuestionReading()
    """What the problem's question says about the reference (rounding, the percent mark, the factored form)."""


_EXACT = _Mode(False)


def equal(a: Value, b: Value) -> Decision:
    """Exact equality of two answers with the same attributes (the clustering relation)."""
    return _compare(a, b, _EXACT)


def matches(reference: Value, answer: Value, policy: GradingPolicy = DEFAULT_POLICY, *,
            reading: QuestionReading = QuestionReading()) -> Decision:
    """Whether `answer` is right for `reference` (module rules), as the problem's question reads
    the reference (`GradingPolicy.read_question`: whether a decimal reference was rounded, whether
    a percent mark may be added)."""
    return _compare(reference, answer, _Mode(True, policy.relative_tolerance, reading))


# ---------------------------------------------------------------- dispatch

def _compare(a: Value, b: Value, mode: _Mode) -> Decision:
    if a == b:
        return _yes("identical values")
    if mode.reading.options and (isinstance(a, Choice) != isinstance(b, Choice)) and not isinstance(a, Labelled) \
            and not isinstance(b, Labelled):
        return _as_options(a, b, mode)
    if isinstance(a, Labelled) or isinstance(b, Labelled):
        return _labelled(a, b, mode)
    if isinstance(a, Named) or isinstance(b, Named):
        return _named(a, b, mode)
    if isinstance(a, Ratio) or isinstance(b, Ratio):
        return _ratios(a, b)
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        return _scalars(a, b, mode)
    if isinstance(a, Items) and isinstance(b, Scalar):
        return _restated(a, b, mode, reference_first=True)
    if isinstance(b, Items) and isinstance(a, Scalar):
        return _restated(b, a, mode, reference_first=False)
    if isinstance(a, Relation) or isinstance(b, Relation):
        return _relations(a, b, mode)
    if isinstance(a, Items) and isinstance(b, Items):
        return _items(a, b, mode)
    if isinstance(a, (Interval, IntervalUnion, Items)) and isinstance(b, (Interval, IntervalUnion, Items)):
        return _sets(a, b, mode)
    if isinstance(a, Matrix) or isinstance(b, Matrix):
        return _matrices(a, b, mode)
    if isinstance(a, Time) or isinstance(b, Time):
        return _times(a, b)
    if isinstance(a, Numeral) or isinstance(b, Numeral):
        return _numerals(a, b, mode)
    if isinstance(a, Text) and isinstance(b, Text):
        return _yes("same text") if a.text == b.text else _no("different text")
    if isinstance(a, Text) and isinstance(b, Items):
        return _letters(a, b)
    if isinstance(b, Text) and isinstance(a, Items):
        return _letters(b, a)
    if isinstance(a, Choice) and isinstance(b, Choice):
        return _yes("same choice") if a.letter == b.letter else _no("different choice")
    return _no(f"{type(a).__name__.lower()} vs {type(b).__name__.lower()}")


def _as_options(a: Value, b: Value, mode: _Mode) -> Decision:
    """A letter against a value, where the question lists its options: the letter is its option's
    value (`\\text{Plane}` for `(C)` when the question lists `(C) Plane`)."""
    choice, other = (a, b) if isinstance(a, Choice) else (b, a)
    option = _option_value(dict(mode.reading.options).get(choice.letter))
    if option is None:
        return _no(f"choice vs {type(other).__name__.lower()}")
    pair = (option, other) if choice is a else (other, option)
    decision = _compare(*pair, _Mode(mode.directed, mode.relative_tolerance))
    return Decision(decision.equal, f"the option ({choice.letter}) the question lists: " + decision.rule)


@lru_cache(maxsize=1024)
def _option_value(text: str | None) -> Value | None:
    """The value of an option's text as the question writes it, or None where it does not read as one."""
    if text is None:
        return None
    try:
        return parse_value(normalize_answer(text))
    except (ParseError, NormalizationError, RecursionError):
        return None


def _ratios(a: Value, b: Value) -> Decision:
    """Ratios of three or more terms are equal when proportional (`2:4:6` = `1:2:3`): every term
    times the other's pivot term equals the other's term times this pivot (exact, no tolerance)."""
    if not (isinstance(a, Ratio) and isinstance(b, Ratio)):
        other = b if isinstance(a, Ratio) else a
        return _no(f"a ratio vs {type(other).__name__.lower()}")
    if len(a.terms) != len(b.terms):
        return _no("ratios of different lengths")
    xs, ys = [_value_of(t) for t in a.terms], [_value_of(t) for t in b.terms]
    pivot = next((i for i, x in enumerate(xs) if not _exact_scalars(x, Fraction(0))), None)
    if pivot is None:
        return _yes("ratios of zeros") if all(_exact_scalars(y, Fraction(0)) for y in ys) else _no("different ratios")
    if _exact_scalars(ys[pivot], Fraction(0)):
        return _no("different ratios")
    for x, y in zip(xs, ys):
        if not _exact_scalars(_product(x, ys[pivot]), _product(y, xs[pivot])):
            return _no("ratios not in proportion")
    return _yes("ratios in proportion")


def _product(x: Fraction | sympy.Expr, y: Fraction | sympy.Expr) -> Fraction | sympy.Expr:
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        return x * y
    return _to_sympy(x) * _to_sympy(y)


_NOTHING = frozenset({"no solution", "no solutions", "no real solution", "no real solutions", "none", "empty set",
                      "no such number", "no such value", "no values"})
"""Words that answer with the empty set (`\\emptyset` = `\\text{no solution}`)."""


def _letters(text: Text, items: Items) -> Decision:
    """Choice letters written together (`\\text{ACE}`) and as a list (`A, C, E`): the same letters
    in the same order (a run of letters can be an order, `CBAD`, so it is not read as a set); the
    empty set and the words for it (`no solution`)."""
    if items.kind == "set" and not items.items:
        return _yes("no solution: the empty set") if text.text in _NOTHING else _no("text vs the empty set")
    letters = [item.letter for item in items.items if isinstance(item, Choice)]
    if items.kind != "list" or len(letters) != len(items.items):
        return _no("text vs a list")
    if "".join(letters).lower() == text.text:
        return _yes("the same choice letters in order")
    return _no("different choice letters")


# ---------------------------------------------------------------- scalars

def _scalars(a: Number | Expr, b: Number | Expr, mode: _Mode) -> Decision:
    if not mode.directed:
        if a.percent != b.percent:
            return _no("one is marked as a percentage")
        return _exact_scalars(_value_of(a), _value_of(b))
    forms: list[tuple[object, object, str]]
    if isinstance(a, Number) and isinstance(b, Expr) and b.amount is not None and b.amount[1] in mode.reading.unit_letters:
        b = b.amount[0]  # `540 m` for a plain number, and the question speaks of meters: m is the unit
    va, vb = _value_of(a), _value_of(b)
    if mode.reading.decimal_form_asked and isinstance(a, Number) and a.ulp is not None and not _written_as_a_decimal(b):
        return _no("the question asks for a decimal")
    if mode.reading.factored_form_asked and _is_factored(va) and (
            not _is_factored(vb) or _factor_count(vb) < _factor_count(va)):
        return _no("the question asks for a factored form" + (", factored further" if _is_factored(vb) else ""))
    if mode.reading.expanded_form_asked and isinstance(va, sympy.Expr) and va.free_symbols \
            and not _holds_an_unexpanded_product(va) and _holds_an_unexpanded_product(vb):
        return _no("the question asks for an expanded form")
    if a.percent == b.percent:
        forms = [(va, vb, "")]
    elif a.percent:
        forms = [(va, vb, "percent mark of the reference")]
        if not mode.reading.percent_form_asked:  # `0.2` for `20\%` answers "what fraction", not "what percent"
            forms.insert(0, (_scaled(va, Fraction(1, 100)), vb, "percent as a fraction"))
    else:
        forms = [(va, _scaled(vb, Fraction(1, 100)), "percent as a fraction")]
        if mode.reading.percent_mark_accepted:  # `40` for `40\%` when the question speaks of percentages
            forms.append((va, vb, "percent mark dropped"))
    ulp = a.ulp if isinstance(a, Number) and mode.reading.rounded_reference else None
    full_precision = isinstance(b, Number) and b.ulp is not None and abs(b.value) >= b.ulp * _FLOAT_DIGITS
    last: Decision = _no("unequal")
    for reference, answer, note in forms:
        reference_ulp = ulp if note != "percent as a fraction" or not a.percent else (
            ulp / 100 if ulp is not None else None)
        decision = _directed_scalars(reference, answer, reference_ulp, mode.relative_tolerance, full_precision)
        if decision:
            return _yes(decision.rule + (f" ({note})" if note else ""))
        last = decision
    return last


def _written_as_a_decimal(value: Number | Expr) -> bool:
    """Whether an answer is written as a decimal or an integer (`0.15`, `4`), not as a fraction or other
    exact form (`\\frac{3}{20}`, `\\frac{\\sqrt2}{2}`)."""
    return isinstance(value, Number) and (value.ulp is not None or value.value.denominator == 1)


def _is_factored(value: Fraction | sympy.Expr) -> bool:
    """Whether a value is written as a product (or power) of factors with variables."""
    return isinstance(value, sympy.Expr) and bool(value.free_symbols) and (value.is_Mul or value.is_Pow)


def _holds_an_unexpanded_product(value: Fraction | sympy.Expr) -> bool:
    """Whether a value written with variables holds a sum multiplied by another factor or raised to a power
    (`x(x+1)^2`, `7(3y+2)`, `x^2 + (x+1)(x-1)`), which expanding would multiply out."""
    if not isinstance(value, sympy.Expr) or not value.free_symbols:
        return False
    if value.is_Add:
        return any(_holds_an_unexpanded_product(term) for term in value.args)
    if value.is_Pow:
        return (value.base.is_Add and bool(value.base.free_symbols) and value.exp.is_Integer and value.exp > 1) \
            or _holds_an_unexpanded_product(value.base)
    if value.is_Mul:
        factors = [factor for factor in value.args if factor not in (sympy.S.One, sympy.S.NegativeOne)]
        return (len(factors) > 1 and any(factor.is_Add and factor.free_symbols for factor in factors)) \
            or any(_holds_an_unexpanded_product(factor) for factor in factors)
    return False


def _factor_count(value: sympy.Expr) -> int:
    """How many factors with variables a product holds, counted with their powers: `2(x^2-4)` has
    one, `(2x-4)(x+2)` two, `(x-1)^2(x+1)` three. An answer with fewer than its reference's is not
    factored as far (`x(x^2-1)` for `x(x-1)(x+1)`)."""
    if not value.free_symbols:
        return 0
    if value.is_Mul:
        return sum(_factor_count(factor) for factor in value.args)
    if value.is_Pow and value.exp.is_Integer and value.exp > 0:
        return int(value.exp) * _factor_count(value.base)
    return 1


def _value_of(value: Number | Expr) -> Fraction | sympy.Expr:
    return value.value if isinstance(value, Number) else value.expr


def _scaled(value: Fraction | sympy.Expr, factor: Fraction) -> Fraction | sympy.Expr:
    if isinstance(value, Fraction):
        return value * factor
    return value * sympy.Rational(factor.numerator, factor.denominator)


def _directed_scalars(reference, answer, ulp: Fraction | None, tolerance: float, full_precision: bool = False) -> Decision:
    """`answer` against `reference`: equal exactly, or (when the reference was rounded to `ulp`) rounding to it,
    or within the task's relative `tolerance`, or (an answer written with a double's `full_precision`) equal to
    it in floating point (`_FLOAT_DIGITS`)."""
    exact = _exact_scalars(reference, answer)
    if exact or (ulp is None and tolerance <= 0 and not full_precision):
        return exact
    gap = _absolute_gap(reference, answer)
    if gap is None:
        return exact
    if full_precision:
        size = _magnitude(reference)
        if size and gap <= _FLOAT_GAP * size:
            return _yes(_FLOAT_RULE)
    if ulp is not None and _rounds_to(reference, answer, gap, ulp):
        return _yes(f"{_ROUNDED_RULE} (±{ulp / 2})")
    if tolerance > 0:
        size = _magnitude(reference)
        if size is not None and gap <= Fraction(tolerance) * size:
            return _yes(f"{_TOLERANCE_RULE} {tolerance:g}")
    return _no("outside the reference's precision")


def _rounds_to(reference, answer, gap: Fraction, ulp: Fraction) -> bool:
    """Whether `answer` rounds to `reference` at its last written place, halves away from zero:
    the interval is half-open, so 0.0025 rounds to 0.003 and 0.0035 does not."""
    if gap != ulp / 2:
        return gap < ulp / 2
    size_reference, size_answer = _magnitude(reference), _magnitude(answer)
    return size_reference is not None and size_answer is not None and size_answer < size_reference


def _exact_scalars(x: Fraction | sympy.Expr, y: Fraction | sympy.Expr) -> Decision:
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        return _yes("equal exact numbers") if x == y else _no("different exact numbers")
    return sympy_equal(_to_sympy(x), _to_sympy(y))


def _to_sympy(value: Fraction | sympy.Expr) -> sympy.Expr:
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return value


def _absolute_gap(x, y) -> Fraction | None:
    """|x - y| as an exact fraction, or a 40-digit rational bound; None when not a real number."""
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        return abs(x - y)
    difference = _to_sympy(x) - _to_sympy(y)
    if difference.free_symbols:
        return None
    value = _evaluate(difference, 40)
    if value is None or abs(value.imag) > 0:
        return None
    return Fraction(str(abs(value.real)))


def _magnitude(x) -> Fraction | None:
    if isinstance(x, Fraction):
        return abs(x)
    value = _evaluate(_to_sympy(x), 40)
    if value is None:
        return None
    return Fraction(str(abs(value.real))) if value.imag.is_zero else None  # a Float zero is not `== 0` in SymPy


@dataclass(frozen=True)
class _Complex:
    """A complex value kept as two `sympy.Float`s (arbitrary precision)."""

    real: object
    imag: object


def _evaluate(expr: sympy.Expr, digits: int) -> _Complex | None:
    """`expr` evaluated to `digits` significant digits, or None when it is not a finite number."""
    try:
        value = expr.evalf(digits)
    except (TypeError, ValueError, ZeroDivisionError, AttributeError, RecursionError, OverflowError):
        return None
    if value.free_symbols or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    real, imag = value.as_real_imag()
    if not (real.is_number and imag.is_number):
        return None
    try:
        real, imag = sympy.Float(real, digits), sympy.Float(imag, digits)
    except (TypeError, ValueError):
        return None
    return _Complex(real, imag)


def _is_tiny(value: _Complex, scale: _Complex, exponent: int) -> bool:
    """|value| <= 10^-exponent * |scale| (relative, never absolute)."""
    size = abs(value.real) + abs(value.imag)
    reference = abs(scale.real) + abs(scale.imag)
    if reference.is_zero:
        return bool(size.is_zero)
    return size <= reference * sympy.Float(10) ** (-exponent)


_TEST_POINTS: tuple[tuple[sympy.Expr, ...], ...] = (
    (sympy.Rational(37, 29), sympy.Rational(53, 41), sympy.Rational(71, 23), sympy.Rational(13, 17)),
    (sympy.Rational(-113, 47), sympy.Rational(19, 61), sympy.Rational(-89, 31), sympy.Rational(29, 37)),
    (sympy.Rational(7, 11), sympy.Rational(-97, 43), sympy.Rational(43, 67), sympy.Rational(-61, 19)),
    (sympy.Rational(-5, 13), sympy.Rational(31, 7), sympy.Rational(-3, 5), sympy.Rational(59, 23)),
)
"""Where expressions in variables are compared: real points of both signs (answers are about
real numbers), so that `|x|` and `\\sqrt{x^2}` equal each other but not `x`."""


@lru_cache(maxsize=16384)
def sympy_equal(x: sympy.Expr, y: sympy.Expr) -> Decision:
    """Exact equality of two SymPy scalars (see the module notes)."""
    if x == y:
        return _yes("identical expressions")
    if x.has(sympy.nan, sympy.zoo) or y.has(sympy.nan, sympy.zoo):
        return _no("undefined value")
    if x.is_infinite or y.is_infinite:
        return _no("different infinities")
    if x.is_Rational and y.is_Rational:
        return _no("different exact numbers")
    difference = x - y
    if difference == 0:
        return _yes("difference is 0")
    if difference.is_Rational:
        return _no("differ by a nonzero number")
    symbols = difference.free_symbols
    if not symbols:
        return _constants_equal(x, y, difference)
    try:
        if sympy.expand(difference) == 0:
            return _yes("difference expands to 0")
    except (TypeError, ValueError, RecursionError, AttributeError):
        pass
    renamed = _functions_as_their_names(x, y)
    if renamed is not None:  # `k x(t) - a` for `k x - a`: x(t) is the x the other side names
        decision = sympy_equal(*renamed)
        return Decision(decision.equal, decision.rule + ", a function of one variable read as its name")
    return _identity_at_points(x, y)


def _functions_as_their_names(x: sympy.Expr, y: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """Both sides with each function of one variable (`x(t)`) replaced by the name it has (`x`), where the other
    side uses that name alone and never applies it; None when neither side has such a function."""
    def applied(expr: sympy.Expr) -> dict[str, list[sympy.Expr]]:
        calls: dict[str, list[sympy.Expr]] = {}
        for call in expr.atoms(AppliedUndef):
            if len(call.args) == 1 and call.args[0].is_Symbol:
                calls.setdefault(call.func.__name__, []).append(call)
        return calls

    def renames(calls: dict[str, list[sympy.Expr]], other: sympy.Expr) -> dict[sympy.Expr, sympy.Expr]:
        named = {symbol.name: symbol for symbol in other.free_symbols}
        other_calls = {call.func.__name__ for call in other.atoms(AppliedUndef)}
        return {call: named[name] for name, group in calls.items() if name in named and name not in other_calls
                for call in group}

    in_x, in_y = renames(applied(x), y), renames(applied(y), x)
    if not in_x and not in_y:
        return None
    return x.xreplace(in_x), y.xreplace(in_y)


def _constants_equal(x: sympy.Expr, y: sympy.Expr, difference: sympy.Expr) -> Decision:
    gap, scale_x, scale_y = _evaluate(difference, 30), _evaluate(x, 30), _evaluate(y, 30)
    if gap is None or scale_x is None or scale_y is None:
        return _no("not comparable as numbers")
    scale = scale_x if abs(scale_x.real) + abs(scale_x.imag) >= abs(scale_y.real) + abs(scale_y.imag) else scale_y
    if not _is_tiny(gap, scale, 25):
        return _no("numerically different")
    try:
        if sympy.simplify(difference) == 0:
            return _yes("difference simplifies to 0")
    except (TypeError, ValueError, RecursionError, AttributeError, NotImplementedError):
        pass
    precise = _evaluate(difference, 120)
    if precise is not None and _is_tiny(precise, scale, 100):
        return _yes("equal to 100 significant digits")
    return _no("numerically different")


_INTEGER_POINTS: tuple[tuple[sympy.Expr, ...], ...] = tuple(
    tuple(sympy.Integer(v + shift) for shift in (0, 5, 11, 17)) for v in range(1, 25))
"""Where two expressions that both round (`\\lfloor`, `\\lceil`) in integer variables (`_INTEGER_NAMES`) are
compared when they differ at the real points (`\\lceil n/2\\rceil = \\lfloor (n+1)/2 \\rfloor` for every
integer n): 24 points, at which every variable meets every residue of the small moduli such answers
divide by (`\\lfloor 2n/5 \\rfloor` and `\\lfloor (2n-1)/5 \\rfloor` differ at n = 5)."""


_INTEGER_NAMES = frozenset("n m k N M K".split())
"""Names that stand for integers in answers (`n`, `m`, `k`): `\\lfloor x \\rfloor` and `\\lceil x \\rceil`
agree at every integer, and a real x tells them apart."""


def _rounds(expr: sympy.Expr) -> bool:
    return expr.has(sympy.floor, sympy.ceiling)


def _integer_variables(x: sympy.Expr, y: sympy.Expr) -> bool:
    return all(symbol.name in _INTEGER_NAMES for symbol in x.free_symbols | y.free_symbols)


def _identity_at_points(x: sympy.Expr, y: sympy.Expr) -> Decision:
    if _rounds(x) and _rounds(y) and _integer_variables(x, y):
        # the integers decide, both ways: `\lceil n/2\rceil` = `\lfloor (n+1)/2\rfloor` though they differ at
        # n = 1/2, and `\lceil 2n/3\rceil` != `\lfloor 2n/3\rfloor + 1` though they agree wherever 2n/3 is not whole
        at_integers = _agree_at(x, y, _INTEGER_POINTS, needed=len(_INTEGER_POINTS))
        if at_integers.equal:
            return _yes(f"both round; {at_integers.rule.removeprefix('equal at ')} (integers)")
        return _no(f"both round; {at_integers.rule} (integers)")
    return _agree_at(x, y, _TEST_POINTS)


def _values_at(x: sympy.Expr, y: sympy.Expr, substitution: dict[sympy.Symbol, sympy.Expr]
               ) -> tuple[sympy.Expr | None, sympy.Expr | None, _Complex | None, _Complex | None]:
    """`x` and `y` at a point, and their values (None where not a finite number)."""
    try:
        at_x, at_y = x.xreplace(substitution), y.xreplace(substitution)
    except (TypeError, ValueError, RecursionError):
        return None, None, None, None
    return at_x, at_y, _evaluate(at_x, 30), _evaluate(at_y, 30)


def _real(value: _Complex | None) -> bool:
    """A value that is a real number (an undefined one counts as real: nothing to move away from)."""
    return value is None or abs(value.imag) <= (abs(value.real) + 1) * sympy.Float(10) ** -20


def _agree_at(x: sympy.Expr, y: sympy.Expr, points: tuple[tuple[sympy.Expr, ...], ...], needed: int = 3) -> Decision:
    """Whether `x` and `y` agree at `points` (at least `needed` of them where both are defined)."""
    symbols = sorted(x.free_symbols | y.free_symbols, key=lambda s: s.name)  # (x - y) may cancel a name both hold
    agreeing = 0
    for point in points:
        substitution = {s: point[i % len(point)] + i // len(point) for i, s in enumerate(symbols)}
        at_x, at_y, vx, vy = _values_at(x, y, substitution)
        if not _real(vx) and not _real(vy) and not (_rounds(x) or _rounds(y)) \
                and any(value < 0 for value in substitution.values()):
            # `\ln(1/\Delta)` and `-\ln\Delta` are both real only where Δ > 0: compare them there (one real side,
            # as `2\ln|x|` against `2\ln x`, is compared where it is: |x| matters)
            at_x, at_y, vx, vy = _values_at(x, y, {s: abs(value) for s, value in substitution.items()})
        if at_x is None or at_y is None or vx is None and vy is None:
            continue
        if vx is None or vy is None:
            return _no("defined at different points")
        gap = _evaluate(at_x - at_y, 30)
        scale = vx if abs(vx.real) + abs(vx.imag) >= abs(vy.real) + abs(vy.imag) else vy
        if gap is None or not _is_tiny(gap, scale, 20):
            return _no("differ at a test point")
        agreeing += 1
    if agreeing >= needed:
        return _yes(f"equal at {agreeing} test points")
    return _no("too few points to compare")


# ---------------------------------------------------------------- names, lists, sets

def _named(a: Value, b: Value, mode: _Mode) -> Decision:
    if isinstance(a, Named) and isinstance(b, Named) and a.name != b.name and _plain_symbol(a.name) \
            and _plain_symbol(b.name):
        if a.relation is None or b.relation is None:
            return _no("values of different variables")
        return _relations(a.relation, b.relation, mode)  # `x = 2` and `y = 2` are different lines
    if isinstance(a, Named) and isinstance(b, Named):
        renamed = definition_in(b, function_argument(a))  # `f(y) = 2y` read in the variable of `f(x) = 2x`
        if renamed is None:
            return _no("a function of another variable")  # `f(y) = 2x` for `f(x) = 2x`
        values = _compare(a.value, renamed, mode)
        if values or a.relation is None or b.relation is None:
            return Decision(values.equal, "named values: " + values.rule)
        return _relations(a.relation, b.relation, mode)
    named, other = (a, b) if isinstance(a, Named) else (b, a)
    if isinstance(other, Relation) and named.relation is not None:
        pair = (named.relation, other) if named is a else (other, named.relation)
        return _relations(*pair, mode)
    pair = (named.value, other) if named is a else (other, named.value)
    decision = _compare(*pair, mode)
    return Decision(decision.equal, "the value named: " + decision.rule)


def _labelled(a: Value, b: Value, mode: _Mode) -> Decision:
    """A labelled value (`(B) 27`) is its letter to a letter and its value to anything else."""
    if isinstance(a, Labelled) and isinstance(b, Labelled):
        if a.letter == b.letter:
            return _yes("same choice")
        decision = _compare(a.value, b.value, mode)  # the same value under two letters: a slip of the label
        return Decision(decision.equal, "the values of the choices: " + decision.rule)
    labelled, other = (a, b) if isinstance(a, Labelled) else (b, a)
    if isinstance(other, Choice):
        return _yes("same choice") if labelled.letter == other.letter else _no("different choice")
    pair = (labelled.value, other) if labelled is a else (other, labelled.value)
    decision = _compare(*pair, mode)
    return Decision(decision.equal, "the value of the choice: " + decision.rule)


def _plain_symbol(name: str) -> bool:
    return bool(re.fullmatch(r"\\?[A-Za-z]+(?:_\{?\w+\}?)?", name))


def _restated(items: Items, scalar: Number | Expr, mode: _Mode, *, reference_first: bool) -> Decision:
    if items.kind == "tuple" or not items.items:
        return _no(f"{items.kind} vs scalar")
    for item in items.items:
        decision = _compare(item, scalar, mode) if reference_first else _compare(scalar, item, mode)
        if not decision:
            return _no(f"a {items.kind} vs one value")
    return _yes("a list restating one value" if items.kind == "list" else "the set of that one value")


def _in_declared_order(items: Items, order: tuple[str, ...]) -> Items | None:
    """A list of named values (`n = 4, k = 2`) as the tuple of the order the question declares (`(k, n)`: (2, 4)),
    or None when its names are not those of the order."""
    if not items.names or not order or len(items.names) != len(order):
        return None
    keys = [name_key(name) for name in items.names]
    if sorted(keys) != sorted(order) or len(set(keys)) != len(keys):
        return None
    return Items("tuple", tuple(items.items[keys.index(name)] for name in order))


def _items(a: Items, b: Items, mode: _Mode) -> Decision:
    if mode.directed and not a.names and a.kind != "set" and b.names:
        declared = _in_declared_order(b, mode.reading.declared_order)
        if declared is not None:  # `n = 4, k = 2` for the pair (k, n) = (2, 4)
            return _ordered(a.items, declared.items, mode, "named values in the question's order")
    if a.kind == "tuple" and b.kind == "tuple":
        if a.names and b.names and sorted(a.names) == sorted(b.names) and len(set(a.names)) == len(a.names):
            order = [b.names.index(name) for name in a.names]
            return _ordered(a.items, tuple(b.items[i] for i in order), mode, "named items")
        return _ordered(a.items, b.items, mode, "tuples")
    if "tuple" in (a.kind, b.kind) and "set" in (a.kind, b.kind):
        return _no("a tuple is not a set")
    if "tuple" in (a.kind, b.kind):
        in_order = _ordered(a.items, b.items, mode, "tuple and list")
        names = a.names or b.names
        if in_order or not names or len({re.sub(r"_.*", "", n) for n in names}) != 1:
            return in_order
        return _as_sets(a.items, b.items, mode)  # `x_1 = a, x_2 = b`: the roots, in any order
    if a.kind == "set" and b.kind == "set":
        return _as_sets(a.items, b.items, mode)
    if mode.directed and a.kind == "list" and b.kind == "list" and not a.names and not b.names \
            and len(a.items) == len(mode.reading.declared_order) > 1 and all(isinstance(x, Scalar) for x in a.items):
        return _ordered(a.items, b.items, mode, "values in the order the question names them")  # `19, 0, 1` for x, y, z
    xs = _once(a.items) if a.kind == "set" else a.items
    ys = _once(b.items) if b.kind == "set" else b.items
    if mode.directed and len(_once(xs)) == len(xs):
        ys = _once(ys)  # a reference without repeats: an answer naming a solution twice still names it
    return _as_multisets(xs, ys, mode)


def _ordered(xs: tuple, ys: tuple, mode: _Mode, what: str) -> Decision:
    if len(xs) != len(ys):
        return _no(f"{what} of different lengths")
    for position, (x, y) in enumerate(zip(xs, ys)):
        if not _compare(x, y, mode):
            return _no(f"{what}: item {position + 1} differs")
    return _yes(f"{what} equal item by item")


def _as_sets(xs: tuple, ys: tuple, mode: _Mode) -> Decision:
    """Set equality: every item of each side equals some item of the other (repeats ignored)."""
    for x in xs:
        if not any(_compare(x, y, mode) for y in ys):
            return _no("a list item has no match")
    for y in ys:
        if not any(_compare(x, y, mode) for x in xs):
            return _no("a list item has no match")
    return _yes("same items, in any order")


def _as_multisets(xs: tuple, ys: tuple, mode: _Mode) -> Decision:
    """Two bare lists: the same items as often, in any order (`16, 3, 1, 1` is not `16, 3, 1`). Two
    lists that each restate one value (`-2, -2`) are that value, as a list against it is."""
    if len(xs) != len(ys):
        if _restates_one(xs, mode) and _restates_one(ys, mode) and _compare(xs[0], ys[0], mode):
            return _yes("lists restating one value")
        return _no("lists of different lengths")
    unmatched = list(ys)
    for x in xs:
        partner = next((index for index, y in enumerate(unmatched) if _compare(x, y, mode)), None)
        if partner is None:
            return _no("a list item has no match")
        unmatched.pop(partner)
    return _yes("same items, in any order")


def _once(items: tuple) -> tuple:
    """The items without repeats, in order (`\\{2, 2, 3\\}` is `\\{2, 3\\}`): repeats are exactly equal
    items, whatever precision a reference asks for."""
    kept: list = []
    for item in items:
        if not any(_compare(seen, item, _EXACT) for seen in kept):
            kept.append(item)
    return tuple(kept)


def _restates_one(items: tuple, mode: _Mode) -> bool:
    return bool(items) and all(_compare(items[0], item, mode) for item in items[1:])


def _sets(a: Value, b: Value, mode: _Mode) -> Decision:
    a, b = _as_interval(a), _as_interval(b)
    if isinstance(a, Interval) and isinstance(b, Interval):
        if a.left_open != b.left_open or a.right_open != b.right_open:
            return _no("intervals differ in openness")
        if _compare(a.low, b.low, mode) and _compare(a.high, b.high, mode):
            return _yes("same interval")
        return _no("intervals differ at an end")
    if isinstance(a, IntervalUnion) and isinstance(b, IntervalUnion) and len(a.parts) == len(b.parts):
        if _as_sets(a.parts, b.parts, mode):
            return _yes("same union of intervals")
    return _sympy_sets_equal(_sympy_set(a), _sympy_set(b))


def _as_interval(value: Value) -> Value:
    if isinstance(value, Items) and value.maybe_interval:
        return Interval(value.items[0], value.items[1], True, True)
    return value


def _sympy_set(value: Value) -> sympy.Set | None:
    try:
        if isinstance(value, Interval):
            if not isinstance(value.low, Scalar) or not isinstance(value.high, Scalar):
                return None
            return sympy.Interval(sympy_of(value.low), sympy_of(value.high), value.left_open, value.right_open)
        if isinstance(value, IntervalUnion):
            parts = [_sympy_set(p) for p in value.parts]
            return None if any(p is None for p in parts) else sympy.Union(*parts)
        if isinstance(value, Items) and value.kind == "set" and all(isinstance(i, Scalar) for i in value.items):
            return sympy.FiniteSet(*(sympy_of(i) for i in value.items))
        if isinstance(value, Relation):
            return _relation_set(value)
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        return None
    return None


def _sympy_sets_equal(x: sympy.Set | None, y: sympy.Set | None) -> Decision:
    if x is None or y is None:
        return _no("not comparable as sets")
    try:
        if x == y or (sympy.Complement(x, y) == sympy.EmptySet and sympy.Complement(y, x) == sympy.EmptySet):
            return _yes("same set")
    except (TypeError, ValueError, NotImplementedError, RecursionError):
        return _no("not comparable as sets")
    return _no("different sets")


# ---------------------------------------------------------------- relations

_BUILDERS = {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge, "=": sympy.Eq, "!=": sympy.Ne}


def _relations(a: Value, b: Value, mode: _Mode) -> Decision:
    if isinstance(a, Relation) and isinstance(b, Relation):
        if len(a.ops) == 1 and len(b.ops) == 1:
            decision = _two_sided(a, b)
            if decision or a.ops[0] in ("=", "!=") or b.ops[0] in ("=", "!="):
                return decision
        return _sympy_sets_equal(_relation_set(a), _relation_set(b))
    relation, other = (a, b) if isinstance(a, Relation) else (b, a)
    if isinstance(other, (Interval, IntervalUnion, Items)):
        pair = (a, b)
        return _sympy_sets_equal(_sympy_set(_as_interval(pair[0])), _sympy_set(_as_interval(pair[1])))
    # in grading, only an answer states a value: a reference equation (a plane, a curve) is no number
    states_a_value = isinstance(other, Scalar) and (relation is b or not mode.directed)
    stated = stated_value(relation) if states_a_value else None
    if stated is None and states_a_value and _is_identity(relation):
        stated = relation.sides[1]  # `\\frac{\\sec x}{\\sin x} - \\tan x = \\cot x`: an identity ends with its value
    if stated is not None:
        decision = _compare(*((stated, other) if relation is a else (other, stated)), mode)
        return Decision(decision.equal, "the value the equation states: " + decision.rule)
    return _no(f"a relation vs {type(other).__name__.lower()}")


def _is_identity(relation: Relation) -> bool:
    """Whether `left = right` holds for every value of its variables (equal as expressions, tested at
    points where expanding does not show it: trigonometric identities)."""
    if relation.ops != ("=",) or len(relation.sides) != 2 or not all(isinstance(side, Scalar) for side in relation.sides):
        return False
    left, right = (sympy_of(side) for side in relation.sides)
    return bool(left.free_symbols) and bool(sympy_equal(left, right))


def _two_sided(a: Relation, b: Relation) -> Decision:
    """Equations: one is a nonzero multiple of the other; inequalities: a positive multiple."""
    op_a, diff_a = difference_form(a)
    op_b, diff_b = difference_form(b)
    if op_a != op_b:
        return _no("different relations")
    if diff_a == 0 or diff_b == 0:
        return _yes("same relation") if diff_a == diff_b else _no("different relations")
    diff_a, diff_b = _functions_as_their_names(diff_a, diff_b) or (diff_a, diff_b)  # `r x(t)` for `r x`
    ratio = sympy.cancel(sympy.together(diff_a / diff_b))
    if ratio.free_symbols:
        constant = _constant_over_points(ratio)
        if constant is None:
            return _no("not multiples of each other")
        ratio = constant
    if ratio == 0 or ratio.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return _no("not multiples of each other")
    if op_a in ("=", "!="):
        return _yes("one equation is a multiple of the other")
    return _yes("one inequality is a positive multiple of the other") if ratio.is_positive else _no(
        "inequalities point different ways")


def _constant_over_points(expr: sympy.Expr) -> sympy.Expr | None:
    """The constant value of `expr` when it takes one value at every test point, else None."""
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    values = []
    for point in _TEST_POINTS[:4]:
        substitution = {s: point[i % len(point)] + i // len(point) for i, s in enumerate(symbols)}
        value = sympy.nsimplify(expr.xreplace(substitution))
        if value.has(sympy.nan, sympy.zoo):
            continue
        values.append(value)
    if len(values) < 3 or any(sympy_equal(values[0], v).equal is False for v in values[1:]):
        return None
    return values[0]


def _relation_set(relation: Relation) -> sympy.Set | None:
    """The real solution set of a relation in one variable (`1 \\le |z| \\le 2`), or None."""
    sides = [sympy_of(s) for s in relation.sides]
    symbols = set().union(*(s.free_symbols for s in sides))
    if len(symbols) != 1:
        return None
    symbol = symbols.pop()
    real = sympy.Symbol(symbol.name, real=True)
    sides = [s.xreplace({symbol: real}) for s in sides]
    conditions = [_BUILDERS[op](left, right) for op, left, right in zip(relation.ops, sides, sides[1:])]
    try:
        return sympy.And(*conditions).as_set()
    except (NotImplementedError, TypeError, ValueError, AttributeError):
        return None


# ---------------------------------------------------------------- matrices and times

def _matrices(a: Value, b: Value, mode: _Mode) -> Decision:
    if isinstance(a, Matrix) and isinstance(b, Matrix):
        if len(a.rows) != len(b.rows) or any(len(x) != len(y) for x, y in zip(a.rows, b.rows)):
            return _no("matrices of different shapes")
        for row_a, row_b in zip(a.rows, b.rows):
            for x, y in zip(row_a, row_b):
                if not _compare(x, y, mode):
                    return _no("matrices differ in an entry")
        return _yes("same matrix")
    matrix, other = (a, b) if isinstance(a, Matrix) else (b, a)
    if not isinstance(other, Items) or other.kind == "set":
        return _no(f"a matrix vs {type(other).__name__.lower()}")
    entries = _vector_entries(matrix)
    if entries is None:
        return _no("a matrix vs a tuple")
    pair = (entries, other.items) if matrix is a else (other.items, entries)
    decision = _ordered(*pair, mode, "vector and tuple")
    return decision


def _vector_entries(matrix: Matrix) -> tuple | None:
    if len(matrix.rows) == 1:
        return matrix.rows[0]
    if all(len(row) == 1 for row in matrix.rows):
        return tuple(row[0] for row in matrix.rows)
    return None


def _numerals(a: Value, b: Value, mode: _Mode) -> Decision:
    """`4343_7` equals `4343_7`; a reference `4343_7` also accepts the same digits written
    without a base (`4343`); never another base's numeral (`4343_{10}` included) nor the value in base ten."""
    if not isinstance(a, Numeral) and not (mode.directed and isinstance(b, Number)):
        return _no("a number vs a numeral in another base")
    if isinstance(b, Number) and b.base_ten_marked:
        return _no("a numeral in base ten vs one in another base")  # `52_{10}` is 52, not the digits of `52_8`
    if not isinstance(b, Numeral) and not mode.directed:
        return _no("a numeral vs a number")
    digits = [_numeral_digits(v) for v in (a, b)]
    if None in digits:
        return _no("a numeral vs another kind of value")
    bases = [v.base for v in (a, b) if isinstance(v, Numeral)]
    if digits[0] == digits[1] and len(set(bases)) == 1:
        return _yes("same numeral")
    return _no("different numerals")


def _numeral_digits(value: Value) -> str | None:
    """The digits a value is written with, as `values.numeral_digits` spells them: a numeral's, or those of a
    plain integer or decimal (`0.0011`, the digits of `0.0011_2` written without their base)."""
    if isinstance(value, Numeral):
        return value.digits
    if not isinstance(value, Number) or value.percent:
        return None
    if value.value < 0:
        magnitude = _numeral_digits(Number(-value.value, value.ulp))
        return None if magnitude is None else "-" + magnitude  # `-221`, the digits of `-221_3`
    if value.value.denominator == 1:
        return str(value.value.numerator)
    if value.ulp is not None and value.ulp.numerator == 1 and (places := len(str(value.ulp.denominator)) - 1) \
            and 10 ** places == value.ulp.denominator:
        whole, fraction = divmod(value.value * 10 ** places, 10 ** places)
        return numeral_digits(f"{whole}.{int(fraction):0{places}d}") if fraction.denominator == 1 else None
    return None


def _times(a: Value, b: Value) -> Decision:
    time_a, time_b = _as_time(a), _as_time(b)
    if time_a is None or time_b is None:
        other = b if isinstance(a, Time) else a
        return _no(f"a time vs {type(other).__name__.lower()}")
    if time_a.minutes != time_b.minutes or not _hours(time_a) & _hours(time_b):
        return _no("different times")
    return _yes("same time of day")


def _as_time(value: Value) -> Time | None:
    """A time, or an integer hour written as a number (`9` for `9 a.m.`)."""
    if isinstance(value, Time):
        return value
    if isinstance(value, Number) and value.value.denominator == 1 and 0 <= value.value <= 24 and not value.percent:
        return Time(int(value.value), 0, "")
    return None


def _hours(time: Time) -> set[int]:
    """The 24-hour clock hours a time may be: one when a.m./p.m. or a 24-hour reading says so."""
    if time.meridiem:
        return {time.hours % 12 + (12 if time.meridiem == "pm" else 0)}
    if time.hours == 0 or time.hours >= 13:
        return {time.hours % 24}
    return {time.hours % 12, time.hours % 12 + 12}
