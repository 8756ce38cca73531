"""The grading stage: whatever order problems were sampled and graded in, the finished files are the same."""

from __future__ import annotations

import pytest

from evalkit.errors import InputError
from evalkit.jsonl import read_jsonl
from evalkit.pipeline.grade import grade_stage
from evalkit.records import Problem, Sample
from evalkit.store import ProblemSamples, RunDir


def _line(i: int) -> dict:
    problem = Problem(id=f"p{i}", task="math500", question=f"What is {i} + 1?", reference=str(i + 1), meta={})
    samples = [Sample(problem_id=problem.id, index=k, text=f"The answer is $\\boxed{{{i + k}}}$.",
                      finish_reason="stop", num_tokens=5) for k in range(2)]
    return ProblemSamples(problem, samples).to_dict()


def test_grades_follow_the_problem_order_after_grading_a_partly_sampled_run(tmp_path):
    # `evalkit grade-run` while sampling was stopped, then the run resumed: the problems sampled
    # first (in the order they finished) were graded first, yet graded.jsonl ends in problem order,
    # as in an uninterrupted run (the report's bootstrap draws problems by position).
    run = RunDir(tmp_path / "run")
    run.claim("task: math500\nconfig_hash: abc\n", "abc")
    with run.samples_appender() as out:
        out.write(_line(2))
    grade_stage(run, workers=0, show_progress=False)
    with run.samples_appender() as out:
        out.write(_line(0))
        out.write(_line(1))
    run.order_samples(["p0", "p1", "p2"])
    grade_stage(run, workers=0, show_progress=False)
    assert [record["problem_id"] for record in read_jsonl(run.graded_path)] == ["p0", "p1", "p2"]

    whole = RunDir(tmp_path / "whole")
    whole.claim("task: math500\nconfig_hash: abc\n", "abc")
    with whole.samples_appender() as out:
        for i in range(3):
            out.write(_line(i))
    grade_stage(whole, workers=0, show_progress=False)
    assert run.graded_path.read_bytes() == whole.graded_path.read_bytes()


def test_a_run_without_samples_is_refused_and_gets_no_grades_file(tmp_path):
    run = RunDir(tmp_path / "run")
    run.claim("task: math500\nconfig_hash: abc\n", "abc")
    with pytest.raises(InputError, match="no samples in this run directory"):
        grade_stage(run, workers=0, show_progress=False)
    assert not run.graded_path.exists()


def test_a_nul_byte_in_a_model_output_is_stored_as_written_and_costs_no_answer(tmp_path):
    # before: a response holding a NUL byte anywhere had no answer at all ("not text"), so one stray
    # byte made a right answer wrong; now the byte is kept in samples.jsonl and read as U+FFFD
    # when the answer is looked for, as a lone surrogate is
    texts = ["\x00 so the answer is $\\boxed{3}$.\x00", "$\\boxed{3\x00}$", "\x00"]
    problem = Problem(id="p", task="math500", question="What is 2 + 1?", reference="3", meta={})
    run = RunDir(tmp_path / "run")
    run.claim("task: math500\nconfig_hash: abc\n", "abc")
    with run.samples_appender() as out:
        out.write(ProblemSamples(problem, [Sample(problem_id="p", index=k, text=text, finish_reason="stop",
                                                  num_tokens=5) for k, text in enumerate(texts)]).to_dict())
    assert [sample.text for sample in run.read_samples()[0].samples] == texts
    grade_stage(run, workers=1, show_progress=False)
    [grades] = run.read_grades()
    assert grades.correct == [True, False, False]
    assert grades.answers[:2] == ["3", "3\ufffd"] and grades.answers[2] is None
    assert grades.reasons[0] == "ok" and grades.reasons[2] == "no_answer"


def test_grades_of_samples_rewritten_since_are_made_again(tmp_path):
    from evalkit.pipeline.grade import needs_grading

    run = RunDir(tmp_path / "run")
    run.claim("task: math500\nconfig_hash: abc\n", "abc")
    with run.samples_appender() as out:
        for i in range(3):
            out.write(_line(i))
    first = grade_stage(run, workers=0, show_progress=False)
    assert first.graded_now == 3 and first.stale == 0 and not needs_grading(run)
    assert [grades.correct for grades in run.read_grades()] == [[False, True]] * 3
    # someone rewrites problem p1's samples after grading: its grades are of other samples now
    lines = run.samples_path.read_text().splitlines()
    lines[1] = lines[1].replace("boxed{2}", "boxed{999}")
    run.samples_path.write_text("\n".join(lines) + "\n")
    assert run.stale_grades() == ["p1"] and needs_grading(run)
    again = grade_stage(run, workers=0, show_progress=False)
    assert again.stale == 1 and again.graded_now == 1
    assert [grades.correct for grades in run.read_grades()] == [[False, True], [False, False], [False, True]]
    assert not needs_grading(run) and run.stale_grades() == []


def test_a_stored_problem_with_fewer_samples_than_the_run_samples_is_named_where_it_is(tmp_path):
    # only a hand-edited samples.jsonl holds such a line; before, the error came at report time and named
    # graded.jsonl, with remedies that do not help
    run = RunDir(tmp_path / "run")
    run.claim("task: math500\nconfig_hash: abc\nsampling:\n  n: 2\n", "abc")
    short = _line(1)
    short["samples"] = short["samples"][:1]
    with run.samples_appender() as out:
        out.write(_line(0))
        out.write(short)
    with pytest.raises(InputError, match=r"samples\.jsonl:2: field 'samples': holds 1 samples, but the run samples "
                                         r"n = 2; this line \(problem 'p1'\) is damaged: delete it and run again"):
        grade_stage(run, workers=0, show_progress=False)
    # an imported run's problems may hold different numbers of samples
    imported = RunDir(tmp_path / "imported")
    imported.claim("task: math500\nconfig_hash: abc\nn: 2\n", "abc")
    with imported.samples_appender() as out:
        out.write(_line(0))
        out.write(short)
    grade_stage(imported, workers=0, show_progress=False)
    assert len(read_jsonl(imported.graded_path)) == 2
