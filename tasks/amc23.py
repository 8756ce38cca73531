"""AMC 2023: 40 problems of the AMC 12 2023 (A and B), asked without their answer choices.

Records: `id` (0..39), `problem` (and an identical `question`), `answer` (a float such as
`27.0`; every answer is a whole number) and `url` (the AoPS wiki page). The reference is the
answer written as an integer (`27`), so that it reads as an exact number; `meta.subject` is the
contest ("AMC 12A" / "AMC 12B").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evalkit.records import Problem
from tasks.data import answer_text, id_text, require_text
from tasks.registry import RecordSource, Task

_AOPS_PAGE = re.compile(r"(\d{4})_AMC_(\d+[AB])_Problems/Problem_(\d+)")


def amc_meta(url: Any) -> dict[str, Any]:
    """`{"subject": "AMC 12A", "year": 2023, "number": 1, "url": ...}` from an AoPS wiki url ({} otherwise)."""
    match = _AOPS_PAGE.search(url) if isinstance(url, str) else None
    if match is None:
        return {}
    return {"subject": f"AMC {match.group(2)}", "year": int(match.group(1)), "number": int(match.group(3)), "url": url}


def parse_amc23_record(record: Mapping[str, Any], source: RecordSource) -> Problem:
    """One AMC 2023 record as a `Problem` with an integer reference."""
    return Problem(
        id=id_text(record, "id", source),
        task="amc23",
        question=require_text(record, "problem", source),
        reference=answer_text(record, "answer", source),
        meta=amc_meta(record.get("url")),
    )


TASK = Task(
    name="amc23",
    description="AMC 12 2023 (A and B), 40 problems without answer choices; reference = the answer (27.0 -> 27)",
    splits={"test": "amc23/test.jsonl"},
    parse_record=parse_amc23_record,
    default_prompt_format="reasoning",
)
