"""Step 6: keep only usable, new and uncontaminated exercises.

- Well-formed: the solution has a `\\boxed{}` answer (see `prompts.parse_exercise`).
- Length: problem and solution within configured character bounds.
- Near-duplicates: MinHash signatures of word shingles (hashlib + numpy, seeded, so
  deterministic), banded for candidate pairs, each candidate confirmed by its exact Jaccard
  similarity; the first of a group is kept.
- Decontamination: word n-grams (13 by default) of every benchmark test problem are indexed
  once in a dict; a text sharing any n-gram with a benchmark problem is contaminated. Texts are
  normalised first (lower case, punctuation and LaTeX symbols to spaces, whitespace collapsed).
  A benchmark problem shorter than n words is matched as a whole word sequence instead (650 of
  the 6819 GSM8K, MATH and MATH-500 test problems are, e.g. "Evaluate $\\log_264$.").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import InputError
from evalkit.jsonl import iter_jsonl, write_jsonl
from evalkit.progress import make_progress

_NON_WORD = re.compile(r"[^0-9a-z]+")
_PRIME = np.uint64((1 << 31) - 1)


def normalized_words(text: str) -> list[str]:
    """Lower-case words and numbers of a text; punctuation, `$`, `\\` and braces are separators."""
    return _NON_WORD.sub(" ", text.lower()).split()


def word_ngrams(words: Sequence[str], n: int) -> Iterable[tuple[str, ...]]:
    """All contiguous n-word windows."""
    return (tuple(words[i:i + n]) for i in range(len(words) - n + 1))


@dataclass(frozen=True)
class BenchmarkText:
    """One benchmark problem to protect: `benchmark` (task name) and its problem id."""

    benchmark: str
    id: str
    text: str


class ContaminationIndex:
    """The n-grams of benchmark texts, for one look-up per n-gram of a candidate text."""

    def __init__(self, texts: Iterable[BenchmarkText], n: int = 13) -> None:
        if n < 1:
            raise ValueError(f"n-gram size must be >= 1, got {n}")
        self.n = n
        self._grams: dict[tuple[str, ...], str] = {}
        self._short: dict[int, dict[tuple[str, ...], str]] = {}
        self.size = 0
        for item in texts:
            self.size += 1
            label = f"{item.benchmark}:{item.id}"
            words = normalized_words(item.text)
            if not words:
                continue
            if len(words) < n:
                self._short.setdefault(len(words), {}).setdefault(tuple(words), label)
                continue
            for gram in word_ngrams(words, n):
                self._grams.setdefault(gram, label)

    def match(self, text: str) -> str | None:
        """The first benchmark problem (`task:id`) that `text` overlaps, or None."""
        words = normalized_words(text)
        for gram in word_ngrams(words, self.n):
            label = self._grams.get(gram)
            if label is not None:
                return label
        for length, grams in self._short.items():
            for gram in word_ngrams(words, length):
                label = grams.get(gram)
                if label is not None:
                    return label
        return None


def benchmark_texts(names: Sequence[str], data_dir: str | Path | None = None) -> list[BenchmarkText]:
    """The test problems of the named evalkit tasks (`gsm8k`, `math`, `math500`)."""
    from tasks import get_task

    texts = []
    for name in names:
        for problem in get_task(name).load("test", data_dir=data_dir):
            texts.append(BenchmarkText(benchmark=name, id=problem.id, text=problem.question))
    return texts


def _stable_hash64(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "little")


def shingles(text: str, size: int) -> set[str]:
    """The set of `size`-word shingles of a normalised text (the whole text when shorter)."""
    words = normalized_words(text)
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(gram) for gram in word_ngrams(words, size)}


class MinHasher:
    """MinHash signatures with `num_perm` seeded universal hash functions `(a*x + b) mod (2^31 - 1)`.

    With the prime below 2^31, `a*x + b` stays below 2^62, so numpy's uint64 never overflows.
    """

    def __init__(self, num_perm: int = 64, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, int(_PRIME), size=num_perm, dtype=np.uint64)
        self.b = rng.integers(0, int(_PRIME), size=num_perm, dtype=np.uint64)
        self.num_perm = num_perm

    def signature(self, shingle_set: set[str]) -> np.ndarray:
        """The signature of a shingle set (all `2^31 - 1` for an empty set)."""
        if not shingle_set:
            return np.full(self.num_perm, _PRIME, dtype=np.uint64)
        base = np.array([_stable_hash64(s) for s in sorted(shingle_set)], dtype=np.uint64) % _PRIME
        return ((self.a[:, None] * base[None, :] + self.b[:, None]) % _PRIME).min(axis=1)


def jaccard(first: set[str], second: set[str]) -> float:
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)


@dataclass(frozen=True)
class DuplicateDecision:
    """Index of a text and, when it is a near-duplicate, the index of the kept text it repeats."""

    index: int
    duplicate_of: int | None


def near_duplicates(texts: Sequence[str], *, threshold: float = 0.8, shingle_words: int = 5,
                    num_perm: int = 64, seed: int = 0) -> list[DuplicateDecision]:
    """For each text in order, whether it repeats an earlier kept text (Jaccard >= threshold).

    Candidates come from MinHash LSH (bands of rows chosen so that pairs at the threshold are
    very likely to collide); each candidate is confirmed on exact shingle sets, so the decision
    never rests on the estimate alone.
    """
    hasher = MinHasher(num_perm, seed)
    rows = _rows_per_band(num_perm, threshold)
    bands = num_perm // rows
    buckets: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]
    shingle_sets = [shingles(text, shingle_words) for text in texts]
    decisions = []
    for index, shingle_set in enumerate(shingle_sets):
        signature = hasher.signature(shingle_set)
        keys = [signature[b * rows:(b + 1) * rows].tobytes() for b in range(bands)]
        candidates = sorted({kept for band, key in enumerate(keys) for kept in buckets[band].get(key, ())})
        duplicate_of = next((kept for kept in candidates
                             if jaccard(shingle_set, shingle_sets[kept]) >= threshold), None)
        decisions.append(DuplicateDecision(index, duplicate_of))
        if duplicate_of is None:
            for band, key in enumerate(keys):
                buckets[band].setdefault(key, []).append(index)
    return decisions


def _rows_per_band(num_perm: int, threshold: float) -> int:
    """Rows per band such that a pair at `threshold` collides in some band with probability >= 0.99."""
    best = 1
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands == 0:
            break
        if 1 - (1 - threshold ** rows) ** bands >= 0.99:
            best = rows
    return best


@dataclass(frozen=True)
class FilterOutcome:
    kept: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    counts: dict[str, int]


def length_problem(record: Mapping[str, Any], bounds: Mapping[str, int]) -> str | None:
    """Why a record's lengths are out of bounds, or None."""
    problem, solution = len(record["problem"]), len(record["solution"])
    if not bounds["min_problem_chars"] <= problem <= bounds["max_problem_chars"]:
        return f"problem length {problem} outside [{bounds['min_problem_chars']}, {bounds['max_problem_chars']}]"
    if not bounds["min_solution_chars"] <= solution <= bounds["max_solution_chars"]:
        return f"solution length {solution} outside [{bounds['min_solution_chars']}, {bounds['max_solution_chars']}]"
    return None


def filter_exercises(records: Sequence[dict[str, Any]], *, bounds: Mapping[str, int],
                     index: ContaminationIndex | None, threshold: float, shingle_words: int,
                     num_perm: int) -> FilterOutcome:
    """Apply the filters in order: well-formed, length, decontamination, near-duplicates.

    Removed records keep their fields plus `removed` (the filter) and `detail`.
    """
    kept: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    counts = {"removed_malformed": 0, "removed_length": 0, "removed_contaminated": 0, "removed_duplicates": 0}
    for record in records:
        if record.get("status") != "ok" or not record.get("answer"):
            counts["removed_malformed"] += 1
            removed.append({**record, "removed": "malformed", "detail": record.get("reason", "no answer")})
            continue
        reason = length_problem(record, bounds)
        if reason is not None:
            counts["removed_length"] += 1
            removed.append({**record, "removed": "length", "detail": reason})
            continue
        match = index.match(f"{record['problem']}") if index is not None else None
        if match is not None:
            counts["removed_contaminated"] += 1
            removed.append({**record, "removed": "contaminated", "detail": match})
            continue
        kept.append(record)
    decisions = near_duplicates([r["problem"] for r in kept], threshold=threshold,
                                shingle_words=shingle_words, num_perm=num_perm)
    unique = []
    for decision, record in zip(decisions, kept):
        if decision.duplicate_of is None:
            unique.append(record)
        else:
            counts["removed_duplicates"] += 1
            removed.append({**record, "removed": "duplicate",
                            "detail": f"near-duplicate of {kept[decision.duplicate_of].get('source_id')}"})
    return FilterOutcome(kept=unique, removed=removed, counts=counts)


@dataclass(frozen=True)
class DecontaminationResult:
    total: int
    kept: int
    removed: list[dict[str, Any]]
    removed_path: Path
    benchmark_problems: int


def _record_problem(record: Mapping[str, Any], path: Path, line: int) -> str:
    for name in ("problem", "question"):
        value = record.get(name)
        if isinstance(value, str):
            return value
    raise InputError("expected a 'problem' or 'question' string", path=path, line=line, field="problem")


def removed_path_for(out: Path) -> Path:
    """`CLEAN.jsonl` -> `CLEAN.removed.jsonl`."""
    return out.with_name(out.name[:-len(".jsonl")] + ".removed.jsonl") if out.name.endswith(".jsonl") \
        else out.with_name(out.name + ".removed.jsonl")


def decontaminate_file(path: str | Path, out: str | Path, benchmarks: Sequence[str], *, ngram: int = 13,
                       data_dir: str | Path | None = None, show_progress: bool = True) -> DecontaminationResult:
    """Copy the records of a JSONL file that overlap no benchmark test problem to `out`; write the
    others, each with `matched` (`task:id`) and `record_id` (its `id`, else `line N`), next to it."""
    path, out = Path(path), Path(out)
    records = list(iter_jsonl(path))
    index = ContaminationIndex(benchmark_texts(benchmarks, data_dir), ngram)
    clean, removed = [], []
    progress = make_progress(disable=not show_progress)
    with progress:
        task = progress.add_task("decontaminate", total=len(records))
        for line, record in records:
            match = index.match(_record_problem(record, path, line))
            if match is None:
                clean.append(record)
            else:
                removed.append({**record, "record_id": str(record.get("id", f"line {line}")), "matched": match})
            progress.advance(task)
    write_jsonl(out, clean)
    removed_path = removed_path_for(out)
    write_jsonl(removed_path, removed)
    return DecontaminationResult(total=len(records), kept=len(clean), removed=removed, removed_path=removed_path,
                                 benchmark_problems=index.size)
