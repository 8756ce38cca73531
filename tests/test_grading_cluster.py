"""Clustering of equal answers: keys, SymPy merges, determinism, and `grade_groups`."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from evalkit.grading import GradingPolicy, GroupGrade, cluster, cluster_many, grade, grade_groups  # noqa: E402
from evalkit.grading.clustering import AnswerFacts, UnionFind, candidate_pairs, cluster_labels  # noqa: E402


def test_union_find_root_is_smallest_member():
    union = UnionFind(5)
    union.union(4, 2)
    union.union(3, 4)
    union.union(1, 0)
    assert [union.find(i) for i in range(5)] == [0, 0, 2, 2, 2]


def test_clusters_numbered_by_first_appearance_and_never_merge_right_with_wrong():
    facts = [AnswerFacts("a", True, "k1", ("f",), True), AnswerFacts("b", True, "k2", ("f",), True),
             AnswerFacts("c", True, "k1", ("f",), False), AnswerFacts("d", False, None, None, False)]
    assert candidate_pairs(facts) == [(0, 1)]  # same digest, same verdict; `c` has another verdict
    assert cluster_labels(facts, [(0, 1)], [3, None, 0, 1, 2, 3]) == [0, -1, 1, 1, 2, 0]
    assert cluster_labels(facts, [(0, 2)], [0, 2]) == [0, 1]  # a confirmed pair across verdicts stays apart


def test_numbers_cluster_by_exact_value_and_percent_mark():
    assert cluster(["1/2", "0.5", "\\frac{1}{2}", "\\frac12", "2", "50\\%", "0.50"]) == [0, 0, 0, 0, 1, 2, 0]


def test_sympy_merges_equal_expressions():
    answers = ["\\sqrt{8}", "3", "2\\sqrt{2}", "\\sqrt{9}", "x^2-1", "(x-1)(x+1)", "\\frac{\\pi}{2}", "\\pi/2"]
    assert cluster(answers) == [0, 1, 0, 1, 2, 2, 3, 3]


def test_answers_with_units_or_stated_in_an_equation_join_their_value():
    assert cluster(["5", "5\\text{ km/s}", "5 \\mathrm{~km} / \\mathrm{s}", "m+n=5", "6", "x+y=0", "0"]) == \
        [0, 0, 0, 0, 1, 2, 3]


def test_definitions_of_one_function_in_other_variables_join():
    # the variable of a definition is a placeholder; a definition using another letter in its value does not join
    assert cluster(["f(x) = 2x", "f(y) = 2y", "f(n)=2n", "f(y) = 2x", "f(x) = x^2", "f(t) = t^2", "2x", "2y"]) == \
        [0, 0, 0, 1, 2, 2, 0, 3]


def test_none_and_unparseable_answers():
    answers = [None, "abc}", "\\frac{", "\\frac{", "3", None, "abc}"]
    labels = cluster(answers)
    assert labels[0] == -1 and labels[5] == -1
    assert labels[2] == labels[3] and labels[1] == labels[6]
    assert len({labels[1], labels[2], labels[4]}) == 3  # unparseable never joins a parsed answer


def test_clustering_is_deterministic_and_order_independent_in_partition():
    answers = ["2, -2", "\\pm 2", "(1,2)", "(2,1)", "0.333", "\\frac13", "\\{1,2\\}", "\\{2,1\\}"]
    first = cluster(answers)
    assert first == cluster(answers)
    assert first == [0, 0, 1, 2, 3, 4, 5, 5]
    reversed_labels = cluster(list(reversed(answers)))[::-1]
    same_partition = {(a, b) for a in range(8) for b in range(8) if first[a] == first[b]}
    assert same_partition == {(a, b) for a in range(8) for b in range(8) if reversed_labels[a] == reversed_labels[b]}


def test_grade_groups_grades_and_clusters_whole_responses():
    group = [
        "So $x = \\boxed{\\dfrac{1}{2}}$.",
        "The answer is $0.5$.",
        "Hence \\boxed{\\sqrt{2}/2}.",
        "I give up.\nNo idea at all, sorry, this is long\nand has lines.",
        "\\boxed{\\frac{\\sqrt{2}}{2}}",
        "\\boxed{\\frac{}",
    ]
    [result] = grade_groups([group], ["\\frac{\\sqrt{2}}{2}"], workers=1)
    assert isinstance(result, GroupGrade)
    assert result.correct == [False, False, True, False, True, False]
    assert result.clusters == [0, 0, 1, -1, 1, -1]
    assert result.reasons == ["ok", "ok", "ok", "no_answer", "ok", "no_answer"]
    assert result.methods == ["boxed", "marker", "boxed", None, "boxed", None]
    assert result.answers[0] == "\\dfrac{1}{2}"


def test_grade_groups_agrees_with_grade_and_cluster_many():
    groups = [["\\boxed{3}", "\\boxed{\\sqrt{9}}", "\\boxed{4}"], ["\\boxed{1,000}", "\\boxed{1000}", "\\boxed{x}"]]
    references = ["3", "1000"]
    grades = grade_groups(groups, references, workers=2)
    verdicts = grade([r for g in groups for r in g], [references[i] for i, g in enumerate(groups) for _ in g], workers=2)
    assert [c for g in grades for c in g.correct] == [v.correct for v in verdicts] == [True, True, False, True, True, False]
    assert [g.clusters for g in grades] == cluster_many(groups, workers=2) == [[0, 0, 1], [0, 0, 1]]


def test_all_number_problems_need_no_worker(monkeypatch):
    import evalkit.grading.api as api

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started for numbers only")

    monkeypatch.setattr(api, "WorkerPool", no_pool)
    [result] = grade_groups([["\\boxed{12}", "#### 1,200", "The answer is 12.", "A: 12.0"]], ["12"])
    assert result.correct == [True, False, True, True] and result.clusters == [0, 1, 0, 0]


def test_a_response_cut_at_max_tokens_keeps_only_a_stated_answer():
    group = ["We have 3 apples and then 4", "so the answer is $\\boxed{7}$", "<think>maybe 7"]
    [result] = grade_groups([group], ["7"], finish_reasons=[["length", "length", "length"]], workers=1)
    assert result.answers == [None, "7", None] and result.correct == [False, True, False]
    [untruncated] = grade_groups([group], ["7"], workers=1)
    assert untruncated.answers[0] == "4"


def test_answers_that_equal_the_reference_are_one_cluster_and_rounded_ones_are_not():
    [group] = grade_groups([["So the rate is $\\boxed{60}$.", "$\\boxed{60\\%}$", "$\\boxed{70\\%}$", "$\\boxed{60}$"]],
                           ["60\\%"], questions=["What percentage of the class passed?"], workers=1)
    assert group.correct == [True, True, False, True] and group.clusters == [0, 0, 1, 0]
    [group] = grade_groups([["$\\boxed{y = 2x + 3}$", "$\\boxed{y - 2x = 3}$", "$\\boxed{y = 2x - 3}$"]],
                           ["y=2x+3"], workers=1)
    assert group.correct == [True, True, False] and group.clusters == [0, 0, 1]
    # right by a tolerance or by rounding only: different values, different clusters
    [group] = grade_groups([["$\\boxed{0.006}$", "$\\boxed{0.0061}$", "$\\boxed{0.0060}$"]], ["0.006"],
                           policy=GradingPolicy(relative_tolerance=0.05), workers=1)
    assert group.correct == [True, True, True] and group.clusters == [0, 1, 0]
