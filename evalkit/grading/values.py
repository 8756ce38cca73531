"""Typed answer values, and the parser from canonical answer strings to them.

An answer is one of:

- `Number`: an exact `Fraction` as written (with its last written place and percent mark);
- `Expr`: a SymPy scalar expression (`\\frac{\\sqrt3}{2}`, `2x+1`, `e^{-100}`);
- `Text` (`\\text{monday}`), `Choice` (a multiple-choice letter), `Time` (`4:30pm`), `Numeral`
  (a number in another base, `4343_7`);
- `Items`: `tuple` (ordered: a point, a vector), `set` (`\\{...\\}`) or `list` (bare commas: a
  list of solutions, unordered);
- `Interval` and `IntervalUnion`; `Matrix`;
- `Ratio`: three or more terms (`1:2:3`), compared by proportion; `a:b` is the number a/b, and a
  clock time (`4:30`) only when its minutes are 0-59 (`19:60` is the number 19/60);
- `Relation`: an equation or inequality between scalars (`y = 2x + 1`, `x \\ge 5`, `x + y = 3`);
- `Labelled`: a choice letter with the value it labels (`(B)\\ 27`, canonical `(B)27`): right for
  a reference that is the letter or the value;
- `Named`: `name = value`, where the left side only names what the value is (`x = 3`,
  `g(2) = 7`, `|AB| = 1`, `(a, b) = (3, -2)`, `\\frac{NO}{BO} = \\frac{1}{\\sqrt6}`); it also keeps
  the relation it came from, so that `y = 2x + 1` still equals `2x - y + 1 = 0`.

Structure (lists, brackets, relations, `\\pm`, unions, matrices, names) is read by this module
with the one bracket-aware scanner (`scan.py`); only scalar pieces go to a LaTeX parser
(`latex2sympy2_extended`, an ANTLR grammar that builds SymPy objects node by node; its
normaliser and variable substitution, the paths that reach `parse_expr`, are not used).
Plain-text spellings (`sqrt(2)/2`, `2*pi`, `x**2`) are rewritten to LaTeX by a small tokenizer
here. No text ever reaches `eval`, `exec`, `sympify` or `parse_expr`.

SymPy may take long on hostile input (`9^{9^{9}}`), so `parse_value` runs inside the worker
pool with a hard time limit (`pool.py`), except for plain numbers, which `numbers.py` reads.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy
from sympy.core.function import AppliedUndef

from evalkit.grading.numbers import number_from_words, parse_exact_number
from evalkit.grading.normalize import MAX_ANSWER_CHARS
from evalkit.grading.simple_latex import parse_simple
from evalkit.grading.question import UNIT_WORDS
from evalkit.grading.scan import brackets_balance, encloses_whole, group_end, split_top_level, split_top_level_with_separators


class ParseError(ValueError):
    """A canonical answer string that no typed value describes."""


@dataclass(frozen=True)
class Number:
    value: Fraction
    ulp: Fraction | None = None
    percent: bool = False
    base_ten_marked: bool = False
    """Written with its base, `33_{10}`: a number, but not the digits of a numeral in another base."""


@dataclass(frozen=True)
class Expr:
    expr: sympy.Expr
    percent: bool = False
    amount: tuple[Number, str] | None = None
    """For a number written with a one-letter SI unit symbol after it (`540 m`, `1.77 \\times 10^{-6} m`): that
    number and the letter, which a plain-number reference whose question names the unit compares with
    (`compare.py`); the letter is a symbol otherwise."""


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Choice:
    letter: str


@dataclass(frozen=True)
class Labelled:
    """A choice letter with the value it labels (`(B) 27`)."""

    letter: str
    value: object


@dataclass(frozen=True)
class Time:
    """A time of day; `meridiem` is "am", "pm" or "" when not given."""

    hours: int
    minutes: int
    meridiem: str = ""


@dataclass(frozen=True)
class Numeral:
    """A number written in another base, `4343_7`: its digits (upper case, after a minus sign for `-221_3`) and base."""

    digits: str
    base: int


@dataclass(frozen=True)
class Items:
    """`kind` is "tuple" (ordered), "set" (`\\{...\\}`) or "list" (bare commas, unordered).
    `maybe_interval` marks `(a, b)` with two scalars: a point, or the open interval."""

    kind: str
    items: tuple
    maybe_interval: bool = False
    names: tuple | None = None
    """For `AB=4, CD=5`: the name of each item, so that two such lists can match by name."""


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
class Ratio:
    """Three or more scalar terms (`1:2:3`): equal to any ratio in proportion (`2:4:6`)."""

    terms: tuple


@dataclass(frozen=True)
class Relation:
    """`ops[i]` relates `sides[i]` and `sides[i+1]`; each op is one of = != < <= > >=."""

    ops: tuple
    sides: tuple


@dataclass(frozen=True)
class Named:
    """`name = value`: `name` is a canonical key of the left side; `relation` the equation."""

    name: str
    value: object
    relation: Relation | None = None


Value = (Number | Expr | Text | Choice | Labelled | Time | Numeral | Items | Interval | IntervalUnion | Matrix | Relation
         | Named | Ratio)
Scalar = (Number, Expr)

_RELATION_TOKENS = {"=": "=", "\\ne": "!=", "<": "<", ">": ">", "\\le": "<=", "\\ge": ">=",
                    "\\approx": "~"}
_CHOICE = re.compile(r"^[A-J]$")
_LABELLED = re.compile(r"^\(([A-E])\)(?=[-+\d.\\A-Za-z])")
"""The canonical spelling of a labelled value (`notation.py` writes it): `(B)27`."""
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(am|pm)?$")
_NUMERAL = re.compile(r"^(-?)(?:\((\d[0-9A-Za-z]*(?:\.[0-9A-Za-z]+)?)\)|(\d[0-9A-Za-z]*(?:\.[0-9A-Za-z]+)?))_\{?(\d{1,2}|[a-z]{3,9})\}?$")
"""A numeral and its base: `4343_7`, `(52)_8`, `52_{eight}` (the canonical form of `52_{\\text{eight}}`), `0.0011_2` (with
a radix point), `-221_3` and `-(221)_3` (with a sign)."""
_PROGRAM_LITERAL = re.compile(r"^0(?:([bB])([01]+)|([oO])([0-7]+)|([xX])([0-9a-fA-F]+))$")
"""A numeral as programs write it: `0b11010`, `0o17`, `0x1F` (base 2, 8, 16)."""
_WORD = re.compile(r"^[A-Za-z][A-Za-z' -]{2,}$")
_LONE_WORD = re.compile(r"^[A-Za-z]?[a-z]*[aeiouy][a-z]*$")
"""A word written without `\\text` (`odd`, `Even`, `none`): text, not a product of letters."""
_CAPITALS = re.compile(r"^[A-Z]{2,8}$")
"""Capital letters written together (`CD`, `LQSX`, `DNE`): a name or a letter answer, as text (the
same as `\\text{CD}`), not a product of variables (which would make `QLSX` equal `LQSX`)."""
_TEXT_SYNONYMS = {"does not exist": "dne", "doesn't exist": "dne", "even function": "even", "odd function": "odd",
                  "neither even nor odd": "neither", "neither odd nor even": "neither"}
"""Text answers that are one answer written two ways (`\\text{even function}` answers "even, odd, or
neither" as `\\text{even}` does)."""
_FUNCTION_WORDS = ("sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "arcsin",
                   "arccos", "arctan", "sinh", "cosh", "tanh")
_MATRIX = re.compile(r"^\\begin\{(pmatrix|bmatrix|matrix|smallmatrix|Bmatrix|vmatrix)\}(.*)\\end\{\1\}$",
                     re.DOTALL)
_ARRAY = re.compile(r"^[(\[]?\\begin\{array\}\{[^{}]*\}(.*)\\end\{array\}[)\]]?$", re.DOTALL)
_SCALED_MATRIX = re.compile(r"^(.+?)(?:\\cdot|\\times)?(\\begin\{(?:pmatrix|bmatrix|matrix)\}.*)$", re.DOTALL)
_MAX_DEPTH = 12
_MAX_ITEMS = 200


def numeral_digits(written: str) -> str:
    """A numeral's digits as one spelling: upper case, no leading zeros, and after a radix point no trailing ones
    (`0.00110` -> `.0011`)."""
    whole, point, fraction = written.upper().partition(".")
    fraction = fraction.rstrip("0")
    return (whole.lstrip("0") or ("" if fraction else "0")) + ("." + fraction if fraction else "")


def _numeral_base(written: str) -> int | None:
    """A numeral's base written as digits or as a word (`62`, `eight`), 2 or more; None otherwise."""
    base = int(written) if written.isdigit() else number_from_words(written)
    return base if base is not None and base >= 2 else None


@lru_cache(maxsize=8192)
def parse_value(canonical: str) -> Value:
    """Parse a canonical answer string (`normalize.normalize_answer`) into a typed value."""
    if len(canonical) > MAX_ANSWER_CHARS:
        raise ParseError("answer too long")
    return _parse(canonical, 0)


def _parse(text: str, depth: int) -> Value:
    text = text.strip()
    if depth > _MAX_DEPTH:
        raise ParseError("answer nested too deeply")
    if not text:
        raise ParseError("empty answer")
    if _CHOICE.match(text):
        return Choice(text)
    labelled = _LABELLED.match(text)
    if labelled:
        return Labelled(labelled.group(1), _parse(text[labelled.end():], depth + 1))
    time = _TIME.match(text)
    if time and int(time.group(1)) <= 24 and int(time.group(2)) <= 59:
        return Time(int(time.group(1)), int(time.group(2)), time.group(3) or "")
    numeral = _NUMERAL.match(text)
    base = _numeral_base(numeral.group(4)) if numeral else None
    sign, digits = (numeral.group(1), numeral.group(2) or numeral.group(3)) if numeral else ("", "")
    if base == 10 and digits.isdigit():
        return Number(Fraction(int(sign + digits)), None, False, True)  # `33_{10}`: base ten is the number itself
    if base is not None:
        written = numeral_digits(digits)
        return Numeral(sign + written if written != "0" else written, base)
    literal = _PROGRAM_LITERAL.match(text)
    if literal is not None:  # `0b11010`, `0o17`, `0x1F`: a program's numeral in base 2, 8 or 16
        prefix, digits = next((literal.group(i), literal.group(i + 1)) for i in (1, 3, 5) if literal.group(i))
        return Numeral(numeral_digits(digits), {"b": 2, "o": 8, "x": 16}[prefix.lower()])
    if text in ("\\emptyset", "\\{\\}", "\\varnothing"):
        return Items("set", ())
    if text.startswith("\\text{") and text.endswith("}") and text.count("\\text{") == 1:
        return _text(text[6:-1])
    if _WORD.match(text) and text.lower() not in _FUNCTION_WORDS and text.lower() not in ("pi", "inf", "infinity") \
            and (" " in text or _LONE_WORD.match(text)):
        return _text(text)
    if depth == 0 and _CAPITALS.match(text):  # a whole answer; in an equation `MR = SRMC` they are variables
        return _text(text)
    groups = split_top_level(text, (";",))
    if len(groups) > 1:
        return _list_of([_parse(g, depth + 1) for g in _nonempty(groups)], depth)
    parts = split_top_level(text, (",",))
    if len(parts) > 1:
        return _comma_list(_nonempty(parts), depth)
    union = split_top_level(text, ("\\cup",))
    if len(union) > 1:
        pieces = tuple(_parse(p, depth + 1) for p in _nonempty(union))
        if all(isinstance(p, (Interval, Items)) for p in pieces):
            return IntervalUnion(tuple(_as_interval_or_set(p) for p in pieces))
        raise ParseError("union of things that are not sets")
    relation = _parse_relation(text, depth)
    if relation is not None:
        return relation
    ratio = _parse_ratio(text, depth)
    if ratio is not None:
        return ratio
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


def _text(words: str) -> Text:
    """A text answer: lower case, single spaces, one spelling of each synonym (`DNE`)."""
    text = " ".join(words.lower().split())
    return Text(_TEXT_SYNONYMS.get(text, text))


def _nonempty(parts: list[str]) -> list[str]:
    if len(parts) > _MAX_ITEMS:
        raise ParseError("list too long")
    if any(not p.strip() for p in parts):
        raise ParseError("empty item in a list")
    return parts


def _named_chains_split(parts: list[str]) -> list[str]:
    """`a=b=1` in a list is two items, `a=1` and `b=1` (`w=16, d=3, a=b=1` has four values)."""
    split: list[str] = []
    for part in parts:
        pieces = split_top_level(part, ("=",))
        if len(pieces) >= 3 and all(_name_key(piece) is not None for piece in pieces[:-1]):
            split.extend(f"{piece}={pieces[-1]}" for piece in pieces[:-1])
        else:
            split.append(part)
    return _nonempty(split)


def _comma_list(parts: list[str], depth: int) -> Value:
    values = [_parse(p, depth + 1) for p in _named_chains_split(parts)]
    named = [v for v in values if isinstance(v, Named)]
    if named and len(named) == len(values) and len({v.name for v in named}) == len(named):
        # `AB=4, CD=5`, `p=5, q=2`: the values of several names, in the order written.
        return Items("tuple", tuple(v.value for v in named), names=tuple(v.name for v in named))
    return _list_of(values, depth)


def _list_of(values: list[Value], depth: int) -> Items:
    """A bare list; nested bare lists and `\\pm` pairs flatten into it; `x = a, x = b` lists
    the values of one name, while `f(n) = n, f(n) = 2 - n` lists definitions (whose variable is a
    placeholder, `compare`)."""
    flat: list[Value] = []
    for value in values:
        if isinstance(value, Named) and function_argument(value) is None:
            value = value.value
        if isinstance(value, Items) and value.kind == "list":
            flat.extend(value.items)
        else:
            flat.append(value)
    return Items("list", tuple(flat))


def _as_interval_or_set(value: Value) -> Value:
    if isinstance(value, Items) and value.maybe_interval:
        return Interval(value.items[0], value.items[1], True, True)
    return value


# ---------------------------------------------------------------- relations and names

def _relation_sides(pieces: list[str], ops: list[str], depth: int) -> list[Value]:
    """The parsed sides of a relation. A left side that cannot be read (`\\sum_{j,k} \\frac{1}{(j+k)^3}
    = p - q`) before `=` and a scalar: the statement of that scalar, the one side."""
    try:
        left = _parse(pieces[0], depth + 1)
    except ParseError:
        if ops != ["="]:
            raise
        right = _parse(pieces[1], depth + 1)
        if not isinstance(right, Scalar):
            raise
        return [right]
    return [left, *(_parse(p, depth + 1) for p in pieces[1:])]


def _parse_relation(text: str, depth: int) -> Value | None:
    pieces, separators = split_top_level_with_separators(text, tuple(_RELATION_TOKENS))
    if len(pieces) == 1:
        return _parse_membership(text, depth)
    ops = [_RELATION_TOKENS[s] for s in separators]
    if any(not p.strip() for p in pieces):
        raise ParseError("malformed relation")
    if "~" in ops:  # `x = 1/3 \\approx 0.33`: the exact value written before the approximation
        approximations = split_top_level(text, ("\\approx",))
        exact = approximations[0]
        if not exact.strip():
            raise ParseError("approximation without an exact value")
        if _name_key(exact) is not None:  # `x \\approx 11`: only an approximate value is given
            return _parse(approximations[1], depth + 1)
        return _parse(exact, depth + 1)
    if all(op == "=" for op in ops):
        if len(pieces) >= 3:  # `x = 5 + 5 + 1 = 11`: a chain ends with its value
            return _parse(pieces[-1], depth + 1)
        name = _name_key(pieces[0])
        if name is not None:
            value = _parse(pieces[1], depth + 1)
            return Named(name, value, _scalar_relation(("=",), (pieces[0], pieces[1]), depth))
        name = _name_key(pieces[1])
        if name is not None and _is_constant(pieces[0], depth):  # `18 = x`: the name written on the right
            value = _parse(pieces[0], depth + 1)
            return Named(name, value, _scalar_relation(("=",), (pieces[1], pieces[0]), depth))
    sides = _relation_sides(pieces, ops, depth)
    if len(sides) == 1:
        return sides[0]
    if not all(isinstance(s, Scalar) for s in sides):
        if all(op == "=" for op in ops) and all(isinstance(side, (Items, Matrix)) for side in sides):  # `\\left(6 \\cos 60^\\circ, 6 \\sin 60^\\circ\\right) = (3, 3\\sqrt{3})`
            return sides[-1]  # a computation of a tuple, set or matrix ends with its value
        raise ParseError("relation between values that are not scalars")
    if ops == ["="] and not any(isinstance(s, Expr) and s.expr.free_symbols for s in sides):
        return sides[1]  # `\\frac{3}{4} \\cdot 8 = 6`: a computation ends with its value
    if len(sides) == 3 and _is_plain_name(sides[1]):
        if all(op in ("<", "<=") for op in ops):
            return Interval(sides[0], sides[2], ops[0] == "<", ops[1] == "<")
        if all(op in (">", ">=") for op in ops):
            return Interval(sides[2], sides[0], ops[1] == ">", ops[0] == ">")
    return Relation(tuple(ops), tuple(sides))


def _parse_ratio(text: str, depth: int) -> Ratio | None:
    """`1:2:3`: three or more scalar terms separated by colons at the top level."""
    if ":" not in text:
        return None
    terms = split_top_level(text, (":",))
    if len(terms) < 3:
        return None
    values = tuple(_parse(term, depth + 1) for term in _nonempty(terms))
    if not all(isinstance(value, Scalar) for value in values):
        raise ParseError("a ratio of terms that are not scalars")
    return Ratio(values)


def _is_constant(text: str, depth: int) -> bool:
    """Whether `text` is a number or an expression without variables (`18`, `2\\sqrt{3}`)."""
    try:
        value = _parse(text, depth + 1)
    except ParseError:
        return False
    return isinstance(value, Number) or isinstance(value, Expr) and not value.expr.free_symbols


def _scalar_relation(ops: tuple, pieces: tuple, depth: int) -> Relation | None:
    try:
        sides = tuple(_parse(p, depth + 1) for p in pieces)
    except ParseError:
        return None
    if all(isinstance(s, Scalar) for s in sides):
        return Relation(ops, sides)
    return None


def _parse_membership(text: str, depth: int) -> Value | None:
    """`x \\in [2, 3)` is the set `[2, 3)`."""
    if not re.search(r"\\in(?![a-zA-Z])", text):
        return None
    members = split_top_level(text, ("\\in",))
    if len(members) == 2 and _name_key(members[0]) is not None:
        return _parse(members[1], depth + 1)
    return None


_NAME_TOKEN = re.compile(
    r"\\?[A-Za-z]+(?:_(?:[A-Za-z0-9]|\{\s?\\?[A-Za-z0-9,]+\s?\}))?'*|\\overline\{[A-Za-z]+\}|\\angle\s?[A-Za-z]+|\\vec\{[A-Za-z]+\}")
_FUNCTION_CALL = re.compile(r"^([A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?(?:\^\{-1\})?)\(([^()]*)\)$")
_GREEK = frozenset("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron rho sigma tau "
                   "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split())
_SYMBOL_NAMES = frozenset("triangle square Box heartsuit clubsuit spadesuit diamondsuit diamond star bigstar".split())
"""Symbols that puzzles use as unknowns (`\\triangle + \\square = 9`)."""


def _name_key(text: str) -> str | None:
    """The canonical key of a left side that only names a quantity, or None.

    Names: a variable (`x`, `a_{37}`, `\\theta`, `x'`), a function applied to arguments (`f(x)`,
    `g(2)`), an absolute value or norm of a name (`|AB|`), a segment, angle or vector (`AB`,
    `\\overline{AB}`, `\\angle A`), a ratio of names (`\\frac{NO}{BO}`, `A:B`, `V_1:V_2`) and a tuple
    of names (`(a, b)`). `2x`, `x + y`, `xy` are not names.
    """
    text = text.strip()
    if not text or len(text) > 80:
        return None
    if text.startswith("(") and text.endswith(")") and encloses_whole(text):
        inner = split_top_level(text[1:-1], (",",))
        keys = [_name_key(p) for p in inner]
        return "(" + ",".join(keys) + ")" if len(inner) > 1 and all(keys) else None
    if text.startswith("|") and text.endswith("|") and len(text) > 2:
        inner = _name_key(text[1:-1])
        return "|" + inner + "|" if inner else None
    ratio = split_top_level(text, (":",))
    if len(ratio) >= 2:
        keys = [_name_key(p) for p in ratio]
        return ":".join(keys) if all(keys) else None
    fraction = re.fullmatch(r"\\frac\{([^{}]+)\}\{([^{}]+)\}", text)
    if fraction:
        keys = [_name_key(fraction.group(1)), _name_key(fraction.group(2))]
        return keys[0] + "/" + keys[1] if all(keys) else None
    call = _FUNCTION_CALL.match(text)
    if call:  # `f(x)` is the function f whatever its variable; `T(10)` its value at 10, another name than `T(11)`
        argument = call.group(2).strip()
        return call.group(1) + (f"({argument})" if re.fullmatch(r"-?\d+(?:\.\d+)?", argument) else "()")
    if _NAME_TOKEN.fullmatch(text):
        if text.startswith("\\") and not (text[1:].split("_")[0] in _GREEK | _SYMBOL_NAMES or text.startswith(
                ("\\overline", "\\angle", "\\vec"))):
            return None
        if re.fullmatch(r"[a-z]{2,}", text):  # `xy` is a product, `AB` a segment
            return None
        return text.replace(" ", "")
    return None


def _is_plain_name(value: Value) -> bool:
    """A scalar that is one symbol or one applied function (`x`, `f(x)`): `a < x < b` is then
    the interval (a, b). (`1 < |z| < 2` is not: it is a union, which `compare.py` solves.)"""
    if not isinstance(value, Expr):
        return False
    return isinstance(value.expr, (sympy.Symbol, AppliedUndef))


# ---------------------------------------------------------------- brackets, plus-minus, matrices

def _parse_plus_minus(text: str, depth: int) -> Value | None:
    """`a \\pm b` is the list `a+b, a-b`; `\\pm` anywhere inside (`\\frac{-1\\pm\\sqrt{13}}{4}`)
    gives the two readings, every sign taken together."""
    if "\\pm" not in text and "\\mp" not in text:
        return None
    if text.startswith("\\{") and text.endswith("\\}") and encloses_whole(text):
        return None  # a set: its items are read one by one
    independent = _tuple_of_independent_signs(text, depth)
    if independent is not None:
        return independent
    signed_tuple = _signed_tuple(text, depth)
    if signed_tuple is not None:
        return signed_tuple
    plus = text.replace("\\pm", "+").replace("\\mp", "-")
    minus = text.replace("\\pm", "-").replace("\\mp", "+")
    plus = re.sub(r"(^|[({,=])\s*\+", r"\1", plus)
    return Items("list", (_parse(plus, depth + 1), _parse(minus, depth + 1)))


def _tuple_of_independent_signs(text: str, depth: int) -> Value | None:
    """`(\\pm 3, \\pm 2)`: a tuple whose items (two to four of them) each carry their own `\\pm` is
    every choice of signs, the list of its 2^k tuples (signs inside one item go together; with a
    `\\mp`, which ties signs across items, one signed item, or the same sum twice, `(2\\pm\\sqrt3, 2\\pm\\sqrt3)`, None:
    the usual reading; the same signed number twice, `(\\pm1, \\pm1)`, is still every choice of signs)."""
    if "\\mp" in text or not (text.startswith("(") and text.endswith(")") and encloses_whole(text)):
        return None
    parts = split_top_level(text[1:-1], (",",))
    signed = [index for index, part in enumerate(parts) if "\\pm" in part]
    same_item = len({parts[index].strip() for index in signed}) == 1
    if len(parts) < 2 or not 2 <= len(signed) <= 4 or (same_item and not parts[signed[0]].strip().startswith("\\pm")):
        return None  # `(2\\pm\\sqrt3, 2\\pm\\sqrt3)`: the same item twice, whose signs go together (`(\\pm1, \\pm1)`: four points)
    readings = []
    for signs in itertools.product("+-", repeat=len(signed)):
        chosen = list(parts)
        for index, sign in zip(signed, signs):
            chosen[index] = re.sub(r"^\s*\+", "", parts[index].replace("\\pm", sign))
        readings.append(_parse("(" + ",".join(chosen) + ")", depth + 1))
    return Items("list", tuple(readings))


def _signed_tuple(text: str, depth: int) -> Value | None:
    """`\\pm(3, 2)`: a sign before a whole tuple is the tuple and its negative, `(3,2), (-3,-2)`."""
    match = re.fullmatch(r"\\pm\s*(\(.*\))", text, flags=re.DOTALL)
    if match is None or not encloses_whole(match.group(1)):
        return None
    parts = split_top_level(match.group(1)[1:-1], (",",))
    if len(parts) < 2 or any("\\pm" in part or "\\mp" in part for part in parts):
        return None
    negated = "(" + ",".join(f"-({part.strip()})" for part in parts) + ")"
    return Items("list", (_parse(match.group(1), depth + 1), _parse(negated, depth + 1)))


def _parse_brackets(text: str, depth: int) -> Value | None:
    opening, closing = text[0], text[-1]
    if text.startswith("\\{") and text.endswith("\\}"):
        if encloses_whole(text):
            inner = text[2:-2]
            parts = split_top_level(inner, (",", ";")) if inner.strip() else []
            values = [_parse(p, depth + 1) for p in _nonempty(parts)] if parts else []
            flat: list[Value] = []
            for value in values:
                flat.extend(value.items if isinstance(value, Items) and value.kind == "list" else (value,))
            return Items("set", tuple(flat))
        return None
    if opening == "{" and closing == "}" and encloses_whole(text):
        return _parse(text[1:-1], depth + 1)  # a TeX group: `{1,3}` is the list 1, 3
    if opening not in "([" or closing not in ")]" or not encloses_whole(text):
        return None
    inner = text[1:-1]
    separator = ";" if ";" in inner and "," not in split_top_level(inner, (";",))[0] else ","
    parts = split_top_level(inner, (separator,))
    if len(parts) == 1:
        if opening == "(" and closing == ")":
            return _parse(inner, depth + 1)
        return None
    values = tuple(_parse(p, depth + 1) for p in _nonempty(parts))
    if len(values) == 2:
        mixed = opening == "[" or closing == "]"
        unbounded = any(_is_infinite(v) for v in values)
        if mixed or unbounded:
            if not all(isinstance(v, Scalar) for v in values):
                raise ParseError("interval with ends that are not scalars")
            return Interval(values[0], values[1], opening == "(", closing == ")")
        return Items("tuple", values, maybe_interval=all(isinstance(v, Scalar) for v in values))
    return Items("tuple", values)


def _is_infinite(value: Value) -> bool:
    return isinstance(value, Expr) and bool(value.expr.is_infinite)


def _parse_matrix(text: str, depth: int) -> Value | None:
    match = _MATRIX.match(text) or _ARRAY.match(text)
    if match:
        body = match.group(match.lastindex)
        if "\\begin" in body:
            return _matrix_expression(text)
        rows = [row for row in re.split(r"\\\\", body) if row.strip() and not row.strip() == "\\hline"]
        if not rows or len(rows) > _MAX_ITEMS:
            raise ParseError("empty matrix")
        parsed = tuple(tuple(_parse(cell, depth + 1) for cell in row.replace("\\hline", "").split("&"))
                       for row in rows)
        if len({len(row) for row in parsed}) != 1:
            raise ParseError("ragged matrix")
        return Matrix(parsed)
    scaled = _SCALED_MATRIX.match(text)
    if scaled and "\\begin" not in scaled.group(1):
        written = scaled.group(1).strip()  # `-\\begin{pmatrix}..`: a sign alone scales by -1 or 1
        factor = Number(Fraction({"-": -1, "+": 1}[written]), None, False) if written in ("-", "+") \
            else _parse(written, depth + 1)
        matrix = _parse_matrix(scaled.group(2), depth + 1)
        if isinstance(factor, Scalar) and isinstance(matrix, Matrix):
            return Matrix(tuple(tuple(scalar_of(sympy.expand(sympy_of(factor) * sympy_of(cell))) for cell in row)
                                for row in matrix.rows))
    if "\\begin{" in text and "matrix}" in text:
        return _matrix_expression(text)
    return None


def _matrix_expression(text: str) -> Matrix:
    """Arithmetic of matrices (`A + B`, `A B`) evaluated by SymPy."""
    result = _latex2sympy(text)
    if hasattr(result, "doit"):
        result = result.doit()
    if not isinstance(result, sympy.MatrixBase):
        raise ParseError("not a matrix")
    return Matrix(tuple(tuple(scalar_of(canonical_expr(result[i, j])) for j in range(result.cols))
                        for i in range(result.rows)))


def scalar_of(expr: sympy.Expr) -> Number | Expr:
    """A SymPy scalar as a value: a `Number` when it is rational, else an `Expr`."""
    if expr.is_Rational:
        return Number(Fraction(int(expr.p), int(expr.q)))
    return Expr(expr)


def _is_zero(value: Number | Expr) -> bool:
    return value.value == 0 if isinstance(value, Number) else value.expr == 0


def function_argument(named: Named) -> sympy.Symbol | None:
    """The variable of a function defined by `f(x) = ...`, or None for any other name. The variable
    of a definition is a placeholder: `f(y) = 2y` defines the function `f(x) = 2x` does."""
    if named.relation is None or not isinstance(named.relation.sides[0], Expr):
        return None
    left = named.relation.sides[0].expr
    if isinstance(left, AppliedUndef) and len(left.args) == 1 and isinstance(left.args[0], sympy.Symbol):
        return left.args[0]
    return None


def definition_in(named: Named, variable: sympy.Symbol | None) -> object | None:
    """`named`'s value, with the variable of the function it defines renamed to `variable` (`f(y) = 2y` in `x`
    is `2x`): the variable of a definition is a placeholder. The value as it is when `named` defines no
    function of one variable, `variable` is None or it is that variable already; None when `variable` already
    names something else in the value (`f(y) = 2x` in `x`, which defines another function)."""
    own = function_argument(named)
    if variable is None or own is None or own == variable or not isinstance(named.value, Expr):
        return named.value
    if variable in named.value.expr.free_symbols:
        return None
    return Expr(named.value.expr.xreplace({own: variable}), named.value.percent)


_REVERSED = {"<": ">", "<=": ">="}


def difference_form(relation: Relation) -> tuple[str, sympy.Expr]:
    """The first relation of `relation` as `expression op 0` with op in = != > >= (`a < b` -> (">", b - a)): the
    form in which an equation and its nonzero multiples, or an inequality and its positive multiples, agree."""
    op = relation.ops[0]
    left, right = sympy_of(relation.sides[0]), sympy_of(relation.sides[1])
    if op in _REVERSED:
        return _REVERSED[op], right - left
    return op, left - right


def stated_value(relation: Relation) -> Value | None:
    """The value `left = value` states, compared with a bare value: a constant right side
    (`m+n = 33`, `\\sin\\theta = \\frac12`, `f(f(20)) = 5`), a right side in other variables than
    the left's (`a+b+c+d+e+f = 2k`, `AF^2+BF^2+CF^2 = 3R^2`), or the right side of an identity
    (`8m - 2m = 6m`, a computation that ends with its value); else None (`x^2 = 2x + 3` is an
    equation to solve)."""
    if relation.ops != ("=",) or len(relation.sides) != 2:
        return None
    left, right = relation.sides
    if not isinstance(right, Scalar) or not isinstance(left, Scalar):
        return None
    if isinstance(right, Number) or not right.expr.free_symbols:
        # `5x - 7y + 4 = 0` is an equation in implicit form, not a statement that something is 0
        return None if _is_zero(right) else right
    if isinstance(left, Expr) and left.expr.free_symbols and not left.expr.free_symbols & right.expr.free_symbols:
        return right
    try:
        identity = sympy.expand(sympy_of(left) - sympy_of(right)) == 0
    except (TypeError, ValueError, NotImplementedError, RecursionError):
        return None
    return right if identity else None


def sympy_of(value: Value) -> sympy.Expr:
    if isinstance(value, Number):
        return sympy.Rational(value.value.numerator, value.value.denominator)
    if isinstance(value, Expr):
        return value.expr
    raise ParseError("not a scalar")


# ---------------------------------------------------------------- scalars

def parse_scalar(text: str) -> Number | Expr:
    """One scalar: an exact number when written as one, else a SymPy expression."""
    number = parse_exact_number(text)
    if number is not None:
        return Number(number.value, number.ulp, number.percent)
    percent = text.endswith("%")
    body = text[:-1] if percent else text
    expr = latex_to_sympy(body)
    if expr.is_Rational:
        return Number(Fraction(int(expr.p), int(expr.q)), None, percent)
    with_unit = None if percent else _AMOUNT_WITH_UNIT.fullmatch(text)
    amount = parse_exact_number(with_unit.group(1)) if with_unit is not None else None
    if amount is None or amount.percent:
        return Expr(expr, percent)
    return Expr(expr, percent, (Number(amount.value, amount.ulp), with_unit.group(2)))


_AMOUNT_WITH_UNIT = re.compile(rf"(.*?[\d}}])\s?(?:\\,|~)?\s?([{''.join(UNIT_WORDS)}])")
"""A number and one unit letter after it, the whole answer (`540 m`, `540m`, `1.77\\times10^{{-6}}m`)."""


_DECIMAL_LITERAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")


@lru_cache(maxsize=8192)
def latex_to_sympy(text: str) -> sympy.Expr:
    """Parse one scalar LaTeX (or plain-text) expression with latex2sympy2_extended."""
    latex = plain_text_to_latex(text)
    simple = parse_simple(latex)
    if simple is not None:
        return canonical_expr(simple)
    latex = _DECIMAL_LITERAL.sub(lambda m: "(\\frac{" + m.group(1) + m.group(2) + "}{1" + "0" * len(m.group(2))
                                 + "})", latex)
    result = _latex2sympy(latex)
    if isinstance(result, sympy.MatrixBase) or not isinstance(result, sympy.Expr):
        raise ParseError(f"not a scalar expression ({type(result).__name__})")
    result = canonical_expr(result)
    if isinstance(result, sympy.MatrixBase) or result.has(sympy.MatrixSymbol):
        raise ParseError("not a scalar expression (a matrix)")
    return result


_NUMBER_BEFORE_BINOMIAL = re.compile(r"(\d)\s*(?=\\binom(?![A-Za-z]))")
"""`2021\\binom{1010}{2}` is a product: the parser's mixed-number reading (`3\\frac{1}{4}` is 3 1/4) would
add the two, so the product is written out before parsing."""


def _latex2sympy(latex: str):
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig, latex2sympy

    if not brackets_balance(latex):  # never parsed, and the grammar's error recovery takes seconds on `((((...1`
        raise ParseError("its brackets do not balance")
    config = ConversionConfig(interpret_as_mixed_fractions=True, interpret_simple_eq_as_assignment=False,
                              interpret_contains_as_eq=False, lowercase_symbols=False)
    latex = _NUMBER_BEFORE_BINOMIAL.sub(r"\1 \\cdot ", latex)
    try:
        return latex2sympy(latex, normalization_config=None, conversion_config=config)
    except RecursionError as error:
        raise ParseError("expression nested too deeply") from error
    except Exception as error:  # the ANTLR grammar raises bare Exception on syntax errors
        raise ParseError(f"not a LaTeX expression: {str(error).splitlines()[0][:80] if str(error) else ''}") from error


def canonical_expr(expr: sympy.Expr) -> sympy.Expr:
    """Evaluate what the parser left unevaluated, make floats exact and read `i` as the unit."""
    if isinstance(expr, sympy.UnevaluatedExpr):
        expr = expr.args[0]
    expr = expr.doit()
    if isinstance(expr, sympy.MatrixBase):
        return expr
    floats = {atom: sympy.Rational(str(atom)) for atom in expr.atoms(sympy.Float)}
    if floats:
        expr = expr.xreplace(floats)
    renames = {}
    for symbol in expr.free_symbols:
        if symbol.name in ("i", "math{i}"):
            renames[symbol] = sympy.I
        elif symbol.name == "math{e}":
            renames[symbol] = sympy.E
    if renames:
        expr = expr.xreplace(renames)
    if not isinstance(expr, sympy.Expr):
        raise ParseError("not a scalar expression")
    return expr


_PLAIN_FUNCTION = re.compile(r"(?<![\\a-zA-Z])(" + "|".join(sorted(_FUNCTION_WORDS, key=len, reverse=True))
                             + r")(?![a-zA-Z])")
_PLAIN_CONSTANT = re.compile(r"(?<![\\a-zA-Z])(pi|infinity|inf|oo)(?![a-zA-Z])")


def plain_text_to_latex(text: str) -> str:
    """Rewrite plain-text math (`sqrt(2)/2`, `2*pi`, `x**2`, `np.arcsin(x)`, `1./3`) as LaTeX;
    LaTeX passes unchanged."""
    text = text.replace("**", "^")
    text = re.sub(r"\b(?:np|numpy|math|sympy|sp)\.(?=[a-z])", "", text)
    text = re.sub(r"(?<=\d)\.(?![\d])", "", text)  # `1./3`: a decimal point with no digits after it
    text = re.sub(r"_\{\s*\\([a-zA-Z]+)\s*\}", r"_{\1}", text)  # `M_{\odot}`, `m_{\max}`: subscript names
    text = text.replace("\\hbar", "h_{bar}")
    text = _PLAIN_CONSTANT.sub(lambda m: "\\pi" if m.group(1) == "pi" else "\\infty", text)
    if "sqrt" in text and "\\sqrt" not in text:
        text = _rewrite_sqrt_calls(text)
    text = _PLAIN_FUNCTION.sub(lambda m: "\\" + m.group(1), text)
    text = re.sub(r"\^\(([^()]*)\)", r"^{(\1)}", text)
    return text


def _rewrite_sqrt_calls(text: str) -> str:
    """`sqrt(x)` written as a call becomes `\\sqrt{x}` (nested calls too); an unclosed call is left."""
    out: list[str] = []
    index = 0
    while True:
        found = text.find("sqrt(", index)
        if found < 0 or (found > 0 and text[found - 1].isalpha()):
            out.append(text[index:])
            return "".join(out)
        end = group_end(text[found + 4:], "(", ")")
        if end < 0:
            out.append(text[index:])
            return "".join(out)
        close = found + 4 + end - 1
        out.append(text[index:found] + "\\sqrt{" + _rewrite_sqrt_calls(text[found + 5:close]) + "}")
        index = close + 1


_DESCRIBED_DIGITS = 60


def _fraction_text(value: Fraction) -> str:
    """`p/q` for display; a numerator or denominator too long to print (Python refuses to turn
    integers of over 4300 digits into text) is shown by its digit count."""
    def part(number: int) -> str:
        digits = number.bit_length() * 0.30103
        return str(number) if digits < _DESCRIBED_DIGITS else f"<{'-' if number < 0 else ''}about {int(digits)}-digit integer>"
    return part(value.numerator) if value.denominator == 1 else f"{part(value.numerator)}/{part(value.denominator)}"


def describe(value: Value) -> str:
    """A short human-readable form of a value, for `Verdict.explain`."""
    if isinstance(value, Number):
        text = _fraction_text(value.value)
        if value.ulp is not None:
            text += f" (written to {_fraction_text(value.ulp)})"
        return text + (" %" if value.percent else "")
    if isinstance(value, Expr):
        return f"expression {sympy.sstr(value.expr)}" + (" %" if value.percent else "")
    if isinstance(value, Text):
        return f"text '{value.text}'"
    if isinstance(value, Choice):
        return f"choice {value.letter}"
    if isinstance(value, Time):
        return f"time {value.hours}:{value.minutes:02d}{value.meridiem}"
    if isinstance(value, Numeral):
        return f"numeral {value.digits} in base {value.base}"
    if isinstance(value, Items):
        inner = ", ".join(describe(item) for item in value.items)
        return f"{value.kind} [{inner}]"
    if isinstance(value, Interval):
        return f"interval {'(' if value.left_open else '['}{describe(value.low)}, {describe(value.high)}" \
               f"{')' if value.right_open else ']'}"
    if isinstance(value, IntervalUnion):
        return "union of " + " and ".join(describe(p) for p in value.parts)
    if isinstance(value, Matrix):
        return "matrix " + "; ".join(", ".join(describe(c) for c in row) for row in value.rows)
    if isinstance(value, Relation):
        pieces = [describe(value.sides[0])]
        for op, side in zip(value.ops, value.sides[1:]):
            pieces += [op, describe(side)]
        return "relation " + " ".join(pieces)
    if isinstance(value, Named):
        return f"{value.name} = {describe(value.value)}"
    if isinstance(value, Labelled):
        return f"choice {value.letter}: {describe(value.value)}"
    if isinstance(value, Ratio):
        return "ratio " + " : ".join(describe(term) for term in value.terms)
    return repr(value)
