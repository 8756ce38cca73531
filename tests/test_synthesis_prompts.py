"""Parsing of teacher / synthesizer answers and the choice of education stage."""

from __future__ import annotations

import pytest

from evalkit.synthesis.prompts import (
    CONTEST_STAGES,
    RESPONSE_PREFIX,
    STAGES,
    choose_stage,
    format_exercise,
    parse_exercise,
    response_prefix,
    solve_prompt,
    stage_at_random,
    stage_by_heuristic,
    synthesizer_prompt,
    teacher_prompt,
)


def test_well_formed_answer_is_parsed():
    text = "Problem: What is $3+4$?\nSolution: We add: $3+4=7$. So the answer is $\\boxed{7}$."
    parsed = parse_exercise(text)
    assert parsed is not None
    assert parsed.problem == "What is $3+4$?"
    assert parsed.solution.startswith("We add")
    assert parsed.answer == "7"


def test_nested_box_and_multiline_problem():
    text = ("Some preamble.\nProblem: Let $x$ satisfy\n$x^2 = 1/4$.\nFind $x > 0$.\n"
            "Solution: Taking roots, $x = \\boxed{\\frac{1}{2}}$.")
    parsed = parse_exercise(text)
    assert parsed.problem == "Let $x$ satisfy\n$x^2 = 1/4$.\nFind $x > 0$."
    assert parsed.answer == "\\frac{1}{2}"


def test_answer_stops_at_a_second_problem():
    text = ("Problem: Compute $2 \\cdot 5$.\nSolution: It is $\\boxed{10}$.\n"
            "Problem: Another one\nSolution: $\\boxed{3}$")
    parsed = parse_exercise(text)
    assert parsed.solution == "It is $\\boxed{10}$."
    assert parsed.answer == "10"


@pytest.mark.parametrize("text", [
    "",
    "Just some text without labels \\boxed{3}",
    "Problem: only a problem, no solution label",
    "Solution: \\boxed{2}\nProblem: backwards",
    "Problem:\nSolution:   ",
])
def test_malformed_answers_are_none(text):
    assert parse_exercise(text) is None


def test_missing_box_parses_without_answer():
    parsed = parse_exercise("Problem: What is 2+2?\nSolution: It is four.")
    assert parsed is not None and parsed.answer is None


def test_format_round_trips():
    text = format_exercise(" What is 1+1? ", "It is $\\boxed{2}$. ")
    parsed = parse_exercise(text)
    assert (parsed.problem, parsed.answer) == ("What is 1+1?", "2")


def test_completion_style_prompt_ends_with_label_and_prefix_is_restored():
    prompt = teacher_prompt("Fractions name parts of a whole.", "middle_school", chat=False)
    assert isinstance(prompt, str) and prompt.endswith(RESPONSE_PREFIX)
    assert response_prefix(prompt) == RESPONSE_PREFIX
    parsed = parse_exercise(response_prefix(prompt) + " What is 1/2 + 1/4?\nSolution: $\\boxed{\\frac34}$")
    assert parsed.answer == "\\frac34"
    chat = teacher_prompt("Fractions.", "college", chat=True)
    assert isinstance(chat, list) and chat[-1]["role"] == "user" and "Fractions." in chat[-1]["content"]
    assert response_prefix(chat) == ""
    assert synthesizer_prompt("x", "high_school").startswith("Stage: high school")
    assert synthesizer_prompt("x", "amc10").startswith("Stage: AMC 10")


def test_stage_prompts_differ_by_stage():
    prompts = {teacher_prompt("Some text.", stage, chat=False) for stage in STAGES}
    assert len(prompts) == len(STAGES)


def test_the_stages_are_jiuzhangs_eight():
    assert STAGES == ("grade_school", "middle_school", "high_school", "college", "amc8", "amc10", "amc12", "aime")
    for stage in STAGES:
        prompt = teacher_prompt("Some text.", stage, chat=True)[-1]["content"]
        assert "Some text." in prompt and "\\boxed{}" in prompt
    assert "AIME" in teacher_prompt("t", "aime", chat=False) and "AMC 8" in teacher_prompt("t", "amc8", chat=False)


def test_heuristic_stage_choice():
    assert stage_by_heuristic("Compute the integral of x^2 from 0 to 1.") == "college"
    assert stage_by_heuristic("Solve the quadratic equation.") == "high_school"
    assert stage_by_heuristic("Write 3/4 as a percent.") == "middle_school"
    assert stage_by_heuristic("Tom has 3 apples.") == "grade_school"
    # a contest the text names wins; otherwise contest material gets the level of its mathematics
    assert stage_by_heuristic("Problem 7 of the 2019 AIME asks for a remainder.") == "aime"
    assert stage_by_heuristic("This AMC 12 problem uses logarithms.") == "amc12"
    assert stage_by_heuristic("An AMC-10 geometry question.") == "amc10"
    assert stage_by_heuristic("The remainder of 47 modulo 5 is 2.") == "amc8"
    assert stage_by_heuristic("A sequence of residues modulo 7 repeats.") == "amc10"
    assert stage_by_heuristic("The pigeonhole principle applied to matrices.") == "amc12"
    assert stage_by_heuristic("Prove that the invariant never changes.") == "aime"


def test_random_stage_is_uniform_per_text_and_independent_of_order():
    texts = [f"Text number {i} on some mathematics." for i in range(4000)]
    drawn = [stage_at_random(text, STAGES) for text in texts]
    counts = {stage: drawn.count(stage) for stage in STAGES}
    assert all(400 <= count <= 600 for count in counts.values()), counts
    assert [stage_at_random(text, STAGES) for text in reversed(texts)] == drawn[::-1]
    assert stage_at_random(texts[0], STAGES, seed=1) in STAGES
    assert sum(stage_at_random(t, STAGES, seed=1) != d for t, d in zip(texts, drawn)) > 3000
    assert stage_at_random(texts[0], CONTEST_STAGES) in CONTEST_STAGES


def test_stage_choice_modes():
    assert [choose_stage("t", i, "round_robin") for i in range(9)] == [*STAGES, STAGES[0]]
    assert choose_stage("anything", 3, "college") == "college"
    assert choose_stage("Tom has 3 apples.", 0, "random") == stage_at_random("Tom has 3 apples.", STAGES)
    # a heuristic guess outside the allowed stages falls back to the random draw among them
    assert choose_stage("integral", 0, "heuristic", ("grade_school", "middle_school")) in ("grade_school",
                                                                                          "middle_school")
    with pytest.raises(ValueError, match="unknown stage mode"):
        choose_stage("t", 0, "alphabetical")


def test_solve_prompt_reads_like_the_exercise_format():
    prompt = solve_prompt(" What is 2+3? ", chat=False)
    assert prompt == "Problem: What is 2+3?\nSolution:"
    parsed = parse_exercise(prompt + " 2 + 3 = 5, so $\\boxed{5}$.")
    assert parsed.answer == "5"
    chat = solve_prompt("What is 2+3?", chat=True)
    assert chat[0]["role"] == "user" and "\\boxed{}" in chat[0]["content"] and chat[0]["content"].endswith("What is 2+3?")
