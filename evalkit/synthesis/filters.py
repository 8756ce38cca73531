"""Step 6: keep only usable, new, uncontaminated and self-consistent exercises.

The filters run in this order, each on what the previous ones kept, and each removed record
says which filter removed it and why (`removed`, `detail`, and for contamination `matched`):

- well-formed: the answer parsed into problem / solution with a `\\boxed{}` answer;
- length: problem and solution within configured character bounds;
- decontamination (`ContaminationIndex`): word 13-grams (by default) of the problem and the
  solution against the 13-grams of the question and the reference solution of every test
  problem of every benchmark evalkit has (the task registry, `tasks.TASKS`, so a new task is
  covered as soon as it is registered). Texts are normalised first (lower case; punctuation,
  `$`, `\\` and braces are separators). A benchmark question shorter than n words (594 of
  MATH's 5000, e.g. "Evaluate $\\log_264$.") is matched as a whole word sequence instead, when
  it has at least `MIN_SHORT_WORDS` words. Every matched benchmark id is recorded;
- near-duplicates (`near_duplicates`): two problems are near-duplicates when they state the
  same numbers and formulas and the Jaccard of their word shingles reaches the threshold, the
  shingles sized to the shorter problem (`shingle_size`: one word per ten, 1 to 5 at 0.8), so
  that one word changed in a short problem is caught; `datasketch` MinHash LSH finds the
  candidates (bands chosen so that a pair at the threshold collides with probability >= 0.99),
  each confirmed on the exact measure; the first of a group is kept;
- written computations (`computation_errors`): every `a op b = c` between plain numbers that a
  solution writes is recomputed in exact arithmetic; a solution with a wrong one goes;
- answer consistency (`consistency_verdicts`): a model solves each remaining problem several
  times (`evalkit.synthesis.pipeline` asks it, through the cache); evalkit's grader
  (`evalkit.grading.grade_groups`) compares each answer with the written solution's boxed
  answer, and a problem is kept when at least `min_agreement` of the solutions agree.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import InputError
from evalkit.jsonl import iter_jsonl, write_jsonl
from evalkit.progress import make_progress

_NON_WORD = re.compile(r"[^0-9a-z]+")

MIN_SHORT_WORDS = 3
"""A benchmark question shorter than the n-gram size is matched whole only from this many words."""

MAX_MATCHED_IDS = 20
"""At most this many matched benchmark ids are listed per removed record (the count is exact)."""

FILTERS: tuple[str, ...] = ("malformed", "length", "contaminated", "duplicate", "miscalculated", "inconsistent")
"""The filters, in the order they run; `removed_<name>` counts are reported for each."""

REMOVAL_COUNT_KEYS: dict[str, str] = {
    "malformed": "removed_malformed", "length": "removed_length", "contaminated": "removed_contaminated",
    "duplicate": "removed_duplicates", "miscalculated": "removed_miscalculated",
    "inconsistent": "removed_inconsistent",
}


def normalized_words(text: str) -> list[str]:
    """Lower-case words and numbers of a text; punctuation, `$`, `\\` and braces are separators."""
    return _NON_WORD.sub(" ", text.lower()).split()


def word_ngrams(words: Sequence[str], n: int) -> Iterable[tuple[str, ...]]:
    """All contiguous n-word windows."""
    return (tuple(words[i:i + n]) for i in range(len(words) - n + 1))


# --------------------------------------------------------------------------- decontamination

@dataclass(frozen=True)
class BenchmarkText:
    """One benchmark test problem to protect: its task, id, question and reference solution."""

    benchmark: str
    id: str
    text: str
    solution: str = ""

    @property
    def label(self) -> str:
        return f"{self.benchmark}:{self.id}"


class ContaminationIndex:
    """The word n-grams of benchmark texts, for fast look-ups of a candidate's n-grams.

    N-grams are stored as 64-bit hashes in one sorted numpy array (with the benchmark text each
    came from), so the MATH, GSM8K and MATH-500 test sets with their solutions (about 1.3M
    n-grams) take about 20 MB. Hashes are Python's, valid within one process, which is all an
    index lives for. Two different n-grams sharing a 64-bit hash is possible but has a chance
    of about 1e-7 per run at this size.
    """

    def __init__(self, texts: Iterable[BenchmarkText], n: int = 13) -> None:
        if n < 1:
            raise ValueError(f"n-gram size must be >= 1, got {n}")
        self.n = n
        self.labels: list[str] = []
        self.per_benchmark: Counter[str] = Counter()
        hashes: list[int] = []
        owners: list[int] = []
        short: dict[int, dict[int, set[int]]] = {}
        for item in texts:
            owner = len(self.labels)
            self.labels.append(item.label)
            self.per_benchmark[item.benchmark] += 1
            question = normalized_words(item.text)
            if len(question) < n:
                if len(question) >= MIN_SHORT_WORDS:
                    short.setdefault(len(question), {}).setdefault(hash(tuple(question)), set()).add(owner)
            for words in (question, normalized_words(item.solution)):
                for gram in word_ngrams(words, n):
                    hashes.append(hash(gram))
                    owners.append(owner)
        order = np.argsort(np.asarray(hashes, dtype=np.int64), kind="stable")
        self._hashes = np.asarray(hashes, dtype=np.int64)[order]
        self._owners = np.asarray(owners, dtype=np.int64)[order]
        self._short = short

    @property
    def size(self) -> int:
        """How many benchmark problems the index protects."""
        return len(self.labels)

    def matches(self, *texts: str) -> list[str]:
        """Every benchmark problem (`task:id`, in index order) that shares an n-gram with any of `texts`."""
        owners: set[int] = set()
        for text in texts:
            words = normalized_words(text)
            if len(words) >= self.n and len(self._hashes):
                query = np.fromiter((hash(gram) for gram in word_ngrams(words, self.n)), dtype=np.int64)
                left = np.searchsorted(self._hashes, query, side="left")
                right = np.searchsorted(self._hashes, query, side="right")
                for start, stop in zip(left[left < right], right[left < right]):
                    owners.update(self._owners[start:stop].tolist())
            for length, grams in self._short.items():
                for gram in word_ngrams(words, length):
                    owners.update(grams.get(hash(gram), ()))
        return [self.labels[owner] for owner in sorted(owners)]

    def match(self, *texts: str) -> str | None:
        """The first benchmark problem that `texts` overlap, or None."""
        found = self.matches(*texts)
        return found[0] if found else None


@dataclass(frozen=True)
class BenchmarkSet:
    """The benchmark test problems found, and the registered tasks whose test data was not."""

    texts: list[BenchmarkText]
    checked: dict[str, int]
    unavailable: dict[str, str]


def _load_test_split(task, data_dirs: Sequence[str | Path]):
    """The task's test problems from the first data directory that has them (then the default
    one, then the copy shipped with evalkit), or None when none has them."""
    for data_dir in [*data_dirs, None]:
        try:
            return task.load("test", data_dir=data_dir)
        except InputError as error:
            if "not found" not in str(error):
                raise
    return None


def searched_directories(data_dirs: Sequence[str | Path]) -> str:
    """The data directories a test split is looked for in, for a message: the given ones, then the
    default one ($EVALKIT_DATA_DIR, else ./data) when it exists or nothing else was given."""
    from tasks.data import resolve_data_dir

    found = [str(directory) for directory in data_dirs]
    default = resolve_data_dir(None)
    if default.is_dir() or not found:
        found.append(str(default))
    unique = list(dict.fromkeys(found))
    return unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} or {unique[-1]}"


def benchmark_set(names: Sequence[str] | str = "all", data_dirs: Sequence[str | Path] = ()) -> BenchmarkSet:
    """The test problems (question and reference solution) of the named tasks, or of every
    registered task with a test split (`"all"`).

    Each task's data is looked for in `data_dirs` in order, then where tasks look by default
    ($EVALKIT_DATA_DIR, ./data, the test sets shipped with evalkit). With `"all"`, a task whose
    test data is found nowhere is listed in `unavailable` with the reason (`no data in DIR`), so
    a report can say what was not checked; a task named explicitly must be found.
    """
    import tasks

    explicit = names != "all"
    wanted = list(names) if explicit else [name for name, task in tasks.TASKS.items() if "test" in task.splits]
    texts: list[BenchmarkText] = []
    checked: dict[str, int] = {}
    unavailable: dict[str, str] = {}
    for name in wanted:
        task = tasks.get_task(name)
        try:
            problems = _load_test_split(task, data_dirs)
        except InputError as error:
            if explicit:
                raise
            unavailable[name] = str(error)
            continue
        if problems is None:
            where = searched_directories(data_dirs)
            if explicit:
                raise InputError(f"the test data of {name} was not found in {where}; " + (
                    task.data_hint or "give a data directory laid out like shared/data (math/test.jsonl, ...)"))
            unavailable[name] = f"no data in {where}"
            continue
        checked[name] = len(problems)
        texts.extend(BenchmarkText(benchmark=name, id=problem.id, text=problem.question,
                                   solution=problem.solution or "") for problem in problems)
    return BenchmarkSet(texts=texts, checked=checked, unavailable=unavailable)


def benchmark_texts(names: Sequence[str], data_dir: str | Path | None = None) -> list[BenchmarkText]:
    """The test problems of the named evalkit tasks (`gsm8k`, `math`, ...), from one data directory."""
    return benchmark_set(list(names), [data_dir] if data_dir is not None else []).texts


# --------------------------------------------------------------------------- near-duplicates

NUMBER_WORDS = frozenset((
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion half halves third thirds quarter quarters fourth fourths fifth fifths sixth sixths seventh eighth "
    "ninth tenth twice thrice double triple dozen dozens").split())
"""Words that state a quantity: a problem's numbers include them (`problem_numbers`)."""


_PROBLEM_TOKEN = re.compile(r"[0-9a-z]+|[-+*/=<>^!|()]")
"""What the near-duplicate rule reads of a problem: words and numbers, and the operators, brackets and
relations of its mathematics (`normalized_words` drops them: `x - y = 6` and `x + y = 6` differ here)."""

_FORMULA = re.compile(r"\$\$.+?\$\$|\$(?=[^\s$])(?:[^$\\]|\\.)*?(?<=[^\s\\])\$(?!\d)|\\\[.*?\\\]|\\\(.*?\\\)",
                      re.DOTALL)
"""A formula: `$...$` (as pandoc reads it, so "$5 and $3" is money, not a formula), `$$...$$`, `\\[...\\]`, `\\(...\\)`."""


def problem_tokens(text: str) -> list[str]:
    """The lower-cased words, numbers and operator symbols of a problem, in order."""
    return _PROBLEM_TOKEN.findall(text.lower())


def problem_numbers(tokens: Sequence[str]) -> list[str]:
    """The numbers among `tokens`, in order: every token with a digit, and the `NUMBER_WORDS`
    ("three", "half", "twice")."""
    return [token for token in tokens if token in NUMBER_WORDS or any(c.isdigit() for c in token)]


def problem_mathematics(text: str) -> tuple[str, ...]:
    """What a problem states in numbers and formulas, in order: the numbers of its prose, and every
    token of its formulas (`Find $a$` and `Find $b$` differ here, `$4^{a}=5$` and `$4^a = 5$` do not)."""
    found: list[str] = []
    position = 0
    for formula in _FORMULA.finditer(text):
        found += problem_numbers(problem_tokens(text[position:formula.start()]))
        found += problem_tokens(formula.group())
        position = formula.end()
    return tuple(found + problem_numbers(problem_tokens(text[position:])))


def shingle_size(words: int, threshold: float, largest: int) -> int:
    """The shingle size, in words, for comparing problems the shorter of which has `words` words:
    the largest, up to `largest`, at which one word changed anywhere keeps the pair at `threshold`.
    A word changed in the middle of n words breaks k shingles of each text, for a Jaccard of
    (n + 1 - 2k) / (n + 1); k <= (1 - threshold) * n / 2 keeps that at the threshold with a word to
    spare (for a shingle that repeats), and k is at least 1 (very short problems are compared as
    sets of words). At threshold 0.8 and largest 5: 1 word up to 19 words, 2 for 20-29, 3 for 30-39,
    4 for 40-49, then 5."""
    return max(1, min(largest, math.floor((1 - threshold) * words / 2 + 1e-9)))


def shingles(tokens: Sequence[str], size: int) -> set[str]:
    """The set of `size`-token shingles of a problem's tokens (the whole problem when it is shorter)."""
    if len(tokens) <= size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(gram) for gram in word_ngrams(tokens, size)}


def jaccard(first: set[str], second: set[str]) -> float:
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)


@dataclass(frozen=True)
class ProblemText:
    """A problem as the near-duplicate rule reads it: its tokens, and its mathematics."""

    tokens: tuple[str, ...]
    mathematics: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> ProblemText:
        return cls(tuple(problem_tokens(text)), problem_mathematics(text))


@dataclass(frozen=True)
class Similarity:
    """How alike two problems are: the Jaccard of their `size`-word shingles, or None when their
    mathematics differ (then they are different problems, however alike their words)."""

    jaccard: float | None
    size: int


def problem_similarity(first: ProblemText, second: ProblemText, *, threshold: float,
                       largest: int) -> Similarity:
    """The near-duplicate measure (one rule, used by `near_duplicates`): problems with the same
    mathematics (`problem_mathematics`) are compared on word shingles sized to the shorter one
    (`shingle_size`)."""
    size = shingle_size(min(len(first.tokens), len(second.tokens)), threshold, largest)
    if first.mathematics != second.mathematics:
        return Similarity(None, size)
    return Similarity(jaccard(shingles(first.tokens, size), shingles(second.tokens, size)), size)


def lsh_bands(num_perm: int, threshold: float) -> tuple[int, int]:
    """(bands, rows): the most rows per band such that a pair at `threshold` shares some band with
    probability >= 0.99 (few false candidates, almost no missed pairs)."""
    best = 1
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands == 0:
            break
        if 1 - (1 - threshold ** rows) ** bands >= 0.99:
            best = rows
    return num_perm // best, best


@dataclass(frozen=True)
class DuplicateDecision:
    """Index of a text and, when it is a near-duplicate, the index of the kept text it repeats."""

    index: int
    duplicate_of: int | None
    similarity: float | None = None
    shingle_words: int | None = None

    @property
    def detail(self) -> str:
        """`Jaccard 0.875 of 2-word shingles` (for a duplicate)."""
        return f"Jaccard {self.similarity} of {self.shingle_words}-word shingles"


def near_duplicates(texts: Sequence[str], *, threshold: float = 0.8, shingle_words: int = 5,
                    num_perm: int = 64, seed: int = 1) -> list[DuplicateDecision]:
    """For each text in order, whether it repeats an earlier kept text: the same numbers and
    formulas, and a Jaccard of word shingles >= threshold, the shingles sized to the shorter text, at
    most `shingle_words` words (`problem_similarity`). Short problems are compared on short
    shingles, so one word changed, added or dropped keeps them near-duplicates; a problem with
    other numbers or formulas is another problem.

    Candidates come from a `datasketch.MinHashLSH` index of the kept texts' sets of tokens
    (`lsh_bands`): one changed word costs a set of words no more than it costs the shingles. Each
    candidate is confirmed on the exact measure, so a decision never rests on the MinHash estimate
    alone. Deterministic for a seed.
    """
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=lsh_bands(num_perm, threshold))
    problems = [ProblemText.of(text) for text in texts]
    decisions = []
    for index, problem in enumerate(problems):
        signature = MinHash(num_perm=num_perm, seed=seed)
        signature.update_batch([token.encode("utf-8") for token in sorted(set(problem.tokens))])
        best: tuple[float, int, int] | None = None
        for key in lsh.query(signature):
            kept = int(key)
            similarity = problem_similarity(problem, problems[kept], threshold=threshold, largest=shingle_words)
            if similarity.jaccard is not None and similarity.jaccard >= threshold and (
                    best is None or (similarity.jaccard, -kept) > (best[0], -best[1])):
                best = (similarity.jaccard, kept, similarity.size)
        if best is None:
            lsh.insert(str(index), signature)
            decisions.append(DuplicateDecision(index, None))
        else:
            decisions.append(DuplicateDecision(index, best[1], round(best[0], 4), best[2]))
    return decisions


# --------------------------------------------------------------------------- written computations

_NUMBER = r"-?\d+(?:\.\d+)?"
_OPERATORS = {"+": "+", "-": "-", "*": "*", "×": "*", "\\times": "*", "\\cdot": "*", "/": "/", "÷": "/",
              "\\div": "/"}
_COMPUTATION = re.compile(
    r"(?<![\w.)}^])(?<![-+*/×÷^] )"                       # not the tail of a longer expression
    rf"({_NUMBER})\s*(\+|-|\*|×|/|÷|\\times|\\cdot|\\div)\s*({_NUMBER})\s*=\s*({_NUMBER})"
    r"(?!\d|\.\d|\s*[-+*/×÷^(]|\s*\\(?:times|cdot|div|frac))")   # not the head of a longer one
"""`a op b = c` with plain numbers on both sides and nothing else in either expression."""


def computation_errors(solution: str) -> list[str]:
    """The written computations `a op b = c` of a solution that are wrong in exact arithmetic.

    Only a binary operation between plain numbers, equated to a plain number, is checked (so
    `3 * 4 = 12` and `$12 \\div 4 = 3$`, but not `2 + 3 * 4 = 14` or `x + 3 = 7`); numbers are
    read as exact fractions, never evaluated as code.
    """
    from fractions import Fraction

    errors = []
    for left, operator, right, result in _COMPUTATION.findall(solution):
        a, b, c = Fraction(left), Fraction(right), Fraction(result)
        kind = _OPERATORS[operator]
        if kind == "/" and b == 0:
            errors.append(f"{left} {operator} {right} = {result} (division by zero)")
            continue
        value = a + b if kind == "+" else a - b if kind == "-" else a * b if kind == "*" else a / b
        if value != c:
            errors.append(f"{left} {operator} {right} = {result} (it is {float(value):g})")
    return errors


def check_computations(outcome: FilterOutcome) -> None:
    """Remove the kept records whose solution writes a wrong computation (`computation_errors`)."""
    kept = []
    for record in outcome.kept:
        errors = computation_errors(record["solution"])
        if errors:
            outcome.remove(record, "miscalculated", "wrong computation: " + "; ".join(errors[:3]))
        else:
            kept.append(record)
    outcome.kept = kept


# --------------------------------------------------------------------------- answer consistency

@dataclass(frozen=True)
class ConsistencyVerdict:
    """How a model's own solutions of one synthetic problem compare with its written answer."""

    agreeing: int
    solutions: int
    answers: tuple[str | None, ...]
    keep: bool

    @property
    def detail(self) -> str:
        found = Counter(answer for answer in self.answers if answer is not None)
        common = ", ".join(f"{answer!r} x{count}" for answer, count in found.most_common(3)) or "no answers"
        return f"{self.agreeing}/{self.solutions} solutions agree with the written answer; solvers answered {common}"


def consistency_verdicts(written_answers: Sequence[str], solutions: Sequence[Sequence[str]], *,
                         min_agreement: float, workers: int | None = 1, timeout: float = 5.0,
                         questions: Sequence[str] | None = None) -> list[ConsistencyVerdict]:
    """Grade each problem's solutions against its written answer with evalkit's grader (in the
    problem asking `questions[i]`, when given); a problem is kept when at least
    `ceil(min_agreement * solutions)` of them (and at least one) agree."""
    from evalkit.grading import grade_groups

    if len(written_answers) != len(solutions):
        raise ValueError(f"{len(written_answers)} answers but {len(solutions)} groups of solutions")
    if not solutions:
        return []
    grades = grade_groups([list(group) for group in solutions], list(written_answers), workers=workers,
                          timeout=timeout, style="auto", questions=questions)
    verdicts = []
    for group, grade_ in zip(solutions, grades):
        agreeing = sum(1 for correct in grade_.correct if correct)
        needed = max(1, math.ceil(min_agreement * len(group) - 1e-9))
        verdicts.append(ConsistencyVerdict(agreeing=agreeing, solutions=len(group), answers=tuple(grade_.answers),
                                           keep=agreeing >= needed))
    return verdicts


# --------------------------------------------------------------------------- the chain

@dataclass(frozen=True)
class LengthBounds:
    min_problem_chars: int = 20
    max_problem_chars: int = 3000
    min_solution_chars: int = 10
    max_solution_chars: int = 8000


def length_problem(record: Mapping[str, Any], bounds: LengthBounds) -> str | None:
    """Why a record's lengths are out of bounds, or None."""
    problem, solution = len(record["problem"]), len(record["solution"])
    if not bounds.min_problem_chars <= problem <= bounds.max_problem_chars:
        return f"problem length {problem} outside [{bounds.min_problem_chars}, {bounds.max_problem_chars}]"
    if not bounds.min_solution_chars <= solution <= bounds.max_solution_chars:
        return f"solution length {solution} outside [{bounds.min_solution_chars}, {bounds.max_solution_chars}]"
    return None


@dataclass
class FilterOutcome:
    """What the chain kept, what it removed (each with `removed` and `detail`), and the counts."""

    kept: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    matched_benchmarks: Counter[str] = field(default_factory=Counter)

    def remove(self, record: Mapping[str, Any], name: str, detail: str, **extra: Any) -> None:
        self.removed.append({**record, "removed": name, "detail": detail, **extra})

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(record["removed"] for record in self.removed)
        return {REMOVAL_COUNT_KEYS[name]: found.get(name, 0) for name in FILTERS}


def static_filters(records: Sequence[dict[str, Any]], *, bounds: LengthBounds, index: ContaminationIndex | None,
                   threshold: float, shingle_words: int, num_perm: int) -> FilterOutcome:
    """The filters that need no model: well-formed, length, decontamination, near-duplicates."""
    outcome = FilterOutcome()
    candidates: list[dict[str, Any]] = []
    for record in records:
        if record.get("status") != "ok" or not record.get("answer"):
            outcome.remove(record, "malformed", record.get("reason", "no answer"))
            continue
        reason = length_problem(record, bounds)
        if reason is not None:
            outcome.remove(record, "length", reason)
            continue
        matched = index.matches(record["problem"], record["solution"]) if index is not None else []
        if matched:
            benchmarks = sorted({label.split(":", 1)[0] for label in matched})
            outcome.matched_benchmarks.update(benchmarks)
            outcome.remove(record, "contaminated",
                           f"shares a {index.n}-gram with {len(matched)} test problem(s) of {', '.join(benchmarks)}",
                           matched=matched[:MAX_MATCHED_IDS], matched_count=len(matched))
            continue
        candidates.append(record)
    decisions = near_duplicates([r["problem"] for r in candidates], threshold=threshold,
                                shingle_words=shingle_words, num_perm=num_perm)
    for decision, record in zip(decisions, candidates):
        if decision.duplicate_of is None:
            outcome.kept.append(record)
        else:
            original = candidates[decision.duplicate_of]
            outcome.remove(record, "duplicate",
                           f"{decision.detail} with the problem of an earlier exercise "
                           f"(source {original.get('source_id')}, stage {original.get('stage')})",
                           duplicate_of=original.get("id"))
    return outcome


def apply_consistency(outcome: FilterOutcome, verdicts: Sequence[ConsistencyVerdict]) -> None:
    """Drop the kept records whose verdict says their answer is not reproduced; note the others' agreement."""
    if len(verdicts) != len(outcome.kept):
        raise ValueError(f"{len(verdicts)} verdicts for {len(outcome.kept)} records")
    kept = []
    for record, verdict in zip(outcome.kept, verdicts):
        if verdict.keep:
            kept.append({**record, "agreement": f"{verdict.agreeing}/{verdict.solutions}"})
        else:
            outcome.remove(record, "inconsistent", verdict.detail, solver_answers=list(verdict.answers))
    outcome.kept = kept


def filter_exercises(records: Sequence[dict[str, Any]], *, bounds: Mapping[str, int] | LengthBounds,
                     index: ContaminationIndex | None, threshold: float, shingle_words: int,
                     num_perm: int) -> FilterOutcome:
    """The model-free filters with bounds given as a mapping or `LengthBounds` (see `static_filters`)."""
    if not isinstance(bounds, LengthBounds):
        bounds = LengthBounds(**{name: bounds[name] for name in LengthBounds.__dataclass_fields__})
    return static_filters(records, bounds=bounds, index=index, threshold=threshold, shingle_words=shingle_words,
                          num_perm=num_perm)


def stage_distribution(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many records have each education stage, in the order of `prompts.STAGES`."""
    from evalkit.synthesis.prompts import STAGES

    counts = Counter(str(record.get("stage")) for record in records)
    ordered = {stage: counts[stage] for stage in STAGES if counts.get(stage)}
    ordered.update({stage: count for stage, count in sorted(counts.items()) if stage not in ordered})
    return ordered


# --------------------------------------------------------------------------- evalkit decontaminate

@dataclass(frozen=True)
class DecontaminationResult:
    total: int
    kept: int
    removed: list[dict[str, Any]]
    removed_path: Path
    benchmark_problems: int
    checked: dict[str, int]
    unavailable: dict[str, str]


def _record_texts(record: Mapping[str, Any], path: Path, line: int) -> list[str]:
    """The problem (`problem` or `question`) and, when present, the solution of a record."""
    for name in ("problem", "question"):
        value = record.get(name)
        if isinstance(value, str):
            solution = record.get("solution")
            return [value, solution] if isinstance(solution, str) else [value]
    raise InputError("expected a 'problem' or 'question' string", path=path, line=line, field="problem")


def removed_path_for(out: Path) -> Path:
    """Where `evalkit decontaminate --out OUT` writes the removed records: `CLEAN.jsonl` -> `CLEAN.removed.jsonl`
    (another name gets `.removed.jsonl` appended)."""
    return out.with_name(out.name[:-len(".jsonl")] + ".removed.jsonl") if out.name.endswith(".jsonl") \
        else out.with_name(out.name + ".removed.jsonl")


def decontaminate_file(path: str | Path, out: str | Path, benchmarks: Sequence[str] | str = "all", *,
                       ngram: int = 13, data_dir: str | Path | None = None,
                       show_progress: bool = True) -> DecontaminationResult:
    """Copy the records of a JSONL file that overlap no benchmark test problem to `out`; write the
    others, each with `matched` (every `task:id`, up to `MAX_MATCHED_IDS`) and `record_id` (its
    `id`, else `line N`), next to it. The problem and, when a record has one, its solution are checked."""
    path, out = Path(path), Path(out)
    removed_file = removed_path_for(out)
    if out.is_dir():
        raise InputError("is a directory: --out names the file of clean records", path=out)
    if removed_file.exists() and removed_file.resolve() == path.resolve():
        raise InputError(f"is the input file, and --out {out} writes the removed records there; choose another "
                         "--out", path=removed_file)
    if data_dir is not None and not Path(data_dir).is_dir():  # a mistyped --data-dir must not check nothing
        raise InputError(f"the data directory {data_dir} does not exist (given by --data-dir); nothing was written",
                         path=data_dir)
    records = list(iter_jsonl(path))
    found = benchmark_set(benchmarks, [data_dir] if data_dir is not None else [])
    if not found.checked:
        by_reason: dict[str, list[str]] = {}
        for name, reason in sorted(found.unavailable.items()):
            by_reason.setdefault(reason, []).append(name)
        reasons = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in by_reason.items())
        raise InputError(f"no benchmark test set could be read, so nothing would be checked ({reasons}); "
                         "nothing was written")
    index = ContaminationIndex(found.texts, ngram)
    clean, removed = [], []
    progress = make_progress(disable=not show_progress)
    with progress:
        task = progress.add_task("decontaminate", total=len(records))
        for line, record in records:
            matched = index.matches(*_record_texts(record, path, line))
            if not matched:
                clean.append(record)
            else:
                removed.append({**record, "record_id": str(record.get("id", f"line {line}")),
                                "matched": matched[:MAX_MATCHED_IDS], "matched_count": len(matched)})
            progress.advance(task)
    write_jsonl(out, clean)
    write_jsonl(removed_file, removed)
    return DecontaminationResult(total=len(records), kept=len(clean), removed=removed, removed_path=removed_file,
                                 benchmark_problems=index.size, checked=found.checked, unavailable=found.unavailable)
