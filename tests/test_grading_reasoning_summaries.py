"""Summaries that close long reasoning traces (a twelfth review, session 15, 2026-12-04: 407 R1, QwQ, Qwen3,
o-series, gpt-oss and Claude-style responses of 5k-70k characters on AIME, AMC, MATH-500, OlympiadBench and
Minerva problems). The closing sentence names several numbers, or several boxes close the response; each case is
(question, reference, response, expected verdict), and the near misses stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions

AYA = ("Every morning Aya goes for a 9-kilometer-long walk and stops at a coffee shop afterwards. When she walks "
       "at a constant speed of s kilometers per hour, the walk takes her 4 hours, including t minutes spent in the "
       "coffee shop. Suppose Aya walks at s + 1/2 kilometers per hour. Find the number of minutes the walk takes "
       "her, including the t minutes spent in the coffee shop.")


def test_a_closing_sentence_that_names_several_numbers():
    assert disagreements_in_questions([
        (AYA, "204", "At 3 km/h the walk takes 3 hours = 180 minutes; adding the coffee shop gives a total of "
                     "204 minutes.", True),
        (AYA, "180", "At 3 km/h the walk takes 3 hours = 180 minutes; adding the coffee shop gives a total of "
                     "204 minutes.", False),
        (AYA, "204", "Hence, Aya's walk takes 204 minutes when she walks at 3 km/h.", True),
        (AYA, "204", "Therefore the total is 204 minutes, which is 36 minutes less than the 240 minutes at speed s.",
         True),
        (AYA, "36", "Therefore the total is 204 minutes, which is 36 minutes less than the 240 minutes at speed s.",
         False),
        # `the number of minutes` asks for minutes, though the question gives its times in hours
        (AYA, "204", "The walk takes 204 minutes.", True),
        (AYA, "204", "The answer is 3.4 hours.", True),
        # a clause after a semicolon that holds no value leaves the value before it
        (AYA, "204", "The walk takes 204 minutes; that is the answer.", True),
    ]) == []


def test_several_boxes_on_lines_of_their_own_are_one_list():
    assert disagreements([
        ("69, 84", "**Verification.** Both values satisfy the conditions.\n\n**Final Answer**\n\\boxed{69}\n\n\\boxed{84}",
         True),
        ("69", "**Verification.** Both values satisfy the conditions.\n\n**Final Answer**\n\\boxed{69}\n\n\\boxed{84}",
         False),
        ("1, -2", "Therefore the possible values of $f(1)$ are:\n\n$$\\boxed{1}$$\n\n$$\\boxed{-2}$$", True),
        ("(1,8,19), (2,7,13), (4,5,7)",
         "All solutions:\n\n\\[\n\\boxed{(1,8,19)}\n\\]\n\\[\n\\boxed{(2,7,13)}\n\\]\n\\[\n\\boxed{(4,5,7)}\n\\]", True),
        # a box corrected in words is not a list with the box before it
        ("7", "So $\\boxed{5}$.\n\nWait, that misses a case. The count is $\\boxed{7}$.", True),
        ("5, 7", "So $\\boxed{5}$.\n\nWait, that misses a case. The count is $\\boxed{7}$.", False),
        # the same box twice is that one answer
        ("5", "$$\\boxed{5}$$\n\n$$\\boxed{5}$$", True),
    ]) == []
