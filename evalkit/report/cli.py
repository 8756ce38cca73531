"""`evalkit report`, `evalkit leaderboard` and `evalkit compare`: command functions the main CLI registers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evalkit.config import MIN_RESAMPLES
from evalkit.errors import ConfigError, InputError
from evalkit.metrics import DEFAULT_SUBSETS, DEFAULT_TOP_CLUSTERS, split_metric_name
from evalkit.report.leaderboard import (
    default_metric,
    collect_leaderboard_rows,
    default_columns,
    leaderboard_rich_table,
    sort_rows,
    write_leaderboard,
)
from evalkit.report.lengths import outputs_summary_line
from evalkit.report.settings import unscored_clusters_note
from evalkit.report.tables import comparisons_rich_table, metrics_rich_table
from evalkit.report.task_table import write_task_table
from evalkit.text_safety import for_terminal

RUN_OWN = "the run's report.{name} (config.yaml), else {default}"
MAX_COMPARE_RESAMPLES = 100_000
RUN_OWN_K = ("the K the run was reranked with (evalkit rerank --top-k), else the run's report.top_clusters "
             f"(config.yaml), else {DEFAULT_TOP_CLUSTERS}")


def parse_ks(text: str | None) -> list[int] | None:
    """`"1,4,8"` -> `[1, 4, 8]`; None stays None (the default ks)."""
    if text is None or not text.strip():
        return None
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ConfigError(f"--k '{text}': expected positive integers separated by commas, e.g. 1,4,8") from None
    if not ks or ks[0] < 1:
        raise ConfigError(f"--k '{text}': every k must be 1 or more")
    return ks


def parse_metric_names(text: str, option: str) -> list[str]:
    """`"pass@1,maj@8"` -> names, each checked to be of the form RULE@K."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        try:
            split_metric_name(name)
        except ValueError as error:
            raise ConfigError(f"{option}: {error}") from None
    if not names:
        raise ConfigError(f"{option}: expected at least one metric name, e.g. maj@8")
    return names


def _check_common(top_clusters: int | None, subsets: int) -> None:
    if top_clusters is not None and top_clusters < 1:
        raise ConfigError(f"--top-clusters must be 1 or more, got {top_clusters}")
    if subsets < 1:
        raise ConfigError(f"--subsets must be 1 or more, got {subsets}")


def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A graded run directory (config.yaml, graded.jsonl; "
                                                 "scores.jsonl and samples.jsonl are used when present).")],
    k: Annotated[str | None, typer.Option("--k", help="Comma-separated ks, e.g. 1,4,8.",
                                          show_default="powers of two up to n, and n")] = None,
    top_clusters: Annotated[int | None, typer.Option("--top-clusters", help="Clusters SCR keeps: exactly this "
                                                                            "many (ties at the cut go to the cluster "
                                                                            "that appears first).",
                                                     show_default=RUN_OWN_K)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the k-subsets and the bootstrap.",
                                             show_default=RUN_OWN.format(name="seed", default=0))] = None,
    subsets: Annotated[int, typer.Option("--subsets", help="Random k-subsets per problem for k < n "
                                                           "(all of them when there are fewer).")] = DEFAULT_SUBSETS,
    resamples: Annotated[int | None, typer.Option("--resamples", help="Bootstrap resamples.",
                                                  show_default=RUN_OWN.format(name="resamples",
                                                                              default=1000))] = None,
    scorer: Annotated[str | None, typer.Option("--scorer", help="Which scorer of scores.jsonl to use, "
                                                                "when it holds several.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Compute a run's metrics with confidence intervals; write metrics.json, report.md, metrics.csv,
    accuracy_vs_k.png and predictions.jsonl into the run directory and print the table."""
    _check_common(top_clusters, subsets)
    if resamples is not None and resamples < MIN_RESAMPLES:
        raise ConfigError(f"--resamples must be {MIN_RESAMPLES} or more (a confidence interval needs them), "
                          f"got {resamples}")
    report_run(run_dir, ks=parse_ks(k), top_clusters=top_clusters, seed=seed, subsets=subsets,
               resamples=resamples, scorer=scorer, show_progress=not quiet)


def report_run(run_dir: Path, *, ks: list[int] | None = None, top_clusters: int | None = None,
               seed: int | None = None, subsets: int = DEFAULT_SUBSETS, confidence: float | None = None,
               resamples: int | None = None, scorer: str | None = None, console: Console | None = None,
               show_progress: bool = True, just_graded: bool = False) -> dict:
    """Compute a run's metrics, write its reports, print its tables; return the metrics document.

    Settings left None are the run's own (`report:` in its config.yaml), else the defaults.

    A run whose samples are not all graded yet (e.g. one just made by `evalkit import`), or whose
    grades are of samples rewritten since, is graded first, with the default grading settings;
    `just_graded` (the caller graded it a moment ago, holding its lock) skips that check, a
    pass over every sample.
    """
    from evalkit.pipeline.grade import grade_stage, needs_grading
    from evalkit.report import build_run_metrics, build_run_predictions, write_run_reports
    from evalkit.store import RunDir

    run = RunDir(run_dir)
    if not just_graded and needs_grading(run):
        with run.lock("evalkit report (it grades the run first)"):
            grade_stage(run, show_progress=show_progress)

    document = build_run_metrics(run_dir, ks=ks, top_clusters=top_clusters, seed=seed, subsets=subsets,
                                 confidence=confidence, resamples=resamples, scorer=scorer,
                                 show_progress=show_progress)
    predictions = build_run_predictions(run_dir, top_clusters=top_clusters, scorer=scorer)
    written = write_run_reports(run_dir, document, predictions)
    console = console or Console()
    left_out = document["settings"].get("ks_left_out")
    if left_out:
        console.print(f"report.ks {', '.join(map(str, left_out))} reported at k = {document['run']['n']}: "
                      f"{for_terminal(run_dir)} has {document['run']['n']} samples per problem", highlight=False)
    console.print(metrics_rich_table(document))
    extra = comparisons_rich_table(document)
    if extra is not None:
        console.print(extra)
    outputs_line = outputs_summary_line(document)
    if outputs_line is not None:
        console.print(outputs_line, highlight=False, markup=False)
    for path in written.values():
        console.print(f"wrote {for_terminal(path)}", highlight=False)
    return document


def leaderboard_command(
    dirs: Annotated[list[Path], typer.Argument(help="Run directories, or folders holding run directories.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for leaderboard.md, .csv and .json.")]
        = Path("leaderboard"),
    metric: Annotated[str | None, typer.Option("--metric", help="The metric that ranks the rows.",
                                               show_default="maj@k at the largest k every run has")] = None,
    columns: Annotated[str | None, typer.Option("--columns", help="Comma-separated metrics to show.",
                                                show_default="pass@1 and every rule at the metric's k")] = None,
    top_clusters: Annotated[int | None, typer.Option("--top-clusters", help="Clusters SCR keeps in every run (a "
                                                                            "metrics.json made with other settings "
                                                                            "is recomputed).",
                                                     show_default=RUN_OWN_K)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the k-subsets and the bootstrap in every "
                                                                 "run (as --top-clusters).",
                                             show_default=RUN_OWN.format(name="seed", default=0))] = None,
    subsets: Annotated[int | None, typer.Option("--subsets", help="Random k-subsets per problem for k < n in every "
                                                                   "run (as --top-clusters; large: exact).",
                                                show_default=str(DEFAULT_SUBSETS))
                       ] = None,
) -> None:
    """Gather many runs into one model x task table ranked by a metric, with CIs and config hashes;
    models_x_tasks.md/.csv/.json give the same runs as one row per model and one column per task."""
    if metric is not None:
        ranking = parse_metric_names(metric, "--metric")
        if len(ranking) != 1:
            raise ConfigError(f"--metric '{metric}': give one metric, e.g. maj@8")
        metric = ranking[0]
    shown = parse_metric_names(columns, "--columns") if columns is not None else None
    _check_common(top_clusters, DEFAULT_SUBSETS if subsets is None else subsets)
    if out.exists() and not out.is_dir():
        raise InputError("is a file; --out names a folder for leaderboard.md, .csv and .json", path=out)
    console = Console()
    skipped: list[Path] = []

    def skip(run_dir: Path, error: Exception) -> None:
        skipped.append(run_dir)
        console.print(f"[yellow]skipped[/] {for_terminal(run_dir)}: {for_terminal(error)}", soft_wrap=True)

    rows = collect_leaderboard_rows(dirs, on_unreadable=skip, top_clusters=top_clusters, seed=seed, subsets=subsets)
    if not rows:
        raise InputError(f"no readable run among {len(skipped)} run directories (see the lines above)")
    if metric is not None and not any(metric in row["metrics"] for row in rows):
        known = sorted({name for row in rows for name in row["metrics"]})
        raise ConfigError(f"--metric '{metric}': no run has this metric; they have {', '.join(known[:16])}"
                          + (" ..." if len(known) > 16 else ""))
    metric = metric if metric is not None else default_metric(rows)
    rows = sort_rows(rows, metric)
    written = write_leaderboard(rows, out, metric=metric, columns=shown)
    written.update(write_task_table(rows, out))
    console.print(leaderboard_rich_table(rows, metric, shown if shown is not None else default_columns(rows, metric),
                                         width=console.width))
    for row in rows:
        if row.get("recomputed"):
            console.print(f"[yellow]note[/] {for_terminal(row['run_dir'])}: {for_terminal(row['recomputed'])}",
                          highlight=False)
        scoring = row.get("scoring") or {}
        note = (unscored_clusters_note(row["top_clusters"], scoring.get("scorer"), scoring.get("selections") or (),
                                       row.get("not_reported") or ())
                if isinstance(row.get("top_clusters"), int) else None)
        if note is not None:
            console.print(f"[yellow]note[/] {for_terminal(row['run_dir'])}: {for_terminal(note)}", highlight=False)
    for path in written.values():
        console.print(f"wrote {for_terminal(path)}", highlight=False)


def compare_command(
    run_a: Annotated[Path, typer.Argument(help="Run A: a graded run directory.")],
    run_b: Annotated[Path, typer.Argument(help="Run B: a graded run directory of the same task.")],
    metrics: Annotated[str | None, typer.Option("--metrics", help="Comma-separated metrics, e.g. pass@1,maj@16,scr@16 "
                                                                  "(avg@n and cons@n too).",
                                                show_default="pass@1 and maj@k at the smaller n")] = None,
    top_clusters: Annotated[int | None, typer.Option("--top-clusters", help="Clusters SCR keeps in both runs.",
                                                     show_default="the K both runs were reranked with")] = None,
    scorer: Annotated[str | None, typer.Option("--scorer", help="Which scorer of scores.jsonl to use, when a run "
                                                                "holds several.")] = None,
    subsets: Annotated[int | None, typer.Option("--subsets", help="Random k-subsets per problem for k < n "
                                                                  "(large: exact).",
                                                show_default=str(DEFAULT_SUBSETS))] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the k-subsets and the bootstrap.")] = 0,
    resamples: Annotated[int, typer.Option("--resamples", help="Bootstrap resamples.")] = 1000,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for comparison.md and comparison.json.",
                                             show_default="print only")] = None,
) -> None:
    """Compare two runs of one task on the problems both hold, paired by problem id: each metric for A and B,
    A - B with a paired bootstrap interval, and how many problems each does better on."""
    from rich.table import Table

    from evalkit.report.compare import (
        COMPARISON_JSON,
        COMPARISON_MD,
        compare_runs,
        comparison_header,
        comparison_markdown,
        comparison_notes,
        comparison_rows,
        problems_line,
    )
    from evalkit.report.tables import write_text_atomic
    from evalkit.store.rundir import CONFIG_FILE, GRADED_FILE

    _check_common(top_clusters, DEFAULT_SUBSETS if subsets is None else subsets)
    if seed < 0:
        raise ConfigError(f"--seed must be 0 or more, got {seed}")
    if not MIN_RESAMPLES <= resamples <= MAX_COMPARE_RESAMPLES:
        raise ConfigError(f"--resamples must be from {MIN_RESAMPLES} to {MAX_COMPARE_RESAMPLES}, got {resamples}")
    for run_dir in (run_a, run_b):
        if not run_dir.is_dir():
            raise InputError("not a directory", path=run_dir)
        if not (run_dir / CONFIG_FILE).is_file():
            raise InputError(f"not a run directory (no {CONFIG_FILE})", path=run_dir)
        if not (run_dir / GRADED_FILE).is_file():
            raise InputError(f"not graded yet (no {GRADED_FILE}): `evalkit report` on it grades it", path=run_dir)
    if out is not None:
        blocked = next((parent for parent in (out, *out.parents) if parent.exists() and not parent.is_dir()), None)
        if blocked is not None:
            raise InputError("is a file; --out names a folder for comparison.md and comparison.json", path=blocked)
    names = parse_metric_names(metrics, "--metrics") if metrics is not None else None
    document = compare_runs(run_a, run_b, metrics=names, top_clusters=top_clusters, subsets=subsets, seed=seed,
                            resamples=resamples, scorer=scorer)
    console = Console()
    for run in document["runs"]:
        console.print(f"{run['label']}: {for_terminal(run['model'])} ({for_terminal(run['path'])}, n = {run['n']})",
                      highlight=False)
    console.print(problems_line(document), highlight=False)
    table = Table(*comparison_header(document))
    for row in comparison_rows(document):
        table.add_row(*(for_terminal(cell) for cell in row))
    console.print(table)
    for note in comparison_notes(document):
        console.print(f"[yellow]note[/] {for_terminal(note)}", highlight=False)
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
            written = [write_text_atomic(out / COMPARISON_JSON, text),
                       write_text_atomic(out / COMPARISON_MD, comparison_markdown(document))]
        except OSError as error:
            raise InputError(f"cannot write the comparison there ({error.strerror or error})", path=out) from None
        for path in written:
            console.print(f"wrote {for_terminal(path)}", highlight=False)
