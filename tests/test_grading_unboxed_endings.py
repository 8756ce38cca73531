"""How a response without a box ends (2026-12 review, second round): undelimited LaTeX after a
marker, a derivation in a display environment, a value named on the right, a computed tuple, and
degree marks inside fractions. Each case is (reference, response, expected verdict)."""

from __future__ import annotations

from evalkit.grading.scan import closing_display_row
from grading_cases import disagreements


def test_undelimited_latex_after_a_marker_is_read_whole():
    assert disagreements([
        (r"\frac{1}{2}", r"Answer: \frac12", True),
        (r"\frac{1}{2}", r"The final answer is \frac12.", True),
        (r"-\frac{3}{4}", r"The answer is -\frac34.", True),
        (r"\frac{1}{2}", r"so the answer is \tfrac12", True),
        (r"\sqrt{3}x^2", r"Answer: \sqrt3 x^2", True),
        (r"\frac{1}{2}at^2", r"Answer: \frac{1}{2} at^2", True),
        (r"\frac{1}{2}at^2", r"Answer: \frac12 at^2", True),
        (r"\{1,2\}", r"Answer: \{1, 2\}", True),
        (r"[0,1]", r"Answer: x \in [0, 1]", True),
        (r"\infty", r"The answer is \infty.", True),
        ("10", r"The answer is \binom{5}{2}.", True),
        (r"e^{i\pi}", r"Answer: e^{i\pi}", True),
        # what is not the whole value stays apart
        (r"\frac{1}{2}", r"The answer is \frac12 because the two halves match.", True),
        (r"\frac{1}{2}", r"Answer: \frac12 at^2", False),
        ("east", r"The answer is \textbf{east}.", True),
        (r"7.4 \times 10^{-12}", r"The final answer is 7.4 \times 10^{-12} m.", True),
        ("5", r"Answer: \text{5 and } 7", False),
        ("3", r"Answer: \(3\)", True),
    ]) == []


def test_a_unit_or_remark_after_undelimited_latex_is_left_apart():
    # a second review (2026-12) found these read whole, unit and remark included, after the change above
    assert disagreements([
        (r"\frac{3}{4}", r"The speed is constant, so the answer is \frac{3}{4} m.", True),
        (r"\frac{5}{2}", r"Answer: \frac{5}{2} J", True),
        ("300", r"The answer is 300 \, K.", True),
        ("2", r"Answer: 2 \, \Omega", True),
        (r"\frac{1}{2}", r"**Answer:** \frac{1}{2} (50%)", True),
        (r"\frac{\sqrt3}{4}", r"Answer: \frac{\sqrt{3}}{4} (\approx 0.433)", True),
        (r"\frac{\pi}{4}", r"The answer is \frac{\pi}{4} (i.e., 45^\circ).", True),
        (r"\frac{1}{2}", r"The answer is \frac{1}{2} (i.e. 50\%).", True),
        ("9", r"The answer is 9 \quad (n = 9).", True),
        (r"\frac12", r"Answer: \frac{1}{2}, x = 3", True),
        (r"\frac16", r"Answer: \frac{1}{6}; P(A \cap B) = \frac{1}{12}", True),
        (r"\frac12", r"Answer: \frac12 \Rightarrow p = 0.5", True),
        ("7", r"Answer: 7 \checkmark", True),
    ]) == []


def test_a_derivation_that_ends_the_response_gives_its_last_row():
    assert disagreements([
        ("x^3+27", "Expanding, \\begin{align*}\n(x+3)(x^2-3x+9) &= x^3-3x^2+9x+3x^2-9x+27 \\\\\n&= x^3+27.\n\\end{align*}", True),
        ("27", "Expanding, \\begin{align*}\n(x+3)(x^2-3x+9) &= x^3-3x^2+9x+3x^2-9x+27 \\\\\n&= x^3+27.\n\\end{align*}", False),
        ("2x-1", "Combining like terms: \\begin{align*}\n(8x-9)-4(-2+x) &= 8x-9+8-4x\\\\\n&=4x-1\n\\end{align*}", False),
        ("4x-1", "Combining like terms: \\begin{align*}\n(8x-9)-4(-2+x) &= 8x-9+8-4x\\\\\n&=4x-1\n\\end{align*}", True),
        ("3", "We solve: \\[\\begin{aligned} 2x + 1 &= 7 \\\\ x &= 3 \\end{aligned}\\]", True),
        ("8", "Hence \\begin{align*}\nx - 8 &= 0 \\\\\n\\Rightarrow\\qquad 8 &= x.\n\\end{align*}", True),
        ("2", "So \\begin{align*}\n122 \\cdot 123 &\\equiv 2 \\cdot 3 \\\\\n&\\equiv 2 \\pmod{4}.\n\\end{align*}", True),
        (r"\begin{pmatrix} -10 \\ -35 \\ 30 \end{pmatrix}",
         "Then \\begin{align*}\nv &= \\begin{pmatrix} -6 \\\\ -7 \\\\ 2 \\end{pmatrix} + \\begin{pmatrix} -4 \\\\ -28 \\\\ 28 "
         "\\end{pmatrix} \\\\\n&= \\begin{pmatrix} -10 \\\\ -35 \\\\ 30 \\end{pmatrix}.\n\\end{align*}", True),
        ("30", "Then \\begin{align*}\nv &= \\begin{pmatrix} -10 \\\\ -35 \\\\ 30 \\end{pmatrix}.\n\\end{align*}", False),
    ]) == []


def test_remarks_beside_the_last_row_and_reasons_after_a_stated_result():
    assert disagreements([
        ("9", "\\begin{align*}\nn^2 &= 81 \\\\\nn &= 9 && \\text{positive root}\n\\end{align*}", True),
        ("5", "\\begin{align*}\n2x + 3 &= 13 && \\text{(subtract 3)} \\\\\nx &= 5 && \\text{(divide by 2)}\n\\end{align*}", True),
        ("9", "\\begin{align*}\nn(n-1) &= 72 \\\\\nn &= 9 & (n>0)\n\\end{align*}", True),
        ("5", "\\begin{align*}\n2x &= 10 \\\\\nx &= 5 \\quad \\text{(final answer)}\n\\end{align*}", True),
        ("15", "\\begin{align*}\n20 - 5 &= 15 \\quad \\text{apples remain}\n\\end{align*}", True),
        ("9", "\\begin{align*}\nn^2 &= 81 \\\\\n\\text{so } n &= 9.\n\\end{align*}", True),
        ("5", "\\begin{align*}\n2x &= 10 \\\\\nx &= 5\\,.\n\\end{align*}", True),
        ("5", "\\begin{align*}\n2x &= 10 \\\\[2pt]\nx &= 5 \\\\\n\\hline\n\\end{align*}", True),
        ("5", "\\begin{align*}\n2x + 3 &= 13, & x &= 5\n\\end{align*}", True),
        ("7", "\\begin{equation}\n\\begin{split}\na &= 3 + 4 \\\\\n&= 7\n\\end{split}\n\\end{equation}", True),
        ("0", "\\begin{align*}\nt &= \\frac{1}{a}+\\frac{1}{b}+\\frac{1}{c} \\\\\n&= \\frac{ab+bc+ca}{abc} = 0\n\\end{align*}", True),
        ("3", "\\begin{align*}\n10 &= 10 \\cdot \\square \\\\\n3 &= \\square\n\\end{align*}", True),
        ("1", "\\begin{align*}\n10 &= 10\\triangle \\\\\n1 &= \\triangle\n\\end{align*}", True),
        # an environment opened as the reason for a result stated before it is not the result
        ("3", "The remainder is 3, as\n\\begin{align*}\n17 &= 2 \\cdot 7 + 3\n\\end{align*}", True),
        ("2", "The solution is $x = 2$. Let's verify:\n\\begin{align*}\n3(2) + 4 &= 10.\n\\end{align*}", True),
        ("3", "We can rewrite the sum as\n\\begin{align*}\ns &= (2 - 1) + (1 + 1) \\\\\n&= 3.\n\\end{align*}", True),
        ("41", "Note that \\begin{align*}\n5x^2 + 8xy + 5y^2 &= (2x + y)^2 + (x + 2y)^2 = 4^2 + 5^2 = 41.\n\\end{align*}.", True),
        ("10", "The solution is $x = 2$. Let's verify:\n\\begin{align*}\n3(2) + 4 &= 10.\n\\end{align*}", False),
    ]) == []


def test_the_last_row_of_a_closing_environment():
    assert closing_display_row("so \\begin{align*} a &= b \\\\ &\\qquad= 8n^2 + 4n + 1 \\notag \\end{align*}") == "8n^2 + 4n + 1"
    assert closing_display_row("\\begin{equation} y = 2 \\label{eq:1} \\end{equation}.") == "y = 2"
    assert closing_display_row("\\begin{align*} x &= 1 \\\\ \\end{align*}") == "x = 1"  # an empty last row
    assert closing_display_row("\\begin{align*} x &= 1 \\end{align*} and then more words") is None
    assert closing_display_row("\\end{align*}") is None  # never opened
    assert closing_display_row("no environment") is None


def test_a_number_joined_to_a_word_by_a_hyphen_is_a_name_not_an_answer():
    assert disagreements([
        ("0", "I ran this through pytest-0 and GPT-4 as well.", False),
        ("4", "Compare it with GPT-4.", False),
        ("4", "The total is 4.", True),
        ("-4", "The total is -4.", True),
        ("-4", "The total comes to x = -4.", True),
    ]) == []


def test_a_value_named_on_the_right_is_the_named_value():
    assert disagreements([
        ("18", r"\boxed{18 = x}", True),
        ("19", r"\boxed{18 = x}", False),
        ("x=18", r"\boxed{18 = x}", True),
        ("3", r"\boxed{3 = x + 1}", False),
        ("24", r"\boxed{abc = 24}", False),
    ]) == []


def test_a_computed_tuple_is_graded_by_its_result():
    computed = r"\boxed{\left( 6 \sqrt{3} \cos \frac{5 \pi}{3}, 6 \sqrt{3} \sin \frac{5 \pi}{3}, -2 \right) = (3 \sqrt{3}, -9, -2)}"
    assert disagreements([
        (r"(3\sqrt{3}, -9, -2)", computed, True),
        (r"(3\sqrt{3}, 9, -2)", computed, False),
        ("(1,3)", r"\boxed{(1,2) = (1,3)}", True),
        ("(1,2)", r"\boxed{(1,2) = (1,3)}", False),
    ]) == []


def test_a_degree_mark_inside_a_fraction_keeps_the_fraction_whole():
    assert disagreements([
        ("1", r"\boxed{\frac{\cos 80^\circ}{\sin 10^\circ}}", True),
        ("1", r"\boxed{\frac{2 \cos 80^\circ}{2 \sin 10^\circ}}", True),
        ("2", r"\boxed{\frac{2 \sin 30^\circ}{\sin 30^\circ}}", True),
        ("3", r"\boxed{\frac{2 \sin 30^\circ}{\sin 30^\circ}}", False),
        ("30", r"\boxed{30^{\circ}}", True),
        ("30", r"\boxed{30^\circ}", True),
    ]) == []


def test_second_review_derivations_bounds_and_computations():
    # a third review (2026-12) of the rules above: reasons, bounds, computations after a marker
    assert disagreements([
        # `checking` inside a sentence opens the derivation itself; a sentence `Check:` opens a reason
        ("14", "We know that $3x + 2 = 14$. Solving and checking:\n\\begin{align*}\n3x &= 10 \\\\\nx &= \\frac{10}{3}.\n\\end{align*}", False),
        ("4", "We know that $3x + 2 = 14$. Solving and checking:\n\\begin{align*}\n3x &= 12 \\\\\nx &= 4.\n\\end{align*}", True),
        ("2", "The solution is $x = 2$. Check:\n\\begin{align*}\n3(2) + 4 &= 10.\n\\end{align*}", True),
        ("2", "The solution is $x = 2$. Plugging it back in:\n\\begin{align*}\n3(2) + 4 &= 10.\n\\end{align*}", True),
        ("11", "So $x = 4$. Indeed,\n\\begin{align*}\n2 \\cdot 3 + 5 = 11.\n\\end{align*}", False),
        ("1", "The minimum value is $3$. Equality holds when\n\\begin{align*}\na = b = c = 1.\n\\end{align*}", False),
        ("3", "The minimum value is $3$. Equality holds when\n\\begin{align*}\na = b = c = 1.\n\\end{align*}", True),
        # a bound ends with the value it reaches
        ("4", "By AM-GM,\n\\begin{align*}\nx + \\frac{4}{x} \\ge 2\\sqrt{x \\cdot \\frac{4}{x}} = 4.\n\\end{align*}", True),
        ("4", "So\n\\begin{align*}\nx + \\frac4x - 4 &= \\frac{(x-2)^2}{x} \\geq 0 \\\\\n\\therefore\\ x + \\frac{4}{x} &\\geq 4\n\\end{align*}", True),
        ("4", "So\n\\begin{align*}\na &= b \\\\\n&\\ge 2\\sqrt{4} = 4\n\\end{align*}", True),
        # an escaped space before a unit, a bracket that opens a row, a lone value in a gather
        ("5", "So\n\\begin{align*}\ns &= 2 + 3 \\\\\n&= 5\\ \\text{cm}\n\\end{align*}", True),
        ("9", "So\n\\begin{align*}\nf(2) &= 3 \\\\\n[f(2)]^2 &= 9\n\\end{align*}", True),
        ("-2", "We obtain\n\\begin{gather*}\nx + 5 = 3 \\\\\n-2\n\\end{gather*}", True),
        ("5", "\\begin{align*}\n2x + 3 &= 13 \\\\\nx &= 5 \\quad \\text{(Answer: 5)}\n\\end{align*}", True),
        # after a marker: a computation's result, not its first term
        ("6", r"The answer is \binom{4}{2} \cdot 2 = 12", False),
        ("12", r"The answer is \binom{4}{2} \cdot 2 = 12", True),
        ("9", r"The final answer is \binom{4}{2} + 3 = 9", True),
        (r"4\sqrt{3}", r"The answer is 4\sqrt{3} - 6 \approx 0.93.", False),
        # `!` that a computation goes on from is a factorial; one that ends the text ends a sentence
        ("24", "The answer is 4! = 24", True),
        ("24", "So there are 4! = 24 ways.", True),
        ("5", "The answer is 5! Great.", True),
        ("6", "Great! The answer is 6!", True),
    ]) == []


def test_an_answer_that_is_one_derivation_in_an_environment_is_its_result():
    system = "\\boxed{\\begin{aligned} x &= 1 \\\\ y &= 2 \\end{aligned}}"
    assert disagreements([
        ("3", "**Final Answer**\n\\[\n\\begin{aligned}\nx &= 3\n\\end{aligned}\n\\]", True),
        ("3", "Therefore,\n$\\begin{aligned}\nx &= 5 - 2 \\\\\n&= 3\n\\end{aligned}$", True),
        ("3", "\\boxed{\\begin{aligned} x &= 5 - 2 \\\\ &= 3 \\end{aligned}}", True),
        ("2", "\\boxed{\\begin{aligned} x &= 5 - 2 \\\\ &= 3 \\end{aligned}}", False),
        ("2", system, False),  # a system of equations is not a derivation: not read as its last row
        ("1", system, False),
    ]) == []


def test_a_closing_check_is_passed_over_for_the_result_it_checks():
    assert disagreements([
        ("5", "So $x = 5$. Substituting back: $2(5) + 3 = 13$.", True),
        ("13", "So $x = 5$. Substituting back: $2(5) + 3 = 13$.", False),
        ("5", "So $x = 5$. Check: $2(5) + 3 = 13$ ✓.", True),
        ("5", "Thus $x = 5$.\n\nVerification: $2 \\cdot 5 + 3 = 13$, which matches.", True),
        # what states a result is read, whatever word opens it
        ("1,-3", "The candidates are $\\pm 1$ and $\\pm 3$.  Checking, we find that $1,-3$ are the only integer roots.", True),
        ("4", "So $S \\ge 4$. Equality occurs when $x = 2$, so the minimum value is $4$.", True),
        ("7", "Check: the only value left is 7, so the answer is $7$.", True),
    ]) == []


def test_where_an_extremum_is_attained_is_not_its_value():
    minimum = "Completing the square, $x^2 - 8x + 36 = (x-4)^2 + 20$."
    assert disagreements([
        ("20", f"{minimum} The minimum is 20, attained at x = 4.", True),
        ("4", f"{minimum} The minimum is 20, attained at x = 4.", False),
        ("20", f"{minimum} So the minimum value is 20, which occurs when x = 4.", True),
        ("4", f"{minimum} So the minimum value is 20, which occurs when x = 4.", False),
        ("20", f"{minimum} The minimum value is 20 and it is attained when x = 4.", True),
        ("20", f"{minimum} The minimum value is $20$, attained when $x = 4$.", True),
        # where it is attained, stated first, then the value
        ("20", f"{minimum} Equality occurs when x = 4, so the minimum is 20.", True),
        # a later clause states the value
        ("3", "Since $f$ is decreasing, which occurs when its slope is negative, the minimum on $[2,5]$ is $f(5) = 3$.",
         True),
        # a value that is itself the place asked for
        ("4", "The function is smallest at x = 4.", True),
    ]) == []
