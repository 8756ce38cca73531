"""One named regression test per grading defect found on review (issue 8, defects 1-7)."""

from __future__ import annotations


import pytest

from evalkit.grading import Grader, GradingPolicy, cluster, equivalent, grade, grade_groups


def _verdicts(pairs: list[tuple[str, str, bool]], policy: GradingPolicy | None = None) -> list[tuple]:
    results = grade([answer for _, answer, _ in pairs], [reference for reference, _, _ in pairs], workers=2,
                    policy=policy)
    return [(reference, answer, expected, result.correct, result.rule)
            for (reference, answer, expected), result in zip(pairs, results) if result.correct != expected]


def test_defect_1_spaces_never_turn_a_list_into_a_decimal_or_a_number():
    # Real MATH references `0,1` and `0,4` are lists (test/intermediate_algebra/1181, 1385, ...).
    wrong = _verdicts([
        ("0,1", "1, 0", True), ("0,1", "0, 1", True), ("0,1", "\\frac{1}{10}", False), ("0,1", "0.1", False),
        ("0,4", "0.4", False), ("0,4", "4, 0", True),
        ("30^\\circ, 150^\\circ", "30, 150", True), ("30^\\circ, 150^\\circ", "30150", False),
        ("2, 300", "2300", False), ("2, 300", "300, 2", True), ("1,000", "1000", True), ("7,425,000", "7425000", True),
    ])
    assert not wrong, wrong


def test_defect_1_decimal_comma_only_when_the_task_opts_in():
    continental = GradingPolicy(decimal_comma=True)
    assert not _verdicts([("3.14", "3,14", True), ("0.5", "0,5", True), ("0, 1", "0.1", False)], continental)
    assert not _verdicts([("3.14", "3,14", False), ("0.5", "0,5", False)])


def test_defect_2_font_commands_and_units():
    wrong = _verdicts([
        ("3", "1+2\\mathrm{i}", False), ("1+2i", "1+2\\mathrm{i}", True),
        ("2", "2\\mathrm{e}", False), ("2e", "2\\mathrm{e}", True),
        ("4+3i", "3\\mathbf{i}+4\\mathbf{j}", False),
        ("9\\text{ a.m.}", "9\\text{ p.m.}", False), ("9\\text{ a.m.}", "9 a.m.", True),
        ("2", "2\\text{ thousand}", False), ("2000", "2\\text{ thousand}", True),
        ("99\\pi", "99\\pi\\text{ square inches}", True), ("2{,}500{,}000", "\\$2.5\\text{ million}", True),
        ("\\frac12", "\\cos 60^\\circ", True), ("60", "\\cos 60^\\circ", False),
        ("575", "575\\text{ students}", True), ("5", "5\\text{ apples and oranges}", False),
    ])
    assert not wrong, wrong


def test_defect_3_percent_is_an_attribute_and_clusters_never_mix_right_and_wrong():
    [group] = grade_groups([["\\boxed{50\\%}", "\\boxed{50}", "\\boxed{0.5}"]], ["0.5"], workers=1)
    assert group.correct == [True, False, True]
    assert group.clusters[1] not in (group.clusters[0], group.clusters[2])
    [group] = grade_groups([["\\boxed{0.33}", "\\boxed{\\frac{33}{100}}", "\\boxed{\\frac13}"]], ["\\frac13"], workers=1)
    assert group.correct == [False, False, True]
    assert group.clusters[0] == group.clusters[1] != group.clusters[2]
    [group] = grade_groups([["\\boxed{|x|}", "\\boxed{x}"]], ["|x|"], workers=1)
    assert group.correct == [True, False] and group.clusters == [0, 1]
    assert cluster(["50\\%", "50", "0.5", "\\frac12"]) == [0, 1, 2, 2]


def test_defect_4_no_absolute_tolerances_and_no_positive_only_test_points():
    wrong = _verdicts([
        ("\\frac{\\sqrt2}{2004!}", "\\frac{\\sqrt2}{2006!}", False), ("e^{-100}", "e^{-101}", False),
        ("|x|", "x", False), ("\\sqrt{x^2}", "x", False), ("\\sqrt{x^2}", "|x|", True),
        ("\\frac{x}{10^{20}}", "0", False), ("e^{-100}", "\\frac{1}{e^{100}}", True),
    ])
    assert not wrong, wrong


def test_defect_5_a_rounded_decimal_is_not_an_exact_value():
    wrong = _verdicts([
        ("4\\pi", "12.57", False), ("\\pi", "3.1", False), ("\\frac{22}{7}", "3.14", False),
        ("50\\sqrt3", "86.6", False), ("\\frac{2}{3}", "0.667", False), ("\\frac{17}{50}", "0.34", True),
        # a decimal reference asks for its precision
        ("0.67", "\\frac23", True), ("0.67", "0.667", True), ("0.67", "0.7", False), ("0.67", "0.66", False),
    ])
    assert not wrong, wrong


def test_defect_5_relative_tolerance_only_when_the_task_opts_in():
    tolerant = GradingPolicy(relative_tolerance=0.01)
    assert not _verdicts([("7.2\\times10^{-4}", "7.25\\times10^{-4}", True), ("3000", "3020", True),
                          ("3000", "3100", False)], tolerant)
    assert not _verdicts([("3000", "3020", False)])


def test_defect_6_times_of_day_are_not_ratios():
    wrong = _verdicts([
        ("\\frac13", "1:03", False), ("1:03", "\\frac13", False), ("\\text{4:30 PM}", "4:30", True),
        ("\\text{4:30 p.m.}", "4:30 PM", True), ("\\text{4:30 p.m.}", "4:30 a.m.", False),
        ("16:30", "4:30 PM", True), ("16:30", "4:30 AM", False), ("12:00", "1:00", False), ("1:3", "\\frac13", True),
    ])
    assert not wrong, wrong


def test_defect_7_the_time_limit_is_per_answer_and_clusters_do_not_depend_on_load():
    hostile = "\\boxed{9^{9^{9^{9}}}}"
    group = ["\\boxed{\\sqrt{4}}", hostile, "\\boxed{2}", "\\boxed{\\frac{4}{2}}", "\\boxed{\\sqrt{9}}"]
    with Grader(workers=1, timeout=1.0) as grader:
        [slow] = grader.grade_groups([group], ["2"])
    with Grader(workers=2, timeout=20.0) as grader:
        [calm] = grader.grade_groups([[g for g in group if g != hostile]], ["2"])
    assert slow.reasons[1] == "timeout" and not slow.correct[1]
    others = [i for i in range(len(group)) if group[i] != hostile]
    assert [slow.correct[i] for i in others] == calm.correct == [True, True, True, False]
    assert slow.clusters[0] == slow.clusters[2] == slow.clusters[3] != slow.clusters[4]


@pytest.mark.timeout(120)
def test_defect_7_a_hostile_reference_identical_to_the_answer_matches():
    hostile = "9^{9^{9^{9}}}"
    verdicts = grade([f"\\boxed{{{hostile}}}", "\\boxed{3}"], [hostile, hostile], workers=1, timeout=1.0)
    assert verdicts[0].correct and verdicts[0].reason == "ok"
    assert not verdicts[1].correct


def test_explain_names_the_answer_values_and_rule():
    from evalkit.grading import explain

    verdict = explain("0.67", "So the answer is $\\boxed{\\frac{2}{3}}$.")
    text = verdict.explain()
    assert verdict.correct and "precision" in verdict.rule
    assert "\\frac{2}{3}" in text and "found by: boxed" in text and "2/3" in text and "67/100" in text
    assert not equivalent("0.67", "0.7")


def test_a_lone_surrogate_in_a_long_output_does_not_cost_its_answer():
    response = "Thinking \ud83d about it... " * 50 + "So the answer is $\\boxed{7}$."
    [verdict] = grade([response], ["7"], workers=1)
    assert verdict.correct and verdict.answer == "7"
    [group] = grade_groups([[response, "\\boxed{8}\udfff"]], ["7"], workers=1)
    assert group.correct == [True, False] and group.answers == ["7", "8"]


def test_notations_with_a_standard_spelling():
    wrong = _verdicts([
        ("136", "\\boxed{17 \\choose 2}", True), ("136", "\\boxed{{17 \\choose 2}}", True),
        ("136", "\\boxed{{17 \\choose 3}}", False),
        # the combination notations of other textbooks: C with a subscript and a superscript
        ("\\binom{2n}{n}", "\\boxed{C_{2n}^{n}}", True), ("\\binom{2n}{n}", "\\boxed{C^{n}_{2n}}", True),
        ("\\binom{2n}{n}", "\\boxed{\\mathrm{C}_{2n}^n}", True), ("120", "\\boxed{{}^{10}C_{3}}", True),
        ("\\frac{1}{n+1}\\binom{2n}{n}", "\\boxed{\\frac{C_{2n}^{n}}{n+1}}", True),
        ("\\binom{2n}{n}", "\\boxed{C_{2n}^{n+1}}", False), ("120", "\\boxed{C_{10}^{4}}", False),
        ("C_{n}^{2}", "\\boxed{\\binom{n}{2}}", True),
        ("(1,2)", "\\boxed{\\langle 1,2\\rangle}", True), ("(1,2)", "\\boxed{\\left\\langle 1, 2 \\right\\rangle}", True),
        ("(2,1)", "\\boxed{\\langle 1,2\\rangle}", False),
        ("33", "\\boxed{33 \\pmod{1000}}", True), ("33", "\\boxed{33 \\pmod {1000}}", True),
        ("3", "\\boxed{3 \\pmod 7}", True), ("3", "\\boxed{3 \\ (\\bmod 7)}", True), ("4", "\\boxed{3 \\pmod 7}", False),
        # a congruence is a class of numbers: compared as written, modulus and all
        ("n \\equiv 1 \\pmod{3}", "\\boxed{n \\equiv 1 \\pmod 3}", True),
        ("n \\equiv 1 \\pmod{3}", "\\boxed{n \\equiv 1 \\pmod 4}", False), ("n \\equiv 1 \\pmod{3}", "\\boxed{1}", False),
        # AMC: a choice label before the value
        ("27", "Thus the answer is $\\boxed{\\textbf{(B)}\\ 27}$.", True),
        ("27", "$\\boxed{\\textbf{(B) } 27}$", True), ("27", "$\\boxed{(B)\\ 27}$", True),
        ("27", "$\\boxed{\\textbf{(B)}\\ 28}$", False), ("B", "$\\boxed{\\textbf{(B)}}$", True),
        # repeating decimals written with an ellipsis
        ("\\frac13", "\\boxed{0.333\\ldots}", True), ("\\frac16", "\\boxed{0.1666\\dots}", True),
        ("\\frac17", "\\boxed{0.142857142857...}", True), ("\\frac13", "\\boxed{0.3\\ldots}", False),
        ("\\pi", "\\boxed{3.14159\\ldots}", False), ("\\frac23", "\\boxed{0.333\\ldots}", False),
    ])
    assert not wrong, wrong


def test_inequalities_joined_by_or_are_a_union_and_by_and_an_interval():
    union = "(-\\infty, 2) \\cup (3, \\infty)"
    wrong = _verdicts([
        (union, "\\boxed{x < 2 \\text{ or } x > 3}", True), (union, "\\boxed{x<2 \\quad\\text{or}\\quad x>3}", True),
        (union, "\\boxed{x < 2, x > 3}", True), (union, "\\boxed{x > 3 \\text{ or } x < 2}", True),
        (union, "\\boxed{x \\le 2 \\text{ or } x > 3}", False), (union, "\\boxed{x < 2 \\text{ and } x > 3}", False),
        ("(-\\infty,2]\\cup[3,\\infty)", "\\boxed{x\\le 2 \\text{ or } x \\ge 3}", True),
        ("(-\\infty,-1)\\cup(0,1)", "\\boxed{x<-1 \\text{ or } 0<x<1}", True),
        ("[2,3]", "\\boxed{x\\ge2 \\text{ and } x\\le 3}", True), ("[2,3]", "\\boxed{x \\ge 2 \\text{ or } x \\le 3}", False),
        ("(-\\infty,\\sqrt2)", "\\boxed{x < \\sqrt{2}}", True),
        ("(-\\infty, \\frac12)\\cup(2,\\infty)", "\\boxed{x<\\frac{1}{2} \\text{ or } x>2}", True),
        # two variables are two statements, not a set of one variable
        ("(-\\infty,2)\\cup(3,\\infty)", "\\boxed{x < 2, y > 3}", False),
    ])
    assert not wrong, wrong


def test_boxes_on_display_lines_joined_by_a_word_are_one_list_answer():
    wrong = _verdicts([
        ("-2, 1", "The solutions are\n\\[\\boxed{-2}\\]\nand\n\\[\\boxed{1}\\]", True),
        ("-2, 1", "$\\boxed{-2}$,\n$\\boxed{1}$", True),
        # without a joining word an earlier box is intermediate: the last box is the answer
        ("1", "We get \\[\\boxed{-2}\\]\nSo\n\\[\\boxed{1}\\]", True),
        ("1", "First part: $\\boxed{-2}$\n\nSecond part: $\\boxed{1}$", True),
    ])
    assert not wrong, wrong
