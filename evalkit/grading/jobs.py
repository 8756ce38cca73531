"""The work a grading worker does for one response, one answer or one pair of answers (pure functions).

`solve_extraction` finds the answer of one response; `solve_answer` parses one distinct canonical answer, gives its key and fingerprint, and decides
whether it matches the reference; `solve_pair` decides whether two answers with different keys
but equal fingerprints are equal. Both run inside the worker pool (`pool.py`), one item at a
time with a hard time limit, so a hostile answer costs only its own verdict. Plain numbers never
need SymPy: `is_plain_number` tells the caller when it may run `solve_answer` in-process.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Hashable

from evalkit.grading.compare import equal, matches
from evalkit.grading.extract import Extraction, find_answer
from evalkit.grading.keys import fingerprint, value_key
from evalkit.grading.numbers import parse_exact_number
from evalkit.grading.policy import GradingPolicy
from evalkit.grading.question import AskedQuantity, QuestionReading
from evalkit.grading.values import Expr, Number, ParseError, Value, describe, parse_value

_PARSE_FAILURES = (ParseError, RecursionError, ValueError, TypeError, AttributeError, ZeroDivisionError,
                   OverflowError, NotImplementedError)


@dataclass(frozen=True)
class AnswerJob:
    """One distinct canonical answer of a problem, with the problem's canonical reference."""

    reference: str | None
    answer: str
    policy: GradingPolicy
    fingerprint: bool = True
    """Whether clustering needs the answer's fingerprint (grading alone does not)."""
    reading: QuestionReading = QuestionReading()
    """What the problem's question says about reading the reference (`GradingPolicy.read_question`)."""


@dataclass(frozen=True)
class AnswerOutcome:
    """What a worker found about one answer. `rule` names what decided `correct`."""

    parsed: bool
    key: str | None
    fingerprint: Hashable | None
    correct: bool
    rule: str | None
    answer_value: str | None
    reference_value: str | None


@dataclass(frozen=True)
class PairJob:
    """Two canonical answers of one problem with different keys and equal fingerprints."""

    first: str
    second: str


@dataclass(frozen=True)
class ExtractionJob:
    """One response to search for its answer (`extract.find_answer`), with what its finish reason and its
    problem's question say."""

    response: object
    style: str
    ended_normally: bool = False
    cut_off: bool = False
    asked: AskedQuantity | None = None


def solve_extraction(job: ExtractionJob) -> Extraction:
    """The answer of one response: `find_answer` in a worker, so that long responses are searched in parallel and
    under the pool's time limit."""
    return find_answer(job.response, job.style, ended_normally=job.ended_normally, cut_off=job.cut_off,
                       asked=job.asked)


UNPARSED = "unparsed"
"""How the description of a value that could not be parsed begins (`unparsed: <the parser's message>`)."""


def is_plain_number(canonical: str | None) -> bool:
    """Whether a canonical answer is one plain number (decided without SymPy)."""
    return canonical is not None and parse_exact_number(canonical) is not None


@lru_cache(maxsize=16384)
def _parsed(canonical: str) -> Value | str:
    """The value of a canonical answer, or the parse error's message."""
    try:
        return parse_value(canonical)
    except _PARSE_FAILURES as error:
        return f"{UNPARSED}: {str(error)[:120] or type(error).__name__}"


def solve_answer(job: AnswerJob) -> AnswerOutcome:
    """Parse, key and grade one answer (see the module notes)."""
    value = _parsed(job.answer)
    reference = _parsed(job.reference) if job.reference is not None else None
    reference_text = describe(reference) if reference is not None and not isinstance(reference, str) else reference
    if isinstance(value, str):
        same = job.reference is not None and job.answer == job.reference
        return AnswerOutcome(False, None, None, same, "same canonical string" if same else value, None, reference_text)
    correct, rule = False, None
    if job.reference is not None:
        if job.answer == job.reference:
            correct, rule = True, "same canonical string"
        elif isinstance(reference, str):
            rule = "reference " + reference
        else:
            decision = matches(reference, value, job.policy, reading=job.reading)
            correct, rule = decision.equal, decision.rule
    keyed = _as_the_question_reads_it(value, job.reading)
    digest = fingerprint(keyed) if job.fingerprint else None
    return AnswerOutcome(True, value_key(keyed), digest, correct, rule, describe(value), reference_text)


def _as_the_question_reads_it(value: Value, reading: QuestionReading) -> Value:
    """The value clustering keys: where the question asks for a percentage, `21\\%` and `21` are one answer (the mark
    only repeats what was asked), as they are when they equal the reference."""
    if reading.percent_form_asked and isinstance(value, (Number, Expr)) and value.percent:
        return replace(value, percent=False)
    return value


def solve_pair(job: PairJob) -> bool:
    """Whether two parsed answers are exactly equal (`compare.equal`)."""
    first, second = _parsed(job.first), _parsed(job.second)
    if isinstance(first, str) or isinstance(second, str):
        return False
    return equal(first, second).equal
