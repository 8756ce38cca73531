"""`evalkit compare`: two runs of one task, paired by problem id."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from evalkit.cli import app
from evalkit.errors import ConfigError, InputError
from evalkit.report.compare import compare_runs


def make_run(root: Path, name: str, rows: dict[str, list[str]], *, model: str, task: str = "gsm8k",
             right: str = "7") -> Path:
    """A graded run: per problem id, the answers of its samples ("" for none); `right` is the reference."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    n = len(next(iter(rows.values())))
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"model": model, "task": task, "n": n}))
    lines = []
    for problem_id, answers in rows.items():
        ids: dict[str, int] = {}
        clusters = [ids.setdefault(answer, len(ids)) if answer else -1 for answer in answers]
        lines.append({"problem_id": problem_id, "answers": [answer or None for answer in answers],
                      "clusters": clusters, "correct": [answer == right for answer in answers],
                      "reasons": ["ok" if answer else "no_answer" for answer in answers]})
    (run_dir / "graded.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return run_dir


A_ROWS = {"p1": ["7", "7", "3", "3"], "p2": ["7", "1", "2", "3"], "p3": ["1", "1", "1", "7"], "only-a": ["7"] * 4}
B_ROWS = {"only-b": ["1"] * 4, "p3": ["7", "7", "7", "1"], "p2": ["1", "1", "7", ""], "p1": ["7", "7", "7", "7"]}


def test_runs_are_paired_by_problem_id_whatever_their_order(tmp_path: Path):
    a = make_run(tmp_path, "a", A_ROWS, model="model-a")
    b = make_run(tmp_path, "b", B_ROWS, model="model-b")
    document = compare_runs(a, b, seed=3)
    assert document["problems"] == {"paired": 3, "only_in_a": 1, "only_in_b": 1}
    pass1, maj4 = document["metrics"]["pass@1"], document["metrics"]["maj@4"]
    # per problem p1, p2, p3: pass@1 A = .5, .25, .25 and B = 1, .25, .75; maj@4 A = .5 (7 and 3 tie), .25 (four
    # answers tie), 0 and B = 1, 0, 1
    assert pass1["a"] == pytest.approx(1 / 3) and pass1["b"] == pytest.approx(2 / 3)
    assert (pass1["a_better"], pass1["b_better"], pass1["same"]) == (0, 2, 1)
    assert maj4["a"] == pytest.approx(0.25) and maj4["b"] == pytest.approx(2 / 3)
    assert (maj4["a_better"], maj4["b_better"], maj4["same"]) == (1, 2, 0)
    assert maj4["difference"]["value"] == pytest.approx(0.25 - 2 / 3)
    low, high = pass1["difference"]["ci"]
    assert low <= -1 / 3 <= high and high <= 0.0  # B never behind A on a problem: no resample puts A ahead
    assert pass1["difference"]["fraction_not_positive"] == 1.0
    # the same runs with the problems of A in another order give the same figures
    shuffled = make_run(tmp_path, "a2", dict(reversed(list(A_ROWS.items()))), model="model-a")
    again = compare_runs(shuffled, b, seed=3)
    assert again["metrics"]["maj@4"] == maj4 and again["metrics"]["pass@1"]["a"] == pass1["a"]


def test_a_run_against_itself_in_another_folder_differs_by_nothing(tmp_path: Path):
    rng = np.random.default_rng(0)
    rows = {f"q{i}": [str(x) for x in rng.integers(5, 9, size=8)] for i in range(30)}
    a = make_run(tmp_path, "a", rows, model="m")
    b = make_run(tmp_path, "b", rows, model="m")
    document = compare_runs(a, b, metrics=["pass@1", "pass@4", "maj@8", "maj@2"])
    for item in document["metrics"].values():
        assert item["difference"]["value"] == 0.0 and item["difference"]["ci"] == [0.0, 0.0]
        assert item["same"] == 30


def test_what_cannot_be_compared_is_refused_with_one_line(tmp_path: Path):
    a = make_run(tmp_path, "a", A_ROWS, model="model-a")
    other_task = make_run(tmp_path, "c", B_ROWS, model="model-b", task="math500")
    small = make_run(tmp_path, "d", {"p1": ["7", "7"]}, model="model-d")
    disjoint = make_run(tmp_path, "e", {"z": ["7"] * 4}, model="model-e")
    with pytest.raises(ConfigError, match="a run of gsm8k and .* of math500"):
        compare_runs(a, other_task)
    with pytest.raises(ConfigError, match=r"maj@4: needs 1 <= k <= n, and the runs have n = 4 and 2"):
        compare_runs(a, small, metrics=["maj@4"])
    for bad, message in (("foo@3", "unknown rule 'foo'"), ("pass@0", "needs 1 <= k"), ("cons@4", "needs 1 <= k <= n"),
                         ("maj", "not of the form RULE@K")):
        with pytest.raises(ConfigError, match=message):
            compare_runs(a, small, metrics=[bad])
    # aliases and spellings of one metric are that metric, once
    assert list(compare_runs(a, small, metrics=["avg@2", "pass@01", "pass@1", "cons@2"])["metrics"]) == [
        "pass@1", "maj@2"]
    assert list(compare_runs(a, small)["metrics"]) == ["pass@1", "maj@2"]
    with pytest.raises(ConfigError, match="need evaluator scores"):
        compare_runs(a, make_run(tmp_path, "b", B_ROWS, model="model-b"), metrics=["scr@4"])
    with pytest.raises(InputError, match="no problem id is in both runs"):
        compare_runs(a, disjoint)
    with pytest.raises(ConfigError, match="both runs are"):
        compare_runs(a, tmp_path / "a")


def test_compare_command_prints_and_writes_escaped_reports(tmp_path: Path):
    a = make_run(tmp_path, "a", A_ROWS, model="model|*a*")
    b = make_run(tmp_path, "b", B_ROWS, model="model-b")
    out = tmp_path / "cmp"
    result = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["compare", str(a), str(b), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 problems in both runs (1 only in A, 1 only in B: left out)" in result.output
    assert "pass@1" in result.output and "maj@4" in result.output
    document = json.loads((out / "comparison.json").read_text())
    assert document["runs"][0]["model"] == "model|*a*" and document["problems"]["paired"] == 3
    markdown = (out / "comparison.md").read_text()
    assert "model\\|\\*a\\*" in markdown and "| maj@4 | 25.0 | 66.7 | -41.7 [" in markdown

    not_graded = tmp_path / "raw"
    not_graded.mkdir()
    (not_graded / "config.yaml").write_text("model: x\n")
    result = CliRunner().invoke(app, ["compare", str(a), str(not_graded)])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError) and "not graded yet" in str(result.exception)


def _scores(run_dir: Path, rows: dict[str, list[float | None]], scorer: str = "judge") -> None:
    (run_dir / "scores.jsonl").write_text("".join(
        json.dumps({"problem_id": problem_id, "scorer": scorer, "scores": scores}) + "\n"
        for problem_id, scores in rows.items()))


def test_stale_grades_partial_scores_and_few_problems_are_not_compared_silently(tmp_path: Path):
    from evalkit.report.compare import comparison_notes

    a = make_run(tmp_path, "a", A_ROWS, model="model-a")
    b = make_run(tmp_path, "b", B_ROWS, model="model-b")
    # three paired problems: said in a note, with the runs' sampling settings when they differ
    config = yaml.safe_load((b / "config.yaml").read_text())
    config["sampling"] = {"n": 4, "temperature": 1.0}
    (b / "config.yaml").write_text(yaml.safe_dump(config))
    notes = comparison_notes(compare_runs(a, b))
    assert any(note.startswith("only 3 paired problems") for note in notes)
    assert any("temperature not recorded (A) vs 1.0 (B)" in note for note in notes)
    # a score rule where some needed sample has no score is refused, not computed from the scored ones
    _scores(a, {pid: [0.5] * 4 for pid in A_ROWS})
    _scores(b, {pid: [0.5, None, 0.1, 0.2] for pid in B_ROWS})
    with pytest.raises(InputError, match="bon@4 needs a score on every sample it looks at"):
        compare_runs(a, b, metrics=["bon@4"])
    _scores(b, {pid: [0.5, 0.4, 0.1, 0.2] for pid in B_ROWS})
    document = compare_runs(a, b, metrics=["pass@1", "bon@4"])
    assert document["settings"]["top_clusters"] == 8 and document["runs"][1]["scorer"] == "judge"
    # a second scorer: named with --scorer, and not needed for rules without scores
    with open(b / "scores.jsonl", "a") as handle:
        handle.write(json.dumps({"problem_id": "p1", "scorer": "other", "scores": [1, 1, 1, 1]}) + "\n")
    assert list(compare_runs(a, b, metrics=["pass@1"])["metrics"]) == ["pass@1"]
    with pytest.raises(InputError, match="several scorers"):
        compare_runs(a, b, metrics=["bon@4"])
    assert compare_runs(a, b, metrics=["bon@4"], scorer="judge")["runs"][1]["scorer"] == "judge"


def test_a_run_whose_samples_changed_after_grading_is_refused(tmp_path: Path):
    from evalkit.errors import InputError as Refused

    a = make_run(tmp_path, "a", A_ROWS, model="model-a")
    b = make_run(tmp_path, "b", B_ROWS, model="model-b")
    lines = [json.dumps({"problem_id": pid, "question": "q", "reference": "7", "samples": [{"text": t} for t in answers]})
             for pid, answers in B_ROWS.items()]
    (b / "samples.jsonl").write_text("\n".join(lines + [lines[0].replace("only-b", "extra")]) + "\n")
    with pytest.raises(Refused, match="grades are older than its samples"):
        compare_runs(a, b)


def test_the_command_refuses_bad_options_and_outputs_in_one_line(tmp_path: Path):
    a = make_run(tmp_path, "a", A_ROWS, model="model-a")
    b = make_run(tmp_path, "b", B_ROWS, model="model-b")
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "plain").mkdir()
    for arguments, error, message in (
            (["--seed", "-1"], ConfigError, "--seed must be 0 or more"),
            (["--resamples", "5"], ConfigError, "--resamples must be from"),
            (["--metrics", "maj@8;pass@1"], ConfigError, "--metrics"),
            (["--out", str(tmp_path / "file.txt" / "sub")], InputError, "is a file"),
    ):
        result = CliRunner().invoke(app, ["compare", str(a), str(b), *arguments])
        assert isinstance(result.exception, error) and message in str(result.exception), (arguments, result.exception)
    result = CliRunner().invoke(app, ["compare", str(a), str(tmp_path / "plain")])
    assert isinstance(result.exception, InputError) and "not a run directory" in str(result.exception)


def _write_questions(run_dir: Path, questions: dict[str, str]) -> None:
    """The run's samples.jsonl, one line per problem with its question (answers as in graded.jsonl)."""
    graded = [json.loads(line) for line in (run_dir / "graded.jsonl").read_text().splitlines()]
    (run_dir / "samples.jsonl").write_text("".join(json.dumps({
        "problem_id": line["problem_id"], "task": "gsm8k", "question": questions[line["problem_id"]], "reference": "7",
        "samples": [{"index": i, "text": f"The answer is {answer or 'unclear'}."} for i, answer in enumerate(line["answers"])],
    }) + "\n" for line in graded))


def test_problems_with_one_id_and_different_questions_are_not_paired(tmp_path: Path):
    # two imports that number the same problems by their tool's line index, in another order
    a = make_run(tmp_path, "a", {"0": ["7"] * 4, "1": ["3"] * 4}, model="model-a")
    b = make_run(tmp_path, "b", {"0": ["3"] * 4, "1": ["7"] * 4}, model="model-b")
    _write_questions(a, {"0": "What is 3 + 4?", "1": "What is 1 + 2?"})
    _write_questions(b, {"0": "What is 1 + 2?", "1": "What is  3 + 4?"})
    with pytest.raises(InputError, match=r"compare: problem '0' has another question in .* \(and 1 more of the 2 "
                                         r"paired\): the two runs' ids name different problems"):
        compare_runs(a, b)
    # the same questions (spacing aside) pair as before
    _write_questions(b, {"0": "What is 3 +  4?", "1": "What is 1 + 2?"})
    assert compare_runs(a, b)["problems"]["paired"] == 2
