"""Answer formats real models write: each case is extracted from a whole response and graded
against a realistic reference, with the near misses that must stay wrong beside it."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from evalkit.grading import GradingPolicy, grade  # noqa: E402
from evalkit.grading.extract import find_answer  # noqa: E402


def _wrong_verdicts(pairs: list[tuple[str, str, bool]], policy: GradingPolicy | None = None) -> list[tuple]:
    """The (reference, response, expected, rule) of every pair graded other than expected."""
    results = grade([response for _, response, _ in pairs], [reference for reference, _, _ in pairs], workers=1,
                    policy=policy)
    return [(reference, response, expected, result.answer, result.rule)
            for (reference, response, expected), result in zip(pairs, results) if result.correct != expected]


# ---------------------------------------------------------------- a minus sign before a box

@pytest.mark.parametrize(("text", "expected"), [
    (r"The answer is -\boxed{5}", "-5"),
    (r"So the minimum is $-\boxed{3}$.", "-3"),
    (r"Therefore $x = -\boxed{\frac{1}{2}}$.", r"-\frac{1}{2}"),
    (r"Hence $y = -\boxed{2 + \sqrt{3}}$.", r"-(2 + \sqrt{3})"),
    (r"The sum is $\frac{3}{2} - \boxed{2}$.", "2"),  # a difference: the minus is not the answer's sign
    (r"so $-\frac{3}{2}-\boxed{2}$.", "2"),
    (r"We get $x - \boxed{4}$", "4"),
    (r"The temperature is $-\boxed{5\text{ degrees}}$.", r"-5\text{ degrees}"),
    (r"The interval is $-\boxed{[0, \infty)}$.", r"[0, \infty)"),  # lists, intervals, relations, text: as written
    (r"So $-\boxed{x = 2}$.", "x = 2"),
])
def test_a_minus_sign_written_before_a_box_negates_it(text: str, expected: str) -> None:
    assert find_answer(text).answer == expected


def test_a_negated_box_grades_as_the_negative_number() -> None:
    wrong = _wrong_verdicts([
        ("-5", r"The answer is -\boxed{5}", True), ("5", r"The answer is -\boxed{5}", False),
        ("-3", r"So the minimum is $-\boxed{3}$.", True), ("3", r"So the minimum is $-\boxed{3}$.", False),
        (r"-\frac{1}{2}", r"Therefore $x = -\boxed{\frac12}$.", True),
        (r"-2-\sqrt{3}", r"Hence $y = -\boxed{2 + \sqrt{3}}$.", True),
        ("2", r"so $-\frac{3}{2}-\boxed{2}$.", True),
    ])
    assert not wrong, wrong


# ---------------------------------------------------------------- boxes of labelled parts

@pytest.mark.parametrize(("text", "expected"), [
    (r"(a) \boxed{3} (b) \boxed{5}", "3, 5"),
    ("**(a)** The sum is $\\boxed{3}$.\n\n**(b)** The product is $\\boxed{5}$.", "3, 5"),
    ("Part 1: the sum is\n$$\\boxed{x}$$\nPart 2: the product is\n$$\\boxed{y}$$", "x, y"),
    ("(i) We get $\\boxed{3}$.\n(ii) We get $\\boxed{5}$.\n(iii) Finally $\\boxed{7}$.", "3, 5, 7"),
    ("a) First, $\\boxed{2}$.\nb) Then $\\boxed{4}$.", "2, 4"),
    # a part that corrects itself answers with its last box
    ("(a) We get $\\boxed{2}$. Wait, that is wrong: $\\boxed{3}$.\n(b) Then $\\boxed{5}$.", "3, 5"),
    # the parts restated in a closing summary
    ("(a) $\\boxed{1}$ (b) $\\boxed{2}$\n\nFinal answers: (a) $\\boxed{3}$ (b) $\\boxed{5}$", "3, 5"),
    # no part labels: a self-correcting solution keeps its last box
    ("First $\\boxed{3}$.\nWait, that is wrong. Actually $\\boxed{5}$.", "5"),
    # labels that are not consecutive parts, or a box without a part label
    ("(a) $\\boxed{3}$\n(c) $\\boxed{5}$", "5"),
    ("(b) $\\boxed{3}$\n(c) $\\boxed{5}$", "5"),
    ("Earlier $\\boxed{2}$.\n(a) We find $x = 3$.\n(b) Then $\\boxed{5}$.", "5"),
    # numbered steps are not parts
    ("1) We find $\\boxed{3}$.\n2) Correcting, $\\boxed{5}$.", "5"),
    # a function of a, `f(a)`, is no label
    ("We have f(a) $= \\boxed{3}$ and g(b) $= \\boxed{5}$.", "5"),
])
def test_boxes_of_consecutive_labelled_parts_form_one_list(text: str, expected: str) -> None:
    assert find_answer(text).answer == expected


@pytest.mark.parametrize("text", [
    "(a) $x$ \\boxed{1} " * 20_000 + "(b) \\boxed{2}",
    "(a) $x$ " * 50_000 + "\\boxed{1} (b) \\boxed{2}",
    "Part 1 $y$ (i) $x$ " * 20_000 + "\\boxed{1} Part 2 \\boxed{2}",
], ids=["labels_between_boxes", "labels_between_math", "two_kinds_of_labels"])
def test_part_labels_cost_linear_time(text: str) -> None:
    import time

    started = time.perf_counter()
    assert find_answer(text).answer == "1, 2"
    assert time.perf_counter() - started < 3.0


def test_labelled_parts_grade_against_a_list_reference() -> None:
    wrong = _wrong_verdicts([
        ("3, 5", r"(a) \boxed{3} (b) \boxed{5}", True), ("3, 5", r"(a) \boxed{3} (b) \boxed{6}", False),
        ("3, 5", "Part 1: the sum is $\\boxed{3}$.\n\nPart 2: the product is $\\boxed{5}$.", True),
        ("3, 5", "(i) We get $\\boxed{3}$.\n(ii) We get $\\boxed{5}$.", True),
        ("5", "(i) We get $\\boxed{3}$.\n(ii) We get $\\boxed{5}$.", False),
        ("5", "First $\\boxed{3}$.\nWait, that is wrong. Actually $\\boxed{5}$.", True),
    ])
    assert not wrong, wrong


# ---------------------------------------------------------------- times signs in scientific notation

@pytest.mark.parametrize(("answer", "canonical"), [
    ("1.2 x 10^5", r"1.2\times10^{5}"), ("1.2 X 10^{5}", r"1.2\times10^{5}"), ("1.2x10^5", r"1.2\times10^{5}"),
    ("1.2*10^5", r"1.2\times10^{5}"), ("1.2 * 10**5", r"1.2\times10^{5}"), ("3 x 10^(-4)", r"3\times10^{-4}"),
    ("6.02 x 10^23", r"6.02\times10^{23}"),
    # `x` as a variable is left alone
    ("2x + 10^5", "2x+10^{5}"), ("x 10^5", "x10^{5}"), ("3x^2", "3x^{2}"), ("a2x10^5", "a2x10^{5}"),
])
def test_a_times_sign_in_scientific_notation_is_read_as_times(answer: str, canonical: str) -> None:
    from evalkit.grading.normalize import normalize_answer

    assert normalize_answer(answer) == canonical


def test_scientific_notation_with_x_or_star_grades_as_the_number() -> None:
    wrong = _wrong_verdicts([
        ("120000", "The answer is $1.2 x 10^5$.", True), ("120000", r"\boxed{1.2 \text{ x } 10^5}", True),
        ("120000", "1.2 x 10^5", True), ("120000", "1.2*10**5", True), ("120000", r"\boxed{1.2 X 10^{5}}", True),
        ("1.2 \\times 10^{5}", "1.3 x 10^5", False), ("120000", "1.2 x 10^6", False),
        ("1.2 x 10^5", "124000", True), ("1.2 x 10^5", "126000", False),  # a reference written so has its precision
        ("2x+100000", "2x + 10^5", True), ("200000", "2x + 10^5", False),
    ])
    assert not wrong, wrong


# ---------------------------------------------------------------- fractions written in words

@pytest.mark.parametrize(("answer", "canonical"), [
    ("one-fourth", r"\frac{1}{4}"), ("three halves", r"\frac{3}{2}"), ("one and a half", r"\frac{3}{2}"),
    ("a half", r"\frac{1}{2}"), ("two thirds", r"\frac{2}{3}"), (r"\text{Two-thirds}", r"\frac{2}{3}"),
    ("three quarters", r"\frac{3}{4}"), ("an eighth", r"\frac{1}{8}"), ("two and three quarters", r"\frac{11}{4}"),
    ("twenty-one hundredths", r"\frac{21}{100}"), ("negative one half", r"-\frac{1}{2}"),
])
def test_a_whole_answer_written_as_a_fraction_in_words_is_that_number(answer: str, canonical: str) -> None:
    from evalkit.grading.normalize import normalize_answer

    assert normalize_answer(answer) == canonical


@pytest.mark.parametrize("answer", ["half", "the fourth", "one second", "first half", "two thirds of the votes",
                                    "one and two", "three and a half and two"])
def test_words_that_are_not_one_fraction_stay_words(answer: str) -> None:
    from evalkit.grading.normalize import normalize_answer

    assert "\\frac" not in normalize_answer(answer)


def test_fraction_words_grade_as_the_fraction() -> None:
    wrong = _wrong_verdicts([
        ("\\frac14", "The answer is one-fourth.", True), ("\\frac14", "The answer is one-fifth.", False),
        ("\\frac32", r"\boxed{\text{three halves}}", True), ("\\frac32", "The answer is one and a half.", True),
        ("1.5", "one and a half", True), ("\\frac12", r"\boxed{\text{a half}}", True),
        ("\\frac23", r"\boxed{\text{two thirds}}", True), ("\\frac23", r"\boxed{\text{three thirds}}", False),
        ("\\frac34", "three quarters", True), ("\\frac14", "three quarters", False),
        ("\\frac23", r"\boxed{\text{two thirds of the votes}}", False),  # only a whole answer in words is a number
    ])
    assert not wrong, wrong


# ---------------------------------------------------------------- ratios and clock times

def test_ratios_of_three_or_more_terms_compare_by_proportion() -> None:
    wrong = _wrong_verdicts([
        ("1:2:3", r"\boxed{2:4:6}", True), ("1:2:3", r"The ratio is $2 : 4 : 6$.", True), ("3:4:5", "6:8:10", True),
        ("1:2:3", "0.5:1:1.5", True), (r"1:\sqrt{2}:\sqrt{3}", r"2:2\sqrt{2}:2\sqrt{3}", True),
        ("1:2:3", r"\boxed{2:4:7}", False), ("1:2:3", "3:2:1", False), ("1:2:3", "1:2", False),
        ("1:2:3", r"\frac{1}{6}", False), ("1:2:3", "1:2:3:4", False), ("0:1:2", "0:2:4", True), ("0:1:2", "1:2:4", False),
        ("1:3", "2:6", True), ("1:3", r"\frac13", True),  # two terms: the quotient, as before
    ])
    assert not wrong, wrong


def test_a_colon_pair_is_a_clock_time_only_with_minutes_up_to_59() -> None:
    wrong = _wrong_verdicts([
        ("19:60", r"\boxed{19:60}", True), (r"\frac{19}{60}", r"\boxed{19:60}", True), ("1:3", r"\boxed{19:60}", False),
        ("19:60", "7:00", False), ("4:30", "4:30 PM", True), (r"\frac13", "1:03", False),
    ])
    assert not wrong, wrong


def test_proportional_ratios_share_a_cluster() -> None:
    from evalkit.grading import cluster

    labels = cluster(["1:2:3", "2:4:6", "3:6:9", "1:2:4", r"\frac16", "0.5:1:1.5"])
    assert labels[0] == labels[1] == labels[2] == labels[5] and len({labels[0], labels[3], labels[4]}) == 3


# ---------------------------------------------------------------- Minerva's closing line: a number and its unit

@pytest.mark.parametrize(("text", "expected"), [
    ("Final Answer: The final answer is 7.4e-12 m. I hope it is correct.", r"7.4e-12\text{ m}"),
    ("Final Answer: The final answer is 300 K. I hope it is correct.", r"300\text{ K}"),
    ("Final Answer: The final answer is 1.2 x 10^5 m/s. I hope it is correct.", r"1.2 x 10^5\text{ m/s}"),
    ("The final answer is 7.4e-12 m.", "7.4e-12"),
    ("The final answer is 7.4 \\times 10^{-12} m.", "7.4 \\times 10^{-12}"),
    ("So the wavelength is 7.4e-12 m.", "7.4e-12"),
    # numbered steps are not parts, and their numbers are not the answer
    ("1) The energy is 3 J.\n2) The wavelength is 7.4e-12 m.\nFinal Answer: The final answer is 7.4e-12 m. "
     "I hope it is correct.", r"7.4e-12\text{ m}"),
    ("1) First $\\boxed{3}$\n2) Then $\\boxed{7}$", "7"),
    ("Final Answer: The final answer is 3 n. I hope it is correct.", "3 n"),  # OlympiadBench's `3 n`: a product
])
def test_a_number_with_its_unit_word_is_found_with_the_unit_apart(text: str, expected: str) -> None:
    assert find_answer(text).answer == expected


def test_a_trailing_unit_word_after_a_number_is_dropped() -> None:
    minerva = GradingPolicy(relative_tolerance=0.01)
    wrong = _wrong_verdicts([
        ("7.4e-12", "Final Answer: The final answer is 7.4e-12 m. I hope it is correct.", True),
        ("7.4e-12", "The final answer is 7.4e-12 m.", True),
        ("7.4 \\times 10^{-12}", "The final answer is 7.4 \\times 10^{-12} m.", True),
        ("7.4e-12", "So the wavelength is 7.4e-12 m.", True),
        ("300", "Final Answer: The final answer is 300 K. I hope it is correct.", True),
        ("1.2 \\times 10^{5}", "Final Answer: The final answer is 1.2 x 10^5 m/s. I hope it is correct.", True),
        ("7.4e-12", "The final answer is 8.4e-12 m.", False), ("300", "The final answer is 310 K.", False),
        ("7.4e-12", "Final Answer: The final answer is 7.4e-11 m. I hope it is correct.", False),
        ("7.4e-12", "1) The energy is 3 J.\n2) So $\\lambda = 7.4e-12$ m.\nFinal Answer: The final answer is 7.4e-12 m. "
                    "I hope it is correct.", True),
    ], minerva)
    assert not wrong, wrong


# ---------------------------------------------------------------- the precision of a decimal reference

def test_a_decimal_reference_accepts_what_rounds_to_it_half_away_from_zero() -> None:
    wrong = _wrong_verdicts([
        ("0.003", "0.0035", False), ("0.003", r"\frac{7}{2000}", False), ("0.003", "0.0034999", True),
        ("0.003", "0.0025", True), ("0.003", r"\frac{1}{400}", True), ("0.003", "0.0024999", False),
        ("-0.003", "-0.0035", False), ("-0.003", "-0.0025", True),
        ("5.0", "4.95", True), ("5.0", "5.05", False), ("0.67", r"\frac23", True), ("0.67", "0.665", True),
        ("0.67", "0.675", False), ("7.2 \\times 10^{-4}", "7.25 \\times 10^{-4}", False),
        ("7.2 \\times 10^{-4}", "7.15 \\times 10^{-4}", True), ("0.3\\%", "0.35\\%", False), ("0.3\\%", "0.25\\%", True),
    ])
    assert not wrong, wrong


# ---------------------------------------------------------------- unicode superscripts and subscripts

@pytest.mark.parametrize(("answer", "canonical"), [
    ("10⁵", "10^{5}"), ("x²", "x^{2}"), ("x³", "x^{3}"), ("10⁻³", "10^{-3}"), ("2²³", "2^{23}"), ("xⁿ", "x^{n}"),
    ("log₂ 8", "log_{2}8"), ("a₁ + a₂", "a_{1}+a_{2}"), ("x₁₂", "x_{12}"), ("5 cm²", "5"), ("12 \\text{ ft}²", "12"),
])
def test_unicode_superscripts_and_subscripts_are_powers_and_indices(answer: str, canonical: str) -> None:
    from evalkit.grading.normalize import normalize_answer

    assert normalize_answer(answer) == canonical


def test_unicode_superscripts_and_subscripts_grade_as_written_in_latex() -> None:
    wrong = _wrong_verdicts([
        ("100000", r"\boxed{10⁵}", True), ("100000", "The answer is 10⁵.", True), ("1000", r"\boxed{10⁵}", False),
        ("x^2", r"\boxed{x²}", True), ("x^3", r"\boxed{x²}", False), ("0.001", "10⁻³", True), ("4", "2²", True),
        ("3", r"\boxed{log₂ 8}", True), ("3", r"\boxed{\log₂ 8}", True), ("3", "log₂ 9", False), ("2", "log₂ 8", False),
        ("1.2 \\times 10^{5}", "1.2 × 10⁵", True), ("6.02\\times10^{23}", "6.02 × 10²³", True),
        ("a_1 + a_2", "a₁ + a₂", True), ("a_1 + a_3", "a₁ + a₂", False),
        ("100000", "So we get 10⁵ bacteria.", True), ("10", "So we get 10⁵ bacteria.", False),
        ("0.001", "It shrinks to 10⁻³", True),
    ])
    assert not wrong, wrong


@pytest.mark.parametrize(("text", "expected"), [
    ("Work.\n\n**Final Answer:**\n(a) $\\boxed{3}$\n(b) $\\boxed{5}$", "3, 5"),
    ("Work.\n\n**Final Answer**\n(a) $\\boxed{3}$\n(b) $\\boxed{5}$", "3, 5"),
    ("Work.\n\nAnswer:\n**Part 1:** $\\boxed{3}$\n**Part 2:** $\\boxed{5}$", "3, 5"),
    # a marker whose answer is not a list of parts keeps its answer
    ("Work.\n\n**Final Answer:** $\\boxed{7}$\n\n(a) $\\boxed{3}$ (b) $\\boxed{5}$", "7"),
])
def test_a_final_answer_marker_over_labelled_parts_answers_with_all_parts(text: str, expected: str) -> None:
    assert find_answer(text).answer == expected
