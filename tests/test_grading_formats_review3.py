"""Formats found by a third review of answer equivalence (2026-12-04): 807 answers in the styles of
reasoning and chat models on real MATH, MATH-500, GSM8K, AIME, Minerva and OlympiadBench problems.
Each case is (reference, response, expected verdict); the near misses beside each rule must stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions


def test_a_final_sentence_states_the_result_of_its_last_consequence_clause():
    assert disagreements([
        ("18", "She sells 16 - 3 - 4 = 9 eggs, making $18 every day.", True),
        ("18", "She has 16 - 3 - 4 = 9 eggs left, so she makes 18 dollars.", True),
        ("9", "She sells 16 - 3 - 4 = 9 eggs, making $18 every day.", False),
        ("\\frac{1}{3}", "There are 21 possible pairs, giving us a probability of $\\frac{7}{21} = \\frac{1}{3}$.", True),
        # the words before the clause name the answer: the clause is what follows from it
        ("18", "The answer is 18, so she has 2 eggs left.", True),
        ("2", "The answer is 18, so she has 2 eggs left.", False),
        # a closing parenthesis of words is a remark
        ("x=5", "Thus $x = 5$ (the other root $x = 3$ is extraneous).", True),
        ("x=3", "Thus $x = 5$ (the other root $x = 3$ is extraneous).", False),
        ("12", "The area is 12 (square units).", True),
    ]) == []


def test_dollar_signs_of_amounts_do_not_open_math():
    assert disagreements([
        ("18", "She sells 16 - 3 - 4 = 9 eggs for $2 each, making 9 x 2 = $18 every day.", True),
        ("460", "Eliza earns $400 + $60 = $460.\nTherefore, Eliza's earnings for this week are $460.", True),
        ("5", "We get $x = 5$ and $y = 3$, so the answer is $5$.", True),
    ]) == []


def test_a_scale_after_an_amount_multiplies_it():
    assert disagreements([
        ("70000", "He made a profit of $70 thousand.", True),
        ("70000", "The answer is 70 thousand dollars.", True),
        ("70000", "Josh made $70k in profit.", True),
        ("1200000", "The house costs $1.2M.", True),
        ("70", "Josh made $70k in profit.", False),
        ("70", "He has 70 Kelvin.", True),
    ]) == []


def test_an_equation_states_its_right_side_when_the_left_is_in_other_variables_or_unreadable():
    assert disagreements([
        ("2k", "$\\boxed{a+b+c+d+e+f = 2k}$", True),
        ("3R^2", "$\\boxed{AF^2 + BF^2 + CF^2 = 3R^2}$", True),
        ("2k", "$\\boxed{a+b = 3k}$", False),
        ("p - q", "$\\boxed{\\sum_{j,k}\\frac{1}{(j+k)^3} = p - q}$", True),
        ("5", "$\\boxed{\\sum_{j,k}\\frac{1}{(j+k)^3} = 6}$", False),
        # an equation in the variable of its right side is still an equation to solve
        ("3", "$\\boxed{x^2 = 2x + 3}$", False),
        ("2x + 3", "$\\boxed{x^2 = 2x + 3}$", False),
        # unless it holds for every value: an identity, shown by expanding or at test points
        ("\\cot x", "$\\boxed{\\frac{\\sec x}{\\sin x} - \\frac{\\sin x}{\\cos x} = \\cot x}$", True),
        ("\\tan x", "$\\boxed{\\frac{\\sec x}{\\sin x} - \\frac{\\sin x}{\\cos x} = \\tan x}$", False),
    ]) == []


def test_words_after_a_boxed_value_that_say_why_or_where_it_holds():
    assert disagreements([
        ("f(x)=2x", "$\\boxed{f(x) = 2x \\text{ for all } x \\in \\mathbb{R}}$", True),
        ("f(n)=n^2", "$\\boxed{f(n)=n^2 \\text{ for all } n \\in \\mathbb{Z}_{>0}}$", True),
        ("5", "$\\boxed{5 \\text{ (since } x=3 \\text{ is extraneous)}}$", True),
        ("3", "$\\boxed{5 \\text{ (since } x=3 \\text{ is extraneous)}}$", False),
        ("\\frac{1}{x}", "$\\boxed{\\frac{1}{x} \\text{ where } x \\neq 0}$", True),
    ]) == []


def test_a_choice_with_its_option_text_and_units_after_a_symbol():
    assert disagreements([
        ("\\text{(C)}", "So the final answer is $\\boxed{\\text{(C) Plane}}$.", True),
        ("\\text{(B)}", "So the final answer is $\\boxed{\\text{(C) Plane}}$.", False),
        ("\\text{(C)}", "$\\boxed{\\text{(C) and (D)}}$", False),
        ("7.6 Z", "Final Answer: The final answer is $7.6 Z \\mathrm{~eV}$. I hope it is correct.", True),
        ("7.6", "$\\boxed{7.6 Z \\mathrm{~eV}}$", False),
        ("\\frac{37}{4} m", "$\\boxed{\\frac{37}{4} m \\mathrm{~N/m}}$", True),
        ("\\frac{37}{4}", "$\\boxed{\\frac{37}{4} m \\mathrm{~N/m}}$", False),
        ("460", "Regular pay: $400. Overtime: $60.\n**Total: $460**", True),
    ]) == []


def test_a_sign_before_each_of_one_number_twice_is_every_choice_of_signs():
    cube = "(1,1,1),(1,1,-1),(1,-1,1),(1,-1,-1),(-1,1,1),(-1,1,-1),(-1,-1,1),(-1,-1,-1)"
    assert disagreements([
        (cube, "$\\boxed{(\\pm 1, \\pm 1, \\pm 1)}$", True),
        ("(0,1,1),(0,-1,-1)", "$\\boxed{(0,\\pm1,\\pm1)}$", False),
        ("(2+\\sqrt{3},2+\\sqrt{3}),(2-\\sqrt{3},2-\\sqrt{3})", "$\\boxed{(2\\pm\\sqrt{3}, 2\\pm\\sqrt{3})}$", True),
    ]) == []


def test_a_rate_given_in_percent_accepts_the_percent_mark():
    assert disagreements_in_questions([
        ("What is the school's overall pass rate?", "70", "#### 70%", True),
        ("The mechanic charges different rates. How much more revenue did the mechanic earn?", "40", "#### 40%", False),
        ("She is paid at a rate of $5 per hour. How much does she earn?", "40", "#### 40%", False),
    ]) == []


def test_a_base_model_that_runs_on_into_the_next_example_is_read_up_to_it():
    run_on = ("Janet sells 9 eggs and makes $18. The answer is 18.\n\nQuestion: Tom has 5 apples and buys 3 more. "
              "How many apples does he have?\nAnswer: 5 + 3 = 8. The answer is 8.")
    assert disagreements([
        ("18", run_on, True),
        ("8", run_on, False),
        ("18", run_on.replace("Question:", "Q:"), True),
        # a heading before the answer is not another example
        ("7", "Let me restate.\n\nProblem: find x.\n\nWe get x = 7. The answer is 7.", True),
        ("18", "Question: How much does Janet make?\n\nShe makes 9 * 2 = 18 dollars.\n#### 18", True),
    ]) == []


def test_an_interval_without_points_or_another_interval():
    assert disagreements([
        ("(0,9) \\cup (9,36)", "$\\boxed{(0, 36) \\setminus \\{9\\}}$", True),
        ("(0,9) \\cup (9,36)", "$\\boxed{(0, 36) \\setminus \\{8\\}}$", False),
        ("(-\\infty, 2) \\cup (3, \\infty)", "$\\boxed{\\mathbb{R} \\setminus [2,3]}$", True),
        ("(-\\infty, 2] \\cup [3, \\infty)", "$\\boxed{\\mathbb{R} \\setminus [2,3]}$", False),
        ("(-\\infty, 2] \\cup [3, \\infty)", "$\\boxed{\\mathbb{R} \\setminus (2,3)}$", True),
        ("[0,2] \\cup (5,10]", "$\\boxed{[0,10] \\setminus (2,5]}$", True),
        ("(0,10)", "$\\boxed{[0,10] \\setminus \\{0, 10\\}}$", True),
    ]) == []


def test_an_answer_label_that_opens_a_sentence_inside_a_line():
    assert disagreements([
        ("18", "She makes 9 * 2 = $18 every day. Answer: 18. Let me also note she started with 16 eggs", True),
        ("16", "She makes 9 * 2 = $18 every day. Answer: 18. Let me also note she started with 16 eggs", False),
        ("18", "She makes 9 * 2 = $18 every day. **Answer:** 18. She started with 16 eggs.", True),
        # a point's label is not an answer label
        ("(1, 2)", "The vertices are listed below. Point A: (3, 4). So the last vertex is $(1, 2)$.", True),
    ]) == []


def test_a_breakdown_after_a_colon_follows_the_total_it_makes_up():
    assert disagreements([
        ("260", "Together they have 260 sheep: Seattle 20, Charleston 80, Toulouse 160.", True),
        ("160", "Together they have 260 sheep: Seattle 20, Charleston 80, Toulouse 160.", False),
        ("260", "The total is 260: 20 from Seattle, 80 from Charleston and 160 from Toulouse.", True),
        # a colon that introduces the answer, or a ratio, is not a breakdown
        ("12", "So the number of cookies left is: 12.", True),
        ("3:4", "The ratio of boys to girls is 3:4.", True),
    ]) == []


def test_lg_is_the_common_logarithm_and_a_percent_word_in_text_keeps_its_group():
    assert disagreements([
        ("(4, \\log _{10} 2)", "\\boxed{(4, \\lg 2)}", True),
        ("\\log_{10} 5", "\\boxed{\\lg 5}", True),
        ("\\ln 5", "\\boxed{\\lg 5}", False),
        ("8\\%", "\\boxed{8 \\text{ percent}}", True),
        ("50\\%", "\\boxed{50 \\text{ percent of them}}", True),
    ]) == []
