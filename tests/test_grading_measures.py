"""The scale of a unit (evalkit.grading.measures): which units are read, and the conversions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from evalkit.grading.measures import answer_measure, asked_measures, in_asked_unit, measure_of


@pytest.mark.parametrize(("a", "b"), [
    ("km", "\\mathrm{~km}"), ("parsecs", "pc"), ("\\AA", "angstroms"), ("\\mu m", "microns"),
    ("square feet", "ft^2"), ("\\mathrm{cm}^{2}", "square centimeters"), ("km/h", "kph"),
    ("\\mathrm{~km} / \\mathrm{s}", "km per s"), ("^\\circ C", "Celsius"), ("mL", "cm^3"),
])
def test_one_unit_in_its_spellings(a, b):
    assert measure_of(a) is not None and measure_of(a) == measure_of(b)


@pytest.mark.parametrize("text", ["apples", "x", "^\\circ", "units", "", "m s q z"])
def test_what_is_not_a_unit_of_the_table(text):
    assert measure_of(text) is None


def test_the_unit_of_a_one_number_answer():
    assert answer_measure("100 \\text{ kpc}") == measure_of("kpc")
    assert answer_measure("\\$5.40") == measure_of("dollars")
    assert answer_measure("1.04 \\times 10^{-3} \\text{ kg}") == measure_of("kg")
    assert answer_measure("\\frac{3}{4} \\text{ hour}") == measure_of("h")
    assert answer_measure("5") is None
    assert answer_measure("x = 5 \\text{ m}") is None  # not one number


def test_the_units_asked_for():
    assert asked_measures("5.4 \\text{ cents}", "What is it, in dollars?") == (measure_of("cents"),)
    assert asked_measures("100", "What is the distance in parsecs?") == (measure_of("pc"),)
    assert asked_measures("45", "How many minutes does it take?") == (measure_of("min"),)
    assert asked_measures("45", "It takes 18 minutes one way. How long back?") == (measure_of("min"),)
    assert asked_measures("2", "Express the side in $s$.") == ()  # a variable as often as a unit
    assert asked_measures("2", None) == ()


def test_conversions_into_the_unit_asked_for():
    asked = (measure_of("pc"),)
    assert in_asked_unit("100", measure_of("kpc"), asked) == "100000"
    assert in_asked_unit("100", measure_of("pc"), asked) is None  # nothing to convert
    assert in_asked_unit("100", measure_of("kg"), asked) is None  # another kind
    assert in_asked_unit("\\frac{3}{4}", measure_of("hour"), (measure_of("minutes"),)) == "45"
    assert in_asked_unit("5.40", measure_of("dollars"), (measure_of("cents"),)) == "540"
    assert in_asked_unit("1.04", measure_of("mg"), (measure_of("g"),)) == "0.00104"
    assert in_asked_unit("1950", measure_of("K"), (measure_of("Celsius"),)) == "\\frac{33537}{20}"  # 1676.85
    assert Fraction(33537, 20) == Fraction("1676.85")
    assert in_asked_unit("2223.15", measure_of("K"), (measure_of("Celsius"),)) == "1950.00"
    assert in_asked_unit("x", measure_of("km"), (measure_of("m"),)) is None  # not one number
    # two units of the kind asked: which one is meant is not known
    assert in_asked_unit("5", measure_of("km"), (measure_of("m"), measure_of("cm"))) is None
