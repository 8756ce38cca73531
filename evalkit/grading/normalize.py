"""String normalisation of answers and exact-number canonical keys (pure, no SymPy).

Everything here is bounded string and `Fraction` work, safe to run in-process on untrusted text:
no regular expression with nested quantifiers, no evaluation. It turns the many spellings of one
answer into one canonical string, so that most comparisons are a dictionary look-up.

Rules decided here (the contract of the grader):

* Delimiters `$...$`, `\\(...\\)`, `\\[...\\]`, a whole `\\boxed{...}` / `\\fbox{...}`, sizing
  commands (`\\left`, `\\right`, `\\big`), spacing (`\\!`, `\\,`, `\\;`, `\\quad`, `~`),
  `\\displaystyle`, a trailing full stop, `\\$` and degree marks (`^\\circ`, `°`) are dropped:
  `30^\\circ` is `30`, `\\$5.00` is `5`.
* `\\dfrac`, `\\tfrac`, `\\cfrac` are `\\frac`; `\\frac12` is `\\frac{1}{2}`; `\\sqrt2` is `\\sqrt{2}`.
* `\\mbox`, `\\textbf`, `\\mathrm`, ... are `\\text`. A trailing `\\text{...}` made of words after a
  value is a unit and is dropped (`5\\text{ cm}` is `5`), as are common bare unit words
  (`5 cm`, `12 inches`). `\\text{ and }` / `\\text{or}` between list items is a comma.
* Numbers: thousands separators are dropped when the whole answer is one number
  (`40,\\!000`, `10{,}000`, `1 000`, `7,425,000`). A comma is a thousands separator only when
  every group after it has exactly three digits and the first group is 1-3 digits not starting
  with 0. A comma after a lone leading `0` (`0,5`, `0,25`) is a decimal comma. Any other comma
  separates list items: `3,5` is the list of 3 and 5, never 3.5.
* Percent: `50\\%` is the number 50 marked as a percentage. A percentage equals the same number
  without the mark (`50`) and its fraction (`0.5`); two unmarked numbers are never scaled
  (`2` is not `200`).
* Multiple-choice letters `\\text{(A)}`, `(A)`, `A)` and `A` all normalise to `A`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_ANSWER_CHARS = 2000
"""Answers longer than this (after trimming) are not parsed: they compare as strings only."""

MAX_NUMBER_DIGITS = 400
"""Exact-number literals with more digits than this are left to the expression parser."""

_MATH_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_WRAPPER_COMMANDS = ("\\boxed", "\\fbox", "\\framebox")
_TEXT_COMMANDS = ("\\mbox", "\\textbf", "\\textit", "\\textrm", "\\textsf", "\\texttt", "\\mathrm",
                  "\\mathbf", "\\mathit", "\\mathsf", "\\mathtt", "\\textnormal", "\\textup",
                  "\\hbox", "\\rm", "\\operatorname")
_DROPPED_COMMANDS = ("\\displaystyle", "\\textstyle", "\\scriptstyle", "\\bigl", "\\bigr", "\\Bigl",
                     "\\Bigr", "\\biggl", "\\biggr", "\\Biggl", "\\Biggr", "\\big", "\\Big",
                     "\\bigg", "\\Bigg", "\\limits", "\\nolimits", "\\left.", "\\right.", "\\left",
                     "\\right", "\\middle", "\\mathstrut")
_SPACING = ("\\!", "\\,", "\\;", "\\:", "\\>", "\\quad", "\\qquad", "\\enspace", "\\thinspace",
            "~", "\\hspace*", "\\space")
_SYNONYMS = (
    ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\cfrac", "\\frac"),
    ("\\dbinom", "\\binom"), ("\\tbinom", "\\binom"),
    ("\\leqslant", "\\le"), ("\\geqslant", "\\ge"), ("\\leq", "\\le"), ("\\geq", "\\ge"),
    ("\\neq", "\\ne"), ("\\lt", "<"), ("\\gt", ">"), ("\\varnothing", "\\emptyset"),
    ("\\infinity", "\\infty"), ("\\lbrace", "\\{"), ("\\rbrace", "\\}"), ("\\lbrack", "["),
    ("\\rbrack", "]"), ("\\lvert", "|"), ("\\rvert", "|"), ("\\vert", "|"),
    ("\\dots", "\\ldots"), ("\\cdots", "\\ldots"), ("\\mathbb{R}", "\\R"),
    ("−", "-"), ("–", "-"), ("×", "\\times"), ("·", "\\cdot"), ("÷", "\\div"), ("π", "\\pi"),
    ("∞", "\\infty"), ("≤", "\\le"), ("≥", "\\ge"), ("≠", "\\ne"), ("√", "\\sqrt"),
    ("∪", "\\cup"), ("∩", "\\cap"), ("±", "\\pm"), ("∅", "\\emptyset"), ("\\{,\\}", ","),
    ("{,}", ","),
)
_DEGREE_MARKS = ("^{\\circ}", "^\\circ", "^{\\circ }", "°", "\\degree", "^{o}")
_UNIT_WORDS = frozenset(
    "cm mm km m2 cm2 inch inches in ft feet foot yard yards yd meter meters metre metres mile "
    "miles unit units sq square cubic degree degrees deg dollar dollars cent cents hour hours hr hrs "
    "minute minutes min second seconds sec day days week weeks month months year years mph kmh "
    "pound pounds lb lbs ounce ounces oz gram grams g kg kilogram kilograms liter liters litre "
    "litres ml gallon gallons cup cups people students times point points ways".split())
_LIST_WORDS = ("and", "or")

_CHOICE = re.compile(r"^\(?([A-J])\)?$|^([A-J])\)$")
_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$")
_SPACED_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?$")
_BRACED_THOUSANDS = re.compile(r"(?<=\{)-?[1-9]\d{0,2}(?:,\d{3})+(?=\})")
_DECIMAL_COMMA = re.compile(r"^-?0,\d+$")
_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|\s+|.", re.DOTALL)
_ASSIGNMENT_VARIABLE = re.compile(r"^[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?$")


class NormalizationError(ValueError):
    """The text cannot be a single answer (too long, NUL bytes, unbalanced braces)."""


def find_closing_brace(text: str, open_index: int) -> int:
    """Index of the `}` matching the `{` at `open_index` (escaped `\\{` `\\}` ignored), or -1."""
    depth = 0
    index = open_index
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def braces_balanced(text: str) -> bool:
    """Whether unescaped `{` and `}` pair up."""
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
        index += 1
    return depth == 0


def _strip_outer_delimiters(text: str) -> str:
    changed = True
    while changed:
        changed = False
        text = text.strip()
        for opening, closing in _MATH_DELIMITERS:
            if len(text) >= len(opening) + len(closing) and text.startswith(opening) \
                    and text.endswith(closing):
                text = text[len(opening):len(text) - len(closing)]
                changed = True
                break
        for command in _WRAPPER_COMMANDS:
            if text.startswith(command + "{") and find_closing_brace(text, len(command)) == len(text) - 1:
                text = text[len(command) + 1:-1]
                changed = True
                break
    return text


def _read_argument(text: str, start: int) -> tuple[str, int] | None:
    """One TeX macro argument at `start` (after spaces): a braced group, a command or one char."""
    index = start
    while index < len(text) and text[index] == " ":
        index += 1
    if index >= len(text):
        return None
    if text[index] == "{":
        end = find_closing_brace(text, index)
        if end < 0:
            return None
        return text[index + 1:end], end + 1
    if text[index] == "\\":
        match = re.match(r"\\[a-zA-Z]+", text[index:])
        if match:
            return match.group(0), index + len(match.group(0))
        return None
    if text[index] in "}^_&":
        return None
    return text[index], index + 1


def _brace_macro_arguments(text: str, command: str, count: int) -> str:
    """Rewrite `\\frac12` as `\\frac{1}{2}` (and `\\sqrt2` as `\\sqrt{2}`): braces every argument."""
    if command not in text:
        return text
    out: list[str] = []
    index = 0
    while True:
        found = text.find(command, index)
        if found < 0:
            out.append(text[index:])
            break
        after = found + len(command)
        if after < len(text) and text[after].isalpha():  # a longer command, e.g. \fracx
            out.append(text[index:after])
            index = after
            continue
        out.append(text[index:after])
        position = after
        if command == "\\sqrt" and position < len(text) and text[position] == "[":
            close = text.find("]", position)
            if close < 0:
                out.append(text[position:])
                break
            out.append(text[position:close + 1])
            position = close + 1
        arguments = []
        for _ in range(count):
            argument = _read_argument(text, position)
            if argument is None:
                break
            arguments.append(argument[0])
            position = argument[1]
        if len(arguments) != count:
            index = after
            continue
        out.append("".join("{" + _brace_macro_arguments(a, command, count) + "}" for a in arguments))
        index = position
    return "".join(out)


def _unify_text_commands(text: str) -> str:
    for command in _TEXT_COMMANDS:
        if command in text:
            text = re.sub(re.escape(command) + r"(?![a-zA-Z])\s*\{", r"\\text{", text)
    return text


def _drop_trailing_units(text: str) -> str:
    """Drop a unit after a value: `5\\text{ cm}`, `5\\text{ cm}^2`, `12 inches`, `3 sq units`."""
    for _ in range(4):
        stripped = text.rstrip()
        power = re.search(r"\^\{?[23]\}?$", stripped)
        base = stripped[:power.start()] if power else stripped
        if base.endswith("}"):
            start = base.rfind("\\text{")
            if start > 0 and find_closing_brace(base, start + 5) == len(base) - 1:
                words = base[start + 6:-1].strip()
                head = base[:start].rstrip()
                if re.fullmatch(r"[a-zA-Z .]*", words) and head and re.search(r"[\d}]", head[-1]) \
                        and words.lower() not in _LIST_WORDS:
                    text = head
                    continue
        match = re.search(r"(?<=[\d}\s])\s*([a-zA-Z]+(?:\s+[a-zA-Z]+)?)$", base)
        if match:
            words = match.group(1).split()
            head = base[:match.start()].rstrip()
            if head and all(w.lower() in _UNIT_WORDS for w in words) and re.search(r"[\d}]$", head):
                text = head
                continue
        break
    return text


def _list_words_to_commas(text: str) -> str:
    text = re.sub(r",?\s*\\text\{\s*(?:and|or)\s*\}\s*", ",", text)
    text = re.sub(r",\s*(?:and|or)\s+", ",", text)
    text = re.sub(r"(?<=[\d}])\s+(?:and|or)\s+(?=[-\d\\(])", ",", text)
    return text.strip(",")


def _unwrap_text(text: str) -> str:
    """`\\text{X}` becomes `X` (after units were dropped); a whole-text answer keeps its words."""
    for _ in range(50):
        start = text.find("\\text{")
        if start < 0:
            break
        end = find_closing_brace(text, start + 5)
        if end < 0:
            break
        inner = text[start + 6:end].strip()
        text = text[:start] + inner + text[end + 1:]
    return text


def _whole_text(text: str) -> str | None:
    """A whole-text answer (`\\text{4:30 p.m.}`) stays `\\text{...}` when its content has a word,
    so that it is read as text rather than as a product of letters; None otherwise."""
    if not text.startswith("\\text{") or find_closing_brace(text, 5) != len(text) - 1:
        return None
    inner = " ".join(text[6:-1].split())
    if _CHOICE.match(inner) or "\\" in inner or "{" in inner or not re.search(r"[a-zA-Z]", inner) or len(inner) < 2:
        return None
    return "\\text{" + inner + "}"


def _collapse_spaces(text: str) -> str:
    """Remove spaces except where they separate a command from a following letter (`\\pi r`)."""
    tokens = _TOKEN.findall(text)
    out: list[str] = []
    for position, token in enumerate(tokens):
        if token.isspace():
            previous = out[-1] if out else ""
            following = tokens[position + 1] if position + 1 < len(tokens) else ""
            previous_is_word = previous[-1:].isalpha()
            if previous_is_word and following[:1].isalpha() and (
                    previous.startswith("\\") or not _is_math_letters(previous, following)):
                out.append(" ")
            continue
        out.append(token)
    return "".join(out)


def _is_math_letters(previous: str, following: str) -> bool:
    """Whether two letter runs separated by a space are math (`2 x y`) rather than words."""
    return len(previous) == 1 and len(following) == 1


def normalize_answer(text: str) -> str:
    """The canonical string of one answer, e.g. `$\\dfrac12$ cm.` -> `\\frac{1}{2}`.

    Raises `NormalizationError` for text that cannot be one answer (over `MAX_ANSWER_CHARS`,
    NUL bytes, unbalanced braces).
    """
    if not isinstance(text, str):
        raise NormalizationError("answer is not a string")
    text = text.strip()
    if len(text) > MAX_ANSWER_CHARS:
        raise NormalizationError(f"answer longer than {MAX_ANSWER_CHARS} characters")
    if "\x00" in text:
        raise NormalizationError("answer contains a NUL byte")
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = re.sub(r"\s+", " ", text)
    text = _strip_outer_delimiters(text)
    if not braces_balanced(text):
        raise NormalizationError("unbalanced braces")
    text = _unify_text_commands(text)
    for old, new in _SYNONYMS:
        text = text.replace(old, new)
    for spacing in _SPACING:
        text = text.replace(spacing, " " if spacing not in ("\\!",) else "")
    text = re.sub(r"(?<!\\)((?:\\\\)*)\\ ", r"\1 ", text)
    text = re.sub(r"\\hspace\{[^{}]*\}", " ", text)
    for command in _DROPPED_COMMANDS:
        text = re.sub(re.escape(command) + r"(?![a-zA-Z])", "", text)
    for mark in _DEGREE_MARKS:
        text = text.replace(mark, "")
    text = re.sub(r"\\circ\s*$", "", text)
    text = text.replace("\\$", "").replace("$", "")
    text = re.sub(r"\\%|\\percent\b|\s*\bpercent\s*$", "%", text)
    text = text.strip()
    text = re.sub(r"(?<!\\)\.$", "", text).strip()
    text = _drop_trailing_units(text)
    text = _list_words_to_commas(text)
    text = _brace_macro_arguments(text, "\\frac", 2)
    text = _brace_macro_arguments(text, "\\binom", 2)
    text = _brace_macro_arguments(text, "\\sqrt", 1)
    whole_text = _whole_text(text)
    text = whole_text if whole_text is not None else _unwrap_text(text).strip()
    text = _BRACED_THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)
    text = re.sub(r"^\+(?=\s*(?:\d|\\infty))", "", text)
    if _SPACED_THOUSANDS.match(text):
        text = text.replace(" ", "")
    text = _collapse_spaces(text)
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    choice = _CHOICE.match(text)
    if choice:
        text = choice.group(1) or choice.group(2)
    return text


def strip_assignment(text: str) -> str:
    """`x = 3` -> `3`: drop a leading single-variable assignment whose right side has no letters.

    Equations whose right side has variables (`y = 2x + 1`) are kept whole: they are equations.
    """
    parts = split_top_level(text, ("=",))
    if len(parts) != 2:
        return text
    left, right = parts[0].strip(), parts[1].strip()
    if _ASSIGNMENT_VARIABLE.match(left) and not re.search(r"(?<!\\)\b[a-zA-Z]", _commands_removed(right)):
        return right
    return text


def _commands_removed(text: str) -> str:
    return re.sub(r"\\[a-zA-Z]+", " ", text)


_OPENERS = {"(": ")", "[": "]", "{": "}"}


def split_top_level(text: str, separators: tuple[str, ...] = (",",)) -> list[str]:
    """Split at separators outside (), [], {} and `\\{...\\}`; `\\left`-free text expected.

    Interval brackets may be unbalanced in kind (`(0, 1]`), so depth counts any opener against
    any closer.
    """
    return split_top_level_with_separators(text, separators)[0]


def split_top_level_with_separators(text: str, separators: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """`split_top_level`, plus the separator found at each cut, in order (one fewer than parts)."""
    parts: list[str] = []
    found: list[str] = []
    depth = 0
    current: list[str] = []
    index = 0
    ordered = sorted(separators, key=len, reverse=True)
    while index < len(text):
        char = text[index]
        if char == "\\":
            command = re.match(r"\\[a-zA-Z]+|\\.", text[index:])
            token = command.group(0) if command else "\\"
            if depth == 0 and token in ordered:
                parts.append("".join(current))
                found.append(token)
                current = []
            else:
                if token in ("\\{",):
                    depth += 1
                elif token in ("\\}",):
                    depth -= 1
                current.append(token)
            index += len(token)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if depth == 0:
            matched = next((s for s in ordered if not s.startswith("\\") and text.startswith(s, index)), None)
            if matched is not None:
                parts.append("".join(current))
                found.append(matched)
                current = []
                index += len(matched)
                continue
        current.append(char)
        index += 1
    parts.append("".join(current))
    return parts, found


@dataclass(frozen=True)
class ExactNumber:
    """An exactly written number: its value, its decimal places if written as a decimal
    (`0.330` -> 3), and whether it carried a percent sign."""

    value: Fraction
    decimals: int | None = None
    percent: bool = False

    def key(self) -> str:
        """Canonical key: equal keys mean equal values (`0.5`, `\\frac{1}{2}`, `1/2`)."""
        return number_key(self.value.numerator, self.value.denominator)


def number_key(numerator: int, denominator: int) -> str:
    """The canonical key of the exact number numerator/denominator (in lowest terms).

    Decimal digits for ordinary sizes; hexadecimal (`0x`) past 4000 bits, where Python refuses
    to print integers in decimal.
    """
    if max(abs(numerator), denominator).bit_length() > 4000:
        return f"n:{numerator:#x}/{denominator:#x}"
    return f"n:{numerator}/{denominator}"


_INTEGER = r"\d+"
_DECIMAL = r"(?:\d+\.\d*|\.\d+)"
_FRAC = r"\\frac\{(-?\d+)\}\{(-?\d+)\}"
_SCIENTIFIC = re.compile(r"^(-?(?:\d+\.\d*|\.\d+|\d+))(?:\\times|\\cdot)10\^(?:\{(-?\d{1,3})\}|(\d))$")
_PLAIN_NUMBER = re.compile(rf"^({_DECIMAL}|{_INTEGER})$")
_FRACTION = re.compile(rf"^{_FRAC}$")
_SLASH_FRACTION = re.compile(r"^(\d+)/(\d+)$")
_MIXED = re.compile(rf"^(\d+){_FRAC}$")


def parse_exact_number(text: str) -> ExactNumber | None:
    """Parse a normalised answer that is one plain number; None for anything else.

    Accepts integers, decimals, `\\frac{a}{b}`, `a/b`, mixed numbers `10\\frac{1}{12}` (= 121/12),
    `1.5\\times10^{3}`, with an optional leading minus and trailing `%`.
    """
    if not text or len(text) > MAX_NUMBER_DIGITS + 40:
        return None
    percent = text.endswith("%")
    body = text[:-1] if percent else text
    negative = body.startswith("-")
    if negative:
        body = body[1:]
    if body.startswith("{") and body.endswith("}") and find_closing_brace(body, 0) == len(body) - 1:
        body = body[1:-1]
    number = _parse_unsigned(body)
    if number is None:
        return None
    value, decimals = number
    return ExactNumber(-value if negative else value, decimals, percent)


def _parse_unsigned(body: str) -> tuple[Fraction, int | None] | None:
    if _PLAIN_NUMBER.match(body):
        if len(body) > MAX_NUMBER_DIGITS:
            return None
        decimals = len(body) - body.index(".") - 1 if "." in body else None
        return Fraction(body.rstrip(".") if body.endswith(".") else body), decimals
    match = _FRACTION.match(body)
    if match:
        numerator, denominator = int(match.group(1)), int(match.group(2))
        return (Fraction(numerator, denominator), None) if denominator else None
    match = _SLASH_FRACTION.match(body)
    if match:
        numerator, denominator = int(match.group(1)), int(match.group(2))
        return (Fraction(numerator, denominator), None) if denominator else None
    match = _MIXED.match(body)
    if match:
        whole, numerator, denominator = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if denominator == 0 or numerator < 0 or denominator < 0:
            return None
        return whole + Fraction(numerator, denominator), None
    match = _SCIENTIFIC.match(body)
    if match:
        mantissa = Fraction(match.group(1))
        exponent = int(match.group(2) or match.group(3))
        return mantissa * Fraction(10) ** exponent, None
    return None


def quick_key(normalized: str) -> str:
    """The in-process canonical key of a normalised answer: exact number, choice or string."""
    number = parse_exact_number(strip_assignment(normalized))
    if number is not None:
        return number.key()
    return "s:" + normalized
