"""Grading: extract answers, parse them to typed values, compare, cluster.

`equivalent` answers one question; `grade`, `cluster_many` and `grade_groups` do whole runs with
worker processes and time limits (see `api.py` for how the work is split).

The names are loaded on first use (PEP 562), so that importing a light submodule such as
`evalkit.grading.extract` or the CLI does not pay for importing SymPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Grader": "evalkit.grading.api",
    "GradingPolicy": "evalkit.grading.policy",
    "Extraction": "evalkit.grading.extract",
    "explain": "evalkit.grading.api",
    "find_answer": "evalkit.grading.extract",
    "reference_answer": "evalkit.grading.api",
    "GroupGrade": "evalkit.grading.api",
    "Verdict": "evalkit.grading.api",
    "cluster": "evalkit.grading.api",
    "cluster_many": "evalkit.grading.api",
    "equivalent": "evalkit.grading.api",
    "grade": "evalkit.grading.api",
    "grade_groups": "evalkit.grading.api",
    "extract_answer": "evalkit.grading.extract",
    "last_boxed": "evalkit.grading.extract",
}

__all__ = [
    "Extraction", "Grader", "GradingPolicy", "explain", "find_answer", "reference_answer", "GroupGrade", "Verdict", "cluster", "cluster_many", "equivalent", "extract_answer", "grade",
    "grade_groups", "last_boxed",
]

if TYPE_CHECKING:
    from evalkit.grading.api import (
        Grader,
        GroupGrade,
        explain,
        reference_answer,
        Verdict,
        cluster,
        cluster_many,
        equivalent,
        grade,
        grade_groups,
    )
    from evalkit.grading.extract import Extraction, extract_answer, find_answer, last_boxed
    from evalkit.grading.policy import GradingPolicy


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit.grading' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
