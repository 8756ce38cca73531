"""Properties of clustering over generated answer sets: a cluster never holds a right and a wrong
answer, and the partition does not depend on the order of the samples."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.grading import Grader


def _spellings(value: Fraction) -> list[str]:
    """Ways real answers write one rational value (some marked as a percentage)."""
    forms = [f"\\frac{{{value.numerator}}}{{{value.denominator}}}", f"{value.numerator}/{value.denominator}"]
    if value.denominator == 1:
        forms += [str(value.numerator), f"{value.numerator}.0", f"x = {value.numerator}"]
    scaled = value * 100
    if scaled.denominator == 1:
        forms.append(f"{scaled.numerator}\\%")
    for places in (1, 2, 3):
        rounded = round(value * 10**places) / Fraction(10**places)
        forms.append(f"{float(rounded):.{places}f}")
    return forms


_VALUES = [Fraction(1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(50), Fraction(1, 4), Fraction(3, 2), Fraction(5)]
_SYMBOLIC = ["\\sqrt{2}", "\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", "2\\sqrt{2}", "\\sqrt{8}", "\\pi",
             "\\frac{\\pi}{2}", "1.57", "(1, 2)", "(2, 1)", "1, 2", "2, 1", "\\{1, 2\\}", "[1, 2)", "(1, 2]",
             "|x|", "x", "\\sqrt{x^2}", "x^2-1", "(x-1)(x+1)", "9\\text{ a.m.}", "9", "9:00 pm", "4:30", "1:03"]
_POOL = sorted({form for value in _VALUES for form in _spellings(value)} | set(_SYMBOLIC))
_REFERENCES = ["\\frac12", "0.5", "50\\%", "\\frac13", "0.33", "5", "\\frac{\\sqrt2}{2}", "(1,2)", "1, 2",
               "x^2-1", "|x|", "9\\text{ a.m.}", "1.57", "\\frac{\\pi}{2}"]


@pytest.fixture(scope="module")
def grader():
    with Grader(workers=2, timeout=10.0) as shared:
        yield shared


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.lists(st.sampled_from(_POOL), min_size=2, max_size=12), reference=st.sampled_from(_REFERENCES),
       seed=st.randoms(use_true_random=False))
def test_a_cluster_never_mixes_right_and_wrong_and_order_does_not_matter(grader, answers, reference, seed):
    responses = [f"The answer is $\\boxed{{{answer}}}$." for answer in answers]
    [graded] = grader.grade_groups([responses], [reference])
    verdict_of_cluster: dict[int, bool] = {}
    for label, correct in zip(graded.clusters, graded.correct):
        assert verdict_of_cluster.setdefault(label, correct) == correct, (reference, answers, graded)
    order = list(range(len(responses)))
    seed.shuffle(order)
    [shuffled] = grader.grade_groups([[responses[i] for i in order]], [reference])
    back = [None] * len(order)
    for position, original in enumerate(order):
        back[original] = (shuffled.clusters[position], shuffled.correct[position])
    assert [c for _, c in back] == graded.correct
    same = {(a, b) for a in range(len(order)) for b in range(len(order)) if graded.clusters[a] == graded.clusters[b]}
    assert same == {(a, b) for a in range(len(order)) for b in range(len(order)) if back[a][0] == back[b][0]}
