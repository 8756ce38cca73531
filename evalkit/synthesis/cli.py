"""Commands of the synthesis stage: `evalkit synth` and `evalkit decontaminate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from evalkit.errors import ConfigError

console = Console()


def synth_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="YAML synthesis config (see configs/synth-demo.yaml).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory; every step's results and caches live here.")],
    steps: Annotated[str | None, typer.Option(
        help="Comma-separated steps to run: corpus,select,teacher,distill,generate,filter (default: all). "
             "A step reads earlier steps' outputs from --out.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Synthesise math training data JiuZhang3.0-style: select texts by influence, ask a teacher,
    distil a small synthesizer, generate at scale, deduplicate and decontaminate."""
    from evalkit.synthesis.config import load_synth_config
    from evalkit.synthesis.pipeline import parse_steps, run_synthesis

    report = run_synthesis(load_synth_config(config), out, parse_steps(steps), show_progress=not quiet)
    _print_report(report)
    console.print(f"[green]report:[/] {out / 'report.json'}   [green]data:[/] {out / 'synthetic.jsonl'}")


def _print_report(report: dict[str, Any]) -> None:
    table = Table(title="synthesis", show_header=False)
    for name in ("corpus_chunks", "texts_scored", "texts_selected", "teacher_calls", "teacher_calls_this_run",
                 "teacher_ok", "teacher_malformed", "teacher_skipped", "train_pairs", "generated", "kept",
                 "removed_malformed", "removed_length", "removed_duplicates", "removed_contaminated"):
        if report.get(name) is not None:
            table.add_row(name, str(report[name]))
    cost = (report.get("cost") or {}).get("total")
    if cost:
        table.add_row("teacher tokens", f"{cost['prompt_tokens']} prompt + {cost['completion_tokens']} completion")
        table.add_row("teacher cost (USD)", f"{cost['usd']:.4f}")
    console.print(table)


def decontaminate_command(
    file: Annotated[Path, typer.Argument(help="JSONL records with a 'problem' (or 'question') field.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the clean records (the removed ones go to OUT.removed.jsonl).")],
    against: Annotated[str, typer.Option(help="Comma-separated benchmark test sets: gsm8k, math, math500.")] = "gsm8k,math",
    ngram: Annotated[int, typer.Option(help="Word n-gram size; a shared n-gram marks a record contaminated.")] = 13,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Benchmark data laid out like shared/data (default: $EVALKIT_DATA_DIR).")] = None,
) -> None:
    """Remove records whose problem overlaps a benchmark test problem (normalised word n-grams)."""
    from evalkit.synthesis.filters import decontaminate_file

    names = [name.strip() for name in against.split(",") if name.strip()]
    if not names:
        raise ConfigError("--against names no benchmark")
    if ngram < 1:
        raise ConfigError(f"--ngram must be >= 1, got {ngram}")
    result = decontaminate_file(file, out, names, ngram=ngram, data_dir=data_dir)
    for item in result.removed[:20]:
        console.print(f"removed {item['record_id']}: overlaps {item['matched']}")
    if len(result.removed) > 20:
        console.print(f"... and {len(result.removed) - 20} more (see {result.removed_path})")
    console.print(json.dumps({"records": result.total, "kept": result.kept, "removed": len(result.removed),
                              "benchmark_problems": result.benchmark_problems}))
    console.print(f"[green]clean:[/] {out}   [yellow]removed:[/] {result.removed_path}")
