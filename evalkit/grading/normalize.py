"""String normalisation: the many spellings of one answer become one canonical string.

Pure, bounded string work, safe to run in-process on untrusted text (no evaluation, no regular
expression that can backtrack without bound). The canonical string is still LaTeX-like; turning
it into a typed value is `values.py`'s job. Conventions are read from the task's
`GradingPolicy`; number conventions live in `numbers.py`, unit words in `units.py`.

What is dropped or rewritten, in order:

* Delimiters: `$..$`, `\\(..\\)`, `\\[..\\]`, a whole `\\boxed{..}` / `\\fbox{..}`.
* Unicode math (`−`, `×`, `π`, `√`, `≤`, `±`, `°`, superscripts `10⁵` `x⁻¹` and subscripts
  `log₂`, `a₁`, ...) becomes LaTeX; ASCII relations `>=`,
  `<=`, `!=`, `=<`, `=>` become `\\ge`, `\\le`, `\\ne`.
* Thousands separators (`numbers.join_thousands`) and decimal commas: always where nothing else is meant
  (`4{,}2`, `26,00 €`, `numbers.unmistakable_decimal_commas`), everywhere when the policy opts in.
  Scientific notation with a plain-text times sign, `1.2 x 10^5`, `1.2*10**5`, is written with
  `\\times` (`numbers.plain_times_ten`).
  A mixed number written with a slash (`3 1/4`) becomes `3\\frac{1}{4}`. The whole real line
  (`\\mathbb{R}`, `all real numbers`) becomes `(-\\infty,\\infty)`.
* Layout: `\\left`, `\\right`, `\\big..`, `\\displaystyle`, spacing (`\\,`, `\\!`, `\\quad`, `~`).
* Spellings: `\\dfrac`/`\\tfrac`/`\\cfrac` -> `\\frac`, `\\frac12` -> `\\frac{1}{2}`, `\\sqrt2` ->
  `\\sqrt{2}`, `\\leq` -> `\\le`, `\\textbf`/`\\mbox`/... -> `\\text`.
* A label before the value (`\\text{The area is } 24`, `\\text{Total cost} = 24`) goes; a whole
  answer spelled as an English cardinal (`eighteen`) is that number (`numbers.number_from_words`),
  and one spelled as a fraction (`three halves`, `one and a half`) that fraction
  (`numbers.fraction_from_words`).
* Units set in LaTeX after a value (`41.8 \\mathrm{~km} / \\mathrm{s}`, `\\text{ s}^{-1}`, `\\AA`,
  `M_\\odot`) go (`units.drop_unit_tail`).
* `\\mathrm{X}`: a unit word becomes `\\text{X}` (and is then dropped as a unit); otherwise the
  letters themselves (`\\mathrm{e}` is Euler's number, `\\mathrm{i}` the imaginary unit).
  `\\mathbf{X}` is a vector `\\vec{X}` (`3\\mathbf{i}+4\\mathbf{j}` is not a complex number).
  `\\operatorname{sin}` is `\\sin`.
* Money and degrees: `\\$`, `$` go; `^\\circ`/`°` after a number go, except inside a trig
  function, where they turn degrees into radians (`\\cos 60^\\circ` is `\\cos(60\\cdot\\frac{\\pi}{180})`).
* Percent marks become `%` (the value keeps the mark: see `numbers.py`).
* Words after a value: units and counted nouns go (also after `of the`: `3 of the apples`),
  multipliers multiply, `a.m.`/`p.m.` make a time of day (`units.py`); `and`/`or` between items
  become commas; an ordinal is the place it names (`5\\text{th}` -> `5`).
* Notations with a standard spelling (`notation.py`): `n \\choose k`, `\\langle 1,2\\rangle`, a
  value with its modulus (`33 \\pmod{1000}`), a choice label before a value (`(B)\\ 27`),
  `0.333\\ldots`, inequalities of one variable joined by `or`/`and` (`x<2 \\text{ or } x>3`).
* A whole-text answer (`\\text{Monday}`) stays `\\text{...}`; a choice `(A)`, `\\text{(A)}`, `A)`
  becomes `A`; any other `\\text{X}` becomes `X`.
* Times of day become `h:mm` plus `am`/`pm` when given (`\\text{4:30 p.m.}` -> `4:30pm`).
* Spaces go, except between a command and a letter (`\\pi r`) and between words of a text.
"""

from __future__ import annotations

import re
from fractions import Fraction

from evalkit.grading.measures import one_angle_in_two_units
from evalkit.grading.notation import repeating_decimal, rewrite_notation, sympy_printout
from evalkit.grading.numbers import (apply_decimal_comma, fraction_from_words, fraction_text, join_thousands,
                                     mark_percent, number_from_words, parse_exact_number, plain_times_ten, split_percent,
                                     script_fractions, spelled_number_prefix, unmistakable_decimal_commas)
from evalkit.grading.policy import DEFAULT_POLICY, GradingPolicy
from evalkit.grading.scan import (EMOJI_CHARACTERS, FULL_WIDTH_FORMS, braces_balanced, closing_brace, derivation_result,
                                  group_end, system_of_equations)
from evalkit.grading.units import (MERIDIEM_PATTERN, MONEY_SCALE_LETTER, drop_unit_tail, is_droppable_phrase, money_scale_word,
                                   multiplier_of)

MAX_ANSWER_CHARS = 2000
"""Answers longer than this (after trimming) are not parsed: they compare as strings only."""

_MATH_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_WRAPPER_COMMANDS = ("\\boxed", "\\fbox", "\\framebox")
_TEXT_COMMANDS = ("\\mbox", "\\textbf", "\\textit", "\\textrm", "\\textsf", "\\texttt", "\\textnormal",
                  "\\textup", "\\hbox", "\\emph", "\\mathit", "\\mathsf", "\\mathtt")
_LAYOUT_COMMANDS = ("\\displaystyle", "\\textstyle", "\\scriptstyle", "\\bigl", "\\bigr", "\\Bigl",
                    "\\Bigr", "\\biggl", "\\biggr", "\\Biggl", "\\Biggr", "\\big", "\\Big", "\\bigg",
                    "\\Bigg", "\\limits", "\\nolimits", "\\left.", "\\right.", "\\left", "\\right",
                    "\\middle", "\\mathstrut", "\\strut", "\\boldsymbol", "\\bm", "\\underline")
_SPACING = ("\\!", "\\,", "\\;", "\\:", "\\>", "\\quad", "\\qquad", "\\enspace", "\\thinspace", "~",
            "\\space", "\\hfill")
_UNICODE = (
    ("−", "-"), ("–", "-"), ("—", "-"), ("×", "\\times "), ("·", "\\cdot "), ("⋅", "\\cdot "),
    ("÷", "\\div "), ("π", "\\pi "), ("∞", "\\infty "), ("≤", "\\le "), ("≥", "\\ge "), ("≠", "\\ne "),
    ("√", "\\sqrt"), ("∪", "\\cup "), ("∩", "\\cap "), ("±", "\\pm "), ("∓", "\\mp "), ("∅", "\\emptyset "),
    ("°", "^\\circ "), ("′", "'"), ("’", "'"), ("\u00a0", " "), ("\u2009", " "), ("\u202f", " "),
    ("½", "\\frac{1}{2}"), ("⅓", "\\frac{1}{3}"), ("⅔", "\\frac{2}{3}"), ("¼", "\\frac{1}{4}"), ("¾", "\\frac{3}{4}"),
    ("⅕", "\\frac{1}{5}"), ("⅖", "\\frac{2}{5}"), ("⅗", "\\frac{3}{5}"), ("⅘", "\\frac{4}{5}"), ("⅙", "\\frac{1}{6}"),
    ("⅚", "\\frac{5}{6}"), ("⅛", "\\frac{1}{8}"), ("⅜", "\\frac{3}{8}"), ("⅝", "\\frac{5}{8}"), ("⅞", "\\frac{7}{8}"),
    ("。", ". "), ("、", ", "), ("\u3000", " "),
    ("⁄", "/"), ("€", " "), ("£", " "), ("¥", " "), ("₹", " "), ("¢", " "), ("∈", "\\in "), ("θ", "\\theta "),
    ("α", "\\alpha "), ("β", "\\beta "), ("≈", "\\approx "), ("λ", "\\lambda "), ("ω", "\\omega "),
    ("μ", "\\mu "), ("Δ", "\\Delta "), ("φ", "\\phi "), ("σ", "\\sigma "), ("ρ", "\\rho "),
)
_UNICODE_ROOT = re.compile(r"([√∛∜])[ \t]{0,4}(?:\(([^()]{1,200})\)|(\d+(?:\.\d+)?|[A-Za-zπ](?![A-Za-z])))")
"""A root sign and what it covers: a parenthesised group (`√(x+1)`), a number (`√10`) or one letter
(`√x`, `√π`); `√2` needs no braces, `√x` and `√(3)` do (`\\sqrtx`, `\\sqrt(3)` mean nothing)."""
_ROOT_INDEX = {"√": "", "∛": "[3]", "∜": "[4]"}


def _unicode_root(match: re.Match[str]) -> str:
    radicand = match.group(2) if match.group(2) is not None else match.group(3)
    return f"\\sqrt{_ROOT_INDEX[match.group(1)]}{{{radicand}}}"


_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", "0123456789+-=()ni")
_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", "0123456789+-=()")
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ]{1,40}")
_SUBSCRIPT_RUN = re.compile("[₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎]{1,40}")


def _unicode_scripts(text: str) -> str:
    """Unicode superscripts and subscripts as LaTeX: `10⁵` -> `10^{5}`, `10⁻³` -> `10^{-3}`,
    `log₂ 8` -> `log_{2} 8`, `a₁₂` -> `a_{12}` (a run of them is one exponent or index); a superscript over a
    subscript across a fraction slash is a fraction (`³⁄₂` -> `\\frac{3}{2}`)."""
    text = script_fractions(text, latex=True)
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPT_DIGITS) + "}", text)
    return _SUBSCRIPT_RUN.sub(lambda m: "_{" + m.group(0).translate(_SUBSCRIPT_DIGITS) + "}", text)


_TRAILING_EMOJI = re.compile(rf"[\s{EMOJI_CHARACTERS}]+\Z")
"""Emoji and pictographs after an answer (`3 🎉`, `7 ✅`, `x = 83 ✔️`): decoration, not part of the value (the degree
sign and other symbols of mathematics lie outside these blocks)."""
_FOREIGN_LETTERS = "\u0400-\u04ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_FOREIGN_UNIT_TAIL = re.compile(rf"(?<=[\d}}])\s*(?:\\(?:text|mathrm)\s*\{{\s*)?[{_FOREIGN_LETTERS}]+"
                                rf"(?:[\s/.·]+[{_FOREIGN_LETTERS}]+)*\.?\s*\}}?\s*\Z")
"""Words in Cyrillic, Chinese, Japanese or Korean after a value (`18\\text{ 美元}`, `10 миль/ч`, `100 пк`, `41.8 度`): its
unit or counted noun in the response's language, which no math writes (Greek, whose π and μ are math, is not among
them)."""
_PRIME_MARK = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[″′]\s*$")
"""A number with a prime or double prime (`0.49″`, `5′`): arcseconds or arcminutes (feet or inches), its unit."""
_MONEY_WITH_SCALE_LETTER = re.compile(r"^\s*(-?)(\\?\$\s*)?(\d[\d,]*(?:\.\d+)?)\s*(" + MONEY_SCALE_LETTER + r")(\s+(?:dollars?|USD))?\s*$")
"""An amount of money with a scale letter (`\\$70k`, `1.43k dollars`): thousands, millions of dollars."""


def _money_with_scale_letter(text: str) -> str:
    """`\\$70k` is `70 thousand`, `1.43k dollars` is `1.43 thousand`; any other text (`70k`, a product) as it is."""
    money = _MONEY_WITH_SCALE_LETTER.match(text)
    word = money_scale_word(money.group(4), dollar_sign=money.group(2) is not None,
                            dollars_after=money.group(5) is not None) if money is not None else None
    return text if word is None else f"{money.group(1)}{money.group(3)} {word}"


_SYNONYMS = (
    ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\cfrac", "\\frac"), ("\\dbinom", "\\binom"),
    ("\\tbinom", "\\binom"), ("\\leqslant", "\\le"), ("\\geqslant", "\\ge"), ("\\leqq", "\\le"),
    ("\\geqq", "\\ge"), ("\\leq", "\\le"), ("\\geq", "\\ge"), ("\\neq", "\\ne"), ("\\lt", "<"), ("\\gt", ">"),
    ("\\varnothing", "\\emptyset"), ("\\infinity", "\\infty"), ("\\lbrace", "\\{"), ("\\rbrace", "\\}"),
    ("\\lbrack", "["), ("\\rbrack", "]"), ("\\lvert", "|"), ("\\rvert", "|"), ("\\vert", "|"),
    ("\\lVert", "\\|"), ("\\rVert", "\\|"), ("\\mid", "|"), ("\\dots", "\\ldots"), ("\\cdots", "\\ldots"),
    ("\\mathbb{R}", "\\R"), ("\\{,\\}", ","), ("\\varepsilon", "\\epsilon"), ("\\varphi", "\\phi"),
    ("\\to", "\\rightarrow"), ("\\colon", ":"), ("{:}", ":"), ("\\lg", "\\log_{10}"),
)
_ASCII_RELATIONS = ((">=", "\\ge "), ("=>", "\\ge "), ("<=", "\\le "), ("=<", "\\le "), ("!=", "\\ne "),
                    ("=\\=", "\\ne "))
_TRIG = re.compile(r"(?:\\|(?<![A-Za-z\\]))(?:sin|cos|tan|cot|sec|csc)(?![a-zA-Z])")
"""A trig function, with its backslash or written plainly (`sin(60°)`): degrees inside it are converted."""
_DEGREE_MARK = r"\^\s*(?:\{\s*\\circ\s*\}|\\circ(?![A-Za-z]))"  # a closing brace only with its opening one
_DEGREE_NUMBER = re.compile(r"(\d+(?:\.\d+)?|\{[^{}]*\})\s*" + _DEGREE_MARK)
_TEMPERATURE = re.compile(r"\^\s*(?:\{\s*\\circ\s*\}|\\circ)\s?(?:[CF](?![A-Za-z])|\\(?:text|mathrm|textrm|rm)\s*\{\s*[CF]\s*\})")
_DEGREES_MINUTES = re.compile(r"(\d{1,3})\s*" + _DEGREE_MARK + r"\s*(\d{1,2}(?:\.\d+)?)\s*'(?!')"
                              r"(?:\s*(\d{1,2}(?:\.\d+)?)\s*(?:''|\"))?")
"""An angle in degrees, minutes and seconds as the whole answer: `22^\\circ 30'`, `10°15'36''`."""
_ANY_DEGREE_MARK = re.compile(_DEGREE_MARK + r"|\\degree(?![a-zA-Z])|\^(?:\{o\}|o(?![a-zA-Z]))")
_KNOWN_OPERATORS = frozenset("sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh log ln exp "
                             "lcm gcd max min det deg dim ker arg".split())
_CHOICE = re.compile(r"^\(?([A-J])\)?$|^([A-J])\)$|^\\text\{\(?([A-J])\)?\}$|^\(\\text\{([A-J])\}\)$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?\s*(a\.?\s?m\.?|p\.?\s?m\.?)?$", re.IGNORECASE)
_HOUR_WITH_MERIDIEM = re.compile(r"^(\d{1,2})\s*(a\.?\s?m\.?|p\.?\s?m\.?)$", re.IGNORECASE)
_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|\s+|.", re.DOTALL)
_ARTICLES = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


class NormalizationError(ValueError):
    """The text cannot be a single answer (too long, NUL bytes, unbalanced braces)."""


def normalize_answer(text: str, policy: GradingPolicy = DEFAULT_POLICY, *, comma_list: bool = False) -> str:
    """The canonical string of one answer, e.g. `$\\dfrac12$ cm.` -> `\\frac{1}{2}`. With `comma_list` (the
    problem's question asks for values separated by commas) a plain comma between digits separates items
    (`numbers.join_thousands`).

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
    text = _TRAILING_EMOJI.sub("", text.encode("utf-8", "replace").decode("utf-8").translate(FULL_WIDTH_FORMS))
    text = _FOREIGN_UNIT_TAIL.sub("", text)
    text = _PRIME_MARK.sub(r"\1", text)
    text = _UNICODE_ROOT.sub(_unicode_root, text)
    if not text.isascii():
        text = _unicode_scripts(text)
    text = unmistakable_decimal_commas(text)  # before `€` is dropped
    for old, new in _UNICODE:
        text = text.replace(old, new)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\{\s*\}(?=\s*\^)", "", text)  # `{}^{\circ}\mathrm{C}`: the empty group a superscript sits on
    text = _undo_double_escaping(text)
    text = strip_outer_delimiters(text)
    text = sympy_printout(text)
    if text.startswith("\\begin") and (derived := derivation_result(text) or system_of_equations(text)) is not None:
        text = derived  # `\\begin{aligned} x &= 2 + 1 \\\\ &= 3 \\end{aligned}`: the derivation's result; a system's values
    if not braces_balanced(text):
        raise NormalizationError("unbalanced braces")
    for old, new in _ASCII_RELATIONS:
        text = text.replace(old, new)
    text = join_thousands(text, comma_list)
    if policy.decimal_comma:
        text = apply_decimal_comma(text)
    text = _drop_layout(text)
    text = _PRIMES.sub(lambda m: "'" * m.group(0).count("prime"), text)
    text = plain_times_ten(text)
    for old, new in _SYNONYMS:
        text = re.sub(re.escape(old) + (r"(?![a-zA-Z])" if old[-1].isalpha() else ""), lambda _m, n=new: n, text)
    text = repeating_decimal(text)
    text = _unify_text_commands(text)
    text = _TRAILING_COMMENTARY.sub("", text)
    text = _without_parenthetical_remark(text)
    text = _INTEGER_PARAMETER.sub("", text)
    text = _FUNCTION_IDENTITY.sub("=", text)
    text = _units_before_approximation(text)
    text = _money_with_scale_letter(text)
    text = drop_unit_tail(text)
    text = _rewrite_font_commands(text)
    text = _unwrap_numeric_text(text)
    text = _drop_answer_label(text)
    fraction = fraction_from_words(_unwrap_text(text))
    if fraction is not None:  # `three quarters` is 3/4, not three of a unit
        return fraction_text(fraction)
    spelled = _spelled_number(_unwrap_text(text))
    if spelled is not None:
        return str(spelled)
    body, percent = split_percent(_unwrap_text(text))
    if percent and (spelled := _spelled_number(body)) is not None:
        return f"{spelled}%"  # `sixty percent`
    text = re.sub(r"\\(?:textdollar|dollar|usd)(?![a-zA-Z])", " ", text)
    text = text.replace("\\$", " ").replace("$", " ")
    text = re.sub(r"^\s*(?:\\approx|\\sim|~)\s*(?=[-\d.\\])", "", text)  # `\approx 5.00`: the value given
    text = mark_percent(text)
    text = _degrees(text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(?<!\\)[.;,]+$", "", text).strip()
    text = _words_after_value(text)
    text = _ORDINAL.sub(r"\1", text)
    text = _MIXED_NUMBER.sub(_mixed_number, text)
    text = rewrite_notation(text)
    text = _list_words_to_commas(text)
    text = _brace_macro_arguments(text, "\\frac", 2)
    text = _brace_macro_arguments(text, "\\binom", 2)
    text = _brace_macro_arguments(text, "\\sqrt", 1)
    if _ALL_REALS.fullmatch(text.strip()):
        return "(-\\infty,\\infty)"
    time = _time_of_day(text)
    if time is not None:
        return time
    choice = _choice_letter(text)
    if choice is not None:
        return choice
    whole_text = _whole_text(text)
    if whole_text is not None:
        return whole_text
    text = _unwrap_text(text).strip()
    text = _QUANTIFIER_BEFORE_RELATION.sub("", text)  # `\\text{all integers } k \\geq 2`: the relation says it
    time = _time_of_day(text)
    if time is not None:
        return time
    text = re.sub(r"^\+\s*(?=\d|\\infty)", "", text)
    text = re.sub(r"\^\s*(\d{2,})(?![\d.])", r"^{\1}", text)  # `2^10` is 2^{10}, as meant (LaTeX would set 2^1 0)
    text = re.sub(r"([_^])\s*([A-Za-z0-9])", r"\1{\2}", text)  # `\log_2 8` is log base 2 of 8, not of 28
    text = re.sub(r"_\s*(\\[A-Za-z]+)(?![A-Za-z])", r"_{\1}", text)  # `L_\odot` is `L_{\odot}`, one name
    text = re.sub(r"(?<![\w.\\])(\d+|[A-Za-z])!(?=\s*\^)", r"(\1!)", text)  # `50!^2` is `(50!)^2`
    text = _collapse_spaces(text)
    text = re.sub(r"(?<!\\)[.;,]+$", "", text)
    text = _leibniz_and_dots_as_primes(text)
    # a derivative keeps its order: `f''(x)` is not `f'(x)`, and neither is the product f*x
    text = re.sub(r"(?<![A-Za-z\\])([A-Za-z])('{1,3})(?!')", lambda m: f"{m.group(1)}_{{{'prime' * len(m.group(2))}}}",
                  text)
    choice = _choice_letter(text)
    return choice if choice is not None else text


_LEIBNIZ = re.compile(r"\\frac\{d(?:\^\{([23])\})?\s?([A-Za-z]|\\[a-zA-Z]+)\}\{d\s?[A-Za-z](?:\^\{([23])\})?\}")
_DOTS = re.compile(r"\\(dd?)ot(?:\{\s?([A-Za-z]|\\[a-zA-Z]+)\s?\}|\s([A-Za-z])(?![A-Za-z])|(\\[a-zA-Z]+))(?!\s?_)")
"""`\\dot{x}`, `\\ddot x`, `\\dot\\theta`; not a dotted name with an index (`\\dot{x}_{0}`, an initial velocity)."""


def _leibniz_and_dots_as_primes(text: str) -> str:
    """A derivative in Leibniz's or Newton's notation as primes (`\\frac{dx}{dt}`, `\\dot{x}` -> `x_{prime}`,
    `\\frac{d^{2}x}{dt^{2}}`, `\\ddot x` -> `x_{primeprime}`), the spelling `x'` takes: the d's are not
    variables that cancel (`\\frac{dx}{dt}` is not x/t)."""

    def leibniz(match: re.Match[str]) -> str:
        order, denominator_order = match.group(1) or "1", match.group(3) or "1"
        if order != denominator_order:
            return match.group(0)
        return f"{match.group(2)}_{{{'prime' * int(order)}}}"

    text = _LEIBNIZ.sub(leibniz, text)
    return _DOTS.sub(lambda m: f"{m.group(2) or m.group(3) or m.group(4)}_{{{'prime' * len(m.group(1))}}}", text)


_QUANTIFIER_BEFORE_RELATION = re.compile(
    r"^(?:for\s+)?(?:all|every|any|each)\s+(?:(?:real|numbers?|values?|of)\s+){0,4}"
    r"(?=[A-Za-z](?:_\{?\w+\}?)?\s*(?:\\ge|\\le|\\ne|\\in|<|>)(?![A-Za-z]))", re.IGNORECASE)
"""Words that quantify a relation over the reals written after them (`all real x > 3`); integers are kept
(`all integers x > 5` is not the interval `(5, \\infty)`)."""
_ORDINAL = re.compile(r"^(\d+)\s*(?:\^\s*\{?\s*)?(?:\\(?:text|mathrm)\{\s*)?(?:st|nd|rd|th)\s*\}?\s*\}?$")
"""An ordinal as the whole answer (`5th`, `5\\text{th}`, `21^{\\text{st}}`): the place it names, `5`."""

_ALL_REALS = re.compile(r"(?:[A-Za-z]\s?\\in\s?)?(?:\\R|\\text\{\s?(?:all\s)?real\s(?:numbers|values)\s?\}"
                        r"|(?:all\s)?real\s(?:numbers|values)|\\text\{\s?all\sreals\s?\}|all\sreals)", re.IGNORECASE)
"""The whole real line as an answer: `\\mathbb{R}`, `x \\in \\mathbb{R}`, `all real numbers` (= `(-\\infty, \\infty)`)."""
_MIXED_NUMBER = re.compile(r"(?<![\d.,/])(\d{1,6}) (\d{1,6})/(\d{1,6})(?![\d.,/])")


def _mixed_number(match: re.Match[str]) -> str:
    """`3 1/4` is the mixed number 3 1/4 (`3\\frac{1}{4}`), never 31/4 once spaces go; an improper
    `3 5/4` is left as written."""
    numerator, denominator = int(match.group(2)), int(match.group(3))
    if 0 < numerator < denominator:
        return f"{match.group(1)}\\frac{{{numerator}}}{{{denominator}}}"
    return match.group(0)


def _undo_double_escaping(text: str) -> str:
    """`\\\\frac{1}{2}` (a dump that escaped its backslashes twice) is `\\frac{1}{2}`. A real
    line break `\\\\` is followed by a space or a digit, and only occurs in matrices."""
    if "\\\\" not in text or "\\begin" in text:
        return text
    return re.sub(r"\\\\(?=[a-zA-Z(\[{])", r"\\", text)


def strip_outer_delimiters(text: str) -> str:
    """Remove math delimiters, a box and a brace group that wrap the whole text, repeatedly."""
    changed = True
    while changed:
        changed = False
        text = text.strip()
        for opening, closing in _MATH_DELIMITERS:
            if len(text) >= len(opening) + len(closing) and text.startswith(opening) and text.endswith(closing):
                inner = text[len(opening):len(text) - len(closing)]
                if opening == "$" and "$" in inner.replace("\\$", ""):
                    continue
                text = inner
                changed = True
                break
        for command in _WRAPPER_COMMANDS:
            if text.startswith(command + "{") and closing_brace(text, len(command)) == len(text) - 1:
                text = text[len(command) + 1:-1]
                changed = True
                break
        if text.startswith("{") and closing_brace(text, 0) == len(text) - 1:
            text = text[1:-1]  # a group around the whole answer (`${864 \mbox{ inches}^2}$`) only groups
            changed = True
    return text


def _drop_layout(text: str) -> str:
    for command in _LAYOUT_COMMANDS:
        if command in text:
            text = re.sub(re.escape(command) + (r"(?![a-zA-Z])" if command[-1].isalpha() else ""), "", text)
    text = re.sub(r"\\q?quad", " ", text)  # also when glued to a letter: `\\quadx_2`
    for spacing in _SPACING:
        if spacing in text:
            pattern = re.escape(spacing) + (r"(?![a-zA-Z])" if spacing[-1].isalpha() else "")
            text = re.sub(pattern, "" if spacing == "\\!" else " ", text)
    text = re.sub(r"\\hspace\*?\{[^{}]*\}|\\vspace\*?\{[^{}]*\}|\\phantom\{[^{}]*\}", " ", text)
    text = re.sub(r"\\(?:text)?color\{[^{}]*\}", "", text)  # `\\color{red}33`, `\\textcolor{red}{33}`: the colour goes
    return re.sub(r"(?<!\\)((?:\\\\)*)\\ ", r"\1 ", text)


_TRAILING_COMMENTARY = re.compile(
    r"(?<=\S)\s*\\text\{\s*[(,]?\s*(?:for\s+(?:all|every|any|each)|where|since|because)(?![A-Za-z]).*$", re.DOTALL)
"""Words after the value that say why or where it holds (`2x \\text{ for all } x \\in \\mathbb{R}`,
`5 \\text{ (since } x=3 \\text{ is extraneous)}`): the value is what comes before them."""
_PARENTHETICAL_REMARK = re.compile(
    r"(?<=\S)\s*(?:\\[,;:! ]|\\q?quad|~|\s)*"
    r"(?:\\text\{\s*(?=\((?!\s*[A-Z]\s*\)))"
    r"|(?=\(\s*(?:\\approx|\\sim(?![A-Za-z])|approx(?:imately|\.)?(?![A-Za-z])|\\text\{|[A-Za-z]\s*=)))")
"""A remark in parentheses after the value: another form of it or a comment, set as text or opened by `\\approx`,
a word set as text or an equation (`90^\\circ \\text{ (or } \\pi/2 \\text{ radians)}`, `\\frac{14}{3} \\quad (\\approx 4.67)`,
`204 \\text{ (3 h 24 min)}`, `110 \\quad (\\text{with } p = 17)`, `110 (p = 17)`): the value is what comes before it.
An alternative without the parenthesis (`2 \\text{ or } 3`) is two answers and stays, as do a product `3 (2x+1)`
and a choice letter `27 \\text{ (B)}`. So does a bare value offered as an alternative in the parenthesis
(`_OFFERED_ALTERNATIVE`)."""
_OFFERED_ALTERNATIVE = re.compile(r"\((?:\\text\{)?\s*or\s+\}?\s*(?P<value>.*?)\s*(?:\\text\{\s*)?\)", re.DOTALL)
"""`504 \\text{ (or } 505\\text{)}`, `x=5 \\ (\\text{or } x=6)`: a remark that offers another value (no words, so not
`(or \\pi/2 \\text{ radians})` nor `(or equivalently 0.5)`) is a second answer: the two are read as the list
`504 \\text{ or } 505`, which is one answer only where both are the same value."""
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_FUNCTION_IDENTITY = re.compile(r"(?:(?<=\))|(?<=^[fghpq]))\s*\\equiv(?![A-Za-z])(?!.*(?:\\[pb]?mod|\bmod\b))")
"""`f(x) \\equiv -1`, `f \\equiv 1`: a function equal to a constant everywhere, written as an identity (a congruence,
`n \\equiv 1 \\pmod 3`, has a modulus and stays)."""
_INTEGER_PARAMETER = re.compile(
    r"(?<=\S)\s*(?:[,;]|\\text\{\s*[,;]?\s*(?:where|for|with)?\s*\}|\()\s*(?:\\[,;:! ]|\\q?quad|~|\s)*"
    r"[A-Za-z]\s*\\in\s*(?:\\mathbb\{[ZN]\}|\\[ZN](?![A-Za-z]))\)?\s*$")
"""The integer parameter of a family of answers named after them (`\\frac{\\pi}{6} + k\\pi, k \\in \\mathbb{Z}`): the
family is what comes before it, with its parameter a symbol like any other."""


def _without_parenthetical_remark(text: str) -> str:
    """`text` without a final remark in parentheses (`_PARENTHETICAL_REMARK`): the group must close at the end of
    the answer, so a product or a chain (`\\frac{1}{2}(\\text{base})(\\text{height}) = 100`) stays whole."""
    for match in _PARENTHETICAL_REMARK.finditer(text):
        rest = text[match.end():]
        end = group_end(rest, "(", ")")  # the remark's `(` is where `rest` opens
        head = text[:match.start()].rstrip()
        if end > 0 and re.fullmatch(r"[\s}]*(?:\\text\{\s*\}[\s}]*)?", rest[end:]) and re.search(r"[0-9A-Za-z}]", head):
            alternative = _OFFERED_ALTERNATIVE.fullmatch(rest[:end])
            if alternative is None:
                return head
            value = alternative.group("value")
            if not value or _WORD.search(value) or not braces_balanced(value) or one_angle_in_two_units(head, value):
                return head
            return f"{head} \\text{{ or }} {value}"
    return text


def _units_before_approximation(text: str) -> str:
    """`100 \\text{ pc} \\approx 326 \\text{ ly}`: the units of the exact value before an approximation go
    too (those after it are the tail `drop_unit_tail` reads)."""
    approximation = re.search(r"\\approx(?![A-Za-z])", text)
    if approximation is None or approximation.start() == 0:
        return text
    head = text[:approximation.start()]
    dropped = drop_unit_tail(head)
    return text if dropped == head else f"{dropped.rstrip()} {text[approximation.start():]}"


def _unify_text_commands(text: str) -> str:
    for command in _TEXT_COMMANDS:
        if command in text:
            text = re.sub(re.escape(command) + r"(?![a-zA-Z])\s*\{", r"\\text{", text)
    return re.sub(r"\\text\s+\{", r"\\text{", text)


def _rewrite_font_commands(text: str) -> str:
    """`\\mathrm{X}`, `\\mathbf{X}`, `\\operatorname{X}`, `\\rm X` by what X is (module rules)."""
    for command in ("\\mathrm", "\\mathbf", "\\operatorname", "\\mathcal", "\\mathscr", "\\mathfrak"):
        start = 0
        while True:
            found = text.find(command + "{", start)
            if found < 0:
                found = text.find(command + " {", start)
                if found < 0:
                    break
            opening = text.index("{", found)
            end = closing_brace(text, opening)
            if end < 0:
                break
            inner = text[opening + 1:end].strip()
            replacement = _font_replacement(command, inner)
            text = text[:found] + replacement + text[end + 1:]
            start = found + len(replacement)
    return re.sub(r"\\rm\s+([A-Za-z]+)", r"\\text{\1}", text)


def _font_replacement(command: str, inner: str) -> str:
    if command == "\\operatorname":
        return "\\" + inner if inner in _KNOWN_OPERATORS else inner
    if command == "\\mathbf":
        return "\\vec{" + inner + "}" if re.fullmatch(r"[A-Za-z]", inner) else inner
    if command == "\\mathrm":
        words = inner.strip()
        if re.fullmatch(r"[A-Za-z][A-Za-z .]*", words) and (
                is_droppable_phrase(words, marked_as_text=True) or MERIDIEM_PATTERN.match(words)):
            return "\\text{" + words + "}"
        return inner
    return inner


def _spelled_number(text: str) -> int | None:
    """The integer a whole answer spells in English words, alone or before units and counted nouns (`two
    hundred ninety six dollars`, `five hours`: dropped as after digits), or None."""
    value = number_from_words(text)
    if value is not None:
        return value
    head = spelled_number_prefix(text)
    return head[0] if head is not None and is_droppable_phrase(text[head[1]:]) else None


def _degrees(text: str) -> str:
    """Degrees inside a trig function become radians; other degree marks are dropped, with the
    scale letter of a temperature (`25°C`, `77^{\\circ}F`, `-10^\\circ\\text{F}`); an angle in degrees and minutes (and seconds)
    is its value in degrees."""
    text = _TEMPERATURE.sub("", text)
    sexagesimal = _DEGREES_MINUTES.fullmatch(text.strip())
    if sexagesimal is not None:
        degrees, minutes, seconds = (Fraction(part or 0) for part in sexagesimal.groups())
        if minutes < 60 and seconds < 60:
            return fraction_text(degrees + minutes / 60 + seconds / 3600)  # 22°30' is 22.5 degrees, not 2230
    if _TRIG.search(text) and _ANY_DEGREE_MARK.search(text):
        text = _DEGREE_NUMBER.sub(lambda m: "(" + m.group(1) + "\\cdot\\frac{\\pi}{180})", text)
    return _ANY_DEGREE_MARK.sub("", text)


def _words_after_value(text: str) -> str:
    """Drop units and counted nouns after a value, apply multipliers, mark times of day."""
    for _ in range(4):
        stripped = text.rstrip()
        head, phrase, marked = _trailing_phrase(stripped)
        if phrase is None:
            break
        head = head.rstrip()
        if not head or not re.search(r"[\d})\\a-zA-Z|%]$", head):
            break
        factor = multiplier_of(phrase)
        scale_word, _, unit = phrase.strip().partition(" ")
        if factor is None and unit and is_droppable_phrase(unit, marked_as_text=marked):
            factor = multiplier_of(scale_word)  # `75 \text{ million years}`: the multiplier, then a unit
        if factor is not None:
            number = parse_exact_number(head.strip())
            if number is None or number.percent:
                break
            text = fraction_text(number.value * factor)
            continue
        if MERIDIEM_PATTERN.match(phrase) and re.fullmatch(r"\d{1,2}(?::\d{2})?", head.strip()):
            text = head.strip() + " " + phrase.strip()
            break
        if is_droppable_phrase(phrase, marked_as_text=marked) and re.search(r"[\d})|%]$|\\[a-zA-Z]+$", head):
            text = head.rstrip()
            continue
        break
    return text


def _trailing_phrase(text: str) -> tuple[str, str | None, bool]:
    """Split a trailing word group off `text`: `(head, phrase, marked_as_text)`.

    The group is a final `\\text{...}` (with an optional `^2`/`^3`), or bare words after the
    last non-letter character (`12 square feet`, `5 m^2`).
    """
    power = re.search(r"\^\{?[23]\}?$", text)
    base = text[:power.start()] if power else text
    if base.endswith("}"):
        start = base.rfind("\\text{")
        if start >= 0 and closing_brace(base, start + 5) == len(base) - 1:
            words = base[start + 6:-1]
            if "\\" not in words and "{" not in words:
                return base[:start], words, True
        return text, None, False
    match = re.search(r"(?<=[\d})%\s])\s*([A-Za-z][A-Za-z./]*(?:\s+[A-Za-z][A-Za-z./]*){0,3})$", base)
    if match is None or "\\" in base[max(0, match.start() - 1):match.start()]:
        return text, None, False
    head = base[:match.start()]
    if head.rstrip().endswith("\\") or re.search(r"\\[a-zA-Z]+$", head.rstrip()) and not head.endswith(" "):
        return text, None, False
    return head, match.group(1), False


def _unwrap_numeric_text(text: str) -> str:
    """A whole answer wrapped in one `\\text{...}` holding a digit (`\\text{18 students}`,
    `\\text{4:30 p.m.}`) is read as math: its words are then units, times or list words."""
    if text.startswith("\\text{") and closing_brace(text, 5) == len(text) - 1 and re.search(r"\d", text):
        return text[6:-1].strip()
    return text


_LABEL_WORDS = r"[A-Za-z][A-Za-z'\-]*(?: [A-Za-z][A-Za-z'\-]*){0,7}?"
_LABEL_VERB = r"(?:is|are|was|equals|=|:)"
_VALUE_START = r"(?=[-+\d.\\({\[|$]|[A-Za-z](?![A-Za-z]))"
_FILLER = r"(?:(?:approximately|about|roughly|exactly)\s)?"
_TEXT_LABEL = re.compile(r"^\\text\{\s*(?P<label>" + _LABEL_WORDS + r")\s*(?P<inner>" + _LABEL_VERB + r")?\s*\}\s*"
                         r"(?P<outer>=|:)?\s*" + _FILLER + _VALUE_START)
_BARE_LABEL = re.compile(r"^(?P<label>" + _LABEL_WORDS + r")\s*(?P<verb>\b(?:is|are|was|equals)\b|=|:)\s*"
                         + _FILLER + _VALUE_START)
_NAME_WORD = r"[A-Za-z][A-Za-z0-9]*"
_TEXT_NAME = re.compile(r"\s*\\text\{\s*(" + _NAME_WORD + r")\s*\}\s*")
"""One name set as text (`\\text{LRMC}`)."""
_SHORT_LABELS = frozenset({"max", "min", "sum", "area", "cost", "total", "answer", "result", "value", "mean",
                           "median", "mode", "range", "speed", "time", "distance", "volume", "length", "width",
                           "height", "perimeter", "price", "profit", "age", "rate", "ratio"})
"""Single words a box puts before `=` as a label (`\\boxed{\\text{answer} = 24}`, `\\boxed{max = 7}`);
any other single lower-case word before `=` is a product of letters (`abc = 6`)."""


_PRIMES = re.compile(r"\^\s*\{\s*(?:\\prime\s*){1,3}\}|\^\s*\\prime(?![a-zA-Z])")
"""A derivative's prime as a superscript (`y^{\\prime}`, `f^{\\prime\\prime}`, `y^\\prime`): written `y'`, `f''`."""
_LEADING_CONNECTIVE = re.compile(r"^(?:\\(?:therefore|because|implies|Rightarrow|Longrightarrow|hence)(?![a-zA-Z])\s*)+")
"""A connective that opens an answer (`\\therefore x = 4`, `\\Rightarrow x = 4`): not part of the value."""


def _drop_answer_label(text: str) -> str:
    """A label written before the value in a box (`\\text{The area is } 24`, `\\text{Answer: } 24`,
    `\\text{Total cost} = \\$24`, `The area is 24`) goes: the answer is the value after it.

    A `\\text{...}` label goes when it ends in `is`, `are`, `equals`, `:` or is followed by `=`
    or `:`; a bare label of words goes before `is`/`are`/`equals`/`:`, and before `=` when it
    has several words or is a word such as `answer`, `total`, `area` (`xyz = 6` keeps its
    letters). The value must start like math: a digit, sign, bracket, command or one letter."""
    text = _LEADING_CONNECTIVE.sub("", text)
    labelled = _TEXT_LABEL.match(text)
    if labelled is not None and (labelled.group("inner") or labelled.group("outer")):
        named = _TEXT_NAME.fullmatch(text[labelled.end():])
        if labelled.group("outer") == "=" and named is not None and re.fullmatch(_NAME_WORD, labelled.group("label")) \
                and labelled.group("label").lower() not in _SHORT_LABELS:
            return f"{labelled.group('label')}={named.group(1)}"  # `\text{SRMC} = \text{LRMC}`: two names equal
        return text[labelled.end():]
    labelled = _BARE_LABEL.match(text)
    if labelled is None:
        return text
    label, verb = labelled.group("label"), labelled.group("verb")
    if verb in ("=", ":") and " " not in label and label.lower() not in _SHORT_LABELS:
        return text
    return text[labelled.end():]


_BARE_LIST_WORD = re.compile(r"(?<=[\d}\])a-zA-Z%])\s*,?\s*\b(?:and|or)\b\s*(?=[-+\d\\({\[a-zA-Z])"
                             r"|(?<=[\d)])(?:and|or)(?=[A-Z(])")


def _list_words_to_commas(text: str) -> str:
    """`2, 3 and 4`, `2 \\text{ and } 3`, `(1,2) or (2,1)` -> comma lists; the words of a
    `\\text{...}` answer (`\\text{salt and pepper}`) are left alone."""
    text = re.sub(r",?\s*\\text\{\s*,?\s*(?:and|or)\s*\}\s*", ",", text)
    pieces = re.split(r"(\\text\{[^{}]*\})", text)
    text = "".join(piece if piece.startswith("\\text{") else _BARE_LIST_WORD.sub(",", piece) for piece in pieces)
    return text.strip(",")


def _read_argument(text: str, start: int) -> tuple[str, int] | None:
    """One TeX macro argument at `start` (after spaces): a braced group, a command or one char."""
    index = start
    while index < len(text) and text[index] == " ":
        index += 1
    if index >= len(text):
        return None
    if text[index] == "{":
        end = closing_brace(text, index)
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


def _time_of_day(text: str) -> str | None:
    """`4:30 p.m.` -> `4:30pm`, `9\\text{ a.m.}` -> `9:00am`, `12:00` -> `12:00`; None otherwise."""
    candidate = _unwrap_text(text).strip() if "\\text{" in text else text
    candidate = " ".join(candidate.split())
    match = _TIME.match(candidate)
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours > 24 or minutes > 59:
            return None
        return f"{hours}:{minutes:02d}{_meridiem(match.group(3))}"
    match = _HOUR_WITH_MERIDIEM.match(candidate)
    if match and 1 <= int(match.group(1)) <= 12:
        return f"{int(match.group(1))}:00{_meridiem(match.group(2))}"
    return None


def _meridiem(word: str | None) -> str:
    if not word:
        return ""
    return "am" if word.strip().lower().startswith("a") else "pm"


def _choice_letter(text: str) -> str | None:
    match = _CHOICE.match(text.strip())
    if match is None:
        return None
    return next(group for group in match.groups() if group)


def _whole_text(text: str) -> str | None:
    """A whole-text answer (`\\text{Monday}`) stays `\\text{...}` (lower case, articles and
    extra spaces dropped) when its content has a word; None otherwise."""
    if not text.startswith("\\text{") or closing_brace(text, 5) != len(text) - 1:
        return None
    inner = " ".join(text[6:-1].split()).strip()
    if "\\" in inner or "{" in inner or not re.search(r"[a-zA-Z]{2}", inner):
        return None
    if re.fullmatch(r"\(?[A-J]\)?(?:\s*,\s*\(?[A-J]\)?)+", inner):  # a list of choices: A, C, F
        return None
    if re.match(r"\([A-J]\)\s", inner) and not re.search(r"\([A-J]\)", inner[3:]):  # `\text{(C) Plane}`: a choice
        # with its option's words (`\text{(C) and (D)}` names two choices)
        return None
    return "\\text{" + _ARTICLES.sub("", inner.lower()).strip(" .") + "}"


def _unwrap_text(text: str) -> str:
    """`\\text{X}` becomes `X` everywhere (after units were dropped)."""
    for _ in range(50):
        start = text.find("\\text{")
        if start < 0:
            break
        end = closing_brace(text, start + 5)
        if end < 0:
            break
        inner = text[start + 6:end].strip()
        text = text[:start] + inner + text[end + 1:]
    return text


def _collapse_spaces(text: str) -> str:
    """Remove spaces except where they separate a command from a following letter (`\\pi r`)
    or a word from a word (`no solution` is not `nosolution`; `2 x y` is `2xy`)."""
    tokens = _TOKEN.findall(text)
    out: list[str] = []
    for position, token in enumerate(tokens):
        if token.isspace():
            previous = out[-1] if out else ""
            following = tokens[position + 1] if position + 1 < len(tokens) else ""
            if previous[-1:].isalpha() and following[:1].isalpha() and (
                    previous.startswith("\\") or _letter_run(tokens[:position], backwards=True) >= 2
                    or _letter_run(tokens[position + 1:], backwards=False) >= 2):
                out.append(" ")
            continue
        out.append(token)
    return "".join(out)


def _letter_run(tokens: list[str], *, backwards: bool) -> int:
    """How many single letters stand together at the end (or start) of `tokens`."""
    count = 0
    for token in (reversed(tokens) if backwards else tokens):
        if len(token) == 1 and token.isalpha():
            count += 1
        else:
            break
    return count


_UNBASED_LOG = re.compile(r"\\log(?![A-Za-z_])")


def log_read_like_reference(canonical: str, reference_canonical: str | None) -> str:
    """An answer's `\\log` without a base read as `\\ln` where its reference writes natural logarithms and no
    `\\log` (`\\log 2 + i\\pi/3` for `\\ln 2 + i\\pi/3`): `\\log` alone means the natural logarithm in the
    analysis and physics such answers come from; elsewhere it stays base 10."""
    if reference_canonical is None or "\\ln" not in reference_canonical or "\\log" in reference_canonical:
        return canonical
    return _UNBASED_LOG.sub(r"\\ln", canonical)

