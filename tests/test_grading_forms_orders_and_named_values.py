"""The form and the order a question asks for, and values a response names after or before its answer (session 17,
from reviews of near-miss answers and of answers in each model family's style): each case is (question, reference,
response, expected verdict), with the near misses beside each rule."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions

AIME = ("The probability is $\\tfrac{m}{n}$, where $m$ and $n$ are relatively prime positive integers. "
        "What is $m+n$?")


def test_the_quantity_named_as_asked_after_the_box_answers_it():
    assert disagreements_in_questions([
        (AIME, "371", "Therefore the probability is $\\boxed{\\frac{115}{256}}$, and the requested sum is $371$.", True),
        (AIME, "371", "So the probability is $\\boxed{\\frac{115}{256}}$; the desired answer is 371.", True),
        (AIME, "371", "Therefore the probability is $\\boxed{\\frac{115}{256}}$, and the requested sum is $372$.", False),
        # a named intermediate after the box that answers is not the answer
        (AIME, "371", "So $m + n = \\boxed{371}$. (The desired probability is $\\frac{115}{256}$.)", True),
        (AIME, "371", "Therefore the probability is $\\boxed{\\frac{115}{256}}$.", False),
    ]) == []


def test_a_choice_letter_alone_carries_the_value_the_response_named_it_by():
    assert disagreements([
        ("27", "This gives $27$, which is choice $\\textbf{(C)}$.\n\n$\\boxed{\\textbf{(C)}}$", True),
        ("27", "This gives $28$, which is choice $\\textbf{(C)}$.\n\n$\\boxed{\\textbf{(C)}}$", False),
        # another letter than the one named: nothing to read
        ("27", "This gives $27$, which is choice $\\textbf{(C)}$.\n\n$\\boxed{\\textbf{(D)}}$", False),
        ("27", "$\\boxed{\\textbf{(C)}}$", False),
    ]) == []


def test_an_amount_of_money_grouped_by_spaces_is_one_number():
    assert disagreements([
        ("70000", "Profit: $200,000 − $130,000 = $70 000.", True),
        ("70000", "The answer is $70 000.", True),
        ("70", "The answer is $70 000.", False),
        ("12500", "Der Gewinn beträgt €12 500.", True),
        # numbers set apart by a space without a currency sign stay two
        ("1000", "The numbers are 1 000.", False),
    ]) == []


def test_an_expand_question_wants_no_product_of_a_sum():
    question = "Expand the product $(x+1)^2 \\cdot x$."
    assert disagreements_in_questions([
        (question, "x^3 + 2x^2 + x", "$\\boxed{x^3+2x^2+x}$", True),
        (question, "x^3 + 2x^2 + x", "$\\boxed{x + 2x^2 + x^3}$", True),
        (question, "x^3 + 2x^2 + x", "$\\boxed{x(x+1)^2}$", False),
        (question, "x^3 + 2x^2 + x", "$\\boxed{(x+1)^2 \\cdot x}$", False),
        ("Expand $(x+5)^2$", "x^2 + 10x + 25", "$\\boxed{(x+5)^2}$", False),
        ("Expand the following product: $\\frac{1}{4}\\left(\\frac{4}{y} + 4y\\right)$.", "\\frac{1}{y} + y",
         "$\\boxed{y + \\frac{1}{y}}$", True),
        ("Expand the following product: $\\frac{1}{4}\\left(\\frac{4}{y} + 4y\\right)$.", "\\frac{1}{y} + y",
         "$\\boxed{\\frac{1+y^2}{y}}$", False),
        # a number asked about the expansion, and a factoring question, are read as before
        ("Expand $(x-2)^2(x+2)^2$. What is the product of the nonzero coefficients?", "-128", "$\\boxed{-128}$", True),
        ("Factor $t^2-49$.", "(t-7)(t+7)", "$\\boxed{(t+7)(t-7)}$", True),
        ("Simplify $(x+1)(x-1) + 1$.", "x^2", "$\\boxed{x^2}$", True),
    ]) == []


def test_a_command_subscript_without_braces_is_one_name():
    assert disagreements([
        ("\\frac{L_{\\odot}}{2}", "$\\boxed{\\frac{L_\\odot}{2}}$", True),
        ("\\frac{L_{\\odot}}{c^{2}}", "$\\boxed{\\frac{L_\\odot}{c^2}}$", True),
        ("\\frac{L_{\\odot}}{c^{2}}", "$\\boxed{\\frac{M_\\odot}{c^2}}$", False),
    ]) == []


def test_a_mixed_number_or_a_plain_fraction_keeps_its_unit():
    question = "How many minutes does it take to download the file?"
    assert disagreements_in_questions([
        (question, "160", "So the answer is $\\boxed{2\\frac{2}{3} \\text{ hours}}$.", True),
        (question, "160", "#### 2 2/3 hours", True),
        (question, "160", "So the final answer is 8/3 hours.", True),
        (question, "160", "So the answer is $\\boxed{2\\frac{1}{3} \\text{ hours}}$.", False),
        (question, "160", "So the final answer is 8/3.", False),
    ]) == []


def test_an_expression_the_question_sets_as_a_display_is_no_answer_when_restated():
    assert disagreements_in_questions([
        ("Simplify the following expression in $x$: $$19x + 1 - 4x - 81.$$", "15x - 80",
         "Therefore, the answer is $\\boxed{19x + 1 - 4x - 81}$.", False),
        ("Simplify the following expression in $x$: $$19x + 1 - 4x - 81.$$", "15x - 80",
         "Therefore, the answer is $\\boxed{15x-80}$.", True),
        ("Simplify\n\\[\\frac{\\sec x}{\\sin x} - \\frac{\\sin x}{\\cos x}.\\]", "\\cot x",
         "$\\boxed{\\frac{\\sec x}{\\sin x} - \\frac{\\sin x}{\\cos x}}$", False),
        ("Simplify\n\\[\\frac{\\sec x}{\\sin x} - \\frac{\\sin x}{\\cos x}.\\]", "\\cot x", "$\\boxed{\\cot x}$", True),
        ("Simplify the following:$$\\frac{3}{\\sqrt{27}}$$", "\\frac{\\sqrt{3}}{3}", "$\\boxed{\\frac{3}{\\sqrt{27}}}$",
         False),
        # an equation set as a display is the condition, not the expression asked
        ("Find the value of $x$ such that $$2x + 3 = 7.$$", "2", "$\\boxed{2}$", True),
    ]) == []


def test_values_the_question_names_in_order_are_compared_in_that_order():
    xyz = "The numbers of wins, losses and ties are shown in the table. Determine the values of $x, y$ and $z$."
    ahk = ("The equations $y=a(x-2)(x+4)$ and $y=2(x-h)^{2}+k$ represent the same parabola. What are the values of "
           "$a, h$ and $k$ ?")
    triangles = "Let $T(n)$ be the number of triangles with perimeter $n$. Determine the values of $T(10), T(11)$ and $T(12)$."
    assert disagreements_in_questions([
        (xyz, "19,0,1", "Final Answer: The final answer is $19, 0, 1$. I hope it is correct.", True),
        (xyz, "19,0,1", "Final Answer: The final answer is $19, 1, 0$. I hope it is correct.", False),
        (xyz, "19,0,1", "Therefore, the answer is $\\boxed{z=1, y=0, x=19}$.", True),
        (ahk, "2,-1,-18", "Therefore, the answer is $\\boxed{2, -18, -1}$.", False),
        (ahk, "2,-1,-18", "The final answer is $h=-1, a=2, k=-18$.", True),
        (triangles, "2,4,3", "Therefore, the answer is $\\boxed{2, 4, 3}$.", True),
        (triangles, "2,4,3", "Therefore, the answer is $\\boxed{2, 3, 4}$.", False),
        (triangles, "2,4,3", "Therefore, the answer is $\\boxed{T(12)=3, T(10)=2, T(11)=4}$.", True),
        (triangles, "2,4,3", "Therefore, the answer is $\\boxed{T(12)=4, T(10)=2, T(11)=3}$.", False),
        # solutions the question does not name one by one are a set, and so are pairs
        ("Find all real solutions of $x^3 - 6x^2 + 11x - 6 = 0$.", "1,2,3", "$\\boxed{3, 1, 2}$", True),
        ("Find all pairs $(x, y)$ of integers with $x^2 - y = 9$ and $x + y = 3$.", "(3,0),(-3,1)",
         "$\\boxed{(-3,1),(3,0)}$", True),
    ]) == []


def test_a_matrix_written_as_a_list_of_its_rows():
    matrix = "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}"
    assert disagreements([
        (matrix, "The final answer is [[-1, 0], [0, -1]].", True),
        (matrix, "The final answer is $\\boxed{[[-1, 0], [0, 1]]}$.", False),
        (matrix, "The final answer is $\\boxed{[-1, 0], [0, -1]}$.", False),
        ("[1,2]", "The final answer is $\\boxed{[1, 2]}$.", True),
    ]) == []


def test_a_function_of_one_variable_is_the_name_the_reference_gives_it():
    assert disagreements([
        ("\\frac{d x}{d t}=k x-a", "$\\boxed{x'(t) = k x(t) - a}$", True),
        ("\\frac{d x}{d t}=k x-a", "$\\boxed{\\frac{dx}{dt} = k x(t) - a}$", True),
        ("\\frac{dN}{dt}=2N", "$\\boxed{N'(t) = 2N(t)}$", True),
        ("\\frac{d x}{d t}=k x-a", "$\\boxed{x'(t) = k x(t) + a}$", False),
        ("\\frac{d x}{d t}=k x-a", "$\\boxed{x'(t) = k y(t) - a}$", False),
        ("y^{\\prime}+r y-r x(t)=0", "$\\boxed{y' + r y - r x = 0}$", True),
        ("y^{\\prime}+r y-r x(t)=0", "$\\boxed{y' + r y + r x = 0}$", False),
    ]) == []


def test_a_decimal_comma_under_an_answer_label_of_a_language_that_writes_one():
    assert disagreements([
        ("1.25", "9 ÷ 2 ...\n\nRespuesta: 1,25", True),
        ("326.5", "313,9 + 12,6 = 326,5\n\nLa réponse est 326,5.", True),
        ("18.9", "54 × 0,25 + 27 × 0,2 = 18,90 $.\n\nLa réponse est 18,90 $.", True),
        ("0.15", "3/20 = 15/100 = 0,15\n\nDie Antwort lautet: 0,15", True),
        ("1.25", "Respuesta: 1,35", False),
        # the labels that say "the solution is" (session 18)
        ("0.15", "Die Lösung ist 0,15.", True),
        ("1.5", "Les solutions sont 1,5.", True),
        ("2.5", "Las soluciones son 2,5.", True),
        ("0.15", "Die Lösung ist 0,16.", False),
        # a list, three digits after the comma, or an English label: as before
        ("1,25", "Respuesta: 1, 25", True),
        ("1250", "Respuesta: 1,250", True),
        ("2,4,6", "La réponse est 2,4,6.", True),
        ("1.25", "Answer: 1,25", False),
        ("1.5", "The solutions are 1,5.", False),
    ]) == []
