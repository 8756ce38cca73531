"""Commands of the evaluation pipeline: `evalkit run`, `evalkit grade-run`, `evalkit merge`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from evalkit.config import parse_override
from evalkit.progress import quiet_library_progress
from evalkit.store import RunDir, Shard
from evalkit.text_safety import for_terminal

console = Console()


def run_command(
    config: Annotated[Optional[Path], typer.Argument(help="YAML run config (see configs/); optional when --model, --backend and --tasks are given.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="With a config and no --tasks: the run directory (default: runs/<model>-<task>-<hash>). "
                                                                    "With --tasks or without a config: the folder of the command's runs and leaderboard (default: runs/).")] = None,
    shard: Annotated[Optional[str], typer.Option(help="Run only part i of N of the problems, e.g. 0/4; join parts with `evalkit merge`.")] = None,
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Benchmark data laid out like shared/data (default: config, then $EVALKIT_DATA_DIR, then ./data; "
                                                                        "test sets not found there are read from the copies shipped with evalkit).")] = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field, e.g. --set sampling.n=4 (repeatable).")] = None,
    report: Annotated[bool, typer.Option(help="Compute metrics and write reports at the end.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    model: Annotated[Optional[str], typer.Option("--model", help="Model path or id (backend.options.model and the display name); "
                                                                 "builtin:tiny = a tiny model evalkit builds locally.")] = None,
    backend: Annotated[Optional[str], typer.Option("--backend", help="hf, vllm, openai or replay (backend.name).")] = None,
    tasks: Annotated[Optional[str], typer.Option("--tasks", help="Comma-separated tasks, one run each: aime24, aime25, amc23, gsm8k, math, "
                                                                 "math500, minerva_math, olympiadbench.")] = None,
    n: Annotated[Optional[int], typer.Option("--n", help="Samples per problem (sampling.n).")] = None,
    temperature: Annotated[Optional[float], typer.Option("--temperature", help="sampling.temperature")] = None,
    top_p: Annotated[Optional[float], typer.Option("--top-p", help="sampling.top_p")] = None,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens", help="sampling.max_tokens")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="sampling.seed")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N problems of each task (filters.limit), for a smoke test.")] = None,
    prompt: Annotated[Optional[str], typer.Option("--prompt", help="Prompt format for every task (default: each task's own): "
                                                                   "reasoning, chat_cot, chat, zero_shot_cot, minerva, gsm8k_cot.")] = None,
    split: Annotated[Optional[str], typer.Option("--split", help="Data split (default: test).")] = None,
    data_source: Annotated[Optional[str], typer.Option("--data-source", help="hf = the task's Hugging Face dataset, hf:NAME[:CONFIG] = another.")] = None,
    max_problems_in_flight: Annotated[Optional[int], typer.Option("--max-problems-in-flight", "--batch-problems", help="Memory bound: problems queued in the backend at once (max_problems_in_flight; default: the backend's, which keeps it busy). --batch-problems is its old name.")] = None,
    model_name: Annotated[Optional[str], typer.Option("--model-name", help="Display name in reports (default: from --model).")] = None,
    samples: Annotated[Optional[Path], typer.Option("--samples", help="--backend replay: the JSONL file of stored samples.")] = None,
) -> None:
    """Sample, grade and report models on tasks; a killed run resumes where it stopped.

    Either a YAML config (`evalkit run CONFIG`) or one line of flags
    (`evalkit run --model M --backend vllm --tasks aime24,math500 --n 16 --temperature 0.6 --max-tokens 32768`);
    flags override a config's fields.
    """
    from evalkit.config import read_yaml_config
    from evalkit.pipeline.flags import RunFlags, build_run_configs, parse_task_list, run_configs
    from evalkit.pipeline.run import refuse_run_dir_as_folder, run_evaluation, stored_settings

    if quiet:
        quiet_library_progress()
    flags = RunFlags(model=model, backend=backend, tasks=parse_task_list(tasks), model_name=model_name,
                     samples=str(samples) if samples is not None else None, n=n, temperature=temperature,
                     top_p=top_p, max_tokens=max_tokens, seed=seed, limit=limit, prompt=prompt, split=split,
                     data_source=data_source, max_problems_in_flight=max_problems_in_flight)
    base, lines = read_yaml_config(config) if config is not None else (None, None)
    if base is not None and "config_hash" in base:  # a run directory's own config.yaml: run it again
        base = stored_settings(base)
    resolved = build_run_configs(flags, base=base, overrides=dict(parse_override(item) for item in overrides or []),
                                 source=str(config) if config is not None else "command line",
                                 lines=lines)
    parsed_shard = Shard.parse(shard) if shard else None
    if config is not None and not flags.tasks:
        summary = run_evaluation(
            resolved[0], out=out, shard=parsed_shard, data_dir=data_dir,
            write_report=report and not shard, show_progress=not quiet, console=console,
        )
        console.print(f"[green]run directory:[/] {for_terminal(summary.run_dir.path)}", highlight=False)
        return
    refuse_run_dir_as_folder(out or Path("runs"))
    run_dirs = run_configs(resolved, root=out or Path("runs"), shard=parsed_shard, data_dir=data_dir,
                           write_report=report and not shard, show_progress=not quiet, console=console)
    for run_dir in run_dirs:
        console.print(f"[green]run directory:[/] {for_terminal(run_dir)}", highlight=False)


def grade_run_command(
    run_dir: Annotated[Path, typer.Argument(help="Run directory holding samples.jsonl.")],
    workers: Annotated[Optional[int], typer.Option(help="Grading processes (default: CPU count; 0 = in-process, no time limit).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds allowed per answer comparison before it is marked `timeout`.")] = 5.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Grade and cluster the samples of a run directory (resumable); `evalkit report` then reads the grades."""
    from evalkit.grading.cli import check_grading_options
    from evalkit.pipeline.grade import grade_stage

    check_grading_options(workers, timeout)
    run = RunDir(run_dir)
    run.read_config()  # a clear error for a directory that is not a run, before locking it
    with run.lock("evalkit grade-run"):
        result = grade_stage(run, workers=workers, timeout=timeout, show_progress=not quiet)
    reasons = ", ".join(f"{name}: {count}" for name, count in sorted(result.reasons.items())) or "nothing new"
    if result.stale:
        console.print(f"note: {result.stale} problem(s) had grades of other samples (samples.jsonl was rewritten "
                      "since): graded again, and their evaluator scores dropped", highlight=False)
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
