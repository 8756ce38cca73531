"""AIME 2025: the 30 problems of the American Invitational Mathematics Examination 2025 (I and II).

Records: `problem`, `answer` (an integer, stored as a JSON number) and `id` ("0".."29"). There
is no reference solution and no contest label in the file. The reference is `answer` written
as an integer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.records import Problem
from tasks.data import answer_text, id_text, require_text
from tasks.registry import RecordSource, Task


def parse_aime25_record(record: Mapping[str, Any], source: RecordSource) -> Problem:
    """One AIME 2025 record as a `Problem`."""
    return Problem(
        id=id_text(record, "id", source),
        task="aime25",
        question=require_text(record, "problem", source),
        reference=answer_text(record, "answer", source),
        meta={},
    )


TASK = Task(
    name="aime25",
    description="AIME 2025 I and II, 30 problems, integer answers 0-999; reference = the given answer",
    splits={"test": "aime25/test.jsonl"},
    parse_record=parse_aime25_record,
    default_prompt_format="reasoning",
)
