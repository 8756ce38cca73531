"""Numbers as typesetting and programs write them (session 16): digits grouped by a no-break or thin space, a
fraction as Python prints it, a float printed at full double precision. Each case is (reference, response,
expected verdict); the near misses beside each rule stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions


def test_digits_grouped_by_a_typographic_space_are_one_number():
    assert disagreements([
        ("12000", "The total is 12\u202f000 dollars.", True),  # narrow no-break space (SI, French)
        ("12000", "The total is 12\u00a0000 dollars.", True),  # no-break space
        ("1234567", "So the population is 1\u2009234\u2009567.", True),  # thin space
        ("12", "The total is 12\u202f000 dollars.", False),
        ("12000", "The total is 12\u202f00 dollars.", False),  # not a group of three: not a thousands separator
    ]) == []


def test_a_fraction_python_prints_is_the_fraction():
    assert disagreements([
        ("\\frac{1}{2}", "```python\nfrom fractions import Fraction\nprint(Fraction(3, 6))\n```\n```output\n"
                         "Fraction(1, 2)\n```", True),
        ("-\\frac{3}{4}", "The result is Rational(-3, 4).", True),
        ("\\frac{1}{2}", "```output\nFraction(1, 3)\n```", False),
        ("2", "```output\nFraction(1, 2)\n```", False),  # not its denominator
    ]) == []


def test_a_float_printed_in_full_is_the_reference_in_floating_point():
    assert disagreements([
        ("\\frac{1}{2}", "```output\n0.49999999999999994\n```\nThe answer is $\\boxed{0.49999999999999994}$.", True),
        ("\\frac{\\sqrt{2}}{2}", "```output\n0.7071067811865476\n```\nSo the answer is 0.7071067811865476.", True),
        ("12", "The answer is $\\boxed{12.000000000000002}$.", True),
        ("\\pi", "The answer is $\\boxed{3.141592653589793}$.", True),
        # fewer digits than a double holds: a rounded value, wrong where the exact one is asked
        ("\\frac{\\sqrt{2}}{2}", "So the answer is 0.70710678.", False),
        ("\\pi", "The answer is $\\boxed{3.14159}$.", False),
        # full precision, but another number
        ("\\frac{1}{2}", "The answer is $\\boxed{0.50000000000001}$.", False),
        ("\\pi", "The answer is $\\boxed{3.141592653589700}$.", False),
    ]) == []


def test_full_width_forms_emoji_and_a_bold_answer_line_are_read_as_what_they_write():
    assert disagreements([
        ("-50", "答案：－50", True),  # a full-width minus is a minus
        ("50", "答案：－50", False),
        ("(1,8,19), (2,7,13), (4,5,7)", "答案：(1,8,19)，(2,7,13)，(4,5,7)", True),
        ("3", "The answer is 3 🎉", True),
        ("83", "Answer: x = 83 ✔️", True),
        ("90^\\circ", "Answer: 90°", True),  # the degree sign is not decoration
        ("\\text{east}", "**Answer: East** 🧭", True),
        ("2n", "The smallest degree is 2n.\n\n**Answer: 2n**", True),  # the label's bold closes after the value
        ("2", "**Answer: 2n**", False),
    ]) == []


def test_a_value_sympy_prints_at_the_end_is_read_whole():
    assert disagreements([
        ("6 - 5i", "```python\nprint(w)\n```\n```output\n6 - 5*I\n```", True),
        ("5", "```python\nprint(w)\n```\n```output\n6 - 5*I\n```", False),
        ("x^3+3x-6", "```output\nx**3 + 3*x - 6\n```", True),
        ("(a+5)(b+2)", "```output\n(a + 5)*(b + 2)\n```", True),
        ("\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", "```output\nMatrix([[-1/3], [2/3], [5/3]])\n```", True),
        ("1 \\pm \\sqrt{19}", "```output\n[1 - sqrt(19), 1 + sqrt(19)]\n```", True),
        ("12", "So 3 * 4 = 12.", True),  # a computation in prose: its result
    ]) == []


def test_values_joined_by_or_in_plain_text_are_alternatives():
    assert disagreements([
        ("x=5", "x = 1 gives 7 ≠ 1, so it is extraneous.\n\nAnswer: x = 1 or x = 5", False),
        ("x=5", "答案：x = 1 或 x = 5", False),
        ("1, 5", "Answer: x = 1 or x = 5", True),
        ("(-\\infty, 2) \\cup (3, \\infty)", "答案：x < 2 或 x > 3", True),  # inequalities so joined: a union
        ("(-\\infty, 2) \\cup (3, \\infty)", "Answer: x < 2 or x > 3", True),
    ]) == []


def test_an_exponent_of_several_digits_without_braces_is_the_whole_run():
    assert disagreements([
        ("1024", "The answer is $\\boxed{2^10}$.", True),  # LaTeX would set 2^1 0; every writer means 2^{10}
        ("0", "The answer is $\\boxed{2^10}$.", False),
        ("2^{1009}", "**Final Answer:** 2^1009", True),
        ("\\log_2 8", "The answer is $\\boxed{\\log_2 8}$.", True),  # a subscript keeps LaTeX's one character
    ]) == []


def test_scales_and_fractions_written_outside_latex():
    assert disagreements([
        ("70000", "因此，他赚了7万美元。", True),  # 万: ten thousand
        ("57500", "最终答案：5.75万", True),
        ("7", "因此，他赚了7万美元。", False),
        ("\\frac43", "The horizontal asymptote is y = ⁴⁄₃.", True),  # a superscript over a subscript
        ("\\frac{20000}{\\pi}", "Answer: 20000/π square meters", True),  # π is the value's, not a word
        ("20000", "Answer: 20000/π square meters", False),
        ("7.5e7", "The age is $\\boxed{75 \\text{ million years}}$.", True),  # a multiplier, then a unit
        ("75", "The age is $\\boxed{75 \\text{ million years}}$.", False),
    ]) == []


def test_the_answer_field_of_a_json_object_is_the_answer():
    assert disagreements([
        ("9", "Janet sells 9 eggs, making $18.\n\n```json\n{\"answer\": 9, \"revenue\": 18}\n```", True),
        ("18", "Janet sells 9 eggs, making $18.\n\n```json\n{\"answer\": 9, \"revenue\": 18}\n```", False),
        ("16", "```json\n{\"eggs_left\": 9, \"check\": 18, \"final_answer\": 16}\n```", True),
        ("\\frac{1}{2}", "```json\n{\"answer\": \"\\\\frac{1}{2}\"}\n```", True),
    ]) == []


def test_a_unit_or_remark_in_another_script_after_the_value_is_not_part_of_it():
    assert disagreements([
        ("18", "所以答案是 $\\boxed{18\\text{ 美元}}$。", True),
        ("10", "**Ответ:** 10 миль/ч", True),
        ("41.8", "答案：41.8 度", True),
        ("0.49", "Answer: 0.49″", True),  # arcseconds
        ("18", "答案：18（如果她也卖掉早餐吃的那 3 个蛋，则是 24）", True),
        ("3, 5, 7", "答案：x = 3、5、7", True),  # the ideographic comma lists
        ("3", "答案：x = 3、5、7", False),
        ("2\\pi", "答案：$2\\pi$", True),  # Greek is math, not another script's word
    ]) == []


def test_a_quantity_in_two_units_is_one_value_in_the_smaller():
    minutes, hours = "How many minutes will it take for the fog bank to cover the whole city?", "How many hours did it take?"
    assert disagreements_in_questions([
        (minutes, "140", "The fog covers the city in 2 hours and 20 minutes.", True),
        (minutes, "140", "The answer is 2 hours 20 minutes.", True),
        (minutes, "20", "The answer is 2 hours and 20 minutes.", False),
        (hours, "2.5", "The answer is 2 hours and 30 minutes.", True),  # 150 minutes, in the hours asked
        ("How tall is he in inches?", "63", "He is 5 feet 3 inches tall.", True),
    ]) == []


def test_a_closing_parenthesis_of_working_after_i_e_is_a_remark():
    assert disagreements([
        ("1430", "He pays $1,430 in total (i.e. $1,300 + $130).", True),  # `i.e.` does not end the sentence
        ("130", "He pays $1,430 in total (i.e. $1,300 + $130).", False),
        ("1430", "Total: $1,430 (e.g., $1,300 + $130)", True),
    ]) == []
