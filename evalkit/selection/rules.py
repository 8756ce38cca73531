"""Selection rules: which answer a rule picks from a set of sampled solutions.

Every rule is a pure function of one problem's samples, applied to many sample sets at once:
`clusters: int[B, k]` (answer-cluster id of each sample, -1 = no answer) and
`scores: float[B, k] | None` (evaluator scores, higher = more likely correct, NaN = not scored),
one row per sample set. It returns `Choices`: the column of the chosen sample in each row
(-1 when nothing can be chosen), the size of the chosen answer's cluster in the row, the value
the rule ranked by, how many samples the rule needs scored (evaluator calls) and whether all
of them were scored. Metrics (`evalkit.metrics`) and predictions (`evalkit.selection.predictions`)
both call these functions, so an accuracy figure and the predictions behind it cannot disagree.

The rules, with the names of Liu et al. (2023, "Improving Large Language Model Fine-tuning for
Solving Math Problems", section 3.2 and the re-ranking comparison of its appendix):

| rule   | paper name      | what it picks                                                             | scores needed |
| ------ | --------------- | ------------------------------------------------------------------------- | ------------- |
| `first`| -               | the first sample's answer (one sample: averaged over k-subsets it estimates pass@1; at k = n it is sample 0's alone) | none |
| `maj`  | Maj1 (cons@n)   | the largest answer cluster (majority vote, self-consistency)              | none          |
| `bon`  | RR.All          | the answer of the highest-scored solution among all answered samples      | every answered sample |
| `scr`  | RR.Top-K (SCR)  | keep exactly the K largest clusters, then the answer of the highest-scored solution inside them: solution-cluster re-ranking as published | the samples of the K kept clusters |
| `wmaj` | W.RR            | the cluster with the largest sum of its solutions' scores (weighted re-ranking / weighted majority) | every answered sample |
| `wscr` | W.RR.Top-K      | W.RR restricted to the K largest clusters                                 | the samples of the K kept clusters |

Ties. A rule's choice (`Choices.column`, the answer in `predictions.jsonl`) is the candidate that
appears first in the sample order among equal ones; for clusters, the cluster whose first member
comes earliest. The metrics do not depend on that order: they count `Choices.credit`, the
expected correctness under a uniformly random tie-break (two clusters tied for the majority, one
right and one wrong, count one half), so maj@2 equals pass@1 and a dump whose samples are sorted
(by score, length or answer) reports what an unsorted one would. SCR keeps exactly
`min(K, clusters present)` clusters: clusters tied in size at the K-th place are cut by first
appearance (decided before any evaluator call), never all kept, so SCR can never silently become
best-of-n; that cut is the one place where the order of the samples counts.

Missing scores: samples without an answer (cluster -1) are never picked and never scored
(evaluator calls count answered samples only). A score-based rule picks among the scored
candidates it needs; samples that all share one answer need no call (the answer is decided
whatever their scores), so a set with a single cluster (in the pool the rule looks at) costs
nothing. `Choices.complete` is False for a set where some needed sample has no
score, and when none of them has one the rule falls back to majority vote among its
candidates (SCR and W.RR.Top-K: the kept clusters). Reports must not present a figure whose
sets were not all complete as that rule's accuracy (see `evalkit.report`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEFAULT_TOP_CLUSTERS = 8


@dataclass(frozen=True)
class RuleInfo:
    """What a rule is called, in evalkit and in the paper, and what it needs."""

    name: str
    paper_name: str
    description: str
    needs_scores: bool
    scores_all: bool  # needs every answered sample scored (as opposed to the top-K clusters' samples)


RULES: dict[str, RuleInfo] = {
    "first": RuleInfo("first", "-", "the first sample's answer", needs_scores=False, scores_all=False),
    "maj": RuleInfo("maj", "Maj1", "majority vote over answer clusters", needs_scores=False, scores_all=False),
    "bon": RuleInfo("bon", "RR.All", "highest-scored solution among all samples (best-of-n)",
                    needs_scores=True, scores_all=True),
    "scr": RuleInfo("scr", "RR.Top-K", "highest-scored solution inside the K largest clusters (SCR)",
                    needs_scores=True, scores_all=False),
    "wmaj": RuleInfo("wmaj", "W.RR", "cluster with the largest sum of scores (weighted re-ranking)",
                     needs_scores=True, scores_all=True),
    "wscr": RuleInfo("wscr", "W.RR.Top-K", "cluster with the largest sum of scores among the K largest clusters",
                     needs_scores=True, scores_all=False),
}
SCORE_RULES = tuple(name for name, info in RULES.items() if info.needs_scores)


@dataclass(frozen=True)
class Choices:
    """What a rule chose in each of B sample sets.

    `column`: int[B], the chosen sample's column (for a cluster rule, the cluster's first
    member), -1 when no sample has an answer. `tied`: bool[B, k], every candidate ranked equal
    to the chosen one (leader columns for cluster rules, sample columns for `bon`/`scr`). `cluster_size`: int[B], members of the chosen
    answer's cluster in the set (0 when nothing was chosen). `value`: float[B], what the rule
    ranked by (the solution's score for `bon`/`scr`, the cluster's score sum for `wmaj`/`wscr`,
    the cluster size for `maj`, NaN for `first` or when nothing was chosen). `calls`: int[B],
    samples the rule needs scored. `complete`: bool[B], all of them carry a score.
    """

    column: np.ndarray
    cluster_size: np.ndarray
    value: np.ndarray
    calls: np.ndarray
    complete: np.ndarray
    tied: np.ndarray  # bool[B, k]: the candidates ranked equal to the chosen one (it included)

    def correct(self, correct: np.ndarray) -> np.ndarray:
        """bool[B]: whether each chosen sample is correct (False where nothing was chosen)."""
        rows = np.arange(len(self.column))
        return np.where(self.column >= 0, correct[rows, np.maximum(self.column, 0)], False)

    def _chosen_ties(self) -> np.ndarray:
        return self.tied & (self.column >= 0)[:, None]

    def tied_count(self) -> np.ndarray:
        """int[B]: the candidates ranked equal to the chosen one, it included (0: nothing chosen)."""
        return self._chosen_ties().sum(axis=1)

    def credit(self, correct: np.ndarray) -> np.ndarray:
        """float[B]: the expected correctness of the choice under a uniformly random tie-break:
        the share of the tied candidates that are correct (0 where nothing was chosen). What the
        metrics count, so that no figure depends on the order of the samples."""
        tied = self._chosen_ties()
        count = tied.sum(axis=1)
        return np.where(count > 0, (tied & correct).sum(axis=1) / np.maximum(count, 1), 0.0)


@dataclass(frozen=True)
class SetStructure:
    """The answer clusters of each row of `clusters: int[B, k]`, found once and shared by every rule.

    `answered`: bool[B, k]. `leader`: int[B, k], the column of the first member of each sample's
    cluster (-1 for no answer). `is_leader`: bool[B, k], the sample is its cluster's first member.
    `size`: int[B, k], at a leader column the size of its cluster, else 0.
    `priority`: int[B, k], at a leader column a number that orders clusters by size, then by
    earlier first appearance (distinct within a row), else -1.
    """

    answered: np.ndarray
    leader: np.ndarray
    is_leader: np.ndarray
    size: np.ndarray
    priority: np.ndarray
    bins: np.ndarray  # int[B * k]: each sample's cluster as a flat (row, leader) bin; B * k = no answer

    @classmethod
    def of(cls, clusters: np.ndarray) -> SetStructure:
        clusters = np.asarray(clusters)
        if clusters.ndim != 2:
            raise ValueError(f"clusters must be a 2-d array [sets, samples], got shape {clusters.shape}")
        rows, width = clusters.shape
        answered = clusters >= 0
        # a stable sort groups each row's equal ids with their members in column order, so the
        # first element of a group is the cluster's first member; no-answer samples sort last
        keys = np.where(answered, clusters, np.iinfo(np.int64).max).astype(np.int64)
        order = np.argsort(keys, axis=1, kind="stable")
        ordered = np.take_along_axis(keys, order, axis=1)
        starts = np.ones(ordered.shape, dtype=bool)
        starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        positions = np.broadcast_to(np.arange(width), ordered.shape)
        group_start = np.maximum.accumulate(np.where(starts, positions, 0), axis=1)
        leader_sorted = np.take_along_axis(order, group_start, axis=1)
        leader = np.empty_like(order)
        np.put_along_axis(leader, order, leader_sorted, axis=1)
        leader = np.where(answered, leader, -1)
        columns = np.broadcast_to(np.arange(width), clusters.shape)
        is_leader = answered & (leader == columns)
        bins = np.where(answered, np.arange(rows)[:, None] * width + leader, rows * width).ravel()
        size = np.bincount(bins, minlength=rows * width + 1)[:-1].reshape(rows, width)
        # larger clusters first, then earlier first appearance
        priority = np.where(is_leader, size * (width + 1) + (width - columns), -1)
        return cls(answered=answered, leader=leader, is_leader=is_leader, size=size, priority=priority, bins=bins)

    def top_cluster_members(self, top_clusters: int) -> np.ndarray:
        """bool[B, k]: the samples in the `top_clusters` largest clusters of each row (exactly that many
        clusters, or all when fewer are present; ties at the cut by first appearance)."""
        if top_clusters < 1:
            raise ValueError(f"top_clusters must be >= 1, got {top_clusters}")
        width = self.priority.shape[1]
        if top_clusters >= width:
            return self.answered
        # priorities of leaders are distinct: those at or above the K-th largest are exactly K clusters
        kth = -np.partition(-self.priority, top_clusters - 1, axis=1)[:, top_clusters - 1]
        kept_leader = self.is_leader & (self.priority >= kth[:, None])
        rows = np.arange(self.leader.shape[0])[:, None]
        return self.answered & kept_leader[rows, np.maximum(self.leader, 0)]

    def cluster_sums(self, values: np.ndarray) -> np.ndarray:
        """float[B, k]: at each leader column the sum of `values` over its cluster's members, else 0."""
        rows, width = self.leader.shape
        sums = np.bincount(self.bins, weights=np.asarray(values, dtype=np.float64).ravel(),
                           minlength=rows * width + 1)
        return sums[:-1].reshape(rows, width)


SUM_TIE_TOLERANCE = 1e-9
"""Relative gap under which two sums of scores tie: 0.1 + 0.2 and 0.3 are the same sum, whatever
the order floating point added them in."""


def _argmax_first(values: np.ndarray, candidates: np.ndarray, tolerance: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the first column holding the largest value among the candidates (-1 without any),
    and bool[B, k]: every candidate holding that value (the ties), within `tolerance` of it relative
    to its size (at least 1)."""
    masked = np.where(candidates, values, -np.inf)
    # compare with the row's best instead of taking argmax of `masked`: a candidate scored -inf
    # must still win over the non-candidates masked to -inf
    top = masked.max(axis=1, keepdims=True)
    if tolerance > 0:
        finite = np.isfinite(top)
        top = np.where(finite, top - tolerance * np.maximum(1.0, np.abs(np.where(finite, top, 0.0))), top)
    best = candidates & (masked >= top)  # nothing exceeds the row's best: `>=` is `==` without a tolerance
    return np.where(candidates.any(axis=1), np.argmax(best, axis=1), -1), best


def _gather(matrix: np.ndarray, column: np.ndarray, missing: float | int) -> np.ndarray:
    picked = np.take_along_axis(matrix, np.maximum(column, 0)[:, None], axis=1)[:, 0]
    return np.where(column >= 0, picked, missing)


def _cluster_choices(structure: SetStructure, column: np.ndarray, value: np.ndarray, calls: np.ndarray,
                     complete: np.ndarray, tied: np.ndarray) -> Choices:
    leader = _gather(structure.leader, column, -1)
    size = _gather(structure.size, leader, 0)
    return Choices(column=column, cluster_size=size.astype(np.int64), value=value, calls=calls.astype(np.int64),
                   complete=complete, tied=tied)


def _majority(structure: SetStructure, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Column of the leader of the largest cluster (first appearance among equals), optionally among
    the clusters whose leaders are marked in `within`; and the leaders of all the largest."""
    candidates = structure.is_leader if within is None else structure.is_leader & within
    return _argmax_first(structure.size.astype(np.float64), candidates)


def select_first(structure: SetStructure, scores: np.ndarray | None = None) -> Choices:
    """The first sample's answer (no answer: nothing chosen)."""
    rows = structure.answered.shape[0]
    column = np.where(structure.answered[:, 0], 0, -1)
    zeros = np.zeros(rows, dtype=np.int64)
    tied = np.zeros(structure.answered.shape, dtype=bool)
    tied[:, 0] = structure.answered[:, 0]
    return _cluster_choices(structure, column, np.full(rows, np.nan), zeros, np.ones(rows, dtype=bool), tied)


def select_majority(structure: SetStructure, scores: np.ndarray | None = None) -> Choices:
    """Maj1: the largest answer cluster (the first to appear among equally large ones; the metrics
    share the credit among them, `Choices.credit`)."""
    rows = structure.answered.shape[0]
    column, tied = _majority(structure)
    value = _gather(structure.size, column, 0).astype(np.float64)
    zeros = np.zeros(rows, dtype=np.int64)
    return _cluster_choices(structure, column, np.where(column >= 0, value, np.nan), zeros,
                            np.ones(rows, dtype=bool), tied)


def _require_scores(scores: np.ndarray | None, structure: SetStructure) -> np.ndarray:
    if scores is None:
        raise ValueError("this rule needs evaluator scores")
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != structure.answered.shape:
        raise ValueError(f"scores have shape {scores.shape}, clusters {structure.answered.shape}")
    return scores


def _needed(structure: SetStructure, pool: np.ndarray) -> np.ndarray:
    """The samples of `pool` that must be scored: all of them, unless they form a single cluster,
    whose answer is then decided without any evaluator call."""
    leaders_in_pool = (structure.is_leader & pool).sum(axis=1)
    return pool & (leaders_in_pool >= 2)[:, None]


def _rerank_solutions(structure: SetStructure, scores: np.ndarray, pool: np.ndarray) -> Choices:
    """The highest-scored solution among the `pool` samples (ties: earliest column)."""
    scored = ~np.isnan(scores)
    needed = _needed(structure, pool)
    candidates = needed & scored
    column, tied = _argmax_first(scores, candidates)
    # nothing scored among the needed samples (or a single cluster): majority vote within the pool
    rows = np.arange(pool.shape[0])[:, None]
    fallback, fallback_tied = _majority(structure, within=pool[rows, np.maximum(structure.leader, 0)])
    by_score = column >= 0
    column = np.where(by_score, column, fallback)
    tied = np.where(by_score[:, None], tied, fallback_tied)
    value = np.where(candidates.any(axis=1), _gather(scores, column, np.nan), np.nan)
    complete = ~(needed & ~scored).any(axis=1)
    return _cluster_choices(structure, column, value, needed.sum(axis=1), complete, tied)


def _rerank_clusters(structure: SetStructure, scores: np.ndarray, pool: np.ndarray) -> Choices:
    """The cluster (among those of the `pool` samples) with the largest sum of scores."""
    scored = ~np.isnan(scores)
    needed = _needed(structure, pool)
    sums = structure.cluster_sums(np.where(scored & needed, scores, 0.0))
    counted = structure.cluster_sums((scored & needed).astype(np.float64)) > 0
    rows = np.arange(needed.shape[0])[:, None]
    leader_in_pool = structure.is_leader & pool[rows, np.maximum(structure.leader, 0)]
    candidates = leader_in_pool & counted
    column, tied = _argmax_first(sums, candidates, SUM_TIE_TOLERANCE)
    fallback, fallback_tied = _majority(structure, within=leader_in_pool)
    by_score = column >= 0
    column = np.where(by_score, column, fallback)
    tied = np.where(by_score[:, None], tied, fallback_tied)
    value = np.where(candidates.any(axis=1), _gather(sums, column, np.nan), np.nan)
    complete = ~(needed & ~scored).any(axis=1)
    return _cluster_choices(structure, column, value, needed.sum(axis=1), complete, tied)


def select_best_of_n(structure: SetStructure, scores: np.ndarray | None) -> Choices:
    """RR.All: the answer of the highest-scored of all answered solutions."""
    scores = _require_scores(scores, structure)
    return _rerank_solutions(structure, scores, structure.answered)


def select_scr(structure: SetStructure, scores: np.ndarray | None,
               top_clusters: int = DEFAULT_TOP_CLUSTERS) -> Choices:
    """RR.Top-K (SCR): the highest-scored solution inside the K largest clusters."""
    scores = _require_scores(scores, structure)
    return _rerank_solutions(structure, scores, structure.top_cluster_members(top_clusters))


def select_weighted(structure: SetStructure, scores: np.ndarray | None) -> Choices:
    """W.RR: the cluster with the largest sum of its solutions' scores."""
    scores = _require_scores(scores, structure)
    return _rerank_clusters(structure, scores, structure.answered)


def select_weighted_scr(structure: SetStructure, scores: np.ndarray | None,
                        top_clusters: int = DEFAULT_TOP_CLUSTERS) -> Choices:
    """W.RR.Top-K: W.RR among the K largest clusters."""
    scores = _require_scores(scores, structure)
    return _rerank_clusters(structure, scores, structure.top_cluster_members(top_clusters))


def selector(rule: str, top_clusters: int = DEFAULT_TOP_CLUSTERS) -> Callable[[SetStructure, np.ndarray | None],
                                                                             Choices]:
    """The selection function of a rule name (see `RULES`), with K bound for the top-K rules."""
    if top_clusters < 1:
        raise ValueError(f"top_clusters must be >= 1, got {top_clusters}")
    if rule == "first":
        return select_first
    if rule == "maj":
        return select_majority
    if rule == "bon":
        return select_best_of_n
    if rule == "wmaj":
        return select_weighted
    if rule == "scr":
        return lambda structure, scores: select_scr(structure, scores, top_clusters)
    if rule == "wscr":
        return lambda structure, scores: select_weighted_scr(structure, scores, top_clusters)
    raise ValueError(f"unknown selection rule {rule!r}; known: {', '.join(RULES)}")


def select(rule: str, clusters: np.ndarray, scores: np.ndarray | None = None, *,
           top_clusters: int = DEFAULT_TOP_CLUSTERS) -> Choices:
    """Apply one rule to the sample sets `clusters: int[B, k]` (and `scores`); see the module docstring."""
    return selector(rule, top_clusters)(SetStructure.of(np.asarray(clusters)), scores)
