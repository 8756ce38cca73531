"""`evalkit rerank`: score a graded run with a solution evaluator, then report its metrics.

The main CLI registers `rerank_command`. Only what the method needs is scored (SCR: the
samples of the top answer clusters), resuming any earlier scoring by the same scorer; the K scored
is recorded in the run's config.yaml (`reranked`), so later reports and leaderboards use it; then
`evalkit.report.cli.report_run` computes and prints pass@k, maj@k and the score rules that
the scores cover (scr@k with SCR-only scoring; also bon@k and wmaj@k with --method all), with
confidence intervals, the scoring labels and SCR's evaluator calls against scoring every
answered sample.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from evalkit.errors import ConfigError, InputError
from evalkit.report.settings import ReportSettings
from evalkit.selection import DEFAULT_TOP_CLUSTERS
from evalkit.store import RunDir
from evalkit.text_safety import for_terminal, visible_controls
from reranker.evaluator import default_scorer_name
from reranker.two_way import KIND_FILE, TwoWayEvaluator, load_evaluator
from reranker.scoring import ScoreSummary, score_run


class ScoringMethod(str, Enum):
    """Which samples to score: `scr` the top clusters only, `all` every answered sample."""

    scr = "scr"
    all = "all"


class EvaluatorBackend(str, Enum):
    """Backends that can read verdict probabilities."""

    hf = "hf"
    vllm = "vllm"


def backend_options(backend: str, *, batch_size: int | None, device: str) -> dict[str, Any]:
    """Constructor options of the evaluator's backend from the command-line flags."""
    if backend == "hf":
        options: dict[str, Any] = {"device": device}
        if batch_size is not None:
            options["batch_size"] = batch_size
        return options
    return {}


def summary_text(summary: ScoreSummary) -> str:
    """One paragraph on what the scoring did and what it saved against scoring every sample."""
    lines = [
        f"scorer '{visible_controls(summary.scorer, keep_newlines=False)}', method {summary.method}"
        + (f" (top {summary.top_clusters} clusters)" if summary.method == "scr" else ""),
        (f"  problems: {summary.problems} ({summary.problems_already_scored} already scored, "
         f"{summary.problems_scored_now} scored now, {summary.problems_needing_no_score} needing no score: "
         "one answer among the samples the method looks at)"),
        (f"  samples: {summary.samples_total} in all, {summary.samples_answered} with an answer, "
         f"{summary.samples_selected} needed by the method ({summary.fraction_of_answered:.1%} of the answered; "
         f"{summary.calls_saved} evaluator calls saved against scoring every answered sample)"),
        (f"  scored now: {summary.samples_scored_now} samples with {summary.evaluator_calls} evaluator calls "
         f"in {summary.seconds:.1f} s"),
    ]
    if summary.method == "scr":
        lines.append("  note: best-of-n (RR.All) and W.RR need every answered sample scored: the report leaves "
                     "them out unless --method all scored them")
    if summary.undefined_scores:
        lines.append(f"  {summary.undefined_scores} samples got no probability on either verdict (left unscored)")
    if summary.truncated_prompts:
        lines.append(f"  {summary.truncated_prompts} solutions were cut from the left to fit the context")
    return "\n".join(lines)


def rerank_command(
    run_dir: Annotated[Path, typer.Argument(help="A graded run directory (config.yaml, samples.jsonl, "
                                                 "graded.jsonl).")],
    evaluator: Annotated[Path, typer.Option("--evaluator", help="Local directory of the fine-tuned "
                                                                "solution evaluator model: a verdict evaluator, "
                                                                "or a two-way one where its evaluator_kind.json "
                                                                "says so (hf backend only).")],
    top_k: Annotated[int | None, typer.Option("--top-k", help="Answer clusters SCR keeps per problem: exactly "
                                                              "this many (ties at the cut: the cluster that "
                                                              "appears first).",
                                              show_default=f"the K this scorer last reranked the run with, else "
                                                           f"the run's report.top_clusters (config.yaml), else "
                                                           f"{DEFAULT_TOP_CLUSTERS}")] = None,
    method: Annotated[ScoringMethod, typer.Option("--method", help="scr: score only the samples in the top-k "
                                                                   "clusters (exact scr@n); all: every sample "
                                                                   "with an answer (bon@k, wmaj@k, scr@k at "
                                                                   "every k).")] = ScoringMethod.scr,
    backend: Annotated[EvaluatorBackend, typer.Option("--backend", help="Backend that runs the "
                                                                        "evaluator.")] = EvaluatorBackend.hf,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Solutions per forward pass.",
                                                   show_default="the backend's")] = None,
    scorer_name: Annotated[str | None, typer.Option("--scorer-name", help="Name of this scorer in "
                                                                          "scores.jsonl and the report.",
                                                    show_default="the evaluator directory's name")] = None,
    device: Annotated[str, typer.Option("--device", help="Device of the hf backend (auto, cpu, cuda, "
                                                         "cuda:1, mps).")] = "auto",
) -> None:
    """Score a run's solutions with a solution evaluator (only the top answer clusters, for SCR),
    append to scores.jsonl, then compute and print the metrics the scores cover and the evaluator calls saved."""
    if top_k is not None and top_k < 1:
        raise ConfigError(f"--top-k must be 1 or more, got {top_k}")
    if batch_size is not None and batch_size < 1:
        raise ConfigError(f"--batch-size must be 1 or more, got {batch_size}")
    run = RunDir(run_dir)
    # check the run before loading a model, which can take minutes
    name = scorer_name or default_scorer_name(Path(evaluator).expanduser())
    top_k = ReportSettings.for_run(run.read_config(), top_clusters=top_k, scorer=name,
                                   source=str(run.config_path)).top_clusters
    if not run.samples_path.exists():
        raise InputError("no samples in this run directory", path=run.samples_path)
    if not run.graded_path.exists():
        raise InputError(f"not graded yet: run `evalkit grade-run {run_dir}` first", path=run.graded_path)
    backend_name = backend.value if isinstance(backend, Enum) else str(backend)
    method_name = method.value if isinstance(method, Enum) else str(method)
    solution_evaluator = load_evaluator(evaluator, backend=backend_name, name=scorer_name,
                                        **backend_options(backend_name, batch_size=batch_size, device=device))
    two_way = isinstance(solution_evaluator, TwoWayEvaluator)  # load_evaluator read the folder's kind file
    Console(stderr=True).print(for_terminal(
        f"evaluator {evaluator}: {'two-way (its ' + KIND_FILE + ')' if two_way else 'verdict'}",
        keep_newlines=False), highlight=False)
    try:
        with run.lock("evalkit rerank"):
            summary = score_run(run_dir, solution_evaluator, method=method_name, top_clusters=top_k,
                                batch_size=batch_size if backend_name != "hf" else None)
            # later reports and leaderboards default to the K scored now
            run.record_rerank(solution_evaluator.name, method_name, top_k)
    finally:
        close = getattr(getattr(solution_evaluator, "backend", None), "close", None)
        if callable(close):
            close()  # release a vLLM engine before the report
    console = Console()
    console.print(for_terminal(summary_text(summary), keep_newlines=True), highlight=False)  # the line breaks are ours
    from evalkit.report.cli import report_run

    if not summary.scores_on_file:
        console.print(f"nothing needed a score (with --top-k {top_k}, every problem's kept samples share one answer"
                      f"{': SCR at K = 1 is majority vote, ties cut by first appearance' if top_k == 1 else ''}); scores.jsonl is unchanged",
                      highlight=False)
        if not run.scores_path.exists():
            report_run(run_dir, top_clusters=top_k, console=console)
        return
    report_run(run_dir, top_clusters=top_k, scorer=solution_evaluator.name, console=console)
