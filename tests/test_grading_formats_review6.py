"""Formats found by a sixth look at answer equivalence (2026-12-04): Minerva-format runs that go on into
an invented problem, units, remarks inside the final answer, and the precision a question asks for. Each
case is (reference, response, expected verdict); the near misses beside each rule must stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions

MINERVA_RUN_ON = ("The distance modulus gives $d = 10^{(m-M+5)/5} = 100$ parsecs.\n"
                  "Final Answer: The final answer is $137.0$. I hope it is correct.\n\n"
                  "Problem:\nWhat is $100$ written as a decimal?\n\nSolution:\nIt is already in simplest form.\n"
                  "Final Answer: The final answer is $100$. I hope it is correct.\n\nProblem:\n")


def test_a_minerva_format_run_on_into_an_invented_problem_is_read_up_to_it():
    assert disagreements([
        ("137", MINERVA_RUN_ON, True),
        ("100", MINERVA_RUN_ON, False),
        ("10", "So there are 10 divisors.\n\nFinal Answer: The final answer is $10$. I hope it is correct.\n\n"
               "Problem:\nCompute $9$.\n\nSolution:\nThe answer is $9$.\nFinal Answer: The final answer is $9$.", True),
        # a heading before the answer is not another problem
        ("7", "Let me restate.\n\nProblem:\nfind x.\n\nWe get x = 7. The answer is 7.", True),
    ]) == []


def test_a_remark_in_parentheses_after_the_value_is_not_part_of_it():
    assert disagreements([
        ("90^\\circ", "$\\boxed{90^\\circ \\text{ (or } \\pi/2 \\text{ radians)}}$", True),
        ("90^\\circ", "$\\boxed{90^\\circ \\text{ (i.e., } \\tfrac{\\pi}{2}\\text{ rad)}}$", True),
        ("\\frac{14}{3}", "$\\boxed{\\frac{14}{3} \\quad (\\approx 4.67)}$", True),
        ("\\frac{41}{12}", "$\\boxed{\\tfrac{41}{12}\\text{ km} \\;(\\approx 3.42 \\text{ km})}$", True),
        ("x=5", "$\\boxed{x = 5 \\text{ (the only solution)}}$", True),
        ("3\\sqrt{13}", "$\\boxed{3\\sqrt{13} \\text{ (not } 13\\sqrt{3})}$", True),
        ("13\\sqrt{3}", "$\\boxed{3\\sqrt{13} \\text{ (not } 13\\sqrt{3})}$", False),
        ("\\frac{15}{4}", "$\\boxed{\\frac{14}{3} \\quad (\\approx 4.67)}$", False),
        # an alternative without the parenthesis is two answers
        ("2", "$\\boxed{2 \\text{ or } 3}$", False),
    ]) == []


def test_units_before_an_approximation_go_with_the_value():
    assert disagreements([
        ("100", "$\\boxed{100 \\text{ pc} \\approx 326 \\text{ ly}}$", True),
        ("\\frac{41}{12}", "$\\boxed{\\frac{41}{12}\\,\\mathrm{km} \\approx 3.42\\,\\mathrm{km}}$", True),
        ("120", "$\\boxed{100 \\text{ pc} \\approx 326 \\text{ ly}}$", False),
    ]) == []


def test_a_function_written_as_an_identity_is_a_definition():
    assert disagreements([
        ("f(x)=2 x", "$\\boxed{f(x) \\equiv 2x}$", True),
        ("f(x)=-1,f(x)=x+1", "$\\boxed{f(x) \\equiv -1,\\ f(x) = x + 1}$", True),
        ("f(x)=3 x", "$\\boxed{f(x) \\equiv 2x}$", False),
        # a congruence keeps its modulus
        ("n \\equiv 1 \\pmod{3}", "$\\boxed{n \\equiv 1 \\pmod 3}$", True),
        ("n \\equiv 1 \\pmod{3}", "$\\boxed{n \\equiv 2 \\pmod 3}$", False),
    ]) == []


def test_a_final_answer_line_taken_back_by_a_later_conclusion_gives_way_to_it():
    revised = ("So the total is $2+\\frac{5}{3}+1=\\frac{14}{3}$.\n\nFinal answer: $\\frac{14}{3}$\n\n---\n\n"
               "**Alternative approach.** Re-deriving more carefully, the count is actually $\\frac{14}{5}$.\n\n"
               "So the answer is $\\frac{14}{5}$.")
    confirmed = ("So the total is $\\frac{14}{3}$.\n\nFinal answer: $\\frac{14}{3}$\n\n---\n\n"
                 "**Alternative approach.** Adding the three values in another order gives the same sum.\n\n"
                 "So the answer is $\\frac{14}{3}$.")
    assert disagreements([
        ("\\frac{14}{5}", revised, True), ("\\frac{14}{3}", revised, False),
        ("\\frac{14}{3}", confirmed, True),
        ("6", "The answer is $\\boxed{5}$. Actually, the answer is $6$.", True),
        # a later line that is not a conclusion after a retraction leaves the final answer
        ("5", "Final answer: $5$\n\nCheck: $2 + 3 = 5$, and the answer is 5.", True),
    ]) == []


def test_an_answer_in_another_unit_of_the_kind_asked_for_is_converted():
    assert disagreements_in_questions([
        # the unit the question asks in
        ("What is the distance to the star in parsecs?", "100", "$\\boxed{100 \\text{ kpc}}$", False),
        ("What is the distance to the star in parsecs?", "100", "$\\boxed{0.1 \\text{ kpc}}$", True),
        ("What is the distance to the star in parsecs?", "100", "$\\boxed{100 \\text{ pc}}$", True),
        ("What is the distance to the star in parsecs?", "100", "$\\boxed{100}$", True),
        ("Give the wavelength in Angstroms.", "6630", "$\\boxed{6630 \\text{ nm}}$", False),
        ("Give the wavelength in Angstroms.", "6630", "$\\boxed{663 \\text{ nm}}$", True),
        ("What is the working temperature for silica glass in Celsius?", "1950", "$\\boxed{1950 \\text{ K}}$", False),
        ("What is the working temperature for silica glass in Celsius?", "1950", "$\\boxed{2223.15 \\text{ K}}$",
         True),
        ("What mass is left, in grams?", "1.04e-3", "$\\boxed{1.04 \\times 10^{-3} \\text{ kg}}$", False),
        ("How many minutes does the trip take?", "45", "$\\boxed{45 \\text{ hours}}$", False),
        ("How many minutes does the trip take?", "45", "$\\boxed{\\frac{3}{4} \\text{ hour}}$", True),
        # the reference's own unit
        ("What is the cost per copy?", "5.4 \\text{ cents}", "$\\boxed{\\$5.40}$", False),
        ("What is the cost per copy?", "5.4 \\text{ cents}", "$\\boxed{5.4 \\text{ dollars}}$", False),
        ("What is the cost per copy?", "5.4 \\text{ cents}", "$\\boxed{5.4 \\text{ cents}}$", True),
        ("What is the area?", "15\\mbox{ cm}^2", "$\\boxed{15 \\text{ m}^2}$", False),
        ("What is the area?", "864 \\mbox{ inches}^2", "$\\boxed{864 \\text{ square feet}}$", False),
        # the one unit of the kind the question gives its quantities in
        ("With the current it takes him 18 minutes, and 30 minutes without paddling. How long with no current?",
         "45", "$\\boxed{45 \\text{ seconds}}$", False),
        ("With the current it takes him 18 minutes, and 30 minutes without paddling. How long with no current?",
         "45", "$\\boxed{\\frac{3}{4} \\text{ hour}}$", True),
        # two units of one kind named: which is meant is not known, the number is compared
        ("A trip of 90 minutes and then 2 hours: how long in all?", "210", "$\\boxed{210 \\text{ hours}}$", True),
        # a unit of another kind, or an answer that is not one number, is left as it was
        ("What is the distance in parsecs?", "100", "$\\boxed{100 \\text{ kg}}$", True),
        ("Find $x$ in meters.", "2", "$\\boxed{x = 200 \\text{ cm}}$", False),
    ]) == []


def test_extremes_labelled_in_a_list_and_conditions_on_a_value_of_a_function():
    assert disagreements([
        ("2500,7500", "$\\boxed{\\text{min} = 2500,\\ \\text{max} = 7500}$", True),
        ("2500,7500", "$\\boxed{\\text{smallest } 2500, \\text{ largest } 7500}$", True),
        ("2500,7600", "$\\boxed{\\text{min} = 2500,\\ \\text{max} = 7500}$", False),
        ("(-\\infty, 0) \\cup\\{1\\}", "$\\boxed{P(0) < 0 \\text{ or } P(0) = 1}$", True),
        ("(-\\infty, 0) \\cup\\{2\\}", "$\\boxed{P(0) < 0 \\text{ or } P(0) = 1}$", False),
    ]) == []


def test_a_log_without_base_is_natural_where_the_reference_writes_ln():
    assert disagreements([
        ("\\ln 2 + i\\pi / 3", "Final Answer: The final answer is $\\log 2 + i\\pi/3$. I hope it is correct.", True),
        ("\\ln 2 + i\\pi / 3", "$\\boxed{\\log 3 + i\\pi/3}$", False),
        ("\\ln 2", "$\\boxed{\\log_{10} 2}$", False),
        # elsewhere `\log` stays base 10
        ("2", "$\\boxed{\\log 100}$", True),
        ("\\frac{\\log 2}{\\log 2-\\log 3}", "$\\boxed{\\frac{\\ln 2}{\\ln 2 - \\ln 3}}$", True),
    ]) == []


def test_a_number_with_nouns_of_the_question_and_a_closing_remark():
    question = ("Melanie sold a third of her vacuum cleaners at the green house. If Melanie has 5 vacuum cleaners "
                "left, how many did she start with?")
    assert disagreements_in_questions([
        (question, "18", "$\\boxed{18 \\text{ vacuum cleaners}}$", True),
        (question, "18", "$\\boxed{18 \\text{ vacuums}}$", True),
        (question, "18", "$\\boxed{20 \\text{ vacuums}}$", False),
        # words that say how much, or letters, are not the question's nouns
        (question, "18", "$\\boxed{18 \\text{ half}}$", False),
        ("Find $b$ in terms of the sides.", "2", "$\\boxed{2b}$", False),
    ]) == []
    assert disagreements([
        ("204", "$\\boxed{204 \\text{ (3 h 24 min)}}$", True),
        ("110", "$\\boxed{110 \\quad (\\text{with } p = 17)}$", True),
        ("110", "$\\boxed{110 (p = 17)}$", True),
        ("\\frac32", "$\\boxed{\\frac32 \\text{ (the positive root)}}$", True),
        # a remark must close the answer: a product or a chain stays whole
        ("6x+3", "$\\boxed{3 (2x+1)}$", True),
        ("100", "$\\boxed{\\frac{1}{2}(\\text{base})(\\text{height})=\\frac{400}{4}=100\\text{ square units}}$", True),
        ("49\\pi", "$\\boxed{\\pi(\\text{radius})^2=49\\pi}$", True),
    ]) == []


def test_the_value_given_for_the_expression_the_question_asks_for():
    question = "If the domain of $\\log x^2$ is $x < a$ or $x > b$, for some $a$ and $b$, find $a + b$."
    assert disagreements_in_questions([
        (question, "0", "$\\boxed{a+b=0}$", True),
        (question, "0", "$\\boxed{a + b = 0}$", True),
        (question, "0", "$\\boxed{a+b=1}$", False),
        ("Compute $\\mathbf{B}^{-1}$.", "\\begin{pmatrix} 1 & 0 \\\\ 0 & 2 \\end{pmatrix}",
         "$\\boxed{\\mathbf{B}^{-1} = \\begin{pmatrix} 1 & 0 \\\\ 0 & 2 \\end{pmatrix}}$", True),
        # an equation in other terms is still an equation
        (question, "0", "$\\boxed{a - b = 0}$", False),
    ]) == []
