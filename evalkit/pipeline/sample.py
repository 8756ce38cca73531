"""Sampling stage: ask a backend for n solutions per problem and append them to the run.

Every pending problem goes to the backend's stream at once (up to `max_problems_in_flight`
when the config sets that memory bound), and each problem's line is appended to
`samples.jsonl` the moment its last sample is done: the engine never waits for a batch, and a
crash loses only the problems still in flight. A problem whose request fails for good (after
the backend's retries) is left out and named at the end; every finished problem is kept, and
running the same command again samples only what is missing. When the backend stops the whole
stage (a server that is unreachable or refuses every request), its error says what was kept.

All requests carry the run's seed; the local backends (vLLM, transformers) derive each prompt's own
seed from that seed and the prompt's content (`backends.base.prompt_seed`), and an OpenAI-compatible
server applies the seed to each request alone, so a problem's samples do not depend on what else is
in flight, on sharding or on resuming. Once every problem is in,
`samples.jsonl` is put in problem order, so the finished file is the same bytes however the
run was interrupted or how requests happened to finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from evalkit.backends.base import Backend, Completion, SampleRequest, SampleResult, SamplingParams, stream_requests
from evalkit.config import RunConfig
from evalkit.errors import ConfigError, EvalkitError, InputError, Interrupted
from evalkit.progress import make_progress
from evalkit.records import FINISH_REJECTED, Problem, Sample
from evalkit.store import ProblemSamples, RunDir
from evalkit.text_safety import for_terminal

STOP_AFTER_FIRST_FAILURES = 8
"""A run stops when this many problems have failed before any succeeded (a broken server or
backend: no use trying the rest); once one has succeeded, failures are collected to the end."""
MAX_NAMED_FAILURES = 3
"""Failed problems named in the final error message."""


class ProblemsFailed(EvalkitError):
    """Some problems failed for good while the backend kept answering the others: the stage's
    finished problems are saved, and running again retries the failed ones."""


class _BackendStopped(Exception):
    """The backend's stream raised `error`: the stage stops (see `_sample`)."""

    def __init__(self, error: EvalkitError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class SampleStageResult:
    total_problems: int
    already_done: int
    sampled_now: int


def rejected_problem(problem: Problem, n: int, reason: str, config_hash: str | None = None) -> ProblemSamples:
    """The `samples.jsonl` line of a problem whose prompt the backend refuses: n empty samples
    (graded as no answer) and the backend's reason."""
    samples = [Sample(problem_id=problem.id, index=index, text="", finish_reason=FINISH_REJECTED,
                      num_tokens=0) for index in range(n)]
    return ProblemSamples(problem, samples, rejected=reason, config_hash=config_hash)


def to_samples(problem: Problem, completions: Sequence[Completion], n: int) -> list[Sample]:
    if len(completions) != n:
        raise EvalkitError(f"backend returned {len(completions)} completions for problem '{problem.id}', expected {n}")
    return [
        Sample(problem_id=problem.id, index=index, text=completion.text, finish_reason=completion.finish_reason,
               num_tokens=completion.num_tokens, logprob=completion.logprob)
        for index, completion in enumerate(completions)
    ]


def _first_difference(stored: str, current: str, width: int = 40) -> str:
    """`stored 'ALTERED Every…', now 'Every morning…'` from the first character that differs."""
    start = next((i for i, (a, b) in enumerate(zip(stored, current)) if a != b), min(len(stored), len(current)))
    start = max(0, start - 10)

    def part(text: str) -> str:
        piece = text[start:start + width]
        return repr(("…" if start else "") + piece + ("…" if start + width < len(text) else ""))

    return f"stored {part(stored)}, now {part(current)}"


def check_stored_problems(run_dir: RunDir, problems: Sequence[Problem]) -> set[str]:
    """The ids of the problems `run_dir` holds, after checking that each is one of `problems`
    with the same question and reference: a resumed run never mixes problem data of two sources
    (another --data-dir, $EVALKIT_DATA_DIR or working directory, or edited data files), and, for a
    line stamped with a config hash, that this run's config sampled it (never a line copied from another
    config's run)."""
    current = {problem.id: problem for problem in problems}
    done: set[str] = set()
    hashes = run_dir.config_hashes()
    for stored in run_dir.stored_problems():
        problem = current.get(stored.problem_id)
        if problem is None:
            raise InputError(f"problem {stored.problem_id!r} is not selected by this config; "
                             "refusing to mix runs", path=run_dir.samples_path, line=stored.line)
        if stored.config_hash is not None and hashes and stored.config_hash not in hashes:
            raise InputError(f"problem {stored.problem_id!r} was sampled by another config (config_hash "
                             f"{stored.config_hash}; this run's is {hashes[0]}): refusing to mix runs. Delete the "
                             "line and run again to sample the problem anew.", path=run_dir.samples_path,
                             line=stored.line, field="config_hash")
        differences = [f"{name}: {_first_difference(stored_text, current_text)}"
                       for name, stored_text, current_text in (("question", stored.question, problem.question),
                                                               ("reference", stored.reference, problem.reference))
                       if stored_text is not None and stored_text != current_text]
        if differences:
            raise InputError(
                f"problem {stored.problem_id!r} differs from the task's data now ({'; '.join(differences)}): "
                "the data changed since the run started. Use another --out, or the same data "
                "(--data-dir, $EVALKIT_DATA_DIR) as when it started.", path=run_dir.samples_path, line=stored.line)
        done.add(stored.problem_id)
    return done


def sample_stage(
    config: RunConfig,
    run_dir: RunDir,
    problems: Sequence[Problem],
    *,
    make_backend: Callable[[], Backend],
    prompt_of: Callable[[Problem], object],
    sampling: SamplingParams,
    show_progress: bool = True,
    done: set[str] | None = None,
) -> SampleStageResult:
    """Sample every problem that `run_dir` does not hold yet; the backend is built only if needed
    (and closing it is `make_backend`'s owner's business: one backend may serve several runs).
    `done`: what `check_stored_problems` returned for this directory under the same lock, when the
    caller checked it already (a resume then reads `samples.jsonl` once)."""
    done = check_stored_problems(run_dir, problems) if done is None else done
    todo = {problem.id: problem for problem in problems if problem.id not in done}
    written = 0
    if todo:
        run_dir.drop_grades(todo)  # grades of earlier samples (a samples line deleted since): grade anew
        run_dir.forget_scores(todo)  # and score anew
        written = _sample(config, run_dir, todo, make_backend=make_backend, prompt_of=prompt_of,
                          sampling=sampling, show_progress=show_progress, answered_before=bool(done))
    elif not run_dir.samples_path.exists():  # e.g. an empty shard: its part of the run is done
        run_dir.samples_path.touch()
    run_dir.order_samples([problem.id for problem in problems])
    return SampleStageResult(len(problems), len(done), written)


def saved_note(written: int, run_dir: RunDir) -> str:
    """What a stopped sampling stage kept (a sentence without its full stop): the problems
    sampled now, or that none was, so nothing was written (a fresh run directory then goes)."""
    if written == 0:
        return "No problem was sampled now, so nothing was written"
    return f"The {written} problems sampled now are saved in {run_dir.samples_path}"


class _FailingFromTheStart(Exception):
    """Every problem finished so far failed: stop instead of trying the rest."""

    def __init__(self, remaining: int) -> None:
        super().__init__(remaining)
        self.remaining = remaining


def _backend_errors(results: Iterator[SampleResult]) -> Iterator[SampleResult]:
    """`results`, with an error raised by the backend marked as such (not one raised while writing)."""
    try:
        yield from results
    except ConfigError:
        raise  # a setting that cannot work: nothing to say about what was kept
    except EvalkitError as error:
        raise _BackendStopped(error) from None


@dataclass
class _Tally:
    """What the sampling stage has done so far: its stop rules and its messages read it."""

    outstanding: set[str]
    written: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    refused: int = 0
    """Failures that were refusals of the prompt as written."""
    held: list[tuple[str, str]] = field(default_factory=list)
    """Rejections to record, waiting for a first answered problem."""

    def fail_held(self) -> None:
        """Rejections held while nothing was answered are the backend's fault, not the prompts'."""
        self.refused += len(self.held)
        self.failures.extend(self.held)
        self.held.clear()


def _sample(config: RunConfig, run_dir: RunDir, todo: dict[str, Problem], *, make_backend: Callable[[], Backend],
            prompt_of: Callable[[Problem], object], sampling: SamplingParams, show_progress: bool,
            answered_before: bool = False) -> int:
    """Stream the problems of `todo` through the backend, appending each as it finishes.

    With `rejected_prompts: record`, a problem whose prompt the backend refuses is written as
    `rejected_problem`, but only once the backend has answered some problem of the run (now or
    `answered_before`): a backend that refuses every prompt is broken, and its refusals are
    failures, never results."""
    n = config.sampling.n
    stamp = next(iter(run_dir.config_hashes()), None)
    record_rejections = config.rejected_prompts == "record"
    tally = _Tally(outstanding=set(todo))
    requests = (SampleRequest(problem_id, prompt_of(problem)) for problem_id, problem in todo.items())
    try:
        backend = make_backend()
        with make_progress(disable=not show_progress) as progress, run_dir.samples_appender() as out:
            bar = progress.add_task(f"sampling n={n}", total=len(todo))
            results = stream_requests(backend, requests, n, sampling, window=config.max_problems_in_flight)
            for result in _backend_errors(results):
                _take(result, tally, todo, n, record=record_rejections, write=out.write, say=progress.console.print,
                      stamp=stamp)
                if tally.held and (tally.written or answered_before):
                    for key, reason in tally.held:
                        out.write(rejected_problem(todo[key], n, reason, stamp).to_dict())
                    tally.held.clear()
                if not tally.written and len(tally.failures) + len(tally.held) >= STOP_AFTER_FIRST_FAILURES \
                        and tally.outstanding:
                    tally.fail_held()
                    raise _FailingFromTheStart(len(tally.outstanding))
                progress.advance(bar)
    except KeyboardInterrupt:
        kept = (f"{tally.written} problems sampled now are saved in {run_dir.samples_path}" if tally.written
                else "no problem was sampled now, so nothing was written")
        raise Interrupted(f"sampling stopped; {kept} ({len(tally.outstanding)} still to do). Run the same command "
                          "again to continue.") from None
    except _FailingFromTheStart as stopped:
        raise EvalkitError(_failing_from_the_start(tally, stopped.remaining, run_dir)) from None
    except _BackendStopped as stopped:
        message = str(stopped.error).rstrip()
        kind = InputError if isinstance(stopped.error, InputError) else EvalkitError  # input the backend cannot
        raise kind(f"{message}{'' if message.endswith('.') else '.'} "          # use stays that kind of error
                   f"{saved_note(tally.written, run_dir)}.") from None
    tally.fail_held()
    if tally.outstanding and not tally.failures:
        raise EvalkitError(f"the backend ended without results for {len(tally.outstanding)} problems "
                           f"(e.g. {sorted(tally.outstanding)[0]!r}). {saved_note(tally.written, run_dir)}.")
    if tally.failures:
        raise _problems_failed(tally, run_dir, answered_before=answered_before, record_rejections=record_rejections)
    return tally.written


def _take(result: SampleResult, tally: _Tally, todo: dict[str, Problem], n: int, *, record: bool,
          write: Callable[[dict], None], say: Callable[..., None], stamp: str | None = None) -> None:
    """Count one problem's result: write its samples, hold its rejection to record, or note its failure."""
    if result.key not in tally.outstanding:
        raise EvalkitError(f"backend returned a result for problem {result.key!r}, which was not asked for or was "
                           "already answered; nothing of it was written")
    tally.outstanding.discard(result.key)
    if result.error is not None and result.rejected and record:
        tally.held.append((result.key, result.error))
        say(f"[yellow]problem {for_terminal(result.key)} rejected (recorded with {n} empty samples):[/] "
            f"{for_terminal(result.error)}", highlight=False)
    elif result.error is not None:
        tally.failures.append((result.key, result.error))
        tally.refused += result.rejected
        say(f"[yellow]problem {for_terminal(result.key)} failed:[/] {for_terminal(result.error)}", highlight=False)
    else:
        problem = todo[result.key]
        write(ProblemSamples(problem, to_samples(problem, result.completions, n), config_hash=stamp).to_dict())
        tally.written += 1


_REFUSED_EVERY_PROMPT = ("the backend refused every one of their prompts as written, so the settings do not fit this "
                         "model (e.g. lower --max-tokens or use a shorter --prompt)")


def _failing_from_the_start(tally: _Tally, remaining: int, run_dir: RunDir) -> str:
    cause = _REFUSED_EVERY_PROMPT if tally.refused == len(tally.failures) else "the backend or server seems broken"
    return (f"the first {len(tally.failures)} problems all failed and none succeeded, so the run stopped without "
            f"finishing the other {remaining} ({cause}; latest error: {tally.failures[-1][1]}). "
            f"{saved_note(tally.written, run_dir)}; fix "
            "the cause and run the same command again.")


def _problems_failed(tally: _Tally, run_dir: RunDir, *, answered_before: bool,
                     record_rejections: bool) -> ProblemsFailed:
    failures = tally.failures
    named = "; ".join(f"{key}: {error}" for key, error in failures[:MAX_NAMED_FAILURES])
    more = f" (and {len(failures) - MAX_NAMED_FAILURES} more)" if len(failures) > MAX_NAMED_FAILURES else ""
    hint = ""
    if tally.refused == len(failures) and not tally.written and not answered_before:
        hint = (" The backend refused every prompt as written: the settings do not fit this model "
                "(e.g. lower --max-tokens or use a shorter --prompt).")
    elif tally.refused and not record_rejections:
        hint = (f" {tally.refused} of them the backend refuses as written (e.g. too long for the context window), so "
                "a retry meets the same refusal: to finish the run with them counted as unanswered, run again "
                "with --set rejected_prompts=record.")
    return ProblemsFailed(f"{len(failures)} problems could not be sampled: {named}{more}. "
                          f"{saved_note(tally.written, run_dir)}; run the same command again to retry the others.{hint}")
