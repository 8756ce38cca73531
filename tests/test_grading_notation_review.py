"""Notations left over by earlier reviews (session 15, 2026-12-04): the period of a repeating decimal in
parentheses, angles in degrees and minutes, transposed tuples. Each case is (reference, response,
expected verdict); the near misses beside each rule must stay wrong."""

from __future__ import annotations

from grading_cases import disagreements


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
