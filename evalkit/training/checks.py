"""Checks a training command makes before it loads data or writes anything.

Each refuses bad input in one line that names the config field: a data directory or synthetic
file that does not exist, and an evaluator's `samples_run` that is missing or was sampled on
other problems than the config's (another task, or another split: an evaluator trained on test
problems has seen the test set). The base model and the output directory are checked by
`evalkit.training.base_model.resolve_base_model` and `evalkit.training.engine.check_out_dir`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, InputError
from evalkit.records import question_key
from evalkit.training.config import ProblemsConfig


def check_problem_sources(problems: ProblemsConfig) -> None:
    """The configured data directory and synthetic files exist."""
    if problems.data_dir is not None and not Path(problems.data_dir).expanduser().is_dir():
        raise InputError(f"the data directory {problems.data_dir} does not exist", field="problems.data_dir")
    for path in problems.synthetic:
        if not Path(path).expanduser().is_file():
            raise InputError(f"synthetic data file {path} not found", field="problems.synthetic")


def problems_record(problems: ProblemsConfig) -> dict[str, Any]:
    """The problems section as `train_config.json` records it: paths made absolute."""
    data = problems.model_dump(mode="json")
    if problems.data_dir is not None:
        data["data_dir"] = str(Path(problems.data_dir).expanduser().resolve())
    data["synthetic"] = [str(Path(path).expanduser().resolve()) for path in problems.synthetic]
    return data


def config_record(config_file: str | Path | None, config: Any) -> dict[str, Any]:
    """What `train_config.json` records of a command's config: the file, its text, and the validated config."""
    path = Path(config_file).resolve() if config_file is not None else None
    return {"config_file": str(path) if path else None,
            "config_text": path.read_text(encoding="utf-8") if path else None,
            "config": config.model_dump(mode="json")}


def check_samples_run(run_dir: Path, problems: ProblemsConfig) -> None:
    """Refuse a `samples_run` that does not exist, or whose problems are not the config's training
    problems: another task or split in its config, or (a run that records no split, as imported
    runs do) a problem whose question is not one of the configured split's."""
    from evalkit.store import RunDir

    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"samples run {run_dir} is a file, not a run directory (give the directory `evalkit run` "
                         "wrote, which holds config.yaml and samples.jsonl)", field="evaluator.samples_run")
    if not run_dir.is_dir():
        raise InputError(f"samples run {run_dir} not found", field="evaluator.samples_run")
    if problems.filters != type(problems.filters)():
        raise ConfigError(f"problems.filters select training problems to sample, but evaluator.samples_run {run_dir} "
                          "is sampled already and is used whole: leave the filters out, or give a run sampled with them")
    run = RunDir(run_dir)
    config = run.read_config()
    if problems.task is None:
        return  # synthetic problems only: there is no task to compare with
    run_task, run_split = config.get("task"), config.get("split")
    wanted = f"task {problems.task}, split {problems.split}"
    if run_task != problems.task or (run_split is not None and run_split != problems.split):
        raise ConfigError(
            f"evaluator.samples_run {run_dir} holds samples of task {run_task}, split {run_split or 'not recorded'}, "
            f"but the config's problems are {wanted}: train the evaluator on samples of its training problems")
    if run_split is not None:
        return
    import tasks

    check_problem_sources(problems)
    known = {question_key(problem.question) for problem in
             tasks.get_task(problems.task).load(problems.split, data_dir=problems.data_dir,
                                                source=problems.data_source)}
    items = run.read_samples()
    outside = [item.problem.id for item in items if question_key(item.problem.question) not in known]
    if outside:
        raise ConfigError(
            f"evaluator.samples_run {run_dir} records no split, and {len(outside)} of its {len(items)} problems "
            f"(first: {outside[0]}) are not problems of the config's {wanted}: train the evaluator on samples "
            "of its training problems")
