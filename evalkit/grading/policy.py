"""`GradingPolicy`: every grading choice that is a benchmark's convention rather than mathematics.

Mathematics is the same for every task (`\\frac{1}{2}` is `0.5` everywhere); conventions are
not: whether `0,5` may be a decimal comma, whether a reference written as a decimal accepts
answers within a relative tolerance (Minerva's OCW problems), how answers are found in a
response. Each task declares one frozen policy (`tasks/<name>.py`), the run records it, and
the grader reads every convention from it and from nowhere else.

The rules that are *not* conventions (exact references need exact answers, a decimal reference
of a problem that asks for rounding accepts answers equal at its precision, units on the unit list are dropped, `\\%` marks a
percentage) are written in `evalkit/grading/compare.py` and the README's grading section.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from evalkit.grading.question import (QuestionReading, answer_options, asks_for_a_decimal, asks_for_a_percent,
                                      asks_to_expand, asks_to_factor, declared_order, speaks_of_percent,
                                      unit_letters_named)
from evalkit.grading.rounding import asks_for_rounding

DECIMAL_REFERENCE_RULES = ("question", "rounded")
"""When a reference written as a decimal asks for its written precision: `question` (unless the
problem's question is known and asks for no rounded value, `rounding.asks_for_rounding`) or
`rounded` (always: a task whose decimal answers are rounded whatever the question says)."""

EXTRACTION_STYLES = ("auto", "boxed", "gsm8k")
"""How answers are found in a response: `auto` (boxes, answer lines, `####`, a final math
span), `boxed` (boxes only), `gsm8k` (`####` and answer lines first, then the last number)."""


@dataclass(frozen=True)
class GradingPolicy:
    """The conventions one task grades by.

    - `extraction`: one of `EXTRACTION_STYLES`.
    - `decimal_comma`: `0,5` and `3,14` are decimals (continental notation). Off by default: then a
      comma separates list items or groups thousands, and a decimal comma is never inferred
      inside a list (`0, 1` is two items).
    - `relative_tolerance`: when positive, a number equals a numeric reference when their relative
      difference is at most this (Minerva/OCW answers such as `7.2e-4` or `4.5 \\times 10^{33}`; an
      integer reference too, which may be a rounded physical value: `2.02` is within 1% of `2`).
      Zero (the default) means the reference's written precision decides.
    - `decimal_references`: one of `DECIMAL_REFERENCE_RULES`. With `question` (the default) a
      decimal reference accepts answers that round to it (`0.67` accepts `\\frac23`) unless the
      problem's question is known and asks for no rounded value (`Find 2.4 \\div 6`: `0.4` is
      exact, and `0.36` is wrong); with `rounded` it always does.
    """

    extraction: str = "auto"
    decimal_comma: bool = False
    relative_tolerance: float = 0.0
    decimal_references: str = "question"

    def __post_init__(self) -> None:
        if self.extraction not in EXTRACTION_STYLES:
            raise ValueError(f"grading policy: extraction must be one of {', '.join(EXTRACTION_STYLES)}, "
                             f"got {self.extraction!r}")
        if not isinstance(self.decimal_comma, bool):
            raise ValueError(f"grading policy: decimal_comma must be true or false, got {self.decimal_comma!r}")
        tolerance = self.relative_tolerance
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
                or not math.isfinite(tolerance) or not 0 <= tolerance < 1:
            raise ValueError(f"grading policy: relative_tolerance must be a number in [0, 1), got {tolerance!r}")
        object.__setattr__(self, "relative_tolerance", float(tolerance))
        if self.decimal_references not in DECIMAL_REFERENCE_RULES:
            raise ValueError(f"grading policy: decimal_references must be one of {', '.join(DECIMAL_REFERENCE_RULES)}, "
                             f"got {self.decimal_references!r}")

    def rounds_to_decimal_reference(self, question: str | None) -> bool:
        """Whether a decimal reference of a problem with this `question` (None: not known) accepts
        the answers that round to it."""
        return self.decimal_references == "rounded" or question is None or asks_for_rounding(question)

    def read_question(self, question: str | None) -> QuestionReading:
        """What the question of a problem (None: not known) says about reading its reference."""
        return QuestionReading(rounded_reference=self.rounds_to_decimal_reference(question),
                               percent_mark_accepted=question is None or speaks_of_percent(question),
                               factored_form_asked=question is not None and asks_to_factor(question),
                               expanded_form_asked=question is not None and asks_to_expand(question),
                               options=answer_options(question) if question is not None else (),
                               decimal_form_asked=question is not None and asks_for_a_decimal(question),
                               percent_form_asked=question is not None and asks_for_a_percent(question),
                               unit_letters=unit_letters_named(question) if question is not None else frozenset(),
                               declared_order=declared_order(question) if question is not None else ())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GradingPolicy":
        """A policy from its `to_dict` form; unknown fields are a `ValueError` naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"grading policy: unknown field {unknown[0]!r}; known fields: {', '.join(sorted(known))}")
        return cls(**dict(data))


DEFAULT_POLICY = GradingPolicy()
