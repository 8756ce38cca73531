"""`evalkit demo`: the claims of Liu et al. (2023) tested on a laptop CPU, in a few minutes.

The demo is a thin script over the library; every step is the same code a user runs:

1. `data/arith/{train,test}.jsonl`: synthetic multi-step arithmetic problems (`tasks.arith`),
   plus a disjoint set of worked problems for pre-training.
2. `base-model/`: a tokenizer and a tiny LLaMA-style model trained from scratch on the worked
   problems (`evalkit.testing.tiny_model.build_tiny_model`, deterministic, written whole).
3. `train-sequential.yaml` and `sequential/`: `evalkit train sequential` with that config
   (`evalkit.training.sequential.run_sequential`): SSFT (stage 1), the solution evaluator
   fine-tuned from stage 1 on stage 1's own graded samples of training problems (stage 2), and
   SSFT again from the evaluator (stage 3).
4. `runs/ssft/`, `runs/sequential/`: the stage-1 and stage-3 models sample n solutions per
   held-out test problem, graded and clustered (`evalkit.pipeline.run.run_evaluation`).
5. The evaluator scores them (`reranker.scoring.score_run`): first what SCR needs (the samples
   of the K largest clusters), then the rest, so that best-of-n, W.RR and the AUROC can be
   compared; the SCR pass's calls are counted as they happen.
6. Metrics with bootstrap CIs, paired comparisons, `predictions.jsonl` and reports per run
   (`evalkit.report`), the evaluator's held-out AUROC (`evalkit.metrics.roc_auc`) in
   `evaluator.json`, the sequential-vs-SSFT comparison, a leaderboard, plots and `summary.md`,
   which says plainly whether each claim held here.

A rerun with the same folder resumes: the engine, the sampling pipeline and the scorer each
skip what they already finished. Wall times in `summary.md` are those of the run that wrote it.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_type_hints

import numpy as np
import yaml
from rich.console import Console

from evalkit.errors import ConfigError
from evalkit.jsonl import read_json_object
from evalkit.paths import file_in_the_way
from evalkit.records import Problem
from evalkit.report.tables import format_difference, format_percent, write_text_atomic
from evalkit.text_safety import for_terminal
from evalkit.testing.tiny_model import PretrainSettings
from tasks.arith import ArithDifficulty, generate_problems, write_arith_data

TASK_NAME = "arith"
PRETRAIN_SEED_OFFSET = 7
MAX_SEED = 2**32 - 1  # numpy's seed range; the demo seeds numpy through transformers' set_seed
EVALUATOR_FILE = "evaluator.json"
SUMMARY_FILE = "summary.md"
SETTINGS_FILE = "demo_settings.json"
SEQUENTIAL_CONFIG_FILE = "train-sequential.yaml"
MODELS = ("ssft", "sequential")
SCORER_NAME = "evaluator"


# --- settings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelShape:
    """The tiny model trained from scratch: tokenizer vocabulary, width, depth, and pre-training."""

    vocab_size: int = 768
    hidden_size: int = 128
    layers: int = 2
    heads: int = 4
    pretrain: PretrainSettings = PretrainSettings(steps=800)


@dataclass(frozen=True)
class StageTraining:
    """One fine-tuning stage: optimizer steps, batch size, learning rate, objective."""

    steps: int
    batch_size: int
    learning_rate: float
    objective: str = "lm"


@dataclass(frozen=True)
class DemoSettings:
    """Everything that sizes the demo. `full()`, `quick()` and `large()` are the presets (`preset` names
    the one used)."""

    train_problems: int
    test_problems: int
    pretrain_problems: int
    difficulty: ArithDifficulty
    model: ModelShape
    ssft: StageTraining
    evaluator: StageTraining
    sequential: StageTraining
    samples_per_problem: int
    evaluator_train_problems: int
    evaluator_samples_per_problem: int
    temperature: float = 0.8
    max_tokens: int = 96
    top_clusters: int = 2
    evaluator_balance: bool = False  # the lm objective only; measured: all graded samples beat a balanced subset
    evaluator_pairing: str = "round_robin"  # the pair and joint objectives (evalkit.training.data.PAIRINGS)
    evaluator_deduplicate: bool = True  # identical samples of a problem once (false: as often as sampled)
    evaluator_kind: str = "verdict"  # verdict (the paper's) or two_way (reranker.two_way)
    generation_batch_size: int = 128
    seed: int = 0
    preset: str = "custom"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.evaluator_kind not in ("verdict", "two_way"):
            raise ConfigError(f"evaluator_kind {self.evaluator_kind!r}: expected verdict or two_way")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"--seed {self.seed}: expected an integer from 0 to {MAX_SEED} (the seeds numpy takes)")

    @classmethod
    def full(cls, seed: int = 0) -> DemoSettings:
        """The full demo: an 800-step base model (batches of 16 windows of 96 tokens, linear decay),
        SSFT 60 steps, a two-way evaluator (`reranker.two_way`) for 200 steps on the 2,000 training
        problems' references and stage 1's right samples of 300 training problems x 8, stage 3 30 steps,
        then 200 test problems x 16 samples per model: within 6 minutes on two cores
        (`results/demo-arith/summary.md` gives the measured times). The paper's verdict evaluator
        (`evaluator_kind="verdict"`, 120 steps of cross-entropy on the verdict, what the demo shipped
        before) ranks a problem's own solutions at about chance here, whatever its data, steps or loss
        (`scripts/evaluator_ablation.py`; README, "What the CPU demo shows"), so SCR with it loses to
        majority vote; the two-way evaluator's check of the solution against its problem is what this
        tiny model can learn."""
        return cls(
            train_problems=2000, test_problems=200, pretrain_problems=3000, difficulty=ArithDifficulty(),
            model=ModelShape(pretrain=PretrainSettings(steps=800, batch_size=16, window=96, schedule="linear",
                                                       warmup_steps=40)),
            ssft=StageTraining(steps=60, batch_size=32, learning_rate=2e-3),
            evaluator=StageTraining(steps=200, batch_size=32, learning_rate=1e-3),
            sequential=StageTraining(steps=30, batch_size=32, learning_rate=1e-3),
            samples_per_problem=16, evaluator_train_problems=300, evaluator_samples_per_problem=8, seed=seed,
            evaluator_kind="two_way", preset="full",
        )

    @classmethod
    def large(cls, seed: int = 0) -> DemoSettings:
        """A larger try at the paper's claims, beyond the 6-minute budget (15-20 minutes on two cores):
        the full demo with a 4-layer model, an evaluator that learns from all 2,000 training problems x 8
        samples of stage 1 (instead of 300 x 8) with the `joint` objective (the verdict's cross-entropy plus
        a ranking loss on a right and a wrong solution of one problem) for 500 steps, every sample kept
        (a solution written often weighs as often as it is sampled) and every right x wrong pair of a
        problem, and a stage 3 as long as stage 1 (60 steps at its learning rate: 30 steps at 1e-3 left
        the generator 10-19 points of pass@1 below SSFT in the earlier results). On 2 layers, twice the
        samples or the margin loss on pairs left the ranking inside a problem near chance
        (`scripts/evaluator_ablation.py`); `results/demo-arith-large/` gives what this preset measured, and its
        `evaluator_ablation.md` the four choices of the two data options on held-out training problems."""
        full = cls.full(seed)
        return cls(
            train_problems=full.train_problems, test_problems=full.test_problems,
            pretrain_problems=full.pretrain_problems, difficulty=full.difficulty,
            model=ModelShape(layers=4, pretrain=full.model.pretrain),
            ssft=full.ssft, evaluator=StageTraining(steps=500, batch_size=32, learning_rate=1e-3, objective="joint"),
            sequential=full.ssft, samples_per_problem=full.samples_per_problem,
            evaluator_train_problems=full.train_problems, evaluator_samples_per_problem=8,
            evaluator_pairing="all", evaluator_deduplicate=False, seed=seed, preset="large",
        )

    @classmethod
    def quick(cls, seed: int = 0) -> DemoSettings:
        """A smoke-sized demo for tests and a first look: about 80 seconds on two quiet cores, weaker figures."""
        return cls(
            train_problems=600, test_problems=30, pretrain_problems=1000, difficulty=ArithDifficulty(),
            model=ModelShape(pretrain=PretrainSettings(steps=300, batch_size=16, window=96, schedule="linear",
                                                       warmup_steps=20)),
            ssft=StageTraining(steps=30, batch_size=32, learning_rate=2e-3),
            evaluator=StageTraining(steps=40, batch_size=32, learning_rate=1e-3),
            sequential=StageTraining(steps=10, batch_size=32, learning_rate=1e-3),
            samples_per_problem=8, evaluator_train_problems=60, evaluator_samples_per_problem=4, seed=seed,
            evaluator_kind="two_way", preset="quick",
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


DEMO_PRESETS: Mapping[str, Callable[[int], DemoSettings]] = MappingProxyType(
    {"quick": DemoSettings.quick, "full": DemoSettings.full, "large": DemoSettings.large})
"""The presets by name (`evalkit demo` flags, `scripts/make_results.py --preset`), each taking the seed."""


@dataclass(frozen=True)
class DemoLayout:
    """Where each step of the demo writes under the output directory."""

    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def base_model(self) -> Path:
        return self.root / "base-model"

    @property
    def sequential(self) -> Path:
        return self.root / "sequential"

    @property
    def sequential_config(self) -> Path:
        return self.root / SEQUENTIAL_CONFIG_FILE

    def run_dir(self, model: str) -> Path:
        return self.root / "runs" / model


# --- pure pieces ------------------------------------------------------------------------------

def pretrain_corpus(problems: list[Problem]) -> list[str]:
    """Pre-training texts: each problem with its worked solution; every tenth one with the full SSFT
    prompt, so the tokenizer learns the instruction sentence as few tokens."""
    from tasks.prompts import zero_shot_cot

    return [(zero_shot_cot(problem) if index % 10 == 0 else f"Problem:\n{problem.question}\n\nSolution:")
            + f" {problem.solution}\n" for index, problem in enumerate(problems)]


def sequential_config(layout: DemoLayout, settings: DemoSettings) -> dict[str, Any]:
    """The `evalkit train sequential` config of the demo (written to `train-sequential.yaml`)."""
    def training(stage: StageTraining, *, evaluator: bool = False) -> dict[str, Any]:
        return {"learning_rate": stage.learning_rate, "max_steps": stage.steps, "batch_size": stage.batch_size,
                "max_length": 512, "seed": settings.seed, "logging_steps": 10, "objective": stage.objective,
                "append_eos": not evaluator or settings.evaluator_kind == "two_way"}

    return {
        "model": str(layout.base_model),
        "out": str(layout.sequential),
        "problems": {"task": TASK_NAME, "split": "train", "data_dir": str(layout.data_dir),
                     "prompt": "zero_shot_cot"},
        "ssft": training(settings.ssft),
        "evaluator": {
            "sampling": {"n": settings.evaluator_samples_per_problem, "temperature": settings.temperature,
                         "max_tokens": settings.max_tokens, "seed": settings.seed,
                         "max_problems": settings.evaluator_train_problems,
                         "backend": {"name": "hf", "options": {"device": "cpu",
                                                               "batch_size": settings.generation_batch_size}},
                         "batch_problems": max(1, settings.generation_batch_size // 4),
                         "grading": {"workers": 1}},
            "kind": settings.evaluator_kind,
            "data": {"balance": settings.evaluator_balance, "pairing": settings.evaluator_pairing,
                     "deduplicate": settings.evaluator_deduplicate, "seed": settings.seed},
            "training": {**training(settings.evaluator, evaluator=True),
                         **({"warmup_ratio": 0.05} if settings.evaluator_kind == "two_way" else {})},
        },
        "ssft_again": training(settings.sequential),
    }


def evaluation_config(model_name: str, model_dir: Path, layout: DemoLayout, settings: DemoSettings):
    """The run config of one model's sampling run on the held-out test split."""
    from evalkit.config import parse_config

    n = settings.samples_per_problem
    return parse_config({
        "model": model_name, "task": TASK_NAME, "split": "test", "data_dir": str(layout.data_dir),
        "backend": {"name": "hf", "options": {"model": str(model_dir), "device": "cpu",
                                              "batch_size": settings.generation_batch_size}},
        "sampling": {"n": n, "temperature": settings.temperature, "top_p": 1.0, "max_tokens": settings.max_tokens,
                     "seed": settings.seed, "logprobs": True},
        "batch_problems": max(1, settings.generation_batch_size // n) * 4,
        "grading": {"workers": 1, "timeout": 5.0},
        "report": {"top_clusters": settings.top_clusters},
    }, source="evalkit demo")


def generator_mean_logprobs(run_dir: Path, matrices: Any) -> np.ndarray:
    """float[P, N]: each sample's mean token log-probability under the model that sampled it (recorded
    while sampling, `sampling.logprobs`), in the rows and columns of `matrices`; NaN where not recorded."""
    from evalkit.report.lengths import read_output_records
    from evalkit.store import RunDir

    records = read_output_records(RunDir(run_dir), matrices.problem_ids, matrices.correct.shape[1])
    if records is None:
        return np.full(matrices.correct.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(records.tokens > 0, records.logprobs / records.tokens, np.nan)


def evaluator_quality(run_dir: Path) -> dict[str, Any]:
    """The evaluator's AUROC on the scored answered samples of a run, pooled and within a problem (what
    re-ranking needs), beside the within-problem AUROC of the generator's own mean token
    log-probability; with the sample and problem counts."""
    from evalkit.metrics import roc_auc, within_problem_auroc
    from evalkit.report import load_run_matrices

    matrices = load_run_matrices(run_dir, scorer=SCORER_NAME)
    assert matrices.scores is not None
    answered = matrices.clusters >= 0
    scored = answered & ~np.isnan(matrices.scores)
    auroc = roc_auc(matrices.correct[scored], matrices.scores[scored])
    within, problems = within_problem_auroc(matrices.correct, matrices.scores, answered)
    likelihood, _ = within_problem_auroc(matrices.correct, generator_mean_logprobs(run_dir, matrices), answered)

    def number(value: float) -> float | None:
        return None if math.isnan(value) else value

    return {"auroc": number(auroc), "samples": int(scored.sum()), "positives": int(matrices.correct[scored].sum()),
            "within_problem_auroc": number(within), "within_problem_problems": problems,
            "generator_logprob_within_problem_auroc": number(likelihood), "run": run_dir.name}


def claim_verdict(comparison: dict[str, Any] | None, better: str, worse: str, confidence: float) -> str:
    """One honest sentence on a paired difference `better - worse` and its CI."""
    if comparison is None:
        return f"{better} could not be compared with {worse}."
    value = 100 * comparison["value"]
    low, high = (100 * bound for bound in comparison["ci"])
    if low > 0:
        outcome = f"{better} beat {worse}"
    elif high < 0:
        outcome = f"{better} did worse than {worse}"
    elif value > 0:
        outcome = f"{better} was ahead of {worse}, but not significantly"
    elif value < 0:
        outcome = f"{better} was behind {worse}, but not significantly"
    else:
        outcome = f"{better} tied with {worse}"
    return (f"{outcome}: {value:+.1f} points, {round(100 * confidence)}% paired-bootstrap CI "
            f"[{low:+.1f}, {high:+.1f}].")


# --- steps ------------------------------------------------------------------------------------

@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch with `count` intra-op threads, restoring the previous setting after.

    Matrices of a model this small gain nothing from a second thread, and on a busy two-core
    machine one thread is several times faster.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_data(layout: DemoLayout, settings: DemoSettings) -> list[Problem]:
    """Write the arith splits (deterministic) and return the disjoint pre-training problems."""
    write_arith_data(layout.data_dir, train=settings.train_problems, test=settings.test_problems,
                     seed=settings.seed, difficulty=settings.difficulty)
    import tasks

    task = tasks.get_task(TASK_NAME)
    taken = frozenset(problem.question for split in ("train", "test")
                      for problem in task.load(split, data_dir=layout.data_dir))
    drawn = generate_problems(settings.pretrain_problems, seed=settings.seed + PRETRAIN_SEED_OFFSET,
                              difficulty=settings.difficulty, exclude=taken)
    return [Problem(id=f"arith/pretrain/{index}", task=TASK_NAME, question=item.question,
                    reference=str(item.answer), solution=item.solution) for index, item in enumerate(drawn)]


def build_base_model(layout: DemoLayout, settings: DemoSettings, corpus: list[str], *,
                     show_progress: bool = True) -> Path:
    """A tokenizer and a tiny model trained from scratch on the corpus (deterministic, written whole);
    an existing one is reused."""
    from evalkit.testing.tiny_model import build_tiny_model

    shape = settings.model
    if not (layout.base_model / "config.json").is_file():
        build_tiny_model(layout.base_model, corpus=corpus, vocab_size=shape.vocab_size,
                         hidden_size=shape.hidden_size, layers=shape.layers, heads=shape.heads,
                         pretrain=shape.pretrain, seed=settings.seed, show_progress=show_progress)
    return layout.base_model


def sample_test(layout: DemoLayout, settings: DemoSettings, model: str, model_dir: Path, console: Console) -> Path:
    """Sample, grade and cluster the test split with one model (resumable)."""
    from evalkit.pipeline.run import run_evaluation

    run_dir = layout.run_dir(model)
    run_evaluation(evaluation_config(model, model_dir, layout, settings), out=run_dir, data_dir=layout.data_dir,
                   write_report=False, console=console, show_progress=not console.quiet)
    return run_dir


def score_test(run_dir: Path, evaluator_dir: Path, settings: DemoSettings, *, show_progress: bool = True) -> dict[str, Any]:
    """Score what SCR needs, then every other answered sample; return both passes' summaries."""
    from reranker.scoring import score_run
    from reranker.two_way import load_evaluator

    evaluator = load_evaluator(evaluator_dir, backend="hf", name=SCORER_NAME, device="cpu",
                               batch_size=settings.generation_batch_size)
    scr = score_run(run_dir, evaluator, method="scr", top_clusters=settings.top_clusters, show_progress=show_progress)
    rest = score_run(run_dir, evaluator, method="all", top_clusters=settings.top_clusters, show_progress=show_progress)
    return {"scr": scr.to_dict(), "all": rest.to_dict()}


def run_metrics(run_dir: Path, settings: DemoSettings, *, show_progress: bool = True) -> dict[str, Any]:
    """The run's metrics document; reports and predictions written beside it."""
    from evalkit.report import build_run_metrics, build_run_predictions, write_run_reports

    document = build_run_metrics(run_dir, top_clusters=settings.top_clusters, seed=settings.seed,
                                 scorer=SCORER_NAME, show_progress=show_progress)
    write_run_reports(run_dir, document, build_run_predictions(run_dir, top_clusters=settings.top_clusters,
                                                               scorer=SCORER_NAME))
    return document


def compare_models(layout: DemoLayout, settings: DemoSettings) -> dict[str, Any]:
    """Sequential against SSFT on the same test problems: pass@1 and maj@n, paired over problems."""
    from evalkit.metrics import paired_bootstrap, pass_at_k, per_problem_metrics
    from evalkit.report import load_run_matrices

    n = settings.samples_per_problem
    runs = {model: load_run_matrices(layout.run_dir(model), scorer=SCORER_NAME) for model in MODELS}
    if runs["ssft"].problem_ids != runs["sequential"].problem_ids:
        raise ConfigError("the ssft and sequential runs hold different test problems; delete runs/ and rerun")
    out: dict[str, Any] = {}
    values = {}
    for model, matrices in runs.items():
        values[model] = {"pass@1": pass_at_k(n, matrices.correct.sum(axis=1), 1),
                         f"maj@{n}": per_problem_metrics(matrices.correct, matrices.clusters, ks=[n],
                                                         rules=["maj"], seed=settings.seed)[f"maj@{n}"]}
    for name in ("pass@1", f"maj@{n}"):
        out[f"sequential {name} - ssft {name}"] = paired_bootstrap(values["sequential"][name], values["ssft"][name],
                                                                  seed=settings.seed).to_dict()
    return out


# --- reports ----------------------------------------------------------------------------------

def leaderboard_columns(n: int) -> list[str]:
    """The paper's names at k = n: avg@n, cons@n, then the score rules and pass@n."""
    return [f"avg@{n}", f"cons@{n}", f"scr@{n}", f"wscr@{n}", f"bon@{n}", f"wmaj@{n}", f"pass@{n}"]


def evaluator_description(kind: str) -> str:
    """Which evaluator the demo trains, as a noun phrase (demo and results summaries)."""
    if kind == "two_way":
        return ("a two-way evaluator (`reranker.two_way`: the stage-1 model fine-tuned on solutions graded right to "
                "write the solution after the problem and the problem back after the solution; not the paper's "
                "verdict evaluator)")
    return "the paper's verdict evaluator (p(correct) after the solution)"


def scoring_pass_calls(passes: Mapping[str, Any]) -> str:
    """What this invocation's SCR scoring pass did: its distinct calls, or that an earlier one had scored it."""
    made = passes.get("evaluator_calls", 0)
    if not made and passes.get("problems_already_scored") and not passes.get("problems_scored_now"):
        return "the SCR scoring pass was done by an earlier invocation (this one resumed it and made no call)."
    return f"the SCR scoring pass made {made} distinct calls."


def render_summary(documents: dict[str, dict[str, Any]], evaluator: dict[str, Any], scoring: dict[str, Any],
                   comparisons: dict[str, Any], timings: dict[str, float], settings: DemoSettings) -> str:
    """`summary.md`: what was run, the headline figures, each claim with its paired CI, run time."""
    n = settings.samples_per_problem
    k = settings.top_clusters
    confidence = documents["ssft"]["settings"]["confidence"]
    label = "" if settings.preset == "full" else f" ({settings.preset})"
    lines = [f"# evalkit demo{label}: SSFT -> evaluator -> SCR -> sequential on `arith`", "",
             f"{documents['ssft']['run']['problems']} held-out test problems, n = {n} samples each (temperature "
             f"{settings.temperature}), seed {settings.seed}. SCR (RR.Top-{k}) re-ranks the solutions of exactly the "
             f"{k} largest answer clusters. Accuracy in %, {round(100 * confidence)}% bootstrap CI over problems.", ""]
    columns = leaderboard_columns(n)
    lines += ["| model | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for model, document in documents.items():
        lines.append(f"| {model} | " + " | ".join(format_percent(document["metrics"].get(name)) for name in columns)
                     + " |")
    lines += ["", "avg@n = mean accuracy of one sample (pass@1); cons@n = majority vote (maj@n); "
              "bon = RR.All (best-of-n); wmaj = W.RR; wscr = W.RR.Top-K.", "",
              "## Claim 1: SCR is at least as accurate as majority vote, with far fewer evaluator calls", ""]
    for model, document in documents.items():
        verdict = claim_verdict(document.get("comparisons", {}).get(f"scr@{n} - maj@{n}"), "SCR", "majority vote",
                                confidence)
        calls = document.get("evaluator_calls", {}).get(f"scr@{n}")
        passes = scoring.get(model, {}).get("scr", {})
        cost = ""
        if calls:
            cost = (f" SCR needs {calls['per_problem']:.2f} evaluator calls per problem against "
                    f"{calls['answered_per_problem']:.2f} for scoring every answered sample "
                    f"({100 * calls['fraction_of_answered']:.0f}%); "
                    + scoring_pass_calls(passes))
        lines.append(f"- **{model}**: {verdict}{cost}")
    auroc = evaluator.get("auroc")
    lines += ["", "## Claim 2: a fine-tuned evaluator separates right from wrong solutions", "",
              f"The evaluator is {evaluator_description(settings.evaluator_kind)}.", "",
              f"AUROC on {evaluator['samples']} answered held-out test samples of the SSFT model "
              f"({evaluator['positives']} correct): " + (f"{auroc:.3f}" if auroc is not None else
                                                          "undefined (only one class)") + " (0.5 = chance)."]
    within = evaluator.get("within_problem_auroc")
    if within is not None:
        likelihood = evaluator.get("generator_logprob_within_problem_auroc")
        lines += ["", f"Re-ranking needs the AUROC inside a problem: over the {evaluator['within_problem_problems']} "
                  f"test problems with both right and wrong samples it is {within:.3f}"
                  + (f", against {likelihood:.3f} for the SSFT generator's own mean token log-probability of "
                     "each sample" if likelihood is not None else "")
                  + ". The pooled AUROC also rewards telling easy problems from hard ones, which picks no answer."]
    lines += ["", "## Claim 3: sequential fine-tuning (SSFT -> evaluator -> SSFT) beats SSFT", ""]
    for name, comparison in comparisons.items():
        lines.append(f"- {name}: {format_difference(comparison)} points; "
                     + claim_verdict(comparison, "sequential", "SSFT", confidence))
    lines += ["", "Stage 3 also gives the generator more SSFT steps than stage 1 alone: without a control "
              "that continues SSFT for as many steps, a gain cannot be credited to the evaluator stage "
              "(`scripts/make_results.py` runs that control).", ""]
    total = sum(timings.values())
    lines += ["## Run time", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in timings.items()]
    lines += [f"| **total** | {total:.1f} |", "", "Times of the run that wrote this file (a rerun resumes and skips "
              "finished work).", ""]
    return "\n".join(lines)


def write_reports(layout: DemoLayout, documents: dict[str, dict[str, Any]], evaluator: dict[str, Any],
                  scoring: dict[str, Any], comparisons: dict[str, Any], timings: dict[str, float],
                  settings: DemoSettings) -> dict[str, Path]:
    """Leaderboard (json, md, csv), one accuracy-vs-k plot per model, `evaluator.json`, `summary.md`."""
    from evalkit.report.leaderboard import row_of_document, write_leaderboard
    from evalkit.report.plots import plot_accuracy_vs_k

    n = settings.samples_per_problem
    rows = [row_of_document(layout.run_dir(model), document, model=model) for model, document in documents.items()]
    written = write_leaderboard(rows, layout.root, metric=f"scr@{n}", columns=leaderboard_columns(n))
    for model, document in documents.items():
        written[f"plots/{model}.png"] = plot_accuracy_vs_k(document, layout.root / "plots" / f"{model}.png")
    record = {**evaluator, "comparisons": comparisons}
    written[EVALUATOR_FILE] = write_text_atomic(layout.root / EVALUATOR_FILE, json.dumps(record, indent=2) + "\n")
    summary = render_summary(documents, evaluator, scoring, comparisons, timings, settings)
    written[SUMMARY_FILE] = write_text_atomic(layout.root / SUMMARY_FILE, summary)
    return written


# --- orchestration ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoResult:
    """What a demo run produced: its reports, metric documents, evaluator quality and timings."""

    out: Path
    written: dict[str, Path]
    documents: dict[str, dict[str, Any]]
    evaluator: dict[str, Any]
    comparisons: dict[str, Any]
    timings: dict[str, float]


def field_default(cls: type, dotted: str) -> Any:
    """The default (as JSON would hold it) of the settings field at a dotted path (`"model.layers"`)
    of a dataclass, going into nested settings by their declared types, or `MISSING` when the path
    names no field with a default."""
    head, _, rest = dotted.partition(".")
    match = next((item for item in fields(cls) if item.name == head), None)
    if match is None:
        return MISSING
    if rest:
        nested = get_type_hints(cls).get(head)
        return field_default(nested, rest) if isinstance(nested, type) and is_dataclass(nested) else MISSING
    if match.default_factory is not MISSING:
        default = match.default_factory()
    elif match.default is not MISSING:
        default = match.default
    else:
        return MISSING
    return json.loads(json.dumps(asdict(default) if is_dataclass(default) else default))


def settings_differences(stored: dict[str, Any], wanted: dict[str, Any]) -> dict[str, list[Any]]:
    """`{"dotted.field": [stored, wanted]}` for every demo setting that differs. A field the stored
    settings lack (written before the field existed) counts as its default, the behaviour of the
    code that wrote them, so a folder from before a new field is still resumed when the field keeps
    its default; a stored setting the code no longer has is a difference."""
    from evalkit.store.rundir import flatten

    before, after = flatten(stored), flatten(wanted)
    return {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
            and not (key not in before and after[key] == field_default(DemoSettings, key))}


MAX_NAMED_SETTINGS = 4


def claim_out_dir(layout: DemoLayout, settings: DemoSettings) -> None:
    """Record the settings in `demo_settings.json`; refuse a folder that holds a demo of other settings
    (resuming would silently mix, say, a quick base model with a full evaluation), naming them."""
    wanted = json.loads(json.dumps(settings.to_dict()))
    path = layout.root / SETTINGS_FILE
    if path.is_file():
        changed = settings_differences(read_json_object(path), wanted)
        if changed:
            named = ", ".join(f"{key} ({old!r} there, {now!r} now)"
                              for key, (old, now) in list(changed.items())[:MAX_NAMED_SETTINGS])
            more = f" and {len(changed) - MAX_NAMED_SETTINGS} more" if len(changed) > MAX_NAMED_SETTINGS else ""
            raise ConfigError(f"{layout.root} holds a demo made with other settings: {named}{more} (see {path}); "
                              "use another --out folder (e.g. one for --quick, one for the full demo)")
        return
    in_the_way = file_in_the_way(layout.root)
    if in_the_way is not None:
        raise ConfigError(f"--out {layout.root} {in_the_way}: give a folder for the demo (a new or empty one)")
    if layout.root.is_dir() and any(layout.root.iterdir()):
        raise ConfigError(f"{layout.root} is not empty and holds no {SETTINGS_FILE}; "
                          "refusing to write the demo into it (use another --out folder)")
    layout.root.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(wanted, indent=2) + "\n")


class _Timer:
    """Wall time per named step, printed as each starts."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str, narrative: str) -> Iterator[None]:
        self.console.print(f"[bold cyan]> {name}[/]: {for_terminal(narrative)}")
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started


def run_demo(out: Path, *, quick: bool = False, settings: DemoSettings | None = None,
             console: Console | None = None) -> DemoResult:
    """Run (or resume) the whole demo into `out`; return what it wrote and measured."""
    from evalkit.training.config import parse_train_config
    from evalkit.training.sequential import STAGE1_DIR, STAGE2_DIR, STAGE3_DIR, run_sequential

    console = console or Console()
    settings = settings or (DemoSettings.quick() if quick else DemoSettings.full())
    layout = DemoLayout(Path(out))
    claim_out_dir(layout, settings)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    timer = _Timer(console)
    scoring: dict[str, Any] = {}
    documents: dict[str, dict[str, Any]] = {}
    with torch_threads(1):
        with timer.step("data", f"{settings.train_problems} train and {settings.test_problems} test arith problems, "
                                f"{settings.pretrain_problems} other worked problems for pre-training"):
            corpus = pretrain_corpus(make_data(layout, settings))
        with timer.step("base-model", f"tokenizer and a {settings.model.layers}-layer, width "
                                      f"{settings.model.hidden_size} model trained from scratch "
                                      f"({settings.model.pretrain.steps} steps)"):
            build_base_model(layout, settings, corpus, show_progress=not console.quiet)
        config = sequential_config(layout, settings)
        write_text_atomic(layout.sequential_config, yaml.safe_dump(config, sort_keys=False))
        with timer.step("train-sequential", f"`evalkit train sequential --config {layout.sequential_config}`: "
                                            "SSFT, the evaluator from SSFT's own graded samples, SSFT again"):
            run_sequential(parse_train_config("sequential", config, source=str(layout.sequential_config)),
                           show_progress=not console.quiet)
        checkpoints = {"ssft": layout.sequential / STAGE1_DIR / "final",
                       "sequential": layout.sequential / STAGE3_DIR / "final"}
        evaluator_dir = layout.sequential / STAGE2_DIR / "final"
        for model in MODELS:
            with timer.step(f"sample-{model}", f"the {model} model samples {settings.samples_per_problem} solutions "
                                               "per test problem; grade and cluster"):
                run_dir = sample_test(layout, settings, model, checkpoints[model], console)
            with timer.step(f"score-{model}", f"the evaluator scores what SCR (top {settings.top_clusters} "
                                              "clusters) needs, then the rest (for best-of-n and AUROC)"):
                scoring[model] = score_test(run_dir, evaluator_dir, settings, show_progress=not console.quiet)
            with timer.step(f"metrics-{model}", "metrics with bootstrap CIs, predictions, reports"):
                documents[model] = run_metrics(run_dir, settings, show_progress=not console.quiet)
        evaluator = evaluator_quality(layout.run_dir("ssft"))
        comparisons = compare_models(layout, settings)
    written = write_reports(layout, documents, evaluator, scoring, comparisons, timer.seconds, settings)
    return DemoResult(out=layout.root, written=written, documents=documents, evaluator=evaluator,
                      comparisons=comparisons, timings=dict(timer.seconds))
