"""Equivalence judgements of the grading engine: one named test per class of answers.

All pairs go through the public `grade` API in one batch (module fixture), so the worker pool,
the in-process number path and the SymPy path are all exercised; a few tests call `equivalent`.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from evalkit.grading import Verdict, equivalent, grade  # noqa: E402
from evalkit.grading.normalize import normalize_answer  # noqa: E402

CASES: dict[str, list[tuple[str, str, bool]]] = {
    "thousands_separators": [
        ("40000", "40,\\!000", True), ("10000", "10{,}000", True), ("1000", "1 000", True),
        ("7425000", "7,425,000", True), ("1000", "1,000", True), ("40000", "40,001", False),
    ],
    "comma_is_a_list_or_thousands_never_a_decimal_by_default": [
        ("0.5", "0,5", False), ("3.5", "3,5", False), ("3, 5", "3,5", True), ("0, 5", "0,5", True),
    ],
    "fractions_decimals_mixed": [
        ("\\frac{1}{2}", "\\frac12", True), ("\\frac{1}{2}", "\\dfrac{1}{2}", True), ("\\frac{1}{2}", "1/2", True),
        ("\\frac{1}{2}", "0.5", True), ("\\frac{121}{12}", "10\\frac{1}{12}", True), ("\\frac{1}{2}", "\\frac{1}{3}", False),
        ("3.25", "3 1/4", True), ("7.75", "3 1/4", False), ("-3.25", "-3 1/4", True),  # a mixed number, never 31/4
    ],
    "percent_rule": [
        ("50\\%", "0.5", True), ("50\\%", "50", True), ("0.5", "50\\%", True), ("50", "50\\%", True),
        ("2", "200", False), ("50", "0.5", False), ("0.5", "50", False), ("2", "200\\%", True),
    ],
    "degrees": [("30^\\circ", "30", True), ("30", "30^{\\circ}", True), ("30^\\circ", "60", False)],
    "units_and_text": [
        ("5", "5\\text{ cm}", True), ("5", "\\$5.00", True), ("5", "5\\mbox{ dollars}", True),
        ("5", "6\\text{ cm}", False), ("\\text{Monday}", "Monday", True), ("\\text{Monday}", "Tuesday", False),
        ("\\$1.25", "\\textdollar 1.25", True), ("5", "\\approx 5.00", True), ("5", "\\approx 6", False),
        ("5.4 \\text{ cents}", "5.4¢", True), ("5.4 \\text{ cents}", "\\boxed{5.4\\text{¢}}", True), ("5.4", "5.5¢", False),
    ],
    "qualifier_after_a_unit": [
        ("18", "18 \\text{ years old}", True), ("5", "5 feet tall", True), ("3", "3 apples left", True),
        ("12", "12 cookies in total", True), ("18", "19 \\text{ years old}", False),
    ],
    "what_was_counted_and_ordinals": [
        ("\\frac34", "\\frac{3}{4}\\text{ of the pie}", True), ("3", "3 of the apples", True), ("12", "12\\text{ of them}", True),
        ("\\frac25", "2 of 5", False), ("4", "3 of the apples", False),
        ("5", "5\\text{th}", True), ("21", "21^{\\text{st}}", True), ("2", "2nd", True), ("5", "4\\text{th}", False),
    ],
    # graded as whole responses, so each answer is in the box a model would write
    "label_before_the_value_in_a_box": [
        ("24", "\\boxed{\\text{The area is } 24}", True), ("24", "\\boxed{\\text{Answer: } 24}", True),
        ("24", "\\boxed{\\text{Total cost} = \\$24}", True), ("24", "\\boxed{\\text{answer} = 24}", True),
        ("24", "\\boxed{\\text{minimum value} = 24}", True), ("24", "\\boxed{The area is 24}", True), ("5", "\\boxed{\\text{The answer is } x = 5}", True),
        ("y=2x+3", "\\boxed{\\text{Equation: } y = 2x+3}", True), ("24", "\\boxed{\\text{The area is } 25}", False),
        ("24", "\\boxed{\\text{The answer is not } 24}", False), ("24", "\\boxed{abc = 24}", False),
    ],
    "unicode_fractions_and_full_width_forms": [
        ("\\frac12", "\\boxed{½}", True), ("\\frac72", "\\boxed{3½}", True), ("\\frac34", "\\boxed{¼}", False),
        ("12", "\\boxed{１２}", True), ("(1,2)", "\\boxed{（1，2）}", True), ("12", "答案是 12。", True),
    ],
    # a unicode root covers the group, number or letter after it; a temperature's scale letter is its unit
    "unicode_roots_and_temperatures": [
        ("\\frac{\\sqrt3}{2}", "\\boxed{√(3)/2}", True), ("\\sqrt{x+1}", "\\boxed{√(x+1)}", True),
        ("\\sqrt{x}+1", "\\boxed{√x+1}", True), ("\\sqrt{x+1}", "\\boxed{√x+1}", False),
        ("\\sqrt[3]{2}", "\\boxed{∛2}", True), ("\\sqrt{10}", "\\boxed{√10}", True), ("10", "\\boxed{√10}", False),
        ("\\sqrt{10}", "\\boxed{√(11)}", False), ("25", "\\boxed{25°C}", True), ("25", "\\boxed{25 \\, ^{\\circ}C}", True),
        ("77", "The answer is 77°F.", True),
        ("26", "\\boxed{25°C}", False), ("25", "\\boxed{25 C}", False),
    ],
    "number_words": [
        ("18", "\\boxed{eighteen}", True), ("25", "\\boxed{\\text{Twenty-five}}", True), ("210", "\\boxed{two hundred and ten}", True),
        ("18", "\\boxed{nineteen}", False), ("56", "\\boxed{five six}", False),
    ],
    # units as Minerva Math and OlympiadBench solutions set them in LaTeX (learnt from their solutions)
    "units_set_in_latex": [
        ("41.8", "41.8 \\mathrm{~km/s}", True), ("300", "300 \\mathrm{~km} / \\mathrm{s}", True),
        ("4.5e33", "4.5 \\times 10^{33} \\mathrm{erg/s}", True), ("560", "560 \\text{ nm}", True),
        ("9.6", "9.6 \\text{ \\AA}", True), ("50", "50 \\, \\mu\\mathrm{m}", True),
        ("7.353e14", "7.353 \\times 10^{14} \\text{ s}^{-1}", True),
        ("8.64", "8.64 \\mathrm{~g} / \\mathrm{cm}^{3}", True), ("41.8", "41.8 km/s", True),
        ("4.49", "4.49 \\text{ kpc}", True), ("2", "2 M_{\\odot}", True),
        ("\\frac{600}{7}", "\\frac{600}{7} \\mathrm{~km} / \\mathrm{h}", True),
        ("12\\sqrt{3}", "12\\sqrt{3}\\text{ sq. units}", True),
        ("41.8", "42.8 \\mathrm{~km/s}", False), ("5", "5 / \\mathrm{s}", False),
        ("2", "2x \\mathrm{~m}", False), ("300", "300 \\mathrm{~km} / \\mathrm{x}", False),
    ],
    # an answer that states the value in an equation whose left side is not a plain name
    "equation_states_the_value": [
        ("33", "m+n=33", True), ("33", "p + q = 33", True), ("5", "f(f(20))=5", True), ("5", "[ABC] = 5", True),
        ("\\frac12", "\\sin\\theta = \\frac12", True), ("6m", "8m-2m=6m", True),
        ("34", "m+n=33", False), ("0", "5x - 7y + 11z + 4 = 0", False),  # `= 0` is an implicit equation
        ("5x - 7y + 11z + 4 = 0", "0", False), ("m+n=33", "33", False),  # a reference equation is no number
        ("6m", "8m-2m=5m", False),
    ],
    "assignment_prefix": [("3", "x = 3", True), ("k = \\frac{\\pi}{2}", "\\frac{\\pi}{2}", True), ("3", "x = 4", False)],
    "multiple_choice": [("\\text{(A)}", "A", True), ("A", "(A)", True), ("\\textbf{(B)}", "B", True), ("A", "B", False)],
    "choice_with_its_value": [  # right for a reference that is the letter or the value, as MATH's AMC problems hold either
        ("B", "(B)\\ 17", True), ("17", "\\textbf{(B) }17", True), ("\\text{(C)}", "(C) \\frac{1}{2}", True),
        ("0.5", "\\text{(C) }\\frac12", True), ("x+1", "(B)\\ x+1", True), ("B", "(B)\\ x+1", True),
        ("C", "(B)\\ 17", False), ("18", "(B)\\ 17", False), ("(D) 17", "(B) 17", True), ("(D) 18", "(B) 17", False),
    ],
    "tuples_sets_intervals": [
        ("(1,2)", "(1, 2)", True), ("(1,2)", "(2,1)", False), ("\\{1,2\\}", "\\{2,1\\}", True),
        ("(0, 1]", "(0, 1)", False), ("(0,1]", "(0,1]", True), ("[2, \\infty)", "[2,\\infty)", True),
        ("[2,\\infty)", "(2,\\infty)", False), ("(-\\infty,0)\\cup(1,2]", "(1,2]\\cup(-\\infty,0)", True),
        ("(-\\infty,0)\\cup(1,2]", "(-\\infty,0)\\cup(1,2)", False),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", True),
        ("(-\\infty,\\infty)", "\\mathbb{R}", True), ("(-\\infty,\\infty)", "\\text{all real numbers}", True),
        ("(-\\infty,\\infty)", "x \\in \\mathbb{R}", True), ("[0,\\infty)", "\\mathbb{R}", False),
    ],
    "vectors_matrices": [
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{bmatrix}1 \\\\ 2\\end{bmatrix}", True),
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}2\\\\1\\end{pmatrix}", False),
        ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", True),
        ("\\begin{pmatrix}1/2\\\\2\\end{pmatrix}", "\\begin{pmatrix}0.5\\\\2\\end{pmatrix}", True),
    ],
    "equations_and_inequalities": [
        ("y = 2x + 1", "2x - y + 1 = 0", True), ("y = 2x + 1", "2y = 4x + 2", True),
        ("x > 2", "2 < x", True), ("x \\ge 2", "[2, \\infty)", True), ("x > 2", "x \\ge 2", False),
    ],
    "emphasis_and_base_ten": [
        ("33", "\\underline{33}", True), ("33", "\\color{red}33", True), ("\\frac12", "\\textcolor{blue}{0.5}", True),
        ("33", "33_{10}", True), ("33_{10}", "33", True), ("34", "33_{10}", False), ("7", "21_{3}", False),
    ],
    "complex_numbers": [("1+i", "i+1", True), ("1+i", "1-i", False), ("-1", "i^2", True)],
    "plus_minus": [("\\pm 2", "2, -2", True), ("\\pm 2", "-2,2", True), ("3\\pm\\sqrt{2}", "3+\\sqrt2, 3-\\sqrt2", True)],
    "radicals_pi_e_infinity": [
        ("\\sqrt{8}", "2\\sqrt{2}", True), ("\\frac{\\pi}{2}", "\\pi/2", True), ("\\infty", "\\infty", True),
        ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", True), ("\\sqrt{8}", "3\\sqrt{2}", False),
        ("e^{2}", "e^2", True), ("\\infty", "-\\infty", False), ("sqrt(2)/2", "\\frac{\\sqrt{2}}{2}", True),
        ("2*pi", "2\\pi", True),
    ],
    "polynomials": [("x^2+2x+1", "(x+1)^2", True), ("x^2-1", "(x-1)(x+1)", True), ("x^2+1", "(x+1)^2", False)],
    "comma_lists_unordered": [("2, 3, \\text{ and } 4", "2, 3, 4", True), ("2, 3, 4", "4, 2, 3", True)],
    "exact_integers": [
        ("12345678901234567890", "12345678901234567891", False), ("2^{2^{20}}", "2^{2^{20}}+1", False),
        ("12345678901234567890", "12345678901234567890", True),
    ],
    "exact_references_need_exact_answers": [
        ("\\frac{1}{3}", "0.333", False), ("\\frac{1}{3}", "0.33", False), ("\\frac{2}{3}", "0.667", False),
        ("\\frac{\\pi}{2}", "1.57", False), ("3", "3.0001", False), ("\\frac{17}{50}", "0.34", True),
        ("3", "3.0", True),
    ],
    "decimal_references_ask_for_their_precision": [
        ("0.333", "\\frac{1}{3}", True), ("0.67", "\\frac{2}{3}", True), ("0.67", "0.667", True),
        ("0.67", "0.7", False), ("1.57", "\\frac{\\pi}{2}", True), ("1.58", "\\frac{\\pi}{2}", False),
        ("2.45", "2.5", False), ("2.5", "2.45", True), ("2.5", "2.56", False),
    ],
    # Known false positives of Math-Verify / Qwen2.5-Math's math_equal: all must be unequal.
    "peer_false_positive_factorials": [("\\frac{1}{2004!}", "\\frac{1}{2006!}", False)],
    "peer_false_positive_percent_scaling": [("2", "200", False), ("200", "2", False)],
    "peer_false_positive_plus_minus": [("\\pm 2021", "2021", False)],
    "peer_false_positive_lists": [("2, 3, 4", "1, 2, 3", False)],
    "peer_false_positive_lines": [("y = 2x + 1", "y = 3x + 1", False), ("y = 2x + 1", "y = 2x - 1", False)],
    "names_and_values": [
        ("7", "g(2) = 7", True), ("(3,-2)", "(a,b) = (3,-2)", True), ("1", "|AB| = 1", True),
        ("2x", "f(x) = 2x", True), ("4, 5", "AB=4, CD=5", True), ("11", "x = 5+5+1 = 11", True),
        ("(0,1)", "0<f(x)<1", True), ("[5, \\infty)", "x \\geq 5", True), ("x \\ge 5", "x >= 5", True),
        ("x \\ne 3", "x != 3", True), ("(5,2),(7,2)", "p=5,q=2;p=7,q=2", True),
        ("a_3 = 2, a_{37} = 19", "a_{37} = 19, a_3 = 2", True),
        ("[-\\frac32,-1]\\cup[1,\\frac32]", "1\\le|z|\\le\\frac{3}{2}", True),
    ],
    "sets_tuples_matrices_choices": [
        ("\\frac12", "\\left\\{ \\frac{1}{2} \\right\\}", True), ("\\{3\\}", "3", True), ("\\{3\\}", "4", False),
        ("\\{2, 3\\}", "3", False), ("(3)", "\\{3\\}", True), ("(3,3)", "3", False),
        ("(1,2),(3,4)", "(3,4),(1,2)", True), ("(0;0;1)", "(0, 0, 1)", True), ("\\{\\pm 2\\}", "\\{2,-2\\}", True),
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "(1, 2)", True),
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\frac{1}{2}\\begin{pmatrix}2\\\\4\\end{pmatrix}", True),
        ("\\text{(A), (C)}", "A, C", True), ("\\text{(A), (C)}", "A, B", False),
        ("\\text{the midpoints}", "\\text{Midpoints}", True),
    ],
    "letters_and_text": [
        # Capitals written together are text, not a product of variables; letters written together
        # equal the same choice letters listed in that order (MATH: `\\text{ACF}`, `\\text{A, C}`, `CBAD`).
        ("\\text{CD}", "CD", True), ("LQSX", "\\text{LQSX}", True), ("LQSX", "QLSX", False),
        ("\\text{A, C, E}", "ACE", True), ("A,C,E", "\\text{ACE}", True), ("\\text{A,C}", "CA", False),
        ("\\text{CBAD}", "C, B, A, D", True), ("\\text{CBAD}", "A, B, C, D", False),
        ("\\text{H, E}", "E, H", True), ("\\text{MAKE}", "MAKE", True), ("\\text{MAKE}", "\\text{TAKE}", False),
        ("MR=SRMC", "SRMC = MR", True), ("AB = 5", "5", True),
        ("\\text{DNE}", "\\text{does not exist}", True), ("\\text{DNE}", "DNE", True),
        ("\\text{does not exist}", "\\text{DNE}", True), ("\\text{DNE}", "0", False),
    ],
    "whole_responses": [
        ("\\frac{1}{2}", "So the probability is $\\boxed{\\dfrac12}$.", True),
        ("\\boxed{7}", "We find $x = 7$. The answer is $7$.", True),
        ("5", "The answer is $6$.", False),
    ],
    # an answer line in plain text is read whole when it is one value (Llama, Mistral, GPT-4o in markdown)
    "plain_text_value_after_an_answer_marker": [
        ("6", "Answer: 6π", False), ("6\\pi", "The answer is 6π.", True), ("2", "Answer: 2x + 1", False),
        ("2x+1", "Answer: 2x + 1", True), ("3", "Answer: 3, 4", False), ("3,4", "**Answer:** 4, 3", True),
        ("5", "Answer: 5 ± √2", False), ("2", "**Answer:** √2", False), ("\\sqrt{2}", "**Answer:** √2", True),
        ("-\\sqrt{3}", "Answer: -√3", True), ("\\frac{\\pi}{4}", "Answer: π/4", True), ("5", "Answer: 5i", False),
        ("\\frac{\\sqrt3}{2}", "The answer is sqrt(3)/2.", True), ("1500000", "Answer: 1.5 million", True),
        ("1.5", "Answer: 1.5 million", False), ("60", "Answer: 12 × 5 = 60", True), ("42", "Answer: 42 (B)", True),
        ("4", "# Answer\n\n\\frac{3}{4}", False), ("\\frac34", "# Answer\n\n\\frac{3}{4}", True),
        ("-2", "### Final Answer\n(1, -2)", False), ("5", "Answer: 5 h", True), ("5", "Answer: 5 m^2", True),
    ],
}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[Verdict]]:
    flat = [(name, ref, ans) for name, cases in CASES.items() for ref, ans, _ in cases]
    results = grade([a for _, _, a in flat], [r for _, r, _ in flat], workers=2, timeout=10.0)
    grouped: dict[str, list[Verdict]] = {}
    for (name, _, _), verdict in zip(flat, results):
        grouped.setdefault(name, []).append(verdict)
    return grouped


def _check(verdicts: dict[str, list[Verdict]], name: str) -> None:
    wrong = [(ref, ans, expected, v.reason) for (ref, ans, expected), v in zip(CASES[name], verdicts[name])
             if v.correct != expected]
    assert not wrong, f"{name}: misjudged (reference, answer, expected, reason): {wrong}"


@pytest.mark.parametrize("name", list(CASES))
def test_case_class(verdicts: dict[str, list[Verdict]], name: str) -> None:
    _check(verdicts, name)


def test_peer_false_positives_are_unequal(verdicts):
    for name in CASES:
        if name.startswith("peer_false_positive"):
            _check(verdicts, name)


def test_equivalent_public_function_in_process_and_worker():
    assert equivalent("1,000", "1000")
    assert not equivalent("2", "200")
    assert equivalent("\\sqrt{8}", "$2\\sqrt{2}$")
    assert not equivalent("\\frac{1}{2004!}", "\\frac{1}{2006!}")


@pytest.mark.parametrize("bad", [None, 5, "", "   ", "\x00", "a\x00b", "\ud800", "{", "}{", "\\", "\\frac{",
                                 "$$", "\\boxed{", "(" * 500 + "1", "x" * 100_000, "\\left(", "^^^", "1/0"])
def test_never_raises_on_bad_input(bad):
    assert equivalent("3", bad) is False
    assert equivalent(bad, "3") is False


def test_bad_inputs_get_reasons():
    verdicts = grade([None, "", "\\boxed{\\frac{}", "\\boxed{3}"], ["3", "3", "3", "3"], workers=1)  # type: ignore[list-item]
    assert [v.reason for v in verdicts[:3]] == ["no_answer", "no_answer", "no_answer"]  # the box never closes
    assert not verdicts[2].correct and verdicts[2].note == "its last box is cut off"
    assert verdicts[3].correct and verdicts[3].reason == "ok"
    assert verdicts[3].to_dict()["key"] == "n:3/1"
    [unparsable] = grade(["\\boxed{\\frac{}{}}"], ["3"], workers=1)
    assert unparsable.reason == "parse_error" and unparsable.answer == "\\frac{}{}"


@pytest.mark.timeout(120)
def test_hostile_power_tower_times_out():
    assert equivalent("9^{9^{9^{9}}}", "9^{9^{9^{9}}}+1", timeout=1.0) is False
    verdicts = grade(["\\boxed{9^{9^{9^{9}}}}", "\\boxed{\\sqrt{9}}"], ["3", "3"], workers=1, timeout=1.0)
    assert verdicts[0].reason == "timeout" and not verdicts[0].correct
    assert verdicts[1].correct  # a neighbour of the hostile answer is still graded


def test_no_code_is_evaluated():
    # Strings that would run code if they reached eval / sympify; they must just be unequal.
    for text in ("__import__('os').system('echo pwned')", "exec('1')", "lambda: 1", "open('/etc/passwd')"):
        assert equivalent("7", text) is False


def test_normalize_documented_rules():
    assert normalize_answer("$\\dfrac12$ cm.") == "\\frac{1}{2}"
    assert normalize_answer("40,\\!000") == "40000"
    assert normalize_answer("3,5") == "3,5"  # a list, never 3.5
    assert normalize_answer("0,5") == "0,5"  # a list too: decimal commas are a task's opt-in
    assert normalize_answer("\\text{(A)}") == "A"
    assert normalize_answer("9\\text{ a.m.}") == "9:00am"


def test_one_number_restated_in_several_boxes_equals_it():
    response = r"so $d = 15\frac{975}{1000} = \boxed{15\frac{39}{40}},$ or $\boxed{\frac{639}{40}}$ inches."
    assert equivalent(r"\frac{639}{40}", response)
    assert equivalent(r"\frac{639}{40}", r"15\frac{39}{40}, \frac{639}{40}")
    assert not equivalent(r"2021", r"\pm 2021")
    assert not equivalent(r"3", r"3, 4")
