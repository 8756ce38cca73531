"""Metrics of a run directory and the reports written beside them.

`build_run_metrics` reads a run directory (`config.yaml`, `graded.jsonl`, optional
`scores.jsonl`, and `samples.jsonl` for per-subject / per-level breakdowns), turns it into the
problems x samples matrices of `evalkit.metrics`, and returns the `metrics.json` document:

    {"run": {"model", "task", "n", "config_hash", "problems", "scorer"},
     "settings": {"ks", "top_clusters", "seed", "subsets", "confidence", "resamples"},
     "metrics": {"pass@1": {"value": 0.91, "ci": [lo, hi]}, ...},
     "breakdown": {"subject": {"Algebra": {"pass@1": {...}, ...}}, "level": {...}},
     "breakdown_sizes": {"subject": {"Algebra": 1187}, ...},
     "comparisons": {"scr@N - maj@N": {"value", "ci", "fraction_not_positive"}, ...},
     "evaluator_calls": {"scr@N": {"scored_per_problem", "bon_per_problem", "fraction_of_bon"}},
     "outputs": {"cut_at_max_tokens", "truncated", "no_answer", "length", "accuracy_by_length", ...}}

All values are fractions in [0, 1]. `outputs` (output length and truncation, from `samples.jsonl`)
is described in `evalkit.report.lengths`. `write_run_reports` writes `metrics.json`, `report.md`,
`metrics.csv`, `accuracy_vs_k.png` and `accuracy_vs_length.png` into the run directory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import iter_jsonl
from evalkit.metrics import (
    DEFAULT_SUBSETS,
    DEFAULT_TOP_CLUSTERS,
    bootstrap_cis,
    breakdown,
    default_ks,
    paired_bootstrap,
    per_problem_metrics,
)
from evalkit.progress import make_progress
from evalkit.report.lengths import run_output_statistics
from evalkit.store.rundir import GRADED_FILE, METRICS_FILE, SCORES_FILE, RunDir

BREAKDOWN_KEYS = ("subject", "level")
MISSING_GROUP = "(none)"


@dataclass(frozen=True)
class RunMatrices:
    """A graded run as arrays: one row per problem (in `graded.jsonl` order), one column per sample."""

    problem_ids: tuple[str, ...]
    correct: np.ndarray  # bool[P, N]
    clusters: np.ndarray  # int[P, N]
    scores: np.ndarray | None  # float[P, N], NaN = not scored
    scorer: str | None
    meta: tuple[dict[str, Any], ...]  # per problem, from samples.jsonl ({} when unknown)


def _list_field(record: dict[str, Any], name: str, path: Path, line: int) -> list[Any]:
    value = record.get(name)
    if not isinstance(value, list):
        raise InputError(f"expected a list, got {type(value).__name__}", path=path, line=line, field=name)
    return value


def read_graded_matrices(graded_path: Path) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Problem ids, `correct` and `clusters` from `graded.jsonl`, checked line by line.

    Every problem must have the same number of samples; a problem with another count is an
    `InputError` naming the file, line and problem id.
    """
    if not graded_path.exists():
        raise InputError(f"no {GRADED_FILE}: grade the run first with `evalkit grade-run {graded_path.parent}`",
                         path=graded_path)
    ids: list[str] = []
    correct_rows: list[list[bool]] = []
    cluster_rows: list[list[int]] = []
    first_line: dict[str, int] = {}
    for line, record in iter_jsonl(graded_path, tolerate_partial_tail=True):
        problem_id = record.get("problem_id")
        if not isinstance(problem_id, str) or not problem_id:
            raise InputError("missing or not a string", path=graded_path, line=line, field="problem_id")
        if problem_id in first_line:
            raise InputError(f"problem '{problem_id}' appears twice (first on line {first_line[problem_id]})",
                             path=graded_path, line=line, field="problem_id")
        clusters = _list_field(record, "clusters", graded_path, line)
        correct = _list_field(record, "correct", graded_path, line)
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in clusters):
            raise InputError(f"problem '{problem_id}': cluster ids must be integers", path=graded_path, line=line,
                             field="clusters")
        if not all(isinstance(c, bool) for c in correct):
            raise InputError(f"problem '{problem_id}': expected true/false values", path=graded_path, line=line,
                             field="correct")
        if len(correct) != len(clusters):
            raise InputError(f"problem '{problem_id}' has {len(clusters)} clusters but {len(correct)} correct flags",
                             path=graded_path, line=line, field="correct")
        if not clusters:
            raise InputError(f"problem '{problem_id}' has no samples", path=graded_path, line=line, field="clusters")
        if cluster_rows and len(clusters) != len(cluster_rows[0]):
            raise InputError(
                f"problem '{problem_id}' has {len(clusters)} samples but '{ids[0]}' has {len(cluster_rows[0])}; "
                "metrics need the same number of samples for every problem (finish or regrade the run)",
                path=graded_path, line=line, field="clusters")
        if any(c < -1 or c >= len(clusters) for c in clusters):
            raise InputError(f"problem '{problem_id}': cluster ids must be -1 or lie in [0, {len(clusters)})",
                             path=graded_path, line=line, field="clusters")
        first_line[problem_id] = line
        ids.append(problem_id)
        correct_rows.append(correct)
        cluster_rows.append(clusters)
    if not ids:
        raise InputError("no graded problems", path=graded_path)
    return tuple(ids), np.array(correct_rows, dtype=bool), np.array(cluster_rows, dtype=np.int64)


def read_score_matrix(scores_path: Path, problem_ids: Sequence[str], num_samples: int,
                      scorer: str | None = None) -> tuple[np.ndarray, str]:
    """Scores float[P, N] (NaN = not scored) of one scorer from `scores.jsonl`.

    With several scorers in the file, `scorer` must name one. Every graded problem needs a
    line: a missing one is an error rather than a silent "unscored".
    """
    position = {problem_id: row for row, problem_id in enumerate(problem_ids)}
    by_scorer: dict[str, dict[str, tuple[int, list[Any]]]] = {}
    for line, record in iter_jsonl(scores_path, tolerate_partial_tail=True):
        problem_id = record.get("problem_id")
        name = record.get("scorer")
        if not isinstance(problem_id, str):
            raise InputError("missing or not a string", path=scores_path, line=line, field="problem_id")
        if not isinstance(name, str):
            raise InputError("missing or not a string", path=scores_path, line=line, field="scorer")
        if problem_id not in position:
            raise InputError(f"problem '{problem_id}' is not in {GRADED_FILE}", path=scores_path, line=line,
                             field="problem_id")
        values = _list_field(record, "scores", scores_path, line)
        if len(values) != num_samples:
            raise InputError(f"problem '{problem_id}' has {len(values)} scores, expected {num_samples}",
                             path=scores_path, line=line, field="scores")
        for value in values:
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value)):
                raise InputError(f"problem '{problem_id}': scores must be finite numbers or null, got {value!r}",
                                 path=scores_path, line=line, field="scores")
        seen = by_scorer.setdefault(name, {})
        if problem_id in seen:
            raise InputError(f"problem '{problem_id}' scored twice by '{name}' (first on line {seen[problem_id][0]})",
                             path=scores_path, line=line, field="problem_id")
        seen[problem_id] = (line, values)
    if not by_scorer:
        raise InputError("no scores", path=scores_path)
    if scorer is None:
        if len(by_scorer) > 1:
            raise InputError(f"holds several scorers ({', '.join(sorted(by_scorer))}); choose one with --scorer",
                             path=scores_path)
        scorer = next(iter(by_scorer))
    if scorer not in by_scorer:
        raise InputError(f"no scores by '{scorer}' (found: {', '.join(sorted(by_scorer))})", path=scores_path)
    chosen = by_scorer[scorer]
    missing = [problem_id for problem_id in problem_ids if problem_id not in chosen]
    if missing:
        raise InputError(f"scorer '{scorer}' has no scores for {len(missing)} graded problem(s), e.g. "
                         f"'{missing[0]}'; finish scoring or remove the file", path=scores_path)
    matrix = np.full((len(problem_ids), num_samples), np.nan)
    for problem_id, (_, values) in chosen.items():
        matrix[position[problem_id]] = [np.nan if value is None else float(value) for value in values]
    return matrix, scorer


def read_problem_meta(run: RunDir, problem_ids: Sequence[str]) -> tuple[dict[str, Any], ...]:
    """Each graded problem's `meta` from `samples.jsonl` ({} when the file is absent).

    A sampled problem missing from `graded.jsonl` means grading is incomplete: an error, so
    that metrics never silently cover fewer problems than were sampled.
    """
    if not run.samples_path.exists():
        return tuple({} for _ in problem_ids)
    graded = set(problem_ids)
    meta: dict[str, dict[str, Any]] = {}
    # only `problem_id` and `meta` are needed: reading the lines directly skips building
    # hundreds of thousands of Sample records
    for line, record in iter_jsonl(run.samples_path, tolerate_partial_tail=True):
        problem_id = record.get("problem_id")
        if not isinstance(problem_id, str):
            raise InputError("missing or not a string", path=run.samples_path, line=line, field="problem_id")
        if problem_id not in graded:
            raise InputError(f"problem '{problem_id}' was sampled but is not in {GRADED_FILE}; "
                             f"grade the run again with `evalkit grade-run {run.path}`", path=run.samples_path,
                             line=line)
        problem_meta = record.get("meta") or {}
        if not isinstance(problem_meta, dict):
            raise InputError("expected an object", path=run.samples_path, line=line, field="meta")
        meta[problem_id] = problem_meta
    return tuple(meta.get(problem_id, {}) for problem_id in problem_ids)


def load_run_matrices(run_dir: str | Path, *, scorer: str | None = None) -> RunMatrices:
    """Read the graded (and scored) run in `run_dir` into arrays."""
    run = RunDir(Path(run_dir))
    ids, correct, clusters = read_graded_matrices(run.graded_path)
    scores, scorer_name = (None, None)
    if run.scores_path.exists():
        scores, scorer_name = read_score_matrix(run.scores_path, ids, correct.shape[1], scorer)
    elif scorer is not None:
        raise InputError(f"--scorer {scorer} given but there is no {SCORES_FILE}", path=run.scores_path)
    return RunMatrices(problem_ids=ids, correct=correct, clusters=clusters, scores=scores, scorer=scorer_name,
                       meta=read_problem_meta(run, ids))


def _display_name(value: Any) -> str | None:
    """A config entry as a display name: strings as they are, mappings by their `name`."""
    if value is None:
        return None
    if isinstance(value, dict):
        for key in ("name", "display_name", "id", "path"):
            if value.get(key):
                return str(value[key])
        return None
    return str(value)


def _run_header(config: dict[str, Any], run_dir: Path, matrices: RunMatrices) -> dict[str, Any]:
    return {
        "model": _display_name(config.get("model")) or run_dir.name,
        "task": _display_name(config.get("task")) or "unknown",
        "n": int(matrices.correct.shape[1]),
        "config_hash": config.get("config_hash"),
        "problems": len(matrices.problem_ids),
        "scorer": matrices.scorer,
    }


def _group_labels(meta: Sequence[dict[str, Any]], key: str) -> list[str] | None:
    values = [item.get(key) for item in meta]
    if all(value is None for value in values):
        return None
    return [MISSING_GROUP if value is None else str(value) for value in values]


def build_run_metrics(run_dir: str | Path, *, ks: Sequence[int] | None = None,
                      top_clusters: int = DEFAULT_TOP_CLUSTERS, seed: int = 0, subsets: int = DEFAULT_SUBSETS,
                      confidence: float = 0.95, resamples: int = 1000, scorer: str | None = None,
                      show_progress: bool = True) -> dict[str, Any]:
    """The `metrics.json` document of a graded run (see the module docstring).

    Default ks: powers of two up to N, plus N. Breakdowns by `meta["subject"]` and
    `meta["level"]` when present; with scores, the paired comparisons `scr@N - maj@N` and
    `bon@N - maj@N` and SCR's evaluator calls against best-of-n at every k.
    """
    run_dir = Path(run_dir)
    run = RunDir(run_dir)
    config = run.read_config()
    matrices = load_run_matrices(run_dir, scorer=scorer)
    num_samples = matrices.correct.shape[1]
    chosen_ks = sorted(set(default_ks(num_samples) if ks is None else ks))
    too_large = [k for k in chosen_ks if k > num_samples]
    if too_large or any(k < 1 for k in chosen_ks):
        raise ConfigError(f"k must lie in 1..{num_samples} (the samples per problem of {run_dir}); got {chosen_ks}")

    with make_progress(disable=not show_progress) as progress:
        task = progress.add_task(f"metrics of {run_dir.name}", total=len(chosen_ks) + 1)
        per_problem = per_problem_metrics(
            matrices.correct, matrices.clusters, matrices.scores, ks=chosen_ks, top_clusters=top_clusters,
            subsets=subsets, seed=seed, on_k_done=lambda _k: progress.advance(task))
        calls = {name: values for name, values in per_problem.items() if name.startswith("scr_calls@")}
        accuracy = {name: values for name, values in per_problem.items() if name not in calls}
        bootstrap = {"confidence": confidence, "resamples": resamples, "seed": seed}
        document: dict[str, Any] = {
            "run": _run_header(config, run_dir, matrices),
            "settings": {"ks": chosen_ks, "top_clusters": top_clusters, "seed": seed, "subsets": subsets,
                         "confidence": confidence, "resamples": resamples},
            "metrics": {name: est.to_dict() for name, est in bootstrap_cis(accuracy, **bootstrap).items()},
            "breakdown": {},
            "breakdown_sizes": {},
            "comparisons": {},
            "evaluator_calls": {},
        }
        for key in BREAKDOWN_KEYS:
            labels = _group_labels(matrices.meta, key)
            if labels is None:
                continue
            groups = breakdown(accuracy, labels, **bootstrap)
            document["breakdown"][key] = {group: {name: est.to_dict() for name, est in metrics.items()}
                                          for group, metrics in groups.items()}
            document["breakdown_sizes"][key] = {group: labels.count(group) for group in groups}
        outputs = run_output_statistics(run, matrices.problem_ids, matrices.correct, matrices.clusters)
        if outputs is not None:
            document["outputs"] = outputs
        if matrices.scores is not None:
            baseline = f"maj@{num_samples}"
            for rule in ("scr", "bon"):
                name = f"{rule}@{num_samples}"
                if name in accuracy and baseline in accuracy:
                    document["comparisons"][f"{name} - {baseline}"] = paired_bootstrap(
                        accuracy[name], accuracy[baseline], **bootstrap).to_dict()
            for name, values in calls.items():
                k = int(name.rpartition("@")[2])
                scored = float(values.mean())
                document["evaluator_calls"][f"scr@{k}"] = {
                    "scored_per_problem": scored, "bon_per_problem": float(k), "fraction_of_bon": scored / k}
        progress.advance(task)
    return document


def write_run_reports(run_dir: str | Path, document: dict[str, Any]) -> dict[str, Path]:
    """Write `metrics.json`, `report.md`, `metrics.csv`, `accuracy_vs_k.png` and (with output lengths)
    `accuracy_vs_length.png` into the run dir."""
    from evalkit.report.plots import plot_accuracy_vs_k, plot_accuracy_vs_length
    from evalkit.report.tables import write_metrics_csv, write_metrics_json, write_report_markdown

    run_dir = Path(run_dir)
    written = {
        "metrics.json": write_metrics_json(run_dir / METRICS_FILE, document),
        "report.md": write_report_markdown(run_dir / "report.md", document),
        "metrics.csv": write_metrics_csv(run_dir / "metrics.csv", document),
        "accuracy_vs_k.png": plot_accuracy_vs_k(document, run_dir / "accuracy_vs_k.png"),
    }
    length_plot = plot_accuracy_vs_length(document, run_dir / "accuracy_vs_length.png")
    if length_plot is not None:
        written["accuracy_vs_length.png"] = length_plot
    return written


__all__ = [
    "BREAKDOWN_KEYS",
    "RunMatrices",
    "build_run_metrics",
    "load_run_matrices",
    "read_graded_matrices",
    "read_problem_meta",
    "read_score_matrix",
    "write_run_reports",
]
