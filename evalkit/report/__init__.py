"""Metrics of a run directory and the reports written beside them.

`build_run_metrics` reads a run directory (`config.yaml`, `graded.jsonl`, optional
`scores.jsonl`, and `samples.jsonl` for per-subject / per-level breakdowns), turns it into the
problems x samples matrices of `evalkit.metrics`, and returns the `metrics.json` document:

    {"run": {"model", "task", "n", "config_hash", "problems", "scorer", "planned_problems"?},
     "settings": {"ks", "top_clusters", "seed", "subsets", "confidence", "resamples"},
     "scoring": {"scorer", "selections", "samples", "answered", "scored", "coverage",
                 "scored_per_problem"} | null,
     "metrics": {"pass@1": {"value": 0.91, "ci": [lo, hi]}, ..., "avg@N": ..., "cons@N": ...},
     "not_reported": {"bon@N": {"coverage": 0.31, "reason": "..."}, ...},
     "breakdown": {"subject": {"Algebra": {"pass@1": {...}, ...}}, "level": {...}},
     "breakdown_sizes": {"subject": {"Algebra": 1187}, ...},
     "comparisons": {"scr@N - maj@N": {"value", "ci", "fraction_not_positive"}, ...},
     "evaluator_calls": {"scr@k": {"per_problem", "answered_per_problem", "fraction_of_answered"}, ...},
     "outputs": {"cut_at_max_tokens", "truncated", "no_answer", "length", "accuracy_by_length", ...}}

`planned_problems` (present when config.yaml records `num_problems`) is how many problems the run
is made of; fewer graded `problems` than that (a run stopped before all were sampled) are labelled
incomplete wherever the figures are shown (`evalkit.report.tables.problems_label`).

Honest labels: `scoring` says which evaluator scored how many of the answered samples, and
with which selections (`all`, `scr-topK`, ...). A score rule's figure at k is reported only
when every sample set it was computed on had all the samples that rule needs scored; otherwise
it goes to `not_reported` with the fraction of sets that were covered. So with SCR-only
scoring, `scr@N` is reported while best-of-n and W.RR (which need every sample scored) are not.

All values are fractions in [0, 1]. `outputs` (output length and truncation, from `samples.jsonl`)
is described in `evalkit.report.lengths`. `write_run_reports` writes `metrics.json`, `report.md`,
`metrics.csv`, `accuracy_vs_k.png`, `accuracy_vs_length.png` (with output lengths) and
`predictions.jsonl` into the run directory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import DISK_PROBLEMS, ConfigError, InputError, disk_error
from evalkit.jsonl import iter_jsonl
from evalkit.metrics import (
    SELECTION_RULES,
    add_aliases,
    answered_per_problem,
    bootstrap_cis,
    breakdown,
    evaluate_rules,
    metric_name,
    paired_bootstrap,
    pass_at_k,
    sort_metric_names,
)
from evalkit.progress import make_progress
from evalkit.report.lengths import run_output_statistics
from evalkit.report.settings import ReportSettings
from evalkit.selection import RULES, SCORE_RULES, Prediction, predict
from evalkit.store.rundir import GRADED_FILE, METRICS_FILE, SCORES_FILE, RunDir
from evalkit.store.scores import read_scores

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
    answers: tuple[tuple[str | None, ...], ...] = ()  # per problem and sample, from graded.jsonl
    questions: tuple[str | None, ...] = ()  # per problem, from samples.jsonl (None when unknown)
    selections: tuple[str, ...] = ()  # how the scorer chose the samples it scored


def _list_field(record: dict[str, Any], name: str, path: Path, line: int) -> list[Any]:
    value = record.get(name)
    if not isinstance(value, list):
        raise InputError(f"expected a list, got {type(value).__name__}", path=path, line=line, field=name)
    return value


def read_graded_matrices(graded_path: Path) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Problem ids, `correct` and `clusters` from `graded.jsonl`, checked line by line (see `read_graded`)."""
    ids, correct, clusters, _ = read_graded(graded_path)
    return ids, correct, clusters


def read_graded(graded_path: Path) -> tuple[tuple[str, ...], np.ndarray, np.ndarray,
                                             tuple[tuple[str | None, ...], ...]]:
    """Problem ids, `correct`, `clusters` and the extracted answers from `graded.jsonl`, checked line by line.

    Every problem must have the same number of samples; a problem with another count is an
    `InputError` naming the file, line and problem id.
    """
    if not graded_path.exists():
        raise InputError(f"no {GRADED_FILE}: grade the run first with `evalkit grade-run {graded_path.parent}`",
                         path=graded_path)
    ids: list[str] = []
    correct_rows: list[list[bool]] = []
    cluster_rows: list[list[int]] = []
    answer_rows: list[tuple[str | None, ...]] = []
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
                "metrics need the same number of samples for every problem (finish the run, regrade it, or, "
                "for an import, import again with --keep-first N)",
                path=graded_path, line=line, field="clusters")
        if any(c < -1 or c >= len(clusters) for c in clusters):
            raise InputError(f"problem '{problem_id}': cluster ids must be -1 or lie in [0, {len(clusters)})",
                             path=graded_path, line=line, field="clusters")
        answers = record.get("answers")
        if answers is None:
            answers = [None] * len(clusters)
        if not isinstance(answers, list) or len(answers) != len(clusters):
            raise InputError(f"problem '{problem_id}': expected one answer (or null) per sample", path=graded_path,
                             line=line, field="answers")
        first_line[problem_id] = line
        ids.append(problem_id)
        correct_rows.append(correct)
        cluster_rows.append(clusters)
        answer_rows.append(tuple(None if answer is None else str(answer) for answer in answers))
    if not ids:
        raise InputError("no graded problems", path=graded_path)
    return (tuple(ids), np.array(correct_rows, dtype=bool), np.array(cluster_rows, dtype=np.int64),
            tuple(answer_rows))


def read_problem_meta(run: RunDir, problem_ids: Sequence[str]) -> tuple[dict[str, Any], ...]:
    """Each graded problem's `meta` from `samples.jsonl` ({} when the file is absent); see `read_problem_records`."""
    return read_problem_records(run, problem_ids)[0]


def read_problem_records(run: RunDir, problem_ids: Sequence[str]
                         ) -> tuple[tuple[dict[str, Any], ...], tuple[str | None, ...]]:
    """Each graded problem's `meta` and question from `samples.jsonl`, in one pass ({} and None when the file is
    absent or the line has none).

    A sampled problem missing from `graded.jsonl` means grading is incomplete: an error, so
    that metrics never silently cover fewer problems than were sampled.
    """
    if not run.samples_path.exists():
        return tuple({} for _ in problem_ids), tuple(None for _ in problem_ids)
    graded = set(problem_ids)
    meta: dict[str, dict[str, Any]] = {}
    questions: dict[str, str] = {}
    # only `problem_id`, `meta` and `question` are needed: reading the lines directly skips building
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
        if isinstance(record.get("question"), str):
            questions[problem_id] = record["question"]
    return (tuple(meta.get(problem_id, {}) for problem_id in problem_ids),
            tuple(questions.get(problem_id) for problem_id in problem_ids))


def load_run_matrices(run_dir: str | Path, *, scorer: str | None = None, with_scores: bool = True) -> RunMatrices:
    """Read the graded (and, unless `with_scores` is false, scored) run in `run_dir` into arrays."""
    run = RunDir(Path(run_dir))
    ids, correct, clusters, answers = read_graded(run.graded_path)
    scores, scorer_name, selections = None, None, ()
    meta, questions = read_problem_records(run, ids)
    if not with_scores:
        return RunMatrices(problem_ids=ids, correct=correct, clusters=clusters, scores=None, scorer=None,
                           meta=meta, answers=answers, questions=questions)
    found = read_scores(run.scores_path, {problem_id: correct.shape[1] for problem_id in ids})
    if found.scorers or scorer is not None:
        if not run.scores_path.exists():
            raise InputError(f"--scorer {scorer} given but there is no {SCORES_FILE}", path=run.scores_path)
        chosen = found.choose(scorer)
        scores, scorer_name, selections = chosen.matrix(ids, correct.shape[1]), chosen.name, chosen.selections
    return RunMatrices(problem_ids=ids, correct=correct, clusters=clusters, scores=scores, scorer=scorer_name,
                       meta=meta, answers=answers, selections=selections, questions=questions)


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
    header = {
        "model": _display_name(config.get("model")) or run_dir.name,
        "task": _display_name(config.get("task")) or "unknown",
        "n": int(matrices.correct.shape[1]),
        "config_hash": config.get("config_hash"),
        "problems": len(matrices.problem_ids),
        "scorer": matrices.scorer,
    }
    planned = config.get("num_problems")  # recorded by `evalkit run` and `evalkit merge`
    if isinstance(planned, int) and not isinstance(planned, bool):
        header["planned_problems"] = planned
    shard = config.get("shard")  # a part of a sharded run: its figures cover only its share of the problems
    if isinstance(shard, dict) and isinstance(shard.get("count"), int) and shard["count"] > 1:
        header["shard"] = {key: shard.get(key) for key in ("index", "count", "whole_problems")}
    return header


def _group_labels(meta: Sequence[dict[str, Any]], key: str) -> list[str] | None:
    values = [item.get(key) for item in meta]
    if all(value is None for value in values):
        return None
    return [MISSING_GROUP if value is None else str(value) for value in values]


def scoring_summary(matrices: RunMatrices) -> dict[str, Any] | None:
    """Which evaluator scored how many of the run's answered samples (None without scores)."""
    if matrices.scores is None:
        return None
    answered = matrices.clusters >= 0
    scored = answered & ~np.isnan(matrices.scores)
    return {"scorer": matrices.scorer, "selections": list(matrices.selections), "samples": int(answered.size),
            "answered": int(answered.sum()), "scored": int(scored.sum()),
            "coverage": float(scored.sum() / answered.sum()) if answered.any() else 0.0,
            "scored_per_problem": float(scored.sum() / len(matrices.problem_ids))}


def _not_reported_reason(rule: str, coverage: float) -> str:
    needs = ("every answered sample scored" if RULES[rule].scores_all
             else "the samples of its top clusters scored")
    return (f"{rule} ({RULES[rule].paper_name}) needs {needs}; only {100 * coverage:.1f}% of its sample sets were "
            "fully scored")


def build_run_metrics(run_dir: str | Path, *, ks: Sequence[int] | None = None,
                      top_clusters: int | None = None, seed: int | None = None, subsets: int | None = None,
                      confidence: float | None = None, resamples: int | None = None, scorer: str | None = None,
                      show_progress: bool = True) -> dict[str, Any]:
    """The `metrics.json` document of a graded run (see the module docstring).

    Settings left None are the run's own (`report:` in its config.yaml), else the defaults
    (`evalkit.report.settings`). Default ks: powers of two up to N, plus N; ks of the run's
    config larger than N are left out (listed in `settings.ks_left_out`). Breakdowns by
    `meta["subject"]` and `meta["level"]` when present; with scores, the paired comparisons of each
    reported score rule with `maj@N`, and the evaluator calls of each score rule at every k against
    scoring every answered sample.
    """
    run_dir = Path(run_dir)
    run = RunDir(run_dir)
    config = run.read_config()
    ReportSettings.for_run(config, source=str(run.config_path))  # a bad report section before reading the run
    matrices = load_run_matrices(run_dir, scorer=scorer)
    settings = ReportSettings.for_run(config, ks=ks, top_clusters=top_clusters, seed=seed, subsets=subsets,
                                      confidence=confidence, resamples=resamples, scorer=matrices.scorer,
                                      source=str(run.config_path))
    top_clusters, seed, subsets = settings.top_clusters, settings.seed, settings.subsets
    confidence, resamples = settings.confidence, settings.resamples
    num_problems, num_samples = matrices.correct.shape
    chosen_ks = settings.ks_for(num_samples) if ks is None else sorted(set(settings.ks or ()))
    too_large = [k for k in chosen_ks if k > num_samples]
    if too_large or any(k < 1 for k in chosen_ks):
        raise ConfigError(f"k must lie in 1..{num_samples} (the samples per problem of {run_dir}); got {chosen_ks}")

    with make_progress(disable=not show_progress) as progress:
        task = progress.add_task(f"metrics of {run_dir.name}", total=num_problems + 1)
        values = evaluate_rules(matrices.correct, matrices.clusters, matrices.scores, ks=chosen_ks,
                                rules=SELECTION_RULES, top_clusters=top_clusters, subsets=subsets, seed=seed,
                                on_chunk_done=lambda count: progress.advance(task, count))
        num_correct = matrices.correct.sum(axis=1)
        accuracy = {metric_name("pass", k): pass_at_k(num_samples, num_correct, k) for k in chosen_ks}
        not_reported: dict[str, dict[str, Any]] = {}
        for name, item in values.items():
            rule = name.partition("@")[0]
            coverage = float(item.coverage.mean())
            if rule in SCORE_RULES and coverage < 1.0:
                not_reported[name] = {"coverage": coverage, "reason": _not_reported_reason(rule, coverage)}
            else:
                accuracy[name] = item.accuracy
        accuracy = {name: accuracy[name] for name in sort_metric_names(list(accuracy))}
        bootstrap = {"confidence": confidence, "resamples": resamples, "seed": seed}
        left_out = settings.ks_left_out(num_samples) if ks is None else []  # asked for by the config, k > n
        estimates = {name: est.to_dict() for name, est in bootstrap_cis(accuracy, **bootstrap).items()}
        document: dict[str, Any] = {
            "run": _run_header(config, run_dir, matrices),
            "settings": settings.record(chosen_ks) | ({"ks_left_out": left_out} if left_out else {}),
            "scoring": scoring_summary(matrices),
            "metrics": add_aliases(estimates, num_samples),
            "not_reported": not_reported,
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
            baseline = metric_name("maj", num_samples)
            for rule in SCORE_RULES:
                name = metric_name(rule, num_samples)
                if name in accuracy and baseline in accuracy:
                    document["comparisons"][f"{name} - {baseline}"] = paired_bootstrap(
                        accuracy[name], accuracy[baseline], **bootstrap).to_dict()
            for k in chosen_ks:
                answered = float(answered_per_problem(matrices.clusters, k).mean())
                for rule in SCORE_RULES:
                    calls = float(values[metric_name(rule, k)].calls.mean())
                    document["evaluator_calls"][metric_name(rule, k)] = {
                        "per_problem": calls, "answered_per_problem": answered,
                        "fraction_of_answered": calls / answered if answered else 0.0}
        progress.advance(task)
    return document


def build_run_predictions(run_dir: str | Path, *, top_clusters: int | None = None,
                          scorer: str | None = None) -> list[Prediction]:
    """Every rule's prediction for every problem of a graded run, from all n samples (score rules
    only when the run has scores; each prediction says whether its needed samples were all scored).
    `top_clusters` None: the run's own (the K its scorer was reranked with, else `report.top_clusters` in
    config.yaml), else the default."""
    run = RunDir(Path(run_dir))
    config = run.read_config()
    matrices = load_run_matrices(run_dir, scorer=scorer)
    top_clusters = ReportSettings.for_run(config, top_clusters=top_clusters, scorer=matrices.scorer,
                                          source=str(run.config_path)).top_clusters
    rules = ["first", "maj", *(SCORE_RULES if matrices.scores is not None else ())]
    out: list[Prediction] = []
    for rule in rules:
        out.extend(predict(rule, matrices.problem_ids, matrices.answers, matrices.clusters, matrices.correct,
                           matrices.scores, top_clusters=top_clusters))
    return out


def write_run_reports(run_dir: str | Path, document: dict[str, Any],
                      predictions: Sequence[Prediction] | None = None) -> dict[str, Path]:
    """Write `metrics.json`, `report.md`, `metrics.csv`, `accuracy_vs_k.png`, (with output lengths)
    `accuracy_vs_length.png` and, when given, `predictions.jsonl` (one line per problem and rule)
    into the run dir."""
    from evalkit.jsonl import write_jsonl
    from evalkit.report.plots import plot_accuracy_vs_k, plot_accuracy_vs_length
    from evalkit.report.tables import write_metrics_csv, write_metrics_json, write_report_markdown
    from evalkit.selection import PREDICTIONS_FILE

    run_dir = Path(run_dir)
    writers: list[tuple[str, Callable[[Path], Path | None]]] = [
        (METRICS_FILE, lambda path: write_metrics_json(path, document)),
        ("report.md", lambda path: write_report_markdown(path, document)),
        ("metrics.csv", lambda path: write_metrics_csv(path, document)),
        ("accuracy_vs_k.png", lambda path: plot_accuracy_vs_k(document, path)),
        ("accuracy_vs_length.png", lambda path: plot_accuracy_vs_length(document, path)),
    ]
    if predictions is not None:
        writers.append((PREDICTIONS_FILE, lambda path: write_jsonl(
            path, (prediction.to_dict() for prediction in predictions)) or path))
    written: dict[str, Path] = {}
    for name, write in writers:
        path = run_dir / name
        try:
            made = write(path)
        except OSError as error:  # a full disk or a read-only folder, named (plots do not say which file)
            if error.errno not in DISK_PROBLEMS:
                raise
            raise disk_error(path, error) from None
        if made is not None:
            written[name] = made
    return written


__all__ = [
    "BREAKDOWN_KEYS",
    "RunMatrices",
    "build_run_metrics",
    "build_run_predictions",
    "load_run_matrices",
    "read_graded",
    "read_graded_matrices",
    "read_problem_meta",
    "read_problem_records",
    "scoring_summary",
    "write_run_reports",
]
