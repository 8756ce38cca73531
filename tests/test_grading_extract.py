"""Answer extraction: formats of the field, hostile input, and linear time on megabytes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from evalkit.grading.extract import extract_answer, last_boxed

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("nested_braces", r"Thus the ratio is $\boxed{\frac{1}{\sqrt{2}}}$.", r"\frac{1}{\sqrt{2}}"),
        ("last_box_wins", "First \\boxed{3}.\nOn reflection, \\boxed{4}.", "4"),
        ("fbox", r"so \fbox{7} it is", "7"),
        ("boxed_space_form", r"The result is $\boxed 5$.", "5"),
        ("several_boxes_final_line", "Earlier \\boxed{9}.\nThe roots are \\boxed{2}, \\boxed{3}.", "2, 3"),
        ("several_boxes_with_and", r"So $x$ is $\boxed{-2}$ and $\boxed{1}$.", "-2, 1"),
        ("restated_box_is_not_a_list", r"$d = \boxed{\frac{25}{13}} = \boxed{1\frac{12}{13}}$", r"1\frac{12}{13}"),
        ("box_wrapping_a_box", r"$\boxed{\boxed{12}}$", "12"),
        ("escaped_braces_in_box", r"\boxed{\{1, 2\}}", r"\{1, 2\}"),
        ("gsm8k_marker", "She pays 1,000 + 234.\n#### 1,234", "1,234"),
        ("markdown_heading_is_not_gsm8k", "#### Step 1\nAdd them up.", None),
        ("answer_is_math", r"Adding up, the answer is $\frac{3}{4}$.", r"\frac{3}{4}"),
        ("answer_is_decimal", "So the answer is 3.5.\nDone", "3.5"),
        ("answer_is_case_insensitive", "THE ANSWER IS 12", "12"),
        ("minerva", "Final Answer: The final answer is $5$. I hope it is correct.", "5"),
        ("final_answer_colon", "Work...\nFinal Answer: 12\n", "12"),
        ("math_span_at_end", "Solving, we get $x=3$", "x=3"),
        ("display_math_at_end", "Therefore\n\\[\\frac{\\pi}{2}\\]\n", r"\frac{\pi}{2}"),
        ("bare_number_has_no_marker", "42", None),
        ("bare_latex_has_no_marker", r"\frac{1}{2}", None),
        ("unclosed_brace", r"\boxed{1", None),
        ("unclosed_last_box_falls_back", r"\boxed{1} then \boxed{2", "1"),
        ("lone_backslash", "\\", None),
        ("nul_bytes", "\\boxed{1}\x00", None),
        ("lone_surrogate", "\ud800", None),
        ("lone_surrogate_with_box", "\\boxed{2}\udfff", None),
        ("empty", "", None),
        ("whitespace_only", "   \n", None),
    ],
)
def test_extract_auto(name: str, text: str, expected: str | None) -> None:
    assert extract_answer(text) == expected, name


@pytest.mark.parametrize("value", [None, 42, b"\\boxed{1}", ["\\boxed{1}"]])
def test_extract_non_string_gives_none(value: object) -> None:
    assert extract_answer(value) is None  # type: ignore[arg-type]
    assert last_boxed(value) is None  # type: ignore[arg-type]


def test_boxed_style_ignores_other_markers() -> None:
    assert extract_answer("The answer is 5.", "boxed") is None
    assert extract_answer("#### 5", "boxed") is None
    assert extract_answer(r"The answer is 5. \boxed{6}", "boxed") == "6"


def test_gsm8k_style_order_and_fallback() -> None:
    assert extract_answer("The answer is 7.\n#### 8", "gsm8k") == "8"
    assert extract_answer("So the answer is 7.", "gsm8k") == "7"
    assert extract_answer("He had 3 apples, then -1,000 more.", "gsm8k") == "-1,000"
    assert extract_answer("5-3 leaves 2", "gsm8k") == "2"
    assert extract_answer("He had 3 apples.", "gsm8k", last_number_fallback=False) is None
    assert extract_answer("no numbers here", "gsm8k") is None


def test_unknown_style_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="auto, boxed, gsm8k"):
        extract_answer(r"\boxed{1}", "latex")


def test_last_boxed_takes_the_last_box_only() -> None:
    assert last_boxed(r"$\boxed{2}$ and $\boxed{3}$") == "3"
    assert last_boxed(r"\boxed{\left( 3, \frac{\pi}{2} \right)}") == r"\left( 3, \frac{\pi}{2} \right)"
    assert last_boxed("no box") is None


def test_one_megabyte_response_is_fast() -> None:
    text = ("We expand the product {(x+1)(x-1)} and simplify $x^2-1$. " * 18_000) + r"So $\boxed{42}$."
    assert len(text) > 1_000_000
    started = time.perf_counter()
    assert extract_answer(text) == "42"
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "hostile",
    [
        "{" * 1_000_000,
        "\\boxed{" * 150_000,
        "\\boxed{1}" * 110_000,
        "\\" * 1_000_000,
        "$" * 1_000_000,
        "the answer is " * 75_000,
        "#### " * 200_000,
        "1," * 500_000,
        "\\boxed{" * 100_000 + "}" * 100_000,
    ],
    ids=["braces", "unclosed_boxes", "closed_boxes", "backslashes", "dollars", "answer_is", "hashes",
         "digits", "deep_nesting"],
)
def test_hostile_megabyte_is_bounded(hostile: str) -> None:
    started = time.perf_counter()
    for style in ("auto", "gsm8k"):
        result = extract_answer(hostile, style)
        assert result is None or isinstance(result, str)
    assert time.perf_counter() - started < 2.0


@pytest.mark.skipif(not (DATA_DIR / "math" / "math500.jsonl").exists(), reason="shared data not present")
def test_math500_reference_answers_are_the_last_box() -> None:
    rows = [json.loads(line) for line in (DATA_DIR / "math" / "math500.jsonl").read_text().splitlines()]
    mismatches = [row["unique_id"] for row in rows if last_boxed(row["solution"]) != row["answer"]]
    assert mismatches == []


@pytest.mark.skipif(not (DATA_DIR / "gsm8k" / "test.jsonl").exists(), reason="shared data not present")
def test_gsm8k_reference_answers_are_found() -> None:
    rows = [json.loads(line) for line in (DATA_DIR / "gsm8k" / "test.jsonl").read_text().splitlines()]
    for row in rows:
        expected = row["answer"].rsplit("####", 1)[1].strip()
        assert extract_answer(row["answer"], "gsm8k") == expected
        assert extract_answer(row["answer"]) == expected


def test_box_cut_off_by_the_token_limit_after_a_marker_is_no_answer():
    assert extract_answer("So the answer is $\\boxed{5") is None
    assert extract_answer("The answer is $\\boxed{") is None
    assert extract_answer("We get \\boxed{3}. The answer is \\boxed{") == "3"
