"""Responses that give several answers or answers in several parts, and numbers written as amounts (session 20,
from two black-box reviews: 853 cases over 115 real problems with several answers, and 1,140 cases of numeric forms
over 154 real problems). Each case is one the reviews found misjudged, with near misses that must stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions

from evalkit.grading.question import asks_for_a_comma_list

SOLUTIONS = "Find all real $x$ with $\\sin 6x + \\cos 4x = 0$. Enter all the solutions, separated by commas."
AIME = ("$AP$ can be written as the form $\\frac{m}{n}$, where $m$ and $n$ are relatively prime integers. "
        "Find $m + n$.")
EXTREMES = "Let $N$ be the number of such pairs. Find the smallest and largest possible value of $N$."
GLASSES = ("Kylar went to the store to buy glasses. One glass costs $5, but every second glass costs only 60% of the "
           "price. Kylar wants to buy 16 glasses. How much does he need to pay for them?")


def test_a_negative_numeral_keeps_its_base():
    # before: the minus sign hid the base, and -221 in base 4 equalled -221 in base 3
    assert disagreements([
        ("-221_3", "$\\boxed{-221_{3}}$", True),
        ("-221_3", "$\\boxed{-(221)_{3}}$", True),  # was a parse error
        ("-221_3", "$\\boxed{-221}$", True),  # the digits without their base, as for a positive numeral
        ("-221_3", "$\\boxed{-221_{4}}$", False),
        ("-221_3", "$\\boxed{-221_{10}}$", False),
        ("-221_3", "$\\boxed{221_3}$", False),
        ("221_3", "$\\boxed{-221_3}$", False),
    ]) == []


def test_cents_are_converted_where_the_question_gives_money_in_dollars():
    # before: `64 cents` was 64 dollars where the question wrote its amounts as `$5` and never said "dollars"
    assert disagreements_in_questions([
        (GLASSES, "64", "Answer: 64 cents", False),
        (GLASSES, "64", "Answer: 6400 cents", True),
        (GLASSES, "64", "Answer: $64", True),
        (GLASSES, "64", "The answer is $\\boxed{64}$.", True),
        ("How many cents does he pay? A pen costs 5 cents.", "64", "The answer is $\\boxed{64 \\text{ cents}}$.", True),
        ("What is $5$ plus $3$?", "8", "The answer is 8 cents.", True),  # math between dollar signs is no money
    ]) == []


def test_a_question_that_asks_for_values_separated_by_commas_reads_its_commas_as_separators():
    # before: the reference `70,110` was the number 70110, so both solutions were wrong and 70110 right
    assert asks_for_a_comma_list(SOLUTIONS) and not asks_for_a_comma_list("How many are there?")
    assert disagreements_in_questions([
        (SOLUTIONS, "70,110", "The solutions are $\\boxed{70}$, $\\boxed{110}$.", True),
        (SOLUTIONS, "70,110", "$\\boxed{110,70}$", True),
        (SOLUTIONS, "70,110", "The solutions are $70$ and $110$.", True),
        (SOLUTIONS, "70,110", "$\\boxed{70110}$", False),
        (SOLUTIONS, "70,110", "$\\boxed{70}$", False),
        (None, "70,110", "$\\boxed{70110}$", True),  # no question: a comma groups thousands, as before
        (SOLUTIONS, "1000", "$\\boxed{1{,}000}$", True),  # a braced comma still groups thousands
    ]) == []


def test_labelled_parts_are_one_answer_each_unless_a_paragraph_after_them_concludes():
    assert disagreements_in_questions([
        # sub-results under labels, then the quantity asked in a paragraph that concludes from them
        (AIME, "204", "(i) $m = \\boxed{68}$\n(ii) $n = \\boxed{136}$\n\nHence $m + n = \\boxed{204}$.", True),
        (None, "204", "(i) $m = \\boxed{68}$\n(ii) $n = \\boxed{136}$\n\nHence $m + n = \\boxed{204}$.", True),
        (AIME, "68", "(i) $m = \\boxed{68}$\n(ii) $n = \\boxed{136}$\n\nHence $m + n = \\boxed{204}$.", False),
        # one answer per part; for a question that asks one value, two labelled answers hedge, and no one value
        # equals the list
        (EXTREMES, "2500,7500", "**(a)** $N_{\\min}$: $\\boxed{2500}$\n**(b)** $N_{\\max}$: $\\boxed{7500}$", True),
        (AIME, "49", "Let me work through this.\n\n(a) $\\boxed{50}$ (b) $\\boxed{49}$", False),
        ("(a) Find $x$. (b) Find $y$.", "3, 5", "(a) $\\boxed{3}$ (b) $\\boxed{5}$", True),
        # a correction inside the last part is that part's answer, not a conclusion
        (None, "3, 5", "(a) $\\boxed{3}$\n(b) We get $\\boxed{4}$. Wait, that is wrong: $\\boxed{5}$.", True),
    ]) == []


def test_one_box_per_case_is_the_list_of_the_cases_answers():
    question = "Find all real solutions of the equation."
    one = "**Case 1:** solving in this case gives $\\boxed{x = 1}$.\n\n**Case 2:** solving in this case gives $\\boxed{x = 3}$."
    counted = "How many ways are there?"
    total = "Case 1: there are $\\boxed{3}$ ways.\n\nCase 2: there are $\\boxed{2}$ ways. In total, $\\boxed{5}$."
    assert disagreements_in_questions([
        (question, "1,3", one, True),
        (question, "3", one, False),
        (None, "1,3", one, True),
        # a case analysis that boxes each case's count and then the total answers with the total
        (counted, "5", total, True),
        (None, "5", total, True),
        (None, "3, 5", total, False),
    ]) == []


def test_an_answer_stated_after_the_last_box_that_closes_the_response_wins():
    # before: a boxed step was the answer, and the total stated after it lost
    cases = "**Case 1:** $\\boxed{68}$\n\n**Case 2:** $\\boxed{136}$\n\n"
    assert disagreements([
        ("204", cases + "Adding the two cases, the answer is $68 + 136 = 204$.", True),
        ("204", cases + "A: 204", True),
        ("18", "So far we have $\\boxed{9}$. Now the final step: the answer is 18.", True),
        ("9", "So far we have $\\boxed{9}$. Now the final step: the answer is 18.", False),
        # a statement that restates, denies or supposes, or that more working follows, leaves the box the answer
        ("5", "So the answer is $\\boxed{5}$. Note that the answer is not 6.", True),
        ("5", "Thus $\\boxed{5}$. Had we counted the endpoints, the answer would be 7.", True),
        ("5", "$\\boxed{5}$\n\nLet me verify: the answer is 5 since 2 + 3 = 5.", True),
        ("5", "$\\boxed{\\text{The answer is } x = 5}$", True),
        ("5", "$\\boxed{5}$. The answer is 6 if we count the order. " + "More checking of the cases follows. " * 12, True),
    ]) == []


def test_only_a_plain_commitment_after_the_box_wins_and_a_hedge_beside_it_makes_two_values():
    # review40 (over-reach and gaming of these rules, 933 cases): a hedge after a wrong box was graded on the hedge,
    # and remarks about something else overrode a right box
    box = "So the result is $\\boxed{210}$.\n\n"
    assert disagreements([
        ("204", box + "Or maybe the answer is 204.", False),
        ("210", box + "Or maybe the answer is 204.", False),  # two values offered: no single reference equals them
        ("204", box + "Perhaps the answer is 204.", False),
        ("204", box + "Alternatively, the answer is 204.", False),
        ("204", box + "Under the other reading of the problem, the answer is 204.", False),
        ("27", "So we get $\\boxed{32}$. The answer is 40. The answer is 27.", False),
        ("7", "Case 1: $\\boxed{12}$.\n\nCase 2: $\\boxed{7}$.\n\nHence, depending on the case, the answer is 7.", False),
        ("385", "So the result is $\\boxed{385}$.\n\nSanity check: the answer is less than 435, as expected.", True),
        ("540", "Hence the answer is $\\boxed{540}$.\n\nFor the companion problem, with the two given numbers swapped, "
                "the answer is 546.", True),
        ("73", "Hence $\\boxed{73}$ is the final answer. The number of cases we had to check to get the answer is 8.", True),
        ("315", "Thus the answer is $\\boxed{315}$.\n\nPoints used in the figure:\nA: (320, 0)\nB: (0, 328)", True),
        ("821", "So the result is $\\boxed{821}$.\n\nA related question asks how many of these are even; there the answer "
                "is 826, which follows by the same counting argument. The structure of the argument is identical.", True),
        # a plain commitment still wins
        ("699", "So far we have $\\boxed{704}$ for the intermediate quantity. Now the final step: adding the remaining "
                "part, the answer is 699.", True),
        ("70", "The first count is $\\boxed{76}$, but we still have to remove the 6 arrangements counted twice.\n\nA: 70",
         True),
    ]) == []


def test_a_last_paragraph_that_concludes_from_the_parts_without_a_box_answers():
    assert disagreements([
        ("113", "Case 1: the first digit is even. This gives $\\boxed{37}$ possibilities.\n\nCase 2: the first digit is "
                "odd. This gives $\\boxed{76}$ possibilities.\n\nIn total there are 113 possibilities.", True),
        ("294", "Case 1: $\\boxed{98}$ ways.\nCase 2: $\\boxed{196}$ ways.\n\nTotal: $98 + 196 = 294$.", True),
        ("55", "(i) $m = \\boxed{18}$\n(ii) $n = \\boxed{37}$\n\nHence $m + n = 55$.", True),
        ("50", "(a) $\\boxed{49}$ (b) $\\boxed{50}$\n\nSo the answer is 49 or 50.", False),
        ("3, 5", "(a) $\\boxed{3}$ (b) $\\boxed{5}$\n\nThus both parts are done.", True),
        # other ways through one problem: one answer found twice is one answer, two answers are a list
        ("7", "Method 1: $\\boxed{7}$.\n\nMethod 2: $\\boxed{7}$.", True),
        ("8", "Interpretation 1: $\\boxed{14}$\n\nInterpretation 2: $\\boxed{8}$", False),
    ]) == []


def test_several_values_listed_after_an_answer_label_or_called_the_solutions_are_one_list():
    # before: the first or the last item alone
    assert disagreements([
        ("1,-3", "We factor.\n\n**Answer:**\n- $x = 1$\n- $x = -3$", True),
        ("1,-3", "We factor.\n\n**Final Answer**\n\n- $x = 1$\n- $x = -3$", True),
        ("1", "We factor.\n\n**Answer:**\n- $x = 1$\n- $x = -3$", False),
        ("-2,-1,1,2", "**Answer:**\n- $-2$\n- $-1$\n- $1$\n- $2$", True),
        # bullets that work something out are no list of answers
        ("204, 160, 364", "**Answer:**\n- $3 \\times 68 = 204$\n- $2 \\times 80 = 160$\n- $204 + 160 = 364$", False),
        # bullets that work something out end in their result; candidates under conditions are a list
        ("371", "**Answer:**\n- First part: 123\n- Second part: 248\n- Total: 371", True),
        ("25", "**Answer:**\n- $n_1 = 8$\n- $n_2 = 17$\n- $n_1 + n_2 = 25$", True),
        ("248", "**Answer:**\n- $254$ (if the ends are distinguishable)\n- $248$ (otherwise)", False),
        ("45", "Answer:\n* 50\n* 45", False),
        ("-2,1", "We factor. So $x = -2$ and $x = 1$ are the solutions.", True),
        ("1", "We factor. So $x = -2$ and $x = 1$ are the solutions.", False),
        ("6764,10945", "So $e(18) = \\boxed{6764}$ and $e(19) = \\boxed{10945}$.", True),
        ("5", "We have f(a) $= \\boxed{3}$ and g(b) $= \\boxed{5}$.", True),
    ]) == []


def test_amounts_written_with_a_scale_letter_an_apostrophe_a_unicode_minus_or_in_words():
    assert disagreements([
        ("70000", "Final Answer: The final answer is $\\$70k$. I hope it is correct.", True),
        ("1430", "The answer is 1.43k dollars.", True),
        ("1430", "#### 1'430 dollars", True),
        ("1430", "#### 1’430", True),
        ("-\\$0.50", "**Final answer:** −$0.50", True),
        ("-\\$0.50", "**Final answer:** -\\$0.50", True),
        ("0.50", "**Final answer:** −$0.50", False),
        ("60", "**Final answer:** sixty percent", True),
        ("11010_2", "Final Answer: 0b11010", True),
        ("1F_{16}", "The answer is 0x1F.", True),
        ("11011_2", "Final Answer: 0b11010", False),
        ("70", "The answer is $\\boxed{70k}$.", False),  # a product with a variable, no money
    ]) == []


def test_a_mixed_number_written_with_and_where_the_question_asks_for_one():
    mixed = "What is $27.5 \\times 5$? Express your answer as a mixed number."
    assert disagreements_in_questions([
        (mixed, "137 \\frac{1}{2}", "The answer is 137 and 1/2.", True),
        (mixed, "8\\frac47", "Compute.\n#### 8 and 4/7", True),
        (mixed, "137", "The answer is 137 and 1/2.", False),
        (None, "137 \\frac{1}{2}", "The answer is 137 and 1/2.", False),  # unknown question: two values
        (None, "721", "The answer is 721 and 1/2.", False),  # never the first alone
    ]) == []


def test_a_value_named_in_passing_after_the_box_is_not_a_stated_answer():
    # MATH test 3641's own solution: the box answers, the calculator's value after it does not
    solution = ("The approximate cost of the groceries is $18+7+9=34$ dollars, which is answer choice $\\boxed{\\text{C}}.$"
                "\n\nNote that a calculator gives the answer $33.98$ for the actual cost, which confirms that answer "
                "choice C is the closest to the actual cost.")
    assert disagreements([("\\text{C}", solution, True), ("33.98", solution, False)]) == []


def test_names_set_as_text_on_both_sides_and_nouns_after_an_expression():
    # review39 (a seeded random sample, 1,160 cases): two of its four errors
    planes = "Find the smallest number of planes that cover the points."
    assert disagreements_in_questions([
        (None, "SRMC=LRMC", "The answer is $\\boxed{\\text{SRMC} = \\text{LRMC}}$.", True),
        (None, "MR=MC", "$\\boxed{\\text{MR} = \\text{AC}}$", False),
        (None, "\\text{yes}", "The answer is $\\boxed{\\text{Answer} = \\text{yes}}$.", True),  # a label still goes
        (planes, "3 n", "The answer is $\\boxed{3n \\text{ planes}}$.", True),
        (planes, "3 n", "The answer is $\\boxed{2n \\text{ planes}}$.", False),
        (planes, "3 n", "The answer is $\\boxed{3n \\text{ or more}}$.", False),  # words that say how much stay
    ]) == []


def test_a_boxed_mixed_number_written_with_and_where_the_question_asks_for_one():
    mixed = "What is $27.5 \\times 5$? Express your answer as a mixed number."
    assert disagreements_in_questions([
        (mixed, "137 \\frac{1}{2}", "$\\boxed{137 \\text{ and } \\frac{1}{2}}$", True),
        (mixed, "137 \\frac{1}{2}", "$\\boxed{137 \\text{ and } \\frac{1}{3}}$", False),
        ("Enter all the solutions, separated by commas.", "137, \\frac{1}{2}", "$\\boxed{137 \\text{ and } \\frac{1}{2}}$",
         True),
    ]) == []
