"""The one clustering path: distinct answers of a problem -> cluster labels per sample.

Deterministic and independent of load:

1. Distinct answers with one canonical key *and* one verdict form a bucket (equal keys mean
   equal values; requiring the same verdict as well makes it impossible for a bucket to mix
   right and wrong answers even if SymPy decided two members differently).
2. Buckets whose fingerprints agree (and whose verdicts agree) are candidate pairs; a pair is
   merged only when `compare.equal` proves it (`candidate_pairs`, then `cluster_labels` with the
   confirmed pairs). Candidates are few: cost grows with the number of distinct answers.
3. An answer that could not be parsed (a parse error, or its own time limit ran out) joins only
   identical canonical strings, and one that could not even be normalised only identical raw
   texts; a time-out of one answer never changes how others cluster.

The union-find root is the earliest bucket, and labels are numbered by first appearance among
the samples; samples without an answer get -1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from evalkit.grading.keys import fingerprints_of

MAX_BUCKET_PAIRS = 64
"""Candidate pairs taken from one fingerprint bucket at most (answers with equal digests)."""


class UnionFind:
    """Disjoint sets over 0..n-1; the root of a set is its smallest member (deterministic)."""

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, first: int, second: int) -> None:
        root_a, root_b = self.find(first), self.find(second)
        if root_a == root_b:
            return
        if root_b < root_a:
            root_a, root_b = root_b, root_a
        self._parent[root_b] = root_a


@dataclass(frozen=True)
class AnswerFacts:
    """What is known about one distinct canonical answer of a problem."""

    canonical: str
    parsed: bool
    key: str | None
    fingerprint: Hashable | None
    correct: bool
    equals_the_reference: bool = False
    """Right by a rule of equality, not by rounding or a tolerance (`compare.is_approximate`)."""


def _buckets(facts: Sequence[AnswerFacts]) -> tuple[UnionFind, dict[tuple[str, bool], int]]:
    union = UnionFind(len(facts))
    first_of: dict[tuple[str, bool], int] = {}
    for index, fact in enumerate(facts):
        if not fact.parsed or fact.key is None:
            continue
        bucket = (fact.key, fact.correct)
        if bucket in first_of:
            union.union(first_of[bucket], index)
        else:
            first_of[bucket] = index
    return union, first_of


def candidate_pairs(facts: Sequence[AnswerFacts]) -> list[tuple[int, int]]:
    """Pairs of bucket representatives that `compare.equal` should decide (step 2)."""
    _, first_of = _buckets(facts)
    by_print: dict[tuple[Hashable, bool], list[int]] = {}
    for (_, correct), index in sorted(first_of.items(), key=lambda item: item[1]):
        for fingerprint in fingerprints_of(facts[index].fingerprint):  # a value of several forms has several
            by_print.setdefault((fingerprint, correct), []).append(index)
    pairs: dict[tuple[int, int], None] = {}  # in order, each once (a pair may share several fingerprints)
    for members in by_print.values():
        found = [(a, b) for position, a in enumerate(members) for b in members[position + 1:]]
        pairs.update(dict.fromkeys(found[:MAX_BUCKET_PAIRS]))
    return list(pairs)


def cluster_labels(facts: Sequence[AnswerFacts], confirmed: Sequence[tuple[int, int]],
                   sample_answers: Sequence[int | str | None]) -> list[int]:
    """Cluster label per sample. `sample_answers[i]` is the index into `facts` of sample i's
    distinct answer, or the raw text of an answer that could not even be normalised (it joins
    identical raw texts only), or None when the sample has no answer (label -1). `confirmed` are
    the candidate pairs proven equal. Answers that equal the problem's reference are one cluster: each
    equals it as the problem reads it, so they equal each other there (`60` and `60\\%` where the
    question asks for a percentage, `y = 2x + 3` and `y - 2x = 3`, `(C)` and the text of option C).
    Answers right only by rounding or a tolerance (`0.0061` for `0.006`) are not merged by that: they
    are different values. A cluster never holds a right and a wrong answer."""
    union, _ = _buckets(facts)
    for first, second in confirmed:
        if facts[first].correct == facts[second].correct:
            union.union(first, second)
    equal_to_the_reference = [index for index, fact in enumerate(facts) if fact.correct and fact.equals_the_reference]
    for index in equal_to_the_reference[1:]:  # each equals the reference in the problem's terms, so each other
        union.union(equal_to_the_reference[0], index)
    numbering: dict[Hashable, int] = {}
    labels: list[int] = []
    for answer in sample_answers:
        if answer is None:
            labels.append(-1)
            continue
        identity: Hashable = ("raw", answer) if isinstance(answer, str) else union.find(answer)
        labels.append(numbering.setdefault(identity, len(numbering)))
    return labels
