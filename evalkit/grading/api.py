"""Public grading API: `Grader`, `grade_groups`, `grade`, `equivalent`, `cluster`, `cluster_many`.

How the work is split (for speed and safety):

1. Find each response's answer (`extract.find_answer`): in the worker pool (`jobs.solve_extraction`, in parallel,
   each response under the time limit) for a batch of `POOLED_EXTRACTIONS` responses or more, in the calling
   process for fewer. Then, in the calling process, normalise each *distinct* answer string once
   (`normalize.normalize_answer`).
2. An answer whose canonical string equals the reference's is right, whatever happens next (a
   hostile reference cannot time out its own match). Plain numbers (most of GSM8K and MATH) are
   parsed, keyed and graded right there with exact `Fraction` arithmetic: no SymPy, no worker.
3. Every other distinct answer is one job (`jobs.solve_answer`) in the `WorkerPool`, which runs
   it in a worker process with a hard time limit *per answer*. One pool serves a `Grader` for
   its whole life (a whole grading stage).
4. Clusters (`clustering.py`): buckets by key and verdict, then pairs with equal fingerprints are
   confirmed by `jobs.solve_pair` (again one job per pair, with its own time limit).

`Grader` is the way to grade many batches with one pool; the module functions make a short-
lived one. Reasons per sample: `ok` (graded), `no_answer` (nothing extracted: the sample
abstains), `parse_error`, `timeout` (its own time limit ran out), `error` (its worker died).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

from evalkit.grading.clustering import AnswerFacts, candidate_pairs, cluster_labels
from evalkit.grading.compare import is_approximate
from evalkit.grading.extract import STATED_OUTRIGHT, Extraction, find_answer, without_lone_surrogates
from evalkit.grading.jobs import (AnswerJob, AnswerOutcome, ExtractionJob, PairJob, is_plain_number, solve_answer,
                                  solve_extraction, solve_pair)
from evalkit.grading.measures import (Measure, angle_in_asked_unit, answer_measure, asked_measures, degrees_asked,
                                      in_asked_unit, radians_in_degrees, value_and_unit)
from evalkit.grading.normalize import MAX_ANSWER_CHARS, NormalizationError, log_read_like_reference, normalize_answer
from evalkit.grading.numbers import mixed_number_with_and
from evalkit.grading.policy import DEFAULT_POLICY, EXTRACTION_STYLES, GradingPolicy
from evalkit.grading.pool import TaskResult, WorkerPool
from evalkit.grading.question import (QuestionReading, asked_expressions, asked_quantity, asks_for_a_comma_list,
                                      asks_for_a_mixed_number, math_names)
from evalkit.grading.units import named_in_question, question_words

REASONS = ("ok", "no_answer", "parse_error", "timeout", "error")
POOLED_EXTRACTIONS = 64
"""Responses from which `Grader` searches answers in its worker pool rather than in the calling process."""


@dataclass(frozen=True)
class Verdict:
    """The grade of one response, with what is needed to explain it (`explain`)."""

    correct: bool
    answer: str | None
    reason: str
    key: str | None = None
    method: str | None = None
    rule: str | None = None
    canonical: str | None = None
    answer_value: str | None = None
    reference: str | None = None
    reference_value: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def explain(self) -> str:
        """Why this verdict: the extracted answer, the typed values and the deciding rule."""
        lines = [f"verdict:   {'correct' if self.correct else 'wrong'} ({self.reason})"]
        if self.answer is None:
            lines.append(f"answer:    none found{f' ({self.note})' if self.note else ''}")
        else:
            lines.append(f"answer:    {self.answer!r} (found by: {self.method or 'given'})")
            lines.append(f"canonical: {self.canonical!r}")
            lines.append(f"value:     {self.answer_value or 'not parsed'}")
        lines.append(f"reference: {self.reference!r}")
        lines.append(f"ref value: {self.reference_value or 'not parsed'}")
        lines.append(f"rule:      {self.rule or 'none'}")
        return "\n".join(lines)


@dataclass(frozen=True)
class GroupGrade:
    """Grades and answer clusters of all samples of one problem (lists in sample order)."""

    answers: list[str | None]
    clusters: list[int]
    correct: list[bool]
    reasons: list[str]
    keys: list[str | None] = field(default_factory=list)
    methods: list[str | None] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- preparation (in-process)

def _usable(text: object) -> bool:
    return isinstance(text, str) and bool(text.strip()) and "\x00" not in text


def reference_answer(reference: object) -> str | None:
    """The answer a reference states: its box or answer line when it is a solution, else the
    whole text (references are bare answers, possibly spanning lines: `90\\text{ square\\nunits}`)."""
    if not _usable(reference):
        return None
    stripped = without_lone_surrogates(reference).strip()
    unclosed = re.match(r"\\{1,2}boxed\{", stripped)
    if unclosed and stripped.count("{") == stripped.count("}") + 1:
        stripped = stripped[unclosed.end():]  # a reference whose box was never closed
    found = find_answer(stripped)
    if found.method in STATED_OUTRIGHT:
        return found.answer
    if len(stripped) <= MAX_ANSWER_CHARS:
        return stripped
    return found.answer


@lru_cache(maxsize=65536)
def _canonical(answer: str, policy: GradingPolicy, comma_list: bool = False) -> str | None:
    try:
        canonical = normalize_answer(answer, policy, comma_list=comma_list)
    except NormalizationError:
        return None
    return canonical or None


@dataclass(frozen=True)
class _AnswerContext:
    """What a problem's reference and question say about reading its answers (beyond `QuestionReading`, which
    the comparison reads): the nouns the question uses, the units it asks in, the expressions it asks the
    value of, the reference's canonical string and the names the question's math uses."""

    policy: GradingPolicy
    question_words: frozenset[str] = frozenset()
    asked_units: tuple[Measure, ...] = ()
    asked_expressions: frozenset[str] = frozenset()
    reference_canonical: str | None = None
    math_names: frozenset[str] = frozenset()
    angle_in_degrees: bool = False
    comma_list: bool = False
    mixed_number: bool = False

    @classmethod
    def of(cls, reference: str | None, question: str | None, policy: GradingPolicy) -> _AnswerContext:
        expressions = asked_expressions(question) if question else ()
        comma_list = question is not None and asks_for_a_comma_list(question)
        return cls(policy, question_words(question), asked_measures(reference, question),
                   frozenset(filter(None, (_canonical(expression, policy) for expression in expressions))),
                   _canonical(reference, policy, comma_list) if reference is not None else None,
                   math_names(question) if question else frozenset(), degrees_asked(reference, question), comma_list,
                   question is not None and asks_for_a_mixed_number(question))


    def restated(self) -> frozenset[str]:
        """The expressions the question asks to work out or to write in another form, other than names (`99^2+99+1`,
        `\\sqrt{242}`, `\\dbinom{31}{28}`, `0.\\overline{3}`; not `x`, `f(2)`): an answer written as one of them,
        unless the reference is written so too, restates the question, whatever its value."""
        return frozenset(expression for expression in self.asked_expressions
                         if expression != self.reference_canonical
                         and not re.fullmatch(r"\\?[A-Za-z]+(?:_\{?\w+\}?)?(?:\([^()]*\))?", expression))


RESTATED_RULE = "restates the expression the question asks to work out"
_CONGRUENCE = re.compile(r"[^\\]*\\equiv(-?\d+)(?:\\pmod\{\d+\})?")
"""A congruence with an integer residue, as normalize writes it (`N\\equiv321\\pmod{1000}`, `N=885735\\equiv735`)."""


def _answer_canonical(answer: str, context: _AnswerContext) -> str | None:
    """An answer's canonical string as its problem reads it, None when it cannot be normalised:
    - a number followed by nouns of the question the unit list does not hold (`18 \\text{ vacuum cleaners}`)
      is the number (`units.named_in_question`);
    - a number in another unit of the kind asked is converted into it (`measures.py`: `100 \\text{ kpc}` for
      parsecs is 100000), also when the unit is a symbol not set as text (`361 pm`, `5.89 \\times 10^{-7} m`),
      which is read as a unit only where the question asks for a unit of its kind;
    - an equation that gives the value of the expression the question asks for is that value (`a+b=0` for
      `find $a + b$`);
    - `\\log` without a base is `\\ln` against a reference in natural logarithms (`log_read_like_reference`);
    - a congruence is its residue against an integer reference (`N \\equiv 321 \\pmod{1000}` for 321);
    - an angle that names radians is read in degrees where the problem's angles are in degrees, and an angle written
      in both units (`30^\\circ = \\frac{\\pi}{6}`) is its side in the problem's unit (`measures.py`);
    - a mixed number written with `and` is one number where the question asks for a mixed number
      (`137 \\text{ and } \\frac{1}{2}`)."""
    answer = angle_in_asked_unit(answer, context.angle_in_degrees) or answer  # `30^\circ = \frac{\pi}{6}`
    if context.mixed_number and (mixed := mixed_number_with_and(answer)) is not None:
        answer = "{} \\frac{{{}}}{{{}}}".format(*mixed)  # `137 \text{ and } \frac{1}{2}` where a mixed number is asked
    canonical = _canonical(answer, context.policy, context.comma_list)
    if (canonical is None or not is_plain_number(canonical)) \
            and (number := named_in_question(answer, context.question_words)) is not None:
        canonical = _canonical(number, context.policy, context.comma_list)
    if canonical is None:
        return None
    if context.asked_units:
        given = answer_measure(answer)
        bare = _value_with_bare_unit(canonical, context)
        if bare is not None:
            canonical, given = bare
        if given is not None:
            canonical = in_asked_unit(canonical, given, context.asked_units) or canonical
    if context.angle_in_degrees:
        canonical = radians_in_degrees(answer, canonical)  # `76 \text{ radians}` for 76 degrees is not 76
    residue = _CONGRUENCE.fullmatch(canonical)
    if residue is not None and context.reference_canonical is not None \
            and re.fullmatch(r"-?\d+", context.reference_canonical.lstrip("0") or "0"):
        canonical = residue.group(1)  # `N \equiv 321 \pmod{1000}` answers "find the remainder": 321
    if context.asked_expressions and canonical.count("=") == 1:
        left, right = canonical.split("=")
        if left in context.asked_expressions and right and not re.search(r"[<>]|\\[lg]e", right):
            canonical = right
    return log_read_like_reference(canonical, context.reference_canonical)


def _value_with_bare_unit(canonical: str, context: _AnswerContext) -> tuple[str, Measure] | None:
    """`361 pm`, `5.89 \\times 10^{-7} m`: the canonical number and the unit of an answer that ends in a unit symbol
    not set as text, where that symbol is a unit: the question asks for a unit of its kind, the reference is a
    number and the question's math does not use the symbol as a name (`a mass $m$`); else None."""
    if is_plain_number(canonical) or context.reference_canonical is None \
            or not is_plain_number(context.reference_canonical):
        return None
    split = value_and_unit(canonical)
    if split is None or set(re.findall(r"[A-Za-z]+", split[1])) & context.math_names \
            or not any(measure.kind == split[2].kind for measure in context.asked_units):
        return None
    value = _canonical(split[0], context.policy)
    return None if value is None else (value, split[2])


@dataclass
class _Problem:
    """One problem while it is graded: its extractions, canonical strings and outcomes."""

    extractions: list[Extraction]
    reference: str | None
    reference_canonical: str | None
    canonicals: list[str | None]
    distinct: list[str] = field(default_factory=list)
    outcomes: dict[str, AnswerOutcome] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    confirmed: list[tuple[int, int]] = field(default_factory=list)
    reading: QuestionReading = QuestionReading()
    """What the question says about reading the reference (`GradingPolicy.read_question`)."""
    restated: frozenset[str] = frozenset()
    """The canonical strings of the expressions the question asks to work out (`Compute $99^2+99+1$.`): such an
    answer only restates the question (`_AnswerContext.restated`)."""


def _extraction_jobs(responses: Sequence[object], style: str, finish_reasons: Sequence[str | None] | None,
                     question: object = None) -> list[ExtractionJob]:
    """What to search in each response of one problem (`Grader._extract` does it)."""
    asked = asked_quantity(question) if isinstance(question, str) else None
    jobs = []
    for index, response in enumerate(responses):
        finish_reason = finish_reasons[index] if finish_reasons is not None and index < len(finish_reasons) else None
        jobs.append(ExtractionJob(response, style, ended_normally=finish_reason == "stop",
                                  cut_off=finish_reason == "length", asked=asked))
    return jobs


def _new_problem(extractions: list[Extraction], reference: str | None, policy: GradingPolicy,
                 question: object = None) -> _Problem:
    question_text = question if isinstance(question, str) else None
    context = _AnswerContext.of(reference, question_text, policy)
    canonicals = [_answer_canonical(e.answer, context) if e.answer is not None and _usable(e.answer) else None
                  for e in extractions]
    distinct = list(dict.fromkeys(c for c in canonicals if c is not None))
    return _Problem(extractions, reference, context.reference_canonical, canonicals, distinct,
                    reading=policy.read_question(question_text), restated=context.restated())


# ---------------------------------------------------------------- the grader

class Grader:
    """Grades and clusters answers with one worker pool for its whole life.

    `policy` holds the task's conventions; `workers` (default: all CPU cores; 0 grades in this
    process without time limits, for debugging) and `timeout` (seconds per answer) size the pool.
    Use as a context manager, or call `close`.
    """

    def __init__(self, policy: GradingPolicy = DEFAULT_POLICY, *, workers: int | None = None,
                 timeout: float = 5.0) -> None:
        if not isinstance(policy, GradingPolicy):
            raise TypeError(f"policy must be a GradingPolicy, got {type(policy).__name__}")
        if workers is not None and workers < 0:
            raise ValueError(f"workers must be >= 0 or None, got {workers}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.policy = policy
        self.workers = workers
        self.timeout = timeout
        self._pool: WorkerPool | None = None

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _extract(self, problems_jobs: list[list[ExtractionJob]], progress: bool) -> list[list[Extraction]]:
        """The answer of every response, per problem. Searched in the worker pool (in parallel, each under the time
        limit) once there are `POOLED_EXTRACTIONS` responses or the pool is running; fewer are searched here, where
        starting the pool would cost more than the search. A search that fails or runs past the limit finds none."""
        flat = [job for jobs in problems_jobs for job in jobs]
        if self.workers == 0 or (self._pool is None and len(flat) < POOLED_EXTRACTIONS):
            found = [solve_extraction(job) for job in flat]
        else:
            found = [result.value if result.ok and isinstance(result.value, Extraction) else
                     Extraction(None, None, f"the search for the answer failed ({result.status}: "
                                            f"{result.error or 'past the time limit'})")
                     for result in self._map(solve_extraction, flat, progress, "finding answers")]
        per_problem, start = [], 0
        for jobs in problems_jobs:
            per_problem.append(found[start:start + len(jobs)])
            start += len(jobs)
        return per_problem

    def _map(self, fn, items: list, progress: bool, description: str) -> list[TaskResult]:
        if not items:
            return []
        if self._pool is None:
            self._pool = WorkerPool(self.workers, timeout=self.timeout, import_main=False)
        return self._pool.map(fn, items, progress=progress, description=description)

    # ------------------------------------------------------------ public methods

    def grade_groups(self, groups: Sequence[Sequence[object]], references: Sequence[object], *,
                     questions: Sequence[object] | None = None,
                     finish_reasons: Sequence[Sequence[str | None] | None] | None = None,
                     progress: bool = False) -> list[GroupGrade]:
        """Grade and cluster all samples of each problem (the pipeline's path).

        `groups[i]` holds the whole responses of problem i and `references[i]` its reference
        answer; `questions[i]`, when given, its question (whether a decimal reference was
        rounded: `GradingPolicy.decimal_references`); `finish_reasons[i]`, when given, says which
        responses were cut at `max_tokens`.
        """
        _check_lengths(groups, references, questions)
        style = self.policy.extraction
        jobs = [_extraction_jobs(list(group), style, finish_reasons[index] if finish_reasons is not None else None,
                                 questions[index] if questions is not None else None)
                for index, group in enumerate(groups)]
        problems = [_new_problem(found, reference_answer(reference), self.policy,
                                 questions[index] if questions is not None else None)
                    for index, (found, reference) in enumerate(zip(self._extract(jobs, progress), references))]
        self._solve(problems, progress)
        return [_group_grade(problem) for problem in problems]

    def grade(self, responses: Sequence[object], references: Sequence[object], *,
              questions: Sequence[object] | None = None, finish_reasons: Sequence[str | None] | None = None,
              progress: bool = False) -> list[Verdict]:
        """Grade each response against its reference (and its problem's question, when given; `finish_reasons[i]`,
        when given, says whether response i was cut at `max_tokens`); responses sharing a reference and a question
        share a problem."""
        _check_lengths(responses, references, questions)
        if finish_reasons is not None and len(finish_reasons) != len(responses):
            raise ValueError(f"{len(finish_reasons)} finish reasons for {len(responses)} responses")
        order: dict[object, list[int]] = {}
        for index, reference in enumerate(references):
            question = questions[index] if questions is not None else None
            key = (reference, question) if isinstance(reference, str) and isinstance(question, (str, type(None))) \
                else ("<non-str>", index)
            order.setdefault(key, []).append(index)
        style = self.policy.extraction
        groups = list(order.values())
        jobs = [_extraction_jobs([responses[i] for i in indices], style,
                                 [finish_reasons[i] for i in indices] if finish_reasons is not None else None,
                                 questions[indices[0]] if questions is not None else None) for indices in groups]
        problems = [_new_problem(found, reference_answer(references[indices[0]]), self.policy,
                                 questions[indices[0]] if questions is not None else None)
                    for indices, found in zip(groups, self._extract(jobs, progress))]
        self._solve(problems, progress, cluster=False)
        verdicts: list[Verdict | None] = [None] * len(responses)
        for indices, problem in zip(groups, problems):
            for slot, index in enumerate(indices):
                verdicts[index] = _verdict(problem, slot)
        return [v if v is not None else Verdict(False, None, "error") for v in verdicts]

    def cluster_groups(self, groups: Sequence[Sequence[object]], *, progress: bool = False,
                       extracted: bool = False) -> list[list[int]]:
        """Cluster labels of the answers of each group of responses (no reference); with
        `extracted=True` the strings are answers already, not responses to search."""
        if extracted:
            found_per_group = [[Extraction(without_lone_surrogates(a), "given") if _usable(a) else Extraction(None)
                                for a in group] for group in groups]
        else:
            found_per_group = self._extract([_extraction_jobs(list(group), self.policy.extraction, None)
                                             for group in groups], progress)
        problems = [_new_problem(found, None, self.policy) for found in found_per_group]
        self._solve(problems, progress)
        return [_group_grade(problem).clusters for problem in problems]

    # ------------------------------------------------------------ the work

    def _solve(self, problems: list[_Problem], progress: bool, *, cluster: bool = True) -> None:
        jobs: dict[AnswerJob, list[tuple[_Problem, str]]] = {}
        for problem in problems:
            plain_reference = problem.reference_canonical is None or is_plain_number(problem.reference_canonical)
            for canonical in problem.distinct:
                job = AnswerJob(problem.reference_canonical, canonical, self.policy, fingerprint=cluster,
                                reading=problem.reading)
                if plain_reference and is_plain_number(canonical):
                    problem.outcomes[canonical] = solve_answer(job)
                else:
                    jobs.setdefault(job, []).append((problem, canonical))
        pending = list(jobs)
        for job, result in zip(pending, self._map(solve_answer, pending, progress, "grading")):
            for problem, canonical in jobs[job]:
                if result.ok and isinstance(result.value, AnswerOutcome):
                    problem.outcomes[canonical] = result.value
                else:
                    problem.failures[canonical] = result.status if result.status != "ok" else "error"
        for problem in problems:
            for canonical in problem.restated & set(problem.outcomes):
                if problem.outcomes[canonical].correct:  # `Compute $99^2+99+1$.` is not answered by `99^2+99+1`
                    problem.outcomes[canonical] = replace(problem.outcomes[canonical], correct=False,
                                                          rule=RESTATED_RULE)
        if cluster:
            self._confirm_pairs(problems, progress)

    def _confirm_pairs(self, problems: list[_Problem], progress: bool) -> None:
        pair_jobs: dict[PairJob, list[tuple[_Problem, tuple[int, int]]]] = {}
        for problem in problems:
            facts = _facts(problem)
            for first, second in candidate_pairs(facts):
                a, b = problem.distinct[first], problem.distinct[second]
                if is_plain_number(a) and is_plain_number(b):
                    continue  # plain numbers with different keys are different numbers
                pair_jobs.setdefault(PairJob(a, b), []).append((problem, (first, second)))
        pending = list(pair_jobs)
        for job, result in zip(pending, self._map(solve_pair, pending, progress, "clustering")):
            if result.ok and result.value is True:
                for problem, pair in pair_jobs[job]:
                    problem.confirmed.append(pair)


def _facts(problem: _Problem) -> list[AnswerFacts]:
    facts = []
    for canonical in problem.distinct:
        outcome = problem.outcomes.get(canonical)
        same = problem.reference_canonical is not None and canonical == problem.reference_canonical
        if outcome is None:
            facts.append(AnswerFacts(canonical, False, None, None, same, equals_the_reference=same))
        else:
            facts.append(AnswerFacts(canonical, outcome.parsed, outcome.key, outcome.fingerprint, outcome.correct,
                                     equals_the_reference=outcome.correct and not is_approximate(outcome.rule)))
    return facts


def _sample_state(problem: _Problem, slot: int) -> tuple[bool, str, AnswerOutcome | None]:
    """(correct, reason, outcome) of one sample."""
    extraction = problem.extractions[slot]
    canonical = problem.canonicals[slot]
    if extraction.answer is None:
        return False, "no_answer", None
    if canonical is None:
        return False, "parse_error", None
    same = problem.reference_canonical is not None and canonical == problem.reference_canonical
    outcome = problem.outcomes.get(canonical)
    if outcome is None:
        return same, "ok" if same else problem.failures.get(canonical, "error"), None
    correct = outcome.correct or same
    if correct or outcome.parsed:
        return correct, "ok", outcome
    return False, "parse_error", outcome


def _group_grade(problem: _Problem) -> GroupGrade:
    position = {canonical: index for index, canonical in enumerate(problem.distinct)}
    sample_answers = [None if e.answer is None else position[c] if c is not None else e.answer
                      for e, c in zip(problem.extractions, problem.canonicals)]
    states = [_sample_state(problem, slot) for slot in range(len(problem.extractions))]
    clusters = cluster_labels(_facts(problem), problem.confirmed, sample_answers)
    return GroupGrade(
        answers=[e.answer for e in problem.extractions], clusters=clusters,
        correct=[state[0] for state in states], reasons=[state[1] for state in states],
        keys=[state[2].key if state[2] is not None else None for state in states],
        methods=[e.method for e in problem.extractions])


def _verdict(problem: _Problem, slot: int) -> Verdict:
    extraction = problem.extractions[slot]
    correct, reason, outcome = _sample_state(problem, slot)
    canonical = problem.canonicals[slot]
    rule = outcome.rule if outcome is not None else (
        "same canonical string" if correct else None)
    reference_value = outcome.reference_value if outcome is not None else None
    return Verdict(correct, extraction.answer, reason, outcome.key if outcome is not None else None,
                   extraction.method, rule, canonical, outcome.answer_value if outcome is not None else None,
                   problem.reference, reference_value, extraction.note)


def _check_lengths(groups: Sequence[Any], references: Sequence[Any], questions: Sequence[object] | None) -> None:
    """One reference (and one question, when questions are given) per problem."""
    if len(groups) != len(references):
        raise ValueError(f"got {len(groups)} groups of responses but {len(references)} references")
    if questions is not None and len(questions) != len(groups):
        raise ValueError(f"{len(questions)} questions for {len(groups)} problems")


def _policy_for(style: str | None, policy: GradingPolicy | None) -> GradingPolicy:
    if policy is not None:
        return policy
    if style is not None:
        if style not in EXTRACTION_STYLES:
            raise ValueError(f"unknown extraction style {style!r}; choose one of {', '.join(EXTRACTION_STYLES)}")
        return GradingPolicy(extraction=style)
    return DEFAULT_POLICY


# ---------------------------------------------------------------- module functions

def grade_groups(groups: Sequence[Sequence[object]], references: Sequence[object], *, workers: int | None = None,
                 timeout: float = 5.0, progress: bool = False, style: str | None = None,
                 policy: GradingPolicy | None = None, questions: Sequence[object] | None = None,
                 finish_reasons: Sequence[Sequence[str | None] | None] | None = None) -> list[GroupGrade]:
    """`Grader.grade_groups` with a short-lived grader (`style` is a shorthand for a policy)."""
    with Grader(_policy_for(style, policy), workers=workers, timeout=timeout) as grader:
        return grader.grade_groups(groups, references, questions=questions, finish_reasons=finish_reasons,
                                   progress=progress)


def grade(responses: Sequence[object], references: Sequence[object], *, workers: int | None = None,
          timeout: float = 5.0, progress: bool = False, policy: GradingPolicy | None = None,
          questions: Sequence[object] | None = None, finish_reasons: Sequence[str | None] | None = None) -> list[Verdict]:
    """Grade each response (or bare answer) against its reference (in the problem asking
    `questions[i]`, when given: see `GradingPolicy.decimal_references`; `finish_reasons[i]` "length" when
    response i was cut at `max_tokens`, "stop" when the model ended it)."""
    with Grader(_policy_for(None, policy), workers=workers, timeout=timeout) as grader:
        return grader.grade(responses, references, questions=questions, finish_reasons=finish_reasons,
                            progress=progress)


def cluster_many(groups: Sequence[Sequence[object]], *, workers: int | None = None, timeout: float = 5.0,
                 progress: bool = False, policy: GradingPolicy | None = None) -> list[list[int]]:
    """Cluster the answers of each group of whole responses."""
    with Grader(_policy_for(None, policy), workers=workers, timeout=timeout) as grader:
        return grader.cluster_groups(groups, progress=progress)


def cluster(answers: Sequence[str | None], *, policy: GradingPolicy | None = None) -> list[int]:
    """Cluster ids of extracted answers: equal answers share an id, numbered in order of first
    appearance; `None` gives -1; answers that cannot be parsed join only identical strings."""
    with Grader(_policy_for(None, policy), workers=1) as grader:
        return grader.cluster_groups([list(answers)], extracted=True)[0]


def explain(reference: str, response: str, *, timeout: float = 5.0, policy: GradingPolicy | None = None,
            question: str | None = None) -> Verdict:
    """The verdict of one response with everything `Verdict.explain` prints."""
    return grade([response], [reference], workers=1, timeout=timeout, policy=policy, questions=[question])[0]


def equivalent(reference: str, answer: str, *, timeout: float = 5.0, policy: GradingPolicy | None = None,
               question: str | None = None) -> bool:
    """Whether `answer` is right for `reference` (each a bare answer, a LaTeX snippet or a whole
    response), in the problem asking `question` when it is given (a decimal reference of a question
    that asks for no rounding is exact: `GradingPolicy.decimal_references`). Returns within about
    `timeout` seconds; never raises."""
    try:
        return explain(reference, answer, timeout=timeout, policy=policy, question=question).correct
    except Exception:  # noqa: BLE001 - documented: equivalent never raises
        return False
