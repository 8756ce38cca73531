"""What a response says after its answer (session 16, from a review of how responses end): a revision that states
another value replaces the answer, a second value offered beside it makes two, and an answer that only restates
the expression the question asks to work out is no answer to it. Each case is (reference, response, expected
verdict); the near misses beside each rule stay as they were."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions


def test_a_revision_after_the_box_or_the_answer_line_states_the_answer():
    assert disagreements([
        ("70000", "$\\boxed{70000}$\n\nBut the question asks for the total including the 80000, so the answer is "
                  "70000 + 80000 = 150000.", False),
        ("70000", "$\\boxed{200000}$\n\nBut the question asks for something else: the final quantity, which is 70000.",
         True),
        ("3", "$\\boxed{\\frac{1}{2}}$\n\nBut the question asks for the combination of $m$ and $n$: $1+2 = 3$.", True),
        ("18", "$\\boxed{18}$\n\nHowever, the question asks for the amount after adding the 16, so the answer is 34.",
         False),
        ("18", "The answer is 34.\n\nCorrection: 18.", True),
        ("45", "The answer is 45.\n\nCorrection: 48.", False),
        ("13", "Final answer: $\\boxed{13}$\n\nEdit: this should be 103; I dropped the 90.", False),
        ("13", "**Final Answer:** 13\n\nOops, I see a mistake: the 90 must be added. Fixing it gives 103.", False),
        ("3", "$\\boxed{3}$\n\nSo the final answer should be 5 instead.", False),
        ("3", "$\\boxed{3}$\n\nWait, I still need to add the 2: 3 + 2 = 5.", False),
        ("3", "So the answer is 5.\n\nWait, I counted the 2 that should not be there: 5 - 2 = 3.", True),
        ("5", "$\\boxed{3}$\n\nHmm, no: 5.", True),
        ("18", "La respuesta es 18... No, espera, me equivoqué: también regala 2. Quedan 7 huevos.\n\n"
               "La respuesta correcta es 14.", False),
        ("26", "我原本以为答案是 18，但重新计算：13 × 2 = 26。\n\n所以她每天赚 26 美元。", True),
        # what follows a box without taking it back leaves it standing
        ("12", "The answer is $\\boxed{12}$.\n\nThe question asks for the number of apples, which is 12.", True),
        ("12", "Thus $\\boxed{12}$.\n\nTo double-check: 3 * 4 = 12. Correct.", True),
        ("12", "The answer is $\\boxed{12}$. Oh, no need to simplify further.", True),
    ]) == []


def test_a_second_value_offered_beside_the_answer_makes_two():
    assert disagreements([
        ("45", "So he is 45 miles away.\n\nThe answer is 45 (or possibly 48).", False),
        ("15", "$\\boxed{15}$? I'm not sure; it could also be 25.", False),
        ("15", "$\\boxed{15}$. I'm sure of it.", True),
    ]) == []


def test_an_answer_that_restates_the_expression_the_question_asks_to_work_out_is_wrong():
    assert disagreements_in_questions([
        ("Compute $99^2+99+1$.", "9901",
         "This is already in its simplest form, so the answer is $\\boxed{99^2+99+1}$.", False),
        ("Compute $99^2+99+1$.", "9901", "The answer is $\\boxed{9901}$.", True),
        ("Simplify $\\sqrt{242}$.", "11\\sqrt2", "So the answer is $\\boxed{\\sqrt{242}}$.", False),
        ("Simplify $\\sqrt{242}$.", "11\\sqrt2", "So the answer is $\\boxed{11\\sqrt{2}}$.", True),
        ("Simplify $(1+2i)6-3i$.", "6+9i", "We need to simplify $(1+2i)6-3i$.\n\nLet me think about how to approach this.",
         False),
        ("Express $0.\\overline{3}$ as a common fraction.", "\\frac{1}{3}", "The answer is $\\boxed{0.\\overline{3}}$.",
         False),
        ("Compute $\\dbinom{31}{28}$.", "4495", "The answer is $\\boxed{\\dbinom{31}{28}}$.", False),
        # the reference written as the question writes it, a name, and an equation that works the expression out
        ("Simplify $\\frac{x}{2}$.", "\\frac{x}{2}", "The answer is $\\boxed{\\frac{x}{2}}$.", True),
        ("Find $f(2)$.", "7", "The answer is $\\boxed{7}$.", True),
        ("Simplify $\\frac{x^2-1}{x-1}$.", "x+1", "$\\frac{x^2-1}{x-1} = x+1$", True),
    ]) == []


def test_named_values_are_read_in_the_order_the_question_declares():
    assert disagreements_in_questions([
        ("Find all pairs $(k, n)$ of positive integers such that ...", "(2,4)", "$n = 4, k = 2$.", True),
        ("Find all pairs $(k, n)$ of positive integers such that ...", "(2,4)", "\\boxed{n = 2, k = 4}", False),
        ("Find the ordered triple $(p,q,r)$.", "(6,31,-1)", "\\boxed{r = -1, \\ p = 6, \\ q = 31}", True),
        ("Find the ordered triple $(p,q,r)$.", "(6,31,-1)", "\\boxed{q = 6, \\ p = 31, \\ r = -1}", False),
        ("Find $(x_1, x_2)$.", "(1,2)", "\\boxed{x_{2} = 2, x_{1} = 1}", True),
        ("Find $(a, b)$.", "1.68,0.45", "\\boxed{b = 1.68, a = 0.45}", False),
        # the names it asks the values of, in order, when it writes no tuple
        ("Using the table, determine both $a$ and $b$ to two decimal places.", "1.68,0.45",
         "\\boxed{b = 0.45, \\ a = 1.68}", True),
        ("Using the table, determine both $a$ and $b$ to two decimal places.", "1.68,0.45",
         "\\boxed{b = 1.68, a = 0.45}", False),
    ]) == []


def test_the_value_stated_after_the_box_for_the_expression_asked_answers_it():
    asked = "The probability is $\\frac{m}{n}$, where $m$ and $n$ are relatively prime positive integers. Find $m+n$."
    assert disagreements_in_questions([
        (asked, "113", "Therefore $AP=\\boxed{\\frac{100}{13}}$. So $m+n=100+13=113$.", True),
        (asked, "113", "Therefore $AP=\\boxed{\\frac{100}{13}}$. So $m+n=114$.", False),
        (asked, "113", "Therefore $AP=\\boxed{\\frac{100}{13}}$.", False),  # the fraction alone does not answer
        (asked, "113", "So $m + n = 100 + 13 = \\boxed{113}$.", True),
        ("Find $x$.", "5", "So $\\boxed{5}$. Check: $x = 5$ satisfies it.", True),  # a name alone is not worked out
    ]) == []


def test_a_congruence_answers_with_its_residue_against_an_integer_reference():
    assert disagreements([
        ("321", "Thus $N \\equiv 321 \\pmod{1000}$.", True),
        ("16", "So $2016 \\equiv 16 \\pmod{1000}$.", True),
        ("735", "Hence $N = 885{,}735 \\equiv 735 \\ (\\text{mod } 1000)$.", True),
        ("2016", "So $2016 \\equiv 16 \\pmod{1000}$.", False),
        ("321", "Thus $N \\equiv 322 \\pmod{1000}$.", False),
    ]) == []


def test_a_base_model_that_runs_on_into_a_whole_invented_example_is_read_up_to_it():
    response = ("It takes 2/2=1 bolt of white fiber\nSo the total amount of fabric is 2+1=3 bolts of fabric\n\n"
                "Question: Tony has 50 pills. How many are left?\nAnswer: Tony takes 2*3=6 pills.\nSo 50-6=44 remain.\n\n"
                "Question: Lisa spends $40. How much?\nAnswer:")
    assert disagreements([
        ("3", response, True),
        ("44", response, False),
        ("18", "Question: How much does Janet make?\n\nShe makes 9*2 = $18.", True),  # a restated question stays
    ]) == []


def test_a_time_of_day_in_a_closing_sentence_is_one_value():
    assert disagreements([
        ("9", "Mark needs 3 hours, Rob 1 hour. Mark should leave 2 hours earlier, at 9:00 AM.", True),
        ("19:00", "3 hours after 4 pm, she eats dinner at 19:00.", True),
        ("10", "She arrives at 10:00 p.m.", True),
        ("0", "Mark should leave 2 hours earlier, at 9:00 AM.", False),
    ]) == []


def test_a_restatement_in_other_names_after_the_box_leaves_it_standing():
    # MATH test 2739: the solution boxes c/a, then derives t^2 = pq again by another route
    assert disagreements_in_questions([
        ("Let $t$ be the length of the tangent. Express $t^2$ in terms of $a,$ $b,$ and $c.$", "\\frac{c}{a}",
         "By Vieta's formulas, $pq = \\frac{c}{a},$ so $t^2 = pq = \\boxed{\\frac{c}{a}}.$ Alternatively, by power of "
         "a point, $t^2 = OT^2 = OP \\cdot OQ = pq.$", True),
    ]) == []
