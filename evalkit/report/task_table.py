"""The models x tasks table: one row per model, one column per task, each cell a metric with its CI.

Rows are leaderboard rows (`evalkit.report.leaderboard.load_run_row`: model, task, n, config hash,
metrics). A metric name ending in `@n` means each run's own n: `maj@n` is maj@16 for a run with 16
samples per problem (what model cards call cons@16), and `pass@1`, the mean accuracy over all n
samples, is their avg@16. Two runs of one model on one task (say a smoke test and the full run)
get separate rows, labelled with their config hashes, so no cell silently hides a run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from evalkit.metrics import split_metric_name
from evalkit.report.leaderboard import interval_text, relative_paths
from evalkit.report.tables import (
    escape_cell,
    format_percent,
    is_partial,
    markdown_table,
    problems_csv_cell,
    problems_label,
    write_csv,
    write_text_atomic,
)
from evalkit.text_safety import for_terminal

DEFAULT_TASK_TABLE_METRICS = ("pass@1", "maj@n")
TASK_TABLE_FILES = ("models_x_tasks.md", "models_x_tasks.csv", "models_x_tasks.json")
PER_RUN_N = "n"


def resolve_metric(name: str, n: int | None) -> str | None:
    """`maj@n` -> `maj@16` for a run with n = 16 (None when n is unknown); other names as they are."""
    rule, _, k = name.rpartition("@")
    if k == PER_RUN_N:
        if not rule:
            raise ValueError(f"bad metric name {name!r}: expected RULE@K or RULE@n")
        return f"{rule}@{n}" if n else None
    split_metric_name(name)
    return name


def row_labels(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The model label of each row: rows whose model has two runs of one task also show their config
    hash, and runs of one task that share model and config hash (say one regraded copy) also their
    run directory, so that every run of a task has a cell of its own."""
    def counts(labels: Sequence[str]) -> dict[tuple[str, str], int]:
        seen: dict[tuple[str, str], int] = {}
        for label, row in zip(labels, rows):
            key = (label, str(row["task"]))
            seen[key] = seen.get(key, 0) + 1
        return seen

    models = [str(row["model"]) for row in rows]
    colliding = {model for (model, _), count in counts(models).items() if count > 1}
    labels = [f"{model} [{str(row.get('config_hash'))[:8]}]" if model in colliding else model
              for model, row in zip(models, rows)]
    twice = counts(labels)
    labels = [f"{label} ({row.get('run_dir')})" if twice[(label, str(row["task"]))] > 1 else label
              for label, row in zip(labels, rows)]
    repeated = counts(labels)
    numbered: dict[tuple[str, str], int] = {}
    out = []
    for label, row in zip(labels, rows):
        key = (label, str(row["task"]))
        if repeated[key] > 1:  # the same directory given twice
            numbered[key] = numbered.get(key, 0) + 1
            label = f"{label} #{numbered[key]}"
        out.append(label)
    return out


def task_table_cells(rows: Sequence[Mapping[str, Any]], metric: str) -> list[dict[str, Any]]:
    """One cell per row: `{"model", "task", "metric", "n", "value", "ci", "config_hash", "run_dir", "problems",
    "planned_problems"}` (`value`/`ci` None when the run lacks the metric; `planned_problems` None when unknown)."""
    cells = []
    for label, row in zip(row_labels(rows), rows):
        name = resolve_metric(metric, row.get("n"))
        estimate = row["metrics"].get(name) if name else None
        cells.append({
            "model": label, "task": str(row["task"]), "metric": name or metric, "n": row.get("n"),
            "value": estimate["value"] if estimate else None, "ci": list(estimate["ci"]) if estimate else None,
            "config_hash": row.get("config_hash"), "run_dir": row.get("run_dir"),
            "problems": row.get("problems"), "planned_problems": row.get("planned_problems"), "shard": row.get("shard"),
        })
    return cells


def task_grid(rows: Sequence[Mapping[str, Any]], metric: str) -> tuple[list[str], list[str], dict[tuple[str, str], dict]]:
    """Models (in first-seen order), tasks (sorted) and the cell of each (model, task) present."""
    cells = task_table_cells(rows, metric)
    models = list(dict.fromkeys(cell["model"] for cell in cells))
    tasks = sorted({cell["task"] for cell in cells})
    return models, tasks, {(cell["model"], cell["task"]): cell for cell in cells}


def _cell_text(cell: Mapping[str, Any] | None) -> str:
    if cell is None or cell["value"] is None:
        return format_percent(None)
    text = format_percent({"value": cell["value"], "ci": cell["ci"]})
    return f"{text}, {problems_label(cell)}" if is_partial(cell) else text


def _title(metric: str) -> str:
    if metric.endswith(f"@{PER_RUN_N}"):
        rule = metric.rpartition("@")[0]
        return f"{metric} (each run's own n; {'cons@n' if rule == 'maj' else metric})"
    return f"{metric} (avg@n: mean over all n samples)" if metric == "pass@1" else metric


def task_table_markdown(rows: Sequence[Mapping[str, Any]], metrics: Sequence[str] = DEFAULT_TASK_TABLE_METRICS) -> str:
    """The Markdown document: one models x tasks table per metric, cells `value [low, high]` in %, the
    intervals' level read from the rows (`confidence`, each run's own)."""
    parts = [f"# Models x tasks\n\nAccuracy in %, each with its {interval_text(rows)} over problems.\n"]
    for metric in metrics:
        models, tasks, cells = task_grid(rows, metric)
        body = [[model, *(_cell_text(cells.get((model, task))) for task in tasks)] for model in models]
        parts.append(f"\n## {escape_cell(_title(metric))}\n\n"
                     + markdown_table(["model", *tasks], body, [False, *([True] * len(tasks))]))
    return "".join(parts)


def task_table_rich(rows: Sequence[Mapping[str, Any]], metric: str) -> Table:
    """One metric's models x tasks table for the terminal."""
    models, tasks, cells = task_grid(rows, metric)
    table = Table(title=for_terminal(f"{_title(metric)}: accuracy %, CI"))
    table.add_column("model", overflow="fold")
    for task in tasks:
        table.add_column(for_terminal(task), justify="right")
    for model in models:
        table.add_row(for_terminal(model), *(_cell_text(cells.get((model, task))) for task in tasks))
    return table


def write_task_table(rows: Sequence[Mapping[str, Any]], out_dir: str | Path,
                     metrics: Sequence[str] = DEFAULT_TASK_TABLE_METRICS) -> dict[str, Path]:
    """Write `models_x_tasks.md` (tables), `.csv` and `.json` (one record per metric and run) into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [relative_paths(row, out_dir) for row in rows]  # the tables name no absolute path
    records = [cell for metric in metrics for cell in task_table_cells(rows, metric)]
    header = ["model", "task", "metric", "n", "problems", "value", "ci_low", "ci_high", "config_hash", "run_dir"]
    csv_rows = [[cell["model"], cell["task"], cell["metric"], cell["n"], problems_csv_cell(cell),
                 "" if cell["value"] is None else cell["value"], *(cell["ci"] or ["", ""]),
                 cell["config_hash"], cell["run_dir"]] for cell in records]
    markdown, table_csv, table_json = TASK_TABLE_FILES
    return {
        markdown: write_text_atomic(out_dir / markdown, task_table_markdown(rows, metrics)),
        table_csv: write_csv(out_dir / table_csv, header, csv_rows),
        table_json: write_text_atomic(out_dir / table_json,
                                      json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False) + "\n"),
    }
