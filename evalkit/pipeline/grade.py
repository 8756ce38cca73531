"""Grading stage: extract, grade and cluster the samples of every problem not graded yet.

One `Grader` (one worker pool) serves the whole stage. Samples are read from `samples.jsonl` as
a stream, problems are graded in chunks and each problem's line is appended to `graded.jsonl`
as its chunk completes, so memory stays bounded and a killed grading stage resumes where it
stopped. At the end `graded.jsonl` is put in the order of `samples.jsonl`, so the finished file
(and the report, whose bootstrap draws problems by position) does not depend on when grading ran.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, TypeVar

from evalkit.errors import EvalkitError, InputError
from evalkit.grading.policy import GradingPolicy
from evalkit.jsonl import count_lines
from evalkit.progress import make_progress
from evalkit.store import ProblemGrades, RunDir, samples_digest

GRADING_CHUNK = 64
"""Problems read from `samples.jsonl`, graded and appended at a time: memory stays bounded."""

T = TypeVar("T")


@dataclass(frozen=True)
class GradeStageResult:
    problems: int
    graded_now: int
    reasons: dict[str, int]
    stale: int = 0
    """Problems whose grades were of other samples (their `samples.jsonl` line was rewritten since), made again."""


def grading_policy_of(config: Mapping[str, Any], run_dir: RunDir) -> GradingPolicy:
    """The grading conventions of a run whose `config.yaml` holds `config`: its task's policy, with the
    extraction style of the config's `answer_style` when it names one (imported runs record it); the
    default policy for a task evalkit does not know."""
    import tasks

    try:
        policy = tasks.get_task(str(config.get("task"))).grading
    except EvalkitError:
        policy = GradingPolicy()
    if config.get("answer_style"):
        try:
            policy = replace(policy, extraction=str(config["answer_style"]))
        except ValueError as error:
            raise InputError(str(error), path=run_dir.config_path, field="answer_style") from None
    return policy


def needs_grading(run_dir: RunDir) -> bool:
    """Whether some sampled problem has no grades yet (a line count), or grades of other samples than it
    holds now (`RunDir.stale_grades`)."""
    if not run_dir.samples_path.exists():
        return False
    if not run_dir.graded_path.exists():
        return True
    return count_lines(run_dir.graded_path) < count_lines(run_dir.samples_path) or bool(run_dir.stale_grades())


def _samples_per_problem(config: Mapping[str, Any]) -> int | None:
    """`sampling.n` of a sampled run's config, which every problem's line holds that many samples of; None
    for an imported run (its problems may hold different numbers)."""
    sampling = config.get("sampling")
    n = sampling.get("n") if isinstance(sampling, dict) else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


def grade_stage(run_dir: RunDir, *, workers: int | None = None, timeout: float = 5.0,
                show_progress: bool = True) -> GradeStageResult:
    """Grade the problems of `run_dir` that have samples but no grades yet.

    Answers are extracted by the task's grading policy; a sample with no answer (reason
    `no_answer`: nothing found, an unterminated `<think>`, or only a fallback guess in an output
    cut at `max_tokens`) abstains from every vote.
    """
    from evalkit.grading import Grader

    config = run_dir.read_config()
    policy = grading_policy_of(config, run_dir)
    run_dir.require_samples()  # before the grades file is opened: a refused run gets no empty graded.jsonl
    sampled_ids = run_dir.sampled_ids()
    stale = run_dir.stale_grades()
    if stale:  # grades and scores belong to the samples they were made from
        run_dir.drop_grades(stale)
        run_dir.forget_scores(stale)
    done = run_dir.graded_ids()
    strangers = sorted(done - sampled_ids)
    if strangers:
        raise InputError(f"grades for problem '{strangers[0]}' which has no samples", path=run_dir.graded_path)
    reasons: Counter[str] = Counter()
    graded_now = 0
    with make_progress(disable=not show_progress) as progress, run_dir.grades_appender() as out, \
            Grader(policy, workers=workers, timeout=timeout) as grader:
        bar = progress.add_task("grading", total=len(sampled_ids - done))
        stored = run_dir.iter_samples(expected=_samples_per_problem(config))
        for chunk in _chunks((item for item in stored if item.problem.id not in done), GRADING_CHUNK):
            results = grader.grade_groups(
                [[sample.text for sample in item.samples] for item in chunk],
                [item.problem.reference for item in chunk],
                questions=[item.problem.question for item in chunk],
                finish_reasons=[[sample.finish_reason for sample in item.samples] for item in chunk],
            )
            for item, result in zip(chunk, results):
                grades = ProblemGrades(
                    problem_id=item.problem.id, answers=list(result.answers), clusters=list(result.clusters),
                    correct=list(result.correct), reasons=list(result.reasons), samples_digest=samples_digest(item),
                )
                out.write(grades.to_dict())
                reasons.update(grades.reasons)
            graded_now += len(chunk)
            progress.advance(bar, len(chunk))
    run_dir.order_grades()
    return GradeStageResult(problems=len(sampled_ids), graded_now=graded_now, reasons=dict(reasons), stale=len(stale))


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter), read lazily."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
