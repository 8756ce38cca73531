"""Answer formats from the 2026-12 equivalence review (1,046 cases in real models' styles): spacing
at the end of a box, `{:}` in a time, `\\min` as minutes, text answers with a noun, a matrix with a
sign, numerals with their base in parentheses or in words, and identities compared where their
variables live (rounded expressions at integers, logarithms at positive points). Each case is
(reference, response, expected verdict)."""

from __future__ import annotations

from grading_cases import disagreements


def test_latex_spacing_at_the_end_of_a_box_is_not_part_of_the_answer():
    assert disagreements([
        ("\\frac{14}{3}", "So the answer is $\\boxed{\\dfrac{14}{3}\\,}$.", True),
        ("11\\sqrt2", "The length is $\\boxed{11\\sqrt{2}\\;}$.", True),
        ("5", "Answer: $5\\quad$", True),
        ("\\frac{14}{3}", "So the answer is $\\boxed{\\dfrac{13}{3}\\,}$.", False),
    ]) == []


def test_times_minutes_and_text_answers_written_another_way():
    assert disagreements([
        ("\\text{4:30 p.m.}", "The meeting ends at $\\boxed{4{:}30 \\text{ p.m.}}$", True),
        ("\\text{1:03 PM}", "$\\boxed{1{:}03 \\text{ PM}}$", True),
        ("\\text{1:03 PM}", "$\\boxed{1{:}04 \\text{ PM}}$", False),
        ("45", "It takes $\\boxed{45 \\min}$.", True),
        ("45", "It takes $\\boxed{40 \\min}$.", False),
        ("\\text{even}", "Therefore $f$ is $\\boxed{\\text{even function}}$.", True),
        ("\\text{odd}", "Therefore $f$ is $\\boxed{\\text{even function}}$.", False),
        ("\\text{neither}", "So $f$ is $\\boxed{\\text{neither even nor odd}}$.", True),
    ]) == []


def test_a_signed_matrix_and_numerals_with_their_base_written_another_way():
    identity = "\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}"
    assert disagreements([
        ("\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}", f"$\\boxed{{-{identity}}}$", True),
        (identity, f"$\\boxed{{-{identity}}}$", False),
        ("52_8", "$\\boxed{(52)_8}$", True),
        ("52_8", "$\\boxed{52_{\\text{eight}}}$", True),
        ("52_8", "$\\boxed{52_{\\text{seven}}}$", False),
        ("1011_2", "$\\boxed{1011_{\\text{two}}}$", True),
    ]) == []


def test_identities_are_compared_where_their_variables_live():
    assert disagreements([
        # both sides round: integers decide (odd and even values of every variable)
        ("m n-\\lfloor m/2\\rfloor", "$\\boxed{m(n-1)+\\lceil m/2\\rceil}$", True),
        ("\\lfloor\\log_2 n\\rfloor+1", "$\\boxed{\\lceil\\log_2(n+1)\\rceil}$", True),
        ("\\lceil n/2\\rceil+1", "$\\boxed{\\lfloor (n+1)/2\\rfloor+1}$", True),
        ("\\lceil n/2\\rceil+1", "$\\boxed{\\lfloor n/2\\rfloor+1}$", False),
        # only one side rounds: the real points decide, as before
        ("x-\\lfloor x\\rfloor", "$\\boxed{0}$", False),
        # a logarithm's argument is positive
        ("-\\tau \\ln \\Delta", "$\\boxed{\\tau\\ln(1/\\Delta)}$", True),
        ("\\ln x", "$\\boxed{\\ln 2x}$", False),
        ("|x|", "$\\boxed{x}$", False),
    ]) == []
