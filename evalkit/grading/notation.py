"""Notations with a standard spelling: rewritten so that `values.py` reads them like the usual one.

Pure string work on an answer that `normalize.py` has already cleaned (delimiters, layout and
spellings such as `\\leq` -> `\\le` done). Each rewrite applies to the whole answer only, so text
that merely contains such a word is left as it is:

* `17 \\choose 2` -> `\\binom{17}{2}`; the braced form `{17 \\choose 2}` also inside a longer answer.
* The combination notations of European, Chinese and Indian textbooks, anywhere in the answer:
  `C_{2n}^{n}`, `C^{n}_{2n}`, `\\mathrm{C}_{2n}^{n}` and `{}^{2n}C_{n}` -> `\\binom{2n}{n}` (a capital C
  with both a subscript and a superscript; `C_n` alone or `C^2` is a name or a power, left alone).
* A variable glued to an interval with a bracket at one end or both is its range (`t(0,4]` -> `(0,4]`, as
  OlympiadBench's reference for `t \\in (0,4]` reads); `f(0,4)` is a function's value.
* A segment's name with its bar is the name: `\\overline{CD}` -> `\\text{CD}`.
* `\\langle 1, 2 \\rangle` (a vector) -> `(1, 2)`; a tuple transposed, `(1, 2)^T` -> `(1, 2)` (a tuple stands for
  its column already), and every transpose mark is `^{T}` (for `^\\top`, `^\\intercal`, `^{\\mathsf{T}}`).
* A modulus is written one way, `\\pmod{7}` (for `\\pmod 7`, `(\\bmod 7)`, `(\\mod 7)`, `\\bmod 7`). A
  number given with its modulus states that number: `33 \\pmod{1000}` -> `33`. A congruence
  (`n \\equiv 1 \\pmod{3}`, a class of numbers) keeps its modulus and is compared as written.
* A choice label before its value: `(B)\\ 27`, `\\text{(B) }27` -> `(B)27`, which `values.py` reads
  as the letter with its value (right for a reference that is either). A bare label `(B)` is still
  a choice letter.
* A repeating decimal written with an ellipsis: `0.333\\ldots` -> `0.\\overline{3}`, `0.1666...` ->
  `0.1\\overline{6}`, `0.142857142857\\ldots` -> `0.\\overline{142857}` (at least three repeated
  digits). A decimal with no repeating tail (`3.14159\\ldots`) is the decimal as written, like
  `3.14159...` always was (`repeating_decimal`, which `normalize.py` calls before it strips
  trailing dots). The dot notation (`0.1\\dot{6}`) and the period in parentheses of European textbooks
  (`0.1(6)`, `0.(3)`) are repeating decimals too.
* Sets of real numbers written by a condition or as the line without points:
  `\\{x \\mid x < 2 \\text{ or } x > 3\\}` -> `(-\\infty,2)\\cup(3,\\infty)`, `\\{x : x \\ge 2\\}` ->
  `[2,\\infty)`, `\\mathbb{R} \\setminus \\{-7, 3\\}` and `\\{x \\in \\mathbb{R} \\mid x \\ne 1\\}` -> the open
  intervals between the points (plain numbers only).
* A list whose every item is labelled as an extreme is its values: `\\text{min} = 2500, \\text{max} = 7500` ->
  `2500,7500`.
* Ranges of one variable (or one value of a function, `P(0)`) written as inequalities joined by `or` (or commas): `x < 2 \\text{ or }
  x > 3` -> `(-\\infty,2)\\cup(3,\\infty)`; two bounds joined by `and`: `x \\ge 2 \\text{ and } x \\le 3`
  -> `[2,3]`. A mix of `and` and `or`, two variables, or bounds that do not make one interval are
  left alone.
"""

from __future__ import annotations

import re

from evalkit.grading.scan import brackets_balance, split_top_level

_BRACED_CHOOSE = re.compile(r"\{\s*([^{}\\]{1,40}?)\s*\\choose\s*([^{}\\]{1,40}?)\s*\}")
_BARE_CHOOSE = re.compile(r"\s*([^{}\\\s]{1,40})\s*\\choose\s*([^{}\\\s]{1,40})\s*")
_SCRIPT = r"(?:\{([^{}]{1,40})\}|([A-Za-z0-9]))"
_COMBINATION = re.compile(r"(?<![A-Za-z\\])(?:\\mathrm\{C\}|\\text\{C\}|C)"
                          r"(?:_" + _SCRIPT + r"\^" + _SCRIPT + r"|\^" + _SCRIPT + r"_" + _SCRIPT + r")")
_PREFIX_COMBINATION = re.compile(r"(?:\{\s*\}|\{\}|(?<![A-Za-z0-9}]))\^" + _SCRIPT + r"\s*C_" + _SCRIPT)
_ANGLE_VECTOR = re.compile(r"\\langle(?![a-zA-Z])(.*)\\rangle(?![a-zA-Z])")
_MODULUS_TAIL = re.compile(
    r"\s*(?:\\pmod(?![a-zA-Z])\s*(?:\{([^{}]{1,40})\}|(\w+))"
    r"|\(\s*(?:\\bmod|\\mod|\\text\{\s*mod\s*\}|mod)(?![a-zA-Z])\s*([^()]{1,40})\)"
    r"|(?:\\bmod|\\mod)(?![a-zA-Z])\s*(?:\{([^{}]{1,40})\}|(\w+)))\s*$")
_LABELLED_VALUE = re.compile(r"^(?:\\text(?:bf)?\{\s*\(([A-E])\)\s*\}\s*(?=[-+\d.\\A-Za-z])|\(([A-E])\)"
                             r"(?:\s*(?=[-+\d.\\])|\s+(?=[A-Za-z])))")
_GLUED_INTERVAL = re.compile(r"[A-Za-z]\s*(\[[^()\[\]{}]+,[^()\[\]{}]+[\])]|\([^()\[\]{}]+,[^()\[\]{}]+\])")
"""A variable written right before an interval that no function call writes (a bracket at one end, at least):
`t(0,4]`, `x[1,2)` is the variable's range with its `\\in` lost. (`f(0,4)` stays a function's value.)"""
_SEGMENT = re.compile(r"\\overline\s*\{\s*([A-Z]{2,3})\s*\}")
"""A segment's name with its bar (`\\overline{CD}`)."""
_TRANSPOSE_MARK = re.compile(r"\^\s*(?:\\top(?![A-Za-z])|\\intercal(?![A-Za-z])|\{\s*(?:\\top|\\intercal|\\mathsf\{T\}|\\mathrm\{T\})\s*\}"
                             r"|\\mathsf\{T\}|\\mathrm\{T\})")
"""A transpose mark written otherwise than `^T`: `^\\top`, `^{\\intercal}`, `^{\\mathsf{T}}`."""
_TRANSPOSED_TUPLE = re.compile(r"(\((?:[^()]|\([^()]*\))+\))\s*\^\s*(?:T|\{T\})")
_ELLIPSIS_DECIMAL = re.compile(r"^(-?\d*)\.(\d{1,40})\s*(?:\\ldots|\.\.\.)$")
_PARENTHESIZED_PERIOD = re.compile(r"(-?\d*)\.(\d{0,20})\(\s*(\d{1,20})\s*\)")
"""A repeating decimal with its period in parentheses, as many European schools write it: `0.(3)`, `0.1(6)`."""

_RELATION_OPS = {"<": "<", ">": ">", "\\le": "<=", "\\ge": ">="}
_OP = r"(<|>|\\le(?![a-zA-Z])|\\ge(?![a-zA-Z]))"
_VARIABLE = r"([A-Za-z](?:\([^()<>=,]{1,12}\))?)"  # `x`, or a value of a function, `P(0)`
_BOUND = r"([^<>=,{}]*(?:\{[^{}]*\}[^<>=,{}]*)*?)"
_UPPER_OR_LOWER = re.compile(rf"^\s*{_VARIABLE}\s*{_OP}\s*{_BOUND}\s*$")
_BOUND_FIRST = re.compile(rf"^\s*{_BOUND}\s*{_OP}\s*{_VARIABLE}\s*$")
_BETWEEN = re.compile(rf"^\s*{_BOUND}\s*{_OP}\s*{_VARIABLE}\s*{_OP}\s*{_BOUND}\s*$")
_CONNECTOR = re.compile(r"\s*(?:,?\s*\\text\{\s*(or|and)\s*\}|\\(lor|vee|land|wedge)(?![a-zA-Z])|,?\s*\b(or|and)\b|(,))\s*")
_CONNECTIVE = {"or": "or", "lor": "or", "vee": "or", ",": "or", "and": "and", "land": "and", "wedge": "and"}
"""What each connector of `_CONNECTOR` means (a comma between ranges lists alternatives)."""
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
_SET_BUILDER = re.compile(r"\\\{\s*([A-Za-z])\s*(?:\\in\s*\\R\s*)?(?:\||:|\\mid(?![a-zA-Z]))\s*(.+?)\s*\\\}")
"""A set written by a condition on one variable: `\\{x \\mid x < 2 \\text{ or } x > 3\\}`, `\\{x \\in \\R : x \\ge 2\\}`."""
_REALS_WITHOUT = re.compile(r"\\R\s*(?:\\setminus|\\backslash|-)\s*\\\{(.+?)\\\}")
"""The real line without some points: `\\mathbb{R} \\setminus \\{-7, 3\\}`."""


_SYMPY_NAME = r"(?:\\(?:text|mathrm|operatorname|texttt)\s*\{\s*NAME\s*\}|(?<![A-Za-z\\])NAME)\s*"
_SYMPY_RATIONAL = re.compile(_SYMPY_NAME.replace("NAME", "Rational") + r"\(\s*([-+]?\d+)\s*,\s*([-+]?\d+)\s*\)")
_SYMPY_INTEGER = re.compile(_SYMPY_NAME.replace("NAME", "Integer") + r"\(\s*([-+]?\d+)\s*\)")
_SYMPY_MATRIX = re.compile(_SYMPY_NAME.replace("NAME", "Matrix") + r"\(\s*\[\s*\[([^\[\]]*(?:\]\s*,\s*\[[^\[\]]*)*)\]\s*\]\s*\)")
_NESTED_LIST = re.compile(r"\[\s*\[([^\[\]]*(?:\]\s*,\s*\[[^\[\]]*)*)\]\s*\]")


def sympy_printout(text: str) -> str:
    """SymPy's printed forms, as tool-using models box them, in LaTeX: `Rational(11, 36)` is `\\frac{11}{36}`,
    `Integer(5)` is 5, `Matrix([[-1/3], [2/3]])` a column vector, and a whole answer written as a list of rows
    (`[[-1, 0], [0, -1]]`) a matrix. Read as text, never evaluated."""
    if "Rational" in text:
        text = _SYMPY_RATIONAL.sub(lambda m: f"\\frac{{{m.group(1)}}}{{{m.group(2)}}}", text)
    if "Integer" in text:
        text = _SYMPY_INTEGER.sub(lambda m: m.group(1), text)
    if "Matrix" in text:
        text = _SYMPY_MATRIX.sub(_matrix_of_rows, text)
    if text.startswith("[[") and (rows := _NESTED_LIST.fullmatch(text.strip())) is not None:
        text = _matrix_of_rows(rows)  # `[[-1, 0], [0, -1]]`, a matrix as a list of its rows (Python, NumPy)
    if _SYMPY_OBJECT.match(text):
        text = _sympy_object(text.strip())
    return text


SYMPY_OBJECT_NAMES = r"(?:FiniteSet|Interval(?:\.(?:open|Lopen|Ropen))?|Union|Point[23]?D?|Tuple)"
"""The SymPy sets, intervals and points whose printouts `sympy_printout` writes in math notation."""
_SYMPY_OBJECT = re.compile(r"\s*" + SYMPY_OBJECT_NAMES + r"\(")
_INTERVAL_BRACKETS = {"Interval": "[]", "Interval.open": "()", "Interval.Lopen": "(]", "Interval.Ropen": "[)"}


def _sympy_object(text: str) -> str:
    """A whole answer that is a SymPy set, interval or point as printed (`FiniteSet(-2, 1)`, `Interval.Lopen(3, 4)`,
    `Union(Interval.open(-oo, 0), Interval.open(1, oo))`, `Point2D(-1, 6)`), in math notation (`\\{-2, 1\\}`,
    `(3, 4]`, `(-oo, 0) \\cup (1, oo)`, `(-1, 6)`); the text as it is when it is not one such object."""
    name = text[:text.find("(")] if "(" in text else ""
    inner = text[len(name) + 1:-1] if text.endswith(")") else None
    args = split_top_level(inner) if inner is not None and brackets_balance(inner) else None
    if not args or not all(arg.strip() for arg in args):
        return text
    args = [_sympy_object(arg.strip()) if _SYMPY_OBJECT.match(arg) else arg.strip() for arg in args]
    if name == "FiniteSet":
        return "\\{" + ", ".join(args) + "\\}"
    if name == "Union":
        return " \\cup ".join(args)
    if name in ("Point", "Point2D", "Point3D", "Tuple"):
        return "(" + ", ".join(args) + ")"
    if name == "Interval" and len(args) == 4 and set(args[2:]) <= {"True", "False"}:
        left, right = ("(" if args[2] == "True" else "["), (")" if args[3] == "True" else "]")
        return f"{left}{args[0]}, {args[1]}{right}"  # `Interval(0, 1, True, False)`: its open ends as flags
    brackets = _INTERVAL_BRACKETS.get(name)
    if brackets is None or len(args) != 2:
        return text
    return f"{brackets[0]}{args[0]}, {args[1]}{brackets[1]}"


def _matrix_of_rows(match: re.Match[str]) -> str:
    rows = [row.split(",") for row in re.split(r"\]\s*,\s*\[", match.group(1))]
    if len({len(row) for row in rows}) != 1 or any(not item.strip() for row in rows for item in row):
        return match.group(0)
    body = " \\\\ ".join(" & ".join(item.strip() for item in row) for row in rows)
    return f"\\begin{{pmatrix}}{body}\\end{{pmatrix}}"


_FRENCH_INTERVAL = re.compile(r"([\[\]])\s*([^\[\]{}()]+?)\s*[,;]\s*([^\[\]{}()]+?)\s*([\[\]])")


def _french_interval(text: str) -> str:
    """An interval in the French notation, open ends turned outward (`]3, 4]`, `[0, 1[`, `]-\\infty, 2[`), in the
    usual one (`(3, 4]`); only a whole answer with an outward bracket, which the usual notation never has."""
    match = _FRENCH_INTERVAL.fullmatch(text.strip())
    if match is None or (match.group(1) == "[" and match.group(4) == "]"):
        return text
    left = "(" if match.group(1) == "]" else "["
    right = ")" if match.group(4) == "[" else "]"
    return f"{left}{match.group(2)},{match.group(3)}{right}"


_EXTREMUM_LABEL = re.compile(
    r"(?:^|(?<=,))(?:\\[,;:! ]|~|\s)*(?:\\text\{\s*)?(?:the\s+)?(?:min|max|minimum|maximum|smallest|largest|least|greatest|lowest|highest)"
    r"(?:\s+(?:value|possible\s+value|number))?(?:\s+is)?\s*\}?\s*(?:=|:|\\text\{\s*is\s*\})?\s*", re.IGNORECASE)


def _without_extremum_labels(text: str) -> str:
    """`\\text{min} = 2500, \\text{max} = 7500`, `\\text{smallest } 2500, \\text{ largest } 7500`: the values of a
    list whose every item is labelled as an extreme (`2500, 7500`)."""
    items = text.split(",")
    if len(items) < 2 or "(" in text or "[" in text:
        return text
    stripped = [_EXTREMUM_LABEL.sub("", item, count=1) for item in items]
    # the first item's label may already be gone (`answer_label`'s `\\text{min} =` before a whole answer)
    if any((new == old and index > 0) or not new.strip() for index, (new, old) in enumerate(zip(stripped, items))):
        return text
    return ",".join(item.strip() for item in stripped)


def rewrite_notation(text: str) -> str:
    """`text` with the whole-answer notations of the module docstring rewritten."""
    text = _without_extremum_labels(text)
    text = _french_interval(text)
    text = _choose(text)
    angle = _ANGLE_VECTOR.fullmatch(text.strip())
    if angle is not None and "\\langle" not in angle.group(1):
        text = f"({angle.group(1).strip()})"
    glued = _GLUED_INTERVAL.fullmatch(text.strip())
    if glued is not None:  # `t(0,4]`: OlympiadBench's `t \in (0,4]` with the `\in` lost
        return glued.group(1)
    segment = _SEGMENT.fullmatch(text.strip())
    if segment is not None:  # `\overline{CD}`: the segment named CD, as a question that asks to enter "CD" writes it
        return f"\\text{{{segment.group(1)}}}"
    text = _TRANSPOSE_MARK.sub("^{T}", text)
    transposed = _TRANSPOSED_TUPLE.fullmatch(text.strip())
    if transposed is not None and "," in re.sub(r"\([^()]*\)", "", transposed.group(1)[1:-1]):
        text = transposed.group(1)  # `(1, 2, 3)^T`: the column of a tuple's entries, which the tuple stands for
    text = _residue(text)
    labelled = _LABELLED_VALUE.match(text)
    if labelled is not None and text[labelled.end():].strip():
        letter = labelled.group(1) or labelled.group(2)
        return f"({letter}){text[labelled.end():].strip()}"
    builder = _SET_BUILDER.fullmatch(text.strip())
    if builder is not None and (ranges := _inequality_ranges(builder.group(2), variable=builder.group(1))):
        return ranges  # `\\{x \\mid x < 2 \\text{ or } x > 3\\}`: the set its condition describes
    excluded = re.fullmatch(r"([A-Za-z])\s*\\ne\s*(.+)", builder.group(2)) if builder is not None else None
    if excluded is not None and excluded.group(1) == builder.group(1) \
            and (gaps := _line_without_points(excluded.group(2))) is not None:
        return gaps  # `\\{x \\in \\R \\mid x \\ne 1\\}`
    without = _REALS_WITHOUT.fullmatch(text.strip())
    if without is not None and (gaps := _line_without_points(without.group(1))) is not None:
        return gaps
    excluding = _RANGE_EXCLUDING.fullmatch(text.strip())
    if excluding is not None and (rest := _range_without(*excluding.groups())) is not None:
        return rest  # `0 < x < 36, x \ne 9`, `x \in (0,36), x \ne 9`: the range without the points
    difference = _SET_DIFFERENCE.fullmatch(text.strip())
    if difference is not None and (rest := _interval_minus(difference.group(1), difference.group(2))) is not None:
        return rest  # `(0,36) \setminus \{9\}`, `\mathbb{R} \setminus [2,3]`
    ranges = _inequality_ranges(text)
    return text if ranges is None else ranges


_SET_DIFFERENCE = re.compile(r"(\\R|[(\[][^()\[\]{}]+[)\]])\s*(?:\\setminus|\\backslash)\s*(\\\{[^{}]+\\\}|[(\[][^()\[\]{}]+[)\]])")
"""An interval (or the real line) without a finite set of points or another interval."""


_RANGE_EXCLUDING = re.compile(r"(.+?)\s*(?:,|;|\\text\{\s*(?:,\s*)?(?:and|but)\s*\})\s*(?:\\q?quad|\\[,;: ]|~|\s)*"
                              r"([A-Za-z])\s*\\ne\s*([^<>=\\]+)")
"""A range of one variable, then the points it leaves out (`0 < x < 36, x \\ne 9`, `x \\in (0,36),\\ x \\ne 9`)."""
_MEMBER_OF = re.compile(r"([A-Za-z])\s*\\in\s*([(\[][^()\[\]{}]+[)\]])")


def _range_without(condition: str, variable: str, points: str) -> str | None:
    """The set of `variable` that `condition` (inequalities, or membership of an interval) describes, less `points`
    (plain numbers, commas between); None when the parts are not of those forms or name other variables."""
    member = _MEMBER_OF.fullmatch(condition.strip())
    if member is not None:
        whole = member.group(2) if member.group(1) == variable else None
    else:
        whole = _inequality_ranges(condition, variable=variable)
    if whole is None or "\\cup" in whole:
        return None
    return _interval_minus(whole, "\\{" + points.strip() + "\\}")


def _interval_of(text: str, ends_text: dict) -> object | None:
    """`(a, b]` with plain-number or infinite ends, `[a, a]` a point, `\\R` the line: a SymPy interval,
    or None. Each finite end's value is noted in `ends_text` with its text as written."""
    import sympy

    from evalkit.grading.numbers import parse_exact_number

    if text == "\\R":
        return sympy.Interval(-sympy.oo, sympy.oo)
    parts = [part.strip() for part in text[1:-1].split(",")]
    if len(parts) != 2:
        return None
    ends = []
    for part, infinite in zip(parts, (-sympy.oo, sympy.oo)):
        if part.lstrip("+-") in ("\\infty", "\\inf") and part.startswith("-") == (infinite < 0):
            ends.append(infinite)
            continue
        number = parse_exact_number(part)
        if number is None or number.percent:
            return None
        value = sympy.Rational(number.value.numerator, number.value.denominator)
        ends_text.setdefault(value, part)
        ends.append(value)
    if ends[0] > ends[1] or (ends[0] == ends[1] and text[0] + text[-1] != "[]"):
        return None
    return sympy.Interval(ends[0], ends[1], text[0] == "(", text[-1] == ")")


def _interval_minus(whole: str, removed: str) -> str | None:
    """`whole` (an interval or the real line) without `removed` (a set of plain numbers or an interval),
    as a union of intervals whose ends are written as given; None when either is not of that form or
    nothing (or a lone point) is left."""
    import sympy

    ends_text: dict = {}
    start = _interval_of(whole, ends_text)
    if start is None:
        return None
    if removed.startswith("\\{"):
        points = [point.strip() for point in removed[2:-2].split(",")]
        cut = [_interval_of(f"[{point},{point}]", ends_text) for point in points]
    else:
        cut = [_interval_of(removed, ends_text)]
    if not cut or len(cut) > 50 or any(part is None for part in cut):
        return None
    rest = sympy.Complement(start, sympy.Union(*cut))
    parts = rest.args if isinstance(rest, sympy.Union) else (rest,)
    if not parts or not all(isinstance(part, sympy.Interval) for part in parts):
        return None
    return "\\cup".join(_interval_text(ends_text.get(part.start), not part.left_open,
                                         ends_text.get(part.end), not part.right_open)
                         for part in sorted(parts, key=lambda part: part.start))


def _line_without_points(items: str) -> str | None:
    """`(-\\infty,a)\\cup(a,b)\\cup(b,\\infty)` for the points `a, b` (plain numbers), or None."""
    return _interval_minus("\\R", f"\\{{{items}\\}}")


def _combination(match: re.Match[str]) -> str:
    """`C_{n}^{k}` or `C^{k}_{n}` as `\\binom{n}{k}`."""
    groups = match.groups()
    if groups[0] is not None or groups[1] is not None:
        n, k = groups[0] or groups[1], groups[2] or groups[3]
    else:
        k, n = groups[4] or groups[5], groups[6] or groups[7]
    return f"\\binom{{{n}}}{{{k}}}"


def _choose(text: str) -> str:
    text = _COMBINATION.sub(_combination, text)
    text = _PREFIX_COMBINATION.sub(
        lambda m: f"\\binom{{{m.group(1) or m.group(2)}}}{{{m.group(3) or m.group(4)}}}", text)  # `{}^{n}C_{k}`
    text = _BRACED_CHOOSE.sub(lambda m: f"\\binom{{{m.group(1)}}}{{{m.group(2)}}}", text)
    bare = _BARE_CHOOSE.fullmatch(text)
    return f"\\binom{{{bare.group(1)}}}{{{bare.group(2)}}}" if bare is not None else text


def _residue(text: str) -> str:
    tail = _MODULUS_TAIL.search(text)
    if tail is None or not text[:tail.start()].strip():
        return text
    value = text[:tail.start()].strip()
    if "\\equiv" in value:
        modulus = next(group for group in tail.groups() if group).strip()
        return f"{value}\\pmod{{{modulus}}}"
    return value


_DOTTED_DECIMAL = re.compile(r"(-?\d*)\.(\d*)\\dot\s?\{?(\d)\}?(?:(\d*)\\dot\s?\{?(\d)\}?)?")
"""A repeating decimal in dot notation: a dot over the one repeating digit, or over the first and last of the block."""


def repeating_decimal(text: str) -> str:
    """A decimal followed by an ellipsis as the whole answer: its repeating tail made exact, or the
    ellipsis dropped when its digits do not repeat; a decimal in dot notation (`0.1\\dot{6}`) with its
    block overlined; a decimal with its period in parentheses (`0.1(6)`) likewise. Called before trailing dots are
    stripped."""
    period = _PARENTHESIZED_PERIOD.fullmatch(text.strip())
    if period is not None:  # `0.1(6)`: the digits in parentheses repeat (not a product, not an uncertainty)
        whole, fixed, block = period.groups()
        return f"{whole}.{fixed}\\overline{{{block}}}"
    dotted = _DOTTED_DECIMAL.fullmatch(text.strip())
    if dotted is not None:  # `0.1\dot{6}`, `0.\dot{1}4285\dot{7}`: the dotted digits and those between repeat
        whole, fixed, first, middle, last = dotted.groups()
        return f"{whole}.{fixed}\\overline{{{first}{middle or ''}{last or ''}}}"
    match = _ELLIPSIS_DECIMAL.fullmatch(text.strip())
    if match is None:
        return text
    whole, digits = match.groups()
    for size in range(1, 7):
        block = digits[-size:]
        if len(digits) < size or len(block) < size:
            break
        repeats = 1
        while digits[:len(digits) - size * repeats].endswith(block):
            repeats += 1
        if repeats * size >= 3 and repeats >= 2:
            start = len(digits) - size * repeats
            return f"{whole}.{digits[:start]}\\overline{{{block}}}"
    return f"{whole}.{digits}"


def _inequality_ranges(text: str, *, variable: str | None = None) -> str | None:
    """The interval text of inequalities in one variable (`variable` when it is named) joined by
    connectives, or None; with `variable`, a single inequality too (`\\{x : x \\ge 2\\}`)."""
    if variable is not None and (single := _range(text)) is not None:
        return _interval_text(*single[1]) if single[0] == variable else None
    pieces, words, position = [], set(), 0
    for connector in _CONNECTOR.finditer(text):
        before = text[:connector.start()]
        if sum(before.count(c) for c in "([") > sum(before.count(c) for c in ")]"):
            continue  # the comma inside an interval, `(-\\infty, 0)`
        pieces.append(text[position:connector.start()])
        words.add(_CONNECTIVE[next(group for group in connector.groups() if group)])
        position = connector.end()
    pieces.append(text[position:])
    if len(pieces) < 2 or len(words) != 1:
        return None
    if words == {"or"} and variable is None and (union := _union_with_points(pieces)) is not None:
        return union
    ranges = [_range(piece) for piece in pieces]
    if any(r is None for r in ranges) or len({r[0] for r in ranges}) != 1 \
            or (variable is not None and ranges[0][0] != variable):
        return None
    intervals = [r[1] for r in ranges]
    if words == {"or"}:
        return "\\cup".join(_interval_text(*interval) for interval in intervals)
    lows = [i for i in intervals if i[0] is not None and i[2] is None]
    highs = [i for i in intervals if i[0] is None and i[2] is not None]
    if len(intervals) != 2 or len(lows) != 1 or len(highs) != 1 or _empty(lows[0][0], highs[0][2]):
        return None
    return _interval_text(lows[0][0], lows[0][1], highs[0][2], highs[0][3])


_POINT = re.compile(r"\s*([A-Za-z](?:\([^()<>=,]{1,12}\))?)\s*=\s*(-?\d+(?:\.\d+)?)\s*")
_MEMBER = re.compile(r"\s*([A-Za-z])\s*\\in\s*([(\[][^()\[\]]+[)\]])\s*")


def _union_with_points(pieces: list[str]) -> str | None:
    """`x < 0 or x = 1`, `x \\in (-\\infty, 0) or x = 1`: inequalities or intervals of one variable with single
    points, as the union of the intervals and the set of the points; None unless at least one piece is
    an inequality or an interval and one a point (`x = 1 or x = 2` is a list of values)."""
    parts, variables, points = [], set(), []
    for piece in pieces:
        if (point := _POINT.fullmatch(piece)) is not None:
            variables.add(point.group(1))
            points.append(point.group(2))
        elif (member := _MEMBER.fullmatch(piece)) is not None:
            variables.add(member.group(1))
            parts.append(member.group(2).replace(" ", ""))
        elif (inequality := _range(piece)) is not None:
            variables.add(inequality[0])
            parts.append(_interval_text(*inequality[1]))
        else:
            return None
    if len(variables) != 1 or not parts or not points:
        return None
    return "\\cup".join(parts + ["\\{" + ",".join(points) + "\\}"])


def _empty(low: str, high: str) -> bool:
    """Whether two plain-number ends make no interval (`x > 3 and x < 2`: a disjunction miswritten)."""
    try:
        return float(low) >= float(high)
    except ValueError:
        return False


def _range(piece: str) -> tuple[str, tuple] | None:
    """(variable, (low, low_closed, high, high_closed)) of one inequality, or None; an end of
    None is infinite."""
    if (match := _BETWEEN.fullmatch(piece)) is not None:
        low, op1, variable, op2, high = match.groups()
        op1, op2 = _RELATION_OPS[op1], _RELATION_OPS[op2]
        if not _bound(low) or not _bound(high):
            return None
        if op1[0] == op2[0] == "<":
            return variable, (low.strip(), op1 == "<=", high.strip(), op2 == "<=")
        if op1[0] == op2[0] == ">":
            return variable, (high.strip(), op2 == ">=", low.strip(), op1 == ">=")
        return None
    if (match := _UPPER_OR_LOWER.fullmatch(piece)) is not None:
        variable, op, bound = match.groups()
        op = _RELATION_OPS[op]
    elif (match := _BOUND_FIRST.fullmatch(piece)) is not None:
        bound, op, variable = match.groups()
        op = _FLIPPED[_RELATION_OPS[op]]
    else:
        return None
    if not _bound(bound):
        return None
    if op[0] == "<":
        return variable, (None, False, bound.strip(), op == "<=")
    return variable, (bound.strip(), op == ">=", None, False)


def _bound(text: str) -> bool:
    """Whether `text` can be an end of an interval: a number or an expression without letters
    that could be the variable (commands such as `\\sqrt`, `\\frac`, `\\pi` are fine)."""
    text = text.strip()
    if not text or re.search(r"\\(?:le|ge|ne|infty)(?![a-zA-Z])", text):
        return False
    return not re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", text))


def _interval_text(low: str | None, low_closed: bool, high: str | None, high_closed: bool) -> str:
    left = "(-\\infty" if low is None else ("[" if low_closed else "(") + low
    right = "\\infty)" if high is None else high + ("]" if high_closed else ")")
    return f"{left},{right}"
