"""Number literals: thousands separators, decimal commas, percent marks, exact values.

Each of these conventions is decided here and nowhere else:

* Thousands. A comma is a thousands separator when it sits *directly* between digits, every
  group after it has exactly three digits, and the first group has one to three digits not
  starting with 0 (`1,000`, `7,425,000`, `1,000.5`); `{,}` and thin spaces between such groups
  are separators too (`10{,}000`, `40,\\!000`, `1\\,000`). A whole answer made of digit groups
  separated by single spaces is one number (`1 000 000`). A comma followed by a space separates
  list items (`2, 300` is two items, never 2300), and so does any other comma (`0,1`).
* Decimal comma (`0,5` = one half) only when the task's policy opts in, and then only inside one
  number token (`3,14`), never across a comma-and-space list boundary.
* Percent. `50\\%`, `50%`, `50 percent`, `50 pct` are the number 50 *marked* as a percentage;
  the mark is kept as an attribute of the value (`ExactNumber.percent`) so that grading can apply
  the percent rule (see `compare.py`) and clustering never merges `50\\%` with `50` or `0.5`.
* Number words. A whole answer written as an English cardinal (`eighteen`, `twenty-five`,
  `one hundred five`, up to 999,999) is that integer (`number_from_words`); one written as a
  fraction (`one-fourth`, `three halves`, `a half`, `one and a half`) is that fraction
  (`fraction_from_words`).
* Exact values. Integers, decimals, `\\frac{a}{b}`, `a/b`, mixed numbers `10\\frac{1}{12}`
  (= 121/12), repeating decimals (`0.1\\overline{6}` = 1/6) and scientific notation
  (`1.5\\times10^{3}`, `7.2e-4`; in plain text `1.2 x 10^5`, `1.2*10**5`) become exact `Fraction`s.
  A decimal or a number in scientific notation also remembers the unit of its last written
  place (`0.330` -> 1/1000, `7.2\\times10^{-4}` -> 10^-5): written that way, a *reference* asks
  for that precision (see `compare.py`); integers and fractions are exact.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from fractions import Fraction

from evalkit.grading.scan import bracket_depth

MAX_NUMBER_DIGITS = 400
"""Number literals with more digits than this are left to the expression parser (and SymPy)."""

PERCENT_WORDS = ("percentage", "percent", "pct")

_THOUSANDS_SEPARATOR = r"(?:,\\[!,]\s?|,|\s?\{,\s?\}\s?|\\,\s?|\\!\s?|\\;\s?|\\ )"
_THOUSANDS_NUMBER = re.compile(
    r"(?<![\d.,])(-?[1-9]\d{0,2})((?:" + _THOUSANDS_SEPARATOR + r"\d{3})+)(?![\d])(?!,\d)")
_APOSTROPHE_THOUSANDS = re.compile(r"(?<![\d.,'’\w])-?[1-9]\d{0,2}(?:['’]\d{3})+(?![\d'’])")
"""Thousands set apart by apostrophes (`1'430`, `70’000`, as written in Switzerland)."""
_SPACED_NUMBER = re.compile(r"^-?[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?$")
_DECIMAL_COMMA_NUMBER = re.compile(r"(?<![\d.,])(-?\d+),(\d+)(?![\d,])")
_PERCENT_SUFFIX = re.compile(r"\s*(?:\\%|%|\\percent\b|(?:\\text\{\s*)?(?:" + "|".join(PERCENT_WORDS)
                             + r")(?:\s*\})?)\s*$", re.IGNORECASE)


def join_thousands(text: str, comma_list: bool = False) -> str:
    """Remove thousands separators from the numbers of `text` (module rule), keeping list commas.

    A bare comma groups thousands only outside brackets: inside `(1,100)` it separates the
    coordinates of a point. Braced `{,}`, thin spaces and apostrophes (`1'430`) group thousands anywhere. With `comma_list`
    (the question asks for values separated by commas) a plain comma separates items everywhere:
    `70,110` is two solutions, while `1{,}000` and `1,\\!000` still group thousands.
    """
    def joined(match: re.Match[str]) -> str:
        if re.search(r"(?<!\{),(?!\})", match.group(2)) and bracket_depth(text, match.start()) > 0:
            return match.group(0)
        if comma_list and re.search(r"(?<!\{),(?![\\}])", match.group(2)):
            return match.group(0)
        return match.group(1) + re.sub(_THOUSANDS_SEPARATOR, "", match.group(2))

    text = _APOSTROPHE_THOUSANDS.sub(lambda match: match.group(0).replace("'", "").replace("’", ""), text)
    text = _THOUSANDS_NUMBER.sub(joined, text)
    if _SPACED_NUMBER.match(text.strip()):
        text = text.replace(" ", "")
    return text


_BRACED_DECIMAL_COMMA = re.compile(r"(?<![\d.,}])(-?\d+)\{,\}(\d{1,2}|\d{4,})(?![\d,{])")
_COMMA_BEFORE_EURO_OR_PERCENT = re.compile(r"^(\s*-?\d+),(\d{1,2})(\s*(?:€|EUR|\\%|%)\s*)$")


def unmistakable_decimal_commas(text: str) -> str:
    """Decimal commas that cannot be anything else, for every task: LaTeX's braced comma before a group that is
    not three digits (`4{,}2`, `0{,}05`: `1{,}000` groups thousands) and a comma before one or two digits in an
    answer that is one amount in euros or one percentage (`26,00 €`, `4,2 %`: never a list)."""
    text = _BRACED_DECIMAL_COMMA.sub(r"\1.\2", text)
    return _COMMA_BEFORE_EURO_OR_PERCENT.sub(r"\1.\2\3", text)


_ONE_DECIMAL_COMMA = re.compile(r"^(\s*[-+−]?\d+),(\d{1,2}|\d{4,})(?![\d,])(?!\s*[,;]|\s+\d)")


def decimal_comma_of_one_number(text: str) -> str:
    """`1,25` -> `1.25` when `text` opens with the only number it holds and writes it with one comma before other than
    three digits (`9,6 Å`, `18,90 $`); as it is otherwise (`1,250`, `1, 25`, `2,4,6`, `3,5 and 7`)."""
    if text.count(",") != 1 or len(re.findall(r"\d+", text)) != 2:
        return text
    return _ONE_DECIMAL_COMMA.sub(r"\1.\2", text)


def apply_decimal_comma(text: str) -> str:
    """`3,14` -> `3.14` inside single number tokens (only for tasks whose policy opts in)."""
    return _DECIMAL_COMMA_NUMBER.sub(r"\1.\2", text)


_PERCENT_MARK = re.compile(r"\\%|\\percent(?![a-zA-Z])|(?<=[\d}])\s*(?P<text>\\text\{\s*)?(?:" + "|".join(PERCENT_WORDS)
                           + r")\b(?P<closed>\s*\})?", re.IGNORECASE)


def _percent_sign(mark: re.Match[str]) -> str:
    """`%` for a percent mark; a percent word that opens a longer `\\text{..}` leaves the rest of
    that text group open after it (`8 \\text{ percent increase}` -> `8%\\text{ increase}`)."""
    return "%\\text{" if mark.group("text") and not mark.group("closed") else "%"


def mark_percent(text: str) -> str:
    """Every percent mark or word after a number becomes `%` (`50\\%`, `50 percent` -> `50%`)."""
    return _PERCENT_MARK.sub(_percent_sign, text)


def split_percent(text: str) -> tuple[str, bool]:
    """`(body, True)` when `text` ends in a percent mark or word, else `(text, False)`."""
    match = _PERCENT_SUFFIX.search(text)
    if match is None or match.start() == 0:
        return text, False
    return text[:match.start()].rstrip(), True


@dataclass(frozen=True)
class ExactNumber:
    """A number as written: its exact value, the unit of its last written place when written
    as a decimal or in scientific notation (`0.330` -> 1/1000; None for integers and
    fractions), and whether it carried a percent mark."""

    value: Fraction
    ulp: Fraction | None = None
    percent: bool = False


_INTEGER = r"\d+"
_DECIMAL = r"(?:\d+\.\d*|\.\d+)"
_FRAC = r"\\frac\{(-?\d+)\}\{(-?\d+)\}"
_REPEATING = re.compile(r"^(\d*)\.(\d*)\\overline\{(\d{1,20})\}$")
"""`0.\\overline{3}` = 1/3, `0.1\\overline{6}` = 1/6: a repeating decimal is exact."""
_PLAIN_TIMES_TEN = re.compile(
    r"(?<![\w.\\])(\d+(?:\.\d+)?)[ \t]*(?:[xX]|\*(?!\*)|\\text\{[ \t]*[xX][ \t]*\}|\\times|\\cdot)[ \t]*10[ \t]*(?:\^|\*\*)[ \t]*"
    r"(?:\{[ \t]*([-+]?\d{1,4})[ \t]*\}|\([ \t]*([-+]?\d{1,4})[ \t]*\)|([-+]?\d{1,4}))(?![\d.])")
"""Scientific notation with a plain-text times sign: `1.2 x 10^5`, `1.2*10^5`, `1.2 * 10**5`, `3 x 10^(-4)`, and with
`\\times` or `\\cdot` (`4.5·10^33`) before an exponent of several digits written without braces.
Only digits, then `x`, `X` or `*`, then `10^`: a letter `x` anywhere else is a variable."""


def plain_times_ten(text: str) -> str:
    """`1.2 x 10^5` -> `1.2\\times10^{5}` (module rule); the exponent is every digit written (`10^23`)."""
    if "10" not in text:
        return text
    return _PLAIN_TIMES_TEN.sub(lambda m: f"{m.group(1)}\\times10^{{{next(g for g in m.groups()[1:] if g)}}}", text)


_TIMES_TEN = re.compile(r"^(\d+\.\d*|\.\d+|\d+)(?:\\times|\\cdot)10\^(?:\{([-+]?\d{1,4})\}|([-+]?\d))$")
_E_NOTATION = re.compile(r"^(\d+\.\d+|\d+)[eE]([-+]?\d{1,4})$")
"""`7.2e-4`, `1e+5`, `4e33`: scientific notation (nobody writes 4 times e times 33 that way)."""
_PLAIN_NUMBER = re.compile(rf"^(?:{_DECIMAL}|{_INTEGER})$")
_FRACTION = re.compile(rf"^{_FRAC}$")
_SLASH_FRACTION = re.compile(r"^(\d+)/(\d+)$")
_MIXED = re.compile(rf"^(\d+){_FRAC}$")


def parse_exact_number(text: str) -> ExactNumber | None:
    """The exact number a normalised answer writes, or None when it is not one plain number.

    Accepts an optional sign, then an integer, a decimal, `\\frac{a}{b}`, `a/b`, a mixed number
    or scientific notation, then an optional percent mark.
    """
    if not text or len(text) > MAX_NUMBER_DIGITS + 40:
        return None
    body, percent = split_percent(text)
    negative = body.startswith("-")
    if body[:1] in "+-":
        body = body[1:]
    while body.startswith("{") and body.endswith("}") and body.count("{") == 1:
        body = body[1:-1]
    number = _parse_unsigned(body)
    if number is None:
        return None
    value, ulp = number
    return ExactNumber(-value if negative else value, ulp, percent)


def _last_place(mantissa: str) -> Fraction:
    """The unit of the last written place of a decimal mantissa (`2.50` -> 1/100, `3` -> 1)."""
    if "." not in mantissa:
        return Fraction(1)
    return Fraction(1, 10 ** (len(mantissa) - mantissa.index(".") - 1))


def _parse_unsigned(body: str) -> tuple[Fraction, Fraction | None] | None:
    if _PLAIN_NUMBER.match(body):
        if len(body) > MAX_NUMBER_DIGITS:
            return None
        value = Fraction(body.rstrip(".") if body.endswith(".") else body)
        written_decimals = "." in body and not body.endswith(".")
        return value, _last_place(body) if written_decimals else None
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
        if denominator <= 0 or numerator < 0:
            return None
        return whole + Fraction(numerator, denominator), None
    match = _REPEATING.match(body)
    if match:
        whole, fixed, repeating = match.group(1) or "0", match.group(2), match.group(3)
        value = Fraction(int(whole)) + Fraction(int(fixed or "0"), 10 ** len(fixed)) + Fraction(
            int(repeating), (10 ** len(repeating) - 1) * 10 ** len(fixed))
        return value, None
    match = _TIMES_TEN.match(body)
    if match:
        mantissa, exponent = match.group(1), int(match.group(2) or match.group(3))
    else:
        match = _E_NOTATION.match(body)
        if match is None:
            return None
        mantissa, exponent = match.group(1), int(match.group(2))
    scale = Fraction(10) ** exponent
    return Fraction(mantissa) * scale, _last_place(mantissa) * scale
    return None


def fraction_text(value: Fraction) -> str:
    """An exact number as canonical LaTeX: an integer, or `\\frac{p}{q}` with its sign in front (`-\\frac{3}{4}`)."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{'-' if value < 0 else ''}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def number_key(value: Fraction, percent: bool = False) -> str:
    """The canonical key of an exact number (lowest terms; a percent mark is part of the key).

    Decimal digits for ordinary sizes; past 4000 bits, where Python refuses to print integers
    in decimal, the SHA-256 of the hexadecimal form (a key stays short whatever an answer writes).
    """
    numerator, denominator = value.numerator, value.denominator
    mark = "%" if percent else ""
    if max(abs(numerator), denominator).bit_length() > 4000:
        digest = hashlib.sha256(f"{numerator:#x}/{denominator:#x}".encode()).hexdigest()
        return f"n:sha256:{digest}{mark}"
    return f"n:{numerator}/{denominator}{mark}"



_UNIT_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
               "sixteen seventeen eighteen nineteen").split()
_TENS_WORDS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
               "ninety": 90}
_NUMBER_WORD_VALUES = {word: value for value, word in enumerate(_UNIT_WORDS)} | _TENS_WORDS


_MIXED_NUMBER_WITH_AND = re.compile(r"\s*(\d{1,6})\s*(?:\\text\{\s*and\s*\}|\band\b)\s*(?:\\[dt]?frac\{(\d{1,6})\}\{(\d{1,6})\}|"
                                    r"(\d{1,6})\s*/\s*(\d{1,6}))\s*")


def mixed_number_with_and(text: str) -> tuple[str, str, str] | None:
    """The whole part, numerator and denominator of a text that is a mixed number written with `and` (`137 and 1/2`,
    `137 \\text{ and } \\frac{1}{2}`), a proper fraction after the whole part; None otherwise. Whether it is one number
    or two values is the question's to say (`question.asks_for_a_mixed_number`)."""
    mixed = _MIXED_NUMBER_WITH_AND.fullmatch(text)
    if mixed is None:
        return None
    whole, numerator, denominator = mixed.group(1), mixed.group(2) or mixed.group(4), mixed.group(3) or mixed.group(5)
    return (whole, numerator, denominator) if int(numerator) < int(denominator) else None


def number_from_words(text: str) -> int | None:
    """The integer an English cardinal spells (`eighteen`, `twenty-five`, `two hundred and ten`,
    `three thousand`), or None when `text` is anything else. Case and hyphens do not matter."""
    words = [w for w in re.split(r"[\s\-]+", text.strip().lower().rstrip(".")) if w and w != "and"]
    if not words or len(words) > 10 or not all(w in _NUMBER_WORD_VALUES or w in ("hundred", "thousand")
                                               for w in words):
        return None
    total, group, previous = 0, 0, ""
    for word in words:
        if word == "hundred":
            if not 0 < group < 10 or previous in ("hundred", "thousand"):
                return None
            group *= 100
        elif word == "thousand":
            if not 0 < group < 1000 or total:
                return None
            total, group = group * 1000, 0
        else:
            value = _NUMBER_WORD_VALUES[word]
            if previous in _NUMBER_WORD_VALUES and not (_NUMBER_WORD_VALUES[previous] in _TENS_WORDS.values()
                                                        and 0 < value < 10):
                return None  # `five six` is not a number; `twenty five` is
            group += value
        previous = word
    return total + group


_SPELLED_WORD = re.compile(r"[A-Za-z]+(?:[\s\-]+|$)")


def spelled_number_prefix(text: str) -> tuple[int, int] | None:
    """The integer the longest run of English number words at the start of `text` spells, and where the
    run ends (`two hundred ninety six dollars` -> (296, 22)); None when `text` does not start with one. A
    run joined by a hyphen to the word after it is part of a compound, not a number (`three-digit`,
    `five-year-old`)."""
    ends = []
    position = 0
    while len(ends) < 10 and (word := _SPELLED_WORD.match(text, position)) is not None:
        position = word.end()
        ends.append(len(text[:position].rstrip(" \t\n-")))
    for end in reversed(ends):
        value = number_from_words(text[:end])
        if value is not None:
            return None if text.startswith("-", end) else (value, end)
    return None


_DENOMINATOR_WORDS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "fourth": 4, "fourths": 4, "quarter": 4, "quarters": 4,
    "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8,
    "ninth": 9, "ninths": 9, "tenth": 10, "tenths": 10, "eleventh": 11, "elevenths": 11, "twelfth": 12,
    "twelfths": 12, "twentieth": 20, "twentieths": 20, "hundredth": 100, "hundredths": 100,
    "thousandth": 1000, "thousandths": 1000,
}
"""Words that name the parts of a fraction; `second` is not one (`one second` is a time)."""
_DENOMINATOR_ENDINGS = tuple(_DENOMINATOR_WORDS)
_SIGN_WORDS = {"negative": -1, "minus": -1}


def fraction_from_words(text: str) -> Fraction | None:
    """The fraction a whole answer spells in English words, or None when it is anything else:
    `one-fourth`, `three halves`, `a half`, `two thirds`, `an eighth`, `one and a half`, `two and three
    quarters`, `negative one half`. A fraction needs its numerator (`half`, `the fourth` are words);
    in a mixed number the fraction is proper."""
    lowered = text.strip().lower().rstrip(".")
    if not lowered.endswith(_DENOMINATOR_ENDINGS):
        return None
    words = [w for w in re.split(r"[\s\-]+", lowered) if w]
    if not words or len(words) > 12 or words[-1] not in _DENOMINATOR_WORDS:
        return None
    sign = _SIGN_WORDS.get(words[0], 1)
    if words[0] in _SIGN_WORDS:
        words = words[1:]
    for split in [i for i, w in enumerate(words) if w == "and"] + [-1]:
        whole = 0
        if split >= 0:
            whole = number_from_words(" ".join(words[:split]))
            if whole is None or whole == 0:
                continue
        part = _simple_fraction(words[split + 1:])
        if part is None or (split >= 0 and part >= 1):
            continue
        return sign * (whole + part)
    return None


def _simple_fraction(words: list[str]) -> Fraction | None:
    """`three halves`, `a quarter`: a numerator in words, then the word of its parts."""
    if len(words) < 2 or "and" in words:
        return None
    numerator = 1 if words[:-1] in (["a"], ["an"]) else number_from_words(" ".join(words[:-1]))
    if not numerator:
        return None
    return Fraction(numerator, _DENOMINATOR_WORDS[words[-1]])


_SCRIPT_FRACTION = re.compile("([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,20})[⁄/]([₀₁₂₃₄₅₆₇₈₉]{1,20})")
_SCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")


def script_fractions(text: str, *, latex: bool) -> str:
    """Fractions written as a superscript over a subscript across a fraction slash (`³⁄₂`, `⁴⁄₃`), as `\\frac{3}{2}`
    (`latex`) or `3/2`."""
    def fraction(match: re.Match[str]) -> str:
        numerator, denominator = match.group(1).translate(_SCRIPT_DIGITS), match.group(2).translate(_SCRIPT_DIGITS)
        return f"\\frac{{{numerator}}}{{{denominator}}}" if latex else f"{numerator}/{denominator}"

    return _SCRIPT_FRACTION.sub(fraction, text)
