"""Tests of `evalkit.store.scores`: the one reader and the appender of scores.jsonl."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evalkit.errors import InputError
from evalkit.store.scores import ScoresAppender, read_scores


def test_appended_passes_merge_and_nothing_is_rewritten(tmp_path):
    path = tmp_path / "scores.jsonl"
    with ScoresAppender(path) as appender:
        appender.append("a", "ev", [0.5, None, None], selection="scr-top2")
        appender.append("b", "ev", [None, None, 0.25], selection="scr-top2")
    first_bytes = path.read_bytes()
    with ScoresAppender(path) as appender:
        appender.append("a", "ev", [None, 0.75, 0.125], selection="all")
        appender.append("a", "other", [1.0, 1.0, 1.0], selection="imported")
    assert path.read_bytes().startswith(first_bytes)
    found = read_scores(path, {"a": 3, "b": 3})
    assert set(found.scorers) == {"ev", "other"}
    ev = found.choose("ev")
    assert ev.by_problem == {"a": [0.5, 0.75, 0.125], "b": [None, None, 0.25]}
    assert ev.selections == ("scr-top2", "all")
    matrix = ev.matrix(["b", "a", "c"], 3)
    assert np.isnan(matrix[0, :2]).all() and matrix[0, 2] == 0.25
    assert matrix[1].tolist() == [0.5, 0.75, 0.125] and np.isnan(matrix[2]).all()
    with pytest.raises(InputError, match="several scorers"):
        found.choose()
    with pytest.raises(InputError, match="no scores by 'x'"):
        found.choose("x")


def test_missing_file_has_no_scorers_and_old_lines_read_as_unlabelled(tmp_path):
    assert read_scores(tmp_path / "none.jsonl", {"a": 1}).scorers == {}
    path = tmp_path / "scores.jsonl"
    path.write_text(json.dumps({"problem_id": "a", "scorer": "ev", "scores": [0.5]}) + "\n")
    assert read_scores(path, {"a": 1}).choose().selections == ("unlabelled",)


@pytest.mark.parametrize("record, pattern", [
    ({"problem_id": "z", "scorer": "ev", "scores": [0.5]}, "not in the run"),
    ({"problem_id": "a", "scorer": "ev", "scores": [0.5, 0.5]}, "has 2 scores but 1 samples"),
    ({"problem_id": "a", "scorer": "ev", "scores": ["high"]}, "finite numbers or null"),
    ({"problem_id": "a", "scorer": "", "scores": [0.5]}, "field 'scorer'"),
    ({"problem_id": "a", "scorer": "ev", "scores": 0.5}, "field 'scores'"),
])
def test_bad_lines_name_file_line_and_field(tmp_path, record, pattern):
    path = tmp_path / "scores.jsonl"
    path.write_text(json.dumps({"problem_id": "a", "scorer": "ev", "scores": [0.1]}) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(InputError, match=pattern) as error:
        read_scores(path, {"a": 1})
    assert "scores.jsonl:2" in str(error.value)


def test_appender_refuses_non_finite_scores(tmp_path):
    with ScoresAppender(tmp_path / "scores.jsonl") as appender, pytest.raises(ValueError):
        appender.append("a", "ev", [float("nan")], selection="all")


def test_a_reset_line_forgets_the_problems_earlier_lines_and_excuses_their_misfit(tmp_path):
    path = tmp_path / "scores.jsonl"
    with ScoresAppender(path) as appender:
        appender.append("p1", "ev", [0.9, None], selection="scr-top1")
        appender.append("p2", "ev", [0.2, 0.3], selection="all")
        appender.append("p3", "ev", [0.5], selection="all")  # made when p3 had 1 sample
        appender.reset("p1")
        appender.reset("p3")
        appender.append("p1", "ev", [None, 0.4], selection="scr-top1")
    merged = read_scores(path, {"p1": 2, "p2": 2, "p3": 2}).scorers["ev"].by_problem
    assert merged == {"p1": [None, 0.4], "p2": [0.2, 0.3]}  # p1's first line forgotten; p3 not scored
    # a resampled problem not graded again yet: its old lines are forgotten, not an error
    assert read_scores(path, {"p1": 2, "p2": 2}).scorers["ev"].by_problem["p2"] == [0.2, 0.3]
    with ScoresAppender(path) as appender:
        appender.append("p9", "ev", [0.1, 0.1], selection="all")
    with pytest.raises(InputError, match="problem 'p9' is not in the run's graded.jsonl"):
        read_scores(path, {"p1": 2, "p2": 2, "p3": 2})
    with ScoresAppender(tmp_path / "only.jsonl") as appender:
        appender.append("p1", "ev", [0.9, 0.1], selection="all")
        appender.reset("p1")
    assert read_scores(tmp_path / "only.jsonl", {"p1": 2}).scorers == {}, "a scorer left with nothing is no scorer"
