"""Sampling stage: ask a backend for n solutions per problem and append them to the run.

Problems are sent to the backend in batches, all with the run's seed; the backends derive
each prompt's own seed from that seed and the prompt's content (`backends.base.prompt_seed`).
A problem's samples therefore do not depend on its batch, on sharding or on resuming: a run
killed at any point and resumed, or split with `--shard` and merged, produces the same
samples as one uninterrupted run (for backends that honour seeds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evalkit.backends.base import Backend, Completion, SamplingParams
from evalkit.config import RunConfig
from evalkit.errors import EvalkitError
from evalkit.progress import make_progress
from evalkit.records import Problem, Sample
from evalkit.store import ProblemSamples, RunDir

@dataclass(frozen=True)
class SampleStageResult:
    total_problems: int
    already_done: int
    sampled_now: int


def to_samples(problem: Problem, completions: Sequence[Completion], n: int) -> list[Sample]:
    if len(completions) != n:
        raise EvalkitError(f"backend returned {len(completions)} completions for problem '{problem.id}', expected {n}")
    return [
        Sample(problem_id=problem.id, index=index, text=completion.text, finish_reason=completion.finish_reason,
               num_tokens=completion.num_tokens, logprob=completion.logprob)
        for index, completion in enumerate(completions)
    ]


def generate_batch(backend: Backend, problems: Sequence[Problem], prompt_of: Callable[[Problem], object],
                   n: int, sampling: SamplingParams) -> list[list[Completion]]:
    """Ask the backend for one batch; backends that replay stored samples look them up by problem."""
    generate_for = getattr(backend, "generate_for", None)
    if callable(generate_for):
        return generate_for(list(problems), n, sampling)
    return backend.generate([prompt_of(problem) for problem in problems], n, sampling)


def sample_stage(
    config: RunConfig,
    run_dir: RunDir,
    problems: Sequence[Problem],
    *,
    make_backend: Callable[[], Backend],
    prompt_of: Callable[[Problem], object],
    sampling: SamplingParams,
    show_progress: bool = True,
) -> SampleStageResult:
    """Sample every problem that `run_dir` does not hold yet; the backend is built only if needed."""
    done = run_dir.sampled_ids()
    wanted = {problem.id for problem in problems}
    strangers = sorted(done - wanted)
    if strangers:
        raise EvalkitError(
            f"{run_dir.samples_path} holds problems that this config does not select "
            f"(e.g. {strangers[0]!r}); refusing to mix runs"
        )
    todo = [problem for problem in problems if problem.id not in done]
    if not todo:
        if not run_dir.samples_path.exists():  # e.g. an empty shard: its part of the run is done
            run_dir.samples_path.touch()
        return SampleStageResult(len(problems), len(done), 0)
    size = config.batch_problems
    batches = [todo[start:start + size] for start in range(0, len(todo), size)]
    backend = make_backend()
    written = 0
    with make_progress(disable=not show_progress) as progress, run_dir.samples_appender() as out:
        bar = progress.add_task(f"sampling n={config.sampling.n}", total=len(todo))
        for batch in batches:
            completions = generate_batch(backend, batch, prompt_of, config.sampling.n, sampling)
            if len(completions) != len(batch):
                raise EvalkitError(f"backend returned {len(completions)} results for {len(batch)} prompts")
            for problem, problem_completions in zip(batch, completions):
                samples = to_samples(problem, problem_completions, config.sampling.n)
                out.write(ProblemSamples(problem, samples).to_dict())
                written += 1
                progress.advance(bar)
    return SampleStageResult(len(problems), len(done), written)
