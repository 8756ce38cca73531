"""`evalkit run`: one model on one task, from problems to a leaderboard row.

Each stage reads the previous stage's output from the run directory, so a run killed at
any point resumes where it stopped, and a finished stage is never repeated. The run holds
the directory's lock from start to end (a second command on it is refused, naming this one),
and a run that fails before its first sample is written leaves the directory as it found it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from evalkit.backends.base import Backend, SamplingParams
from evalkit.config import RunConfig, dump_config, parse_config
from evalkit.errors import ConfigError, EvalkitError, InputError
from evalkit.pipeline.grade import GradeStageResult, grade_stage
from evalkit.pipeline.sample import SampleStageResult, check_stored_problems, sample_stage
from evalkit.records import Problem
from evalkit.store import RunDir, Shard
from evalkit.store.rundir import BOOKKEEPING_KEYS, INPUTS_KEY, problems_sha256
from evalkit.text_safety import for_terminal

@dataclass(frozen=True)
class RunSummary:
    run_dir: RunDir
    sampling: SampleStageResult
    grading: GradeStageResult
    metrics: dict | None


def default_run_dir(config: RunConfig, shard: Shard | None) -> Path:
    # no leading dot: a model named `.hidden` must not make a hidden run directory
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{config.model}-{config.task}")
    # at most 200 characters, the end kept (the model's own name, then the task): file systems refuse
    # names over 255 bytes, and the config hash after the slug keeps runs apart
    slug = slug[-200:].lstrip(".-").strip("-") or "run"
    if not config.model.isascii():  # letters the slug drops: `Org/模型 α` and `Org/другой β` would share one folder
        slug += "-" + hashlib.sha256(config.model.encode("utf-8")).hexdigest()[:6]
    name = f"{slug}-{config.config_hash()[:8]}"
    if shard is not None and shard.count > 1:
        name += f"-shard{shard.index}of{shard.count}"
    return Path("runs") / name


def refuse_run_dir_as_folder(root: Path) -> None:
    """Refuse a folder of runs (`--out` of a multi-task or flags-only run) that is a run directory
    or lies inside one: the command's runs and leaderboard would be nested into that run."""
    for folder in (root, *Path(os.path.abspath(root)).parents):
        config_path = RunDir(folder).config_path
        if not config_path.is_file():
            continue
        try:
            stored = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(stored, dict) and "config_hash" in stored:
            where = "is" if folder == root else f"lies inside {folder}, which is"
            raise ConfigError(f"--out {root} {where} a run directory; with --tasks (or without a config file) --out is "
                              "the folder that holds the command's runs and leaderboard, not a run: choose its parent "
                              "or another folder")


def load_split(config: RunConfig, data_dir: Path | None) -> list[Problem]:
    """Every problem of the task's split, before the config's filters."""
    import tasks

    return tasks.get_task(config.task).load(config.split, data_dir=data_dir or config.data_dir, source=config.data_source)


def load_problems(config: RunConfig, split: list[Problem]) -> list[Problem]:
    """The problems of the task's split (`load_split`) after the config's filters."""
    import tasks

    filters = config.filters
    return tasks.filter_problems(split, subjects=filters.subjects, levels=filters.levels, ids=filters.ids,
                                 limit=filters.limit)


def _replay_ids_outside_the_split(entries: dict, split: list[Problem]) -> list:
    """The entries of a replay file whose id is no problem of the task's split, whatever the filters keep (an id
    written another way, `2584` for `test/algebra/2584.json`, or a problem of another benchmark), in file order."""
    known = {problem.id for problem in split}
    return [entry for entry in entries.values() if entry.problem_id not in known]


def resolve_backend_options(config: RunConfig) -> dict:
    """Backend options, with `model: builtin:tiny` resolved to a tiny model built locally."""
    options = dict(config.backend.options)
    model = options.get("model")
    if isinstance(model, str) and config.backend.name in LOCAL_MODEL_BACKENDS:
        from evalkit.pipeline.builtin_models import builtin_model_dir

        built = builtin_model_dir(model)
        if built is not None:
            options["model"] = str(built)
    return options


def make_backend_factory(config: RunConfig):
    def make() -> Backend:
        from evalkit.backends.registry import create_backend

        return create_backend(config.backend.name, **resolve_backend_options(config))

    return make


LOCAL_MODEL_BACKENDS = ("hf", "vllm")


def input_fingerprints(config: RunConfig) -> dict[str, dict]:
    """Fingerprints of the inputs whose path, not content, is in the config hash, by the config
    field naming each: the replay backend's samples file, and a model the hf or vllm backend loads
    from a local directory (its content identity, `evalkit.hashing.directory_identity`). They are
    recorded in config.yaml so that a resume with other content under the same path (a model
    retrained in place, another dump) is refused. An input that is not there is left out (a
    finished run resumes to grade and report without it)."""
    options = config.backend.options
    if config.backend.name == "replay" and isinstance(options.get("path"), (str, Path)):
        from evalkit.backends.replay import replay_fingerprint

        fingerprint = replay_fingerprint(options["path"])
        return {} if fingerprint is None else {"backend.options.path": fingerprint}
    model = options.get("model")
    if config.backend.name in LOCAL_MODEL_BACKENDS and isinstance(model, (str, Path)) and Path(model).is_dir():
        return {"backend.options.model": model_fingerprint(Path(model))}
    return {}


def model_fingerprint(model_dir: Path) -> dict[str, Any]:
    """`{"file", "size", "sha256"}` of a local model directory: its path as given, the bytes of its
    files, and its content identity (the same keys as a replay file's fingerprint)."""
    from evalkit.hashing import directory_identity_and_size

    try:
        identity, size = directory_identity_and_size(model_dir)
        return {"file": str(model_dir), "size": size, "sha256": identity}
    except OSError as error:
        raise InputError(f"cannot read the model directory ({error.strerror or error})", path=model_dir) from None


PROBLEMS_INPUT = "task.problems"
"""The name under `inputs` of the fingerprint of the problems a run's task loads."""


def problems_fingerprint(config: RunConfig, problems: Sequence[Problem]) -> dict[str, Any]:
    """`{"file", "size", "sha256"}` of the problems a run's config selects (all its shards' together): what the
    data holds for them when the run starts, so that a resume after the data changed (an edited question of a
    problem not sampled yet) is refused instead of sampling two versions of the benchmark into one run."""
    return {"file": f"the problems of task {config.task} ({config.split})", "size": len(problems),
            "sha256": problems_sha256(problems)}


def run_config_text(config: RunConfig, num_problems: int, problems: Sequence[Problem] | None = None) -> str:
    """The text of a run's config.yaml: the resolved config, its hash, the number of problems
    and the fingerprints of its input files and of the `problems` it selects."""
    text = dump_config(config) + yaml.safe_dump({"num_problems": num_problems})
    inputs = input_fingerprints(config)
    if problems is not None:
        inputs[PROBLEMS_INPUT] = problems_fingerprint(config, problems)
    if inputs:
        text += yaml.safe_dump({INPUTS_KEY: inputs})
    return text


def stored_settings(stored: dict) -> dict:
    """The settings of a config stored in a run directory: its mapping without the keys the run
    keeps for itself (hash, problem count, input fingerprints, history of changes)."""
    return {key: value for key, value in stored.items() if key not in BOOKKEEPING_KEYS and key != "num_problems"}


def _stored_run_config(stored: dict) -> RunConfig | None:
    """A config stored in a run directory (or written for one), parsed; None if it is not a run config."""
    fields = stored_settings(stored)
    try:
        return parse_config(fields)
    except EvalkitError:
        return None


def stored_config_hash(stored: dict) -> str | None:
    """The hash, by today's rule, of a config stored in a run directory (None if it is not a
    run config), so that runs recorded under an older hash rule resume."""
    config = _stored_run_config(stored)
    return None if config is None else config.config_hash()


def stored_sample_settings(stored: dict) -> dict | None:
    """The settings of a stored config that decide the samples (`RunConfig.identity`, what the
    hash covers), so that a refused resume can name the ones that changed; None if it is not a
    run config."""
    config = _stored_run_config(stored)
    return None if config is None else config.identity()


def usable_ks(ks: list[int] | None, n: int, console: Console) -> list[int] | None:
    """The configured ks that a run with n samples per problem can report, with n in place of those
    larger than n (None: the defaults)."""
    if not ks:
        return None
    usable = [k for k in ks if k <= n]
    if len(usable) < len(ks):
        console.print(f"note: report.ks {sorted(set(ks) - set(usable))} > sampling.n = {n}: reported at k = {n}")
        usable = sorted(set(usable) | {n})
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
    split = load_split(config, data_dir)
    problems = whole = load_problems(config, split)
    if shard is not None:
        shard = shard.cut_from(problems)
        problems = shard.select(problems)
    run_dir = RunDir(out or default_run_dir(config, shard))
    config_text = run_config_text(config, len(problems), whole)
    prompt_format = tasks.run_prompt_format(config.task, config.prompt)
    sampling = SamplingParams(
        temperature=config.sampling.temperature, top_p=config.sampling.top_p, max_tokens=config.sampling.max_tokens,
        stop=tuple(config.sampling.stop if config.sampling.stop is not None else prompt_format.stop),
        seed=config.sampling.seed, logprobs=config.sampling.logprobs,
    )
    own_backend: list[Backend] = []

    def build_own() -> Backend:
        own_backend.append(make_backend_factory(config)())
        return own_backend[0]

    def backend_for_sampling() -> Backend:
        backend = (make_backend or build_own)()
        entries = getattr(backend, "entries", None)
        if config.backend.name == "replay" and entries and not any(entry.question for entry in entries.values()):
            console.print("note: the replay file stores no questions: its samples are matched to the problems by id "
                          "alone (a file of another benchmark that numbers its problems alike would not be noticed)",
                          highlight=False)
        if config.backend.name == "replay" and entries:
            outside = _replay_ids_outside_the_split(entries, split)
            if outside:
                first = outside[0]
                where = f", line {first.line}" if first.line is not None else ""
                console.print(f"[yellow]note:[/] {len(outside)} of the replay file's {len(entries)} problem ids match no "
                              f"problem of {for_terminal(config.task)}'s {for_terminal(config.split)} split (the first: "
                              f"{for_terminal(repr(first.problem_id))}{where}): their samples are not used",
                              highlight=False)
        return backend

    with run_dir.lock("evalkit run"):
        checked: list[set[str]] = []  # the stored problems, when the claim of a resumed run checked them
        fresh = run_dir.claim(config_text, config.config_hash(), shard, rehash=stored_config_hash,
                              sample_settings=stored_sample_settings,
                              check_stored=lambda: checked.append(check_stored_problems(run_dir, problems)))
        console.print(f"{'starting' if fresh else 'resuming'} {for_terminal(run_dir.path)}: "
                      f"{for_terminal(config.model)} on {for_terminal(config.task)} "
                      f"({len(problems)} problems, n={config.sampling.n})", highlight=False)
        cut_short = None if fresh else run_dir.cut_short_samples_line()
        if cut_short is not None:
            console.print(f"[yellow]note:[/] the last line of {for_terminal(run_dir.samples_path)} was cut short by an "
                          f"interrupted write ({for_terminal(cut_short)}): it is dropped and its problem sampled again",
                          highlight=False)
        try:
            sampled = sample_stage(config, run_dir, problems, make_backend=backend_for_sampling,
                                   prompt_of=prompt_format.render, sampling=sampling, show_progress=show_progress,
                                   done=checked[0] if checked else None)
        except BaseException:
            if fresh:
                run_dir.release_claim()  # nothing was sampled: the directory is not this run's yet
            raise
        finally:
            for backend in own_backend:  # a shared backend (`make_backend`) is its owner's to close
                close = getattr(backend, "close", None)
                if callable(close):
                    close()
        graded = grade_stage(run_dir, workers=config.grading.workers, timeout=config.grading.timeout,
                             show_progress=show_progress)
        unanswered, graded_samples = graded.reasons.get("no_answer", 0), sum(graded.reasons.values())
        if graded_samples and unanswered * 2 >= graded_samples:
            console.print(f"[yellow]note:[/] {unanswered} of the {graded_samples} samples graded now have no answer: "
                          f"look at {for_terminal(run_dir.samples_path)} (empty replies from the server, max_tokens "
                          "too small for the model's reasoning, a prompt format the model does not follow)",
                          highlight=False)
        metrics = None
        if write_report:
            from evalkit.report.cli import report_run

            ks = usable_ks(config.report.ks, config.sampling.n, console)
            # top_clusters: the run's own, config.report.top_clusters unless `evalkit rerank` scored another K
            metrics = report_run(run_dir.path, ks=ks, top_clusters=None,
                                 seed=config.report.seed, confidence=config.report.confidence,
                                 resamples=config.report.resamples, console=console,
                                 show_progress=show_progress, just_graded=True)
    return RunSummary(run_dir, sampled, graded, metrics)
