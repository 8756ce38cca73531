"""`evalkit demo`: the whole story of Liu et al. (2023) on a laptop CPU, in a few minutes.

Steps, each with its output on disk so that a rerun skips what is finished:

1. `data/arith/{train,test}.jsonl`: synthetic multi-step arithmetic problems (`tasks.arith`),
   plus a disjoint set of problems used as the pre-training corpus.
2. `base-model/`: a tokenizer and a tiny LLaMA-style model trained from scratch on that corpus
   (`evalkit.testing.tiny_model.build_tiny_model`).
3. `ssft/`: supervised step-by-step solution fine-tuning (SSFT) on the train split.
4. `runs/ssft/`: n samples per test problem, graded and clustered (`run_evaluation`).
5. `evaluator-samples/` and `evaluator/`: the SSFT model samples solutions to train problems;
   their grades teach an evaluator, fine-tuned from the SSFT checkpoint, to say " correct" or
   " incorrect". It then scores every answered test sample (`score_run(method="all")`), and
   `evaluator.json` records its AUROC on those held-out samples.
6. metrics: pass@k, maj@k, best-of-n, SCR (score only the top-K answer clusters) and weighted
   majority, with bootstrap CIs and paired comparisons (`evalkit.report`).
7. `sequential/` and `runs/sequential/`: SSFT again, starting from the evaluator checkpoint,
   evaluated and reranked the same way.
8. `leaderboard.{json,md,csv}`, `plots/*.png` and `summary.md`, which says plainly whether SCR
   beat majority vote here.

`steps/<name>.json` marks a finished step and keeps its wall time; the final reports are
rebuilt from the files on every run (cheap).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import iter_jsonl, read_json_object
from evalkit.records import Problem
from evalkit.report.tables import format_percent
from tasks.arith import ArithDifficulty, generate_problems, write_arith_data

TASK_NAME = "arith"
PRETRAIN_SEED_OFFSET = 7
STEPS_DIR = "steps"
EVALUATOR_FILE = "evaluator.json"
SUMMARY_FILE = "summary.md"
SETTINGS_FILE = "demo_settings.json"
LEADERBOARD_METRIC_RULES = ("pass", "maj", "scr", "bon", "wmaj")


# --- settings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelShape:
    """The tiny model trained from scratch: tokenizer vocabulary, width, depth, and pre-training steps."""

    vocab_size: int = 768
    hidden_size: int = 128
    layers: int = 2
    heads: int = 4
    pretrain_steps: int = 600


@dataclass(frozen=True)
class StageTraining:
    """One fine-tuning stage: optimizer steps, batch size and learning rate."""

    steps: int
    batch_size: int
    learning_rate: float


@dataclass(frozen=True)
class DemoSettings:
    """Everything that sizes the demo. `full()` and `quick()` are the two presets."""

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
    top_clusters: int = 8
    generation_batch_size: int = 64
    seed: int = 0

    @classmethod
    def full(cls) -> DemoSettings:
        """The full demo: about 6 minutes on a busy two-core machine."""
        return cls(
            train_problems=2000, test_problems=100, pretrain_problems=3000, difficulty=ArithDifficulty(),
            model=ModelShape(pretrain_steps=800),
            ssft=StageTraining(steps=120, batch_size=32, learning_rate=2e-3),
            evaluator=StageTraining(steps=80, batch_size=32, learning_rate=1e-3),
            sequential=StageTraining(steps=60, batch_size=32, learning_rate=1e-3),
            samples_per_problem=16, evaluator_train_problems=200, evaluator_samples_per_problem=8,
        )

    @classmethod
    def quick(cls) -> DemoSettings:
        """A smoke-sized demo for tests and a first look: about a minute and a half, weaker figures."""
        return cls(
            train_problems=600, test_problems=30, pretrain_problems=1000, difficulty=ArithDifficulty(),
            model=ModelShape(pretrain_steps=300),
            ssft=StageTraining(steps=30, batch_size=32, learning_rate=2e-3),
            evaluator=StageTraining(steps=12, batch_size=32, learning_rate=1e-3),
            sequential=StageTraining(steps=10, batch_size=32, learning_rate=1e-3),
            samples_per_problem=8, evaluator_train_problems=40, evaluator_samples_per_problem=4,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    def ssft(self) -> Path:
        return self.root / "ssft"

    @property
    def evaluator_samples(self) -> Path:
        return self.root / "evaluator-samples"

    @property
    def evaluator(self) -> Path:
        return self.root / "evaluator"

    @property
    def sequential(self) -> Path:
        return self.root / "sequential"

    def run_dir(self, model: str) -> Path:
        return self.root / "runs" / model

    def step_marker(self, name: str) -> Path:
        return self.root / STEPS_DIR / f"{name}.json"


# --- pure pieces ------------------------------------------------------------------------------

def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a random negative.

    Rank-based (Mann-Whitney U): tied scores share their average rank, so a tie between a
    positive and a negative counts one half. NaN when either class is empty (undefined).
    """
    if len(labels) != len(scores):
        raise ValueError(f"got {len(labels)} labels but {len(scores)} scores")
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    order = sorted(range(len(scores)), key=lambda index: scores[index])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average_rank = (start + end) / 2 + 1  # ranks are 1-based
        for position in range(start, end + 1):
            ranks[order[position]] = average_rank
        start = end + 1
    positive_rank_sum = sum(rank for rank, label in zip(ranks, labels) if label)
    u_statistic = positive_rank_sum - positives * (positives + 1) / 2
    return u_statistic / (positives * negatives)


def pretrain_corpus(problems: Sequence[Problem]) -> list[str]:
    """Pre-training texts: each problem with its worked solution, mostly without the prompt's instruction.

    The pre-training loop reads random 64-token windows, so short texts put a question and its
    solution in one window more often. Every tenth text carries the full SSFT prompt, so the
    tokenizer still learns the instruction sentence as few tokens (short prompts make every
    later step cheaper).
    """
    from tasks.prompts import zero_shot_cot

    return [(zero_shot_cot(problem) if index % 10 == 0 else f"Problem:\n{problem.question}\n\nSolution:")
            + f" {problem.solution}\n\n\n" for index, problem in enumerate(problems)]


def scored_samples(run_dir: Path) -> tuple[list[bool], list[float]]:
    """(correct, score) of every sample of a run that the evaluator scored, from graded and scores files."""
    grades = {record["problem_id"]: record["correct"] for _, record in iter_jsonl(run_dir / "graded.jsonl")}
    labels: list[bool] = []
    scores: list[float] = []
    for line, record in iter_jsonl(run_dir / "scores.jsonl"):
        correct = grades.get(record.get("problem_id"))
        if correct is None:
            raise InputError("problem not in graded.jsonl", path=run_dir / "scores.jsonl", line=line,
                             field="problem_id")
        for is_correct, score in zip(correct, record["scores"]):
            if score is not None:
                labels.append(bool(is_correct))
                scores.append(float(score))
    return labels, scores


def evaluator_quality(run_dir: Path) -> dict[str, Any]:
    """The evaluator's AUROC on a scored run, with how many samples (and correct ones) it covers."""
    labels, scores = scored_samples(run_dir)
    auroc = roc_auc(labels, scores)
    return {"auroc": None if math.isnan(auroc) else auroc, "samples": len(labels), "positives": sum(labels)}


def problems_from_split(data_dir: Path, split: str) -> list[Problem]:
    """The arith problems of one split, through the task registry."""
    import tasks

    return tasks.get_task(TASK_NAME).load(split, data_dir=data_dir)


# --- step bookkeeping -------------------------------------------------------------------------

@dataclass(frozen=True)
class StepRecord:
    """A finished step: its name, wall time and what it reports."""

    name: str
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


def read_step(layout: DemoLayout, name: str) -> StepRecord | None:
    """The record of a finished step, or None when it has not finished."""
    path = layout.step_marker(name)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StepRecord(name=name, seconds=float(data["seconds"]), details=dict(data.get("details") or {}),
                          skipped=True)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise InputError(f"not a step record ({error}); delete it to redo the step", path=path) from None


def write_step(layout: DemoLayout, record: StepRecord) -> None:
    """Mark a step finished (atomically)."""
    path = layout.step_marker(record.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"seconds": record.seconds, "details": record.details}, indent=2) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def run_step(layout: DemoLayout, name: str, narrative: str, work: Callable[[], dict[str, Any]],
             console: Console) -> StepRecord:
    """Run `work` unless the step is marked finished; print the narrative; mark it finished after."""
    done = read_step(layout, name)
    if done is not None:
        console.print(f"[dim]- {name}: already done ({done.seconds:.0f} s), skipped[/]")
        return done
    console.print(f"[bold cyan]> {name}[/]: {narrative}")
    started = time.perf_counter()
    details = work()
    record = StepRecord(name=name, seconds=time.perf_counter() - started, details=details)
    write_step(layout, record)
    console.print(f"  done in {record.seconds:.0f} s", highlight=False)
    return record


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch with `count` intra-op threads, restoring the previous setting after.

    Matrices of a model this small gain nothing from a second thread, and on a busy two-core
    machine one thread is several times faster (measured here: 1.3 s against 4.6 s a step).
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# --- the steps --------------------------------------------------------------------------------

def make_data(layout: DemoLayout, settings: DemoSettings) -> dict[str, Any]:
    """Write the arith train and test splits; count the problems per split."""
    written = write_arith_data(layout.data_dir, train=settings.train_problems, test=settings.test_problems,
                               seed=settings.seed, difficulty=settings.difficulty)
    return {split: sum(1 for _ in iter_jsonl(path)) for split, path in written.items()}


def pretraining_problems(layout: DemoLayout, settings: DemoSettings) -> list[Problem]:
    """Problems for the pre-training corpus: freshly drawn, none sharing a question with either split."""
    taken = frozenset(problem.question for split in ("train", "test")
                      for problem in problems_from_split(layout.data_dir, split))
    drawn = generate_problems(settings.pretrain_problems, seed=settings.seed + PRETRAIN_SEED_OFFSET,
                              difficulty=settings.difficulty, exclude=taken)
    return [Problem(id=f"arith/pretrain/{index}", task=TASK_NAME, question=item.question,
                    reference=str(item.answer), solution=item.solution) for index, item in enumerate(drawn)]


def build_base_model(layout: DemoLayout, settings: DemoSettings, console: Console) -> dict[str, Any]:
    """Train a tokenizer and a tiny model from scratch; write it to `base-model/` atomically."""
    from evalkit.testing.tiny_model import build_tiny_model

    corpus = pretrain_corpus(pretraining_problems(layout, settings))
    staging = layout.base_model.with_name(layout.base_model.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shape = settings.model
    # build_tiny_model reports no progress of its own: a spinner shows the step is alive
    with console.status(f"pre-training {shape.pretrain_steps} steps on {len(corpus)} texts"):
        build_tiny_model(staging, corpus=corpus, vocab_size=shape.vocab_size, hidden_size=shape.hidden_size,
                         layers=shape.layers, heads=shape.heads, train_steps=shape.pretrain_steps,
                         seed=settings.seed)
    shutil.rmtree(layout.base_model, ignore_errors=True)
    os.replace(staging, layout.base_model)
    return {"corpus_texts": len(corpus), "pretrain_steps": shape.pretrain_steps,
            "parameters": count_parameters(layout.base_model)}


def count_parameters(model_dir: Path) -> int:
    """The number of parameters of a saved model (from its config, without loading weights)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(str(model_dir))
    import torch

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(parameter.numel() for parameter in model.parameters())


def train_settings(stage: StageTraining, seed: int):
    """The engine's `TrainSettings` for one stage (full fine-tuning: the model is tiny)."""
    from evalkit.training import TrainSettings

    return TrainSettings(learning_rate=stage.learning_rate, max_steps=stage.steps, batch_size=stage.batch_size,
                         max_length=512, warmup_ratio=0.0, seed=seed, logging_steps=10)


def train_ssft(base: Path, problems: Sequence[Problem], out_dir: Path, stage: StageTraining,
               seed: int) -> dict[str, Any]:
    """SSFT `base` on the problems' reference solutions; the model lands in `out_dir/final`."""
    from evalkit.training import finetune, ssft_examples

    result = finetune(base, ssft_examples(problems), out_dir, train_settings(stage, seed))
    return {"checkpoint": str(result.checkpoint), "steps": result.steps, "final_loss": result.final_loss,
            "examples": len(problems)}


def evaluation_config(model_name: str, model_dir: Path, settings: DemoSettings, *, split: str, n: int,
                      limit: int | None = None):
    """The run config of one sampling run of a demo model on the arith task."""
    from evalkit.config import parse_config

    return parse_config({
        "model": model_name,
        "task": TASK_NAME,
        "split": split,
        "filters": {"limit": limit},
        "backend": {"name": "hf", "options": {"model": str(model_dir), "device": "cpu",
                                              "batch_size": settings.generation_batch_size}},
        "sampling": {"n": n, "temperature": settings.temperature, "top_p": 1.0,
                     "max_tokens": settings.max_tokens, "seed": settings.seed},
        "batch_problems": max(1, settings.generation_batch_size // n) * 4,
        "grading": {"workers": 1, "timeout": 5.0},
        "report": {"top_clusters": settings.top_clusters},
    }, source="evalkit demo")


def sample_and_grade(config, out: Path, data_dir: Path, console: Console) -> dict[str, Any]:
    """Sample, grade and cluster one run (resumable); report how many samples were correct."""
    from evalkit.pipeline.run import run_evaluation

    summary = run_evaluation(config, out=out, data_dir=data_dir, write_report=False, console=console)
    correct = total = 0
    for _, record in iter_jsonl(summary.run_dir.graded_path):
        correct += sum(1 for value in record["correct"] if value)
        total += len(record["correct"])
    return {"run_dir": str(out), "samples": total, "correct": correct,
            "sample_accuracy": correct / total if total else 0.0}


def train_evaluator(ssft_model: Path, samples_run: Path, out_dir: Path, stage: StageTraining,
                    seed: int) -> dict[str, Any]:
    """Fine-tune the evaluator from the SSFT checkpoint on the SSFT model's own graded samples."""
    from evalkit.training import build_evaluator_data, finetune

    try:
        data = build_evaluator_data(samples_run, balance=True, seed=seed)
        balanced = True
    except InputError:
        # one class is empty (a very weak or very strong model): train on what there is, and say so
        data = build_evaluator_data(samples_run, balance=False, seed=seed)
        balanced = False
    result = finetune(ssft_model, data.examples, out_dir, train_settings(stage, seed))
    return {"checkpoint": str(result.checkpoint), "steps": result.steps, "final_loss": result.final_loss,
            "examples": len(data.examples), "balanced": balanced, "counts": data.counts.to_dict()}


def score_test_samples(evaluator_dir: Path, run_dir: Path, settings: DemoSettings) -> dict[str, Any]:
    """Score every answered sample of a run with the evaluator (so AUROC, best-of-n and SCR can all be computed)."""
    from reranker.evaluator import SolutionEvaluator
    from reranker.scoring import score_run

    evaluator = SolutionEvaluator.from_pretrained(evaluator_dir, backend="hf", name="evaluator", device="cpu",
                                                  batch_size=settings.generation_batch_size)
    summary = score_run(run_dir, evaluator, method="all", top_clusters=settings.top_clusters)
    return {"evaluator_calls": summary.evaluator_calls, "samples_scored": summary.samples_scored_now,
            "undefined_scores": summary.undefined_scores}


def compute_run_metrics(run_dir: Path, settings: DemoSettings) -> dict[str, Any]:
    """The run's metrics document (CIs, paired comparisons, SCR's evaluator calls); reports written beside it."""
    from evalkit.report import build_run_metrics, write_run_reports

    document = build_run_metrics(run_dir, top_clusters=settings.top_clusters, seed=settings.seed)
    write_run_reports(run_dir, document)
    return document


# --- reports ----------------------------------------------------------------------------------

def leaderboard_row(model: str, run_dir: Path, document: dict[str, Any]) -> dict[str, Any]:
    """One leaderboard row of a demo model, in the shape `write_leaderboard` takes."""
    run = document["run"]
    return {"model": model, "task": run.get("task", TASK_NAME), "n": run.get("n"),
            "config_hash": run.get("config_hash"), "run_dir": str(run_dir),
            "config_path": str(run_dir / "config.yaml"), "metrics": dict(document["metrics"])}


def leaderboard_columns(n: int) -> list[str]:
    """pass@1, then every rule at k = n."""
    return ["pass@1", *(f"{rule}@{n}" for rule in LEADERBOARD_METRIC_RULES)]


def scr_verdict(document: dict[str, Any], n: int) -> str:
    """One honest sentence on SCR against majority vote, from the paired bootstrap of the run."""
    comparison = document.get("comparisons", {}).get(f"scr@{n} - maj@{n}")
    if comparison is None:
        return "SCR could not be compared with majority vote (no evaluator scores)."
    value = 100 * comparison["value"]
    low, high = (100 * bound for bound in comparison["ci"])
    if low > 0:
        outcome = "SCR beat majority vote"
    elif high < 0:
        outcome = "SCR did worse than majority vote"
    elif value > 0:
        outcome = "SCR was ahead of majority vote, but not significantly"
    elif value < 0:
        outcome = "SCR was behind majority vote, but not significantly"
    else:
        outcome = "SCR tied with majority vote"
    return (f"{outcome}: scr@{n} - maj@{n} = {value:+.1f} points, "
            f"{round(100 * document['settings']['confidence'])}% paired-bootstrap CI [{low:+.1f}, {high:+.1f}].")


def render_summary(documents: dict[str, dict[str, Any]], evaluator: dict[str, Any], steps: Sequence[StepRecord],
                   settings: DemoSettings, *, quick: bool) -> str:
    """`summary.md`: what was run, the headline figures, SCR against majority, AUROC and run time."""
    n = settings.samples_per_problem
    lines = [f"# evalkit demo{' (quick)' if quick else ''}: SSFT -> evaluator -> SCR -> sequential on `arith`", ""]
    first = next(iter(documents.values()))
    overview = (f"A {first['run'].get('problems')}-problem held-out test split, n={n} samples per problem "
                f"(temperature {settings.temperature}); SCR scores only the top {settings.top_clusters} answer "
                "clusters. Accuracy in %, 95% bootstrap CI over problems.")
    lines += [overview, ""]
    lines += ["| model | pass@1 | " + " | ".join(f"{rule}@{n}" for rule in ("maj", "scr", "bon", "wmaj", "pass"))
              + " |", "|---|---:|" + "---:|" * 5]
    for model, document in documents.items():
        metrics = document["metrics"]
        cells = [format_percent(metrics.get(name)) for name in
                 ("pass@1", *(f"{rule}@{n}" for rule in ("maj", "scr", "bon", "wmaj", "pass")))]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines += ["", "## SCR against majority vote", ""]
    for model, document in documents.items():
        calls = document.get("evaluator_calls", {}).get(f"scr@{n}")
        cost = (f" SCR needed {calls['scored_per_problem']:.1f} evaluator calls per problem against {n} for "
                f"best-of-n ({100 * calls['fraction_of_bon']:.0f}%).") if calls else ""
        lines.append(f"- **{model}**: {scr_verdict(document, n)}{cost}")
    auroc = evaluator.get("auroc")
    lines += ["", "## The evaluator", "",
              f"AUROC on {evaluator['samples']} held-out test samples of the SSFT model "
              f"({evaluator['positives']} correct): " + (f"{auroc:.3f}" if auroc is not None else
                                                          "undefined (only one class)")
              + " (0.5 = chance)."]
    if auroc is not None and auroc < 0.6:
        lines.append("Below 0.6: this evaluator separates correct from incorrect solutions only weakly here.")
    total = sum(step.seconds for step in steps)
    lines += ["", "## Run time", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {step.name} | {step.seconds:.1f} |" for step in steps]
    lines += [f"| **total** | {total:.1f} |", "",
              "Times are those of the run that did each step (a rerun skips finished steps).", ""]
    return "\n".join(lines)


def write_reports(layout: DemoLayout, documents: dict[str, dict[str, Any]], evaluator: dict[str, Any],
                  steps: Sequence[StepRecord], settings: DemoSettings, *, quick: bool) -> dict[str, Path]:
    """Leaderboard (json, md, csv), one accuracy-vs-k plot per model, and `summary.md`."""
    from evalkit.report.leaderboard import write_leaderboard
    from evalkit.report.plots import plot_accuracy_vs_k
    from evalkit.report.tables import write_text_atomic

    n = settings.samples_per_problem
    rows = [leaderboard_row(model, layout.run_dir(model), document) for model, document in documents.items()]
    written = write_leaderboard(rows, layout.root, metric=f"scr@{n}", columns=leaderboard_columns(n))
    for model, document in documents.items():
        written[f"plots/{model}.png"] = plot_accuracy_vs_k(document, layout.root / "plots" / f"{model}.png")
    summary = render_summary(documents, evaluator, steps, settings, quick=quick)
    written[SUMMARY_FILE] = write_text_atomic(layout.root / SUMMARY_FILE, summary)
    return written


# --- orchestration ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoResult:
    """What a demo run produced: its reports, metric documents, evaluator quality and step records."""

    out: Path
    written: dict[str, Path]
    documents: dict[str, dict[str, Any]]
    evaluator: dict[str, Any]
    steps: tuple[StepRecord, ...]


def evaluate_model(layout: DemoLayout, settings: DemoSettings, model: str, model_dir: Path,
                   console: Console) -> tuple[list[StepRecord], dict[str, Any]]:
    """Sample and grade the test split with one model, score it with the evaluator, compute its metrics."""
    run_dir = layout.run_dir(model)
    config = evaluation_config(model, model_dir, settings, split="test", n=settings.samples_per_problem)
    steps = [
        run_step(layout, f"sample-test-{model}",
                 f"{model} model samples {settings.samples_per_problem} solutions per test problem; grade and "
                 "cluster the answers",
                 lambda: sample_and_grade(config, run_dir, layout.data_dir, console), console),
        run_step(layout, f"score-test-{model}",
                 "the evaluator scores every answered test sample (all of them, so best-of-n, SCR and AUROC "
                 "can be compared)",
                 lambda: score_test_samples(layout.evaluator / "final", run_dir, settings), console),
    ]
    metrics_path = run_dir / "metrics.json"
    if metrics_path.is_file() and metrics_path.stat().st_mtime >= (run_dir / "scores.jsonl").stat().st_mtime:
        document = read_json_object(metrics_path)
    else:
        console.print(f"[bold cyan]> metrics-{model}[/]: pass@k, maj@k, bon@k, scr@k, wmaj@k with bootstrap CIs")
        document = compute_run_metrics(run_dir, settings)
    return steps, document


def claim_out_dir(layout: DemoLayout, settings: DemoSettings) -> None:
    """Record the settings in `demo_settings.json`; refuse a folder that holds a demo of other settings.

    Finished steps are skipped on a rerun, so mixing, say, a quick base model with a full
    evaluation would silently report the wrong thing.
    """
    wanted = json.loads(json.dumps(settings.to_dict()))
    path = layout.root / SETTINGS_FILE
    if path.is_file():
        existing = read_json_object(path)
        if existing != wanted:
            raise ConfigError(f"{layout.root} holds a demo made with other settings (see {path}); "
                              "use another --out folder (e.g. one for --quick, one for the full demo)")
        return
    if layout.root.is_dir() and any(layout.root.iterdir()):
        raise ConfigError(f"{layout.root} is not empty and holds no {SETTINGS_FILE}; "
                          "refusing to write the demo into it (use another --out folder)")
    layout.root.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(wanted, indent=2) + "\n", encoding="utf-8")


def run_demo(out: Path, *, quick: bool = False, settings: DemoSettings | None = None,
             console: Console | None = None) -> DemoResult:
    """Run (or resume) the whole demo into `out`; return what it wrote and measured."""
    console = console or Console()
    settings = settings or (DemoSettings.quick() if quick else DemoSettings.full())
    layout = DemoLayout(Path(out))
    claim_out_dir(layout, settings)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    steps: list[StepRecord] = []
    with torch_threads(1):
        steps.append(run_step(
            layout, "data", f"generate {settings.train_problems} train and {settings.test_problems} test arith "
            "problems (multi-step word problems with exact answers)",
            lambda: make_data(layout, settings), console))
        steps.append(run_step(
            layout, "base-model", f"train a tokenizer and a tiny LLaMA-style model from scratch "
            f"({settings.model.layers} layers, width {settings.model.hidden_size}, "
            f"{settings.model.pretrain_steps} steps on {settings.pretrain_problems} other worked problems)",
            lambda: build_base_model(layout, settings, console), console))
        steps.append(run_step(
            layout, "ssft", "supervised step-by-step solution fine-tuning (SSFT) on the train split",
            lambda: train_ssft(layout.base_model, problems_from_split(layout.data_dir, "train"), layout.ssft,
                               settings.ssft, settings.seed), console))
        ssft_model = layout.ssft / "final"
        evaluator_config = evaluation_config(
            "ssft", ssft_model, settings, split="train", n=settings.evaluator_samples_per_problem,
            limit=settings.evaluator_train_problems)
        steps.append(run_step(
            layout, "evaluator-samples", f"the SSFT model solves {settings.evaluator_train_problems} TRAIN problems "
            f"{settings.evaluator_samples_per_problem} times each; the grades become evaluator training data",
            lambda: sample_and_grade(evaluator_config, layout.evaluator_samples, layout.data_dir, console), console))
        steps.append(run_step(
            layout, "evaluator", "fine-tune the solution evaluator from the SSFT checkpoint (balanced "
            "correct/incorrect verdicts)",
            lambda: train_evaluator(ssft_model, layout.evaluator_samples, layout.evaluator, settings.evaluator,
                                    settings.seed), console))
        ssft_steps, ssft_document = evaluate_model(layout, settings, "ssft", ssft_model, console)
        steps.extend(ssft_steps)
        evaluator = evaluator_quality(layout.run_dir("ssft"))
        write_evaluator_file(layout, evaluator)
        steps.append(run_step(
            layout, "sequential", "sequential fine-tuning: SSFT again, starting from the evaluator checkpoint",
            lambda: train_ssft(layout.evaluator / "final", problems_from_split(layout.data_dir, "train"),
                               layout.sequential, settings.sequential, settings.seed + 1), console))
        sequential_steps, sequential_document = evaluate_model(layout, settings, "sequential",
                                                               layout.sequential / "final", console)
        steps.extend(sequential_steps)
    documents = {"ssft": ssft_document, "sequential": sequential_document}
    written = write_reports(layout, documents, evaluator, steps, settings, quick=quick)
    return DemoResult(out=layout.root, written=written, documents=documents, evaluator=evaluator, steps=tuple(steps))


def write_evaluator_file(layout: DemoLayout, evaluator: dict[str, Any]) -> Path:
    """`evaluator.json`: AUROC on the SSFT model's held-out test samples, sample and positive counts."""
    path = layout.root / EVALUATOR_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(evaluator, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
