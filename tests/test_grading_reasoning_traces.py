"""Long reasoning traces, as a seventh look at extraction found them (2026-12-04): thinking whose opening
tag was in the prompt and that was cut at `max_tokens`, other models' thinking delimiters (Sky-T1, gpt-oss),
a final answer repeated until the cut, and answer sentences that go on to restate the question's numbers.
The near misses beside each rule must keep their answers."""

from __future__ import annotations

import pytest

from evalkit.grading import GradingPolicy, find_answer
from evalkit.grading.api import Grader

THINKING = ("Let me set up the problem. Let $x$ be the unknown quantity; the first condition gives one "
            "equation and the second another, so one variable can be eliminated.\n\n"
            "Calculating: $2^2 = 4$. Then $4 + 2 = 6$. Hmm, that is not what we need yet.\n\n") * 180


def cut(text: str) -> str | None:
    return find_answer(text, cut_off=True).answer


@pytest.mark.parametrize("after", [
    "? Let me verify this more carefully before concluding.\n\nDouble-checking the arithmetic: $3 \\cdot 3",
    ".\n\nWait, but hold on. Let me re-examine the second case; I'm not sure I handled it",
    ". But let me verify.\n\nWait, no. Let me think again. $f(-2)+f(-1)=",
    ".\n\nHmm, this is getting messy. Maybe I should organise what I know so far. The pr",
])
def test_an_answer_a_cut_off_trace_goes_on_to_doubt_is_not_its_answer(after):
    # the chat template opened <think> in the prompt, so the output has no tag of its own
    text = THINKING + "So the answer is $\\boxed{60}$" + after
    assert len(text) > 40_000
    assert cut(text) is None
    assert "checking its answer" in find_answer(text, cut_off=True).note
    # the same text that ended on its own states its answer
    assert find_answer(text).answer == "60"


@pytest.mark.parametrize("after", [
    ".\n\nI think the answer is correct. Let me verify again.\nI think the answer is correct. Let me verify aga",
    ".\n\nWait, let me double check this by another method. Consider the case where",
    ".\n\n**Alternative approach (for verification).** We are given that how many pairs satisfy $x = y$?\n\n### Step",
    ".\n\nNow the next part of the",
])
def test_an_answer_a_cut_off_response_only_checks_or_moves_past_keeps(after):
    assert cut(THINKING + "So the answer is $\\boxed{60}$" + after) == "60"


def test_the_line_being_written_at_the_cut_is_read_only_when_nothing_before_it_states_an_answer():
    loop = "</think>\n\n" + "**Final Answer**\n\\boxed{33}\n\n" * 12 + "**Final Answer**\n\\bo"
    assert cut(loop) == "33"
    assert cut("The answer is $\\boxed{42}$. Let me also note that the") == "42"
    assert cut("Step 1 gives 3.\nStep 2 gives 7, so the answer is $\\boxed{7}$ since") == "7"
    # a value that is only a fallback (no marker, no box) does not count in a cut-off response
    assert cut("We add them.\nSo far we have 12 and") is None


def test_thinking_cut_off_inside_an_opened_tag_still_has_no_answer():
    assert cut("<think>\n" + THINKING + "So the answer is $\\boxed{60}$.") is None
    assert cut("<|begin_of_thought|>\n\n" + THINKING + "So the answer is $\\boxed{60}$. Let me") is None
    assert cut("<|channel|>analysis<|message|>" + THINKING + "So answer: 60. Let") is None


def test_sky_t1_thought_and_solution_sections():
    text = ("<|begin_of_thought|>\n\n" + THINKING + "So the answer is $\\boxed{5}$? Let me check.\n\n"
            "<|end_of_thought|>\n\n<|begin_of_solution|>\n\nThe value is $\\boxed{6}$.\n\n<|end_of_solution|>")
    assert find_answer(text, ended_normally=True).answer == "6"


def test_gpt_oss_final_channel_is_the_response():
    analysis = "<|channel|>analysis<|message|>" + THINKING + "So answer: 11\\sqrt{3}.<|end|>"
    final = "<|start|>assistant<|channel|>final<|message|>Factor 242.\n\n**Answer:** $\\boxed{11\\sqrt{2}}$<|return|>"
    assert find_answer(analysis + final, ended_normally=True).answer == "11\\sqrt{2}"
    assert find_answer(analysis + final + "<|start|>user<|message|>Now \\boxed{7}").answer == "11\\sqrt{2}"


@pytest.mark.parametrize(("response", "answer"), [
    ("**Answer:** Janet makes $18 every day at the farmers' market (she sells 16 - 3 - 4 = 9 eggs at $2 each).", "18"),
    ("**Answer:** James runs a total of 540 meters per week (3 × 3 = 9 sprints of 60 meters).", "540"),
    ("Together, Toulouse, Charleston, and Seattle have 260 sheep (160 + 80 + 20).", "260"),
    # the value is the parenthesis itself, or a parenthesis is part of the value
    ("**Answer:** (2, 3)", "(2, 3)"),
    ("The answer is $f(3)$.", "f(3)"),
    ("**Answer:** the pair is $(2, 3)$.", "(2, 3)"),
])
def test_a_closing_remark_or_working_in_parentheses_is_not_the_answer(response, answer):
    assert find_answer(response).answer == answer


def test_the_grader_passes_the_finish_reason_on():
    text = THINKING + "So the answer is $\\boxed{60}$? Let me verify this more carefully before"
    with Grader(GradingPolicy(), workers=1) as grader:
        cut_off, finished = grader.grade_groups([[text, text]], ["60"], finish_reasons=[["length", "stop"]])[0].correct
    assert (cut_off, finished) == (False, True)
