"""Long reasoning traces, as a seventh look at extraction found them (2026-12-04): thinking whose opening
tag was in the prompt and that was cut at `max_tokens`, other models' thinking delimiters (Sky-T1, gpt-oss),
a final answer repeated until the cut, and answer sentences that go on to restate the question's numbers.
The near misses beside each rule must keep their answers."""

from __future__ import annotations

import pytest

from evalkit.grading import GradingPolicy, find_answer
from evalkit.grading.api import Grader
from evalkit.grading.question import AskedQuantity, asked_quantity

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
    ".\n\nThat doesn't seem right. If I plug it back in, I get",
    ".\n\nAlternatively, maybe the intended reading is different: perhaps",
    ".\n\nOn second thought, I made an error in the second step. It should be",
    ".\n\nLet me try another approach, since I'm not fully confident in the first one. Suppose",
    ".\n\nWait a second, I think there might be an error in the",
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


def test_the_line_being_written_at_the_cut_is_read_only_for_a_box_it_closed():
    loop = "</think>\n\n" + "**Final Answer**\n\\boxed{33}\n\n" * 12 + "**Final Answer**\n\\bo"
    assert cut(loop) == "33"
    assert cut("The answer is $\\boxed{42}$. Let me also note that the") == "42"
    assert cut("The answer is $\\boxed{42}$ and the") == "42"
    assert cut("Step 1 gives 3.\nStep 2 gives 7, so the answer is $\\boxed{7}$ since") == "7"
    # an answer line cut mid-number (`12` of `12.5`, `9` of `91`) is not an answer
    assert cut("So the expression is about $\\frac{2.5}{0.2} = 12.5$.\n\nThe answer is 12") is None
    assert cut("So 0.7 * 130 = 91 trees remain.\n\nThe answer is 9") is None
    # a value that is only a fallback (no marker, no box) does not count in a cut-off response
    assert cut("We add them.\nSo far we have 12 and") is None
    # a base model cut in the next example it invented: its own answer line is whole
    assert cut("So he has 47 pets.\nThe answer is 47.\n\nQuestion: Tom has 5 apples. How many") == "47"


def test_a_final_box_cut_off_keeps_the_value_stated_just_before_it():
    assert cut("She makes 9 * 2 = $18 every day.\n\nThe final answer is $\\boxed{18") == "18"
    assert cut("Josh made a profit of $70,000.\n\n**Final Answer:** $\\boxed{70{,}000") == "70,000"
    thinking = "So the answer is 116. Let me double-check: 115 + 95 = 210. Yes.\n\n</think>\n\nWe proceed."
    assert cut(thinking + "\n\nThus the final answer is $\\boxed{116") == "116"
    # a box cut before it wrote the value stated, or holding another value, has no answer
    assert cut(thinking + "\n\nThus the final answer is $\\boxed{11") is None
    assert cut("She makes $18 every day.\n\nThe final answer is $\\boxed{20") is None


def test_a_response_looping_on_its_answer_until_the_cut_keeps_it():
    assert cut("Josh made a profit of $70,000. " * 12 + "Josh made a pro") == "70,000"
    assert cut("Therefore, the tip percentage is 25%.\n" * 12 + "Therefore, the tip perc") == "25%"
    assert cut("So far we have 12 apples. Then we add 3 more and") is None


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


def test_answers_searched_in_the_worker_pool_are_those_searched_in_process():
    """A batch of `POOLED_EXTRACTIONS` responses or more is searched in the workers, each under the time limit, with
    the finish reasons and the question passed on; the verdicts are those of the search in the calling process."""
    from evalkit.grading.api import POOLED_EXTRACTIONS

    question = "It takes Carla 160 minutes to download the file. How many minutes does it take?"
    texts = [THINKING + "So the answer is $\\boxed{60}$? Let me verify this more carefully before",
             "It takes Carla 160 minutes to download the 200 GB file.", "<think>\nmaybe 60</think>\n\n$\\boxed{60}$",
             "We find $y = 60$. Substituting this into the second rela"] * (POOLED_EXTRACTIONS // 4 + 1)
    reasons = ["length", "stop", None, None] * (POOLED_EXTRACTIONS // 4 + 1)
    batch = dict(references=["60"] * len(texts), questions=[question] * len(texts), finish_reasons=reasons)
    with Grader(GradingPolicy(), workers=2) as grader:
        pooled = grader.grade(texts, **batch)
        assert grader._pool is not None  # the search ran in the workers
    with Grader(GradingPolicy(), workers=0) as grader:
        in_process = grader.grade(texts, **batch)
    assert pooled == in_process
    assert [verdict.answer for verdict in pooled[:4]] == [None, "160", "60", None]


@pytest.mark.parametrize(("response", "answer"), [
    ("Therefore, the minimum value is $\\boxed{9}$, which occurs at $x = \\boxed{1}$.", "9"),
    ("Hence the minimum value is $\\boxed{70\\sqrt{2}}$, attained at $(x, y) = \\boxed{(20, 30)}$.", "70\\sqrt{2}"),
    ("The minimum value of $a^4 + b^8$ is $\\boxed{50}$, with equality at $a = \\boxed{\\sqrt{5}}$, $b = 5$.", "50"),
    ("Thus the maximum of $e$ is $\\boxed{\\frac{16}{5}}$, which happens when $a=b=\\boxed{\\frac{6}{5}}$.",
     "\\frac{16}{5}"),
    # the value boxed last, or two values that are both the answer
    ("Equality holds at $x = \\boxed{1}$, so the minimum value is $\\boxed{9}$.", "9"),
    ("$x = \\boxed{3}$ or $x = \\boxed{5}$", "3, 5"),
])
def test_a_box_saying_where_an_extremum_is_attained_is_not_the_answer(response, answer):
    assert find_answer(response).answer == answer


@pytest.mark.parametrize(("question", "response", "answer"), [
    ("How many minutes does it take to download the file?",
     "**Answer:** It takes Carla 160 minutes to download the 200 GB file.", "160"),
    ("If Eliza worked for 45 hours this week, how much are her earnings for this week?",
     "**Answer:** Eliza earns $460 this week for her 45 hours of work.", "460"),
    ("What percentage of the entire students enrolled in hip-hop dance?",
     "So 60% of the 20 students enrolled in hip-hop dance.", "60%"),
    ("For how many real values of $x$ is $\\sqrt{120-\\sqrt{x}}$ an integer?",
     "The $11$ values of $x$ are distinct.", "11"),
    # a sentence that states its result with "is" or "=" keeps it; an unknown question, the value named last
    ("How many pots have three different colored balloons attached?",
     "As there are 600 total pots, the number of pots with 3 balloons is $600 \\div 60 = 10$.", "600 \\div 60 = 10"),
    (None, "**Answer:** It takes Carla 160 minutes to download the 200 GB file.", "200"),
    # `2 hours and 40 minutes` is one quantity, 160 minutes (it was read as its 40 minutes)
    ("How many minutes does it take?", "**Answer:** It takes 160 minutes, or 2 hours and 40 minutes.", "160"),
    # the value that names more of the thing counted
    ("How many gold coins does Gretchen have?", "Gretchen has 70 gold coins out of her 110 coins.", "70"),
    ("How many gold coins does Gretchen have?", "Gretchen has 70 gold coins and 40 silver coins.", "70"),
    ("How old will Tom be in 3 years?", "In 3 years Tom turns 15 years old.", "15"),
])
def test_an_answer_sentence_naming_several_numbers_gives_the_one_of_the_kind_asked(question, response, answer):
    assert find_answer(response, asked=asked_quantity(question)).answer == answer


def test_what_kind_of_number_a_question_asks_for():
    assert asked_quantity("How many vacuum cleaners did she start with?") == AskedQuantity(nouns=frozenset({"vacuum", "cleaner"}))
    assert asked_quantity("How many more apples does Tom have?").nouns == frozenset({"apple"})
    assert "hour" in asked_quantity("How long does the trip take?").nouns
    assert asked_quantity("How much money does Janet make every day?").money
    assert asked_quantity("What percent of the class passed?").percent
    assert asked_quantity("Find the number of ordered pairs $(a,b)$ such that $a + b = 5$.").nouns == \
        frozenset({"ordered", "pair"})
    assert asked_quantity("How old will Tom be in 3 years?").nouns == frozenset({"year", "old"})
    assert "mile" in asked_quantity("How far did she run?").nouns
    assert asked_quantity("How many distinct values exist in the range?").nouns == frozenset({"distinct", "value"})
    assert asked_quantity("Compute $2 + 3$.") == AskedQuantity(given=frozenset({2, 3}), expressions=frozenset({"2+3"}))
    assert asked_quantity("Compute $x$.") is None
    assert asked_quantity(None) is None
