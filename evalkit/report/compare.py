"""`evalkit compare`: two runs of one task, metric by metric, paired by problem.

Two models (or two settings of one model) sampled on the same problems are compared on the
problems both runs hold, matched by problem id: for each metric, each run's accuracy on those
problems and the difference A - B with a paired percentile-bootstrap interval (problems resampled
jointly, so the interval reflects how much the two runs agree problem by problem, which is far
tighter than two independent intervals), the bootstrap share of resamples with A - B <= 0, and how
many problems each run does better on (per-problem accuracy: pass@k's estimate, or a rule's credit).

Rules and per-problem values are those of `evalkit report` (`evalkit.metrics.per_problem_metrics`);
a k above either run's n is refused, and score rules (bon, scr, wmaj, wscr) need both runs scored
with SCR keeping the same K (`--top-clusters`). Problems that only one run holds are counted and
left out, never filled in; runs of different tasks are refused, since their problem ids name
different problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import ConfigError, InputError
from evalkit.metrics import SCORE_RULES, paired_bootstrap, per_problem_metrics, split_metric_name
from evalkit.report import RunMatrices, load_run_matrices
from evalkit.report.settings import ReportSettings
from evalkit.report.tables import markdown_table
from evalkit.store import RunDir
from evalkit.text_safety import for_markdown

COMPARISON_JSON = "comparison.json"
COMPARISON_MD = "comparison.md"


def default_comparison_metrics(n_a: int, n_b: int) -> list[str]:
    """pass@1 and maj@k at the largest k both runs have (k = the smaller n)."""
    k = min(n_a, n_b)
    return ["pass@1"] if k == 1 else ["pass@1", f"maj@{k}"]


def _name(config: dict[str, Any], key: str) -> str | None:
    value = config.get(key)
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value else None


def _top_clusters(config: dict[str, Any], matrices: RunMatrices, source: str) -> int:
    return ReportSettings.for_run(config, scorer=matrices.scorer, source=source).top_clusters


def _per_problem(matrices: RunMatrices, rows: np.ndarray, metric: str, *, top_clusters: int, subsets: int,
                 seed: int) -> np.ndarray:
    rule, k = split_metric_name(metric)
    scores = matrices.scores[rows] if matrices.scores is not None else None
    values = per_problem_metrics(matrices.correct[rows], matrices.clusters[rows],
                                 scores if rule in SCORE_RULES else None, ks=[k], rules=[rule],
                                 top_clusters=top_clusters, subsets=subsets, seed=seed)
    return values[metric]


def compare_runs(run_a: str | Path, run_b: str | Path, *, metrics: Sequence[str] | None = None,
                 top_clusters: int | None = None, subsets: int | None = None, seed: int = 0,
                 confidence: float = 0.95, resamples: int = 1000) -> dict[str, Any]:
    """The comparison document of two graded runs (module docstring): `runs` (model, task, n, problems,
    path), `problems` (paired, only in A, only in B), `settings`, and per metric `a`, `b` (means over the
    paired problems), `difference` (value, ci, fraction_not_positive), `a_better`, `b_better`, `same`."""
    paths = (Path(run_a), Path(run_b))
    if paths[0].resolve() == paths[1].resolve():
        raise ConfigError(f"compare: both runs are {paths[0]}; give two different run directories")
    configs = [RunDir(path).read_config() for path in paths]
    matrices = [load_run_matrices(path) for path in paths]
    tasks = [_name(config, "task") for config in configs]
    if tasks[0] and tasks[1] and tasks[0] != tasks[1]:
        raise ConfigError(f"compare: {paths[0]} is a run of '{tasks[0]}' and {paths[1]} of '{tasks[1]}'; "
                          "problem ids of different tasks name different problems")
    ns = [item.correct.shape[1] for item in matrices]
    names = list(metrics) if metrics else default_comparison_metrics(*ns)
    for name in names:
        rule, k = split_metric_name(name)
        if k > min(ns):
            raise ConfigError(f"compare: {name} needs k <= n, and the runs have n = {ns[0]} and {ns[1]}")
        if rule in SCORE_RULES and any(item.scores is None for item in matrices):
            unscored = [str(path) for path, item in zip(paths, matrices) if item.scores is None]
            raise ConfigError(f"compare: {name} needs evaluator scores, and {', '.join(unscored)} has none "
                              "(`evalkit rerank` scores a run)")
    uses_scores = any(split_metric_name(name)[0] in SCORE_RULES for name in names)
    if top_clusters is None and uses_scores:
        ks = [_top_clusters(config, item, str(RunDir(path).config_path))
              for config, item, path in zip(configs, matrices, paths)]
        if ks[0] != ks[1]:
            raise ConfigError(f"compare: the runs were reranked keeping K = {ks[0]} and K = {ks[1]} clusters; "
                              "give --top-clusters to compare SCR with one K")
        top_clusters = ks[0]
    top_clusters = top_clusters if top_clusters is not None else ReportSettings().top_clusters
    subsets = subsets if subsets is not None else ReportSettings().subsets

    ids_b = set(matrices[1].problem_ids)
    paired = [problem for problem in matrices[0].problem_ids if problem in ids_b]
    if not paired:
        raise InputError(f"compare: no problem id is in both runs ({paths[0]}: {len(matrices[0].problem_ids)} "
                         f"problems, {paths[1]}: {len(matrices[1].problem_ids)}), so there is nothing to pair")
    rows = [_rows_of(item.problem_ids, paired) for item in matrices]
    results: dict[str, Any] = {}
    for name in names:
        a, b = (_per_problem(item, row, name, top_clusters=top_clusters, subsets=subsets, seed=seed)
                for item, row in zip(matrices, rows))
        difference = paired_bootstrap(a, b, confidence=confidence, resamples=resamples, seed=seed)
        results[name] = {"a": float(a.mean()), "b": float(b.mean()), "difference": difference.to_dict(),
                         "a_better": int(np.sum(a > b + 1e-12)), "b_better": int(np.sum(b > a + 1e-12)),
                         "same": int(np.sum(np.abs(a - b) <= 1e-12))}
    return {
        "runs": [{"label": label, "path": str(path), "model": _name(config, "model") or path.name,
                  "task": _name(config, "task"), "n": n, "problems": len(item.problem_ids), "scorer": item.scorer}
                 for label, path, config, item, n in zip("AB", paths, configs, matrices, ns)],
        "problems": {"paired": len(paired), "only_in_a": len(matrices[0].problem_ids) - len(paired),
                     "only_in_b": len(matrices[1].problem_ids) - len(paired)},
        "settings": {"confidence": confidence, "resamples": resamples, "seed": seed, "subsets": subsets,
                     "top_clusters": top_clusters if uses_scores else None},
        "metrics": results,
    }


def _rows_of(problem_ids: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    position = {problem: index for index, problem in enumerate(problem_ids)}
    return np.array([position[problem] for problem in wanted], dtype=np.int64)


def comparison_rows(document: dict[str, Any]) -> list[list[str]]:
    """Table rows: metric, A, B, A - B [CI] in points, P(A - B <= 0), problems A better / B better / same."""
    rows = []
    for name, item in document["metrics"].items():
        difference = item["difference"]
        low, high = difference["ci"]
        rows.append([name, f"{100 * item['a']:.1f}", f"{100 * item['b']:.1f}",
                     f"{100 * difference['value']:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]",
                     f"{difference['fraction_not_positive']:.3f}",
                     f"{item['a_better']} / {item['b_better']} / {item['same']}"])
    return rows


COMPARISON_HEADER = ["metric", "A", "B", "A - B [CI], points", "P(A - B <= 0)", "problems A better / B better / same"]


def problems_line(document: dict[str, Any]) -> str:
    """How many problems were paired, and how many only one run holds."""
    problems = document["problems"]
    line = f"{problems['paired']} problems in both runs"
    left = [f"{problems[key]} only in {label}" for key, label in (("only_in_a", "A"), ("only_in_b", "B"))
            if problems[key]]
    return line + (f" ({', '.join(left)}: left out)" if left else "")


def comparison_markdown(document: dict[str, Any]) -> str:
    """`comparison.md`: the two runs, the problems paired, and the table (every text escaped)."""
    settings = document["settings"]
    lines = ["# Comparison of two runs, paired by problem", ""]
    lines += [f"- {run['label']}: " + for_markdown(f"{run['model']} on {run['task'] or 'an unnamed task'}, n = {run['n']}, "
                                                 f"{run['problems']} problems ({run['path']})")
              for run in document["runs"]]
    lines += ["", problems_line(document) + ".", "",
              markdown_table(COMPARISON_HEADER, comparison_rows(document), [False] + [True] * 5),
              f"Accuracy in % over the paired problems; A - B with a {round(100 * settings['confidence'])}% paired "
              f"percentile-bootstrap interval ({settings['resamples']} resamples of the problems, seed "
              f"{settings['seed']}); P(A - B <= 0) is the share of resamples where A is not ahead."]
    if settings.get("top_clusters") is not None:
        lines.append(f"SCR keeps K = {settings['top_clusters']} clusters.")
    return "\n".join(lines) + "\n"
