"""Formats found by a fifth look at answer equivalence (2026-12-04): answers stated in prose, and
definitions of functions. Each case is (reference, response, expected verdict); the near misses beside
each rule must stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions

from evalkit.grading.question import answer_options


def test_a_final_sentence_stating_a_functions_parity_answers_with_the_word():
    assert disagreements([
        ("\\text{odd}", "Therefore, $f$ is an odd function.", True),
        ("\\text{even}", "So the function is even.", True),
        ("\\text{even}", "Hence $g(x)$ is even, as $g(-x) = g(x)$.", True),
        ("\\text{neither}", "$f(x)$ is neither even nor odd.", True),
        ("\\text{odd}", "Thus $f$ is odd.", True),
        ("\\text{odd}", "Therefore, $f$ is an even function.", False),
        ("\\text{neither}", "So $f$ is odd.", False),
        # parity of a number is not the answer: the sentence's value is
        ("6", "So $n$ is even and there are $6$ ways.", True),
        ("2", "The number of odd functions is $2$.", True),
        # a parity given as a reason, or followed by the value it leads to (MATH test 4701, OlympiadBench 522)
        ("152", "And since the cosine function is even, $\\cos (-152^\\circ) = \\cos 152^\\circ,$ so $n = 152.$", True),
        ("\\frac{15}{2}", "Because $f(x)$ is odd, we conclude that $c=-d$, or $a+b=\\frac{15}{2}$.", True),
        ("5", "The function is even, so $f(3) = 5$.", True),
    ]) == []


def test_a_last_line_of_plain_text_arithmetic_is_read_whole():
    # tool-integrated reasoning ends on a program's printed output; a last line may be the value alone
    assert disagreements([
        ("\\frac{3}{4}", "Computing the probability.\n```python\nprint(Rational(3, 4))\n```\n```output\n3/4\n```", True),
        ("\\frac{\\sqrt{2}}{2}", "Simplifying.\n```output\nsqrt(2)/2\n```", True),
        ("\\frac{2\\pi}{3}", "The angle:\n2*pi/3", True),
        ("4", "Computing the probability.\n```output\n3/4\n```", False),
        ("2", "Simplifying.\n```output\nsqrt(2)/2\n```", False),
        # a computation on the last line is still its result
        ("9", "She sells the rest.\n16 - 3 - 4 = 9", True),
    ]) == []


def test_an_answer_stated_after_words_that_take_the_last_box_back_wins():
    assert disagreements([
        ("6", "The answer is $\\boxed{5}$... no wait, I made an error. The correct answer is 6.", True),
        ("5", "The answer is $\\boxed{5}$... no wait, I made an error. The correct answer is 6.", False),
        ("6", "$\\boxed{5}$\n\nWait, that's wrong. The answer is $6$.", True),
        # a check that restates the box, or a remark that denies another value, keeps it
        ("5", "The answer is $\\boxed{5}$. Wait, let me double-check: yes, the answer is 5.", True),
        ("5", "So the answer is $\\boxed{5}$. Note that the answer is not 6.", True),
        ("5", "$\\boxed{5}$\n\nLet me verify: the answer is 5 since 2 + 3 = 5.", True),
    ]) == []


def test_a_supposed_answer_is_not_stated_and_a_correction_wins():
    assert disagreements([
        ("6", "I initially thought the answer is 5, but actually it's 6.", True),
        ("5", "I initially thought the answer is 5, but actually it's 6.", False),
        ("6", "At first I assumed the answer is 5. After checking, the answer is 6.", True),
        ("6", "It looks like 5, but in fact it is 6.", True),
        # a supposition checked and then stated, a belief stated now, a condition after the answer
        ("5", "If the answer is 5, then the sum is 10, which matches. So the answer is 5.", True),
        ("5", "I think the answer is 5.", True),
        ("5", "The answer is 5, if we count the endpoints.", True),
        ("18", "The answer is 18, so she makes $18 every day.", True),
    ]) == []


SHAPES = ("Find the shape described by the equation \\[z = c.\\](A) Line (B) Circle (C) Plane (D) Sphere (E) Cylinder "
          "(F) Cone  Enter the letter of the correct option.")
EQUATIONS = ("Which equation? $\\textbf{(A)}\\ 3(1 + r)^x = 7\\qquad \\textbf{(B)}\\ 3(1 + r/10)^x = 7\\qquad "
             "\\textbf{(C)}\\ 3(1 + 2r)^x = 7$")


def test_the_options_a_question_lists():
    assert answer_options(SHAPES)[:3] == (("A", "Line"), ("B", "Circle"), ("C", "Plane"))
    assert answer_options(SHAPES)[-1] == ("F", "Cone")
    assert answer_options(EQUATIONS) == (("A", "3(1 + r)^x = 7"), ("B", "3(1 + r/10)^x = 7"), ("C", "3(1 + 2r)^x = 7"))
    assert answer_options("Is it (A) or (B)?") == ()  # two labels are not a list of options
    assert answer_options("Find (B) Circle (C) Plane (D) Sphere") == ()  # options start at A
    assert answer_options('label("(A) 2", (0,0)); label("(B) 3", (1,0)); label("(C) 4", (2,0)); [/asy]') == ()


def test_the_text_or_value_of_the_listed_option_answers_for_its_letter():
    assert disagreements_in_questions([
        (SHAPES, "\\text{(C)}", "$\\boxed{\\text{Plane}}$", True),
        (SHAPES, "\\text{(C)}", "$\\boxed{\\text{plane}}$", True),
        (SHAPES, "\\text{(C)}", "$\\boxed{\\text{Sphere}}$", False),
        (SHAPES, "\\text{(C)}", "$\\boxed{\\text{(D) Sphere}}$", False),
        (SHAPES, "\\text{(C)}", "$\\boxed{C}$", True),
        (EQUATIONS, "\\text{(B)}", "$\\boxed{3(1+\\frac{r}{10})^x = 7}$", True),
        (EQUATIONS, "\\text{(B)}", "$\\boxed{3(1+2r)^x = 7}$", False),
        # without the question's options, a word is not a letter
        (None, "\\text{(C)}", "$\\boxed{\\text{Plane}}$", False),
    ]) == []


def test_a_value_with_a_plain_text_root_or_pi_in_prose_is_one_value():
    assert disagreements([
        ("\\sqrt{2}", "By AM-GM, the minimum value is √2.", True),
        ("2", "By AM-GM, the minimum value is √2.", False),
        ("\\sqrt{2}", "By AM-GM, the minimum value is sqrt(2).", True),
        ("2", "By AM-GM, the minimum value is sqrt(2).", False),
        ("2\\pi", "By AM-GM, the minimum value is 2π.", True),
        ("2", "By AM-GM, the minimum value is 2π.", False),
        ("\\sqrt[3]{3}", "The product telescopes, so the value is ∛3.", True),
        ("2\\sqrt{2}", "The sum telescopes to 2√2.", True),
        ("2", "The sum telescopes to 2√2.", False),
        ("3", "Setting the two expressions equal, the radius is √3 units.", False),
        ("\\sqrt{7}", "Answer: √7 units", True),
        ("\\frac{\\pi}{4}", "The angle is π/4 radians.", True),
        ("3", "There are 3 pies.", True),
    ]) == []


def test_a_box_said_to_be_wrong_gives_way_to_the_corrected_value_and_a_guess_is_not_a_final_answer():
    assert disagreements([
        ("\\frac{3\\sqrt{3}}{4}", "The area is $\\boxed{\\frac{3\\sqrt{3}}{2}}$.\n\nWait, that's wrong: I used the full base "
         "instead of half of it. Correcting, the area is $\\frac{3\\sqrt{3}}{4}$.", True),
        ("\\frac{3\\sqrt{3}}{4}", "The area is $\\boxed{\\frac{3\\sqrt{3}}{4}}$.\n\nHmm, wait — I forgot to double it since "
         "there are two triangles. The correct area is $\\frac{3\\sqrt{3}}{2}$.", False),
        ("3\\sqrt{13}", "Hence the result is $\\boxed{\\sqrt{13}}$.\n\nWait, I made an arithmetic slip in the last step. "
         "Redoing it carefully, the value is $3\\sqrt{13}$.", True),
        # a bare `Wait` opens a check: the box stands
        ("5", "$\\boxed{5}$\n\nWait, let me verify by plugging in $x = 5$: $5^2 - 25 = 0$.", True),
        ("2", "A first guess would be that the final answer is $3\\sqrt{13}$, but that ignores the second case.\n\n"
         "Adding the second case we get\n\n### Final Answer\n\\[\n\\boxed{2}\n\\]", True),
        ("3\\sqrt{13}", "A first guess would be that the final answer is $3\\sqrt{13}$, but that ignores the second case.\n\n"
         "Adding the second case we get\n\n### Final Answer\n\\[\n\\boxed{2}\n\\]", False),
    ]) == []


def test_a_question_whose_task_is_to_write_a_decimal_is_not_answered_by_its_fraction():
    write = "Write $\\frac{3}{20}$ as a decimal."
    convert = "Convert $\\frac{57}{160}$ to a terminating decimal."
    expressed = "What is $\\frac{9}{2}$ expressed as a decimal?"
    result = "The quadratic $x^2+(2.6)x+3.6$ can be written in the form $(x+b)^2+c$. What is $b+c$ (as a decimal)?"
    assert disagreements_in_questions([
        (write, "0.15", "$\\boxed{\\frac{3}{20}}$", False),
        (write, "0.15", "$\\boxed{0.15}$", True),
        (write, "0.15", "$\\boxed{.15}$", True),
        (convert, ".35625", "$\\boxed{\\frac{57}{160}}$", False),
        (convert, ".35625", "$\\boxed{0.35625}$", True),
        (expressed, "4.5", "$\\boxed{\\frac{9}{2}}$", False),
        (expressed, "4.5", "$\\boxed{4.50}$", True),
        # a result asked for as a decimal may be given in any exact form
        (result, "3.21", "$\\boxed{\\frac{321}{100}}$", True),
        (None, "0.15", "$\\boxed{\\frac{3}{20}}$", True),
    ]) == []


def test_sympy_printouts_labels_in_other_languages_and_more_interval_spellings():
    assert disagreements([
        ("\\frac{11}{36}", "```output\nRational(11, 36)\n```\n$\\boxed{Rational(11, 36)}$", True),
        ("\\frac{27}{64}", "The answer is $\\boxed{\\text{Rational}(27, 64)}$.", True),
        ("\\frac{27}{64}", "$\\boxed{Rational(27, 65)}$", False),
        ("\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", "$\\boxed{Matrix([[-1/3], [2/3], [5/3]])}$", True),
        ("\\frac{19}{34}", "Damit ist die Wahrscheinlichkeit berechnet.\n\n**Antwort:** $\\frac{19}{34}$", True),
        ("\\frac{19}{34}", "Thus.\n\n**Réponse :** $\\frac{19}{34}$", True),
        ("\\frac{19}{34}", "Thus.\n\n**Ответ:** $\\frac{19}{34}$", True),
        ("\\frac{19}{34}", "Thus.\n\n**答案：** $\\frac{19}{34}$", True),
        ("4.5e33", "Final Answer: The final answer is 4.5·10^33 erg/s. I hope it is correct.", True),
        ("(3,4]", "The final answer is: $\\boxed{]3, 4]}$", True),
        ("[0,1)", "$\\boxed{[0, 1[}$", True),
        ("(3,4)", "$\\boxed{]3, 4]}$", False),
        ("(-\\infty, 0) \\cup\\{1\\}", "$\\boxed{x<0 \\text{ or } x=1}$", True),
        ("(-\\infty, 0) \\cup\\{1\\}", "$\\boxed{x \\in (-\\infty,0) \\text{ or } x = 1}$", True),
        ("(-\\infty, 0) \\cup\\{1\\}", "$\\boxed{x \\le 0 \\text{ or } x = 1}$", False),
        ("1, 2", "$\\boxed{x=1 \\text{ or } x=2}$", True),
        # a letter with the words of its option
        ("\\text{ellipse}", "The answer is (E) ellipse.", True),
        ("\\text{(E)}", "The answer is (E) Ellipse.", True),
        ("\\text{parabola}", "The answer is (E) ellipse.", False),
        ("\\text{(D)}", "The answer is (E) Ellipse.", False),
    ]) == []


def test_a_brace_group_around_the_answer_and_large_numbers_in_words():
    assert disagreements([
        ("864 \\mbox{ inches}^2", "So, our final answer is ${864 \\mbox{ inches}^2}$", True),
        ("864", "$\\boxed{{864 \\mbox{ inches}^2}}$", True),
        ("\\frac{1}{2}", "$\\boxed{{\\frac{1}{2}}}$", True),
        ("2", "$\\boxed{{2}^{2}}$", False),
        ("98721", "So the answer is ninety-eight thousand seven hundred twenty-one.", True),
        ("1500", "So the answer is one thousand five hundred.", True),
        ("1501", "So the answer is one thousand five hundred.", False),
    ]) == []
