"""AIME 2024: the 30 problems of the American Invitational Mathematics Examination 2024 (I and II).

Records: `id` (60..89), `problem` (and an identical `question`), `solution` (the AoPS wiki's
solutions, often several, the last usually ending in a box), `answer` (an integer 0-999 as a
string) and `url` (the AoPS wiki page, which names the contest and problem number). The
reference is `answer`; `meta.subject` is the contest ("AIME I" / "AIME II") for breakdowns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evalkit.records import Problem
from tasks.data import answer_text, id_text, require_text
from tasks.registry import RecordSource, Task

_AOPS_PAGE = re.compile(r"(\d{4})_AIME_(I{1,2})_Problems/Problem_(\d+)")


def aime_meta(url: Any) -> dict[str, Any]:
    """`{"subject": "AIME I", "year": 2024, "number": 1, "url": ...}` from an AoPS wiki url ({} when it names no AIME problem)."""
    match = _AOPS_PAGE.search(url) if isinstance(url, str) else None
    if match is None:
        return {}
    return {"subject": f"AIME {match.group(2)}", "year": int(match.group(1)), "number": int(match.group(3)), "url": url}


def parse_aime24_record(record: Mapping[str, Any], source: RecordSource) -> Problem:
    """One AIME 2024 record as a `Problem`; the reference is the given integer answer."""
    return Problem(
        id=id_text(record, "id", source),
        task="aime24",
        question=require_text(record, "problem", source),
        reference=answer_text(record, "answer", source),
        solution=require_text(record, "solution", source),
        meta=aime_meta(record.get("url")),
    )


TASK = Task(
    name="aime24",
    description="AIME 2024 I and II, 30 problems, integer answers 0-999; reference = the given answer",
    splits={"test": "aime24/test.jsonl"},
    parse_record=parse_aime24_record,
    default_prompt_format="reasoning",
)
