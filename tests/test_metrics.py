"""Tests of evalkit.metrics against independent, brute-force computations."""

from __future__ import annotations

import itertools
import math
import time
from fractions import Fraction

import numpy as np
import pytest

from evalkit.selection import predict

from evalkit.metrics import (
    Estimate,
    PairedEstimate,
    best_of_n_at_k,
    bootstrap_ci,
    bootstrap_cis,
    breakdown,
    compute_metrics,
    default_ks,
    majority_at_k,
    pass_at_k,
    paired_bootstrap,
    per_problem_metrics,
    add_aliases,
    answered_per_problem,
    evaluate_rules,
    roc_auc,
    scr_at_k,
    scr_evaluator_calls,
    split_metric_name,
    weighted_majority_at_k,
)

# --------------------------------------------------------------------------- brute force references


def brute_pass(n: int, c: int, k: int) -> Fraction:
    """Fraction of k-subsets of n samples (c correct) holding a correct one, by enumeration."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(samples, k))
    return Fraction(sum(any(subset) for subset in subsets), len(subsets))


def first_max(candidates):
    """The candidate with the largest key; among equal keys the first listed (the tie rule)."""
    best = None
    for key, item in candidates:
        if best is None or key > best[0]:
            best = (key, item)
    return None if best is None else best[1]


def all_max(candidates):
    """Every candidate with the largest key (the ties the metrics share the credit among)."""
    listed = list(candidates)
    if not listed:
        return []
    top_key = max(key for key, _ in listed)
    return [item for key, item in listed if key == top_key]


def brute_choice(rule: str, ids, scores, top: int = 8):
    """(chosen position or None, evaluator calls, complete, positions tied with the chosen one) of
    one sample set, written plainly."""
    order = []  # clusters in order of first appearance
    members: dict[int, list[int]] = {}
    for position, cluster in enumerate(ids):
        if cluster >= 0:
            if cluster not in members:
                order.append(cluster)
            members.setdefault(cluster, []).append(position)
    majority = first_max((len(members[c]), c) for c in order)
    if rule == "first":
        return (0 if ids[0] >= 0 else None), 0, True, ([0] if ids[0] >= 0 else [])
    if rule == "maj":
        tied = [members[c][0] for c in all_max((len(members[c]), c) for c in order)]
        return (members[majority][0] if majority is not None else None), 0, True, tied
    if rule in ("bon", "wmaj"):
        pool = list(order)
    else:
        pool = sorted(order, key=lambda c: (-len(members[c]), members[c][0]))[:top]
    needed = [p for c in pool for p in members[c]] if len(pool) >= 2 else []
    scored = [p for p in needed if not math.isnan(scores[p])]
    complete = len(scored) == len(needed)
    pool_majority = first_max((len(members[c]), c) for c in pool)
    fallback = members[pool_majority][0] if pool_majority is not None else None
    fallback_tied = [members[c][0] for c in all_max((len(members[c]), c) for c in pool)]
    if rule in ("bon", "scr"):
        best = first_max((scores[p], p) for p in sorted(scored))
        if best is None:
            return fallback, len(needed), complete, fallback_tied
        return best, len(needed), complete, all_max((scores[p], p) for p in sorted(scored))
    sums = {c: sum(scores[p] for p in members[c] if p in scored) for c in pool if any(p in scored for p in members[c])}
    best = first_max((sums[c], c) for c in order if c in sums)  # ties: first appearance
    if best is None:
        return fallback, len(needed), complete, fallback_tied
    return members[best][0], len(needed), complete, [members[c][0] for c in all_max((sums[c], c) for c in order
                                                                                    if c in sums)]


def brute_rule(rule: str, ids, correct, scores, top: int = 8) -> float:
    """One subset's expected correctness under a selection rule, ties broken uniformly at random."""
    _, _, _, tied = brute_choice(rule, ids, scores, top)
    return sum(correct[p] for p in tied) / len(tied) if tied else 0.0


def brute_average(rule: str, correct, clusters, scores, k: int, top: int = 8) -> np.ndarray:
    """Per-problem mean of a rule over all k-subsets."""
    values = []
    for row in range(correct.shape[0]):
        per_subset = []
        for subset in itertools.combinations(range(correct.shape[1]), k):
            idx = list(subset)
            row_scores = scores[row, idx] if scores is not None else [math.nan] * k
            per_subset.append(brute_rule(rule, clusters[row, idx].tolist(), correct[row, idx].tolist(),
                                         list(row_scores), top))
        values.append(sum(per_subset) / len(per_subset))
    return np.array(values)


def random_run(rng: np.random.Generator, problems: int, samples: int, answers: int = 4,
               unscored: float = 0.2, ties: bool = True):
    """Random consistent run: clusters numbered by first appearance, cluster 0 or none correct."""
    raw = rng.integers(-1, answers, size=(problems, samples))
    clusters = np.full(raw.shape, -1)
    for row in range(problems):
        mapping: dict[int, int] = {}
        for j, value in enumerate(raw[row]):
            if value >= 0:
                clusters[row, j] = mapping.setdefault(int(value), len(mapping))
    right_answer = rng.integers(-1, answers, size=problems)
    correct = (raw == right_answer[:, None]) & (raw >= 0)
    scores = rng.integers(0, 5, size=raw.shape).astype(float) if ties else rng.random(raw.shape)
    scores[rng.random(raw.shape) < unscored] = np.nan
    return correct, clusters, scores


# --------------------------------------------------------------------------- pass@k


def test_pass_at_k_matches_subset_enumeration_and_comb_form():
    for n in range(1, 8):
        for c in range(n + 1):
            for k in range(1, n + 1):
                value = pass_at_k(n, np.array([c]), k)[0]
                comb_form = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
                assert value == pytest.approx(float(brute_pass(n, c, k)), abs=1e-12)
                assert value == pytest.approx(float(comb_form), abs=1e-12)


def test_pass_at_k_exact_one_and_stable_for_large_n():
    assert pass_at_k(10, np.array([8]), 3)[0] == 1.0  # n - c = 2 < k
    large = pass_at_k(1000, np.array([0, 1, 500, 1000]), 100)
    assert np.all(np.isfinite(large))
    assert large[0] == 0.0 and large[3] == 1.0
    assert large[1] == pytest.approx(0.1, abs=1e-12)
    exact = 1 - Fraction(math.comb(500, 100), math.comb(1000, 100))
    assert large[2] == pytest.approx(float(exact), rel=1e-12)


def test_pass_at_k_per_problem_sample_counts_and_errors():
    values = pass_at_k(np.array([4, 8]), np.array([1, 1]), 2)
    assert values == pytest.approx([0.5, 0.25])
    with pytest.raises(ValueError, match="exceeds"):
        pass_at_k(4, np.array([1]), 5)
    with pytest.raises(ValueError, match="between 0 and"):
        pass_at_k(4, np.array([5]), 1)
    with pytest.raises(ValueError, match="positive"):
        pass_at_k(4, np.array([1]), 0)


# --------------------------------------------------------------------------- majority vote


def test_majority_full_vote_hand_built():
    clusters = np.array([
        [0, 0, 1, -1],     # cluster 0 wins 2-1 and is correct
        [0, 1, 1, 2],      # wrong cluster 1 wins
        [-1, -1, -1, -1],  # everyone abstains: wrong
        [-1, -1, -1, 0],   # abstentions never win: the lone answer wins
        [0, 1, 2, 3],      # four-way tie, one right: a quarter
        [0, 0, 1, 1],      # two-way tie, one right: a half (whichever appears first)
        [1, 0, 0, 1],      # the same tie in another order: the same half
    ])
    correct = np.array([
        [1, 1, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 1],
        [0, 0, 1, 0],
        [0, 0, 1, 1],
        [1, 0, 0, 1],
    ], dtype=bool)
    assert majority_at_k(correct, clusters, 4) == pytest.approx([1, 0, 0, 1, 0.25, 0.5, 0.5])


def test_majority_exhaustive_subsets_match_brute_force():
    rng = np.random.default_rng(3)
    correct, clusters, _ = random_run(rng, problems=12, samples=6)
    for k in range(1, 7):
        got = majority_at_k(correct, clusters, k, subsets=64)  # C(6, k) <= 64: all subsets
        assert got == pytest.approx(brute_average("maj", correct, clusters, None, k), abs=1e-12)


def test_majority_random_subsets_close_to_exhaustive_average():
    rng = np.random.default_rng(4)
    correct, clusters, _ = random_run(rng, problems=20, samples=12, answers=3)
    exact = brute_average("maj", correct, clusters, None, 5)  # 792 subsets per problem
    sampled = majority_at_k(correct, clusters, 5, subsets=400, seed=1)
    assert np.abs(sampled - exact).max() < 0.1
    assert abs(sampled.mean() - exact.mean()) < 0.02
    assert np.array_equal(sampled, majority_at_k(correct, clusters, 5, subsets=400, seed=1))
    assert not np.array_equal(sampled, majority_at_k(correct, clusters, 5, subsets=400, seed=2))


# --------------------------------------------------------------------------- score-based rules


@pytest.mark.parametrize("rule", ["bon", "wmaj", "scr", "wscr", "first"])
@pytest.mark.parametrize("top", [1, 2, 8])
def test_score_rules_match_brute_force_on_all_subsets(rule, top):
    rng = np.random.default_rng(hash((rule, top)) % 2**32)
    correct, clusters, scores = random_run(rng, problems=10, samples=7, answers=5)
    for k in (1, 3, 7):
        got = per_problem_metrics(correct, clusters, scores, ks=[k], top_clusters=top, subsets=64,
                                  rules=[rule])[f"{rule}@{k}"]
        assert got == pytest.approx(brute_average(rule, correct, clusters, scores, k, top), abs=1e-12)


def test_best_of_n_ties_and_unscored_samples():
    correct = np.array([[0, 1, 0, 1], [1, 0, 0, 0], [0, 1, 1, 0]], dtype=bool)
    scores = np.array([
        [0.9, 0.9, 0.1, 0.2],          # tie between a wrong and a right sample: half credit
        [np.nan, 0.1, 0.2, np.nan],    # the unscored right answer is never picked
        [np.nan] * 4,                  # nothing scored: majority vote, a four-way tie, two of them right
    ])
    assert best_of_n_at_k(correct, scores, 4) == pytest.approx([0.5, 0.0, 0.5])
    values = evaluate_rules(correct, np.broadcast_to(np.arange(4), (3, 4)), scores, ks=[4], rules=["bon"])["bon@4"]
    assert values.coverage == pytest.approx([1.0, 0.0, 0.0])
    assert values.calls == pytest.approx([4, 4, 4])


def test_weighted_majority_sums_member_scores():
    clusters = np.array([[0, 0, 0, 1, 1]])
    correct = np.array([[0, 0, 0, 1, 1]], dtype=bool)
    low_votes_high_scores = np.array([[0.1, 0.1, 0.1, 0.5, 0.4]])
    assert weighted_majority_at_k(correct, clusters, low_votes_high_scores, 5) == pytest.approx([1.0])
    many_votes = np.array([[0.4, 0.4, 0.4, 0.5, 0.4]])
    assert weighted_majority_at_k(correct, clusters, many_votes, 5) == pytest.approx([0.0])


def test_scr_ignores_high_score_outside_top_clusters():
    # clusters 0 and 1 are the two most frequent; cluster 2 appears once with the highest score
    clusters = np.array([[0, 0, 0, 1, 1, 2]])
    correct = np.array([[0, 0, 0, 1, 1, 0]], dtype=bool)
    scores = np.array([[0.2, 0.3, 0.1, 0.8, 0.4, 0.99]])
    assert scr_at_k(correct, clusters, scores, 6, top_clusters=2) == pytest.approx([1.0])
    assert best_of_n_at_k(correct, scores, 6, clusters=clusters) == pytest.approx([0.0])
    assert scr_at_k(correct, clusters, scores, 6, top_clusters=3) == pytest.approx([0.0])
    assert majority_at_k(correct, clusters, 6) == pytest.approx([0.0])
    # weighted re-ranking inside the kept clusters: sums 0.6 vs 1.2
    assert scr_at_k(correct, clusters, scores, 6, top_clusters=2, weighted=True) == pytest.approx([1.0])


def test_scr_keeps_exactly_k_clusters_and_cuts_ties_by_first_appearance():
    # K = 2 and clusters 1, 2, 3 tie at 2 votes behind cluster 0: cluster 1 (first) is kept, 2 and 3 are cut
    clusters = np.array([[0, 0, 0, 1, 2, 3, 1, 2, 3]])
    correct = np.array([[0, 0, 0, 0, 1, 0, 0, 1, 0]], dtype=bool)
    scores = np.array([[0.1, 0.1, 0.1, 0.2, 0.99, 0.3, 0.2, 0.98, 0.3]])
    assert scr_at_k(correct, clusters, scores, 9, top_clusters=2) == pytest.approx([0.0])
    assert scr_evaluator_calls(clusters, 9, top_clusters=2) == pytest.approx([5.0])
    assert best_of_n_at_k(correct, scores, 9, clusters=clusters) == pytest.approx([1.0])
    # all singletons (the case that made the old SCR score everything): still exactly K clusters
    singletons = np.arange(16)[None, :]
    assert scr_evaluator_calls(singletons, 16, top_clusters=4) == pytest.approx([4.0])


def test_scr_needs_no_call_when_the_kept_samples_share_one_answer():
    clusters = np.array([[0, 0, 0, 0], [0, 0, 1, -1]])
    assert scr_evaluator_calls(clusters, 4, top_clusters=1) == pytest.approx([0.0, 0.0])
    assert scr_evaluator_calls(clusters, 4, top_clusters=2) == pytest.approx([0.0, 3.0])
    assert answered_per_problem(clusters, 4) == pytest.approx([4.0, 3.0])


def test_scr_evaluator_calls_average_over_subsets():
    rng = np.random.default_rng(8)
    _, clusters, _ = random_run(rng, problems=5, samples=6)
    for top in (1, 2, 3):
        expected = [np.mean([brute_choice("scr", clusters[row, list(subset)].tolist(), [0.5] * 3, top)[1]
                             for subset in itertools.combinations(range(6), 3)]) for row in range(5)]
        assert scr_evaluator_calls(clusters, 3, top_clusters=top, subsets=100) == pytest.approx(expected)


def test_metric_at_n_equals_the_mean_of_the_predictions():
    rng = np.random.default_rng(9)
    correct, clusters, scores = random_run(rng, problems=40, samples=8)
    answers = [[None if c < 0 else f"a{c}" for c in row] for row in clusters.tolist()]
    ids = [f"p{i}" for i in range(40)]
    metrics = per_problem_metrics(correct, clusters, scores, ks=[8], top_clusters=2,
                                  rules=["maj", "bon", "scr", "wmaj", "wscr", "first"])
    for rule in ("maj", "bon", "scr", "wmaj", "wscr", "first"):
        predictions = predict(rule, ids, answers, clusters, correct, scores, top_clusters=2)
        assert metrics[f"{rule}@8"] == pytest.approx([p.credit for p in predictions])
        assert all(p.credit == float(p.correct) for p in predictions if p.tied == 1)
        if rule in ("maj", "first"):  # no evaluator score to show (the cluster size is its own field)
            assert all(p.score is None for p in predictions)


def test_a_score_of_minus_infinity_still_beats_an_unanswered_sample():
    from evalkit.selection import select

    clusters, scores = np.array([[-1, 0, 1], [0, -1, 1]]), np.array([[np.nan, -np.inf, -np.inf], [-np.inf, 0.5, -1.0]])
    for rule in ("bon", "scr", "wmaj", "wscr"):
        assert select(rule, clusters, scores, top_clusters=2).column.tolist() == [1, 2], rule


def test_cluster_ids_are_renumbered_consistently():
    # the same grouping under different id numbers gives the same values
    rng = np.random.default_rng(7)
    correct, clusters, scores = random_run(rng, problems=30, samples=16, answers=12)
    permuted = np.where(clusters >= 0, 15 - clusters, -1)
    a = per_problem_metrics(correct, clusters, scores, ks=[2, 4, 16], seed=3)
    b = per_problem_metrics(correct, permuted, scores, ks=[2, 4, 16], seed=3)
    for name in a:
        assert a[name] == pytest.approx(b[name], abs=1e-12), name


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_ci_contains_value_narrows_and_is_seeded():
    rng = np.random.default_rng(0)
    small = (rng.random(100) < 0.6).astype(float)
    large = (rng.random(5000) < 0.6).astype(float)
    est_small = bootstrap_ci(small)
    est_large = bootstrap_ci(large)
    for est, data in ((est_small, small), (est_large, large)):
        assert est.value == pytest.approx(data.mean())
        assert est.ci[0] <= est.value <= est.ci[1]
    assert est_large.ci[1] - est_large.ci[0] < (est_small.ci[1] - est_small.ci[0]) / 3
    assert bootstrap_ci(small, seed=5) == bootstrap_ci(small, seed=5)
    assert bootstrap_ci(small, seed=5) != bootstrap_ci(small, seed=6)
    # binomial standard error check: 95% half-width ~ 1.96 * sqrt(p(1-p)/n)
    half = (est_large.ci[1] - est_large.ci[0]) / 2
    assert half == pytest.approx(1.96 * math.sqrt(0.24 / 5000), rel=0.15)
    assert est_small.to_dict() == {"value": est_small.value, "ci": list(est_small.ci)}
    assert Estimate.from_dict(est_small.to_dict()) == est_small


def test_bootstrap_cis_shares_draws_with_single_bootstrap():
    rng = np.random.default_rng(1)
    a, b = rng.random(50), rng.random(50)
    both = bootstrap_cis({"a": a, "b": b}, seed=9)
    for name, data in (("a", a), ("b", b)):
        alone = bootstrap_ci(data, seed=9)
        assert both[name].value == alone.value
        assert both[name].ci == pytest.approx(alone.ci, rel=1e-12)
    with pytest.raises(ValueError):
        bootstrap_ci(np.array([]))


def test_paired_bootstrap():
    rng = np.random.default_rng(2)
    a = rng.random(200)
    same = paired_bootstrap(a, a)
    assert isinstance(same, PairedEstimate)
    assert same.value == 0.0 and same.ci == (0.0, 0.0)
    better = paired_bootstrap(a + 0.05, a)
    assert better.value == pytest.approx(0.05)
    assert better.ci[0] == pytest.approx(0.05) and better.fraction_not_positive == 0.0
    noisy = paired_bootstrap(a, rng.random(200))
    assert noisy.ci[0] <= noisy.value <= noisy.ci[1]
    assert 0.0 < noisy.fraction_not_positive < 1.0
    with pytest.raises(ValueError):
        paired_bootstrap(a, a[:-1])


def test_breakdown_groups_problems():
    per_problem = {"pass@1": np.array([1.0, 0.0, 1.0, 1.0]), "maj@1": np.array([0.0, 0.0, 1.0, 1.0])}
    result = breakdown(per_problem, ["Level 10", "Level 10", "Level 2", "Level 2"])
    assert list(result) == ["Level 2", "Level 10"]
    assert result["Level 10"]["pass@1"].value == 0.5
    assert result["Level 2"]["maj@1"].value == 1.0
    with pytest.raises(ValueError):
        breakdown(per_problem, ["a"])


# --------------------------------------------------------------------------- compute_metrics


def test_compute_metrics_names_values_and_validation():
    rng = np.random.default_rng(5)
    correct, clusters, scores = random_run(rng, problems=40, samples=8)
    without = compute_metrics(correct, clusters, ks=[1, 8])
    assert list(without) == ["pass@1", "pass@8", "maj@1", "maj@8"]
    with_scores = compute_metrics(correct, clusters, scores, ks=[2, 8])
    assert {"bon@8", "wmaj@8", "scr@8", "wscr@8"} <= set(with_scores)
    assert with_scores["pass@8"].value == pytest.approx(correct.any(axis=1).mean())
    assert with_scores["maj@8"].value == pytest.approx(brute_average("maj", correct, clusters, None, 8).mean())
    # the first k is 1: every rule then picks the one sample
    one = per_problem_metrics(correct, clusters, scores, ks=[1])
    assert one["maj@1"] == pytest.approx(one["pass@1"])
    assert one["bon@1"] == pytest.approx(one["pass@1"])
    assert default_ks(12) == [1, 2, 4, 8, 12]
    assert split_metric_name("wscr@16") == ("wscr", 16)
    assert add_aliases({"pass@1": 1, "maj@8": 2}, 8) == {"pass@1": 1, "maj@8": 2, "avg@8": 1, "cons@8": 2}
    with pytest.raises(ValueError, match="exceeds"):
        compute_metrics(correct, clusters, ks=[16])
    with pytest.raises(ValueError, match="shape"):
        compute_metrics(correct, clusters[:, :4])
    with pytest.raises(ValueError, match="cluster ids"):
        compute_metrics(correct, clusters + 8)
    with pytest.raises(ValueError, match="need scores"):
        per_problem_metrics(correct, clusters, rules=["bon"])


def test_compute_metrics_is_deterministic_under_seed():
    rng = np.random.default_rng(6)
    correct, clusters, scores = random_run(rng, problems=50, samples=16)
    first = compute_metrics(correct, clusters, scores, ks=[4], seed=11)
    assert first == compute_metrics(correct, clusters, scores, ks=[4], seed=11)
    assert first != compute_metrics(correct, clusters, scores, ks=[4], seed=12)
    # the subsets at one k do not depend on which other ks are computed
    together = per_problem_metrics(correct, clusters, scores, ks=[2, 4, 8], seed=11)
    assert np.array_equal(together["maj@4"], majority_at_k(correct, clusters, 4, seed=11))
    assert np.array_equal(together["scr@4"], scr_at_k(correct, clusters, scores, 4, seed=11))
    with pytest.raises(ValueError, match="subsets"):
        per_problem_metrics(correct, clusters, ks=[4], subsets=0)


@pytest.mark.slow
def test_speed_sanity_5000_problems_64_samples(capsys):
    """No timing assertion: measures and prints the time of all metrics for k = 1..64."""
    rng = np.random.default_rng(0)
    problems, samples = 5000, 64
    clusters = rng.integers(-1, 8, size=(problems, samples))
    correct = clusters == 0
    scores = rng.random((problems, samples))
    start = time.perf_counter()
    metrics = compute_metrics(correct, clusters, scores, ks=[1, 2, 4, 8, 16, 32, 64])
    elapsed = time.perf_counter() - start
    assert len(metrics) == 6 * 7  # pass, maj, bon, scr, wmaj, wscr
    with capsys.disabled():
        print(f"\n[metrics] P=5000 N=64, 7 ks x 7 rules + CIs: {elapsed:.2f} s")


# --------------------------------------------------------------------------- bounded bootstrap, AUROC


def test_bootstrap_chunks_do_not_change_the_draws(monkeypatch):
    import evalkit.metrics as metrics

    rng = np.random.default_rng(10)
    values = {"a": rng.random(300), "b": rng.random(300)}
    whole = bootstrap_cis(values, resamples=200, seed=4)
    monkeypatch.setattr(metrics, "_CHUNK_ELEMENTS", 1000)  # three resamples per chunk
    chunked = bootstrap_cis(values, resamples=200, seed=4)
    for name in values:
        assert chunked[name].ci == pytest.approx(whole[name].ci, abs=1e-12)


def test_auroc_hand_cases_and_pairwise_definition():
    assert roc_auc([False, False, True, True], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([True, True, False, False], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert roc_auc([True, False, True, False, False], [0.5] * 5) == 0.5
    assert roc_auc([True, True, False, False], [0.7, 0.4, 0.4, 0.1]) == pytest.approx(3.5 / 4)
    assert math.isnan(roc_auc([True, True], [0.1, 0.9]))
    with pytest.raises(ValueError):
        roc_auc([True], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):  # an unscored sample has no rank: never a silent figure
        roc_auc([True, False, True, False], [0.9, math.nan, 0.1, math.nan])
    rng = np.random.default_rng(0)
    labels = rng.random(80) < 0.4
    scores = np.round(rng.random(80), 1)
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in scores[labels] for n in scores[~labels])
    assert roc_auc(labels, scores) == pytest.approx(wins / (labels.sum() * (~labels).sum()))


def test_within_problem_auroc_ignores_problem_difficulty():
    from evalkit.metrics import within_problem_auroc

    # scores that only say which problem is easy: pooled AUROC is high, within a problem it is chance
    correct = np.array([[True, True, True, False], [True, False, False, False], [False, False, False, False]])
    by_problem = np.array([[0.9, 0.9, 0.9, 0.9], [0.5, 0.5, 0.5, 0.5], [0.1, 0.1, 0.1, 0.1]])
    assert roc_auc(correct.ravel(), by_problem.ravel()) > 0.8
    assert within_problem_auroc(correct, by_problem) == (0.5, 2)  # the third problem has one class only
    by_solution = np.where(correct, 0.6, 0.4)
    assert within_problem_auroc(correct, by_solution) == (1.0, 2)
    keep = np.ones_like(correct)
    keep[0, 3] = False  # drops the first problem's only wrong sample
    assert within_problem_auroc(correct, by_solution, keep) == (1.0, 1)
    scores = by_solution.copy()
    scores[1, :] = np.nan  # not scored
    assert within_problem_auroc(correct, scores) == (1.0, 1)
    mean, problems = within_problem_auroc(correct[2:], scores[2:])
    assert math.isnan(mean) and problems == 0


def test_metrics_do_not_depend_on_the_order_of_the_samples():
    # e.g. a dump sorted by score or by answer must report what the unsorted one does
    rng = np.random.default_rng(11)
    correct, clusters, scores = random_run(rng, problems=40, samples=6, answers=3, unscored=0.0)
    permutation = rng.permutation(6)
    shuffled_clusters = clusters[:, permutation]
    # renumber the clusters by first appearance, as grading numbers them
    for row in range(shuffled_clusters.shape[0]):
        mapping: dict[int, int] = {}
        shuffled_clusters[row] = [-1 if c < 0 else mapping.setdefault(int(c), len(mapping))
                                  for c in shuffled_clusters[row]]
    names = ("maj", "bon", "wmaj")
    a = per_problem_metrics(correct, clusters, scores, ks=[1, 2, 3, 6], rules=names, subsets=100)
    b = per_problem_metrics(correct[:, permutation], shuffled_clusters, scores[:, permutation], ks=[1, 2, 3, 6],
                            rules=names, subsets=100)
    for name in a:
        assert a[name] == pytest.approx(b[name], abs=1e-12), name
    # with random tie-breaking a vote of two answered samples is one sample's answer: maj@2 = pass@1
    answered = np.broadcast_to(np.arange(6) % 3, (40, 6))
    right = answered == rng.integers(0, 3, size=(40, 1))
    assert per_problem_metrics(right, answered, ks=[2], rules=["maj"])["maj@2"] == pytest.approx(
        right.mean(axis=1), abs=1e-12)


def test_weighted_sums_that_differ_only_by_floating_point_rounding_tie():
    # 0.1 + 0.2 is 0.30000000000000004 in floating point: the two clusters' sums are the same, so
    # the tie shares the credit (first appearance picks the prediction), whatever order added them
    from evalkit.selection.rules import select

    clusters = np.array([[0, 0, 1]])
    right_first = np.array([[True, True, False]])
    for rule in ("wmaj", "wscr"):
        tied = select(rule, clusters, np.array([[0.1, 0.2, 0.3]]))
        assert tied.credit(right_first).tolist() == [0.5]
        clear = select(rule, clusters, np.array([[0.1, 0.2, 0.31]]))
        assert clear.credit(right_first).tolist() == [0.0]
