"""Hostile answers: nothing a model writes is executed, hangs grading, or spoils its neighbours."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

api = pytest.importorskip("evalkit.grading.api")

TIMEOUT_S = 2.0
MARGIN_S = 1.5

HOSTILE_ANSWERS = {
    "power_tower": r"\boxed{9^{9^{9^{9^{9}}}}}",
    "huge_factorial": r"\boxed{100000!}",
    "huge_factorial_of_power": r"\boxed{(10^{10})!}",
    "deep_braces": r"\boxed{" + "{" * 2000 + "1" + "}" * 2000 + "}",
    "deep_parentheses": r"\boxed{" + "(" * 2000 + "1" + ")" * 2000 + "}",
    "deep_fractions": r"\boxed{" + r"\frac{1}{" * 300 + "2" + "}" * 300 + "}",
    "one_megabyte": r"\boxed{" + "1+" * 500_000 + "1}",
}
DECIDABLE_QUICKLY = {"huge_factorial"}
"""100000! has about 456,574 digits: exact arithmetic may decide it in time, as a plain wrong answer.
Every other hostile answer cannot be decided and must carry a non-`ok` reason."""


@pytest.fixture(scope="module", autouse=True)
def warm_fork_server() -> None:
    """Start the fork server (SymPy and the LaTeX parser loaded) before anything is timed."""
    assert api.equivalent("x^2", r"x \cdot x", timeout=60.0)


@pytest.mark.parametrize("boxed", [False, True], ids=["bare", "boxed"])
def test_code_in_an_answer_is_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, boxed: bool) -> None:
    monkeypatch.chdir(tmp_path)
    relative = "pwned_relative"
    absolute = tmp_path / "pwned_absolute"
    payloads = [f"__import__('os').system('touch {relative}')",
                f"__import__('os').system('touch {absolute}')",
                f"exec(\"open('{absolute}', 'w')\")"]
    answers = [rf"\boxed{{{payload}}}" if boxed else payload for payload in payloads]
    for answer in answers:
        assert api.equivalent("0", answer, timeout=TIMEOUT_S) is False
    verdicts = api.grade(answers + [r"\boxed{7}"], ["0"] * len(answers) + ["7"], workers=1, timeout=TIMEOUT_S)
    assert [verdict.correct for verdict in verdicts] == [False] * len(answers) + [True]
    assert not (tmp_path / relative).exists()
    assert not absolute.exists()
    assert sorted(os.listdir(tmp_path)) == []


@pytest.mark.parametrize("name", sorted(HOSTILE_ANSWERS))
@pytest.mark.timeout(120)
def test_equivalent_is_false_and_returns(name: str) -> None:
    assert api.equivalent("3", HOSTILE_ANSWERS[name], timeout=TIMEOUT_S) is False


@pytest.mark.timeout(300)
def test_grade_marks_hostile_answers_and_grades_the_rest() -> None:
    names = sorted(HOSTILE_ANSWERS)
    good = [(r"The answer is $\boxed{\frac{1}{2}}$.", "0.5"), (r"\boxed{x^2+2x+1}", "(x+1)^2"),
            ("#### 42", "42"), (r"\boxed{(1, 2)}", r"\left(1,2\right)")]
    responses = [good[0][0]] + [HOSTILE_ANSWERS[name] for name in names] + [text for text, _ in good[1:]]
    references = [good[0][1]] + ["3"] * len(names) + [reference for _, reference in good[1:]]
    verdicts = api.grade(responses, references, workers=2, timeout=TIMEOUT_S)
    hostile = verdicts[1:1 + len(names)]
    assert [verdict.correct for verdict in verdicts] == [True] + [False] * len(names) + [True] * (len(good) - 1)
    unmarked = [name for name, verdict in zip(names, hostile)
                if verdict.reason == "ok" and name not in DECIDABLE_QUICKLY]
    assert unmarked == [], f"hostile answers graded as plain wrong answers: {unmarked}"


def test_a_number_too_long_to_print_still_grades_with_a_short_key_and_description() -> None:
    # 10^-100000 has a 100001-digit denominator: Python refuses to print it in decimal
    tiny, same = api.grade([r"\boxed{10^{-100000}}"] * 2, ["0", "10^{-100000}"], workers=1, timeout=TIMEOUT_S)
    assert (tiny.correct, tiny.reason, same.correct) == (False, "ok", True)
    assert len(tiny.key) < 100 and tiny.key == same.key
    assert "digit integer" in tiny.answer_value and len(tiny.answer_value) < 100


@pytest.mark.parametrize("answer", ["(" * 500 + "1", r"\frac{1}{2}(" * 100, "1)" * 300, "[0,1" + "(" * 300])
def test_unbalanced_brackets_of_a_repetition_loop_are_refused_before_the_parser(answer: str) -> None:
    """The LaTeX parser never reads such a string, but its error recovery takes seconds on one: a
    looping model's `((((...` is refused at once as unparsable, not left to the time limit."""
    [verdict] = api.grade([rf"\boxed{{{answer}}}"], ["3"], workers=1, timeout=30.0)
    assert (verdict.correct, verdict.reason) == (False, "parse_error")
    assert "brackets do not balance" in (verdict.rule or "")
    [interval] = api.grade([r"\boxed{\left[0, 1\right)}"], ["[0,1)"], workers=1, timeout=30.0)
    assert interval.correct
