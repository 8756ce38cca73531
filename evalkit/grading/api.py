"""Public grading API: `equivalent`, `cluster`, `grade`, `cluster_many`, `grade_groups`.

How the work is split (for speed and safety):

1. In the calling process, cheaply: extract each response's answer (`answer_of`), normalise
   each *distinct* answer string once (`normalize.normalize_answer`, bounded string work) and
   give it a quick canonical key: an exact number (`Fraction`) or the normalised string.
2. A problem whose reference and answers are all plain numbers (most of GSM8K and MATH) is
   decided right there by exact `Fraction` arithmetic: no SymPy, no process round-trip.
3. Every other problem becomes one job (reference + its distinct normalised answers) for
   `WorkerPool`, which runs it in a worker process with a hard time limit. The job parses each
   distinct answer once, decides correctness against the reference, buckets answers by their
   value key and merges buckets that `compare.values_equal` proves equal (answers equal to the
   reference merge through it without another comparison).
4. A job that times out or fails is retried answer by answer, so one hostile answer costs only
   its own verdict (`timeout`), not its neighbours'; clusters then fall back to keys.

Clusters are numbered in order of first appearance; `None` answers get -1; answers that cannot
be parsed cluster only with identical normalised strings, never with a parsed answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from evalkit.grading.clustering import UnionFind, clusters_from_buckets
from evalkit.grading.compare import exact_numbers_equal, value_key, values_equal
from evalkit.grading.extract import extract_answer
from evalkit.grading.normalize import (
    MAX_ANSWER_CHARS,
    ExactNumber,
    NormalizationError,
    normalize_answer,
    parse_exact_number,
    quick_key,
    strip_assignment,
)
from evalkit.grading.policy import GradingPolicy
from evalkit.grading.pool import TaskResult, WorkerPool, call_with_timeout
from evalkit.grading.values import ParseError, parse_value

MAX_BARE_ANSWER_CHARS = 200
"""A whole text counts as a bare answer (when nothing is extracted) only up to this length."""

REASONS = ("ok", "no_answer", "parse_error", "timeout", "error")


@dataclass(frozen=True)
class Verdict:
    """The grade of one response: `reason` is one of `REASONS`; `key` the answer's canonical key."""

    correct: bool
    answer: str | None
    reason: str
    key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GroupGrade:
    """Grades and answer clusters of all samples of one problem (lists in sample order)."""

    answers: list[str | None]
    clusters: list[int]
    correct: list[bool]
    reasons: list[str]
    keys: list[str | None] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- in-process preparation

def _is_usable_text(text: object) -> bool:
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def answer_of(text: object) -> str | None:
    """The answer in `text`: the extracted final answer of a response, else the whole text when
    it is a bare answer (one short line), else None. Never raises."""
    if not _is_usable_text(text):
        return None
    try:
        extracted = extract_answer(text)
    except Exception:  # noqa: BLE001 - extraction must never break grading
        extracted = None
    if extracted is not None and extracted.strip():
        return extracted.strip()
    stripped = text.strip()
    if len(stripped) <= MAX_BARE_ANSWER_CHARS and "\n" not in stripped:
        return stripped
    return None


def answers_in(responses: Sequence[object], style: str | None) -> list[str | None]:
    """The answer of each response: `answer_of` when `style` is None (bare answers accepted),
    else strictly what `extract_answer(text, style)` finds (model responses: no marker, no answer)."""
    if style is None:
        return [answer_of(response) for response in responses]
    answers: list[str | None] = []
    for response in responses:
        extracted = extract_answer(response, style) if _is_usable_text(response) else None
        answers.append(extracted.strip() if extracted is not None and extracted.strip() else None)
    return answers


@dataclass(frozen=True)
class _Prepared:
    """One distinct answer string after in-process normalisation."""

    normalized: str | None
    key: str
    number: ExactNumber | None


@lru_cache(maxsize=65536)
def _prepare(answer: str) -> _Prepared:
    try:
        normalized = normalize_answer(answer)
    except NormalizationError:
        return _Prepared(None, "raw:" + answer, None)
    if not normalized:
        return _Prepared(None, "raw:" + answer, None)
    number = parse_exact_number(strip_assignment(normalized))
    return _Prepared(normalized, quick_key(normalized), number)


def _safe_prepare(answer: str | None) -> _Prepared | None:
    if answer is None or not _is_usable_text(answer):
        return None
    return _prepare(answer)


# ---------------------------------------------------------------- worker jobs (top-level, picklable)

@dataclass(frozen=True)
class ProblemJob:
    """What a worker needs for one problem: normalised reference and distinct answers."""

    reference: str | None
    answers: tuple[str, ...]
    cluster: bool


@dataclass(frozen=True)
class ProblemOutcome:
    parsed: tuple[bool, ...]
    correct: tuple[bool, ...]
    keys: tuple[str | None, ...]
    merges: tuple[tuple[int, int], ...]


@lru_cache(maxsize=8192)
def _parsed(normalized: str):
    try:
        return parse_value(normalized)
    except (ParseError, RecursionError, ValueError, TypeError, AttributeError, ZeroDivisionError):
        return None


@lru_cache(maxsize=65536)
def _strings_equal_values(first: str, second: str) -> bool:
    """Memoised `values_equal` on two normalised strings (both parse)."""
    a, b = _parsed(first), _parsed(second)
    if a is None or b is None:
        return False
    try:
        return values_equal(a, b)
    except (RecursionError, ValueError, TypeError, AttributeError, ZeroDivisionError, NotImplementedError):
        return False


def _safe_key(normalized: str) -> str | None:
    value = _parsed(normalized)
    return None if value is None else value_key(value)


def solve_problem(job: ProblemJob) -> ProblemOutcome:
    """Worker side: correctness of each distinct answer and merges between their buckets."""
    parsed = tuple(_parsed(a) is not None for a in job.answers)
    keys = tuple(_safe_key(a) for a in job.answers)
    reference_ok = job.reference is not None and _parsed(job.reference) is not None
    correct = tuple(
        job.reference is not None and (answer == job.reference or (
            ok and reference_ok and _strings_equal_values(job.reference, answer)))
        for answer, ok in zip(job.answers, parsed))
    merges: list[tuple[int, int]] = []
    if job.cluster:
        representative: dict[str, int] = {}
        for index, (key, ok) in enumerate(zip(keys, parsed)):
            if ok and key is not None:
                if key in representative:
                    merges.append((representative[key], index))
                else:
                    representative[key] = index
        candidates = [i for i, ok in enumerate(parsed)
                      if ok and (keys[i] is None or representative.get(keys[i]) == i)]
        correct_ones = [i for i in candidates if correct[i]]
        merges.extend((correct_ones[0], other) for other in correct_ones[1:])
        others = [i for i in candidates if not correct[i]]
        for position, first in enumerate(others):
            for second in others[position + 1:]:
                if _strings_equal_values(job.answers[first], job.answers[second]):
                    merges.append((first, second))
    return ProblemOutcome(parsed, correct, keys, tuple(merges))


# ---------------------------------------------------------------- orchestration

@dataclass
class _Problem:
    """The in-process state of one problem while it is graded."""

    answers: list[str | None]
    prepared: list[_Prepared | None]
    reference: _Prepared | None
    distinct: list[str] = field(default_factory=list)  # distinct normalised answers, in order
    outcome: ProblemOutcome | None = None
    status: str = "ok"  # of the whole job: ok | timeout | error | local
    item_status: dict[int, str] = field(default_factory=dict)


def _new_problem(answers: list[str | None], reference: str | None) -> _Problem:
    prepared = [_safe_prepare(a) for a in answers]
    seen: dict[str, None] = {}
    for item in prepared:
        if item is not None and item.normalized is not None:
            seen.setdefault(item.normalized, None)
    return _Problem(answers, prepared, _safe_prepare(reference) if reference is not None else None,
                    list(seen))


def _decided_locally(problem: _Problem) -> bool:
    """All-numbers problems (and problems with nothing to parse) need no worker."""
    if problem.reference is not None and problem.reference.normalized is not None \
            and problem.reference.number is None:
        return not problem.distinct
    return all(_prepare_normalized(a).number is not None for a in problem.distinct)


@lru_cache(maxsize=65536)
def _prepare_normalized(normalized: str) -> _Prepared:
    number = parse_exact_number(strip_assignment(normalized))
    return _Prepared(normalized, quick_key(normalized), number)


def _numbers_equal(a: ExactNumber, b: ExactNumber) -> bool:
    return exact_numbers_equal(a.value, a.decimals, a.percent, b.value, b.decimals, b.percent)


def _solve_locally(problem: _Problem, cluster: bool) -> ProblemOutcome:
    numbers = [_prepare_normalized(a).number for a in problem.distinct]
    reference = problem.reference
    correct = tuple(
        reference is not None and reference.normalized is not None and (
            answer == reference.normalized or (
                number is not None and reference.number is not None and _numbers_equal(number, reference.number)))
        for answer, number in zip(problem.distinct, numbers))
    keys = tuple(_prepare_normalized(a).key for a in problem.distinct)
    merges: list[tuple[int, int]] = []
    if cluster:
        for first in range(len(numbers)):
            for second in range(first + 1, len(numbers)):
                a, b = numbers[first], numbers[second]
                if a is not None and b is not None and (keys[first] == keys[second] or _numbers_equal(a, b)):
                    merges.append((first, second))
    parsed = tuple(number is not None for number in numbers)
    return ProblemOutcome(parsed, correct, keys, tuple(merges))


def _job_of(problem: _Problem, cluster: bool) -> ProblemJob:
    reference = problem.reference.normalized if problem.reference is not None else None
    return ProblemJob(reference, tuple(problem.distinct), cluster)


def _run_jobs(problems: list[_Problem], *, cluster: bool, workers: int | None, timeout: float,
              progress: bool) -> None:
    """Fill each problem's outcome: locally where possible, else in the worker pool."""
    remote = []
    for problem in problems:
        if _decided_locally(problem):
            problem.outcome = _solve_locally(problem, cluster)
            problem.status = "local"
        else:
            remote.append(problem)
    if not remote:
        return
    with WorkerPool(workers, timeout=timeout, import_main=False) as pool:
        results = pool.map(solve_problem, [_job_of(p, cluster) for p in remote], progress=progress,
                           description="grading")
        failed = []
        for problem, result in zip(remote, results):
            if result.ok and isinstance(result.value, ProblemOutcome):
                problem.outcome = result.value
            else:
                problem.status = result.status if result.status != "ok" else "error"
                failed.append(problem)
        if failed:
            _retry_answer_by_answer(pool, failed, progress)


def _retry_answer_by_answer(pool: WorkerPool, problems: list[_Problem], progress: bool) -> None:
    """After a failed job, grade each distinct answer alone so one bad answer costs only itself."""
    jobs: list[ProblemJob] = []
    owners: list[tuple[_Problem, int]] = []
    for problem in problems:
        reference = problem.reference.normalized if problem.reference is not None else None
        for index, answer in enumerate(problem.distinct):
            jobs.append(ProblemJob(reference, (answer,), False))
            owners.append((problem, index))
    results = pool.map(solve_problem, jobs, progress=progress, description="regrading")
    per_problem: dict[int, dict[int, TaskResult]] = {}
    for (problem, index), result in zip(owners, results):
        per_problem.setdefault(id(problem), {})[index] = result
    for problem in problems:
        results_of = per_problem.get(id(problem), {})
        parsed, correct, keys = [], [], []
        for index, answer in enumerate(problem.distinct):
            result = results_of.get(index)
            if result is not None and result.ok:
                outcome: ProblemOutcome = result.value
                parsed.append(outcome.parsed[0])
                correct.append(outcome.correct[0])
                keys.append(outcome.keys[0])
            else:
                problem.item_status[index] = result.status if result is not None and result.status != "ok" else "error"
                parsed.append(False)
                correct.append(False)
                keys.append(None)
        merges = []
        first_of_key: dict[str, int] = {}
        for index, key in enumerate(keys):
            if key is not None and parsed[index]:
                if key in first_of_key:
                    merges.append((first_of_key[key], index))
                else:
                    first_of_key[key] = index
        problem.outcome = ProblemOutcome(tuple(parsed), tuple(correct), tuple(keys), tuple(merges))


def _finish(problem: _Problem) -> GroupGrade:
    """Per-sample answers, clusters, correctness and reasons from a problem's outcome."""
    outcome = problem.outcome
    assert outcome is not None
    position = {answer: index for index, answer in enumerate(problem.distinct)}
    union = UnionFind(len(problem.distinct))
    for first, second in outcome.merges:
        union.union(first, second)
    bucket_labels: list[str | None] = []
    correct: list[bool] = []
    reasons: list[str] = []
    keys: list[str | None] = []
    for prepared in problem.prepared:
        if prepared is None:
            bucket_labels.append(None)
            correct.append(False)
            reasons.append("no_answer")
            keys.append(None)
            continue
        if prepared.normalized is None:
            bucket_labels.append(prepared.key)
            correct.append(False)
            reasons.append("parse_error")
            keys.append(None)
            continue
        index = position[prepared.normalized]
        is_correct = bool(outcome.correct[index])
        status = problem.item_status.get(index, "ok")
        if outcome.parsed[index]:
            bucket_labels.append(f"c{union.find(index)}")
            keys.append(outcome.keys[index] or prepared.key)
        else:
            bucket_labels.append("u:" + prepared.normalized)
            keys.append(prepared.key)
        correct.append(is_correct)
        if is_correct:
            reasons.append("ok")
        elif status != "ok":
            reasons.append(status)
        elif not outcome.parsed[index]:
            reasons.append("parse_error")
        else:
            reasons.append("ok")
    return GroupGrade(list(problem.answers), clusters_from_buckets(bucket_labels), correct, reasons, keys)


def _grade_problems(answer_lists: Sequence[list[str | None]], references: Sequence[str | None], *,
                    cluster: bool, workers: int | None, timeout: float, progress: bool) -> list[GroupGrade]:
    problems = [_new_problem(list(answers), reference) for answers, reference in zip(answer_lists, references)]
    _run_jobs(problems, cluster=cluster, workers=workers, timeout=timeout, progress=progress)
    return [_finish(problem) for problem in problems]


def _check_lengths(groups: Sequence[Any], references: Sequence[Any]) -> None:
    if len(groups) != len(references):
        raise ValueError(f"got {len(groups)} groups of responses but {len(references)} references")


# ---------------------------------------------------------------- public functions

def grade_groups(groups: Sequence[Sequence[str]], references: Sequence[str], *, workers: int | None = None,
                 timeout: float = 5.0, progress: bool = False, style: str | None = None,
                 policy: GradingPolicy | None = None) -> list[GroupGrade]:
    """Grade and cluster all samples of each problem in one pass (the pipeline's fast path).

    `groups[i]` holds the whole responses of problem i, `references[i]` its reference answer.
    With a `policy` (a task's conventions) or a `style` ("auto", "boxed", "gsm8k") answers are
    extracted strictly with that style, so a response without a final-answer marker abstains;
    without either, `answer_of` also accepts a short bare answer.
    """
    _check_lengths(groups, references)
    if policy is not None:
        style = policy.extraction
    if style is not None:
        extract_answer("", style)  # unknown style: ValueError before any work
    answers = [answers_in(group, style) for group in groups]
    return _grade_problems(answers, [_reference_of(r) for r in references], cluster=True,
                           workers=workers, timeout=timeout, progress=progress)


def _reference_of(reference: object) -> str | None:
    """References are bare answers (possibly spanning lines, e.g. `90\\text{ square\\nunits}`),
    but a whole reference solution with a box also works."""
    answer = answer_of(reference)
    if answer is None and _is_usable_text(reference) and len(reference.strip()) <= MAX_ANSWER_CHARS:
        return reference.strip()
    return answer


def grade(responses: Sequence[str], references: Sequence[str], *, workers: int | None = None,
          timeout: float = 5.0, progress: bool = False) -> list[Verdict]:
    """Grade each response against its reference; responses sharing a reference share a job."""
    _check_lengths(responses, references)
    order: dict[object, list[int]] = {}
    for index, reference in enumerate(references):
        order.setdefault(reference if isinstance(reference, str) else ("<non-str>", index), []).append(index)
    groups = list(order.values())
    answer_lists = [[answer_of(responses[i]) for i in indices] for indices in groups]
    grades = _grade_problems(answer_lists, [_reference_of(references[indices[0]]) for indices in groups],
                             cluster=False, workers=workers, timeout=timeout, progress=progress)
    verdicts: list[Verdict | None] = [None] * len(responses)
    for indices, group_grade in zip(groups, grades):
        for slot, index in enumerate(indices):
            verdicts[index] = Verdict(group_grade.correct[slot], group_grade.answers[slot],
                                      group_grade.reasons[slot], group_grade.keys[slot])
    return [v if v is not None else Verdict(False, None, "error") for v in verdicts]


def cluster_many(groups: Sequence[Sequence[str]], *, workers: int | None = None, timeout: float = 5.0,
                 progress: bool = False) -> list[list[int]]:
    """Cluster the answers of each group of whole responses (answers found with `answer_of`)."""
    answers = [[answer_of(response) for response in group] for group in groups]
    grades = _grade_problems(answers, [None] * len(answers), cluster=True, workers=workers,
                             timeout=timeout, progress=progress)
    return [g.clusters for g in grades]


def cluster(answers: Sequence[str | None]) -> list[int]:
    """Cluster ids of already extracted answers: equal answers share an id, numbered in order of
    first appearance; `None` gives -1; unparseable answers join only identical strings."""
    cleaned = [a if isinstance(a, str) and _is_usable_text(a) else None for a in answers]
    return _grade_problems([cleaned], [None], cluster=True, workers=1, timeout=5.0, progress=False)[0].clusters


def equivalent(reference: str, answer: str, *, timeout: float = 5.0) -> bool:
    """Whether `answer` is mathematically equal to `reference` (each a bare answer, a LaTeX
    snippet or a whole response). Returns within about `timeout` seconds; never raises."""
    try:
        reference_answer, candidate = _reference_of(reference), answer_of(answer)
        if reference_answer is None or candidate is None:
            return False
        problem = _new_problem([candidate], reference_answer)
        if _decided_locally(problem):
            problem.outcome = _solve_locally(problem, False)
        else:
            result = call_with_timeout(solve_problem, _job_of(problem, False), timeout=timeout, import_main=False)
            if not result.ok:
                return False
            problem.outcome = result.value
        return _finish(problem).correct[0]
    except Exception:  # noqa: BLE001 - documented: equivalent never raises
        return False

