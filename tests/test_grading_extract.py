"""Answer extraction: the formats real models write, reasoning models, hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.grading.extract import extract_answer, find_answer, last_boxed

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize(
    ("name", "text", "expected", "method"),
    [
        # a sentence in a script written without spaces: `答案是` ("the answer is") marks its value
        ("unspaced_script_sentence", "所以答案是8。", "8", "marker"),
        # boxes
        ("nested_braces", r"Thus the ratio is $\boxed{\frac{1}{\sqrt{2}}}$.", r"\frac{1}{\sqrt{2}}", "boxed"),
        ("last_box_wins", "First \\boxed{3}.\nOn reflection, \\boxed{4}.", "4", "boxed"),
        ("intermediate_box_then_final", r"$x=\boxed{2}$ so the area is $\boxed{4}$.", "4", "boxed"),
        ("fbox", r"so \fbox{7} it is", "7", "boxed"),
        ("boxed_space_form", r"The result is $\boxed 5$.", "5", "boxed"),
        ("several_boxes_final_line", "Earlier \\boxed{9}.\nThe roots are \\boxed{2}, \\boxed{3}.", "2, 3", "boxed"),
        ("several_boxes_with_and", r"So $x$ is $\boxed{-2}$ and $\boxed{1}$.", "-2, 1", "boxed"),
        ("boxes_with_a_short_phrase", r"\boxed{1} papers and \boxed{2} bins", "1, 2", "boxed"),
        ("boxes_with_labels", r"\( y_1 = \boxed{2x} \) and \( y_2 = \boxed{3x} \)", "2x, 3x", "boxed"),
        ("restated_box_is_not_a_list", r"$d = \boxed{\frac{25}{13}} = \boxed{1\frac{12}{13}}$", r"1\frac{12}{13}",
         "boxed"),
        ("box_wrapping_a_box", r"$\boxed{\boxed{12}}$", "12", "boxed"),
        ("escaped_braces_in_box", r"\boxed{\{1, 2\}}", r"\{1, 2\}", "boxed"),
        ("unclosed_last_box_falls_back", r"\boxed{1} then \boxed{2", "1", "boxed"),
        # answer lines and markers
        ("mixed_number_after_marker", "So the answer is 2 1/2 cups.", "2 1/2 cups", "marker"),
        ("word_after_bold_label", "Compare speeds.\n\n**Final Answer:** Evelyn", "Evelyn", "final_answer"),
        ("word_on_the_line_after_a_bold_label", "Compare.\n\n**Final Answer**\nEvelyn", "Evelyn", "final_answer"),
        ("word_after_answer_is", "Compare speeds.\n\nThe answer is Evelyn.", "Evelyn", "marker"),
        ("bold_word_after_answer_is", "The answer is \\textbf{east}.", "east", "marker"),
        ("word_after_answer_line", "Work.\nAnswer: odd", "odd", "answer_line"),
        ("prose_after_answer_is_is_no_answer", "The answer is clear.", None, None),
        ("a_bold_label_alone_is_no_answer", "Some work.\n\n**Final Answer:**", None, None),
        ("gsm8k_marker", "She pays 1,000 + 234.\n#### 1,234", "1,234", "gsm8k_marker"),
        ("answer_line_A", "She makes 9 * 2 = $<<9*2=18>>18 every day.\nA: 18", "18", "answer_line"),
        ("answer_line_Answer", "Work.\nAnswer: \\frac{3}{4}", r"\frac{3}{4}", "answer_line"),
        ("answer_is_colon", "The answer is: $\\frac{1}{2}$", r"\frac{1}{2}", "marker"),
        ("answer_is_math", r"Adding up, the answer is $\frac{3}{4}$.", r"\frac{3}{4}", "marker"),
        ("answer_is_decimal", "So the answer is 3.5.\nDone", "3.5", "marker"),
        ("answer_is_case_insensitive", "THE ANSWER IS 12", "12", "marker"),
        ("answer_is_with_reason", "The answer is $5$ because the sum is $10$.", "5", "marker"),
        ("answer_is_therefore", "The answer is therefore $5$.", "5", "marker"),
        ("answers_are_list", "The answers are $2$ and $3$.", "2, 3", "marker"),
        ("answer_is_choice", "The answer is (B).", "B", "marker"),
        ("answer_is_choice_with_value", "The answer is (B) 17.", "(B) 17", "marker"),
        ("answer_is_vulgar_fraction", "The answer is ¾.", "¾", "marker"),
        ("answer_is_choice_with_math", "The answer is (C) $\\frac{1}{2}$.", "(C) \\frac{1}{2}", "marker"),
        ("answer_is_choice_then_prose", "The answer is (B) because 3 > 2.", "(B)", "marker"),
        ("answer_then_display_math", "Answer \\[ 9 \\]", "9", "marker"),
        ("plain_expression_after_answer_line", "Answer: 2x + 1", "2x + 1", "answer_line"),
        ("unicode_root_after_bold_answer_line", "**Answer:** √2", "√2", "answer_line"),
        ("unicode_pi_after_marker", "The answer is 6π.", "6π", "marker"),
        ("plain_list_after_answer_line", "Answer: 3, -4", "3, -4", "answer_line"),
        ("plain_functions_after_marker", "The answer is sqrt(3)/2.", "sqrt(3)/2", "marker"),
        ("multiplier_after_answer_line", "Answer: 1.5 million", "1.5 million", "answer_line"),
        ("value_then_its_choice_letter", "Answer: 42 (B)", "42", "answer_line"),
        ("bare_plain_functions", "sqrt(2)/2", "sqrt(2)/2", "bare"),
        ("prm800k_answer_heading", "So it is 3/4.\n\n# Answer\n\n\\frac{3}{4}", "\\frac{3}{4}", "answer_line"),
        ("final_answer_heading", "Work.\n\n### Final Answer\n(1, -2)", "(1, -2)", "final_answer"),
        ("answer_heading_over_a_worked_solution", "**Answer**\n\nNote 3 + 4 = 7 here.\nThus we get 9.", "9",
         "final_sentence"),
        ("minerva", "Final Answer: The final answer is $5$. I hope it is correct.", "5", "minerva"),
        ("minerva_math_then_unit", "Final Answer: The final answer is $6.6 \\times 10^{-34}$ J s. I hope it is correct.",
         "6.6 \\times 10^{-34}\\text{ J s}", "minerva"),
        ("minerva_beats_earlier_boxes", r"$\boxed{200}$ then $\boxed{255}$. Final Answer: The final answer is "
         r"$10,455$. I hope it is correct.", "10,455", "minerva"),
        ("final_answer_colon", "Work...\nFinal Answer: 12\n", "12", "final_answer"),
        ("final_answer_sentence", "Final Answer: The largest $n$ is 34.", "34", "final_answer"),
        ("final_answer_words", "Final Answer: Jane started growing Sphere 3 hours ago.", "3", "final_answer"),
        ("final_answer_beats_a_check", "Therefore $\\boxed{44}$.\nWe may check our answer: $17 \\cdot 44 = 748$.",
         "44", "boxed"),
        ("bold", "So in total she pays **73**", "73", "bold"),
        # fallbacks
        ("final_sentence_relation", "Therefore $x \\geq 5$ is the solution.", "x \\geq 5", "final_sentence"),
        ("final_sentence_ascii_relation", "Thus $x <= 2$ is our answer.", "x <= 2", "final_sentence"),
        ("final_sentence_is_value", "So, the ordered pair $(x, y)$ that solves it is $(7, 6)$.", "(7, 6)",
         "final_sentence"),
        ("chat_turn_after_answer", "So the probability is 2/3. <|im_start|>user\nWhat is 5?", "2/3", "final_sentence"),
        ("last_value_mentioned", "we get $$\\frac{a}{b} \\geq 2.$$ So it increases by 100%.", "100%",
         "final_sentence"),
        ("bare_number", "42", "42", "bare"),
        ("bare_latex", r"\frac{1}{2}", r"\frac{1}{2}", "bare"),
        ("bare_time", "4:30 PM", "4:30 PM", "bare"),
        ("math_span_only", "$x=3$", "x=3", "bare"),
        # no answer
        ("markdown_heading_is_not_gsm8k", "#### Step 1\nAdd them up.", "1", "final_sentence"),
        ("unclosed_brace", r"\boxed{1", None, None),
        ("prose_without_value", "I do not know how to solve this problem at all.", None, None),
        ("lone_backslash", "\\", None, None),
        ("nul_only", "\x00", None, None),
        ("lone_surrogate", "\ud800", None, None),
        ("lone_surrogate_next_to_a_box", "\\boxed{2}\udfff", "2", "boxed"),
        ("nul_byte_next_to_a_box", "\x00\\boxed{1}\x00", "1", "boxed"),  # read as U+FFFD: one byte costs no answer
        ("empty", "", None, None),
        ("whitespace_only", "   \n", None, None),
    ],
)
def test_extract_auto(name: str, text: str, expected: str | None, method: str | None) -> None:
    found = find_answer(text)
    assert (found.answer, found.method) == (expected, method), name


def test_reasoning_model_answer_comes_after_the_final_think() -> None:
    thinking = "<think>Maybe \\boxed{3}? Let me recheck. The answer is 7.</think>"
    assert find_answer(thinking + "The answer is $\\boxed{4}$.").answer == "4"
    assert find_answer(thinking).answer is None  # nothing after the thinking
    assert find_answer("Let me think. The answer is 7.</think>\n\n**Answer: 8**").answer == "8"  # no opening tag


def test_unterminated_thinking_has_no_answer() -> None:
    found = find_answer("<think>So far $\\boxed{12}$, but wait, the answer is 13 and")
    assert found.answer is None and found.note == "unterminated <think>"


@pytest.mark.parametrize("value", [None, 42, b"\\boxed{1}", ["\\boxed{1}"]])
def test_extract_non_string_gives_none(value: object) -> None:
    assert extract_answer(value) is None
    assert last_boxed(value) is None  # type: ignore[arg-type]


def test_boxed_style_ignores_other_markers() -> None:
    assert extract_answer("The answer is 5.", "boxed") is None
    assert extract_answer("#### 5", "boxed") is None
    assert extract_answer(r"The answer is 5. \boxed{6}", "boxed") == "6"


def test_gsm8k_style_prefers_answer_lines_then_falls_back_to_the_last_number() -> None:
    assert extract_answer("The answer is 7.\n#### 8", "gsm8k") == "8"
    assert extract_answer("So the answer is 7.", "gsm8k") == "7"
    assert extract_answer("He had 3 apples, then -1,000 more.", "gsm8k") == "-1,000"
    assert extract_answer("5-3 leaves 2", "gsm8k") == "2"
    assert extract_answer("She walked 2 miles, then 3½ more.", "gsm8k") == "3½"  # a one-character fraction is a number
    assert extract_answer("no numbers here", "gsm8k") is None


def test_unknown_style_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="auto, boxed, gsm8k"):
        extract_answer(r"\boxed{1}", "latex")


def test_last_boxed_takes_the_last_box_only() -> None:
    assert last_boxed(r"$\boxed{2}$ and $\boxed{3}$") == "3"
    assert last_boxed(r"\boxed{\left( 3, \frac{\pi}{2} \right)}") == r"\left( 3, \frac{\pi}{2} \right)"
    assert last_boxed("no box") is None


def test_long_reasoning_output_keeps_its_final_box() -> None:
    text = ("<think>" + "We expand the product {(x+1)(x-1)} and simplify $x^2-1$. " * 18_000 + "</think>"
            + r"So $\boxed{42}$.")
    assert len(text) > 1_000_000
    assert extract_answer(text) == "42"


@pytest.mark.timeout(60)
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
        "A: " * 300_000,
        "**" * 500_000,
        "(a) $x$ \\boxed{1} " * 60_000 + "(b) \\boxed{2}",
        "(ii) $x$ " * 120_000 + "\\boxed{1} (iii) \\boxed{2}",
        "$-\\boxed{1}$ -" * 90_000,
    ],
    ids=["braces", "unclosed_boxes", "closed_boxes", "backslashes", "dollars", "answer_is", "hashes",
         "digits", "deep_nesting", "answer_lines", "bold_marks", "part_labels_and_boxes", "part_labels_in_math",
         "negated_boxes"],
)
def test_hostile_megabyte_gives_an_answer_or_none(hostile: str) -> None:
    for style in ("auto", "gsm8k"):
        result = extract_answer(hostile, style)
        assert result is None or isinstance(result, str)


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


def test_box_cut_off_by_the_token_limit_after_a_marker_is_no_answer() -> None:
    assert extract_answer("So the answer is $\\boxed{5") is None
    assert extract_answer("The answer is $\\boxed{") is None
    assert extract_answer("We get \\boxed{3}. The answer is \\boxed{") == "3"


@pytest.mark.parametrize(("text", "answer"), [
    ("The answer is 5 and 7.", "5, 7"), ("The answer is 2, 3 or 4", "2, 3, 4"),
    ("The answer is 1,000 and 2,000.", "1000, 2000"),
    ("The answer is 5 and 7 apples.", "5"), ("The answer is 12 and 3 more of them are red.", "12"),
])
def test_numbers_listed_after_a_marker_are_one_list(text: str, answer: str) -> None:
    assert find_answer(text, "auto").answer == answer


@pytest.mark.parametrize("text", ["I don't know", "I do not know.", "Unknown", "no idea", "N/A", "?", "I give up.",
                                  "<think>\nhmm\n</think>\nI cannot solve this problem."])
def test_a_response_saying_it_has_no_answer_abstains(text: str) -> None:
    assert find_answer(text, "auto").answer is None


@pytest.mark.parametrize(("text", "answer"), [("42", "42"), ("Monday", "Monday"), ("None", "None"), ("NA", "NA")])
def test_short_bare_answers_still_count(text: str, answer: str) -> None:
    assert find_answer(text, "auto").answer == answer


@pytest.mark.parametrize("text", [
    "**Answer:** \u22123", "Answer: \u22123", "A: \u22123", "The answer is \u22123.", "The final answer is \u22123",
    "So x = \u22123", "Therefore, the result is \u22123.", "we get \u22123", "#### \u22123", "Answer: \u20133",
    "The answer is \u22123 and \u22127.",
])
def test_a_unicode_minus_sign_in_prose_keeps_the_sign(text: str) -> None:
    from evalkit.grading import equivalent

    answer = find_answer(text, "auto").answer
    assert answer is not None and answer.lstrip("-\u2212\u2013") != answer, answer
    assert not equivalent("3", text)
