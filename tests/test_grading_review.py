"""Grading defects found by checking the grader against public graders' test suites and the answer
formats real models write (2026-12 review): one test per kind of defect."""

from __future__ import annotations

import pytest

from evalkit.grading import cluster, equivalent, find_answer, grade, grade_groups


def _disagreements(cases: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool, str | None]]:
    verdicts = grade([response for _, response, _ in cases], [reference for reference, _, _ in cases], workers=1)
    return [(reference, response, expected, verdict.answer)
            for (reference, response, expected), verdict in zip(cases, verdicts) if verdict.correct != expected]


def test_words_that_deny_bound_or_bracket_a_value_state_no_value():
    assert _disagreements([
        ("5", "The answer is not 5.", False),
        ("5", "The answer is not $5$.", False),
        ("5", "The answer is at least 5.", False),
        ("5", "The answer is greater than $5$.", False),
        ("6", "The answer is less than $6$.", False),
        ("6", "The answer is no more than 6.", False),
        ("6", "The answer is between $5$ and $6$.", False),
        ("6", "The answer is not $5$ but $6$.", True),
        ("6", "The answer is $6$, not $5$.", True),
        ("5", "The answer is 5.", True),
        ("5", "The answer is below: 5", True),
        ("10", "The answer is thenumber 10", True),
    ]) == []


def test_alternatives_joined_by_or_are_a_list_not_their_last_value():
    assert _disagreements([
        ("6", "The answer is either $5$ or $6$.", False),
        ("6", "The answer is either 5 or 6.", False),
        ("6", "So $x$ is either $5$ or $6$.", False),
        ("6", "Then $x$ could be $5$ or $6$.", False),
        ("5, 6", "Thus $x = 5$ or $x = 6$.", True),
        ("-2, 1", "Therefore, $n = -2$ or $n = 1$.", True),
        ("1, 2, 3", "So $k$ is $1$, $2$, or $3$.", True),
        ("1, 2, 3", "The answer is $1$, $2$, and $3$.", True),
        ("4", "We get $a = 3$ and $b = 4$.", True),  # `and` may join a value to another quantity
    ]) == []
    assert find_answer("Thus $x = 5$ or $x = 6$.").answer == "x = 5, x = 6"


@pytest.mark.parametrize("answer", ["2abc", "\\frac{1}{2}at^2", "2e^{it}", "6xyz", "abc+1", "-(ab + ac + bc)",
                                    "2 - ab", "x(t) = 2e^{it}"])
def test_letters_written_against_math_are_variables_not_prose(answer: str):
    # The last-number fallback used to read `2abc` as 2: `equivalent("2", "2abc")` was True and
    # `equivalent("2abc", "2abc")` False.
    assert find_answer(answer).answer == answer
    assert equivalent(answer, answer)
    assert not equivalent("2", answer) and not equivalent("6", answer) and not equivalent("1", answer)


def test_prose_around_a_number_is_still_prose():
    assert find_answer("It is well-known that the answer is 5").answer == "5"
    assert find_answer("x = 5 (answer)").answer == "5"
    assert equivalent("18", "18 students")
    assert equivalent("12", "The total is 12 cookies (3 batches of 4)")


@pytest.mark.parametrize("token", ["<｜end▁of▁sentence｜>", "<|end_of_text|>", "<end_of_turn>", "<eos>", "<|eom_id|>"])
def test_text_after_an_end_of_text_token_is_not_the_response(token: str):
    assert find_answer(f"So \\boxed{{5}}{token}\n\nNext question: \\boxed{{6}}").answer == "5"


def test_bare_lists_keep_repeated_items_and_sets_do_not():
    assert _disagreements([
        ("16,3,1,1", "\\boxed{16, 3, 1}", False),  # OlympiadBench 2356 asks for (w, d, a, b)
        ("16,3,1,1", "\\boxed{1, 16, 1, 3}", True),
        ("1,2,2", "1,2", False),
        ("1,2", "1,2,2", True),  # a reference without repeats: a solution named twice is still named
        ("(1,2),(3,4)", "(3,4),(1,2),(3,4)", True),
        ("\\{1,2\\}", "1, 2, 2", True),
        ("\\{1,2,2\\}", "1, 2", True),
        ("\\{1,2,2\\}", "\\{2,1\\}", True),
        ("10, 4, -2", "4, 10, -2", True),
        ("-2,-2", "-2", True),  # a list restating one value is that value
        ("-2,-2", "-2, -2, -2", True),
    ]) == []


def test_clusters_follow_the_list_rule_and_never_mix_right_and_wrong():
    answers = ["-2,-2", "-2", "-2,-2,-2", "1,2", "2,1", "1,2,2", "\\{1,2\\}", "\\{1,2,2\\}", "2,1,2"]
    assert cluster(answers) == [0, 0, 0, 1, 1, 2, 1, 1, 2]
    [group] = grade_groups([[f"\\boxed{{{a}}}" for a in ("1,2", "2,1,2", "\\{2,1\\}", "1,2,2")]], ["1,2,2"], workers=1)
    assert group.correct == [False, True, False, True]
    assert group.clusters == [0, 1, 0, 1]
    [group] = grade_groups([[f"\\boxed{{{a}}}" for a in ("1,2", "2,1,2", "1,3")]], ["1,2"], workers=1)
    assert group.correct == [True, True, False] and group.clusters == [0, 1, 2]
