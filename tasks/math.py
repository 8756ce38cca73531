"""MATH (Hendrycks et al. 2021): 12,500 competition problems, test 5000 and train 7500.

Records: `problem`, `solution`, `level` ("Level 3"), `type` (subject), `unique_id`
("test/algebra/1.json"). There is no answer field: the reference answer is the last
`\\boxed{...}` of the solution, extracted with the same code that grades model outputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evalkit.errors import InputError
from evalkit.grading.extract import boxed_contents, find_answer, last_boxed
from evalkit.grading.normalize import NormalizationError, normalize_answer
from evalkit.records import Problem
from tasks.data import require_text
from tasks.registry import HubSource, RecordSource, Task

MATH_SUBJECT_CONFIGS = (
    "algebra", "counting_and_probability", "geometry", "intermediate_algebra",
    "number_theory", "prealgebra", "precalculus",
)
_LEVEL_TEXT = re.compile(r"Level\s+(\d+|\?)")
_EMPTY_BOX = re.compile(r"\\boxed\s*\{\s*\}")


def parse_level(value: Any, source: RecordSource) -> int | None:
    """A MATH difficulty level as an int: `"Level 3"` or `3` -> 3; `"Level ?"` (two train problems) -> None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = _LEVEL_TEXT.fullmatch(value.strip())
        if match:
            return None if match.group(1) == "?" else int(match.group(1))
    raise InputError(f"expected 'Level N', 'Level ?' or an integer, got {value!r}",
                     path=source.location, line=source.line, field="level")


_ASKS_FOR_ALL = re.compile(r"(?:enter|find|list|give)\s+(?:all|both|the\s+two)|all\s+(?:possible\s+|the\s+)?(?:real\s+)?"
                           r"(?:values|solutions|roots)|separated\s+by\s+(?:commas?|semicolons?)", re.IGNORECASE)
"""A question that asks for every answer (`Enter all the solutions, separated by commas.`)."""
_ASKS_FOR_ONE = re.compile(r"only\s+one\s+of|one\s+of\s+the\s+\w+,\s+not\s+both", re.IGNORECASE)
"""A question that asks for one answer of several (`Enter only one of the foci, not both.`)."""


def _distinct(values: list[str]) -> list[str]:
    """`values` without the ones written before in another spelling (`10\\sqrt{2}`, `10\\sqrt 2`)."""
    seen: dict[str, str] = {}
    for value in values:
        try:
            key = normalize_answer(value)
        except NormalizationError:
            key = value
        seen.setdefault(key, value)
    return list(seen.values())


def reference_from_solution(solution: str, source: RecordSource, question: str | None = None) -> str:
    """The answer of a reference solution: its last `\\boxed{}` ("" if that box is empty; no box at
    all is a bad record), or, when the question asks for every answer and the solution boxes each
    (`the solutions are $\\boxed{-2}$ and $\\boxed{1}$`, or one box per case in its own paragraph),
    its distinct boxes as one list (test/algebra/1878: `1` was the reference, and the right answer
    `-2, 1` wrong; test/intermediate_algebra/2089: `10879` for `-10879, 10879`)."""
    if question is not None and _ASKS_FOR_ALL.search(question) and not _ASKS_FOR_ONE.search(question):
        values = _distinct(boxed_contents(solution))
        if len(values) > 1:  # `so b = \\boxed{-10879}.  If r = -1, .. so b = \\boxed{10879}.`: both values
            return ", ".join(values)
        joined = find_answer(solution, "boxed").answer
        if joined:
            return joined
    answer = last_boxed(solution)
    if answer is None and _EMPTY_BOX.search(solution):
        # train/number_theory/7115.json and 7117.json end in an empty `\\boxed{}`: keep the records,
        # with an empty reference, rather than drop them or refuse the whole split.
        return ""
    if answer is None:
        raise InputError("solution has no \\boxed{...} answer", path=source.location, line=source.line,
                         field="solution")
    return answer


def parse_math_record(record: Mapping[str, Any], source: RecordSource) -> Problem:
    """One MATH record as a `Problem` with `meta = {"subject", "level"}`."""
    solution = require_text(record, "solution", source)
    if "level" not in record:
        raise InputError("missing field", path=source.location, line=source.line, field="level")
    return Problem(
        id=require_text(record, "unique_id", source),
        task="math",
        question=require_text(record, "problem", source),
        reference=reference_from_solution(solution, source, require_text(record, "problem", source)),
        solution=solution,
        meta={"subject": require_text(record, "type", source), "level": parse_level(record["level"], source)},
    )


TASK = Task(
    name="math",
    description="MATH, 5000 test / 7500 train competition problems; reference = last \\boxed{} of the solution (all its boxes "
                "where the question asks for all solutions)",
    splits={"test": "math/test.jsonl", "train": "math/train.jsonl"},
    parse_record=parse_math_record,
    default_prompt_format="minerva",
    hub=HubSource(dataset="EleutherAI/hendrycks_math", configs=MATH_SUBJECT_CONFIGS, id_field="unique_id"),
)
