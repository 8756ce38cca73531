"""Regenerate `results/demo-arith/` from the code at HEAD: the full CPU demo over three seeds.

    python scripts/make_results.py                 # seeds 0, 1, 2 into results-work/, then results/demo-arith/
    python scripts/make_results.py --seeds 0 --work /tmp/w --out /tmp/results
    python scripts/make_results.py --preset large   # `evalkit demo --large`, into results/demo-arith-large/

For each seed it runs (or resumes) `evalkit demo --seed S` (with `--preset large`: `evalkit demo --large
--seed S`, 15-20 minutes a seed) and a control for the sequential
claim: SSFT continued from the stage-1 checkpoint for as many steps as stage 3 gets
(`evalkit.training.sequential.train_ssft`, the code of `evalkit train ssft`), sampled and graded
on the same test problems. It then writes, with paths relative to the results folder only:

- `figures.json`: every number below, per seed, plus mean and spread over seeds;
- `summary.md`: the table of figures (evaluator AUROC, SCR against majority vote with paired
  CIs and evaluator calls, sequential and the control against SSFT) and what held;
- a scorer-sensitivity analysis: the same selection rules with the generator's likelihood, a check
  of every `a op b = c` line, the grades and the grades plus independent noise in place of the
  evaluator's scores (`plots/scorer_sensitivity.png`, every seed);
- `leaderboard.{md,csv,json}` and `plots/*.png` of seed 0;
- `two_way_evaluator.{json,md}` (presets whose evaluator is the two-way one): `scripts/two_way_evaluator.py`
  over the same seeds, the demo's two-way evaluator against the paper's verdict evaluator on the same samples;
- `evaluator_ablation.{json,md}`: `scripts/evaluator_ablation.py --preset P` on the first seed
  (evaluator variants scored on held-out training problems; for the large preset its data options,
  about 30 minutes more).

The same seeds on the same machine give the same numbers (the demo is seeded throughout;
`tests/test_demo.py` checks it). The work folder holds every run directory for an audit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console

from evalkit.demo import (
    DEMO_PRESETS,
    DemoLayout,
    DemoSettings,
    evaluation_config,
    evaluator_description,
    evaluator_quality,
    generator_mean_logprobs,
    run_demo,
    sequential_config,
    torch_threads,
)
from evalkit.report.tables import format_difference, write_text_atomic

CONTROL = "ssft-continued"
CURVE_KS = (1, 2, 3, 4, 6, 8)


def top_k_curve(run_dir: Path, n: int, seed: int) -> list[dict[str, Any]]:
    """SCR and W.RR.Top-K at k = n for several K, from the fully scored run (no new evaluator call):
    accuracy, paired difference with majority vote, and calls against scoring every answered sample."""
    from evalkit.metrics import answered_per_problem, evaluate_rules, paired_bootstrap
    from evalkit.report import load_run_matrices

    matrices = load_run_matrices(run_dir, scorer="evaluator")
    answered = float(answered_per_problem(matrices.clusters, n).mean())
    majority = evaluate_rules(matrices.correct, matrices.clusters, ks=[n], rules=["maj"])[f"maj@{n}"].accuracy
    rows = []
    for top in CURVE_KS:
        values = evaluate_rules(matrices.correct, matrices.clusters, matrices.scores, ks=[n], rules=["scr", "wscr"],
                                top_clusters=top)
        row: dict[str, Any] = {"K": top, "maj": float(majority.mean())}
        for rule in ("scr", "wscr"):
            item = values[f"{rule}@{n}"]
            row[rule] = float(item.accuracy.mean())
            row[f"{rule} - maj"] = paired_bootstrap(item.accuracy, majority, seed=seed).to_dict()
            row[f"{rule} calls fraction"] = float(item.calls.mean()) / answered
        rows.append(row)
    return rows


def likelihood_reranking(run_dir: Path, n: int, top: int, seed: int) -> dict[str, Any]:
    """SCR (RR.Top-K) and best-of-n with the generator's own per-token likelihood (exp of the mean
    token log-probability, recorded while sampling) in place of the evaluator's score, against
    majority vote on the same samples: what the selection rules give when a score does rank the
    solutions of one problem. An ablation of the scorer, not the paper's method."""
    import numpy as np

    from evalkit.metrics import evaluate_rules, paired_bootstrap
    from evalkit.report import load_run_matrices

    matrices = load_run_matrices(run_dir, scorer="evaluator")
    likelihood = np.exp(generator_mean_logprobs(run_dir, matrices))
    if np.isnan(likelihood[matrices.clusters >= 0]).any():
        return {}
    majority = evaluate_rules(matrices.correct, matrices.clusters, ks=[n], rules=["maj"])[f"maj@{n}"].accuracy
    values = evaluate_rules(matrices.correct, matrices.clusters, likelihood, ks=[n], rules=["scr", "bon"],
                            top_clusters=top)
    return {f"{rule} - maj": paired_bootstrap(values[f"{rule}@{n}"].accuracy, majority, seed=seed).to_dict()
            for rule in ("scr", "bon")}


NOISE_LEVELS = (0.5, 1.0, 1.5, 2.0, 3.0)  # sd of the Gaussian noise added to the grades
FLIP_RATES = (0.1, 0.2, 0.3, 0.4)  # share of grades flipped: 0/1 scores, like the step check
NOISE_DRAWS = 50


def step_check_scores(run_dir: Path, matrices: Any) -> Any:
    """float[P, N]: 1 where every `a op b = c` line of the sample holds (the `arith` task's own check of its
    solution lines, `tasks.arith.check_equation`), else 0; NaN for a sample not found."""
    import numpy as np

    from evalkit.store import RunDir
    from tasks.arith import check_equation, solution_equations

    row_of = {problem_id: row for row, problem_id in enumerate(matrices.problem_ids)}
    scores = np.full(matrices.correct.shape, np.nan)
    for sampled in RunDir(run_dir).iter_samples():
        row = row_of.get(sampled.problem.id)
        if row is None:
            continue
        for sample in sampled.samples:
            if sample.index < scores.shape[1]:
                holds = all(check_equation(*equation) for equation in solution_equations(sample.text))
                scores[row, sample.index] = float(holds)
    return scores


def _scorer_figures(matrices: Any, scores: Any, n: int, top: int) -> tuple[float, float, Any, Any]:
    """Pooled AUROC, within-problem AUROC, and the per-problem accuracy of RR.Top-K and W.RR.Top-K."""
    import numpy as np

    from evalkit.metrics import evaluate_rules, roc_auc, within_problem_auroc

    answered = matrices.clusters >= 0
    values = evaluate_rules(matrices.correct, matrices.clusters, scores, ks=[n], rules=["scr", "wscr"],
                            top_clusters=top)
    within, _ = within_problem_auroc(matrices.correct, scores, answered)
    scored = answered & ~np.isnan(scores)
    return (roc_auc(matrices.correct[scored], scores[scored]), within, values[f"scr@{n}"].accuracy,
            values[f"wscr@{n}"].accuracy)


def scorer_sensitivity(run_dir: Path, n: int, top: int, seed: int) -> dict[str, Any]:
    """What re-ranking needs from a scorer, on the SSFT model's test samples (analysis, not a method):
    RR.Top-K and W.RR.Top-K against majority vote, beside the scorer's pooled and within-problem AUROC.

    Real scorers (one value each, with a paired-bootstrap CI over problems): the fine-tuned evaluator
    (the paper's method); the generator's own likelihood (exp of its mean token log-probability); a
    step check, 1 when every `a op b = c` line of the solution holds (the task's own checker: it cannot
    see a misread question); the grades themselves (a perfect scorer: the ceiling of re-ranking the top
    K clusters). A scorer with an unscored answered sample is left out (listed under `left_out`).

    Scorers whose mistakes do not depend on the answer (mean and sd over `NOISE_DRAWS` seeded draws):
    the grades plus Gaussian noise of several sizes, through a logistic so that W.RR sums
    probability-like scores; and the grades with a share of them flipped, 0/1 scores like the step
    check's (tied candidates share the credit, as in every selection rule's metric).

    Also: the share of the wrong answered samples that pass the step check (their arithmetic is right,
    so what went wrong is what was computed)."""
    import numpy as np

    from evalkit.metrics import evaluate_rules, paired_bootstrap
    from evalkit.report import load_run_matrices

    matrices = load_run_matrices(run_dir, scorer="evaluator")
    answered = matrices.clusters >= 0
    correct = matrices.correct.astype(np.float64)
    majority = evaluate_rules(matrices.correct, matrices.clusters, ks=[n], rules=["maj"])[f"maj@{n}"].accuracy
    step_check = step_check_scores(run_dir, matrices)
    real: list[tuple[str, Any]] = [
        ("fine-tuned evaluator", matrices.scores),
        ("generator likelihood", np.exp(generator_mean_logprobs(run_dir, matrices))),
        ("step check", step_check),
        ("grades (perfect)", correct),
    ]
    rows: list[dict[str, Any]] = []
    left_out: list[str] = []
    for name, scores in real:
        if scores is None or np.isnan(scores[answered]).any():
            left_out.append(name)
            continue
        auroc, within, scr, wscr = _scorer_figures(matrices, scores, n, top)
        rows.append({"scorer": name, "kind": "real", "auroc": auroc, "within": within,
                     "scr - maj": paired_bootstrap(scr, majority, seed=seed).to_dict(),
                     "wscr - maj": paired_bootstrap(wscr, majority, seed=seed).to_dict()})
    rng = np.random.default_rng(seed)
    noisy: list[tuple[str, str, Any]] = []
    noisy += [(f"grades + noise sd {level:g}", "gaussian",
               lambda level=level: 1.0 / (1.0 + np.exp(-((correct - 0.5) / level
                                                         + rng.standard_normal(correct.shape)))))
              for level in NOISE_LEVELS]
    noisy += [(f"grades, {rate:.0%} flipped", "flipped",
               lambda rate=rate: np.abs(correct - (rng.random(correct.shape) < rate)))
              for rate in FLIP_RATES]
    for name, kind, draw in noisy:
        figures = np.array([(auroc, within, float((scr - majority).mean()), float((wscr - majority).mean()))
                            for auroc, within, scr, wscr in (_scorer_figures(matrices, draw(), n, top)
                                                             for _ in range(NOISE_DRAWS))])
        mean, sd = figures.mean(axis=0), figures.std(axis=0, ddof=1)
        rows.append({"scorer": name, "kind": kind, "auroc": float(mean[0]), "within": float(mean[1]),
                     "scr - maj": {"value": float(mean[2]), "sd": float(sd[2]), "draws": NOISE_DRAWS},
                     "wscr - maj": {"value": float(mean[3]), "sd": float(sd[3]), "draws": NOISE_DRAWS}})
    wrong = answered & ~matrices.correct
    return {"rows": rows, "left_out": left_out,
            "wrong samples passing the step check": float((step_check[wrong] == 1).mean()) if wrong.any() else None}


def format_sensitivity(value: dict[str, Any]) -> str:
    """A difference with its CI (a real scorer) or its mean and sd over draws (a noisy one), in points."""
    if "draws" in value:
        return f"{100 * value['value']:+.1f} ± {100 * value['sd']:.1f} ({value['draws']} draws)"
    return format_difference(value)


def plot_sensitivity(all_figures: list[dict[str, Any]], path: Path) -> None:
    """RR.Top-K minus majority vote against the scorer's within-problem AUROC, every seed: the noisy
    grades as lines (Gaussian noise solid, flipped grades dashed), the real scorers as labelled points
    with their seed written beside them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 4.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    styles = {"fine-tuned evaluator": ("o", "C0"), "generator likelihood": ("s", "C2"), "step check": ("^", "C1")}
    for position, figures in enumerate(all_figures):
        rows = (figures["models"]["ssft"].get("scorer sensitivity") or {}).get("rows", [])
        for kind, line in (("gaussian", "-"), ("flipped", "--")):
            curve = sorted((row for row in rows if row["kind"] == kind), key=lambda row: row["within"])
            axes.plot([row["within"] for row in curve], [100 * row["scr - maj"]["value"] for row in curve],
                      color="#999999", marker=".", linewidth=1, linestyle=line,
                      label=("grades + independent noise" if kind == "gaussian" else "grades, some flipped")
                      if position == 0 else None)
        for row in rows:
            if row["scorer"] in styles:
                marker, color = styles[row["scorer"]]
                x, y = row["within"], 100 * row["scr - maj"]["value"]
                axes.plot(x, y, linestyle="none", marker=marker, color=color,
                          label=row["scorer"] if position == 0 else None)
                axes.annotate(str(figures["seed"]), (x, y), textcoords="offset points", xytext=(5, 3), fontsize=7)
    axes.axhline(0, color="#777777", linewidth=1)
    axes.axvline(0.5, color="#777777", linewidth=1, linestyle=":")
    axes.set_xlabel("scorer's AUROC inside a problem")
    axes.set_ylabel("RR.Top-K - majority vote (points)")
    axes.legend(fontsize=8)
    axes.set_title("What SCR needs from its scorer (SSFT model; numbers: seeds;\ngrey: noisy grades, "
                   f"mean of {NOISE_DRAWS} draws)", fontsize=10)
    figure.savefig(path, dpi=110)


def within_problem_figures(run_dir: Path) -> dict[str, Any]:
    """The evaluator's AUROC inside each problem (what re-ranking needs), averaged over problems that
    have both right and wrong answered samples, beside the same figure for the generator's own
    mean token log-probability of each sample (`evalkit.demo.evaluator_quality`)."""
    quality = evaluator_quality(run_dir)
    return {"mean": quality["within_problem_auroc"], "problems": quality["within_problem_problems"],
            "generator_logprob_mean": quality["generator_logprob_within_problem_auroc"]}


def plot_curves(all_figures: list[dict[str, Any]], path: Path) -> None:
    """SCR / W.RR.Top-K accuracy minus majority vote, and their calls, against K (SSFT model, every seed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9.0, 3.8), layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    for figures in all_figures:
        curve = figures["models"]["ssft"]["top-K curve"]
        ks = [row["K"] for row in curve]
        for rule, style in (("scr", "-"), ("wscr", "--")):
            left.plot(ks, [100 * row[f"{rule} - maj"]["value"] for row in curve], linestyle=style, marker="o",
                      label=f"{rule}, seed {figures['seed']}")
            right.plot(ks, [100 * row[f"{rule} calls fraction"] for row in curve], linestyle=style, marker="o",
                       label=f"{rule}, seed {figures['seed']}")
    left.axhline(0, color="#777777", linewidth=1)
    left.set_xlabel("K (clusters kept)")
    left.set_ylabel("accuracy - majority vote (points)")
    right.axhline(50, color="#777777", linewidth=1, linestyle=":")
    right.set_xlabel("K (clusters kept)")
    right.set_ylabel("evaluator calls, % of answered samples")
    left.legend(fontsize=7)
    figure.suptitle("SSFT model, n = 16: re-ranking the top-K clusters against majority vote")
    figure.savefig(path, dpi=110)


def run_control(layout: DemoLayout, settings: DemoSettings, console: Console) -> dict[str, Any]:
    """SSFT continued from stage 1 for the steps of stage 3, sampled on the test split; paired against
    SSFT (stage 1) and sequential (stage 3) on pass@1."""
    from evalkit.metrics import paired_bootstrap, pass_at_k
    from evalkit.pipeline.run import run_evaluation
    from evalkit.report import load_run_matrices
    from evalkit.training.config import parse_train_config
    from evalkit.training.sequential import STAGE1_DIR, train_ssft

    config = parse_train_config("sequential", sequential_config(layout, settings))
    with torch_threads(1):
        trained = train_ssft(layout.sequential / STAGE1_DIR / "final", config.problems, config.ssft_again or config.ssft,
                             layout.root / CONTROL)
        run_evaluation(evaluation_config(CONTROL, trained.checkpoint, layout, settings), out=layout.run_dir(CONTROL),
                       data_dir=layout.data_dir, write_report=False, console=console)
    n = settings.samples_per_problem
    pass1 = {model: pass_at_k(n, load_run_matrices(layout.run_dir(model)).correct.sum(axis=1), 1)
             for model in ("ssft", "sequential", CONTROL)}
    return {
        "control pass@1": float(pass1[CONTROL].mean()),
        f"{CONTROL} pass@1 - ssft pass@1": paired_bootstrap(pass1[CONTROL], pass1["ssft"], seed=settings.seed).to_dict(),
        f"sequential pass@1 - {CONTROL} pass@1": paired_bootstrap(pass1["sequential"], pass1[CONTROL],
                                                                 seed=settings.seed).to_dict(),
    }


def seed_figures(layout: DemoLayout, settings: DemoSettings, result: Any, control: dict[str, Any]) -> dict[str, Any]:
    """The figures of one seed, from the demo's documents."""
    n = settings.samples_per_problem
    figures: dict[str, Any] = {"seed": settings.seed, "auroc": result.evaluator["auroc"],
                               "auroc_samples": result.evaluator["samples"], "models": {}}
    for model, document in result.documents.items():
        metrics = document["metrics"]
        calls = document["evaluator_calls"].get(f"scr@{n}", {})
        figures["models"][model] = {
            "avg@n": metrics[f"avg@{n}"]["value"], "cons@n": metrics[f"cons@{n}"]["value"],
            "scr@n": metrics.get(f"scr@{n}", {}).get("value"), "bon@n": metrics.get(f"bon@{n}", {}).get("value"),
            "pass@n": metrics[f"pass@{n}"]["value"],
            "scr - maj": document["comparisons"].get(f"scr@{n} - maj@{n}"),
            "bon - maj": document["comparisons"].get(f"bon@{n} - maj@{n}"),
            "scr calls per problem": calls.get("per_problem"),
            "answered per problem": calls.get("answered_per_problem"),
            "scr calls fraction": calls.get("fraction_of_answered"),
            "top-K curve": top_k_curve(layout.run_dir(model), n, settings.seed),
            "within-problem auroc": within_problem_figures(layout.run_dir(model)),
            "likelihood reranking": likelihood_reranking(layout.run_dir(model), n, settings.top_clusters, settings.seed),
        }
    figures["models"]["ssft"]["scorer sensitivity"] = scorer_sensitivity(layout.run_dir("ssft"), n,
                                                                         settings.top_clusters, settings.seed)
    figures["sequential vs ssft"] = result.comparisons
    figures["control"] = control
    figures["demo_seconds"] = sum(result.timings.values())
    figures["load_average"] = os.getloadavg()[0]
    return figures


def spread(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values)}


def inside_reading(all_figures: list[dict[str, Any]]) -> str:
    """One sentence comparing the evaluator's AUROC inside a problem with the generator likelihood's, per seed."""
    pairs = [(f["models"]["ssft"]["within-problem auroc"]["mean"],
              f["models"]["ssft"]["within-problem auroc"].get("generator_logprob_mean")) for f in all_figures]
    pairs = [(evaluator, likelihood) for evaluator, likelihood in pairs if evaluator is not None and likelihood is not None]
    if not pairs:
        return ""
    ahead = sum(evaluator > likelihood for evaluator, likelihood in pairs)
    return (f"The fine-tuned evaluator ranks a problem's solutions better than the generator's likelihood in "
            f"{ahead} of {len(pairs)} seeds (mean {statistics.fmean(e for e, _ in pairs):.3f} against "
            f"{statistics.fmean(g for _, g in pairs):.3f}).")


PRESETS = {name: DEMO_PRESETS[name] for name in ("full", "large")}  # quick is a smoke test, not results


def evaluator_sentence(kind: str) -> str:
    """Which evaluator the demo trained, in one sentence (`evalkit.demo.evaluator_description`)."""
    comparison = "; `two_way_evaluator.md` compares it with the verdict evaluator on the same samples"
    return f"The evaluator is {evaluator_description(kind)}{comparison if kind == 'two_way' else ''}."


def render(all_figures: list[dict[str, Any]], n: int, k: int, elapsed: float, preset: str = "full") -> str:
    """`summary.md` of the results folder."""
    aurocs = [f["auroc"] for f in all_figures if f["auroc"] is not None]
    default = preset == "full"
    title = "" if default else f", preset {preset}"
    command = "python scripts/make_results.py" + ("" if default else f" --preset {preset}")
    lines = [f"# CPU demo on `arith`{title}: the paper's three claims, over seeds", "",
             (f"Regenerated by `{command}` ({len(all_figures)} seed{'s' if len(all_figures) != 1 else ''}). "
             f"Each seed: `evalkit demo{'' if default else f' --{preset}'} --seed S` ({PRESETS[preset]().test_problems} held-out "
             "test problems, "
             f"n = {n} samples each, SCR = RR.Top-{k}) plus a control run (SSFT continued for the steps of stage 3)."),
             "", evaluator_sentence(PRESETS[preset]().evaluator_kind),
             "", "## Evaluator AUROC on held-out test samples of the SSFT model", "",
             "| seed | AUROC | samples |", "|---:|---:|---:|"]
    lines += [f"| {f['seed']} | {f['auroc']:.3f} | {f['auroc_samples']} |" for f in all_figures]
    if len(aurocs) > 1:
        s = spread(aurocs)
        lines += [f"| mean ± sd | {s['mean']:.3f} ± {s['sd']:.3f} | |"]
    lines += ["", "## SCR against majority vote (same samples, paired bootstrap over problems, points)", "",
              ("| seed | model | cons@n (maj) | scr@n | scr - maj [95% CI] | SCR calls / problem | answered / problem | "
              "calls fraction | bon - maj [95% CI] |"), "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for f in all_figures:
        for model, m in f["models"].items():
            lines.append(
                f"| {f['seed']} | {model} | {100 * m['cons@n']:.1f} | "
                + (f"{100 * m['scr@n']:.1f}" if m["scr@n"] is not None else "—") + " | "
                + (format_difference(m["scr - maj"]) if m["scr - maj"] else "—") + " | "
                + (f"{m['scr calls per problem']:.2f}" if m["scr calls per problem"] is not None else "—") + " | "
                + (f"{m['answered per problem']:.2f}" if m["answered per problem"] is not None else "—") + " | "
                + (f"{100 * m['scr calls fraction']:.0f}%" if m["scr calls fraction"] is not None else "—") + " | "
                + (format_difference(m["bon - maj"]) if m["bon - maj"] else "—") + " |")
    lines += ["", "## Sequential (SSFT -> evaluator -> SSFT) against SSFT, and the control", "",
              ("| seed | sequential - ssft pass@1 | sequential - ssft maj@n | control - ssft pass@1 | "
              "sequential - control pass@1 |"), "|---:|---:|---:|---:|---:|"]
    for f in all_figures:
        comparisons = f["sequential vs ssft"]
        cells = [format_difference(comparisons["sequential pass@1 - ssft pass@1"]),
                 format_difference(comparisons[f"sequential maj@{n} - ssft maj@{n}"]),
                 format_difference(f["control"][f"{CONTROL} pass@1 - ssft pass@1"]),
                 format_difference(f["control"][f"sequential pass@1 - {CONTROL} pass@1"])]
        lines.append(f"| {f['seed']} | " + " | ".join(cells) + " |")
    lines += ["", "## Re-ranking the top K clusters, K = 1..8 (SSFT model; from the fully scored runs)", "",
              "| seed | K | scr - maj [95% CI] | scr calls | wscr - maj [95% CI] | wscr calls |",
              "|---:|---:|---:|---:|---:|---:|"]
    for f in all_figures:
        for row in f["models"]["ssft"]["top-K curve"]:
            lines.append(f"| {f['seed']} | {row['K']} | {format_difference(row['scr - maj'])} | "
                         f"{100 * row['scr calls fraction']:.0f}% | {format_difference(row['wscr - maj'])} | "
                         f"{100 * row['wscr calls fraction']:.0f}% |")
    lines += ["", ("Calls: evaluator calls SCR needs as a share of the answered samples (K = 1 needs none: one "
              "cluster is majority vote, clusters tied for the largest cut by first appearance where maj shares "
              "the credit among them). `plots/top_k.png` draws the same."), "",
              "## Inside a problem: what re-ranking needs", "",
              ("Pooled AUROC also rewards telling easy problems from hard ones; re-ranking needs the AUROC inside a "
              "problem. The last column scores each sample by the SSFT generator's own mean token log-probability "
              "(recorded while sampling), a scorer that needs no training. " + inside_reading(all_figures)), "",
              "| seed | pooled AUROC | evaluator, within a problem | generator log-probability, within a problem |",
              "|---:|---:|---:|---:|"]
    for f in all_figures:
        inside = f["models"]["ssft"]["within-problem auroc"]
        likelihood = inside.get("generator_logprob_mean")
        lines.append(f"| {f['seed']} | {f['auroc']:.3f} | "
                     + (f"{inside['mean']:.3f} ({inside['problems']} problems)" if inside["mean"] is not None else "—")
                     + " | " + (f"{likelihood:.3f}" if likelihood is not None else "—") + " |")
    lines += ["", ("Ablation of the scorer (not the paper's method): the same selection rules with the generator's own "
              "per-token likelihood as the score, SSFT model, points against majority vote [95% paired CI]:"), "",
              f"| seed | RR.Top-{k} - maj | best-of-n - maj |", "|---:|---:|---:|"]
    for f in all_figures:
        ranking = f["models"]["ssft"].get("likelihood reranking") or {}
        if ranking:
            lines.append(f"| {f['seed']} | {format_difference(ranking['scr - maj'])} | "
                         f"{format_difference(ranking['bon - maj'])} |")
    lines += ["", "## What re-ranking needs from its scorer", "",
              ("An analysis on the SSFT model's test samples, not a method: the same selection rules with other "
               "scores in place of the evaluator's. The step check scores 1 when every `a op b = c` line of a "
               "solution holds (the task's own checker, which cannot see a misread question); the grades are a "
               f"perfect scorer, the ceiling of re-ranking the top {k} clusters. The noisy grades are scorers "
               "whose mistakes do not depend on the answer: Gaussian noise added to the grades, or a share of "
               "the grades flipped (0/1 scores like the step check's); their rows give the mean and sd over "
               f"{NOISE_DRAWS} seeded draws, the real scorers' rows a 95% paired CI. "
               "`plots/scorer_sensitivity.png` draws RR.Top-K - maj against the AUROC inside a problem."), "",
              (f"| seed | scorer | pooled AUROC | AUROC within a problem | RR.Top-{k} - maj | "
               f"W.RR.Top-{k} - maj |"), "|---:|---|---:|---:|---:|---:|"]
    passing = []
    for f in all_figures:
        sensitivity = f["models"]["ssft"].get("scorer sensitivity") or {}
        for row in sensitivity.get("rows", []):
            lines.append(f"| {f['seed']} | {row['scorer']} | {row['auroc']:.3f} | {row['within']:.3f} | "
                         f"{format_sensitivity(row['scr - maj'])} | {format_sensitivity(row['wscr - maj'])} |")
        if sensitivity.get("left_out"):
            lines.append(f"| {f['seed']} | left out (unscored samples): {', '.join(sensitivity['left_out'])} "
                         "| | | | |")
        share = sensitivity.get("wrong samples passing the step check")
        if share is not None:
            passing.append(f"{100 * share:.0f}% (seed {f['seed']})")
    if passing:
        lines += ["", "Wrong answered samples whose every `a op b = c` line holds: " + ", ".join(passing)
                  + ". Their mistake is not in the arithmetic of a line but in what was computed (a step of the "
                  "question misread, skipped or repeated): a mistake a whole answer cluster can share."]
    lines += ["", "## Demo wall time per seed, in the invocation that wrote this file (a resumed seed shows only what was left)", "",
              "| seed | seconds | 1-minute load average at the end |", "|---:|---:|---:|"]
    lines += [f"| {f['seed']} | {f['demo_seconds']:.0f} | {f['load_average']:.1f} |" for f in all_figures
              if f.get("demo_seconds") is not None]
    lines += ["", ("Differences in percentage points with 95% paired-bootstrap intervals over the test problems. "
              "`figures.json` holds every number; `leaderboard.md` and `plots/` are seed 0's."), ""]
    return "\n".join(lines)


def write_results(out: Path, work: Path, seeds: list[int], all_figures: list[dict[str, Any]],
                  elapsed: float, preset: str = "full") -> None:
    """`figures.json`, `summary.md`, seed 0's leaderboard and plots, into `out` (replaced whole)."""
    settings = PRESETS[preset](seeds[0])
    shutil.rmtree(out, ignore_errors=True)
    (out / "plots").mkdir(parents=True)
    first = DemoLayout(work / f"seed-{seeds[0]}")
    for name in ("leaderboard.md", "leaderboard.csv", "leaderboard.json"):
        # the leaderboard's run paths are relative to the seed's folder under the work folder
        write_text_atomic(out / name, (first.root / name).read_text(encoding="utf-8"))
    for plot in (first.root / "plots").glob("*.png"):
        shutil.copyfile(plot, out / "plots" / plot.name)
    plot_curves(all_figures, out / "plots" / "top_k.png")
    plot_sensitivity(all_figures, out / "plots" / "scorer_sensitivity.png")
    aurocs = [f["auroc"] for f in all_figures if f["auroc"] is not None]
    document = {"preset": preset, "seeds": seeds, "n": settings.samples_per_problem, "top_clusters": settings.top_clusters,
                "auroc": spread(aurocs) if aurocs else None, "per_seed": all_figures}
    write_text_atomic(out / "figures.json", json.dumps(document, indent=2) + "\n")
    write_text_atomic(out / "summary.md", render(all_figures, settings.samples_per_problem, settings.top_clusters,
                                                 elapsed, preset))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full",
                        help="the demo's preset; large writes to results/demo-arith-large")
    parser.add_argument("--work", type=Path, default=None, help="default: results-work (results-work-large)")
    parser.add_argument("--out", type=Path, default=None, help="default: results/demo-arith (results/demo-arith-large)")
    parser.add_argument("--no-ablation", action="store_true", help="skip scripts/evaluator_ablation.py on the "
                                                                 "first seed")
    parser.add_argument("--summary-only", action="store_true", help="rewrite summary.md from --out's figures.json "
                                                                      "(nothing is run)")
    args = parser.parse_args(argv)
    suffix = "" if args.preset == "full" else f"-{args.preset}"
    args.work = args.work or ROOT / f"results-work{suffix}"
    args.out = args.out or ROOT / "results" / f"demo-arith{suffix}"
    if args.summary_only:
        document = json.loads((args.out / "figures.json").read_text(encoding="utf-8"))
        write_text_atomic(args.out / "summary.md", render(document["per_seed"], document["n"],
                                                          document["top_clusters"], 0.0,
                                                          document.get("preset", "full")))
        print(f"wrote {args.out / 'summary.md'}")
        return
    seeds = [int(part) for part in args.seeds.split(",")]
    console = Console()
    started = time.perf_counter()
    all_figures = []
    for seed in seeds:
        settings = PRESETS[args.preset](seed)
        layout = DemoLayout(args.work / f"seed-{seed}")
        console.rule(f"seed {seed}")
        result = run_demo(layout.root, settings=settings, console=console)
        control = run_control(layout, settings, console)
        all_figures.append(seed_figures(layout, settings, result, control))
        # written after every seed, so an interrupted run still leaves the seeds it finished
        write_results(args.out, args.work, seeds[: len(all_figures)], all_figures, time.perf_counter() - started,
                      args.preset)
    sys.path.insert(0, str(ROOT / "scripts"))
    if PRESETS[args.preset](seeds[0]).evaluator_kind == "two_way":
        import two_way_evaluator

        two_way_evaluator.main(["--work", str(args.work), "--seeds", args.seeds, "--out", str(args.out)])
    if not args.no_ablation:
        import evaluator_ablation

        evaluator_ablation.main(["--preset", args.preset, "--work", str(args.work / f"seed-{seeds[0]}"),
                                 "--out", str(args.out), "--seed", str(seeds[0])])
    elapsed = time.perf_counter() - started
    console.print(f"wrote {args.out} in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
