"""MATH-500: the 500-problem MATH test subset of PRM800K (Lightman et al. 2023).

Records: `problem`, `solution`, `answer` (already extracted), `subject`, `level` (an int)
and `unique_id`, the same ids as the full MATH test set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.errors import InputError
from evalkit.records import Problem
from tasks.data import require_text
from tasks.math import parse_level
from tasks.registry import HubSource, RecordSource, Task


def parse_math500_record(record: Mapping[str, Any], source: RecordSource) -> Problem:
    """One MATH-500 record as a `Problem`; the reference is the record's `answer` as given."""
    if "level" not in record:
        raise InputError("missing field", path=source.location, line=source.line, field="level")
    return Problem(
        id=require_text(record, "unique_id", source),
        task="math500",
        question=require_text(record, "problem", source),
        reference=require_text(record, "answer", source),
        solution=require_text(record, "solution", source),
        meta={"subject": require_text(record, "subject", source), "level": parse_level(record["level"], source)},
    )


TASK = Task(
    name="math500",
    description="MATH-500, the PRM800K test subset of MATH; reference = the given answer",
    splits={"test": "math/math500.jsonl"},
    parse_record=parse_math500_record,
    default_prompt_format="minerva",
    hub=HubSource(dataset="HuggingFaceH4/MATH-500", id_field="unique_id"),
)
