"""OlympiadBench: the English, text-only mathematics problems of OlympiadBench (He et al. 2024), 675 problems.

Records: `id`, `question`, `context` (null throughout this set; prepended to the question when
present), `solution` (a list of worked solutions), `final_answer` (a list of answer strings in
`$...$`, e.g. `['$(1,8,19), (2,7,13), (4,5,7)$']`), `is_multiple_answer` (the problem has
several answers, written in one string separated by commas), `answer_type` (Numerical 572,
Expression 64, Tuple 33, Interval 6), `unit`, `subfield` and `error` (the numeric tolerance the
authors allow, given for one problem).

The reference is the final answer with its `$` delimiters (and a closing full stop) removed, the
entries of a longer list joined by ", ". A multi-answer reference is a list the grader compares
as an unordered collection; tuples stay ordered and intervals keep their ends. `meta` keeps
`subject` (the subfield), `answer_type`, `multiple_answers`, and `unit` / `tolerance` when given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.errors import InputError
from evalkit.records import Problem
from tasks.data import id_text, require_field, require_text
from tasks.registry import RecordSource, Task


def clean_final_answer(answer: str) -> str:
    """One `final_answer` entry without math delimiters: `'$(-\\infty, 0) \\cup\\{1\\}$.'` -> `'(-\\infty, 0) \\cup\\{1\\}'`."""
    text = answer.replace("$", "").strip()
    while text.endswith(".") and not text.endswith("\\."):
        text = text[:-1].rstrip()
    return text


def olympiad_reference(record: Mapping[str, Any], source: RecordSource) -> str:
    """The reference answer from `final_answer` (a non-empty list of strings)."""
    answers = require_field(record, "final_answer", source)
    if not isinstance(answers, list) or not answers or not all(isinstance(item, str) for item in answers):
        raise InputError(f"expected a non-empty list of strings, got {answers!r}"[:200], path=source.location,
                         line=source.line, field="final_answer")
    cleaned = [clean_final_answer(item) for item in answers]
    if not all(cleaned):
        raise InputError(f"empty answer in {answers!r}"[:200], path=source.location, line=source.line,
                         field="final_answer")
    return ", ".join(cleaned)


def olympiad_solution(record: Mapping[str, Any], source: RecordSource) -> str | None:
    """The worked solutions joined by blank lines (None when the record has none)."""
    solutions = record.get("solution")
    if solutions is None:
        return None
    if isinstance(solutions, str):
        return solutions
    if not isinstance(solutions, list) or not all(isinstance(item, str) for item in solutions):
        raise InputError("expected a list of strings", path=source.location, line=source.line, field="solution")
    return "\n\n".join(solutions)


def parse_olympiadbench_record(record: Mapping[str, Any], source: RecordSource) -> Problem:
    """One OlympiadBench record as a `Problem`."""
    question = require_text(record, "question", source)
    context = record.get("context")
    if context is not None:
        if not isinstance(context, str):
            raise InputError("expected a string or null", path=source.location, line=source.line, field="context")
        if context.strip():
            question = f"{context.strip()}\n\n{question}"
    multiple = record.get("is_multiple_answer", False)
    if not isinstance(multiple, bool):
        raise InputError(f"expected true or false, got {multiple!r}", path=source.location, line=source.line,
                         field="is_multiple_answer")
    meta: dict[str, Any] = {"multiple_answers": multiple}
    for field, key in (("subfield", "subject"), ("answer_type", "answer_type"), ("unit", "unit"),
                       ("error", "tolerance")):
        value = record.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InputError("expected a string or null", path=source.location, line=source.line, field=field)
        meta[key] = value
    return Problem(
        id=id_text(record, "id", source),
        task="olympiadbench",
        question=question,
        reference=olympiad_reference(record, source),
        solution=olympiad_solution(record, source),
        meta=meta,
    )


TASK = Task(
    name="olympiadbench",
    description="OlympiadBench English text-only maths, 675 problems; reference = final_answer without $ "
                "(multi-answer lists unordered, tuples ordered, intervals)",
    splits={"test": "olympiadbench/test.jsonl"},
    parse_record=parse_olympiadbench_record,
    default_prompt_format="reasoning",
)
