"""`evalkit grade`: output lines, summary, and clear errors on bad input before any grading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from evalkit.errors import InputError
from evalkit.grading.cli import grade_command, read_pairs

pytest.importorskip("evalkit.grading.api")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("grade")(grade_command)
    app.command("other")(lambda: None)  # two commands, so `grade` stays a named subcommand
    return app


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_grade_writes_one_line_per_pair_and_a_summary(tmp_path: Path) -> None:
    pairs = _write(tmp_path / "pairs.jsonl", [
        json.dumps({"id": "a", "reference": r"\frac{1}{2}", "answer": "0.5"}),
        json.dumps({"id": 7, "reference": "3", "response": r"So the answer is $\boxed{4}$."}),
        json.dumps({"reference": "x^2", "answer": r"x \cdot x"}),
        json.dumps({"reference": 12, "response": "Adding, we get 5 + 7.\n#### 12"}),
    ])
    result = CliRunner().invoke(_app(), ["grade", str(pairs), "--workers", "1", "--timeout", "10"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (tmp_path / "pairs.graded.jsonl").read_text().splitlines()]
    assert [line.get("id") for line in lines] == ["a", 7, None, None]
    assert "id" not in lines[2]
    assert [line["correct"] for line in lines] == [True, False, True, True]
    assert lines[1]["answer"] == "4"
    assert set(lines[0]) == {"id", "reference", "answer", "correct", "reason", "method"}
    assert "accuracy" in result.output and "75.00%" in result.output
    assert "reason: ok" in result.output


def test_a_finish_reason_says_a_response_was_cut_while_still_thinking(tmp_path: Path) -> None:
    doubted = r"So the answer is $\boxed{60}$? Let me verify this more carefully before"
    pairs = _write(tmp_path / "pairs.jsonl", [
        json.dumps({"reference": "60", "response": doubted, "finish_reason": "length"}),
        json.dumps({"reference": "60", "response": doubted, "finish_reason": "MAX_TOKENS"}),
        json.dumps({"reference": "60", "response": doubted, "finish_reason": "stop"}),
        json.dumps({"reference": "60", "response": doubted}),
    ])
    result = CliRunner().invoke(_app(), ["grade", str(pairs), "--workers", "0"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (tmp_path / "pairs.graded.jsonl").read_text().splitlines()]
    assert [line["correct"] for line in lines] == [False, False, True, True]


def test_references_that_cannot_be_read_as_math_are_named(tmp_path: Path) -> None:
    # a reference whose brackets do not balance: only the same string can be right, which the counts do not show
    pairs = _write(tmp_path / "pairs.jsonl", [
        json.dumps({"reference": "5", "response": r"$\boxed{5}$"}),
        json.dumps({"reference": "$(0,4]]$", "response": r"$\boxed{(0, 4]}$"}),
        json.dumps({"reference": "$(0,4]]$", "response": r"$\boxed{(0,4]]}$"}),
    ])
    result = CliRunner(env={"COLUMNS": "300"}).invoke(_app(), ["grade", str(pairs), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert ("note 2 references could not be read as math, so only an answer written as the same string is right "
            "there (lines 2, 3; --explain shows why)") in result.output
    lines = [json.loads(line) for line in (tmp_path / "pairs.graded.jsonl").read_text().splitlines()]
    assert [line["correct"] for line in lines] == [True, False, True]
    clean = _write(tmp_path / "clean.jsonl", [json.dumps({"reference": "5", "answer": "5"})])
    assert "could not be read" not in CliRunner().invoke(_app(), ["grade", str(clean), "--workers", "0"]).output


def test_grade_out_option(tmp_path: Path) -> None:
    pairs = _write(tmp_path / "p.jsonl", [json.dumps({"reference": "2", "answer": "2"})])
    out = tmp_path / "sub" / "graded.jsonl"
    result = CliRunner().invoke(_app(), ["grade", str(pairs), "--out", str(out), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["correct"] is True


@pytest.mark.parametrize(
    ("lines", "line", "field", "message"),
    [
        (['{"reference": "1", "answer": "1"}', "{not json"], 2, None, "not valid JSON"),
        (['{"answer": "1"}'], 1, "reference", "missing field"),
        (['{"reference": "1"}'], 1, "answer", "missing field"),
        (['{"reference": "1", "answer": "1"}', '{"reference": ["1"], "answer": "1"}'], 2, "reference",
         "expected a string"),
        (['{"reference": "1", "response": null}'], 1, "response", "expected a string"),
        (['{"reference": "1", "answer": true}'], 1, "answer", "expected a string"),
        (['{"reference": "1", "answer": "1", "response": "1"}'], 1, "response", "not both"),
        (["[1, 2]"], 1, None, "expected a JSON object"),
        (['{"reference": "1", "response": "1", "finish_reason": 1}'], 1, "finish_reason", "expected a string"),
        (['{"reference": "1", "response": "1", "finishReason": "length"}'], 1, "finishReason", "did you mean"),
        # the question decides some verdicts (0.36 for 0.4 when it asks for no rounding): never read as absent
        (['{"reference": "0.4", "answer": "0.36", "questoin": "Find $2.4 \\\\div 6$."}'], 1, "questoin",
         "unknown field; did you mean 'question'\\?"),
        (['{"refrence": "1", "answer": "1"}'], 1, "reference", "'refrence' is not a field; did you mean 'reference'"),
        (['{"reference": "1", "respons": "1"}'], 1, "answer", "'respons' is not a field; did you mean 'response'"),
    ],
    ids=["not_json", "no_reference", "no_answer", "list_reference", "null_response", "bool_answer",
         "answer_and_response", "not_object", "number_finish_reason", "misspelled_finish_reason", "misspelled_question",
         "misspelled_reference", "misspelled_response"],
)
def test_bad_lines_name_file_line_and_field(tmp_path: Path, lines: list[str], line: int, field: str | None,
                                            message: str) -> None:
    pairs = _write(tmp_path / "bad.jsonl", lines)
    with pytest.raises(InputError, match=message) as caught:
        read_pairs(pairs)
    assert caught.value.line == line
    assert caught.value.field == field
    assert str(pairs) in str(caught.value)


def test_bad_line_fails_before_grading_and_writes_nothing(tmp_path: Path) -> None:
    pairs = _write(tmp_path / "bad.jsonl", ['{"reference": "1", "answer": "1"}', '{"reference": 1}'])
    result = CliRunner().invoke(_app(), ["grade", str(pairs)])
    assert isinstance(result.exception, InputError)
    assert "bad.jsonl:2: field 'answer'" in str(result.exception)
    assert not (tmp_path / "bad.graded.jsonl").exists()


def test_empty_and_missing_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        read_pairs(_write(tmp_path / "empty.jsonl", [""]))
    with pytest.raises(InputError, match="not found"):
        read_pairs(tmp_path / "absent.jsonl")


@pytest.mark.parametrize(("reference", "message"), [
    ('""', "empty: no answer can be graded right against it"), ('"  "', "empty"),
    ("1e400", "expected a string or a number, got Infinity"),
])
def test_an_empty_or_infinite_reference_is_named_not_graded(tmp_path: Path, reference, message) -> None:
    """Before: a line with "reference": "" was graded (every answer wrong, reason 'ok') and 1e400
    became the reference 'inf'; now the line is named, by the rule `evalkit import` uses."""
    pairs = _write(tmp_path / "p.jsonl", [json.dumps({"reference": "2", "answer": "2"}),
                                          '{"reference": ' + reference + ', "answer": "5"}'])
    with pytest.raises(InputError, match=rf"p.jsonl:2: field 'reference': {message}"):
        read_pairs(pairs)


def test_bad_options_are_input_errors(tmp_path: Path) -> None:
    pairs = _write(tmp_path / "p.jsonl", [json.dumps({"reference": "2", "answer": "2"})])
    result = CliRunner().invoke(_app(), ["grade", str(pairs), "--timeout", "0"])
    assert isinstance(result.exception, InputError)
    assert "--timeout" in str(result.exception)


@pytest.mark.parametrize(("option", "value"), [("--workers", "-1"), ("--timeout", "0"), ("--timeout", "nan")])
def test_grade_run_names_a_bad_option_before_touching_the_run(tmp_path: Path, option, value) -> None:
    """Before: `evalkit grade-run RUN --workers -1` (or --timeout 0) ended in a ValueError traceback
    from the Grader; now it is the same one line as `evalkit grade` gives."""
    from evalkit.pipeline.cli import grade_run_command
    from evalkit.records import Problem, Sample
    from evalkit.store import ProblemSamples, RunDir

    run = RunDir(tmp_path / "run")
    run.claim("config_hash: abc\n", "abc")
    with run.samples_appender() as out:
        out.write(ProblemSamples(Problem("p", "t", "q", "2"), [Sample("p", 0, "\\boxed{2}")]).to_dict())
    app = typer.Typer()
    app.command("grade-run")(grade_run_command)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["grade-run", str(run.path), option, value])
    assert isinstance(result.exception, InputError)
    assert str(result.exception).startswith(f"{option} must be")
    assert not run.graded_path.exists()


def test_non_finite_id_and_directory_out_are_refused_before_grading(tmp_path):
    import pytest as _pytest

    from evalkit.errors import InputError
    from evalkit.grading.cli import grade_command

    nan_file = tmp_path / "nan.jsonl"
    nan_file.write_text('{"id": NaN, "reference": "1", "answer": "1"}\n')
    with _pytest.raises(InputError, match="field 'id'"):
        grade_command(nan_file, workers=0)
    ok_file = tmp_path / "ok.jsonl"
    ok_file.write_text('{"id": 1, "reference": "1", "answer": "1"}\n')
    with _pytest.raises(InputError, match="--out is a directory"):
        grade_command(ok_file, out=tmp_path, workers=0)
    assert not (tmp_path.parent / f"{tmp_path.name}.tmp").exists()


def test_grade_explain_prints_and_writes_why(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"reference": "0.67", "response": "So $\\\\boxed{\\\\frac{2}{3}}$."}\n'
                     '{"reference": "9\\\\text{ a.m.}", "response": "A: 9 p.m."}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(_app(), ["grade", str(pairs), "--out", str(out), "--explain", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "equal at the reference's precision" in result.output and "found by: boxed" in result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["correct"] for line in lines] == [True, False]
    assert lines[0]["rule"].startswith("equal at the reference's precision") and lines[1]["reference_value"]


def test_grade_refuses_to_overwrite_its_input_and_bad_policy_options(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"reference": "1", "answer": "1"}\n', encoding="utf-8")
    result = CliRunner().invoke(_app(), ["grade", str(pairs), "--out", str(pairs)])
    assert isinstance(result.exception, InputError) and "--out is the input file" in str(result.exception)
    assert pairs.read_text() == '{"reference": "1", "answer": "1"}\n'
    result = CliRunner().invoke(_app(), ["grade", str(pairs), "--extraction", "latex"])
    assert isinstance(result.exception, InputError)
    assert "extraction must be one of auto, boxed, gsm8k" in str(result.exception)
