"""Grading: extract answers, parse them to typed values, compare, cluster.

`equivalent` answers one question; `grade`, `cluster_many` and `grade_groups` do whole runs with
worker processes and time limits (see `api.py` for how the work is split).
"""

from evalkit.grading.api import (
    GroupGrade,
    Verdict,
    answer_of,
    cluster,
    cluster_many,
    equivalent,
    grade,
    grade_groups,
)
from evalkit.grading.extract import extract_answer, last_boxed

__all__ = [
    "GroupGrade",
    "Verdict",
    "answer_of",
    "cluster",
    "cluster_many",
    "equivalent",
    "extract_answer",
    "grade",
    "grade_groups",
    "last_boxed",
]
