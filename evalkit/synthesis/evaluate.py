"""Step 7 (optional): does the synthetic data help a student? JiuZhang3.0's claim, measured.

A student model is fine-tuned (`evalkit.training.finetune`, SSFT on the task's prompt format)
three times with the same settings (steps, batch size, learning rate, seed):

- `baseline`: on the student's own labelled data, the first `real_examples` problems of the
  task's train split;
- `with_synthetic`: on the same data plus the kept synthetic exercises;
- `random_texts` (ablation): plus the exercises of a second synthesis chain whose texts were
  chosen at random instead of by influence (`SynthPipeline` runs it in a sub-folder).

Each student, and the teacher when it is a local model, answers every test problem once with
greedy decoding through `evalkit.pipeline.run.run_evaluation` (so runs are resumable and on
disk); accuracies are compared on the same problems with `evalkit.metrics.paired_bootstrap`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from evalkit.errors import InputError
from evalkit.jsonl import iter_jsonl


@dataclass(frozen=True)
class StudentPlan:
    """One student to train: its name and the synthetic file added to the real data (or None)."""

    name: str
    synthetic: Path | None


def real_problems(task: str, data_dir: str | None, count: int):
    """The first `count` problems of the task's train split (the student's own labelled data)."""
    import tasks

    problems = tasks.get_task(task).load("train", data_dir=data_dir)
    if len(problems) < count:
        raise InputError(f"evaluate.real_examples is {count} but task {task!r} has only {len(problems)} "
                         "training problems")
    return problems[:count]


def synthetic_examples(path: Path, limit: int | None, prompt_format: str):
    """SSFT examples from a kept-synthetic file (at most `limit`), or none when it is empty."""
    from evalkit.training import ssft_examples
    from evalkit.training.data import synthetic_problems

    if not path.exists() or path.stat().st_size == 0:
        return []
    problems = synthetic_problems(path)
    return ssft_examples(problems[:limit] if limit else problems, prompt_format=prompt_format)


def evaluation_run_config(name: str, model_dir: Path, task: str, *, max_tokens: int, batch_size: int,
                          limit: int | None, seed: int):
    """The run config of one greedy pass over the test split."""
    from evalkit.config import parse_config

    return parse_config({
        "model": name,
        "task": task,
        "split": "test",
        "filters": {"limit": limit},
        "backend": {"name": "hf", "options": {"model": str(model_dir), "device": "cpu", "batch_size": batch_size}},
        "sampling": {"n": 1, "temperature": 0.0, "top_p": 1.0, "max_tokens": max_tokens, "seed": seed},
        "batch_problems": batch_size,
        "grading": {"workers": 1, "timeout": 5.0},
    }, source=f"synthesis evaluate ({name})")


def correct_on_test(run_dir: Path, config, data_dir: str | None, console: Console,
                     show_progress: bool) -> dict[str, bool]:
    """Sample and grade the test split once (resumable); problem id -> whether it was answered correctly."""
    from evalkit.pipeline.run import run_evaluation

    summary = run_evaluation(config, out=run_dir, data_dir=Path(data_dir) if data_dir else None,
                             write_report=False, show_progress=show_progress, console=console)
    return {str(record["problem_id"]): bool(record["correct"][0])
            for _, record in iter_jsonl(summary.run_dir.graded_path)}


def paired(first: Mapping[str, bool], second: Mapping[str, bool], *, confidence: float, resamples: int,
           seed: int) -> dict[str, Any]:
    """first - second over the problems both answered: mean difference and paired bootstrap interval."""
    from evalkit.metrics import paired_bootstrap

    ids = sorted(set(first) & set(second))
    if not ids:
        raise InputError("the two evaluations share no test problem")
    a = np.asarray([first[i] for i in ids], dtype=np.float64)
    b = np.asarray([second[i] for i in ids], dtype=np.float64)
    estimate = paired_bootstrap(a, b, confidence=confidence, resamples=resamples, seed=seed)
    return {"diff": round(estimate.value, 6), "ci": [round(estimate.ci[0], 6), round(estimate.ci[1], 6)],
            "fraction_not_positive": round(estimate.fraction_not_positive, 6), "problems": len(ids),
            "only_first_right": int(np.sum((a == 1) & (b == 0))), "only_second_right": int(np.sum((a == 0) & (b == 1)))}


def accuracy(correct: Mapping[str, bool]) -> float:
    return round(sum(correct.values()) / len(correct), 6) if correct else 0.0


def verdict(name: str, comparison: Mapping[str, Any], confidence: float) -> str:
    """One sentence on a paired comparison, the way the report states it."""
    low, high = (100 * bound for bound in comparison["ci"])
    value = 100 * comparison["diff"]
    if low > 0:
        outcome = "better"
    elif high < 0:
        outcome = "worse"
    else:
        outcome = "not significantly different"
    return (f"{name}: {value:+.1f} points, {round(100 * confidence)}% paired-bootstrap CI "
            f"[{low:+.1f}, {high:+.1f}] ({outcome})")


def summarize(results: Mapping[str, Mapping[str, bool]], sizes: Mapping[str, int], *, confidence: float,
              resamples: int, seed: int) -> dict[str, Any]:
    """The `evaluation` section of report.json from each evaluated model's per-problem correctness."""
    from evalkit.metrics import bootstrap_ci

    evaluation: dict[str, Any] = {name: accuracy(correct) for name, correct in results.items()}
    evaluation["accuracy_ci"] = {}
    for name, correct in results.items():
        estimate = bootstrap_ci(np.asarray([correct[i] for i in sorted(correct)], dtype=np.float64),
                                confidence=confidence, resamples=resamples, seed=seed)
        evaluation["accuracy_ci"][name] = [round(estimate.ci[0], 6), round(estimate.ci[1], 6)]
    comparisons: dict[str, dict[str, Any]] = {}
    pairs = (("with_synthetic - baseline", "with_synthetic", "baseline"),
             ("random_texts - baseline", "random_texts", "baseline"),
             ("with_synthetic - random_texts", "with_synthetic", "random_texts"))
    for label, first, second in pairs:
        if first in results and second in results:
            comparisons[label] = paired(results[first], results[second], confidence=confidence,
                                        resamples=resamples, seed=seed)
    main = comparisons.get("with_synthetic - baseline")
    if main is not None:
        evaluation["diff"] = main["diff"]
        evaluation["diff_ci"] = main["ci"]
    evaluation["comparisons"] = comparisons
    evaluation["verdicts"] = [verdict(label, value, confidence) for label, value in comparisons.items()]
    for arm in ("with_synthetic", "random_texts"):
        if arm in sizes and "baseline" in sizes and sizes[arm] <= sizes["baseline"]:
            evaluation["verdicts"].insert(0, f"{arm} trained on no synthetic exercise (none was kept): it is the "
                                             "baseline run again, and its comparisons say nothing about the data")
    evaluation["test_problems"] = len(next(iter(results.values()))) if results else 0
    evaluation["training_examples"] = dict(sizes)
    evaluation["confidence"] = confidence
    return evaluation


def check_plans(plans: Sequence[StudentPlan]) -> None:
    names = [plan.name for plan in plans]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate student names: {names}")
