"""Training stages, and the sequential chain SSFT -> evaluator -> SSFT (Liu et al. 2023).

Stage 1 fine-tunes the base model on reference solutions (SSFT). Stage 2 samples `n`
solutions per training problem with the stage-1 model (the evaluation pipeline, `hf` backend
by default), grades them, and fine-tunes the solution evaluator FROM the stage-1 checkpoint
on its own graded samples. Stage 3 runs SSFT again FROM the evaluator checkpoint, so one
model ends up able to both solve and judge. Layout under the output directory:

- `stage1-ssft/`        `finetune` outputs (config, data, metrics, checkpoints, `final/`)
- `stage2-evaluator/`   `finetune` outputs, `samples/` (the graded sampling run directory) and
                        `evaluator_data.json` (what became of the samples)
- `stage3-ssft/`        `finetune` outputs; `final/` is the generator
- `sequential.json`     the checkpoints of the finished chain
- `stage_base.json`     in each stage directory: the model the stage starts from (path, content identity)

Every stage resumes: a finished fine-tuning returns at once, a sampling run continues where it
stopped, so rerunning the chain skips what is done. A stage whose starting model changed since
(the base model rewritten, or stage 1 trained again) is refused instead, naming the stage
directories to delete, so no stage mixes work of two models. Under `accelerate launch` the sampling and
grading of stage 2 run on the main process only while the others wait.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.config import RunConfig, parse_config
from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_json_object
from evalkit.records import Problem
from evalkit.training.base_model import BaseModelRef, as_base_model, resolve_base_model, same_base_model
from evalkit.training.checks import (
    check_problem_sources,
    check_samples_run,
    config_record,
    problems_record,
)
from evalkit.training.config import (
    EvaluatorStageConfig,
    ProblemsConfig,
    SamplingStageConfig,
    SequentialConfig,
    TrainingConfig,
)
from evalkit.training.data import (
    build_evaluator_data,
    evaluator_joint_examples,
    evaluator_pair_examples,
    ssft_examples,
    synthetic_problems,
)
from evalkit.training.engine import (
    PAIR_OBJECTIVES,
    TrainExample,
    TrainResult,
    check_out_dir,
    finetune,
    process_state,
)

STAGE1_DIR = "stage1-ssft"
STAGE2_DIR = "stage2-evaluator"
STAGE3_DIR = "stage3-ssft"
SAMPLES_DIR = "samples"
EVALUATOR_DATA_FILE = "evaluator_data.json"
SUMMARY_FILE = "sequential.json"


@dataclass(frozen=True)
class EvaluatorStageResult:
    """The evaluator's fine-tuning, the graded run it learned from, and the data counts."""

    training: TrainResult
    samples_run: Path
    counts: dict[str, int]


@dataclass(frozen=True)
class SequentialResult:
    """The checkpoints of the chain: `generator` (stage 3) and `evaluator` (stage 2)."""

    generator: Path
    evaluator: Path
    stage1: TrainResult
    stage2: EvaluatorStageResult
    stage3: TrainResult


# --- data of the stages -----------------------------------------------------------------------

def load_training_problems(problems: ProblemsConfig) -> list[Problem]:
    """The task's problems of the configured split, after the filters, then the synthetic ones."""
    import tasks

    loaded: list[Problem] = []
    if problems.task is not None:
        task = tasks.get_task(problems.task)
        filters = problems.filters
        loaded = tasks.filter_problems(
            task.load(problems.split, data_dir=problems.data_dir, source=problems.data_source),
            subjects=filters.subjects, levels=filters.levels, ids=filters.ids, limit=filters.limit)
    for path in problems.synthetic:
        loaded.extend(synthetic_problems(path))
    if not loaded:
        raise InputError("the problem selection is empty: nothing to train on")
    return loaded


def prompt_is_chat(prompt_format: str) -> bool:
    """Whether a prompt format renders chat messages (which need the model's chat template)."""
    import tasks

    probe = Problem(id="probe", task="probe", question="1 + 1", reference="2")
    return not isinstance(tasks.get_prompt_format(prompt_format).render(probe), str)


def ssft_data(problems: ProblemsConfig, model: str | Path) -> list[TrainExample]:
    """SSFT examples of the configured problems, rendered with `model`'s chat template if needed."""
    tokenizer = None
    if prompt_is_chat(problems.prompt):
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model))
    return ssft_examples(load_training_problems(problems), prompt_format=problems.prompt, tokenizer=tokenizer)


def sampling_run_config(model: str | Path, problems: ProblemsConfig, sampling: SamplingStageConfig,
                        display_name: str) -> RunConfig:
    """The evaluation-pipeline config that samples `model` on the training problems."""
    if problems.task is None:
        raise InputError("sampling needs a task: set problems.task", field="problems.task")
    filters = problems.filters.model_dump()
    if sampling.max_problems is not None:
        filters["limit"] = min(filters["limit"] or sampling.max_problems, sampling.max_problems)
    return parse_config({
        "model": display_name,
        "task": problems.task,
        "split": problems.split,
        "data_dir": problems.data_dir,
        "data_source": problems.data_source,
        "prompt": problems.prompt,
        "filters": filters,
        "backend": {"name": sampling.backend.name, "options": {**sampling.backend.options, "model": str(model)}},
        "sampling": {"n": sampling.n, "temperature": sampling.temperature, "top_p": sampling.top_p,
                     "max_tokens": sampling.max_tokens, "seed": sampling.seed},
        "batch_problems": sampling.batch_problems,
        "grading": sampling.grading.model_dump(),
    }, source="evaluator.sampling")


def sample_and_grade(model: str | Path, problems: ProblemsConfig, sampling: SamplingStageConfig, run_dir: Path, *,
                     display_name: str, show_progress: bool = True) -> Path:
    """Sample and grade `model` on the training problems into `run_dir` (resumable); main process only."""
    from evalkit.pipeline.run import run_evaluation

    state = process_state()
    if state.is_main_process:
        config = sampling_run_config(model, problems, sampling, display_name)
        run_evaluation(config, out=run_dir, write_report=False, show_progress=show_progress)
    state.wait_for_everyone()
    return run_dir


def checkpoint_name(model: str | Path) -> str:
    """A short name for a model: a stage directory's name for its `final/` checkpoint, else the last path part."""
    path = Path(str(model))
    return path.parent.name if path.name == "final" and path.parent.name else path.name


def two_way_examples_from(references: Sequence[Problem], run_dir: Path, *, max_per_problem: int | None = None,
                          seed: int = 0, deduplicate: bool = True) -> tuple[list[TrainExample], dict[str, int]]:
    """Examples of a two-way evaluator (`reranker.two_way`): the reference solutions of `references`, then
    the run's samples graded right (its wrong ones are not used), each both ways; with the counts."""
    from evalkit.training.data import judged_solutions
    from reranker.two_way import two_way_examples

    solved = [(problem.question, problem.solution) for problem in references if problem.solution]
    judged, _ = judged_solutions(run_dir, max_per_problem=max_per_problem, seed=seed, deduplicate=deduplicate)
    right = [(item.question, item.text) for item in judged if item.correct]
    examples = two_way_examples([*solved, *right])
    if not examples:
        raise InputError("no reference solution and no sample graded right: a two-way evaluator has nothing to "
                         "learn from", path=Path(run_dir) / "graded.jsonl")
    return examples, {"references": len(solved), "own_right": len(right),
                      "own_wrong_unused": len(judged) - len(right), "examples": len(examples)}


def two_way_data(run_dir: Path, stage: EvaluatorStageConfig, problems: ProblemsConfig,
                 ) -> tuple[list[TrainExample], dict[str, int]]:
    """`two_way_examples_from` the configured problems and the run, with the stage's data options."""
    return two_way_examples_from(load_training_problems(problems), run_dir, max_per_problem=stage.data.max_per_problem,
                                 seed=stage.data.seed, deduplicate=stage.data.deduplicate)


def evaluator_data(run_dir: Path, stage: EvaluatorStageConfig, problems: ProblemsConfig | None = None,
                   ) -> tuple[list[TrainExample], dict[str, int]]:
    """Examples for the evaluator's kind and objective from a graded run, and the counts behind them
    (a two-way evaluator also learns from the reference solutions of `problems`)."""
    if stage.kind == "two_way":
        if problems is None:
            raise ConfigError("a two-way evaluator also learns from the problems' reference solutions: give problems")
        return two_way_data(run_dir, stage, problems)
    options = stage.data
    if stage.training.objective in PAIR_OBJECTIVES:
        pairs = evaluator_pair_examples(run_dir, max_pairs_per_problem=options.max_pairs_per_problem,
                                        seed=options.seed, keep_unjudged=options.keep_unjudged,
                                        pairing=options.pairing, deduplicate=options.deduplicate)
        return pairs, {"pairs": len(pairs)}
    if stage.training.objective == "joint":
        joint = evaluator_joint_examples(run_dir, balance=options.balance, max_per_problem=options.max_per_problem,
                                         max_pairs_per_problem=options.max_pairs_per_problem, seed=options.seed,
                                         keep_unjudged=options.keep_unjudged, pairing=options.pairing,
                                         deduplicate=options.deduplicate)
        return joint.examples, {**joint.counts.to_dict(), "pairs": len(joint.examples) - len(joint.solutions)}
    built = build_evaluator_data(run_dir, balance=options.balance, max_per_problem=options.max_per_problem,
                                 seed=options.seed, keep_unjudged=options.keep_unjudged,
                                 deduplicate=options.deduplicate)
    return built.examples, built.counts.to_dict()


# --- the stages -------------------------------------------------------------------------------

EVALUATOR_STAGE_FILES = (SAMPLES_DIR, EVALUATOR_DATA_FILE)
"""What `train_evaluator` keeps in its output directory beside the fine-tuning's own files."""


def train_ssft(model: str | Path | BaseModelRef, problems: ProblemsConfig, training: TrainingConfig, out_dir: Path, *,
               show_progress: bool = True, record: dict[str, Any] | None = None,
               other_files: tuple[str, ...] = ()) -> TrainResult:
    """SSFT of `model` on the configured problems' reference solutions, into `out_dir`.

    The base model, the output directory and the data sources are checked before any data is
    loaded; `train_config.json` records the problems section (and `record`, e.g. the config)."""
    base = as_base_model(model)
    check_out_dir(out_dir, base, other_files)
    check_problem_sources(problems)
    examples = ssft_data(problems, base.location)
    return finetune(base, examples, out_dir, training.to_settings(), show_progress=show_progress,
                    record={"problems": problems_record(problems), **(record or {})}, other_files=other_files)


def train_evaluator(model: str | Path | BaseModelRef, problems: ProblemsConfig, stage: EvaluatorStageConfig,
                    out_dir: Path, *, show_progress: bool = True, record: dict[str, Any] | None = None,
                    other_files: tuple[str, ...] = ()) -> EvaluatorStageResult:
    """Fine-tune the evaluator from `model` on `model`'s own graded samples (sampled unless given).

    A given `samples_run` must exist and hold samples of the config's problems (task and split)."""
    base = as_base_model(model)
    kept = (*EVALUATOR_STAGE_FILES, *other_files)
    check_out_dir(out_dir, base, kept)
    if stage.samples_run is not None:
        run_dir = Path(stage.samples_run)
        check_samples_run(run_dir, problems)
    else:
        check_problem_sources(problems)
        run_dir = sample_and_grade(base.given, problems, stage.sampling, out_dir / SAMPLES_DIR,
                                   display_name=f"{checkpoint_name(base.given)}-train-samples",
                                   show_progress=show_progress)
    examples, counts = evaluator_data(run_dir, stage, problems)
    summary = json.dumps({"samples_run": str(run_dir), "kind": stage.kind, "objective": stage.training.objective,
                          **counts}, indent=2) + "\n"
    training = finetune(base, examples, out_dir, stage.training.to_settings(), show_progress=show_progress,
                        record={"problems": problems_record(problems), "samples_run": str(run_dir.resolve()),
                                **(record or {})}, other_files=kept, caller_files={EVALUATOR_DATA_FILE: summary})
    if stage.kind == "two_way" and process_state().is_main_process:
        from reranker.two_way import write_kind_file

        write_kind_file(training.checkpoint)  # `reranker.two_way.load_evaluator` scores it as what it is
    process_state().wait_for_everyone()
    return EvaluatorStageResult(training, run_dir, counts)


STAGE_BASE_FILE = "stage_base.json"
"""In each stage directory of the chain: the model the stage was built from (path and content identity)."""
CHAIN_FILES = (STAGE1_DIR, STAGE2_DIR, STAGE3_DIR, SUMMARY_FILE)


def claim_stage(root: Path, stage_dir: str, base: BaseModelRef) -> None:
    """Record which model a stage of the chain starts from, or check that it is the one recorded.

    A stage built from another model (the base model rewritten, stage 1 retrained) is refused
    before it is resumed, so no stage ever mixes work from two models: stage 2's sampling run
    included, which exists before its fine-tuning does."""
    path = root / stage_dir
    marker = path / STAGE_BASE_FILE
    if marker.exists():
        if not same_base_model(read_json_object(marker), base.to_dict()):
            index = CHAIN_FILES.index(stage_dir)
            later = CHAIN_FILES[index:3]
            raise ConfigError(
                f"{path} was built from another model than {base.given} is now"
                f"{f' ({CHAIN_FILES[index - 1]} was trained again since)' if index else ''}: delete "
                f"{' and '.join(str(root / name) for name in later)} and run again to build "
                f"{'it' if len(later) == 1 else 'them'} from the current one, or give another --out")
        return
    if process_state().is_main_process:
        path.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(base.to_dict(), indent=2) + "\n", encoding="utf-8")
    process_state().wait_for_everyone()


def run_sequential(config: SequentialConfig, *, out: Path | None = None, show_progress: bool = True,
                   config_file: str | Path | None = None) -> SequentialResult:
    """SSFT from the base model, the evaluator from stage 1, SSFT again from the evaluator.

    Each stage records the model it starts from (`stage_base.json`); a stage whose model has
    changed since (stage 1 trained again after `model:` changed) is refused, naming the stage
    directories to delete."""
    from rich.console import Console

    from evalkit.training.config import resolve_out

    root = resolve_out(config.out, out, "sequential config")
    base = resolve_base_model(config.model)
    check_out_dir(root, base, CHAIN_FILES, run_config=f"{STAGE1_DIR}/{STAGE_BASE_FILE}")
    check_out_dir(root / STAGE1_DIR, base, (STAGE_BASE_FILE,))
    check_problem_sources(config.problems)
    record = config_record(config_file, config)
    console = Console(stderr=True, quiet=not process_state().is_main_process or not show_progress)  # stage headings
    console.rule("stage 1: SSFT from the base model")
    claim_stage(root, STAGE1_DIR, base)
    stage1 = train_ssft(base, config.problems, config.ssft, root / STAGE1_DIR, show_progress=show_progress,
                        record=record, other_files=(STAGE_BASE_FILE,))
    console.rule("stage 2: the solution evaluator from the stage-1 model")
    stage1_model = resolve_base_model(stage1.checkpoint)
    claim_stage(root, STAGE2_DIR, stage1_model)
    stage2 = train_evaluator(stage1_model, config.problems, config.evaluator, root / STAGE2_DIR,
                             show_progress=show_progress, record=record, other_files=(STAGE_BASE_FILE,))
    console.rule("stage 3: SSFT again from the evaluator")
    stage2_model = resolve_base_model(stage2.training.checkpoint)
    claim_stage(root, STAGE3_DIR, stage2_model)
    stage3 = train_ssft(stage2_model, config.problems, config.ssft_again or config.ssft,
                        root / STAGE3_DIR, show_progress=show_progress, record=record, other_files=(STAGE_BASE_FILE,))
    result = SequentialResult(generator=stage3.checkpoint, evaluator=stage2.training.checkpoint,
                              stage1=stage1, stage2=stage2, stage3=stage3)
    if process_state().is_main_process:
        (root / SUMMARY_FILE).write_text(json.dumps(summarize(result), indent=2) + "\n", encoding="utf-8")
    return result


def summarize(result: SequentialResult) -> dict[str, object]:
    """The chain's checkpoints, steps and losses as plain JSON."""
    def stage(training: TrainResult) -> dict[str, object]:
        return {"checkpoint": str(training.checkpoint), "steps": training.steps, "final_loss": training.final_loss}

    return {
        "generator": str(result.generator),
        "evaluator": str(result.evaluator),
        "stage1": stage(result.stage1),
        "stage2": {**stage(result.stage2.training), "samples_run": str(result.stage2.samples_run),
                   "data": result.stage2.counts},
        "stage3": stage(result.stage3),
    }

