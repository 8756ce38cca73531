"""GSM8K (Cobbe et al. 2021): grade-school word problems, test 1319 and train 7473.

Records: `question` and `answer`, whose last line is `#### <integer>` (sometimes with
thousands commas) and whose reasoning carries calculator annotations `<<3*4=12>>`.
Problems have no ids of their own, so the id is `gsm8k/<split>/<0-based line index>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evalkit.errors import InputError
from evalkit.grading.policy import GradingPolicy
from evalkit.records import Problem
from tasks.data import require_text
from tasks.registry import HubSource, RecordSource, Task

_FINAL_LINE = re.compile(r"^####\s*(.+?)\s*$", re.MULTILINE)
_CALCULATOR_ANNOTATION = re.compile(r"<<[^<>]*>>")


def gsm8k_reference(answer: str, source: RecordSource) -> str:
    """The final number after `#### `, thousands commas removed (`1,234` -> `1234`)."""
    matches = _FINAL_LINE.findall(answer)
    if not matches:
        raise InputError("no final '#### <number>' line", path=source.location, line=source.line, field="answer")
    return matches[-1].replace(",", "")


def strip_calculator_annotations(answer: str) -> str:
    """The reference solution without `<<expr=value>>` calculator annotations."""
    return _CALCULATOR_ANNOTATION.sub("", answer)


def parse_gsm8k_record(record: Mapping[str, Any], source: RecordSource) -> Problem:
    """One GSM8K record as a `Problem` with a positional id."""
    answer = require_text(record, "answer", source)
    return Problem(
        id=f"gsm8k/{source.split}/{source.index}",
        task="gsm8k",
        question=require_text(record, "question", source),
        reference=gsm8k_reference(answer, source),
        solution=strip_calculator_annotations(answer),
        meta={},
    )


TASK = Task(
    name="gsm8k",
    description="GSM8K, 1319 test / 7473 train grade-school word problems; reference = the number after ####",
    splits={"test": "gsm8k/test.jsonl", "train": "gsm8k/train.jsonl"},
    parse_record=parse_gsm8k_record,
    default_prompt_format="gsm8k_cot",
    grading=GradingPolicy(extraction="gsm8k"),
    hub=HubSource(dataset="openai/gsm8k", configs=("main",)),
)
