"""Accuracy metrics of sampled solutions, with bootstrap confidence intervals.

Pure functions over numpy arrays; no I/O. One run is described by three arrays over
P problems and N samples per problem:

- `correct: bool[P, N]`: whether each sample's answer is right;
- `clusters: int[P, N]`: the sample's answer cluster within its problem (ids in `[0, N)`,
  numbered in order of first appearance; -1 means no answer, which abstains from every vote);
- `scores: float[P, N] | None`: evaluator / reward scores, higher = more likely correct;
  NaN means "not scored".

Selection rules (each gives a per-problem expected accuracy in [0, 1]):

- `pass@k`: some sample among k is right (unbiased estimator of Chen et al. 2021).
- `maj@k`: the most frequent answer cluster wins.
- `bon@k`: the highest-scored sample wins (best of n).
- `wmaj@k`: the cluster with the largest sum of its members' scores wins.
- `scr@k`: Solution-Cluster Reranking (Liu et al. 2023): keep the `top_clusters` most frequent
  clusters, then the highest-scored solution inside them wins; `scr_wsum@k` and `scr_mean@k`
  rank those clusters by the sum / mean of their members' scores instead.

Rules shared by every selection:

- Ties are broken uniformly at random and the metric is the *expectation* over that choice:
  a correct winner tied with t - 1 others scores 1/t. This is deterministic and unbiased.
- A cluster's correctness is the mean correctness of its members over the whole row; all
  members of one cluster carry the same answer, so this equals any member's `correct`.
- Abstaining samples (cluster -1) never win a vote; a problem where every sample abstains
  scores 0. Unscored samples are never picked by a score-based rule while some candidate is
  scored; when no candidate is scored, `bon@k` picks uniformly among all k samples and the
  cluster rules fall back to a plain majority vote (inside the kept clusters for SCR).
- For k < N the value is the mean over k-subsets of the N samples: all of them when there are
  at most `subsets` of them, otherwise `subsets` seeded random subsets per problem, taken as
  the first k samples of seeded random orders (so the same subsets serve every rule, which
  makes paired comparisons between rules sharp).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_SUBSETS = 64
DEFAULT_TOP_CLUSTERS = 8
SCORE_RULES = ("bon", "wmaj", "scr", "scr_wsum", "scr_mean")
ALL_RULES = ("maj", *SCORE_RULES)
RULE_ORDER = ("pass", *ALL_RULES)
# Upper bound on elements of one working array: problems are processed in chunks under it.
_CHUNK_ELEMENTS = 1 << 21


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval (both fractions, e.g. accuracy)."""

    value: float
    ci: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci": [self.ci[0], self.ci[1]]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Estimate:
        low, high = data["ci"]
        return cls(value=float(data["value"]), ci=(float(low), float(high)))


@dataclass(frozen=True)
class PairedEstimate(Estimate):
    """A mean difference a - b over the same problems, with the bootstrap fraction of
    resamples where the difference is <= 0 (small values: a is reliably better than b)."""

    fraction_not_positive: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "fraction_not_positive": self.fraction_not_positive}


def metric_name(rule: str, k: int) -> str:
    """The name of a metric in reports, e.g. `maj@8`."""
    return f"{rule}@{k}"


def split_metric_name(name: str) -> tuple[str, int]:
    """`"maj@8"` -> `("maj", 8)`; raises ValueError for a name without `@k`."""
    rule, sep, k = name.rpartition("@")
    if not sep or not rule or not k.isdigit():
        raise ValueError(f"metric name {name!r} is not of the form RULE@K, e.g. maj@8")
    return rule, int(k)


def default_ks(num_samples: int) -> list[int]:
    """Powers of two up to N, plus N itself."""
    if num_samples < 1:
        raise ValueError("need at least one sample per problem")
    ks = [1 << i for i in range(num_samples.bit_length()) if (1 << i) <= num_samples]
    return sorted(set(ks) | {num_samples})


# --------------------------------------------------------------------------- pass@k


def pass_at_k(num_samples: int | np.ndarray, num_correct: np.ndarray, k: int) -> np.ndarray:
    """Unbiased pass@k per problem: 1 - C(n - c, k) / C(n, k).

    Computed as 1 - prod_{i<k} (n - c - i) / (n - i), a product of factors in (0, 1] that
    never forms a large binomial, and exactly 1.0 when n - c < k (every k-subset holds a
    correct sample).
    """
    correct_counts = np.asarray(num_correct, dtype=np.int64)
    totals = np.broadcast_to(np.asarray(num_samples, dtype=np.int64), correct_counts.shape)
    _check_k(k, int(totals.min()) if totals.size else k)
    if np.any(correct_counts < 0) or np.any(correct_counts > totals):
        raise ValueError("num_correct must lie between 0 and num_samples")
    failing = totals - correct_counts
    offsets = np.arange(k, dtype=np.float64)
    all_fail = failing[..., None] >= k
    factors = (failing[..., None] - offsets) / (totals[..., None] - offsets)
    prob_all_fail = np.where(all_fail[..., 0], np.prod(np.where(all_fail, factors, 1.0), axis=-1), 0.0)
    return np.where(failing < k, 1.0, 1.0 - prob_all_fail)


# --------------------------------------------------------------------------- subsets


def _check_k(k: int, num_samples: int) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > num_samples:
        raise ValueError(f"k={k} exceeds the number of samples per problem (N={num_samples})")


def _random_orders(num_problems: int, num_samples: int, subsets: int, seed: int, length: int) -> np.ndarray:
    """The first `length` entries of `subsets` seeded random orders of each problem's samples.

    Returns int[P, S, length]. The first k entries of an order are a uniformly random
    k-subset, for every k <= length at once; a shorter `length` gives the same prefixes.
    Keys are float64 uniforms, so a tie (which would favour lower indices) has a chance of
    about N^2 / 2^54 per order.
    """
    rng = np.random.default_rng([seed, num_samples, subsets])
    dtype = np.int16 if num_samples < 2**15 else np.int64
    orders = np.empty((num_problems, subsets, length), dtype=dtype)
    step = max(1, _CHUNK_ELEMENTS // (subsets * num_samples))
    for start in range(0, num_problems, step):
        stop = min(num_problems, start + step)
        keys = rng.random((stop - start, subsets, num_samples))
        orders[start:stop] = np.argsort(keys, axis=-1)[..., :length]
    return orders


@dataclass(frozen=True)
class _SubsetPlan:
    """Which k-subsets of the samples each problem averages over."""

    exact: np.ndarray | None  # int[S, k], the same all-subsets list for every problem
    orders: np.ndarray | None  # int[P, S, >= k], random orders; subsets are their k-prefixes

    def indices(self, problems: np.ndarray, k: int) -> np.ndarray:
        """Sample indices int[len(problems), S, k] of the subsets of the given problems."""
        if self.exact is not None:
            return np.broadcast_to(self.exact, (len(problems), *self.exact.shape))
        assert self.orders is not None
        return self.orders[problems, :, :k]

    @property
    def num_subsets(self) -> int:
        source = self.exact if self.exact is not None else self.orders
        assert source is not None
        return source.shape[-2]


def _plan_subsets(num_problems: int, num_samples: int, k: int, subsets: int, seed: int,
                  orders: np.ndarray | None = None) -> _SubsetPlan:
    if subsets < 1:
        raise ValueError(f"subsets must be >= 1, got {subsets}")
    if math.comb(num_samples, k) <= subsets:
        combos = np.array(list(itertools.combinations(range(num_samples), k)), dtype=np.int64)
        return _SubsetPlan(exact=combos.reshape(-1, k), orders=None)
    if orders is None:
        orders = _random_orders(num_problems, num_samples, subsets, seed, k)
    return _SubsetPlan(exact=None, orders=orders)


# --------------------------------------------------------------------------- validation


def _validate(correct: np.ndarray, clusters: np.ndarray,
              scores: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    correct = np.asarray(correct)
    clusters = np.asarray(clusters)
    if correct.ndim != 2:
        raise ValueError(f"correct must be a 2-d array [problems, samples], got shape {correct.shape}")
    if correct.shape[0] == 0 or correct.shape[1] == 0:
        raise ValueError(f"need at least one problem and one sample, got shape {correct.shape}")
    if clusters.shape != correct.shape:
        raise ValueError(f"clusters has shape {clusters.shape}, correct has {correct.shape}")
    if not np.issubdtype(clusters.dtype, np.integer):
        raise ValueError(f"clusters must be integers, got dtype {clusters.dtype}")
    num_samples = correct.shape[1]
    if np.any(clusters < -1) or np.any(clusters >= num_samples):
        raise ValueError(f"cluster ids must be -1 (no answer) or lie in [0, {num_samples})")
    correct = correct.astype(bool)
    clusters = clusters.astype(np.int64)
    if scores is not None:
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != correct.shape:
            raise ValueError(f"scores has shape {scores.shape}, correct has {correct.shape}")
        if np.any(np.isinf(scores)):
            raise ValueError("scores must be finite numbers or NaN (not scored)")
    return correct, clusters, scores


def _cluster_correctness(correct: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """float[P, C]: mean correctness of each cluster's members (0 for absent clusters)."""
    num_problems, num_samples = correct.shape
    answered = clusters >= 0
    flat = (np.arange(num_problems)[:, None] * num_samples + clusters)[answered]
    sums = np.bincount(flat, weights=correct[answered].astype(np.float64), minlength=num_problems * num_samples)
    sizes = np.bincount(flat, minlength=num_problems * num_samples)
    return (sums / np.maximum(sizes, 1)).reshape(num_problems, num_samples)


# --------------------------------------------------------------------------- selection rules


# Working arrays put the short axis (clusters or the k samples) first and the many subsets
# last: numpy reduces over a short leading axis with fast element-wise passes.


def _pick_expected(values: np.ndarray, payoff: np.ndarray, floor: float = -np.inf) -> np.ndarray:
    """Expected payoff of picking the max-value entry per column, ties uniformly at random.

    `values`, `payoff`: [width, B]. Entries at or below `floor` are not candidates (mark
    them with -inf, or use floor=0 for counts); columns without a candidate score 0.
    """
    best = values.max(axis=0)
    winners = values == best
    hits = np.where(winners, payoff, 0.0).sum(axis=0)
    return np.where(best > floor, hits / winners.sum(axis=0), 0.0)


def _mask(values: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    return np.where(candidates, values, -np.inf)


def _top_cluster_mask(counts: np.ndarray, top_clusters: int) -> np.ndarray:
    """bool[C, B]: the `top_clusters` most frequent present clusters of each subset.

    Clusters tied in frequency with the K-th one are all kept, so the kept set never
    depends on the arbitrary order of cluster ids.
    """
    present = counts > 0
    if top_clusters >= counts.shape[0]:
        return present
    kth = -np.partition(-counts, top_clusters - 1, axis=0)[top_clusters - 1]
    return present & (counts >= kth)


def _rules_on_chunk(rules: Sequence[str], cluster_ids: np.ndarray, sample_correct: np.ndarray,
                    sample_scores: np.ndarray | None, cluster_correct: np.ndarray,
                    top_clusters: int) -> dict[str, np.ndarray]:
    """Per-subset values of the rules on one chunk of B subsets.

    `cluster_ids`, `sample_correct`, `sample_scores`: [k, B], the samples of each subset;
    `cluster_correct`: [C, B]. Also returns `scr_calls`, the number of samples SCR must score.
    """
    num_clusters, columns = cluster_correct.shape
    answered = cluster_ids >= 0
    column = np.broadcast_to(np.arange(columns), cluster_ids.shape)
    flat = cluster_ids[answered].astype(np.int64) * columns + column[answered]
    size = num_clusters * columns
    counts = np.bincount(flat, minlength=size).reshape(num_clusters, columns).astype(np.float32)
    out: dict[str, np.ndarray] = {}
    majority = _pick_expected(counts, cluster_correct, floor=0.0)
    if "maj" in rules:
        out["maj"] = majority
    if sample_scores is None:
        return out

    scored = ~np.isnan(sample_scores)
    scored_answered = scored[answered]
    weight_sum = np.bincount(flat, weights=np.where(scored, sample_scores, 0.0)[answered],
                             minlength=size).reshape(num_clusters, columns)
    scored_count = np.bincount(flat[scored_answered], minlength=size).reshape(num_clusters, columns)
    has_scored_cluster = scored_count > 0
    any_scored_cluster = has_scored_cluster.any(axis=0)

    if "bon" in rules:
        out["bon"] = np.where(scored.any(axis=0), _pick_expected(_mask(sample_scores, scored), sample_correct),
                              sample_correct.mean(axis=0))
    if "wmaj" in rules:
        out["wmaj"] = np.where(any_scored_cluster,
                               _pick_expected(_mask(weight_sum, has_scored_cluster), cluster_correct), majority)
    if any(rule.startswith("scr") for rule in rules):
        kept = _top_cluster_mask(counts, top_clusters)
        kept_scored = kept & has_scored_cluster
        any_kept_scored = kept_scored.any(axis=0)
        kept_majority = _pick_expected(_mask(counts, kept), cluster_correct)
        sample_kept = answered & kept[np.where(answered, cluster_ids, 0), column]
        out["scr_calls"] = sample_kept.sum(axis=0).astype(np.float64)
        if "scr" in rules:
            out["scr"] = np.where(any_kept_scored,
                                  _pick_expected(_mask(sample_scores, sample_kept & scored), sample_correct),
                                  kept_majority)
        if "scr_wsum" in rules:
            out["scr_wsum"] = np.where(any_kept_scored,
                                       _pick_expected(_mask(weight_sum, kept_scored), cluster_correct),
                                       kept_majority)
        if "scr_mean" in rules:
            mean_score = weight_sum / np.maximum(scored_count, 1)
            out["scr_mean"] = np.where(any_kept_scored,
                                       _pick_expected(_mask(mean_score, kept_scored), cluster_correct),
                                       kept_majority)
    return out


def _renumber_clusters(cluster_ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber the clusters of each subset (columns of `cluster_ids: int[k, B]`) to 0, 1, ...

    Returns the new ids (-1 stays -1) and the number of ids used (at most k). Only the
    grouping matters to the rules, so this changes no result, only the arrays' width.
    """
    rows = np.ascontiguousarray(cluster_ids.T)
    order = np.argsort(rows, axis=1, kind="stable")
    ordered = np.take_along_axis(rows, order, axis=1)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    answered = ordered >= 0
    ranks = np.where(answered, np.cumsum(starts & answered, axis=1) - 1, -1)
    renumbered = np.empty_like(rows)
    np.put_along_axis(renumbered, order, ranks, axis=1)
    return np.ascontiguousarray(renumbered.T), max(1, int(ranks.max()) + 1)


def _rules_at_k(rules: Sequence[str], correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray | None,
                k: int, plan: _SubsetPlan, top_clusters: int, cluster_correct: np.ndarray) -> dict[str, np.ndarray]:
    """Per-problem values (mean over the planned subsets) of the rules at one k.

    Problems are processed in chunks of similar cluster count, so that the per-cluster
    working arrays are only as wide as the chunk's largest cluster id needs.
    """
    num_problems, num_samples = correct.shape
    num_subsets = plan.num_subsets
    widths = np.maximum(clusters.max(axis=1) + 1, 1)
    by_width = np.argsort(widths, kind="stable")
    results: dict[str, np.ndarray] = {}
    # int16 cluster ids (N < 32768) cut the memory traffic of the gathered [k, B] arrays
    correct_f = correct.astype(np.float64)
    scores_f = scores
    cluster_ids_small = clusters.astype(np.int16 if num_samples < 2**15 else np.int64)
    start = 0
    while start < num_problems:
        step = max(1, _CHUNK_ELEMENTS // (num_subsets * max(k, int(widths[by_width[start]]))))
        stop = min(num_problems, start + step)
        width = int(widths[by_width[stop - 1]])
        step = max(1, _CHUNK_ELEMENTS // (num_subsets * max(k, width)))
        stop = min(stop, start + step)
        width = int(widths[by_width[stop - 1]])
        members = by_width[start:stop]
        count = stop - start
        # [k, count * S]: sample slot first, then (problem, subset) pairs
        index = plan.indices(members, k).transpose(2, 0, 1).reshape(k, count * num_subsets)
        problem_of_column = np.repeat(members, num_subsets)

        def gather(matrix: np.ndarray) -> np.ndarray:
            return matrix[problem_of_column, index]

        cluster_ids = gather(cluster_ids_small)
        if k < width:
            # a subset holds at most k distinct clusters: renumber them to keep arrays k wide
            sample_cluster_correct = cluster_correct[problem_of_column, np.maximum(cluster_ids, 0)]
            cluster_ids, width = _renumber_clusters(cluster_ids)
            chunk_cluster_correct = np.zeros((width, cluster_ids.shape[1]))
            answered = cluster_ids >= 0
            columns = np.broadcast_to(np.arange(cluster_ids.shape[1]), cluster_ids.shape)
            chunk_cluster_correct[cluster_ids[answered], columns[answered]] = sample_cluster_correct[answered]
        else:
            chunk_cluster_correct = cluster_correct[problem_of_column, :width].T
        chunk = _rules_on_chunk(
            rules,
            cluster_ids=cluster_ids,
            sample_correct=gather(correct_f),
            sample_scores=gather(scores_f) if scores_f is not None else None,
            cluster_correct=chunk_cluster_correct,
            top_clusters=top_clusters,
        )
        for name, values in chunk.items():
            results.setdefault(name, np.zeros(num_problems))[members] = values.reshape(count, num_subsets).mean(axis=1)
        start = stop
    return results


def _single_rule(rule: str, correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray | None, k: int,
                 subsets: int, seed: int, top_clusters: int = DEFAULT_TOP_CLUSTERS,
                 output: str | None = None) -> np.ndarray:
    """Per-problem values of one rule (or of its by-product `output`, e.g. `scr_calls`)."""
    correct, clusters, scores = _validate(correct, clusters, scores)
    if rule in SCORE_RULES and scores is None:
        raise ValueError(f"{rule}@k needs scores")
    if top_clusters < 1:
        raise ValueError(f"top_clusters must be >= 1, got {top_clusters}")
    num_problems, num_samples = correct.shape
    _check_k(k, num_samples)
    plan = _plan_subsets(num_problems, num_samples, k, subsets, seed)
    values = _rules_at_k([rule], correct, clusters, scores, k, plan, top_clusters,
                         _cluster_correctness(correct, clusters))
    return values[output or rule]


def majority_at_k(correct: np.ndarray, clusters: np.ndarray, k: int, *, subsets: int = DEFAULT_SUBSETS,
                  seed: int = 0) -> np.ndarray:
    """maj@k per problem: expected correctness of the most frequent answer among k samples."""
    return _single_rule("maj", correct, clusters, None, k, subsets, seed)


def best_of_n_at_k(correct: np.ndarray, scores: np.ndarray, k: int, *, clusters: np.ndarray | None = None,
                   subsets: int = DEFAULT_SUBSETS, seed: int = 0) -> np.ndarray:
    """bon@k per problem: expected correctness of the highest-scored of k samples.

    `clusters` only matters for validation; by default every sample is its own answer.
    """
    correct = np.asarray(correct)
    if clusters is None:
        clusters = np.broadcast_to(np.arange(correct.shape[-1]), correct.shape)
    return _single_rule("bon", correct, clusters, scores, k, subsets, seed)


def weighted_majority_at_k(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray, k: int, *,
                           subsets: int = DEFAULT_SUBSETS, seed: int = 0) -> np.ndarray:
    """wmaj@k per problem: the cluster with the largest sum of member scores wins."""
    return _single_rule("wmaj", correct, clusters, scores, k, subsets, seed)


def scr_at_k(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray, k: int, *,
             top_clusters: int = DEFAULT_TOP_CLUSTERS, cluster_score: str = "max",
             subsets: int = DEFAULT_SUBSETS, seed: int = 0) -> np.ndarray:
    """scr@k per problem: Solution-Cluster Reranking.

    Among the k samples keep the `top_clusters` most frequent clusters (all clusters tied
    with the K-th are kept too), then pick the answer of the highest-scored solution in them
    (`cluster_score="max"`), or of the kept cluster with the largest sum (`"sum"`) or mean
    (`"mean"`) of its members' scores.
    """
    rule = {"max": "scr", "sum": "scr_wsum", "mean": "scr_mean"}.get(cluster_score)
    if rule is None:
        raise ValueError(f"cluster_score must be 'max', 'sum' or 'mean', got {cluster_score!r}")
    return _single_rule(rule, correct, clusters, scores, k, subsets, seed, top_clusters)


def scr_evaluator_calls(clusters: np.ndarray, k: int, *, top_clusters: int = DEFAULT_TOP_CLUSTERS,
                        subsets: int = DEFAULT_SUBSETS, seed: int = 0) -> np.ndarray:
    """Per problem, the expected number of the k solutions SCR must score (best-of-n scores all k).

    These are the samples in the kept top clusters; their mean over problems divided by k is
    the fraction of evaluator calls SCR needs compared with best-of-n. Only the clusters
    matter, so correctness and scores are left blank.
    """
    clusters = np.asarray(clusters)
    return _single_rule("scr", np.zeros(clusters.shape, dtype=bool), clusters, np.full(clusters.shape, np.nan), k,
                        subsets, seed, top_clusters, output="scr_calls")


# --------------------------------------------------------------------------- all metrics


def per_problem_metrics(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray | None = None, *,
                        ks: Sequence[int] | None = None, top_clusters: int = DEFAULT_TOP_CLUSTERS,
                        subsets: int = DEFAULT_SUBSETS, seed: int = 0, rules: Sequence[str] | None = None,
                        on_k_done: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    """Per-problem values of every metric, keyed `rule@k` (e.g. `maj@8`).

    `pass` and `maj` always; `bon`, `wmaj`, `scr`, `scr_wsum`, `scr_mean` when scores are
    given. `rules` narrows the list. Also `scr_calls@k` (solutions SCR scores, see
    `scr_evaluator_calls`) when SCR is computed. Every rule at one k uses the same subsets.
    `on_k_done(k)` is called after each k (for progress bars).
    """
    correct, clusters, scores = _validate(correct, clusters, scores)
    num_problems, num_samples = correct.shape
    ks = sorted(set(default_ks(num_samples) if ks is None else ks))
    for k in ks:
        _check_k(k, num_samples)
    if top_clusters < 1:
        raise ValueError(f"top_clusters must be >= 1, got {top_clusters}")
    if subsets < 1:
        raise ValueError(f"subsets must be >= 1, got {subsets}")
    wanted = list(RULE_ORDER if scores is not None else ("pass", "maj")) if rules is None else list(rules)
    unknown = [rule for rule in wanted if rule not in RULE_ORDER]
    if unknown:
        raise ValueError(f"unknown rules {unknown}; known: {list(RULE_ORDER)}")
    if scores is None and any(rule in SCORE_RULES for rule in wanted):
        raise ValueError(f"rules {[r for r in wanted if r in SCORE_RULES]} need scores")
    selection_rules = [rule for rule in wanted if rule != "pass"]

    cluster_correct = _cluster_correctness(correct, clusters)
    num_correct = correct.sum(axis=1)
    # one set of random orders serves every k that samples subsets (their prefixes)
    sampled_ks = [k for k in ks if math.comb(num_samples, k) > subsets]
    orders = (_random_orders(num_problems, num_samples, subsets, seed, max(sampled_ks))
              if sampled_ks and selection_rules else None)
    result: dict[str, np.ndarray] = {}
    for k in ks:
        if "pass" in wanted:
            result[metric_name("pass", k)] = pass_at_k(num_samples, num_correct, k)
        if selection_rules:
            plan = _plan_subsets(num_problems, num_samples, k, subsets, seed, orders)
            values = _rules_at_k(selection_rules, correct, clusters, scores, k, plan, top_clusters, cluster_correct)
            for name, per_problem in values.items():
                result[metric_name(name, k)] = per_problem
        if on_k_done is not None:
            on_k_done(k)
    return dict(sorted(result.items(), key=lambda item: _metric_sort_key(item[0])))


def _metric_sort_key(name: str) -> tuple[int, int, str]:
    rule, k = split_metric_name(name)
    rank = RULE_ORDER.index(rule) if rule in RULE_ORDER else len(RULE_ORDER)
    return rank, k, rule


def sort_metric_names(names: Sequence[str]) -> list[str]:
    """Metric names ordered by rule (pass, maj, bon, wmaj, scr, ...) then k."""
    return sorted(names, key=_metric_sort_key)


def compute_metrics(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray | None = None, *,
                    ks: Sequence[int] | None = None, top_clusters: int = DEFAULT_TOP_CLUSTERS,
                    subsets: int = DEFAULT_SUBSETS, seed: int = 0, confidence: float = 0.95,
                    resamples: int = 1000) -> dict[str, Estimate]:
    """Every accuracy metric (see `per_problem_metrics`) with its bootstrap interval."""
    per_problem = per_problem_metrics(correct, clusters, scores, ks=ks, top_clusters=top_clusters,
                                      subsets=subsets, seed=seed)
    accuracies = {name: values for name, values in per_problem.items() if not name.startswith("scr_calls@")}
    return bootstrap_cis(accuracies, confidence=confidence, resamples=resamples, seed=seed)


# --------------------------------------------------------------------------- bootstrap


def _resample_counts(num_problems: int, resamples: int, seed: int) -> np.ndarray:
    """float[R, P]: how often each problem is drawn in each bootstrap resample."""
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    rng = np.random.default_rng([seed, num_problems, resamples])
    draws = rng.integers(0, num_problems, size=(resamples, num_problems))
    offsets = (np.arange(resamples) * num_problems)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=resamples * num_problems)
    return counts.reshape(resamples, num_problems).astype(np.float64)


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def bootstrap_cis(per_problem: Mapping[str, np.ndarray], *, confidence: float = 0.95, resamples: int = 1000,
                  seed: int = 0) -> dict[str, Estimate]:
    """Mean and percentile-bootstrap interval of several per-problem arrays of equal length.

    All arrays are resampled with the same draws of problems, so the result for one array is
    the same (up to floating-point rounding) as `bootstrap_ci` on it alone with the same seed.
    """
    _check_confidence(confidence)
    if not per_problem:
        return {}
    names = list(per_problem)
    matrix = np.stack([np.asarray(per_problem[name], dtype=np.float64) for name in names], axis=1)
    if matrix.ndim != 2:
        raise ValueError("each per-problem array must be 1-dimensional")
    num_problems = matrix.shape[0]
    if num_problems == 0:
        raise ValueError("cannot bootstrap over zero problems")
    if np.any(np.isnan(matrix)):
        raise ValueError("per-problem values must not be NaN")
    resampled_means = _resample_counts(num_problems, resamples, seed) @ matrix / num_problems  # [R, metrics]
    tail = (1.0 - confidence) / 2.0
    lows, highs = np.quantile(resampled_means, [tail, 1.0 - tail], axis=0)
    result: dict[str, Estimate] = {}
    for i, name in enumerate(names):
        value = float(np.ascontiguousarray(matrix[:, i]).mean())
        result[name] = Estimate(value=value, ci=(float(lows[i]), float(highs[i])))
    return result


def bootstrap_ci(per_problem: np.ndarray, *, confidence: float = 0.95, resamples: int = 1000,
                 seed: int = 0) -> Estimate:
    """Mean over problems with a seeded percentile-bootstrap confidence interval."""
    return bootstrap_cis({"value": per_problem}, confidence=confidence, resamples=resamples, seed=seed)["value"]


def paired_bootstrap(a: np.ndarray, b: np.ndarray, *, confidence: float = 0.95, resamples: int = 1000,
                     seed: int = 0) -> PairedEstimate:
    """Mean difference a - b over the same problems, resampling problems jointly.

    Also reports the fraction of resamples with a difference <= 0.
    """
    _check_confidence(confidence)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired arrays must be 1-d of equal length, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("cannot bootstrap over zero problems")
    difference = a - b
    means = _resample_counts(a.size, resamples, seed) @ difference / a.size
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return PairedEstimate(value=float(difference.mean()), ci=(float(low), float(high)),
                          fraction_not_positive=float(np.mean(means <= 0.0)))


def breakdown(per_problem: Mapping[str, np.ndarray], groups: Sequence[str], *, confidence: float = 0.95,
              resamples: int = 1000, seed: int = 0) -> dict[str, dict[str, Estimate]]:
    """Metrics with intervals within each group of problems (e.g. subject or level).

    `groups[i]` names the group of problem i; groups come out in sorted order.
    """
    labels = np.asarray([str(group) for group in groups])
    for name, values in per_problem.items():
        if len(values) != len(labels):
            raise ValueError(f"{name} has {len(values)} problems but groups has {len(labels)}")
    result: dict[str, dict[str, Estimate]] = {}
    for group in sorted(set(labels.tolist()), key=_natural_key):
        members = labels == group
        subset = {name: np.asarray(values)[members] for name, values in per_problem.items()}
        result[group] = bootstrap_cis(subset, confidence=confidence, resamples=resamples, seed=seed)
    return result


def _natural_key(text: str) -> list[Any]:
    """Sort key that orders "Level 2" before "Level 10"."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]
