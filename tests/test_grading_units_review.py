"""Units found by a ninth look at answer equivalence (2026-12-04, Minerva Math and OlympiadBench as chat models
answer them): an SI prefix on a unit the table names only bare (`meV`, `mmol`, `mM`, `kHz`, `kJ/mol`), watts and
hertz, a bare power of ten, `in inverse cm^3` and `per second squared`, and a unit written after the math that
holds the value (`**Final Answer:** $361$ nm`). Each case is (question, reference, response, expected verdict);
a wrong unit of the kind asked makes the number another quantity, and the right unit or none keeps it."""

from __future__ import annotations

from grading_cases import disagreements_in_questions

IN_EV = "What is the energy of the photon? Answer in eV, to 2 decimal places."
IN_ERG = "Compute the luminosity of the white dwarf. Give your answer in units of ergs per second."
IN_CM = "What is the collision mean free path in cm? Answer to one significant figure."
IN_M_S2 = "Find the gravitational acceleration. Give your answer in meters per second squared."
IN_INVERSE_CM3 = "What is the density of pairs at $T = 20^{\\circ} \\mathrm{C}$, in inverse $\\mathrm{cm}^3$?"
IN_MOLARITY = "Calculate the solubility of $\\mathrm{SrF}_2$ in water. Express your answer in units of molarity."
IN_J_MOL = "What is the lattice energy? Give your answer in J/mol."
IN_HZ = "What is the frequency of the line in $s^{-1}$?"
IN_M = "What is the wavelength of the photon in m?"
IN_PC = "What is the distance to the cluster, in parsecs?"
IN_YEARS = "How long will it take, in years?"
IN_G_CM3 = "What is the density of the star in g/cm^3?"


def test_a_prefixed_unit_of_the_kind_asked_is_another_quantity():
    assert disagreements_in_questions([
        (IN_EV, "1.55", "$\\boxed{1.55\\ \\text{meV}}$", False),
        (IN_EV, "1.55", "$\\boxed{1550\\ \\text{meV}}$", True),
        (IN_EV, "1.55", "$\\boxed{1.55\\ \\text{eV}}$", True),
        (IN_EV, "1.55", "$\\boxed{1.55}$", True),
        (IN_MOLARITY, "8.49e-4", "$\\boxed{8.49 \\times 10^{-4}\\ \\text{mM}}$", False),
        (IN_MOLARITY, "8.49e-4", "$\\boxed{0.849\\ \\text{mM}}$", True),
        (IN_MOLARITY, "8.49e-4", "$\\boxed{8.49 \\times 10^{-4}\\ \\text{M}}$", True),
        (IN_J_MOL, "7.02e5", "$\\boxed{7.02 \\times 10^{5}\\ \\text{kJ/mol}}$", False),
        (IN_J_MOL, "7.02e5", "$\\boxed{702\\ \\text{kJ/mol}}$", True),
        (IN_HZ, "7.353e14", "$\\boxed{7.353 \\times 10^{14}\\ \\text{kHz}}$", False),
        (IN_HZ, "7.353e14", "$\\boxed{7.353 \\times 10^{14}\\ \\text{Hz}}$", True),
        ("How much is dissolved, in mol?", "5.3e-9", "$\\boxed{5.3 \\times 10^{-9}\\ \\text{mmol}}$", False),
        # watts are joules per second: ergs per second asked
        (IN_ERG, "4.5e33", "$\\boxed{4.5 \\times 10^{33}\\ \\text{W}}$", False),
        (IN_ERG, "4.5e33", "$\\boxed{4.5 \\times 10^{26}\\ \\text{W}}$", True),
        (IN_ERG, "4.5e33", "$\\boxed{4.5 \\times 10^{33}\\ \\text{erg/s}}$", True),
    ]) == []


def test_a_bare_power_of_ten_and_compound_units_asked_in_words():
    assert disagreements_in_questions([
        (IN_CM, "1e-3", "$\\boxed{10^{-3}\\ \\text{m}}$", False),
        (IN_CM, "1e-3", "$\\boxed{10^{-5}\\ \\text{m}}$", True),
        (IN_CM, "1e-3", "$\\boxed{10^{-3}\\ \\text{cm}}$", True),
        (IN_CM, "1e-3", "$\\boxed{10^{-3}}$", True),
        (IN_M_S2, "0.006", "$\\boxed{0.006\\ \\text{cm/s}^2}$", False),
        (IN_M_S2, "0.006", "$\\boxed{0.6\\ \\text{cm/s}^2}$", True),
        (IN_M_S2, "0.006", "$\\boxed{0.006\\ \\text{m/s}^2}$", True),
        (IN_INVERSE_CM3, "3.21e13", "$\\boxed{3.21 \\times 10^{13}\\ \\text{m}^{-3}}$", False),
        (IN_INVERSE_CM3, "3.21e13", "$\\boxed{3.21 \\times 10^{19}\\ \\text{m}^{-3}}$", True),
        (IN_INVERSE_CM3, "3.21e13", "$\\boxed{3.21 \\times 10^{13}\\ \\text{cm}^{-3}}$", True),
    ]) == []


def test_a_unit_written_after_the_math_that_holds_the_value_is_read_with_it():
    assert disagreements_in_questions([
        (IN_M, "5.89e-7", "**Final Answer:** $5.89 \\times 10^{-7}$ nm", False),
        (IN_M, "5.89e-7", "**Final Answer:** $589$ nm", True),
        (IN_M, "5.89e-7", "**Final Answer:** $5.89 \\times 10^{-7}$ m", True),
        (IN_PC, "100", "Answer: $100$ Mpc", False),
        (IN_PC, "100", "Answer: $0.1$ kpc.", True),
        (IN_PC, "100", "Answer: $100$ pc", True),
        (IN_YEARS, "6e13", "**Final Answer:** $6 \\times 10^{13}$ days", False),
        (IN_YEARS, "6e13", "**Final Answer:** $6 \\times 10^{13}$ years", True),
        (IN_G_CM3, "8.64", "**Final Answer:** $8.64$ kg/m³", False),
        (IN_G_CM3, "8.64", "**Final Answer:** $8640$ kg/m³", True),
        (IN_G_CM3, "8.64", "The density is therefore $8.64$ g/cm³.", True),
        # words after the math that are not one unit leave the value as it was
        ("How many apples are left?", "5", "The answer is $5$ apples in total.", True),
        ("At what time does the train arrive?", "12", "Answer: $12$ pm", True),
    ]) == []


IN_PM = "Determine the second-nearest neighbor distance (in pm) for nickel."
IN_ANGSTROM = "Find the wavelength of the line observed at the Earth, in Angstroms."


def test_a_unit_symbol_not_set_as_text_is_a_unit_where_the_question_asks_for_its_kind():
    assert disagreements_in_questions([
        (IN_PM, "3.61e2", "The answer is **361 pm**.", True),
        (IN_PM, "3.61e2", "$\\boxed{361 pm}$", True),
        (IN_PM, "3.61e2", "$\\boxed{361 nm}$", False),
        (IN_PM, "3.61e2", "$\\boxed{0.361 nm}$", True),
        (IN_M, "5.89e-7", "$\\boxed{5.89\\times10^{-7} m}$", True),
        (IN_M, "5.89e-7", "The answer is **5.89 × 10⁻⁷ m**.", True),
        (IN_M, "5.89e-7", "The answer is **5.89 × 10⁻⁶ m**.", False),
        (IN_ANGSTROM, "6630", "**Final Answer:** 6630 Å", True),
        (IN_ANGSTROM, "6630", "The answer is **6,630 Å**.", True),
        (IN_MOLARITY, "8.49e-4", "$\\boxed{8.49 \\times 10^{-4} M}$", True),
        (IN_INVERSE_CM3, "3.21e13", "**Final Answer:** $\\boxed{3.21 \\times 10^{13} \\ /\\text{cm}^3}$", True),
        # a name the question's math uses stays a variable, and a reference with a variable keeps it
        ("A mass $m$ hangs from a spring 2 meters long. What is $k$, in meters?", "9.25", "$\\boxed{9.25 m}$", False),
        ("Subproblem: what is $b$ in terms of $m$?", "\\frac{37}{4} m", "**Final Answer:** $9.25m$", True),
    ]) == []


def test_counted_nouns_after_scientific_notation_and_a_degree_sign_on_an_empty_group():
    ferrets = "Assuming unlimited resources, how many ferrets will there be on the island in the year 2000?"
    assert disagreements_in_questions([
        (ferrets, "4.4e7", "$\\boxed{4.4 \\times 10^{7}\\ \\text{ferrets}}$", True),
        (ferrets, "4.4e7", "$\\boxed{4.4 \\times 10^{6}\\ \\text{ferrets}}$", False),
        ("At what temperature (Celsius) would Ge become conductive?", "5.3e3",
         "$\\boxed{5.3 \\times 10^{3}\\ {}^{\\circ}\\mathrm{C}}$", True),
    ]) == []


def test_every_value_of_one_unknown_in_bold_and_logarithms_real_on_one_side_of_zero():
    assert disagreements_in_questions([
        ("Find all $n$ such that the condition holds.", "$69$,$84$", "The answer is **n = 69 and n = 84**.", True),
        ("Find all $n$ such that the condition holds.", "$69$,$84$", "The answer is **n = 69 or n = 85**.", False),
        # both sides are real only where the variable is positive: compared there
        ("Find the time in terms of $\\tau$ and $\\Delta$.", "-\\tau \\ln \\Delta", "**Final Answer:** $\\tau \\ln(1/\\Delta)$",
         True),
        ("Find the time in terms of $\\tau$ and $\\Delta$.", "-\\tau \\ln \\Delta", "**Final Answer:** $\\tau \\ln(\\Delta)$",
         False),
    ]) == []


def test_a_closing_sentence_saying_what_something_is_and_a_choice_letter_with_its_value():
    assert disagreements_in_questions([
        ("What kind of conic section is the graph?", "\\text{ellipse}",
         "We complete the square.\n\n**Final Answer:** The graph is an ellipse.", True),
        ("What kind of conic section is the graph?", "\\text{ellipse}",
         "We complete the square.\n\n**Final Answer:** The graph is a hyperbola.", False),
        ("What kind of conic section is the graph?", "\\text{ellipse}",
         "We complete the square.\n\n**Final Answer:** The answer is clear.", False),
        ("What is the area of the square?", "36.0", "The correct option is $\\textbf{(D)}$, which is $36$.", True),
        ("What is the area of the square?", "36.0", "The correct option is $\\textbf{(D)}$, which is $32$.", False),
        # a value followed by the range it holds on
        ("Find all functions $f$.", "$f(x)=2 x$", "The answer is **f(x) = 2x for all positive reals x**.", True),
        ("Find all functions $f$.", "$f(x)=2 x$", "The answer is **f(x) = 3x for all positive reals x**.", False),
    ]) == []


def test_answer_sentences_in_other_languages_and_a_value_the_sentence_denies():
    assert disagreements_in_questions([
        # the values joined by `或` / `und` are a list: an extraneous root kept is wrong
        ("Solve for $x$.", "x=5", "解得 $x=1$ 或 $x=5$。\n\n答案为 $x=1$ 或 $x=5$。", False),
        ("Solve for $x$.", "x=5", "Nach Quadrieren.\n\nDie Lösungen sind $x = 1$ und $x = 5$.", False),
        ("Solve for $x$.", "x=5", "检验后舍去 $x=1$。\n\n答案为 $x=5$。", True),
        ("Solve for $x$.", "x=5", "La réponse est $x = 5$.", True),
        # `答案是 16，而不是 18`: the answer, not the value it denies; a note after the sentence is not it
        ("How many eggs are left?", "18", "剩下 16 个蛋。答案是 16，而不是 18。", False),
        ("How many eggs are left?", "16", "剩下 16 个蛋。答案是 16，而不是 18。", True),
        ("How far does he run?", "540", "所以答案为 540 米。（注：共 3 步计算）", True),
        ("How much does she make?", "18", "She sells them all at $1, so she makes $16 per day, not $18.", False),
        ("How much does she make?", "16", "She sells them all at $1, so she makes $16 per day, not $18.", True),
        # full-width digits grouped by a full-width comma
        ("What is his total income?", "57500", "教书收入：35,000 美元。\n\n答案：５７，５００", True),
    ]) == []


def test_a_response_written_as_html_and_a_bold_label_before_its_value():
    assert disagreements_in_questions([
        ("How much does she make?", "18", "<p>She has 9 eggs left.</p>\n<p>The answer is <b>18</b>.</p>", True),
        ("How much does she make?", "18", "She makes 9 × 2 = 18 dollars.\n\nThe answer is <b>16</b>", False),
        ("Find the interval.", "(2,\\infty)", "<p>The set of values is <code>(2, &infin;)</code>.</p>", True),
        ("Find the interval.", "(2,\\infty)", "<p>The set of values is <code>[2, &infin;)</code>.</p>", False),
        # a comparison written with < is not HTML
        ("Find $y$.", "5", "Since x<2 and y>3, the answer is 5.", True),
        ("How much is he paid?", "460", "Regular: $400. Overtime: $60.\n\n**Total:** $460", True),
        ("How much is he paid?", "460", "Regular: $400. Overtime: $60.\n\n**Total:** $400", False),
        ("What is the domain?", "(-\\infty, 2) \\cup (3, \\infty)",
         "| $x^2-5x+6>0$ | $x<2$ or $x>3$ |\n\n**Domain:** $(-\\infty,2)\\cup(3,\\infty)$", True),
    ]) == []


def test_a_closing_pleasantry_or_a_tip_after_the_result_is_passed_over():
    assert disagreements_in_questions([
        ("How much did Toula pay?", "694",
         "So Toula paid **$694**.\n\nLet me know if you'd like me to work out the cost for 2 or 3 other orders!", True),
        ("How much did Toula pay?", "694", "So Toula paid $694.\n\nHope this helps with 2 or 3 of your other questions!",
         True),
        ("How much did Toula pay?", "3", "So Toula paid $694.\n\nHope this helps with 2 or 3 of your other questions!",
         False),
        ("How much is he paid?", "460", "So he earns 460 dollars.\n\n> **Tip:** overtime usually starts after 40 hours.",
         True),
        # a note that states a result is read, and so is a sentence that only starts like a pleasantry
        ("How many?", "7", "So 5 apples.\n\nNote: so the answer is 7.", True),
        ("How many?", "7", "So the count is 5.\n\nThanks to symmetry, the answer is 7.", True),
        ("How many are left?", "2", "So 5.\n\nIf you have 3 apples and eat one, you get 2.", True),
        # `a<b>c` is a chain of comparisons, not HTML
        ("How many?", "4", "Since a<b>c, we get 4.", True),
    ]) == []


def test_decimal_commas_that_cannot_be_anything_else():
    assert disagreements_in_questions([
        ("What was the original price in euros?", "26", "Der Originalpreis ist 19,50 / 0,75.\n\nDie Antwort lautet 26,00 €.",
         True),
        ("What was the original price in euros?", "26", "Die Antwort lautet 26,50 €.", False),
        ("What is the annual rate, in percent?", "4.2", "La réponse est 4,2 %.", True),
        ("What is the annual rate, in percent?", "4.2", "Respuesta: $\\boxed{4{,}2}$", True),
        ("What is the annual rate, in percent?", "4.2", "Respuesta: $\\boxed{4{,}3}$", False),
        # a braced comma before three digits still groups thousands, and a bare comma still separates
        ("How many?", "1000", "$\\boxed{1{,}000}$", True),
        ("Find all solutions.", "1,5", "$\\boxed{1,5}$", True),
        ("Find all solutions.", "1.5", "$\\boxed{1,5}$", False),
    ]) == []
