"""`evalkit run`: one model on one task, from problems to a leaderboard row.

Each stage reads the previous stage's output from the run directory, so a run killed at
any point resumes where it stopped, and a finished stage is never repeated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.console import Console

from evalkit.backends.base import Backend, SamplingParams
from evalkit.config import RunConfig, dump_config
from evalkit.errors import ConfigError
from evalkit.pipeline.grade import GradeStageResult, grade_stage
from evalkit.pipeline.sample import SampleStageResult, sample_stage
from evalkit.records import Problem
from evalkit.store import RunDir, Shard

BUILTIN_TINY_MODEL = "builtin:tiny"


@dataclass(frozen=True)
class RunSummary:
    run_dir: RunDir
    sampling: SampleStageResult
    grading: GradeStageResult
    metrics: dict | None


def default_run_dir(config: RunConfig, shard: Shard | None) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{config.model}-{config.task}").strip("-")
    name = f"{slug}-{config.config_hash()[:8]}"
    if shard is not None and shard.count > 1:
        name += f"-shard{shard.index}of{shard.count}"
    return Path("runs") / name


def load_problems(config: RunConfig, data_dir: Path | None) -> list[Problem]:
    """The task's problems after the config's filters."""
    import tasks

    task = tasks.get_task(config.task)
    problems = task.load(config.split, data_dir=data_dir or config.data_dir, source=config.data_source)
    filters = config.filters
    return tasks.filter_problems(problems, subjects=filters.subjects, levels=filters.levels, ids=filters.ids,
                                 limit=filters.limit)


def resolve_backend_options(config: RunConfig) -> dict:
    """Backend options, with `model: builtin:tiny` resolved to a tiny model built locally."""
    options = dict(config.backend.options)
    if options.get("model") == BUILTIN_TINY_MODEL:
        from evalkit.pipeline.builtin_models import cached_tiny_model

        options["model"] = str(cached_tiny_model())
    return options


def make_backend_factory(config: RunConfig):
    def make() -> Backend:
        from evalkit.backends.registry import create_backend

        return create_backend(config.backend.name, **resolve_backend_options(config))

    return make


def usable_ks(ks: list[int] | None, n: int, console: Console) -> list[int] | None:
    """The configured ks that a run with n samples per problem can report (None: the defaults)."""
    if not ks:
        return None
    usable = [k for k in ks if k <= n]
    if not usable:
        raise ConfigError(f"report.ks {ks}: every k is larger than sampling.n = {n}")
    if len(usable) < len(ks):
        console.print(f"note: report.ks {sorted(set(ks) - set(usable))} > sampling.n = {n} left out")
    return usable


def run_evaluation(config: RunConfig, *, out: Path | None = None, shard: Shard | None = None,
                   data_dir: Path | None = None, write_report: bool = True, show_progress: bool = True,
                   console: Console | None = None, make_backend: Callable[[], Backend] | None = None) -> RunSummary:
    """Sample (resumably), grade and report one config into one run directory.

    `make_backend` builds the backend when sampling needs one (default: from the config), so that
    the runs of one command can share a loaded model.
    """
    import tasks

    console = console or Console()
    problems = load_problems(config, data_dir)
    if shard is not None:
        problems = shard.select(problems)
    run_dir = RunDir(out or default_run_dir(config, shard))
    config_text = dump_config(config) + yaml.safe_dump({"num_problems": len(problems)})
    fresh = run_dir.claim(config_text, config.config_hash(), shard)
    console.print(f"{'starting' if fresh else 'resuming'} {run_dir.path}: {config.model} on {config.task} "
                  f"({len(problems)} problems, n={config.sampling.n})")

    prompt_format = tasks.get_prompt_format(config.prompt or tasks.get_task(config.task).default_prompt_format)
    sampling = SamplingParams(
        temperature=config.sampling.temperature, top_p=config.sampling.top_p, max_tokens=config.sampling.max_tokens,
        stop=tuple(config.sampling.stop if config.sampling.stop is not None else prompt_format.stop),
        seed=config.sampling.seed, logprobs=config.sampling.logprobs,
    )
    sampled = sample_stage(config, run_dir, problems, make_backend=make_backend or make_backend_factory(config),
                           prompt_of=prompt_format.render, sampling=sampling, show_progress=show_progress)
    graded = grade_stage(run_dir, workers=config.grading.workers, timeout=config.grading.timeout,
                         show_progress=show_progress)
    metrics = None
    if write_report:
        from evalkit.report.cli import report_run

        ks = usable_ks(config.report.ks, config.sampling.n, console)
        metrics = report_run(run_dir.path, ks=ks, top_clusters=config.report.top_clusters,
                             seed=config.report.seed, confidence=config.report.confidence,
                             resamples=config.report.resamples, console=console)
    return RunSummary(run_dir, sampled, graded, metrics)
