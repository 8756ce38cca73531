"""Shared by the grading review tests: grade (reference, response, expected verdict) cases at once."""

from __future__ import annotations

from evalkit.grading import grade


def disagreements(cases: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool, str | None]]:
    """The cases whose verdict differs from the expected one, each with the answer the grader read."""
    verdicts = grade([response for _, response, _ in cases], [reference for reference, _, _ in cases], workers=1)
    return [(reference, response, expected, verdict.answer)
            for (reference, response, expected), verdict in zip(cases, verdicts) if verdict.correct != expected]


def disagreements_in_questions(cases: list[tuple[str | None, str, str, bool]]) -> list[tuple[str | None, str, str, bool]]:
    """The (question, reference, response, expected verdict) cases whose verdict differs from the
    expected one, each graded in its problem's question (None: not known)."""
    verdicts = grade([response for _, _, response, _ in cases], [reference for _, reference, _, _ in cases],
                     questions=[question for question, _, _, _ in cases], workers=1)
    return [case for case, verdict in zip(cases, verdicts) if verdict.correct != case[3]]
