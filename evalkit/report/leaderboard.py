"""The leaderboard: many runs gathered into one model x task table.

A row is a plain dict, the same that `leaderboard.json` holds:
`{"model", "task", "n", "config_hash", "problems", "planned_problems", "run_dir", "config_path", "confidence",
"top_clusters", "scoring", "not_reported",
"metrics": {"pass@1": {"value", "ci"}, ...}}`, where `scoring` (or null) says which evaluator
scored how much of the run, and `not_reported` lists the score rules left out because their
scores were incomplete. Paths are written relative to the leaderboard's folder.
Rows come from each run's `metrics.json` when it was computed with the settings the leaderboard
asks for (the run's own unless told otherwise: `evalkit.report.settings`), else from its graded
data through `build_run_metrics`: when `metrics.json` is missing, older than the grades or
scores, or made with other settings (`evalkit report --k 3`, `--top-clusters 4`), so that every
row of one leaderboard is computed the same way and none lacks the ranking metric for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from evalkit.errors import ConfigError, EvalkitError, InputError
from evalkit.jsonl import is_finite_number, read_json_object
from evalkit.metrics import RULE_ORDER, split_metric_name
from evalkit.report.settings import ReportSettings
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
from evalkit.store.rundir import (
    CONFIG_FILE,
    GRADED_FILE,
    METRICS_FILE,
    SAMPLES_FILE,
    SCORES_FILE,
    RunDir,
)
from evalkit.text_safety import for_terminal

RUN_MARKERS = (METRICS_FILE, GRADED_FILE, SAMPLES_FILE)
"""What makes a directory a run: its metrics, its grades, or (not graded yet) its samples."""


def is_run_dir(path: Path) -> bool:
    """A directory holding `metrics.json`, `graded.jsonl` or `samples.jsonl`."""
    return path.is_dir() and any((path / marker).is_file() for marker in RUN_MARKERS)


def find_run_dirs(paths: Iterable[str | Path]) -> list[Path]:
    """Each path itself when it is a run directory, else every run directory below it.

    Order: as given, then sorted within each folder; duplicates are dropped.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            raise InputError("not a directory", path=path)
        if is_run_dir(path):
            found.append(path)
            continue
        below = sorted({marker.parent for name in RUN_MARKERS for marker in path.rglob(name)})
        if not below:
            raise InputError(f"no run directories (with {METRICS_FILE}, {GRADED_FILE} or {SAMPLES_FILE}) found here",
                             path=path)
        found.extend(below)
    return list(dict.fromkeys(found))


def _is_stale(run_dir: Path) -> bool:
    """`metrics.json` missing, or older than the grades or scores it was computed from."""
    metrics = run_dir / METRICS_FILE
    if not metrics.is_file():
        return True
    made = metrics.stat().st_mtime
    return any((run_dir / name).is_file() and (run_dir / name).stat().st_mtime > made
               for name in (GRADED_FILE, SCORES_FILE))


def _read_metrics_document(path: Path) -> dict[str, Any]:
    document = read_json_object(path)
    for key in ("run", "metrics"):
        if not isinstance(document.get(key), dict):
            raise InputError("missing or not an object", path=path, field=key)
    for name, estimate in document["metrics"].items():
        if (not isinstance(estimate, dict) or not is_finite_number(estimate.get("value"))
                or not isinstance(estimate.get("ci"), list) or len(estimate["ci"]) != 2
                or not all(is_finite_number(bound) for bound in estimate["ci"])):
            raise InputError("expected {\"value\": number, \"ci\": [low, high]} with finite numbers", path=path,
                             field=f"metrics.{name}")
    return document


SETTINGS_NOT_RECORDED = ("settings", None, "recorded")
"""The one change of a `metrics.json` that does not record the settings it was made with (an older evalkit's)."""


def _settings_changes(document: Mapping[str, Any], run_dir: Path, top_clusters: int | None, seed: int | None,
                      subsets: int | None) -> list[tuple[str, Any, Any]]:
    """What differs between the settings a `metrics.json` document was computed with and those a leaderboard
    uses for the run: those given (`top_clusters`, `seed`, `subsets`), else the run's own (for the scorer the
    document names), at the ks a report computes by default. `(setting, in the document, wanted)` each; empty
    when the document can be used as it is."""
    run = RunDir(run_dir)
    scorer = document["run"].get("scorer")
    settings = ReportSettings.for_run(run.read_config(), top_clusters=top_clusters, seed=seed, subsets=subsets,
                                      scorer=scorer if isinstance(scorer, str) else None,
                                      source=str(run.config_path))
    n = document["run"].get("n")
    made = document.get("settings")
    if not (isinstance(n, int) and n >= 1) or not isinstance(made, Mapping):
        return [SETTINGS_NOT_RECORDED]
    wanted = settings.record(settings.ks_for(n))
    return [(name, made.get(name), value) for name, value in wanted.items() if made.get(name) != value]


def _recomputed_note(changes: Sequence[tuple[str, Any, Any]], asked: bool) -> str:
    """One line saying why a row was computed again instead of read from the run's `metrics.json`."""
    whose = "those asked for" if asked else "the run's recorded ones (rerank --top-k, config.yaml `report:`)"
    if list(changes) == [SETTINGS_NOT_RECORDED]:
        return f"its metrics.json does not record its settings: recomputed with {whose}"
    was = ", ".join(f"{name} {made}" for name, made, _ in changes)
    now = ", ".join(f"{name} {wanted}" for name, _, wanted in changes)
    return (f"its metrics.json was made with other settings ({was}): recomputed with {whose} ({now}), "
            "so that every row is made the same way")


def load_graded_run_row(run_dir: str | Path, **options: Any) -> dict[str, Any]:
    """`load_run_row` of a run that has been graded; an `InputError` for one that has only samples."""
    if not any((Path(run_dir) / marker).is_file() for marker in (METRICS_FILE, GRADED_FILE)):
        raise InputError("not graded yet (its samples are there): `evalkit report` on it grades it")
    return load_run_row(run_dir, **options)


def load_run_row(run_dir: str | Path, *, top_clusters: int | None = None, seed: int | None = None,
                 subsets: int | None = None, **build_options: Any) -> dict[str, Any]:
    """The leaderboard row of one run directory: its `metrics.json`, or, when that is missing, stale or
    made with other settings than `top_clusters`, `seed` and `subsets` (None: the run's own) and the default
    ks, metrics computed now (with the scorer `metrics.json` names, when the run has several). A row
    computed again for other settings says so in `recomputed` (one line)."""
    from evalkit.report import build_run_metrics

    run_dir = Path(run_dir)
    graded = (run_dir / GRADED_FILE).is_file()
    document = None if graded and _is_stale(run_dir) else _read_metrics_document(run_dir / METRICS_FILE)
    changes = _settings_changes(document, run_dir, top_clusters, seed, subsets) if graded and document else []
    if graded and (document is None or changes):
        scorer = document["run"].get("scorer") if document is not None else None
        document = build_run_metrics(run_dir, top_clusters=top_clusters, seed=seed, subsets=subsets, scorer=scorer,
                                     **build_options)
    row = row_of_document(run_dir, document)
    if changes:
        row["recomputed"] = _recomputed_note(changes, asked=any(
            value is not None for value in (top_clusters, seed, subsets)))
    return row


def row_of_document(run_dir: str | Path, document: Mapping[str, Any], *, model: str | None = None) -> dict[str, Any]:
    """The leaderboard row of a run's `metrics.json` document; `model` names the row instead of the run's model."""
    run_dir = Path(run_dir)
    run = document["run"]
    config_path = run_dir / CONFIG_FILE
    return {
        "model": model or run.get("model") or run_dir.name,
        "task": run.get("task") or "unknown",
        "n": run.get("n"),
        "config_hash": run.get("config_hash"),
        "problems": run.get("problems"),
        "planned_problems": run.get("planned_problems"),
        "shard": run.get("shard"),
        "run_dir": str(run_dir),
        "config_path": str(config_path) if config_path.is_file() else None,
        "confidence": (document.get("settings") or {}).get("confidence"),
        "top_clusters": (document.get("settings") or {}).get("top_clusters"),
        "scoring": document.get("scoring"),
        "not_reported": sorted(document.get("not_reported") or {}),
        "metrics": dict(document["metrics"]),
    }


def model_cell(row: Mapping[str, Any]) -> str:
    """A row's model as the tables show it: with `10 of 30 problems (incomplete)` for an incomplete run, and
    `13 of 40 problems (shard 0/3)` for one part of a sharded run."""
    return f"{row['model']}: {problems_label(row)}" if is_partial(row) else str(row["model"])


def _problems_cell(row: Mapping[str, Any]) -> str:
    """How many problems a row's figures cover (runs limited to other problems show other counts)."""
    problems = row.get("problems")
    return str(problems) if isinstance(problems, int) and not isinstance(problems, bool) else ""


def interval_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """What the intervals of `rows` are, by their runs' confidence levels: `95% bootstrap confidence
    interval`, or with runs of several levels `bootstrap confidence interval at its run's level (90% or 95%)`."""
    levels = sorted({round(100 * row["confidence"]) for row in rows if is_finite_number(row.get("confidence"))})
    if len(levels) == 1:
        return f"{levels[0]}% bootstrap confidence interval"
    if not levels:
        return "bootstrap confidence interval"
    return f"bootstrap confidence interval at its run's level ({' or '.join(f'{level}%' for level in levels)})"


def scoring_cell(row: Mapping[str, Any]) -> str:
    """How a row's scores were made, in a few words: `evaluator, 37% of answered samples (scr-top2); SCR
    keeps K = 2` or `none`; the selections say which samples were scored (`all`, `scr-topK`: the top K
    clusters), K how many clusters the row's scr@k and wscr@k keep (when the row knows it)."""
    scoring = row.get("scoring")
    if not scoring:
        return "none"
    selections = ", ".join(str(name) for name in scoring.get("selections") or ())
    top_clusters = row.get("top_clusters")
    return (f"{scoring['scorer']}, {100 * scoring['coverage']:.0f}% of answered samples"
            + (f" ({selections})" if selections else "")
            + (f"; SCR keeps K = {top_clusters}" if isinstance(top_clusters, int) else ""))


def collect_leaderboard_rows(paths: Iterable[str | Path], *,
                             on_unreadable: Callable[[Path, EvalkitError], None] | None = None,
                             **build_options: Any) -> list[dict[str, Any]]:
    """Rows of every run directory found in `paths` (see `find_run_dirs`).

    A run whose files are broken raises its error, or, with `on_unreadable`, is reported to it
    and left out, so that one bad run among many does not stop the table.
    """
    rows = []
    for run_dir in find_run_dirs(paths):
        try:
            rows.append(load_graded_run_row(run_dir, **build_options))
        except (InputError, ConfigError) as error:
            if on_unreadable is None:
                raise
            on_unreadable(Path(run_dir), error)
    return rows


def sort_rows(rows: Sequence[Mapping[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Rows by `metric` descending; rows without it last; ties by model then task."""
    def key(row: Mapping[str, Any]) -> tuple[int, float, str, str]:
        estimate = row["metrics"].get(metric)
        value = float(estimate["value"]) if estimate is not None else 0.0
        return (estimate is None, -value, str(row["model"]), str(row["task"]))

    return [dict(row) for row in sorted(rows, key=key)]


def ranks(rows: Sequence[Mapping[str, Any]], metric: str) -> list[int | None]:
    """Each row's rank by `metric` (rows sorted by `sort_rows`): rows with equal values share a rank
    (1, 1, 3), and a row without the metric has none (it is listed, not ranked)."""
    values = [row["metrics"][metric]["value"] if metric in row["metrics"] else None for row in rows]
    return [None if value is None else 1 + sum(other is not None and other > value for other in values)
            for value in values]


def rank_cell(rank: int | None) -> str:
    """A rank as shown in the Markdown and terminal tables: `—` for a row without the ranking metric."""
    return "—" if rank is None else str(rank)


def default_metric(rows: Sequence[Mapping[str, Any]]) -> str:
    """The metric a leaderboard ranks by when none is asked for: majority vote at the largest k every
    run has (runs made with n = 4 rank by maj@4, not by a maj@8 none of them has), else at the
    largest k some run has, else pass@1."""
    def vote_ks(row: Mapping[str, Any]) -> set[int]:
        names = (split_metric_name(name) for name in row["metrics"] if name.startswith("maj@"))
        return {k for _, k in names}

    per_row = [vote_ks(row) for row in rows]
    every = set.intersection(*per_row) if per_row else set()
    some = set().union(*per_row)
    return f"maj@{max(every or some)}" if some else "pass@1"


def default_columns(rows: Sequence[Mapping[str, Any]], metric: str) -> list[str]:
    """`pass@1` and every rule at the ranking metric's k (where some run has it), in rule order."""
    _, k = split_metric_name(metric)
    present = {name for row in rows for name in row["metrics"]}
    columns = ["pass@1", *(f"{rule}@{k}" for rule in RULE_ORDER), metric]
    return [name for name in dict.fromkeys(columns) if name in present or name == metric]


def leaderboard_markdown(rows: Sequence[Mapping[str, Any]], metric: str, columns: Sequence[str]) -> str:
    """The leaderboard as a Markdown document (values in % with their CI)."""
    header = ["#", "model", "task", "problems", "n", *columns, "scores", "config hash", "run"]
    body = [[rank_cell(rank), model_cell(row), row["task"], _problems_cell(row), row.get("n", ""),
             *(format_percent(row["metrics"].get(name)) for name in columns), scoring_cell(row),
             row.get("config_hash"), row.get("config_path") or row["run_dir"]]
            for rank, row in zip(ranks(rows, metric), rows)]
    aligned = [True, False, False, True, True, *([True] * len(columns)), False, False, False]
    hidden = [escape_cell(f"{row['model']} ({row.get('config_path') or row['run_dir']}): "
                          f"{', '.join(row['not_reported'])}") for row in rows if row.get("not_reported")]
    note = ("\nNot reported (— above) because the scores do not cover every sample the rule needs: "
            + "; ".join(hidden) + ".\n") if hidden else ""
    return (f"# Leaderboard, ranked by {escape_cell(metric)}\n\n"
            f"Accuracy in %, each with its {interval_text(rows)} over problems. "
            "`scores`: which evaluator scored what share of the answered samples.\n\n"
            + markdown_table(header, body, aligned) + note)


_FULL_WIDTH_BASE = 60
"""Characters the columns other than the metrics take in the full terminal table (rank, model, task, sizes, scores,
hash); each metric with its CI takes about `_FULL_WIDTH_METRIC`."""
_FULL_WIDTH_METRIC = 19
_COMPACT_WIDTH_BASE = 36
_COMPACT_WIDTH_METRIC = 8
"""The same in a narrow terminal, where a metric is its value alone (`100.0` and the borders)."""


def leaderboard_rich_table(rows: Sequence[Mapping[str, Any]], metric: str, columns: Sequence[str],
                           width: int | None = None) -> Table:
    """The leaderboard for the terminal. In a terminal of `width` columns too narrow for every metric with its CI and the
    scorer and config columns, the table shows each metric's value alone, without those two columns, and as many
    metrics as fit, the ranking's among them (the files written beside it have everything), so that no figure is cut
    to `5…`."""
    compact = width is not None and width < _FULL_WIDTH_BASE + _FULL_WIDTH_METRIC * len(columns)
    shown = list(columns)
    if compact and width is not None:
        fitting = max(1, (width - _COMPACT_WIDTH_BASE) // _COMPACT_WIDTH_METRIC)
        shown = shown[:fitting]
        if metric in columns and metric not in shown:
            shown[-1] = metric  # the ranking's metric is always shown
    left_out = len(columns) - len(shown)
    title = f"Leaderboard, ranked by {for_terminal(metric)} (accuracy %{'' if compact else ', CI'})"
    caption = (f"{f'{left_out} more metrics, ' if left_out else ''}CIs, scorers and config hashes: leaderboard.md"
               if compact else None)
    table = Table(title=title, caption=caption)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("model", min_width=6 if compact else 10, overflow="fold")
    table.add_column("task", min_width=4 if compact else 6, overflow="fold")
    table.add_column("problems", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    for name in shown:
        table.add_column(for_terminal(name), justify="right", overflow="fold", min_width=5 if compact else None)
    if not compact:
        table.add_column("scores", min_width=8, overflow="fold")
        table.add_column("config hash", min_width=8, overflow="fold")
    for rank, row in zip(ranks(rows, metric), rows):
        figures = [format_percent(row["metrics"].get(name)) for name in shown]
        if compact:
            figures = [figure.split(" [")[0] for figure in figures]
        table.add_row(rank_cell(rank), for_terminal(model_cell(row)), for_terminal(row["task"]),
                      for_terminal(_problems_cell(row)), for_terminal(row.get("n", "")), *figures,
                      *(() if compact else (for_terminal(scoring_cell(row)), for_terminal(row.get("config_hash")))))
    return table


def relative_paths(row: Mapping[str, Any], out_dir: Path) -> dict[str, Any]:
    """The row with `run_dir` and `config_path` relative to `out_dir`, so a leaderboard names no
    absolute path of the machine that made it and stays valid when its folder moves with its runs."""
    out = dict(row)
    for key in ("run_dir", "config_path"):
        if out.get(key):
            out[key] = os.path.relpath(Path(out[key]).absolute(), Path(out_dir).absolute())
    return out


def write_leaderboard(rows: Sequence[Mapping[str, Any]], out_dir: str | Path, *, metric: str | None = None,
                      columns: Sequence[str] | None = None) -> dict[str, Path]:
    """Write `leaderboard.md`, `leaderboard.csv` and `leaderboard.json` (rows sorted by `metric`,
    by default `default_metric(rows)`).

    CSV columns: rank, model, task, n, problems (`30 problems`, or `10 of 30 problems (incomplete)` for a run
    stopped before every problem was sampled, as the other tables label it), config_hash, run_dir, scores,
    then per metric its value, ci_low and ci_high as fractions (empty where a run lacks the metric).
    """
    metric = metric if metric is not None else default_metric(rows)
    split_metric_name(metric)
    out_dir = Path(out_dir)
    ordered = [relative_paths(row, out_dir) for row in sort_rows(rows, metric)]
    shown = list(columns) if columns is not None else default_columns(ordered, metric)
    out_dir.mkdir(parents=True, exist_ok=True)
    header = ["rank", "model", "task", "n", "problems", "config_hash", "run_dir", "scores"]
    for name in shown:
        header += [name, f"{name} ci_low", f"{name} ci_high"]
    csv_rows = []
    for rank, row in zip(ranks(ordered, metric), ordered):
        cells: list[object] = ["" if rank is None else rank, row["model"], row["task"], row.get("n"),
                               problems_csv_cell(row), row.get("config_hash"), row["run_dir"], scoring_cell(row)]
        for name in shown:
            estimate = row["metrics"].get(name)
            cells += [estimate["value"], estimate["ci"][0], estimate["ci"][1]] if estimate else ["", "", ""]
        csv_rows.append(cells)
    return {
        "leaderboard.md": write_text_atomic(out_dir / "leaderboard.md", leaderboard_markdown(ordered, metric, shown)),
        "leaderboard.csv": write_csv(out_dir / "leaderboard.csv", header, csv_rows),
        "leaderboard.json": write_text_atomic(out_dir / "leaderboard.json",
                                          json.dumps(ordered, indent=2, ensure_ascii=False, allow_nan=False) + "\n"),
    }
