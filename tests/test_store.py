"""Run directories: claiming, refusing foreign configs, append-only records that survive kills."""

from __future__ import annotations

import json
import re

import pytest

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import JsonlAppender, read_jsonl
from evalkit.records import Problem, Sample
from evalkit.store import ProblemGrades, ProblemSamples, RunDir, Shard


def _problem(i: int) -> Problem:
    return Problem(id=f"p{i}", task="t", question=f"q{i}", reference=str(i), meta={"level": 1})


def test_claim_new_then_resume_then_refuse_other_config(tmp_path):
    run = RunDir(tmp_path / "run")
    assert run.claim("config_hash: abc\n", "abc") is True
    assert run.claim("config_hash: abc\n", "abc") is False
    with pytest.raises(ConfigError, match="different config"):
        run.claim("config_hash: xyz\n", "xyz")


def test_claim_refuses_non_empty_directory_without_config(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        RunDir(tmp_path).claim("config_hash: abc\n", "abc")


def test_a_file_where_the_run_directory_would_go_is_refused_in_one_line(tmp_path):
    """`evalkit run --out FILE` (or merge): before, 'cannot write ...: Not a directory. Finished work is
    kept', which nothing was; now the file is named and nothing is written."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine", encoding="utf-8")
    for path, words in ((blocker, "is a file"), (blocker / "run", f"is inside the file {blocker}")):
        with pytest.raises(InputError, match=words), RunDir(path).lock("test"):
            pass
    assert blocker.read_text(encoding="utf-8") == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_claim_refuses_other_shard(tmp_path):
    run = RunDir(tmp_path / "run")
    run.claim("config_hash: abc\n", "abc", Shard(0, 2))
    with pytest.raises(ConfigError, match="shard"):
        run.claim("config_hash: abc\n", "abc", Shard(1, 2))


def test_samples_roundtrip_and_partial_tail_is_dropped(tmp_path):
    run = RunDir(tmp_path)
    run.claim("config_hash: abc\n", "abc")
    with run.samples_appender() as out:
        for i in range(3):
            samples = [Sample(f"p{i}", j, f"text {j}", "stop", 3, -1.5) for j in range(2)]
            out.write(ProblemSamples(_problem(i), samples).to_dict())
    with run.samples_path.open("a") as handle:  # a writer killed mid-line
        handle.write('{"problem_id": "p3", "samp')
    assert run.cut_short_samples_line() == "problem 'p3', 26 bytes"
    items = run.read_samples()
    assert [item.problem.id for item in items] == ["p0", "p1", "p2"]
    assert items[1].samples[1] == Sample("p1", 1, "text 1", "stop", 3, -1.5)
    assert items[2].problem.meta == {"level": 1}
    with run.samples_appender() as out:  # reopening cuts the partial line before appending
        out.write(ProblemSamples(_problem(3), []).to_dict())
    assert [record["problem_id"] for record in read_jsonl(run.samples_path)] == ["p0", "p1", "p2", "p3"]
    assert run.cut_short_samples_line() is None


def test_a_whole_last_line_without_its_newline_is_not_cut_short(tmp_path):
    run = RunDir(tmp_path)
    assert run.cut_short_samples_line() is None  # no samples yet
    line = json.dumps(ProblemSamples(_problem(0), []).to_dict())
    run.samples_path.write_text(line)  # written by another tool: a record, kept by readers and appenders
    assert run.cut_short_samples_line() is None
    run.samples_path.write_text(line + "\n" + '{"samp')
    assert run.cut_short_samples_line() == "6 bytes"  # the problem cannot be read from what is left


def test_duplicate_problem_is_an_error(tmp_path):
    run = RunDir(tmp_path)
    line = json.dumps(ProblemSamples(_problem(0), []).to_dict())
    run.samples_path.write_text(line + "\n" + line + "\n")
    with pytest.raises(InputError, match=r"samples.jsonl:2: .*appears twice"):
        run.read_samples()


def test_corrupt_middle_line_is_reported_with_its_number(tmp_path):
    run = RunDir(tmp_path)
    good = json.dumps(ProblemSamples(_problem(0), []).to_dict())
    run.samples_path.write_text(good + "\n{oops\n" + good.replace("p0", "p1") + "\n")
    with pytest.raises(InputError, match=r"samples.jsonl:2: not valid JSON"):
        run.read_samples()


@pytest.mark.parametrize(("edit", "field"), [
    ({"reference": None}, "reference"), ({"reference": ["7"]}, "reference"), ({"question": 3}, "question"),
    ({"samples": [{"index": 0, "text": None}]}, r"samples\[0\]\.text"),
    ({"samples": [{"index": 0, "text": "a"}, 5]}, r"samples\[1\]"),
])
def test_non_text_fields_are_named_not_graded_as_strings(tmp_path, edit, field):
    """Before, `"reference": null` was graded against the text "None" and a `null` sample text
    answered "None"; now the line and field are named."""
    run = RunDir(tmp_path)
    record = {**ProblemSamples(_problem(0), [Sample("p0", 0, "\\boxed{0}")]).to_dict(), **edit}
    run.samples_path.write_text(json.dumps(ProblemSamples(_problem(1), []).to_dict()) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(InputError, match=rf"samples.jsonl:2: field '{field}': expected"):
        run.read_samples()


def test_grades_validate_lengths(tmp_path):
    run = RunDir(tmp_path)
    with JsonlAppender(run.graded_path) as out:
        out.write(ProblemGrades("p0", ["1", None], [0, -1], [True, False], ["ok", "no_answer"]).to_dict())
        out.write({"problem_id": "p1", "answers": ["1"], "clusters": [0, 1], "correct": [True], "reasons": ["ok"]})
    with pytest.raises(InputError, match=r"graded.jsonl:2: .*differ in length"):
        run.read_grades()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("answers", 5, "expected a list of strings or null, got int"),
    ("clusters", "abc", "expected a list of integers, got str"),
    ("clusters", [0, "1"], "item 1: expected integers, got str"),
    ("correct", "yes", "expected a list of true or false, got str"),
    ("correct", [True, 1], "item 1: expected true or false, got int"),
    ("reasons", [None, "ok"], "item 0: expected strings, got NoneType"),
])
def test_grades_of_the_wrong_type_are_one_line_naming_the_field(tmp_path, field, value, message):
    """Before: `"answers": 5` was a 57-line traceback from `report` and `grade-run`, and `"correct": "yes"` read
    as three true grades ("differ in length")."""
    run = RunDir(tmp_path)
    line = {"problem_id": "p0", "answers": ["1", None], "clusters": [0, -1], "correct": [True, False],
            "reasons": ["ok", "no_answer"], field: value}
    run.graded_path.write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match=rf"graded.jsonl:1: field '{field}': {re.escape(message)}$"):
        run.read_grades()


def test_missing_grades_say_what_to_run(tmp_path):
    with pytest.raises(InputError, match="grade-run"):
        RunDir(tmp_path).read_grades()


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_partition_in_order(count):
    items = list(range(10))
    parts = [Shard(i, count).select(items) for i in range(count)]
    assert sum(parts, []) == items


@pytest.mark.parametrize("text", ["2/2", "a/b", "1", "-1/3", "0/0"])
def test_bad_shard_spec(text):
    with pytest.raises(ConfigError):
        Shard.parse(text)


def test_complete_last_record_without_newline_is_kept_when_appending(tmp_path):
    run = RunDir(tmp_path)
    line = json.dumps(ProblemSamples(_problem(0), []).to_dict())
    run.samples_path.write_text(line)  # a whole record, only its newline missing
    assert [item.problem.id for item in run.read_samples()] == ["p0"]
    with run.samples_appender() as out:
        out.write(ProblemSamples(_problem(1), []).to_dict())
    assert [item.problem.id for item in run.read_samples()] == ["p0", "p1"]


def test_plain_run_refuses_a_shard_directory(tmp_path):
    run = RunDir(tmp_path / "run")
    run.claim("config_hash: abc\n", "abc", Shard(0, 2))
    with pytest.raises(ConfigError, match="part 0/2"):
        run.claim("config_hash: abc\n", "abc", None)


def test_how_a_run_was_reranked_survives_a_resume_with_changed_settings(tmp_path):
    """The K recorded by `evalkit rerank` is bookkeeping: a resume that changes a setting keeps it and
    does not list it as a change."""
    import yaml

    run = RunDir(tmp_path / "run")
    run.claim("model: m\ntimeout: 1\nconfig_hash: abc\n", "abc")
    run.record_rerank("ev", "scr", 3)
    run.record_rerank("other", "all", 8)
    run.record_rerank("ev", "scr", 2)  # the latest rerank of a scorer replaces its note
    run.claim("model: m\ntimeout: 2\nconfig_hash: abc\n", "abc")
    config = yaml.safe_load(run.config_path.read_text())
    assert config["reranked"] == {"ev": {"method": "scr", "top_clusters": 2},
                                  "other": {"method": "all", "top_clusters": 8}}
    assert config["timeout"] == 2 and config["changes"] == [{"timeout": [1, 2]}]


def test_drop_grades_removes_only_the_named_problems(tmp_path):
    run = RunDir(tmp_path)
    with run.grades_appender() as out:
        for i in range(3):
            out.write(ProblemGrades(f"p{i}", [str(i)], [0], [True], ["ok"]).to_dict())
    before = run.graded_path.read_bytes()
    assert run.drop_grades(["p9"]) == 0 and run.graded_path.read_bytes() == before  # nothing to drop: untouched
    assert run.drop_grades(["p1", "p9"]) == 1
    assert [grades.problem_id for grades in run.read_grades()] == ["p0", "p2"]
    assert RunDir(tmp_path / "none").drop_grades(["p0"]) == 0  # no graded.jsonl yet
