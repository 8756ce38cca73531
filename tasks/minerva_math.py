"""Minerva Math: the 272 undergraduate STEM problems of Lewkowycz et al. 2022 ("OCWCourses"),
from MIT OpenCourseWare courses (solid-state chemistry, astronomy, differential equations,
relativity, ...).

Records: `problem`, `solution`, `type` (the course) and `idx` (0..271). There is no answer
field: the reference is the last `\\boxed{}` of the solution, as for MATH. Many answers are
decimals rounded to two or three significant figures, often in scientific notation (`4.5e33`,
`7.2e-4`) and with units stated in the question; by convention they are graded with a numeric
tolerance, here 1% relative to references written as decimals. Exact references (integers,
fractions, expressions) stay exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.grading.policy import GradingPolicy
from evalkit.records import Problem
from tasks.data import id_text, require_text
from tasks.math import reference_from_solution
from tasks.registry import RecordSource, Task

MINERVA_RELATIVE_TOLERANCE = 0.01
"""1%: the OCW answers depend on physical constants and intermediate rounding that the questions
leave open (sigma = 5.67e-5 or 5.7e-5, g = 9.8 or 9.81), so a correctly solved answer can differ from
the rounded reference by about a percent. Only references written as decimals get the tolerance;
besides it, an answer equal to the reference at the reference's written precision is correct."""


def parse_minerva_record(record: Mapping[str, Any], source: RecordSource) -> Problem:
    """One Minerva Math record as a `Problem`; the reference is the last box of the solution."""
    solution = require_text(record, "solution", source)
    return Problem(
        id=id_text(record, "idx", source),
        task="minerva_math",
        question=require_text(record, "problem", source),
        reference=reference_from_solution(solution, source),
        solution=solution,
        meta={"subject": require_text(record, "type", source)},
    )


TASK = Task(
    name="minerva_math",
    description="Minerva's 272 MIT OCW STEM problems; reference = last \\boxed{} of the solution; 1% relative tolerance",
    splits={"test": "minerva_math/test.jsonl"},
    parse_record=parse_minerva_record,
    default_prompt_format="reasoning",
    # OCW answers are written to a few figures whether or not the question says so: every decimal
    # reference asks for its precision
    grading=GradingPolicy(relative_tolerance=MINERVA_RELATIVE_TOLERANCE, decimal_references="rounded"),
)
