"""Notations left over by earlier reviews (session 15, 2026-12-04): the period of a repeating decimal in
parentheses, angles in degrees and minutes, transposed tuples. Each case is (reference, response,
expected verdict); the near misses beside each rule must stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions


def test_a_period_in_parentheses_repeats():
    assert disagreements([
        ("\\frac{1}{6}", "The answer is $0.1(6)$.", True),
        ("\\frac{1}{3}", "$\\boxed{0.(3)}$", True),
        ("0.1\\overline{6}", "$\\boxed{0.1(6)}$", True),
        ("\\frac{3}{5}", "$\\boxed{0.1(6)}$", False),  # not the product 0.1 * 6
        ("\\frac{1}{6}", "$\\boxed{0.1(7)}$", False),
        # inside a longer answer the parentheses still multiply (GSM8K solutions write .5(30) for half of 30)
        ("15", "The answer is .5(30) = 15.", True),
        ("6", "$\\boxed{2(3)}$", True),
    ]) == []


def test_an_angle_in_degrees_and_minutes_is_its_value_in_degrees():
    assert disagreements([
        ("22.5", "$\\boxed{22^{\\circ}30^{\\prime}}$", True),
        ("22.5^\\circ", "The angle is $\\boxed{22^\\circ 30'}$.", True),
        ("10.26", "$\\boxed{10°15'36''}$", True),
        ("22^\\circ 30'", "$\\boxed{22.5^\\circ}$", True),
        ("2230", "$\\boxed{22°30'}$", False),  # not the digits run together
        ("22.5", "$\\boxed{22°20'}$", False),
        ("f'(x)", "$\\boxed{f'(x)}$", True),
    ]) == []


def test_a_transposed_tuple_is_the_column_vector():
    column = "\\begin{pmatrix}-2\\\\-14\\\\-7\\end{pmatrix}"
    row = "\\begin{pmatrix}-2&-14&-7\\end{pmatrix}"
    assert disagreements([
        (column, "$\\boxed{(-2,-14,-7)^T}$", True),
        (column, "$\\boxed{(-2,-14,-7)^{\\top}}$", True),
        (column, "$\\boxed{" + row + "^\\top}$", True),
        ("(-2,-14,-7)", "$\\boxed{(-2,-14,-7)^{\\intercal}}$", True),
        (column, "$\\boxed{(-2,-14,7)^T}$", False),
        # one parenthesised term to a power T is a power, not a transpose
        ("x+1", "$\\boxed{(x+1)^T}$", False),
    ]) == []


def test_rounding_in_integer_variables_is_decided_at_the_integers_both_ways():
    assert disagreements([
        # equal wherever the argument is not whole, different where it is: the integers tell them apart
        ("N(n)=\\left\\lfloor\\frac{2 n}{3}\\right\\rfloor+1", "$\\boxed{\\lceil \\frac{2n}{3} \\rceil}$", False),
        ("\\left\\lfloor\\frac{2 n}{3}\\right\\rfloor+1", "$\\boxed{\\left\\lfloor \\frac{2n-1}{3} \\right\\rfloor + 1}$", False),
        ("\\lceil n / 2\\rceil+1", "$\\boxed{\\left\\lfloor \\frac{n}{2} \\right\\rfloor + 2}$", False),
        ("\\lfloor\\frac{2 n-1}{5}\\rfloor", "$\\boxed{\\left\\lceil \\frac{2n-1}{5} \\right\\rceil - 1}$", False),
        # equal at every integer, though not at every real
        ("\\lceil n/2\\rceil", "$\\boxed{\\lfloor (n+1)/2\\rfloor}$", True),
        ("\\lceil n / 2\\rceil+1", "$\\boxed{\\left\\lfloor \\frac{n+1}{2} \\right\\rfloor + 1}$", True),
        # a second variable that cancels from the difference is still given a value
        ("m n-\\lfloor m / 2\\rfloor", "$\\boxed{mn - \\left\\lceil \\frac{m-1}{2} \\right\\rceil}$", True),
        ("m n-\\lfloor m / 2\\rfloor", "$\\boxed{mn - \\left\\lceil \\frac{m}{2} \\right\\rceil}$", False),
        ("\\lfloor x \\rfloor", "$\\boxed{\\lceil x \\rceil}$", False),
    ]) == []


def test_a_percentage_asked_is_not_answered_by_the_bare_fraction():
    asked = "What percent of her class chose candy E?"
    assert disagreements_in_questions([
        (asked, "20\\%", "$\\boxed{0.2}$", False),
        (asked, "20\\%", "$\\boxed{20}$", True),
        (asked, "20\\%", "$\\boxed{20\\%}$", True),
        ("By what percent is the area increased? Express your answer as a percent.", "44\\%", "$\\boxed{0.44}$", False),
        ("What is the probability, as a percent to the nearest tenth of a percent?", "7.2\\%", "$\\boxed{0.072}$", False),
        # not asked as a percentage (or not known): p% is the number p/100
        ("What fraction of the 40 students, 20\\% of whom chose E, chose E?", "20\\%", "$\\boxed{0.2}$", True),
        (None, "20\\%", "$\\boxed{0.2}$", True),
    ]) == []


def test_temperatures_segments_and_ranges_with_points_left_out():
    assert disagreements([
        ("-10", "$\\boxed{-10^\\circ \\text{F}}$", True),
        ("-10", "$\\boxed{-10\\,^\\circ\\mathrm{F}}$", True),
        ("-10", "$\\boxed{-12^\\circ \\text{F}}$", False),
        ("\\overline{CD}", "$\\boxed{CD}$", True),
        ("\\overline{CD}", "$\\boxed{\\text{CD}}$", True),
        ("\\overline{CD}", "$\\boxed{BC}$", False),
        ("(0,9) \\cup (9,36)", "$\\boxed{0 < x < 36,\\ x \\neq 9}$", True),
        ("(0,9) \\cup (9,36)", "$\\boxed{x \\in (0,36),\\ x \\neq 9}$", True),
        ("(0,9) \\cup (9,36)", "$\\boxed{0 < x < 36, x \\ne 8}$", False),
        ("(0,9) \\cup (9,36)", "$\\boxed{0 \\le x < 36, x \\ne 9}$", False),
        ("(-\\infty,-7)\\cup(-7,3)\\cup(3,\\infty)", "$\\boxed{x \\in (-\\infty,\\infty), x\\ne -7, 3}$", True),
    ]) == []


def test_a_numeral_in_another_base_may_have_a_radix_point():
    assert disagreements([
        ("0.0011_{2}", "$\\boxed{0.0011}$", True),
        ("0.0011_{2}", "$\\boxed{0.0011_2}$", True),
        ("0.0011_{2}", "$\\boxed{0.00110_2}$", True),
        ("0.0011_{2}", "$\\boxed{0.011}$", False),
        ("0.0011_{2}", "$\\boxed{0.1875}$", False),  # the value in base ten is not the numeral
        ("0.0011_{2}", "$\\boxed{0.0011_3}$", False),
        ("1011_2", "$\\boxed{1011}$", True),
    ]) == []


def test_a_variable_glued_to_an_interval_is_its_range():
    assert disagreements([
        ("t(0,4]", "$\\boxed{(0, 4]}$", True),
        ("t(0,4]", "$\\boxed{0 < t \\le 4}$", True),
        ("t(0,4]", "$\\boxed{t \\in (0,4]}$", True),
        ("t(0,4]", "$\\boxed{(0,4)}$", False),
        ("t(0,4]", "$\\boxed{[0,4]}$", False),
        ("f(0,4)", "$\\boxed{f(0,4)}$", True),  # parentheses at both ends: a function's value, not a range
        ("(0,4)", "$\\boxed{f(0,4)}$", False),
    ]) == []


def test_degrees_inside_a_trig_function_written_without_its_backslash():
    assert disagreements([
        ("\\frac{\\sqrt{3}}{2}", "$\\boxed{sin(60°)}$", True),
        ("\\frac{\\sqrt{3}}{2}", "The answer is sin 60°.", True),
        ("\\frac{\\sqrt{3}}{2}", "$\\boxed{sin(60)}$", False),  # 60 radians
        ("\\frac{1}{2}", "$\\boxed{sin(60°)}$", False),
    ]) == []
