"""Accuracy metrics of sampled solutions, with bootstrap confidence intervals.

Pure functions over numpy arrays; no I/O. One run is described by three arrays over
P problems and N samples per problem:

- `correct: bool[P, N]`: whether each sample's answer is right;
- `clusters: int[P, N]`: the sample's answer cluster within its problem (ids in `[0, N)`;
  -1 means no answer, which abstains from every vote and is never scored);
- `scores: float[P, N] | None`: evaluator / reward scores, higher = more likely correct;
  NaN means "not scored".

Metrics (`rule@k`):

- `pass@k`: some sample among k is right (unbiased estimator of Chen et al. 2021);
  `avg@n` = pass@1 at k = n, the mean accuracy of one sample, as papers name it.
- every selection rule of `evalkit.selection` (`maj`, `bon`, `scr`, `wmaj`, `wscr`, `first`):
  the accuracy of the answer the rule picks from k samples; `cons@n` = maj@n (consistency,
  i.e. majority vote over all n samples).

A selection metric at k is the mean over k-subsets of the N samples of whether the rule's
choice (`evalkit.selection.rules`, the same function that writes `predictions.jsonl`) is
correct: all subsets when there are at most `subsets` of them, otherwise `subsets` seeded
random subsets per problem. The samples of a subset keep their original order, which the
selection tie rule (first appearance wins) reads; at k = N there is one subset, the run itself,
so `rule@N` is exactly the mean correctness of the rule's predictions. Every rule at one k uses
the same subsets, which makes paired comparisons between rules sharp.

With scores, each score rule also yields per problem the mean evaluator calls it needs
(`RuleValues.calls`) and the fraction of subsets in which every sample it needs was scored
(`RuleValues.coverage`); `answered_per_problem` is the baseline "score every answered sample".

Bootstrap intervals resample problems in chunks of resamples, so memory stays bounded
(no resamples x problems array at once) at any number of problems.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.selection.rules import DEFAULT_TOP_CLUSTERS, RULES, SCORE_RULES, SetStructure, selector

DEFAULT_SUBSETS = 64
SELECTION_RULES = ("maj", "bon", "scr", "wmaj", "wscr")
RULE_ORDER = ("pass", *SELECTION_RULES, "first")
# Names papers use for two metrics at k = n: avg@n = pass@1 (mean accuracy of one sample),
# cons@n = maj@n (majority vote over all n samples).
ALIASES_AT_N = {"avg": "pass@1", "cons": "maj@{n}"}
# Upper bound on elements of one working array: problems (and bootstrap resamples) go in chunks under it.
_CHUNK_ELEMENTS = 1 << 21

__all__ = [
    "ALIASES_AT_N", "DEFAULT_SUBSETS", "DEFAULT_TOP_CLUSTERS", "RULES", "RULE_ORDER", "SCORE_RULES",
    "SELECTION_RULES", "Estimate", "PairedEstimate", "RuleValues", "add_aliases", "answered_per_problem",
    "best_of_n_at_k", "bootstrap_ci", "bootstrap_cis", "breakdown", "compute_metrics", "default_ks",
    "evaluate_rules", "majority_at_k", "metric_name", "paired_bootstrap", "pass_at_k", "per_problem_metrics",
    "roc_auc", "scr_at_k", "scr_evaluator_calls", "sort_metric_names", "split_metric_name",
    "weighted_majority_at_k",
]


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


@dataclass(frozen=True)
class RuleValues:
    """Per problem, a selection rule at one k: accuracy (mean over subsets), mean evaluator calls,
    and the fraction of subsets in which every sample the rule needed carried a score."""

    accuracy: np.ndarray
    calls: np.ndarray
    coverage: np.ndarray


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


def add_aliases(metrics: Mapping[str, Any], num_samples: int) -> dict[str, Any]:
    """`metrics` plus `avg@n` (= pass@1) and `cons@n` (= maj@n) where their sources are present."""
    out = dict(metrics)
    for alias, source in ALIASES_AT_N.items():
        source_name = source.format(n=num_samples)
        if source_name in metrics:
            out[metric_name(alias, num_samples)] = metrics[source_name]
    return out


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


def _check_k(k: int, num_samples: int) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > num_samples:
        raise ValueError(f"k={k} exceeds the number of samples per problem (N={num_samples})")


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


# --------------------------------------------------------------------------- selection metrics


def _subset_columns(num_samples: int, k: int, subsets: int) -> np.ndarray | None:
    """All k-subsets (int[C, k], in index order) when there are at most `subsets`, else None."""
    if math.comb(num_samples, k) <= subsets:
        return np.array(list(itertools.combinations(range(num_samples), k)), dtype=np.int64).reshape(-1, k)
    return None


def answered_per_problem(clusters: np.ndarray, k: int) -> np.ndarray:
    """Per problem, the expected answered samples in a k-subset: what scoring every sample costs."""
    clusters = np.asarray(clusters)
    return k * (clusters >= 0).mean(axis=1)


def evaluate_rules(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray | None = None, *,
                   ks: Sequence[int] | None = None, rules: Sequence[str] = SELECTION_RULES,
                   top_clusters: int = DEFAULT_TOP_CLUSTERS, subsets: int = DEFAULT_SUBSETS, seed: int = 0,
                   on_chunk_done: Callable[[int], None] | None = None) -> dict[str, RuleValues]:
    """Per-problem `RuleValues` of each selection rule at each k, keyed `rule@k`.

    Score rules are skipped when `scores` is None. Problems are processed in chunks so that
    no working array exceeds about two million elements; `on_chunk_done(problems)` is called
    after each chunk (for progress bars).
    """
    correct, clusters, scores = _validate(correct, clusters, scores)
    num_problems, num_samples = correct.shape
    ks = sorted(set(default_ks(num_samples) if ks is None else ks))
    for k in ks:
        _check_k(k, num_samples)
    if subsets < 1:
        raise ValueError(f"subsets must be >= 1, got {subsets}")
    unknown = [rule for rule in rules if rule not in RULES]
    if unknown:
        raise ValueError(f"unknown rules {unknown}; known: {list(RULES)}")
    wanted = [rule for rule in rules if scores is not None or rule not in SCORE_RULES]
    select = {rule: selector(rule, top_clusters) for rule in wanted}
    exact = {k: _subset_columns(num_samples, k, subsets) for k in ks}
    sampled_ks = [k for k in ks if exact[k] is None]
    widest = max((len(exact[k]) if exact[k] is not None else subsets) * k for k in ks)
    step = max(1, _CHUNK_ELEMENTS // max(widest, subsets * num_samples))
    rng = np.random.default_rng([seed, num_samples, subsets])
    out = {metric_name(rule, k): RuleValues(np.zeros(num_problems), np.zeros(num_problems), np.zeros(num_problems))
           for k in ks for rule in wanted}
    for start in range(0, num_problems, step):
        stop = min(num_problems, start + step)
        count = stop - start
        # one random order per (problem, subset) serves every sampled k: its first k entries
        orders = (np.argsort(rng.random((count, subsets, num_samples)), axis=-1) if sampled_ks else None)
        for k in ks:
            if exact[k] is not None:
                columns = np.broadcast_to(exact[k], (count, *exact[k].shape))
            else:
                assert orders is not None
                columns = np.sort(orders[:, :, :k], axis=-1)
            width = columns.shape[1]
            rows = np.repeat(np.arange(start, stop), width)[:, None]
            flat_columns = columns.reshape(count * width, k)
            structure = SetStructure.of(clusters[rows, flat_columns])
            set_correct = correct[rows, flat_columns]
            set_scores = scores[rows, flat_columns] if scores is not None else None
            for rule in wanted:
                choices = select[rule](structure, set_scores)
                values = out[metric_name(rule, k)]
                values.accuracy[start:stop] = choices.credit(set_correct).reshape(count, width).mean(axis=1)
                values.calls[start:stop] = choices.calls.reshape(count, width).mean(axis=1)
                values.coverage[start:stop] = choices.complete.reshape(count, width).mean(axis=1)
        if on_chunk_done is not None:
            on_chunk_done(count)
    return out


def per_problem_metrics(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray | None = None, *,
                        ks: Sequence[int] | None = None, top_clusters: int = DEFAULT_TOP_CLUSTERS,
                        subsets: int = DEFAULT_SUBSETS, seed: int = 0,
                        rules: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Per-problem accuracy of every metric, keyed `rule@k` (e.g. `maj@8`), in display order.

    `pass` and the selection rules (score rules only with scores); `rules` narrows the list.
    """
    correct, clusters, scores = _validate(correct, clusters, scores)
    num_samples = correct.shape[1]
    ks = sorted(set(default_ks(num_samples) if ks is None else ks))
    wanted = list(rules) if rules is not None else ["pass", *SELECTION_RULES]
    unknown = [rule for rule in wanted if rule != "pass" and rule not in RULES]
    if unknown:
        raise ValueError(f"unknown rules {unknown}; known: {['pass', *RULES]}")
    if scores is None and rules is not None and any(rule in SCORE_RULES for rule in wanted):
        raise ValueError(f"rules {[r for r in wanted if r in SCORE_RULES]} need scores")
    result: dict[str, np.ndarray] = {}
    if "pass" in wanted:
        num_correct = correct.sum(axis=1)
        for k in ks:
            _check_k(k, num_samples)
            result[metric_name("pass", k)] = pass_at_k(num_samples, num_correct, k)
    selection = [rule for rule in wanted if rule != "pass"]
    if selection:
        values = evaluate_rules(correct, clusters, scores, ks=ks, rules=selection, top_clusters=top_clusters,
                                subsets=subsets, seed=seed)
        result.update({name: item.accuracy for name, item in values.items()})
    return dict(sorted(result.items(), key=lambda item: _metric_sort_key(item[0])))


def _single_rule(rule: str, correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray | None, k: int,
                 subsets: int, seed: int, top_clusters: int = DEFAULT_TOP_CLUSTERS) -> RuleValues:
    if rule in SCORE_RULES and scores is None:
        raise ValueError(f"{rule}@k needs scores")
    return evaluate_rules(correct, clusters, scores, ks=[k], rules=[rule], top_clusters=top_clusters,
                          subsets=subsets, seed=seed)[metric_name(rule, k)]


def majority_at_k(correct: np.ndarray, clusters: np.ndarray, k: int, *, subsets: int = DEFAULT_SUBSETS,
                  seed: int = 0) -> np.ndarray:
    """maj@k per problem: accuracy of the most frequent answer among k samples (answers tied for the
    most votes share the credit: the expected accuracy of a random tie-break)."""
    return _single_rule("maj", correct, clusters, None, k, subsets, seed).accuracy


def best_of_n_at_k(correct: np.ndarray, scores: np.ndarray, k: int, *, clusters: np.ndarray | None = None,
                   subsets: int = DEFAULT_SUBSETS, seed: int = 0) -> np.ndarray:
    """bon@k (RR.All) per problem: accuracy of the highest-scored of k samples.

    Without `clusters` every sample counts as answered and as its own answer.
    """
    correct = np.asarray(correct)
    if clusters is None:
        clusters = np.broadcast_to(np.arange(correct.shape[-1]), correct.shape)
    return _single_rule("bon", correct, clusters, scores, k, subsets, seed).accuracy


def weighted_majority_at_k(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray, k: int, *,
                           subsets: int = DEFAULT_SUBSETS, seed: int = 0) -> np.ndarray:
    """wmaj@k (W.RR) per problem: the cluster with the largest sum of member scores wins."""
    return _single_rule("wmaj", correct, clusters, scores, k, subsets, seed).accuracy


def scr_at_k(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray, k: int, *,
             top_clusters: int = DEFAULT_TOP_CLUSTERS, weighted: bool = False,
             subsets: int = DEFAULT_SUBSETS, seed: int = 0) -> np.ndarray:
    """scr@k (RR.Top-K) per problem: the highest-scored solution inside the K largest clusters;
    `weighted=True` gives wscr@k (W.RR.Top-K), the kept cluster with the largest score sum."""
    rule = "wscr" if weighted else "scr"
    return _single_rule(rule, correct, clusters, scores, k, subsets, seed, top_clusters).accuracy


def scr_evaluator_calls(clusters: np.ndarray, k: int, *, top_clusters: int = DEFAULT_TOP_CLUSTERS,
                        subsets: int = DEFAULT_SUBSETS, seed: int = 0) -> np.ndarray:
    """Per problem, the mean number of a k-subset's samples SCR must score: the samples of the K
    kept clusters, or none when they form one cluster (its answer is then decided). Compare with
    `answered_per_problem`, the cost of scoring every answered sample."""
    clusters = np.asarray(clusters)
    return _single_rule("scr", np.zeros(clusters.shape, dtype=bool), clusters, np.full(clusters.shape, np.nan), k,
                        subsets, seed, top_clusters).calls


def _metric_sort_key(name: str) -> tuple[int, int, str]:
    rule, k = split_metric_name(name)
    rank = RULE_ORDER.index(rule) if rule in RULE_ORDER else len(RULE_ORDER)
    return rank, k, rule


def sort_metric_names(names: Sequence[str]) -> list[str]:
    """Metric names ordered by rule (pass, maj, bon, scr, wmaj, wscr, first, others) then k."""
    return sorted(names, key=_metric_sort_key)


def compute_metrics(correct: np.ndarray, clusters: np.ndarray, scores: np.ndarray | None = None, *,
                    ks: Sequence[int] | None = None, top_clusters: int = DEFAULT_TOP_CLUSTERS,
                    subsets: int = DEFAULT_SUBSETS, seed: int = 0, confidence: float = 0.95,
                    resamples: int = 1000) -> dict[str, Estimate]:
    """Every accuracy metric (see `per_problem_metrics`) with its bootstrap interval."""
    per_problem = per_problem_metrics(correct, clusters, scores, ks=ks, top_clusters=top_clusters,
                                      subsets=subsets, seed=seed)
    return bootstrap_cis(per_problem, confidence=confidence, resamples=resamples, seed=seed)


# --------------------------------------------------------------------------- evaluator quality


def roc_auc(labels: Sequence[bool] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a random negative.

    Rank-based (Mann-Whitney U): tied scores share their average rank, so a tie between a
    positive and a negative counts one half. NaN when either class is empty (undefined).
    A NaN score (not scored) has no rank: leave such samples out first; they are refused here.
    """
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if labels.shape != scores.shape or labels.ndim != 1:
        raise ValueError(f"got {labels.size} labels but {scores.size} scores")
    if np.isnan(scores).any():
        raise ValueError(f"{int(np.isnan(scores).sum())} of {scores.size} scores are NaN (not scored): "
                         "leave those samples out before computing the AUROC")
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return math.nan
    unique, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    average_rank = upper - (counts - 1) / 2.0  # 1-based mean rank of each distinct score
    positive_rank_sum = float(average_rank[inverse][labels].sum())
    return (positive_rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def within_problem_auroc(correct: np.ndarray, scores: np.ndarray, keep: np.ndarray | None = None) -> tuple[float, int]:
    """The mean, over problems (rows) that have both right and wrong kept samples, of the AUROC
    inside the problem; and how many problems that is. NaN and 0 when no problem has both.

    This is what re-ranking one problem's samples needs: the pooled AUROC also rewards telling
    easy problems from hard ones, which picks no answer. `correct: bool[P, N]`, `scores: float[P, N]`,
    `keep: bool[P, N]` (default: every sample whose score is not NaN).
    """
    correct = np.asarray(correct, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if correct.shape != scores.shape or correct.ndim != 2:
        raise ValueError(f"correct {correct.shape} and scores {scores.shape} must be the same [P, N] shape")
    keep = ~np.isnan(scores) if keep is None else np.asarray(keep, dtype=bool) & ~np.isnan(scores)
    values = []
    for row_correct, row_scores, row_keep in zip(correct, scores, keep):
        labels = row_correct[row_keep]
        if 0 < labels.sum() < labels.size:
            values.append(roc_auc(labels, row_scores[row_keep]))
    return (float(np.mean(values)) if values else math.nan), len(values)


# --------------------------------------------------------------------------- bootstrap


def _resampled_means(matrix: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """float[R, M]: the column means of `matrix: float[P, M]` in each of R bootstrap resamples of its rows.

    Resamples are drawn in chunks of at most about two million draws, so memory stays bounded
    whatever the number of problems; the draws depend only on (seed, P, R).
    """
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    num_problems = matrix.shape[0]
    rng = np.random.default_rng([seed, num_problems, resamples])
    step = max(1, _CHUNK_ELEMENTS // num_problems)
    means = np.empty((resamples, matrix.shape[1]))
    for start in range(0, resamples, step):
        stop = min(resamples, start + step)
        draws = rng.integers(0, num_problems, size=(stop - start, num_problems))
        offsets = (np.arange(stop - start) * num_problems)[:, None]
        counts = np.bincount((draws + offsets).ravel(), minlength=(stop - start) * num_problems)
        means[start:stop] = counts.reshape(stop - start, num_problems).astype(np.float64) @ matrix / num_problems
    return means


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
    resampled_means = _resampled_means(matrix, resamples, seed)  # [R, metrics]
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
    means = _resampled_means(difference[:, None], resamples, seed)[:, 0]
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
