"""Formats found by a fifth look at answer equivalence (2026-12-04): answers stated in prose, and
definitions of functions. Each case is (reference, response, expected verdict); the near misses beside
each rule must stay wrong."""

from __future__ import annotations

from grading_cases import disagreements


def test_a_final_sentence_stating_a_functions_parity_answers_with_the_word():
    assert disagreements([
        ("\\text{odd}", "Therefore, $f$ is an odd function.", True),
        ("\\text{even}", "So the function is even.", True),
        ("\\text{even}", "Hence $g(x)$ is even, as $g(-x) = g(x)$.", True),
        ("\\text{neither}", "$f(x)$ is neither even nor odd.", True),
        ("\\text{odd}", "Thus $f$ is odd.", True),
        ("\\text{odd}", "Therefore, $f$ is an even function.", False),
        ("\\text{neither}", "So $f$ is odd.", False),
        # parity of a number is not the answer: the sentence's value is
        ("6", "So $n$ is even and there are $6$ ways.", True),
        ("2", "The number of odd functions is $2$.", True),
        # a parity given as a reason, or followed by the value it leads to (MATH test 4701, OlympiadBench 522)
        ("152", "And since the cosine function is even, $\\cos (-152^\\circ) = \\cos 152^\\circ,$ so $n = 152.$", True),
        ("\\frac{15}{2}", "Because $f(x)$ is odd, we conclude that $c=-d$, or $a+b=\\frac{15}{2}$.", True),
        ("5", "The function is even, so $f(3) = 5$.", True),
    ]) == []
