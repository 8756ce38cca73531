"""One-line runs: `evalkit run --model M --backend vllm --tasks aime24,math500 --n 16 ...` without a YAML file.

The flags map onto the same `RunConfig` a YAML file gives, field by field (`FLAG_FIELDS`), and
each task becomes one run whose resolved config is written into its run directory as usual:

    --model PATH_OR_ID   model (display name) and backend.options.model
    --backend NAME       backend.name (hf | vllm | openai | replay)
    --tasks a,b,c        one run per task (task)
    --n, --temperature, --top-p, --max-tokens, --seed        sampling.*
    --limit N            filters.limit (the first N problems: a smoke test)
    --prompt NAME        prompt (a format name; default: each task's own)
    --split, --data-source, --max-problems-in-flight          the fields of the same names
    --samples FILE       backend.options.path of the replay backend

With a YAML file the flags override its fields, and `--set field=value` overrides anything
after the flags. The runs of one command go into one folder (`--out`, default `runs/`), each in
`<model>-<task>-<hash>/`, so the same command resumes where it stopped; the folder then gets
one leaderboard of the command's runs: the ranked list (`leaderboard.md/.csv/.json`) and the
models x tasks table (`models_x_tasks.md/.csv/.json`), every cell with its confidence interval.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rich.console import Console

from evalkit.backends.base import Backend
from evalkit.config import RunConfig, apply_override, check_known_names, parse_config
from evalkit.errors import ConfigError, EvalkitError, InputError
from evalkit.store import Shard
from evalkit.text_safety import for_terminal

FLAG_FIELDS: Mapping[str, str] = {
    "n": "sampling.n",
    "temperature": "sampling.temperature",
    "top_p": "sampling.top_p",
    "max_tokens": "sampling.max_tokens",
    "seed": "sampling.seed",
    "limit": "filters.limit",
    "prompt": "prompt",
    "split": "split",
    "data_source": "data_source",
    "max_problems_in_flight": "max_problems_in_flight",
}
"""Flags that set one config field each (flag name -> dotted field)."""

REPLAY_BACKEND = "replay"


@dataclass(frozen=True)
class RunFlags:
    """The one-line flags of `evalkit run`; None (or an empty tuple) means "not given"."""

    model: str | None = None
    backend: str | None = None
    tasks: tuple[str, ...] = ()
    model_name: str | None = None
    samples: str | None = None
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    limit: int | None = None
    prompt: str | None = None
    split: str | None = None
    data_source: str | None = None
    max_problems_in_flight: int | None = None

    def given(self) -> bool:
        """Whether any flag was given."""
        return any(getattr(self, item.name) not in (None, ()) for item in fields(self))


def parse_task_list(text: str | None) -> tuple[str, ...]:
    """`"aime24, math500,aime24"` -> `("aime24", "math500")`; each name must be a registered task."""
    if text is None:
        return ()
    import tasks

    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not names:
        raise ConfigError(f"--tasks '{text}': name at least one task, e.g. --tasks aime24,math500")
    for name in names:
        tasks.get_task(name)  # ConfigError listing the known tasks
    return names


def display_name(model: str) -> str:
    """The name a model is shown under: the last part of a local path, a hub id or `builtin:tiny` as given."""
    path = Path(model).expanduser()
    if path.exists():
        return path.resolve().name or model
    return model


def flag_overrides(flags: RunFlags) -> dict[str, Any]:
    """The config fields the flags set, as dotted keys (`sampling.n`), in a fixed order."""
    overrides: dict[str, Any] = {}
    if flags.backend is not None:
        overrides["backend.name"] = flags.backend
    if flags.model is not None:
        overrides["model"] = flags.model_name or display_name(flags.model)
        if flags.backend != REPLAY_BACKEND:
            overrides["backend.options.model"] = flags.model
    elif flags.model_name is not None:
        overrides["model"] = flags.model_name
    if flags.samples is not None:
        overrides["backend.options.path"] = flags.samples
    for flag, dotted in FLAG_FIELDS.items():
        value = getattr(flags, flag)
        if value is not None:
            overrides[dotted] = value
    return overrides


def build_run_configs(flags: RunFlags, *, base: Mapping[str, Any] | None = None,
                      overrides: Mapping[str, Any] | None = None, source: str = "command line",
                      lines: Mapping[str, int] | None = None) -> list[RunConfig]:
    """One validated `RunConfig` per task: the YAML mapping `base` (if any), then the flags, then `--set`. `lines`
    (`config.read_yaml_config`'s lines of the file `base` was read from) puts the file's line in errors about the fields the
    file sets; a field a flag or `--set` gave is named as the command line's."""
    data: dict[str, Any] = copy.deepcopy(dict(base or {}))
    if base is None:
        missing = [name for name, value in (("--model", flags.model or flags.model_name),
                                            ("--backend", flags.backend), ("--tasks", flags.tasks)) if not value]
        if missing:
            raise ConfigError(f"without a config file, evalkit run needs {', '.join(missing)} "
                              "(e.g. evalkit run --model builtin:tiny --backend hf --tasks aime24 --n 2)")
    if flags.backend == REPLAY_BACKEND and flags.samples is None and base is None:
        raise ConfigError("--backend replay needs --samples FILE (the stored samples to replay)")
    base_backend = (base or {}).get("backend")
    backend_name = flags.backend or (base_backend.get("name") if isinstance(base_backend, dict) else None)
    if flags.samples is not None and backend_name not in (None, REPLAY_BACKEND):
        raise ConfigError(f"--samples replays stored samples: it needs --backend replay, not {backend_name}")
    for dotted, value in flag_overrides(flags).items():
        apply_override(data, dotted, value, source=source)
    for dotted, value in (overrides or {}).items():
        apply_override(data, dotted, value, source=source)
    task_names = flags.tasks or ((data["task"],) if data.get("task") else ())
    if not task_names:
        raise ConfigError(f"{source}: no task: give --tasks a,b or a 'task' field")
    given = [*flag_overrides(flags), *(overrides or {})]

    def source_of(field: str) -> str:
        return "command line" if any(field == dotted or field.startswith(dotted + ".") or dotted.startswith(field + ".")
                                     for dotted in given) else source

    configs = [parse_config({**data, "task": name}, source=source, source_of=source_of, lines=lines)
               for name in task_names]
    prompt_source = ("--set prompt" if "prompt" in (overrides or {})
                     else "--prompt" if flags.prompt is not None else source)
    for config in configs:  # an unknown name fails before any run directory is made, named where it was given
        check_known_names(source if not flags.tasks else "--tasks", {"task": ("task", config.task)})
        check_known_names(prompt_source, {"prompt": ("prompt", config.prompt)})
    return configs


def run_dir_for(root: Path, config: RunConfig, shard: Shard | None) -> Path:
    """The run directory of one config inside the folder of a one-line run."""
    from evalkit.pipeline.run import default_run_dir

    return root / default_run_dir(config, shard).name


def write_command_leaderboard(run_dirs: Sequence[Path], root: Path, console: Console) -> dict[str, Path]:
    """The leaderboard of the runs in a command's folder, written there and printed: this command's
    runs and the graded runs earlier commands left in the folder (`--out runs/` for one model, then
    for another, gives one table of both). A run of the folder that cannot be read or is not graded
    is left out with one line that says how many and which command reads them."""
    from evalkit.report.leaderboard import (
        find_run_dirs,
        leaderboard_rich_table,
        default_columns,
        default_metric,
        load_graded_run_row,
        load_run_row,
        sort_rows,
        write_leaderboard,
    )
    from evalkit.report.task_table import (
        DEFAULT_TASK_TABLE_METRICS,
        task_table_rich,
        write_task_table,
    )

    ours = {Path(run_dir).resolve() for run_dir in run_dirs}
    rows = [load_run_row(run_dir) for run_dir in run_dirs]
    left_out = 0
    for other in find_run_dirs([root]):
        if other.resolve() in ours:
            continue
        try:
            rows.append(load_graded_run_row(other))
        except (InputError, ConfigError):
            left_out += 1
    if left_out:
        console.print(f"[yellow]note[/] {left_out} other run(s) in {for_terminal(root)} are not graded or cannot be "
                      f"read, and are not in its leaderboard (`evalkit leaderboard {for_terminal(root)}` names them)",
                      highlight=False)
    metric = default_metric(rows)  # as `evalkit leaderboard` ranks the same folder
    rows = sort_rows(rows, metric)
    columns = default_columns(rows, metric)
    written = dict(write_leaderboard(rows, root, metric=metric, columns=columns))
    written.update(write_task_table(rows, root, metrics=DEFAULT_TASK_TABLE_METRICS))
    if len(rows) > 1:
        console.print(leaderboard_rich_table(rows, metric, columns, width=console.width))
    for metric in DEFAULT_TASK_TABLE_METRICS:
        console.print(task_table_rich(rows, metric))
    return written


class SharedBackends:
    """Backends built once per distinct backend config and shared by the runs of one command
    (a vLLM engine or a transformers model is loaded once for all tasks, as lm-eval does)."""

    def __init__(self) -> None:
        self._built: dict[str, Backend] = {}

    def factory(self, config: RunConfig) -> Callable[[], Backend]:
        from evalkit.pipeline.run import make_backend_factory

        key = json.dumps(config.backend.model_dump(mode="json"), sort_keys=True)

        def make() -> Backend:
            if key not in self._built:
                self._built[key] = make_backend_factory(config)()
            return self._built[key]

        return make


def run_configs(configs: Sequence[RunConfig], *, root: Path, shard: Shard | None = None,
                data_dir: Path | None = None, write_report: bool = True, show_progress: bool = True,
                console: Console | None = None) -> list[Path]:
    """Run each config into its own directory under `root` (sharing backends); then the command's
    leaderboard (when reporting). A run with problems that failed for good (`ProblemsFailed`), or
    with input it cannot use (`InputError`: a replay file that lacks the task's problems), does not
    keep the next runs from running: the others run and are reported, and then one error names the
    incomplete runs (running the same command again retries their problems)."""
    from evalkit.pipeline.run import run_evaluation
    from evalkit.pipeline.sample import ProblemsFailed

    console = console or Console()
    backends = SharedBackends()
    run_dirs: list[Path] = []
    incomplete: list[str] = []
    for config in configs:
        try:
            summary = run_evaluation(config, out=run_dir_for(root, config, shard), shard=shard, data_dir=data_dir,
                                     write_report=write_report, show_progress=show_progress, console=console,
                                     make_backend=backends.factory(config))
        except (ProblemsFailed, InputError) as error:  # failed problems, or input the task cannot use (a replay
            if len(configs) == 1:                      # file without its problems): the other tasks still run
                raise
            console.print(f"[yellow]{for_terminal(config.task)} is incomplete[/] (going on with the other tasks): "
                          f"{for_terminal(str(error))}", highlight=False)
            incomplete.append(f"{config.task}: {error}")
            continue
        run_dirs.append(summary.run_dir.path)
    if write_report and run_dirs:
        for path in write_command_leaderboard(run_dirs, root, console).values():
            console.print(f"wrote {for_terminal(path)}", highlight=False)
    if incomplete:
        raise EvalkitError(f"{len(incomplete)} of {len(configs)} runs are incomplete (the others finished) - "
                           + " | ".join(incomplete))
    return run_dirs
