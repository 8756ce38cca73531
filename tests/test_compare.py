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
    with pytest.raises(ConfigError, match="a run of 'gsm8k' and .* of 'math500'"):
        compare_runs(a, other_task)
    with pytest.raises(ConfigError, match="maj@4 needs k <= n, and the runs have n = 4 and 2"):
        compare_runs(a, small, metrics=["maj@4"])
    assert list(compare_runs(a, small)["metrics"]) == ["pass@1", "maj@2"]
    with pytest.raises(ConfigError, match="scr@4 needs evaluator scores"):
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
