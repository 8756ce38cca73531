"""Answer formats from the 2026-12 equivalence review (1,046 cases in real models' styles): spacing
at the end of a box, `{:}` in a time, `\\min` as minutes, text answers with a noun, a matrix with a
sign, numerals with their base in parentheses or in words, and identities compared where their
variables live (rounded expressions in n, m, k at integers). Each case is
(reference, response, expected verdict)."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions


def test_latex_spacing_at_the_end_of_a_box_is_not_part_of_the_answer():
    assert disagreements([
        ("\\frac{14}{3}", "So the answer is $\\boxed{\\dfrac{14}{3}\\,}$.", True),
        ("11\\sqrt2", "The length is $\\boxed{11\\sqrt{2}\\;}$.", True),
        ("5", "Answer: $5\\quad$", True),
        ("\\frac{14}{3}", "So the answer is $\\boxed{\\dfrac{13}{3}\\,}$.", False),
    ]) == []


def test_times_minutes_and_text_answers_written_another_way():
    assert disagreements([
        ("\\text{4:30 p.m.}", "The meeting ends at $\\boxed{4{:}30 \\text{ p.m.}}$", True),
        ("\\text{1:03 PM}", "$\\boxed{1{:}03 \\text{ PM}}$", True),
        ("\\text{1:03 PM}", "$\\boxed{1{:}04 \\text{ PM}}$", False),
        ("45", "It takes $\\boxed{45 \\min}$.", True),
        ("45", "It takes $\\boxed{40 \\min}$.", False),
        ("\\text{even}", "Therefore $f$ is $\\boxed{\\text{even function}}$.", True),
        ("\\text{odd}", "Therefore $f$ is $\\boxed{\\text{even function}}$.", False),
        ("\\text{neither}", "So $f$ is $\\boxed{\\text{neither even nor odd}}$.", True),
        ("\\text{no solution}", "The solution set is $\\boxed{\\emptyset}$.", True),
        ("\\emptyset", "$\\boxed{\\text{No solutions}}$", True),
        ("\\emptyset", "$\\boxed{\\text{all real numbers}}$", False),
    ]) == []


def test_a_signed_matrix_and_numerals_with_their_base_written_another_way():
    identity = "\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}"
    assert disagreements([
        ("\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}", f"$\\boxed{{-{identity}}}$", True),
        (identity, f"$\\boxed{{-{identity}}}$", False),
        ("52_8", "$\\boxed{(52)_8}$", True),
        ("52_8", "$\\boxed{52_{\\text{eight}}}$", True),
        ("52_8", "$\\boxed{52_{\\text{seven}}}$", False),
        ("1011_2", "$\\boxed{1011_{\\text{two}}}$", True),
        # a numeral is not right for a reference of digits alone: its base may be the wrong one
        ("695", "$\\boxed{695_9}$", False),
        ("1550", "$\\boxed{4343_7}$", False),
    ]) == []


def test_a_tuple_whose_items_carry_their_own_plus_minus_is_every_choice_of_signs():
    assert disagreements([
        ("(3,2),(-3,2),(3,-2),(-3,-2)", "The points are $\\boxed{(\\pm3,\\pm2)}$.", True),
        ("(3,2),(-3,-2)", "The points are $\\boxed{(\\pm3,\\pm2)}$.", False),
        ("(0,2),(0,-2),(4,23),(4,-23)", "$\\boxed{(0,\\pm2),(4,\\pm23)}$", True),
        # the same item twice: its signs go together
        ("(2+\\sqrt{3},2+\\sqrt{3}),(2-\\sqrt{3},2-\\sqrt{3})", "$\\boxed{(2\\pm\\sqrt{3}, 2\\pm\\sqrt{3})}$", True),
        # `\\mp` ties the signs
        ("(1,-1),(-1,1)", "$\\boxed{(\\pm1,\\mp1)}$", True),
        # a sign before the whole tuple: the tuple and its negative
        ("(3,2),(-3,-2)", "$\\boxed{\\pm(3,2)}$", True),
        ("(3,-2),(-3,2)", "$\\boxed{\\pm (3, -2)}$", True),
        ("(3,2),(-3,2),(3,-2),(-3,-2)", "$\\boxed{\\pm(3,2)}$", False),
    ]) == []


def test_identities_are_compared_where_their_variables_live():
    assert disagreements([
        # both sides round: integers decide (odd and even values of every variable)
        ("m n-\\lfloor m/2\\rfloor", "$\\boxed{m(n-1)+\\lceil m/2\\rceil}$", True),
        ("\\lfloor\\log_2 n\\rfloor+1", "$\\boxed{\\lceil\\log_2(n+1)\\rceil}$", True),
        ("\\lceil n/2\\rceil+1", "$\\boxed{\\lfloor (n+1)/2\\rfloor+1}$", True),
        ("\\lceil n/2\\rceil+1", "$\\boxed{\\lfloor n/2\\rfloor+1}$", False),
        # equal at small integers, not at n = 5 or k = 7
        ("\\lfloor\\frac{2n-1}{5}\\rfloor", "$\\boxed{\\lfloor 2n/5\\rfloor}$", False),
        ("\\lfloor\\frac{k-1}{7}\\rfloor+1", "$\\boxed{\\lfloor\\frac{k}{7}\\rfloor+1}$", False),
        # a real variable: floor and ceiling agree at every integer, not at x = 1/2
        ("\\lfloor x\\rfloor", "$\\boxed{\\lceil x\\rceil}$", False),
        # only one side rounds: the real points decide, as before
        ("x-\\lfloor x\\rfloor", "$\\boxed{0}$", False),
        # logarithms are compared at points of both signs: |x| matters
        ("2\\ln|x|", "$\\boxed{2\\ln x}$", False),
        ("\\ln x", "$\\boxed{\\ln 2x}$", False),
        ("|x|", "$\\boxed{x}$", False),
    ]) == []


def test_a_percent_mark_is_added_to_a_reference_only_where_the_question_speaks_of_percent():
    cases = [
        ("How much more revenue, in dollars, did the shop make?", "40", "#### 40%", False),
        ("How much does he make per day?", "18", "So he makes $\\boxed{18\\%}$.", False),
        ("What percent of the students passed?", "40", "#### 40%", True),
        ("What percentage of the grid is shaded?", "40", "$\\boxed{40\\%}$", True),
        (None, "40", "#### 40%", True),  # the question not known: as lenient as before
        # a percent answer still equals the fraction it is
        ("What is the probability of rain?", "0.4", "$\\boxed{40\\%}$", True),
    ]
    assert disagreements_in_questions(cases) == []


def test_an_expanded_or_partly_factored_polynomial_does_not_answer_a_question_that_asks_to_factor():
    factor = "Factor the expression $ab+5b+2a+10$."
    cases = [
        (factor, "(a+5)(b+2)", "$\\boxed{ab+2a+5b+10}$", False),
        (factor, "(a+5)(b+2)", "$\\boxed{(b+2)(a+5)}$", True),
        ("Factor $t^2-49$.", "(t-7)(t+7)", "$\\boxed{t^2-49}$", False),
        ("Factor $36-4x^2$ completely.", "4(3-x)(3+x)", "$\\boxed{-4(x-3)(x+3)}$", True),
        ("Factor $r^2+10r+25$.", "(r+5)^2", "$\\boxed{(r+5)(r+5)}$", True),
        # a product that is not factored as far as the reference is
        ("Factor $2x^2-8$.", "2(x-2)(x+2)", "$\\boxed{2(x^2-4)}$", False),
        ("Factor $2x^2-8$.", "2(x-2)(x+2)", "$\\boxed{(2x-4)(x+2)}$", True),
        ("Factor $x^3-x$ completely.", "x(x-1)(x+1)", "$\\boxed{x(x^2-1)}$", False),
        ("Factor $x^3-x^2-x+1$.", "(x-1)^2(x+1)", "$\\boxed{(x-1)(x^2-1)}$", False),
        ("Factor $x^3-x^2-x+1$.", "(x-1)^2(x+1)", "$\\boxed{(x+1)(x-1)^2}$", True),
        # no command to factor: equal is right
        ("Expand $(a+5)(b+2)$.", "(a+5)(b+2)", "$\\boxed{ab+2a+5b+10}$", True),
        ("What is the largest prime factor of 91?", "13", "$\\boxed{13}$", True),
    ]
    assert disagreements_in_questions(cases) == []


def test_sets_of_reals_written_by_a_condition_or_without_points():
    union = "(-\\infty,-7)\\cup(-7,3)\\cup(3,\\infty)"
    assert disagreements([
        (union, "$\\boxed{\\mathbb{R} \\setminus \\{-7, 3\\}}$", True),
        (union, "$\\boxed{\\mathbb{R} \\setminus \\{3, -7\\}}$", True),
        (union, "$\\boxed{\\mathbb{R} \\setminus \\{-7\\}}$", False),
        ("(-\\infty,2)\\cup(3,\\infty)", "$\\boxed{\\{x \\mid x<2 \\text{ or } x>3\\}}$", True),
        ("(-\\infty,2)\\cup(3,\\infty)", "$\\boxed{\\{x \\mid x\\le 2 \\text{ or } x>3\\}}$", False),
        ("[2,\\infty)", "$\\boxed{\\{x : x \\geq 2\\}}$", True),
        ("(-\\infty,1)\\cup(1,\\infty)", "$\\boxed{\\{x \\in \\mathbb{R} \\mid x \\neq 1\\}}$", True),
        # words that quantify the relation after them
        ("(3,\\infty)", "$\\boxed{\\text{all real } x > 3}$", True),
        ("(2,\\infty)", "$\\boxed{\\text{all real } x > 3}$", False),
        # integers are not the interval
        ("(5,\\infty)", "$\\boxed{\\text{all integers } x > 5}$", False),
    ]) == []
