"""Plots of a run's metrics (matplotlib, Agg canvas, no pyplot global state)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evalkit.metrics import split_metric_name
from evalkit.report.tables import problems_label
from evalkit.text_safety import for_plot

PLOTTED_RULES = ("pass", "maj", "bon", "wmaj", "scr")
LEGEND_LABELS = {"pass": "pass@k", "maj": "maj@k (cons@n at k = n)", "bon": "bon@k (RR.All)",
                 "wmaj": "wmaj@k (W.RR)", "scr": "scr@k (SCR, RR.Top-K)"}
RULE_STYLES = {
    "pass": {"color": "#4c72b0", "marker": "o", "linestyle": "--"},
    "maj": {"color": "#dd8452", "marker": "s", "linestyle": "-"},
    "bon": {"color": "#55a868", "marker": "^", "linestyle": "-"},
    "wmaj": {"color": "#8172b3", "marker": "D", "linestyle": "-"},
    "scr": {"color": "#c44e52", "marker": "v", "linestyle": "-"},
}


def accuracy_curves(metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, list[tuple[int, float, float, float]]]:
    """Per rule, the points `(k, value, ci_low, ci_high)` in % sorted by k."""
    curves: dict[str, list[tuple[int, float, float, float]]] = {}
    for name, estimate in metrics.items():
        rule, k = split_metric_name(name)
        if rule in PLOTTED_RULES:
            low, high = estimate["ci"]
            curves.setdefault(rule, []).append((k, 100 * estimate["value"], 100 * low, 100 * high))
    return {rule: sorted(curves[rule]) for rule in PLOTTED_RULES if rule in curves}


def plot_accuracy_vs_k(document: Mapping[str, Any], path: str | Path) -> Path:
    """Accuracy against k on a log2 axis, one line per rule with its shaded CI band."""
    run = document["run"]
    curves = accuracy_curves(document["metrics"])
    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    ks: set[int] = set()
    for rule, points in curves.items():
        x = [point[0] for point in points]
        ks.update(x)
        style = RULE_STYLES[rule]
        axes.plot(x, [p[1] for p in points], label=LEGEND_LABELS[rule], color=style["color"], marker=style["marker"],
                  linestyle=style["linestyle"], markersize=4)
        axes.fill_between(x, [p[2] for p in points], [p[3] for p in points], color=style["color"], alpha=0.15,
                          linewidth=0)
    n = run.get("n")
    average = document["metrics"].get(f"avg@{n}")
    if average is not None:
        axes.axhline(100 * average["value"], color="#777777", linestyle=":", linewidth=1,
                     label=f"avg@{n} (mean accuracy of one sample)")
    axes.set_xscale("log", base=2)
    if ks:
        ticks = sorted(ks)
        axes.set_xticks(ticks, [str(k) for k in ticks])
        if len(ticks) == 1:
            axes.set_xlim(ticks[0] / 1.5, ticks[0] * 1.5)
    axes.set_xlabel("k (samples per problem)")
    axes.set_ylabel("accuracy (%)")
    confidence = round(100 * document.get("settings", {}).get("confidence", 0.95))
    axes.set_title(f"{for_plot(run.get('model'))} on {for_plot(run.get('task'))} ({problems_label(run)}, "
                   f"{confidence}% CI)")
    axes.grid(True, which="major", alpha=0.3)
    if curves:
        axes.legend(loc="best")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


def plot_accuracy_vs_length(document: Mapping[str, Any], path: str | Path) -> Path | None:
    """Per-sample accuracy against output length (the bins of `outputs.accuracy_by_length`, log x axis),
    with the share of samples truncated in each bin; None (nothing written) when the run has no bins."""
    outputs = document.get("outputs") or {}
    bins = outputs.get("accuracy_by_length") or []
    if not bins:
        return None
    run = document["run"]
    unit = outputs.get("length_unit", "tokens")
    x = [max(entry["median"], 1.0) for entry in bins]
    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(x, [100 * entry["accuracy"] for entry in bins], color=RULE_STYLES["pass"]["color"], marker="o",
              label="accuracy of the samples in the bin")
    axes.plot(x, [100 * entry["truncated"] / entry["samples"] for entry in bins], color=RULE_STYLES["scr"]["color"],
              marker="x", linestyle=":", label="truncated (cut at max_tokens, no answer)")
    for point, entry in zip(x, bins):
        axes.annotate(str(entry["samples"]), (point, 100 * entry["accuracy"]), textcoords="offset points",
                      xytext=(0, 6), ha="center", fontsize=7)
    if max(x) / min(x) > 20:
        axes.set_xscale("log")
    axes.set_ylim(-3, 103)
    axes.set_xlabel(f"output length ({unit}; median of each equal-count bin, samples per bin annotated)")
    axes.set_ylabel("% of samples")
    axes.set_title(f"{for_plot(run.get('model'))} on {for_plot(run.get('task'))}: accuracy vs output length")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best", fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path
