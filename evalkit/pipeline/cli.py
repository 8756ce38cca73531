"""Commands of the evaluation pipeline: `evalkit run`, `evalkit grade-run`, `evalkit merge`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from evalkit.config import load_config, parse_override
from evalkit.store import RunDir, Shard
from evalkit.text_safety import for_terminal

console = Console()


def run_command(
    config: Annotated[Path, typer.Argument(help="YAML run config (see configs/ and the README's config reference).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Run directory (default: runs/<model>-<task>-<hash>).")] = None,
    shard: Annotated[Optional[str], typer.Option(help="Run only part i of N of the problems, e.g. 0/4; join parts with `evalkit merge`.")] = None,
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Benchmark data laid out like shared/data (default: config, then $EVALKIT_DATA_DIR).")] = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field, e.g. --set sampling.n=4 (repeatable).")] = None,
    report: Annotated[bool, typer.Option(help="Compute metrics and write reports at the end.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Sample, grade and report one model on one task; a killed run resumes where it stopped."""
    from evalkit.pipeline.run import run_evaluation

    resolved = load_config(config, dict(parse_override(item) for item in overrides or []))
    summary = run_evaluation(
        resolved, out=out, shard=Shard.parse(shard) if shard else None, data_dir=data_dir,
        write_report=report and not shard, show_progress=not quiet, console=console,
    )
    console.print(f"[green]run directory:[/] {for_terminal(summary.run_dir.path)}", highlight=False)


def grade_run_command(
    run_dir: Annotated[Path, typer.Argument(help="Run directory holding samples.jsonl.")],
    workers: Annotated[Optional[int], typer.Option(help="Grading processes (default: CPU count; 0 = in-process, no time limit).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds allowed per answer comparison before it is marked `timeout`.")] = 5.0,
) -> None:
    """Grade and cluster the samples of a run directory (resumable); `evalkit report` then reads the grades."""
    from evalkit.pipeline.grade import grade_stage

    run = RunDir(run_dir)
    run.read_config()  # a clear error for a directory that is not a run, before locking it
    with run.lock("evalkit grade-run"):
        result = grade_stage(run, workers=workers, timeout=timeout)
    reasons = ", ".join(f"{name}: {count}" for name, count in sorted(result.reasons.items())) or "nothing new"
    console.print(f"graded {result.graded_now} of {result.problems} problems ({for_terminal(reasons)})",
                  highlight=False)


def merge_command(
    parts: Annotated[list[Path], typer.Argument(help="Run directories written with --shard i/N.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the merged run.")],
) -> None:
    """Join the shards of a split run, after checking that they are parts 0..N-1 of one config."""
    from evalkit.pipeline.merge import merge_runs

    merged = merge_runs(parts, out)
    console.print(f"[green]merged {len(parts)} parts into[/] {for_terminal(merged.path)}", highlight=False)
