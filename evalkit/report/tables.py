"""Tables of a run's metrics: Markdown report, CSV, JSON and a rich terminal table.

Everything here reads the `metrics.json` document made by `evalkit.report.build_run_metrics`
(values are fractions; tables show percentages with their confidence interval, e.g.
`54.2 [50.1, 58.3]`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from evalkit.jsonl import write_lines_atomic
from evalkit.metrics import ALIASES_AT_N, DEFAULT_TOP_CLUSTERS, RULE_ORDER, sort_metric_names, split_metric_name
from evalkit.report.lengths import outputs_markdown
from evalkit.selection import RULES
from evalkit.report.settings import unscored_clusters_note
from evalkit.text_safety import for_csv, for_markdown, for_markdown_code, for_terminal

MISSING_CELL = "—"
TERMINAL_RULES = ("pass", "maj", "bon", "scr", "wmaj")
RULE_TITLES = {
    "pass": "pass@k",
    "maj": "maj@k",
    "bon": "bon@k (RR.All)",
    "scr": "scr@k (RR.Top-K)",
    "wmaj": "wmaj@k (W.RR)",
    "wscr": "wscr@k (W.RR.Top-K)",
    "first": "first@k",
}


# --------------------------------------------------------------------------- formatting


def format_percent(estimate: Mapping[str, Any] | None, digits: int = 1) -> str:
    """`{"value": 0.542, "ci": [0.501, 0.583]}` -> `"54.2 [50.1, 58.3]"`."""
    if estimate is None:
        return MISSING_CELL
    low, high = estimate["ci"]
    return f"{100 * estimate['value']:.{digits}f} [{100 * low:.{digits}f}, {100 * high:.{digits}f}]"


def format_difference(estimate: Mapping[str, Any], digits: int = 1) -> str:
    """A difference of fractions in signed percentage points: `"+3.1 [1.0, 5.2]"`."""
    low, high = estimate["ci"]
    return f"{100 * estimate['value']:+.{digits}f} [{100 * low:+.{digits}f}, {100 * high:+.{digits}f}]"


def is_incomplete(run: Mapping[str, Any]) -> bool:
    """Whether a run's figures cover fewer problems than the run is made of (a run stopped before every
    problem was sampled), from the `run` entry of `metrics.json` or a leaderboard row."""
    problems, planned = run.get("problems"), run.get("planned_problems")
    return isinstance(problems, int) and isinstance(planned, int) and problems < planned


def shard_of(run: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The part of a sharded run that a run is (`{"index", "count", "whole_problems"}`), or None for a whole run."""
    shard = run.get("shard")
    return shard if isinstance(shard, Mapping) and isinstance(shard.get("count"), int) and shard["count"] > 1 else None


def is_partial(run: Mapping[str, Any]) -> bool:
    """Whether a run's figures cover only part of what it stands for: an incomplete run, or one shard of a run."""
    return is_incomplete(run) or shard_of(run) is not None


def problems_label(run: Mapping[str, Any]) -> str:
    """How many problems a run's figures cover: `30 problems`, `10 of 30 problems (incomplete)`, or for one part
    of a sharded run `13 of 40 problems (shard 0/3)`."""
    shard = shard_of(run)
    if shard is not None:
        stopped = ", incomplete" if is_incomplete(run) else ""
        return (f"{run.get('problems', '?')} of {shard.get('whole_problems') or '?'} problems "
                f"(shard {shard.get('index')}/{shard['count']}{stopped})")
    if is_incomplete(run):
        return f"{run['problems']} of {run['planned_problems']} problems (incomplete)"
    return f"{run.get('problems', '?')} problems"


def problems_csv_cell(run: Mapping[str, Any]) -> str:
    """`problems_label` for a CSV cell: empty when the number of problems is unknown."""
    problems = run.get("problems")
    return problems_label(run) if isinstance(problems, int) and not isinstance(problems, bool) else ""


def escape_cell(text: object) -> str:
    """Text safe inside a Markdown table cell or heading (see `evalkit.text_safety.for_markdown`)."""
    return for_markdown(text)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]],
                   right_aligned: Sequence[bool] | None = None) -> str:
    """A GitHub-flavoured Markdown table."""
    aligned = list(right_aligned) if right_aligned is not None else [False] * len(header)
    lines = ["| " + " | ".join(escape_cell(cell) for cell in header) + " |",
             "| " + " | ".join("---:" if right else "---" for right in aligned) + " |"]
    lines += ["| " + " | ".join(escape_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the accuracy grid


def accuracy_grid(metrics: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[int]]:
    """The rules (in display order) and the ks present among `rule@k` metric names (the avg@n and
    cons@n aliases are left out: they repeat pass@1 and maj@n)."""
    rules: set[str] = set()
    ks: set[int] = set()
    for name in metrics:
        rule, k = split_metric_name(name)
        if rule in ALIASES_AT_N:
            continue
        rules.add(rule)
        ks.add(k)
    ordered = [rule for rule in RULE_ORDER if rule in rules] + sorted(rules - set(RULE_ORDER))
    return ordered, sorted(ks)


def accuracy_rows(metrics: Mapping[str, Mapping[str, Any]],
                  only_rules: Sequence[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the k x rule table, cells formatted as `value [low, high]` in %."""
    rules, ks = accuracy_grid(metrics)
    if only_rules is not None:
        rules = [rule for rule in rules if rule in only_rules]
    header = ["k", *(RULE_TITLES.get(rule, f"{rule}@k") for rule in rules)]
    rows = [[str(k), *(format_percent(metrics.get(f"{rule}@{k}")) for rule in rules)] for k in ks]
    return header, rows


def headline_metric_names(document: Mapping[str, Any]) -> list[str]:
    """The few metrics shown in breakdown tables: pass@1 and every rule at the largest k."""
    metrics = document["metrics"]
    rules, ks = accuracy_grid(metrics)
    if not ks:
        return []
    largest = ks[-1]
    names = ["pass@1"] if "pass@1" in metrics else []
    names += [f"{rule}@{largest}" for rule in rules if f"{rule}@{largest}" in metrics]
    return list(dict.fromkeys(names))


def paper_metric_names(document: Mapping[str, Any]) -> list[str]:
    """The metrics at k = n under the names papers use: avg@n, cons@n, pass@n, then the score rules."""
    metrics = document["metrics"]
    n = document["run"].get("n")
    names = [f"avg@{n}", f"cons@{n}", f"pass@{n}", *(f"{rule}@{n}" for rule in ("scr", "bon", "wscr", "wmaj"))]
    return [name for name in names if name in metrics]


def scoring_lines(document: Mapping[str, Any], *, markdown: bool = False) -> list[str]:
    """Sentences on how the scores were produced, which score rules are not reported, and why when SCR
    was asked for more clusters than were scored: plain text for the terminal (the caller makes it safe),
    or, with `markdown`, Markdown whose untrusted parts (scorer name, selections) are already escaped."""
    scoring = document.get("scoring")
    if not scoring:
        return ["No evaluator scores: only pass@k and majority vote."]
    code = for_markdown_code if markdown else (lambda text: f"'{text}'")
    text = for_markdown if markdown else str
    selections = scoring.get("selections") or ["unlabelled"]
    lines = [f"Scorer {code(scoring['scorer'])} scored {scoring['scored']} of {scoring['answered']} answered samples "
             + text(f"({100 * scoring['coverage']:.1f}% coverage; {scoring['samples']} samples in all; samples "
                    f"chosen by: {', '.join(selections)}).")]
    hidden = document.get("not_reported") or {}
    note = unscored_clusters_note((document.get("settings") or {}).get("top_clusters", DEFAULT_TOP_CLUSTERS),
                                  scoring.get("scorer"), scoring.get("selections") or (), hidden)
    if note is not None:
        lines.append(text(f"{note}."))
    if hidden:  # last: report.md lists each rule's reason below it
        names = ", ".join(sorted(hidden, key=lambda name: split_metric_name(name)[::-1]))
        lines.append(text(f"Not reported, because the scores do not cover every sample they need: {names}."))
    return lines


# --------------------------------------------------------------------------- Markdown report


def render_report_markdown(document: Mapping[str, Any]) -> str:
    """The `report.md` text of one run: accuracy table, comparisons, evaluator calls, breakdowns."""
    run = document["run"]
    settings = document.get("settings", {})
    confidence = round(100 * settings.get("confidence", 0.95))
    out = io.StringIO()
    out.write(f"# {escape_cell(run.get('model'))} on {escape_cell(run.get('task'))}\n\n")
    out.write(f"- {problems_label(run)}, samples per problem: {run.get('n')}\n")
    out.write(f"- config hash: {escape_cell(run.get('config_hash'))}\n")
    if settings:
        out.write(f"- SCR (RR.Top-K) keeps exactly the K = {settings.get('top_clusters')} largest answer clusters "
                  "(ties at the cut: the cluster that appears first); k < n averages "
                  f"{settings.get('subsets')} subsets per problem (all of them when fewer); seed {settings.get('seed')}\n")
    out.write("\n## Scores\n\n")
    for line in scoring_lines(document, markdown=True):
        out.write(f"- {line}\n")
    for name, entry in (document.get("not_reported") or {}).items():
        out.write(f"  - {escape_cell(name)}: {escape_cell(entry['reason'])}\n")
    paper = paper_metric_names(document)
    if paper:
        out.write(f"\n## At k = n, as papers name them (%, {confidence}% CI)\n\n")
        out.write("avg@n: mean accuracy of one sample (= pass@1); cons@n: majority vote over all n (= maj@n).\n\n")
        out.write(markdown_table(paper, [[format_percent(document["metrics"][name]) for name in paper]],
                                 [True] * len(paper)))
    out.write(f"\n## Accuracy (%, {confidence}% bootstrap CI over problems)\n\n")
    header, rows = accuracy_rows(document["metrics"])
    out.write(markdown_table(header, rows, [True] * len(header)))

    if document.get("comparisons"):
        out.write("\n## Paired comparisons (percentage points, same problems and samples)\n\n")
        rows = [[name, format_difference(est), f"{est.get('fraction_not_positive', float('nan')):.3f}"]
                for name, est in document["comparisons"].items()]
        out.write(markdown_table(["comparison", "difference [CI]", "resamples with difference <= 0"], rows,
                                 [False, True, True]))

    if document.get("evaluator_calls"):
        out.write("\n## Evaluator calls per problem (samples the rule needs scored), against scoring every answered "
                  "sample\n\n")
        calls = document["evaluator_calls"]
        rows = []
        for name, entry in sorted(calls.items(), key=lambda item: split_metric_name(item[0])[::-1]):
            rule, k = split_metric_name(name)
            if rule not in ("scr", "wscr"):
                continue
            rows.append([k, RULES[rule].paper_name, f"{entry['per_problem']:.2f}", f"{entry['answered_per_problem']:.2f}",
                         f"{100 * entry['fraction_of_answered']:.1f}%"])
        out.write(markdown_table(["k", "rule", "calls", "every answered sample", "fraction"], rows, [True] * 5))

    names = headline_metric_names(document)
    for key, groups in document.get("breakdown", {}).items():
        sizes = document.get("breakdown_sizes", {}).get(key, {})
        out.write(f"\n## By {key} (%)\n\n")
        rows = [[group, sizes.get(group, ""), *(format_percent(metrics.get(name)) for name in names)]
                for group, metrics in groups.items()]
        out.write(markdown_table([key, "problems", *names], rows, [False, True, *([True] * len(names))]))

    out.write(outputs_markdown(document))
    out.write("\n![accuracy vs k](accuracy_vs_k.png)\n")
    return out.getvalue()


# --------------------------------------------------------------------------- files


def write_text_atomic(path: Path, text: str) -> Path:
    """Write a text file through a temporary file and a rename, so readers never see half of it
    (`evalkit.jsonl.write_lines_atomic`: nothing is left behind when the disk refuses)."""
    write_lines_atomic(Path(path), [text])
    return Path(path)


def write_metrics_json(path: str | Path, document: Mapping[str, Any]) -> Path:
    """Write the `metrics.json` document (pretty-printed, atomically)."""
    return write_text_atomic(Path(path), json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def write_report_markdown(path: str | Path, document: Mapping[str, Any]) -> Path:
    """Write `report.md`."""
    return write_text_atomic(Path(path), render_report_markdown(document))


def metrics_csv_rows(document: Mapping[str, Any]) -> list[list[object]]:
    """One row per metric: metric, k, value, ci_low, ci_high (fractions), in display order."""
    metrics = document["metrics"]
    rows: list[list[object]] = []
    for name in sort_metric_names(list(metrics)):
        estimate = metrics[name]
        rows.append([name, split_metric_name(name)[1], estimate["value"], estimate["ci"][0], estimate["ci"][1]])
    return rows


def write_csv(path: str | Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """Write a CSV file with a header line (atomically), each text cell made safe to show and to open (`for_csv`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([for_csv(cell) for cell in header])
    writer.writerows([for_csv(cell) for cell in row] for row in rows)
    return write_text_atomic(Path(path), buffer.getvalue())


def write_metrics_csv(path: str | Path, document: Mapping[str, Any]) -> Path:
    """Write `metrics.csv`: metric, k, value, ci_low, ci_high."""
    return write_csv(path, ["metric", "k", "value", "ci_low", "ci_high"], metrics_csv_rows(document))


# --------------------------------------------------------------------------- terminal


def metrics_rich_table(document: Mapping[str, Any]) -> Table:
    """The k x rule accuracy table for the terminal (the SCR variants are left to report.md)."""
    run = document["run"]
    confidence = round(100 * document.get("settings", {}).get("confidence", 0.95))
    table = Table(title=f"{for_terminal(run.get('model'))} on {for_terminal(run.get('task'))}: accuracy %, {confidence}% CI "
                        f"({problems_label(run)}, n={run.get('n')})")
    header, rows = accuracy_rows(document["metrics"], only_rules=TERMINAL_RULES)
    for position, title in enumerate(header):
        table.add_column(title, justify="right", no_wrap=position == 0)
    for row in rows:
        table.add_row(*(for_terminal(cell) for cell in row))
    return table


def comparisons_rich_table(document: Mapping[str, Any]) -> Table | None:
    """Paired comparisons, SCR's evaluator calls and the scoring labels, or None when there are no scores."""
    if not document.get("scoring"):
        return None
    table = Table(title="with scores: paired differences (points) and evaluator calls")
    table.add_column("what")
    table.add_column("value", justify="right", no_wrap=True)
    for name, estimate in document.get("comparisons", {}).items():
        table.add_row(for_terminal(name), format_difference(estimate))
    n = document["run"].get("n")
    entry = document.get("evaluator_calls", {}).get(f"scr@{n}")
    if entry is not None:
        table.add_row(f"scr@{n} evaluator calls / problem",
                      f"{entry['per_problem']:.2f} of {entry['answered_per_problem']:.2f} answered "
                      f"({100 * entry['fraction_of_answered']:.1f}%)")
    for line in scoring_lines(document):
        table.add_row(for_terminal(line), "")
    return table
