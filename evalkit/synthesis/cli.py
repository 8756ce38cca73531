"""Commands of the synthesis stage: `evalkit synth` and `evalkit decontaminate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from evalkit.errors import ConfigError
from evalkit.progress import quiet_library_progress
from evalkit.text_safety import for_terminal

console = Console()


def synth_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="YAML synthesis config (see configs/synth-demo.yaml).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory; every step's results and caches live here.")],
    steps: Annotated[str | None, typer.Option(
        help="Comma-separated steps to run: corpus,select,teacher,distill,generate,filter,evaluate (default: all; "
             "evaluate only when the config has an 'evaluate' section). A step reads earlier steps' outputs from --out.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Synthesise math training data JiuZhang3.0-style: select texts by influence, ask a teacher,
    distil a small synthesizer, generate at scale, filter (format, length, contamination,
    near-duplicates, answer consistency), and optionally measure what the data does for a student."""
    from evalkit.store.lock import RunLock
    from evalkit.synthesis.checks import check_out_dir, check_synth_inputs
    from evalkit.synthesis.config import load_synth_config
    from evalkit.synthesis.pipeline import parse_steps, run_synthesis

    if quiet:
        quiet_library_progress()
    settings = load_synth_config(config)
    chosen = parse_steps(steps)
    check_out_dir(out, settings)
    check_synth_inputs(settings, chosen)
    with RunLock(out, "evalkit synth"):  # two syntheses in one folder would both pay for the teacher's calls
        report = run_synthesis(settings, out, chosen, show_progress=not quiet)
    _print_report(report)
    console.print(f"[green]report:[/] {for_terminal(out / 'report.json')}   {_data_line(out / 'synthetic.jsonl', report)}")


def _data_line(data: Path, report: dict[str, Any]) -> str:
    """Where the kept exercises are, unless the filter step has not run or its output is stale."""
    if "filter" in report.get("stale_steps", {}):
        return f"[yellow]data (stale, from before the changes above):[/] {for_terminal(data)}"
    if not data.is_file():
        return "(no synthetic.jsonl yet: run the filter step)"
    return f"[green]data:[/] {for_terminal(data)}"


def _print_report(report: dict[str, Any]) -> None:
    from rich.markup import escape

    table = Table(title="synthesis", show_header=False)
    for name in ("corpus_chunks", "selection", "texts_scored", "texts_selected", "teacher_calls",
                 "teacher_calls_this_run", "teacher_tokens", "teacher_ok", "teacher_malformed", "teacher_skipped",
                 "train_pairs", "generated", "kept", "removed_malformed", "removed_length", "removed_contaminated",
                 "removed_duplicates", "removed_miscalculated", "removed_inconsistent"):
        if report.get(name) is not None:
            table.add_row(name, escape(str(report[name])))
    if report.get("kept_stages"):
        table.add_row("kept stages", escape(", ".join(f"{k} {v}" for k, v in report["kept_stages"].items())))
    cost = (report.get("cost") or {}).get("total")
    if cost:
        table.add_row("teacher tokens", f"{cost['prompt_tokens']} prompt + {cost['completion_tokens']} completion")
        table.add_row("teacher cost (USD)", f"{cost['usd']:.4f}")
    evaluation = report.get("evaluation")
    if evaluation:
        for name in ("teacher", "baseline", "with_synthetic", "random_texts"):
            if name in evaluation:
                table.add_row(f"test accuracy: {name}", f"{100 * evaluation[name]:.1f}%")
        for line in evaluation.get("verdicts", []):
            table.add_row("", escape(line))
    console.print(table)


def decontaminate_command(
    file: Annotated[Path, typer.Argument(help="JSONL records with a 'problem' (or 'question') field.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the clean records; the removed ones go "
                                      "beside it, to NAME.removed.jsonl for --out NAME.jsonl (clean.jsonl -> "
                                      "clean.removed.jsonl).")],
    against: Annotated[str, typer.Option(help="Comma-separated evalkit tasks whose test sets to check, or 'all' "
                                         "(every registered task with a test split that has data here).")] = "all",
    ngram: Annotated[int, typer.Option(help="Word n-gram size; a shared n-gram marks a record contaminated.")] = 13,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Benchmark data laid out like shared/data (default: $EVALKIT_DATA_DIR, else ./data, else the test sets shipped with evalkit).")] = None,
) -> None:
    """Remove records whose problem or solution shares a word n-gram with a benchmark test problem
    (its question or reference solution); every matched benchmark id is written with the record.
    With --out clean.jsonl, the removed records go to clean.removed.jsonl; a task without test data
    here is listed as not checked, on screen and in the summary."""
    from rich.markup import escape

    from evalkit.synthesis.filters import decontaminate_file

    names = [name.strip() for name in against.split(",") if name.strip()]
    if not names:
        raise ConfigError("--against names no benchmark")
    if ngram < 1:
        raise ConfigError(f"--ngram must be >= 1, got {ngram}")
    result = decontaminate_file(file, out, "all" if names == ["all"] else names, ngram=ngram, data_dir=data_dir)
    for name, reason in sorted(result.unavailable.items()):
        console.print(f"[yellow]not checked:[/] {escape(name)} ({escape(reason)})", highlight=False)
    for item in result.removed[:20]:
        matched = ", ".join(item["matched"]) + (f" and {item['matched_count'] - len(item['matched'])} more"
                                                if item["matched_count"] > len(item["matched"]) else "")
        console.print(f"removed {escape(item['record_id'])}: overlaps {escape(matched)}", highlight=False)
    if len(result.removed) > 20:
        console.print(f"... and {len(result.removed) - 20} more (see {escape(str(result.removed_path))})")
    console.print(json.dumps({"records": result.total, "kept": result.kept, "removed": len(result.removed),
                              "benchmark_problems": result.benchmark_problems, "benchmarks_checked": result.checked,
                              "benchmarks_not_checked": result.unavailable}),
                  highlight=False, markup=False, soft_wrap=True)  # one line, for a script to read
    console.print(f"[green]clean:[/] {escape(str(out))}   [yellow]removed:[/] {escape(str(result.removed_path))}")
