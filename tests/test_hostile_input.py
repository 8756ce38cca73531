"""Hostile and pathological input (from a review of it): a long question is read in linear time, a JSON integer
beyond Python's digit limit and a device given as a file are one clear line, and text that could act on a terminal
or a spreadsheet is shown inert."""

from __future__ import annotations

import time

import pytest

from evalkit.errors import InputError
from evalkit.grading.extract import find_answer
from evalkit.grading.measures import answer_measure, asked_measures, value_and_unit
from evalkit.grading.question import math_names
from evalkit.jsonl import read_jsonl
from evalkit.report.tables import write_csv
from evalkit.text_safety import for_csv, for_markdown, for_terminal


@pytest.mark.parametrize("question", ["0." * 20000, "1," * 20000, "\\(" * 20000, "\\[" * 20000])
def test_a_long_question_is_read_in_linear_time(question):
    start = time.perf_counter()
    asked_measures("42", question)
    math_names(question)
    # quadratic patterns took 2-10 s here; linear ones take milliseconds (a generous bound for a loaded machine)
    assert time.perf_counter() - start < 1.5


@pytest.mark.parametrize("answer", ["5 cm" + " " * 2000 + "x", " " * 20000 + "x", "\\$" + " " * 20000 + "x"])
def test_a_value_and_unit_padded_with_spaces_is_read_in_linear_time(answer):
    """Before: `_VALUE_THEN_UNIT` ended in `.*?\\s*\\.?\\s*$`: 30 s for a unit followed by 2000 spaces."""
    start = time.perf_counter()
    answer_measure(answer)
    value_and_unit(answer)
    assert time.perf_counter() - start < 1.5  # a generous bound for a loaded machine; it was 30 s


@pytest.mark.parametrize("response", [
    "The answer is 5." + "<|im_end|>" * 20000 + "assistant",  # end-of-turn tokens, a role name after them
    "```python\nx\n```\n```output\n" + " \n" * 40000 + "```",  # a run that printed blank lines
    "```python\nIn [1]: x\n" + "\n" * 40000 + "```",
])
def test_tool_turns_and_program_output_are_read_in_linear_time(response):
    """Before: 11 s (a tool turn looked for after each of 20,000 end-of-turn tokens) and 60 s (a traceback and a
    notebook's `Out[n]:` looked for from each of 40,000 blank lines)."""
    start = time.perf_counter()
    find_answer(response)
    assert time.perf_counter() - start < 1.5  # a generous bound for a loaded machine


def test_values_and_units_read_as_before_the_linear_pattern():
    assert value_and_unit("5 cm . ")[:2] == ("5", "cm")
    assert value_and_unit("3.21\\times10^{13}/cm^{3}")[:2] == ("3.21\\times10^{13}", "/cm^{3}")
    assert answer_measure("2\\frac{2}{3} \\text{ hours}") == answer_measure("8/3 hours.")
    assert answer_measure("\\$5.40") is not None and value_and_unit("\\$5.40") is None
    assert answer_measure("5.") is None


def test_the_readings_of_a_question_are_unchanged_by_the_linear_patterns():
    assert math_names("Let \\(x^2 + y\\) and \\[ a_b = \\frac{c}{d} \\] and $m$.") == frozenset("abcdmxy")
    assert asked_measures(None, "It takes him 18 minutes to walk 2 km. How long does it take?")


def test_a_json_integer_beyond_the_digit_limit_is_one_clear_line(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text('{"id": "n", "reference": "5", "x": ' + "9" * 5000 + "}\n")
    with pytest.raises(InputError, match=r"big\.jsonl:1: not valid JSON"):
        read_jsonl(path)


def test_a_line_cut_inside_a_string_is_placed_by_its_character(tmp_path):
    """Before: "Unterminated string starting at at character 2" (the decoder's message ends in "at")."""
    path = tmp_path / "cut.jsonl"
    path.write_text('{"id": "n"}\n{"id": "cut\n{"id": "m"}\n')
    with pytest.raises(InputError) as caught:
        read_jsonl(path)
    assert str(caught.value) == f"{path}:2: not valid JSON (Unterminated string starting at character 8)"


def test_a_device_given_as_a_file_is_refused():
    with pytest.raises(InputError, match="a device, not a file of JSON lines"):
        read_jsonl("/dev/zero")


def test_bidirectional_overrides_and_zero_width_characters_are_shown_as_escapes():
    for shown in (for_terminal("evil\u202eledom"), for_markdown("evil\u202eledom")):
        assert "\u202e" not in shown and "\\u202e" in shown
    assert "\u200b" not in for_terminal("a\u200bb")


def test_csv_cells_neither_run_a_formula_nor_move_the_terminal(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["model", "value"],
                     [['=HYPERLINK("http://x","y")', 0.5], ["red\x1b[31m", -0.25], ["-0.5", "+3"], ["@cmd", "fine"]])
    text = path.read_text()
    assert "\x1b" not in text and "'=HYPERLINK" in text and "'@cmd" in text
    assert "-0.25" in text and "'-0.5" not in text and "'+3" not in text  # numbers, and texts that are numbers, stay
    assert for_csv("-0.5") == "-0.5" and for_csv("+3") == "+3" and for_csv(-0.25) == -0.25


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_utf16_or_utf32_file_is_named_as_such_by_every_reader(tmp_path, encoding):
    """Before: `'utf-8' codec can't decode byte 0xff in position 0` for line 1, then a JSON error per line."""
    from evalkit.importer import file_kind, not_json_lines_error

    path = tmp_path / "wide.jsonl"
    path.write_text('{"id": "0", "response": "4", "reference": "4"}\n', encoding=encoding)
    with pytest.raises(InputError) as caught:
        read_jsonl(path)
    assert str(caught.value).startswith(f"{path}: a UTF-16 or UTF-32 file (it starts with that byte-order mark)")
    assert str(not_json_lines_error(path, file_kind(path))) == str(caught.value)


def test_a_directory_given_as_a_file_is_named_as_one(tmp_path):
    with pytest.raises(InputError, match="a directory, not a file of JSON lines"):
        read_jsonl(tmp_path)
