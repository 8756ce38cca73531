"""Formats found by a fourth review of answer equivalence (2026-12-04): 749 answers in the styles of
reasoning and chat models on real MATH-500, GSM8K, AIME, AMC, Minerva and OlympiadBench problems.
Each case is (reference, response, expected verdict); the near misses beside each rule must stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions

from evalkit.grading import Grader
from evalkit.grading.policy import DEFAULT_POLICY


def test_numbers_offered_as_alternatives_before_more_words_are_a_hedge():
    assert disagreements([
        ("204", "The answer is 204 or 210, depending on the interpretation.", False),
        ("210", "The answer is 204 or 210, depending on the interpretation.", False),
        ("204", "The answer is 204, which I checked twice.", True),
        ("5", "The answer is 5 or more.", False),
    ]) == []


def test_a_number_before_a_binomial_coefficient_multiplies_it():
    # the parser's mixed-number reading (`3\frac{1}{4}` is 3 1/4) added them: 2021 + C(1010, 2)
    assert disagreements([
        ("2021 \\cdot 505 \\cdot 337", "$\\boxed{\\binom{2021}{3} - 2021\\binom{1010}{2}}$", True),
        ("12", "$\\boxed{2\\binom{4}{2}}$", True),
        ("8", "$\\boxed{2\\binom{4}{2}}$", False),
        ("\\frac{5}{2}", "$\\boxed{2\\frac{1}{2}}$", True),
    ]) == []


def test_derivatives_in_leibniz_and_newton_notation_are_primes():
    assert disagreements([
        ("\\frac{d x}{d t}=k x-a", "$\\boxed{x' = kx - a}$", True),
        ("\\frac{d x}{d t}=k x-a", "$\\boxed{\\dot{x} = kx - a}$", True),
        ("y^{\\prime}+r y-r x(t)=0", "$\\boxed{\\frac{dy}{dt} = r x(t) - r y}$", True),
        ("I \\frac{d \\omega}{d t}+2 B \\omega=T", "$\\boxed{I\\dot{\\omega} + 2B\\omega = T}$", True),
        ("m \\frac{d v}{d t}+b v=f", "$\\boxed{m\\dot v = f - b v}$", True),
        ("\\frac{d^2 x}{dt^2} + x = 0", "$\\boxed{\\ddot{x} = -x}$", True),
        # the order counts, and the d's are not variables that cancel
        ("\\frac{d^2 x}{dt^2} + x = 0", "$\\boxed{\\dot{x} = -x}$", False),
        ("\\frac{dx}{dt}", "$\\boxed{\\frac{x}{t}}$", False),
        # a dotted name with an index is a name (an initial velocity), a dotted digit a repeating decimal
        ("x_{0} \\cos (\\omega t)+\\dot{x}_{0} \\sin (\\omega t) / \\omega",
         "$\\boxed{x_0\\cos(\\omega t) + \\frac{\\dot{x}_0}{\\omega}\\sin(\\omega t)}$", True),
        ("\\frac{1}{6}", "$\\boxed{0.1\\dot{6}}$", True),
        ("\\frac{1}{7}", "$\\boxed{0.\\dot{1}4285\\dot{7}}$", True),
        ("\\frac{1}{7}", "$\\boxed{0.\\dot{1}4285\\dot{6}}$", False),
    ]) == []


def test_the_integer_parameter_named_after_a_family_of_answers():
    reference = "x=\\frac{1}{6} \\pi+\\pi k, \\frac{1}{3} \\pi+\\pi k"
    assert disagreements([
        (reference, "$\\boxed{x = \\frac{\\pi}{6} + k\\pi,\\ \\frac{\\pi}{3} + k\\pi,\\ k \\in \\mathbb{Z}}$", True),
        (reference, "$\\boxed{x = \\frac{\\pi}{6} + k\\pi,\\ \\frac{\\pi}{3} + k\\pi \\text{ where } k \\in \\mathbb{Z}}$", True),
        (reference, "$\\boxed{x = \\frac{\\pi}{6} + k\\pi,\\ \\frac{\\pi}{4} + k\\pi,\\ k \\in \\mathbb{Z}}$", False),
        ("2n+1", "$\\boxed{2n+1 \\ (n \\in \\mathbb{Z})}$", True),
        ("\\pi k", "$\\boxed{\\pi k, k\\in\\mathbb{Z}}$", True),
    ]) == []


def test_numbers_in_prose_with_superscript_powers_and_grouped_thousands():
    assert disagreements([
        ("4.5e33", "The luminosity is L ≈ 4.5 × 10³³ erg/s.", True),
        ("4.5e34", "The luminosity is L ≈ 4.5 × 10³³ erg/s.", False),
        ("1.77e-6", "The wavelength is 1.77×10⁻⁶ m.", True),
        # a math span that is only a unit's power is not the value
        ("4.5e33", "$L = 4.5\\times 10^{33}$ erg s$^{-1}$", True),
        ("70000", "Profit: 200,000 − 130,000 = 70,000.\n\nAnswer: $70\\,000", True),
        ("70000", "The profit is 70{,}000 dollars.", True),
        ("7000", "Answer: $70\\,000", False),
        ("12", "Answer: 12\\, apples", True),
    ]) == []


def test_a_one_letter_unit_after_a_number_when_the_question_names_the_unit():
    meters = "He runs 60 meters each sprint, 3 sprints 3 times a week. How many total meters does he run a week?"
    assert disagreements_in_questions([
        (meters, "540", "**540 m**", True),
        (meters, "540", "#### 540m", True),
        (meters, "540", "#### 541 m", False),
        (meters, "540", "**540 s**", False),
        ("Find the wavelength in meters.", "1.77e-6", "λ ≈ 1.77×10⁻⁶ m", True),
        # a letter the question's math uses is a variable, and an unknown question names no unit
        ("Circles of radius $s$; the second is tangent to the first. What is $r/s$?", "9", "$r = 9s$", False),
        ("A mass $m$ on a spring of 2 meters. What is $k$?", "\\frac{37}{4}", "$\\boxed{\\frac{37}{4} m}$", False),
        (None, "540", "**540 m**", False),
    ]) == []


def test_an_unterminated_think_of_a_response_that_ended_normally_ends_in_its_answer():
    stated = "<think>\nMaybe 200? Let me recount the cases.\nFinal answer: \\boxed{204}"
    fallback_only = "<think>\nMaybe 200? Let me recount. So it is 204."
    with Grader(DEFAULT_POLICY, workers=0) as grader:
        stopped = grader.grade_groups([[stated, fallback_only]], ["204"], finish_reasons=[["stop", "stop"]])[0]
        cut = grader.grade_groups([[stated, fallback_only]], ["204"], finish_reasons=[["length", "length"]])[0]
        unknown = grader.grade_groups([[stated, fallback_only]], ["204"])[0]
    assert stopped.correct == [True, False] and stopped.reasons == ["ok", "no_answer"]
    assert cut.correct == [False, False] and unknown.correct == [False, False]


def test_a_numeral_marked_base_ten_is_not_the_digits_of_another_base():
    assert disagreements([
        ("52_8", "Therefore, the final answer is $\\boxed{52_{10}}$.", False),
        ("52_8", "$\\boxed{52}$", True),
        ("52_8", "$\\boxed{52_8}$", True),
        ("33", "$\\boxed{33_{10}}$", True),
    ]) == []


def test_the_variable_of_a_function_definition_is_a_placeholder():
    assert disagreements([
        ("f(x)=2 x", "$\\boxed{f(y) = 2y}$", True),
        ("f(n)=n", "$\\boxed{f(x) = x}$", True),
        ("f(x)=\\frac{1}{x}", "$\\boxed{f(t) = 1/t}$", True),
        ("f(x)=x^2", "$\\boxed{f(y) = y^3}$", False),
        # the answer's own variable is not the one its value uses
        ("f(x)=2x", "$\\boxed{f(y) = 2x}$", False),
        ("f(x)=x+1", "$\\boxed{f(y) = x+1}$", False),
        # a list of definitions renames each one's variable, and still needs every function
        ("f(x)=x, f(x)=2-x", "$\\boxed{f(n)=n \\text{ and } f(n)=2-n}$", True),
        ("f(n)=n, f(n)=2-n", "$\\boxed{n, 2-n}$", True),
        ("f(x)=x, f(x)=2-x", "$\\boxed{f(y)=y, f(y)=2-x}$", False),
        ("f(x)=x, f(x)=2-x", "$\\boxed{f(x)=x}$", False),
        ("f(x)=x, f(x)=2-x", "$\\boxed{f(x)=x, f(x)=2-x, f(x)=0}$", False),
    ]) == []
