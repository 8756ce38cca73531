"""What a problem's question says about how its reference is read: the one record of it.

A reference alone does not say everything: `0.4` may be a rounded value or an exact one
(`rounding.asks_for_rounding` reads the question for that), and `40` may be a percentage written
without its mark or a number of dollars. `QuestionReading` holds what the question decided, made
by `GradingPolicy.read_question` (the task's convention decides whether the question is read at
all), carried with each answer to `compare.matches`. An unknown question (None) reads as the
most lenient case, as the grader did before questions were known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from evalkit.grading.units import question_words

_SPEAKS_OF_PERCENT = re.compile(r"percent|\\%|%|\b(?:pass|passing|interest|growth|success|failure|error|tax|discount|"
                                r"inflation|survival|completion|approval|acceptance|win|winning|occupancy|vacancy|"
                                r"dropout|graduation|unemployment|attendance)\s+rates?\b", re.IGNORECASE)
"""How a question asks for (or speaks of) a percentage: `What percent of`, `percentage`, `\\%`, or a
rate given in percent (`the school's overall pass rate`, `the interest rate`; not `a rate of $5 per hour`)."""
_ASKS_TO_FACTOR = re.compile(r"(?:^|[.:!?]\s+)(?:completely\s+|fully\s+)?factor\b(?!\s+of\b)", re.IGNORECASE)
"""A question whose sentence opens with the command to factor (`Factor $t^2-49$.`, `Completely factor the
expression`): its answer is a product, and the expanded polynomial, equal as it is, does not answer it."""


_ASKS_TO_EXPAND = re.compile(r"(?:^|[.:!?]\s+)expand\b", re.IGNORECASE)
"""A question whose sentence opens with the command to expand (`Expand $(x+2)(x+3)$.`, `Expand and simplify ...`):
its answer is a sum of terms, and the product, equal as it is, does not answer it."""


UNIT_WORDS = {
    "m": r"met(?:er|re)s?", "s": r"seconds|(?:per|a|one|each|\d)\s+second", "g": r"grams?", "h": r"hours?", "K": r"kelvins?",
    "J": r"joules?", "W": r"watts?", "N": r"newtons?", "V": r"volts?", "A": r"amp(?:ere)?s?",
    "C": r"coulombs?|(?:degrees?\s+)?(?:celsius|centigrade)", "F": r"farads?", "T": r"teslas?", "L": r"lit(?:er|re)s?",
}
_UNIT_NAMED = {letter: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for letter, words in UNIT_WORDS.items()}
"""The unit of each one-letter SI symbol (metre, second, gram, hour, kelvin, joule, watt, newton, volt, ampere,
coulomb or degree Celsius, farad, tesla, litre) as a question names it (`How many meters does he run?`)."""


@dataclass(frozen=True)
class QuestionReading:
    """What the question of one problem says about its reference (module notes)."""

    rounded_reference: bool = True
    """Whether a reference written as a decimal accepts the answers that round to it."""
    percent_mark_accepted: bool = True
    """Whether a reference without a percent mark also accepts the same number with one (`40` and
    `40\\%`): the question speaks of percentages, or is not known. A number of dollars is not right
    with a percent mark."""
    factored_form_asked: bool = False
    """Whether the question asks to factor: then an answer to a reference written as a product of
    factors with variables must be a product too (`(t-7)(t+7)`, not `t^2-49`)."""
    expanded_form_asked: bool = False
    """Whether the question asks to expand: then an answer to a reference with variables written as a sum of terms
    must hold no product of a sum with another factor, nor a power of a sum (`x^2+5x+6`, not `(x+2)(x+3)`)."""
    options: tuple[tuple[str, str], ...] = ()
    """The answer options the question lists, as (letter, text) in order (`(A) Line (B) Circle (C) Plane`):
    an answer that gives the text of an option is that option's letter (`Plane` for `(C)`)."""
    decimal_form_asked: bool = False
    """Whether the question's task is to write a number as a decimal (`Write $\\frac{3}{20}$ as a decimal.`): then a
    fraction that equals a reference written as a decimal does not answer it (`\\frac{3}{20}` for `0.15`)."""
    percent_form_asked: bool = False
    """Whether the question asks for a percentage (`What percent of ...?`, `as a percent`): then a reference `p\\%`
    is not answered by the fraction p/100 written bare (`0.2` for `20\\%`, which reads as 0.2 percent)."""
    unit_letters: frozenset[str] = frozenset()
    """The one-letter unit symbols whose units the question names (`m` when it speaks of meters): after
    a number, such a letter is that unit (`540 m` answers a reference `540`), not a variable (unknown
    question: none, as `\\frac{37}{4} m` may be a mass)."""
    declared_order: tuple[str, ...] = ()
    """The names whose values the answer gives in order, as the question declares them (`all pairs $(k, n)$`,
    `the ordered triple $(p,q,r)$`; `declared_order`): an answer that names its values (`n = 4, k = 2`) gives
    the reference's tuple in that order, whatever order it writes them in; and a reference that lists as many bare
    values as the question names (`19, 0, 1` for "the values of $x, y$ and $z$") needs them in that order."""


_NAME_TUPLE = re.compile(r"\(\s*([A-Za-z](?:_\{?\w{1,3}\}?)?(?:\s*,\s*[A-Za-z](?:_\{?\w{1,3}\}?)?){1,7})\s*\)")
"""A tuple of names (`(k, n)`, `(p,q,r)`, `(x_1, x_2)`)."""


def name_key(name: str) -> str:
    """A name as written in a question or an answer, compared without braces and spaces (`x_{1}` is `x_1`)."""
    return re.sub(r"[{}\s]", "", name)


_ASKED_NAMES = re.compile(r"\b(?:determine|find|compute|calculate|give|what\s+are)\s+(?:both\s+|all\s+|each\s+of\s+)?"
                          r"(?:the\s+values?\s+of\s+)?(\$[^$]{1,60}\$(?:\s*(?:,|,?\s*and)\s*\$[^$]{1,60}\$)+)",
                          re.IGNORECASE)
"""Names a question asks the values of, in order (`determine both $a$ and $b$`, `find $w$, $d$, $a$ and $b$`, `What are
the values of $a, h$ and $k$?`, `Determine the values of $T(10), T(11)$ and $T(12)$.`)."""
_ASKED_NAME = re.compile(r"[A-Za-z](?:_\{?\w{1,3}\}?)?(?:\(\s*\d+\s*\))?")
"""One name of those: a letter with an index (`x_1`) or a value of a function at a number (`T(10)`)."""


def _asked_names(spans: str) -> tuple[str, ...]:
    names = [name.strip() for span in re.findall(r"\$([^$]*)\$", spans) for name in span.split(",")]
    return tuple(name_key(name) for name in names) if all(_ASKED_NAME.fullmatch(name) for name in names) else ()


def declared_order(question: str) -> tuple[str, ...]:
    """The names of the ordered answer a question declares (`Find all pairs $(k, n)$ of positive integers`; else the
    names it asks the values of, `determine both $a$ and $b$`), as `name_key`s; none when it writes no tuple of
    distinct names, or tuples of other names (which order is meant is then not known)."""
    tuples = {tuple(name_key(name) for name in match.group(1).split(","))
              for match in _NAME_TUPLE.finditer(question)}
    if not tuples:
        tuples = {_asked_names(match.group(1)) for match in _ASKED_NAMES.finditer(question)}
    tuples = {names for names in tuples if len(names) > 1 and len(set(names)) == len(names)}
    return next(iter(tuples)) if len(tuples) == 1 else ()


def unit_letters_named(question: str) -> frozenset[str]:
    """The one-letter SI unit symbols whose units a question names, less the letters its math uses as
    variables (`a circle of radius $s$`)."""
    names = math_names(question)
    return frozenset(letter for letter, named in _UNIT_NAMED.items() if named.search(question) and letter not in names)


def math_names(question: str) -> frozenset[str]:
    """The names a question's math uses (`m` in `a mass $m$`, `R` in `$R_{\\mathrm{WD}}$`), outside upright text and
    commands: after a number in an answer, such a name is a variable, not a unit."""
    math = " ".join(_UPRIGHT.sub(" ", "".join(groups)) for groups in _MATH_SPAN.findall(question))
    return frozenset(re.findall(r"(?<![A-Za-z\\])[A-Za-z]{1,3}(?![A-Za-z])", math))


_MATH_SPAN = re.compile(r"\$\$?([^$]+)\$\$?|\\\(((?:[^\\]|\\(?![()]))*+)\\\)|\\\[((?:[^\\]|\\(?![][]))*+)\\\]")
"""A math span of a question. A span's text stops at the next opening of its kind and never backtracks, so a question
of 20,000 unclosed `\\(` is read in linear time."""
_UPRIGHT = re.compile(r"\\(?:mathrm|text|textrm|operatorname|rm)\s*\{[^{}]*\}")
"""Upright text in math (`\\mathrm{m}`, `\\text{ s}`): units and words, not variables."""


_ASKS_FOR_A_DECIMAL = re.compile(r"\b(?:write|convert|express|rewrite|what\s+is|find)\s+\$[^$]{1,80}\$\s*(?:,\s*)?"
                                 r"(?:expressed\s+|written\s+)?(?:as|to|into|in)\s+(?:a\s+)?(?:terminating\s+)?decimal"
                                 r"(?:\s+form)?\s*[.?]", re.IGNORECASE)
"""A question whose task is to write a given number as a decimal (`Write $\\frac{3}{20}$ as a decimal.`, `Convert
$\\frac{57}{160}$ to a terminating decimal.`, `What is $\\frac{9}{2}$ expressed as a decimal?`): the given fraction
restated does not answer it. A question that only asks for its result as a decimal (`What is $b+c$ (as a
decimal)?`, `Express your answer as a decimal to the nearest tenth.`) accepts any exact form of it."""


def asks_for_a_decimal(question: str) -> bool:
    """Whether a question's task is to write a given number as a decimal (`_ASKS_FOR_A_DECIMAL`)."""
    return _ASKS_FOR_A_DECIMAL.search(question) is not None


_ASKS_FOR_A_COMMA_LIST = re.compile(r"\bseparated\s+by\s+(?:a\s+)?commas?\b|\bcomma[- ]separated\b|"
                                    r"\ba\s+comma\s+(?:and\s+then\s+a\s+space\s+)?between\b", re.IGNORECASE)
"""How a question asks for several values written with commas between them (`Enter all the solutions, separated by
commas.`, `as a comma-separated list`)."""


def asks_for_a_comma_list(question: str) -> bool:
    """Whether a question asks for its values separated by commas: then `70,110` lists two of them."""
    return _ASKS_FOR_A_COMMA_LIST.search(question) is not None


def asks_for_a_mixed_number(question: str) -> bool:
    """Whether a question asks for its answer as a mixed number: then `137 and 1/2` is one number."""
    return re.search(r"\bmixed\s+numbers?\b", question, re.IGNORECASE) is not None


def asks_to_factor(question: str) -> bool:
    """Whether a question asks to factor an expression."""
    return _ASKS_TO_FACTOR.search(question) is not None


def asks_to_expand(question: str) -> bool:
    """Whether a question asks to expand an expression."""
    return _ASKS_TO_EXPAND.search(question) is not None


_ASKS_FOR_A_PERCENT = re.compile(r"\b(?:what|which|by\s+what)\s+(?:is\s+the\s+)?(?:percent(?:age)?|%)(?![a-z])|"
                                 r"\b(?:as|in|into)\s+(?:a\s+)?percent(?:age)?s?\b|\bnearest\s+(?:\w+\s+){0,2}percent\b|"
                                 r"\bpercent(?:age)?\s+(?:increase|decrease|change|error|score)s?\b", re.IGNORECASE)
"""How a question asks for its answer as a percentage: `What percent of ...`, `By what percent ...`, `Express your answer
as a percent`, `to the nearest tenth of a percent`, `the percent increase`."""


def asks_for_a_percent(question: str) -> bool:
    """Whether a question asks for its answer as a percentage (`_ASKS_FOR_A_PERCENT`)."""
    return _ASKS_FOR_A_PERCENT.search(question) is not None


def speaks_of_percent(question: str) -> bool:
    """Whether a question asks for, or speaks of, a percentage."""
    return _SPEAKS_OF_PERCENT.search(question) is not None


_OPTION_LABEL = re.compile(r"\\textbf\s*\{\s*\(([A-J])\)\s*\}|(?<![A-Za-z0-9\\])\(([A-J])\)(?=\s)")
"""The label of an answer option: `(C)` before a space, or AMC's `\\textbf{(C)}`."""
_OPTION_TEXT_END = re.compile(r"\s*(?:\n\s*\n|Enter\b|Choose\b|Which\b|Select\b).*\Z", re.DOTALL)
_OPTION_SPACING = re.compile(r"\\q?quad\b|\\[ ,;:!]|~|\$")


def answer_options(question: str) -> tuple[tuple[str, str], ...]:
    """The options a question lists for its answer, as (letter, text) pairs, when it labels at least
    three of them A, B, C, ... in order (`(A) Line (B) Circle (C) Plane ... Enter the letter`, or AMC's
    `$\\textbf{(A)}\\ 3(1 + r)^x = 7\\qquad \\textbf{(B)}\\ ...$`); else none. Each text runs to the next
    label, and the last to a blank line or the instruction after it."""
    labels = list(_OPTION_LABEL.finditer(question))
    letters = [match.group(1) or match.group(2) for match in labels]
    start = next((i for i, letter in enumerate(letters) if letter == "A"), None)
    if start is None:
        return ()
    run = [labels[start]]
    for match, letter in zip(labels[start + 1:], letters[start + 1:]):
        if letter != chr(ord("A") + len(run)):
            break
        run.append(match)
    if len(run) < 3:
        return ()
    options = []
    for index, match in enumerate(run):
        end = run[index + 1].start() if index + 1 < len(run) else len(question)
        text = question[match.end():end]
        if index + 1 == len(run):
            text = _OPTION_TEXT_END.sub("", text)
        text = " ".join(_OPTION_SPACING.sub(" ", text).split()).strip(" .,;")
        if not text or '"' in text or "[/asy]" in text:
            return ()  # labels inside a figure's code, not options
        options.append((chr(ord("A") + index), text))
    return tuple(options)


_ASKED_EXPRESSION = re.compile(
    r"\b(?:find|compute|evaluate|determine|calculate|what\s+is|what\s+are|give|simplify|expand|rationalize|express|"
    r"rewrite|write|convert)\s+(?:the\s+value\s+of\s+)?\$([^$]{1,80})\$\s*(?:[.?,;]|$|(?:as|in|into|to)\b)",
    re.IGNORECASE)


_ASKED_DISPLAY = re.compile(
    r"\b(?:find|compute|evaluate|calculate|what\s+is|simplify|expand|rationalize|rewrite)\b"
    r"(?:[^$\\.?]|\$[A-Za-z]\$){0,60}?(?:\$\$([^$]{1,200})\$\$|\\\[(.{1,200}?)\\\])", re.IGNORECASE | re.DOTALL)
"""The same command with its expression set as a display (`Simplify the following expression in $x$: $$19x + 1 - 4x -
81.$$`, `Simplify \\[\\frac{\\sec x}{\\sin x} - \\frac{\\sin x}{\\cos x}.\\]`)."""


def asked_expressions(question: str) -> tuple[str, ...]:
    """The expressions a question asks the value (or another form) of, as written (`find $a + b$.`, `What is
    $f(2)$?`, `Simplify $\\sqrt{242}$.`, `Express $0.\\overline{3}$ as a common fraction.`, also set as a display,
    less the sentence's full stop)."""
    inline = [match.group(1).strip() for match in _ASKED_EXPRESSION.finditer(question)]
    displayed = [re.sub(r"(?:\\[,;!]|\s)*[.,]\s*\Z", "", match.group(1) or match.group(2)).strip()
                 for match in _ASKED_DISPLAY.finditer(question)]
    return tuple(dict.fromkeys(inline + [expression for expression in displayed  # not an equation, nor an aligned display
                                         if expression and "=" not in expression and "\\\\" not in expression]))



@dataclass(frozen=True)
class AskedQuantity:
    """What kind of number a question asks for, so that an answer sentence naming several numbers gives the one
    asked (`It takes Carla 160 minutes to download the 200 GB file.` answers "How many minutes"): the words of the
    thing counted (`minute`, `vacuum`, `cleaner`, lower-case, without a plural `s`; "how many X", "find the number
    of X", times for "how long", ages for "how old", distances for "how far"), a sum of money, a percentage; and
    the plain numbers the question itself states (`given`), which a sentence naming several values does not
    answer with when it names one the question does not (`5 cars drove through in the first 15 minutes`)."""

    nouns: frozenset[str] = frozenset()
    money: bool = False
    percent: bool = False
    given: frozenset[Fraction] = frozenset()
    expressions: frozenset[str] = frozenset()
    """The expressions the question asks the value of (`asked_expressions`), names alone aside, without spaces
    (`m+n`): an equation that gives one of them after the boxed answer (`... \\boxed{\\frac{100}{13}}$. So $m+n = 113$.`) answers it."""
    mixed_number: bool = False
    """The question asks for a mixed number: `137 and 1/2` is then one number, not a list of two."""


_COUNTED = r"((?:[A-Za-z]+\s+){0,2}?[A-Za-z]+)"
"""The words of the thing a question counts: one to three words, up to a verb, a preposition or punctuation."""
_COUNTED_END = r"\b|\s*[?,.$]|\s*$)"
_HOW_MANY = re.compile(rf"\bhow\s+many\s+{_COUNTED}(?=\s+(?:are|is|was|were|do|does|did|will|would|can|could|should|"
                       rf"has|have|had|must|it|in|of|remain|left|there|exist){_COUNTED_END}", re.IGNORECASE)
_NUMBER_OF = re.compile(rf"\b(?:find|calculate|compute|determine|what\s+is|what's)\s+the\s+(?:total\s+)?number\s+of\s+"
                        rf"{_COUNTED}(?=\s+(?:that|which|who|whose|such|with|in|of|for|are|is|can|does|do|satisfying|"
                        rf"where|exist|the|it|he|she|they|his|her|its|their){_COUNTED_END}", re.IGNORECASE)
_HOW_LONG = re.compile(r"\bhow\s+long\b", re.IGNORECASE)
_TIME_NOUNS = frozenset({"second", "minute", "hour", "day", "week", "month", "year"})
_HOW_OLD = re.compile(r"\bhow\s+old\b", re.IGNORECASE)
_HOW_FAR = re.compile(r"\bhow\s+far\b", re.IGNORECASE)
_DISTANCE_NOUNS = frozenset({"mile", "kilometer", "kilometre", "km", "meter", "metre", "feet", "foot", "yard", "inche",
                             "centimeter", "centimetre", "unit", "block", "lap"})
_ASKS_MONEY = re.compile(r"\bhow\s+(?:much|many\s+dollars)\b(?:\s+(?:money|more|less|did|does|do|will|would|is|was|are|were|"
                         r"[A-Z][a-z]+|he|she|they|it|each|the|in))*\s*(?:\w+\s+){0,3}?(?:earn|make|cost|pay|spend|save|charge|"
                         r"receive|get|owe|need|raise|lose|profit|money|dollars|worth|change|tip|budget)", re.IGNORECASE)


_STATED_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|(?<![\d.,])\d+(?:\.\d+)?")
"""A number written in digits, with thousands grouped by commas or not (`2,000`, `2000`, `0.5`)."""
_PLAIN_AMOUNT = re.compile(r"(?:\\?\$\s*)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")


def plain_number(text: str) -> Fraction | None:
    """The number a plain amount writes (`2,000`, `$5`, `\\$1.50`, `0.5`), or None for anything else."""
    amount = _PLAIN_AMOUNT.fullmatch(text.strip())
    return Fraction(amount.group(1).replace(",", "") + (amount.group(2) or "")) if amount is not None else None


_A_NAME = re.compile(r"\\?[A-Za-z]+(?:_\{?\w+\}?)?")
"""A name alone (`x`, `AB`, `a_1`), which a later equation may name in passing; not an expression worked out."""


def asked_quantity(question: str | None) -> AskedQuantity | None:
    """What kind of number `question` asks for (`AskedQuantity`), or None when it says none of these."""
    if not question:
        return None
    nouns: frozenset[str] = frozenset()
    counted = _HOW_MANY.search(question)
    if counted is not None:
        nouns = question_words(counted.group(1)) - {"more", "fewer", "less", "times", "total", "different"}
    elif (counted := _NUMBER_OF.search(question)) is not None:
        nouns = question_words(counted.group(1)) - {"different", "distinct", "possible", "total"}
    if _HOW_LONG.search(question):
        nouns |= _TIME_NOUNS
    if _HOW_OLD.search(question):
        nouns |= {"year", "old"}
    if _HOW_FAR.search(question):
        nouns |= _DISTANCE_NOUNS
    asked = AskedQuantity(nouns=nouns, money=_ASKS_MONEY.search(question) is not None,
                          percent=asks_for_a_percent(question),
                          given=frozenset(plain_number(number) for number in _STATED_NUMBER.findall(question)),
                          expressions=frozenset(re.sub(r"\s+", "", expression) for expression in asked_expressions(question)
                                                if not _A_NAME.fullmatch(expression.strip())),
                          mixed_number=asks_for_a_mixed_number(question))
    return asked if asked != AskedQuantity() else None
