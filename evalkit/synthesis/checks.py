"""Checks `evalkit synth` makes before any step runs: the output directory, the models, the targets.

Each refuses in one line that names what is wrong, before the corpus step has written anything or
a teacher call is paid: an `--out` that holds other files than a synthesis's; a model that the steps
to run would load (`select.model`, `teacher.options.model`, `distill.base_model`, ...) that is not
there, checked as `evalkit train` checks its base model
(`evalkit.training.base_model.resolve_base_model`); an unknown `demo:` model; a `select.targets`
entry with an unknown task or split, or without data; a data directory that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evalkit.errors import ConfigError, EvalkitError, InputError
from evalkit.paths import file_in_the_way, refuse_output_over_inputs
from evalkit.synthesis.config import SynthConfig
from evalkit.synthesis.demo_world import DATA_SPEC, DEMO_MODELS

FOREIGN_MARKERS = ("samples.jsonl", "graded.jsonl", "train_config.json", "config.yaml")
"""Files that mark another command's output folder (a run, a training run)."""

RUN_MARKER = "steps"
"""The folder that makes a directory a synthesis's output (`SynthPaths.steps`, made before any step
runs): resuming, or rerunning some steps, is accepted there whatever else it holds."""

LOCAL_BACKENDS = ("hf", "vllm")
"""Backends that load the model they are given (the others name a server's model, or a file of samples)."""


def check_out_dir(out: Path, config: SynthConfig) -> None:
    """Refuse an --out that is a file (or lies inside one), that holds the synthesis's own input
    files, that holds an evaluation or training run, or that holds files but is not a synthesis's
    output: the steps write fixed names (corpus.jsonl, report.json, ...) and would overwrite a file
    of the same name."""
    in_the_way = file_in_the_way(out)
    if in_the_way is not None:
        raise InputError(f"{in_the_way}: choose another --out (a new or empty directory)", path=out)
    refuse_output_over_inputs(out, input_files(config))  # the corpus step writes OUT/corpus.jsonl
    found = [name for name in FOREIGN_MARKERS if (out / name).is_file()]
    if found:
        raise InputError(f"holds {', '.join(found)}: it is the folder of another evalkit command (a run or a "
                         "training run), not of a synthesis; choose another --out", path=out)
    if not out.is_dir() or (out / RUN_MARKER).is_dir():
        return
    from evalkit.store.lock import LOCK_FILE

    strangers = sorted(path.name for path in out.iterdir() if path.name != LOCK_FILE)
    if strangers:
        shown = ", ".join(strangers[:5]) + (f" and {len(strangers) - 5} more" if len(strangers) > 5 else "")
        raise InputError(f"holds files that are not a synth run's ({shown}): give another --out (a new or empty "
                         "directory)", path=out)


def input_files(config: SynthConfig) -> list[str]:
    """The user's files a synthesis reads: corpus sources, and target files of the select step."""
    sources = [source.path for source in config.corpus.sources if source.path]
    return sources + [target for target in config.select.targets if Path(target).is_file()]


def models_used(config: SynthConfig, steps: Sequence[str]) -> list[tuple[str, str]]:
    """(field, model) for every model that `steps` load under `config`, in step order."""
    select, teacher, generate, consistency = config.select, config.teacher, config.generate, config.filter.consistency
    influence = select.enabled and select.method == "influence"
    teacher_model = teacher.options.get("model") if teacher.backend in LOCAL_BACKENDS else None
    own_synthesizer = generate.model if generate.backend in LOCAL_BACKENDS else None
    used: list[tuple[str, str | None]] = []
    if "corpus" in steps and config.corpus.unit == "tokens" and not config.corpus.tokenizer:
        used.append(("select.model", select.model))  # the corpus is measured in its tokens
    if "select" in steps and influence:
        used.append(("select.model", select.model))
    if "teacher" in steps:
        used.append(("teacher.options.model", teacher_model))
    if "distill" in steps:
        used.append(("distill.base_model", config.distill.base_model))
    if "generate" in steps:
        used.append(("generate.model", own_synthesizer))
    if "filter" in steps and consistency.enabled:
        if consistency.solver == "teacher":
            used.append(("teacher.options.model", teacher_model))
        elif consistency.solver == "synthesizer":
            used.append(("generate.model", own_synthesizer if consistency.backend in LOCAL_BACKENDS else None))
        elif consistency.backend in LOCAL_BACKENDS:
            used.append(("filter.consistency.solver", consistency.solver))
    if "evaluate" in steps and config.evaluate is not None:
        used += [("evaluate.student", config.evaluate.student), ("teacher.options.model", teacher_model)]
    unique: list[tuple[str, str]] = []
    for field, model in used:
        if isinstance(model, str) and (field, model) not in unique:
            unique.append((field, model))
    return unique


def model_problem(model: str) -> str | None:
    """Why `model` cannot be loaded (one line), or None: a `demo:` model must be one the demo world
    builds; anything else is checked as `evalkit train` checks its base model."""
    if model.startswith("demo:"):
        name = model.split(":", 1)[1]
        if name not in DEMO_MODELS:
            return f"unknown demo model {model!r} (known: {', '.join(f'demo:{known}' for known in DEMO_MODELS)})"
        return None
    from evalkit.training.base_model import resolve_base_model

    try:
        resolve_base_model(model)
    except ConfigError as error:  # its words are about "the base model" of a training run
        message = str(error)
        for theirs, ours in (("base model not found: ", "model not found: "), ("base model ", "model ")):
            if message.startswith(theirs):
                return ours + message[len(theirs):]
        return message
    return None


def target_problem(spec: str, data_dir: str | None) -> str | None:
    """Why a `select.targets` entry cannot be read (one line), or None."""
    from evalkit.synthesis.influence import target_file, target_task

    path = target_file(spec)
    if path is not None:
        return None if path.is_file() else f"{spec} not found"
    try:
        task, split = target_task(spec)
    except EvalkitError as error:
        return f"{spec}: {error}"
    if data_dir == DATA_SPEC:  # the demo world's data is written when the select step runs
        return None
    from tasks.data import data_file, resolve_data_dir

    try:
        data_file(task.file_for(split), data_dir)
    except InputError:
        root, relative = resolve_data_dir(data_dir), task.file_for(split)
        if not root.is_dir():
            return (f"{spec}: the data directory {data_dir} (select.data_dir) does not exist" if data_dir else
                    f"{spec}: {relative} not found: set select.data_dir (the default data directory, {root}, "
                    "does not exist)")
        return (f"{spec}: {relative} not found in the data directory {root} ("
                + (task.data_hint or "set select.data_dir to a directory laid out like shared/data") + ")")
    return None


def check_synth_inputs(config: SynthConfig, steps: Sequence[str]) -> None:
    """Refuse, before any step runs, the models, targets and data directories that `steps` would
    fail on later: a `ConfigError` with one line per problem, each naming its field."""
    problems: list[str] = []
    for field, model in models_used(config, steps):
        problem = model_problem(model)
        if problem is not None:
            problems.append(f"field '{field}': {problem}")
    select = config.select
    if "select" in steps and select.enabled and select.method == "influence":
        for spec in select.targets:
            problem = target_problem(spec, select.data_dir)
            if problem is not None:
                problems.append(f"field 'select.targets': {problem}")
    directories = [("filter.data_dirs", spec) for spec in config.filter.data_dirs] if "filter" in steps else []
    if "evaluate" in steps and config.evaluate is not None and config.evaluate.data_dir:
        directories.append(("evaluate.data_dir", config.evaluate.data_dir))
    for field, directory in directories:
        if directory != DATA_SPEC and not Path(directory).is_dir():
            problems.append(f"field '{field}': the data directory {directory} does not exist")
    if problems:
        raise ConfigError("\n".join(problems))
