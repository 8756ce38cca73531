"""What a task is, and the registry that finds tasks by name.

A task is one `Task` value declared in one small module (`tasks/math.py`, ...): where its
files live, how one raw record becomes a `Problem`, which prompt format and answer-extraction
style suit it, and optionally where the same data lives on the Hugging Face hub. The registry
is an immutable mapping built once from those values in `tasks/__init__.py`; there is no
registration side effect and no inheritance between task declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evalkit.errors import ConfigError, InputError
from evalkit.grading.policy import DEFAULT_POLICY, GradingPolicy
from evalkit.records import Problem

RecordParser = Callable[[Mapping[str, Any], "RecordSource"], Problem]
"""Turns one raw record (local-file field names) into a `Problem`, raising `InputError` on bad fields."""


@dataclass(frozen=True)
class RecordSource:
    """Where one raw record came from, for ids that depend on position and for error messages.

    `location` is the file path (or `hf:dataset` spec) and `line` its 1-based line number
    (for hub rows, the 1-based row number). `index` is the 0-based position of the record
    among the records of its split, and `split` the split's name.
    """

    location: str
    line: int
    index: int
    split: str


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face dataset holding a task's data, and how its fields map to the local layout.

    `field_map` maps a local field name (as in `shared/data`) to the hub dataset's column name,
    for the columns whose names differ. `configs` lists dataset configurations to load one
    after another (some datasets split one benchmark into one configuration per subject);
    empty means the dataset's default configuration. `id_field` names the local field that
    carries the problem id; a hub row without it gets the synthetic id
    `hf:<split>/<config>/<row>` (or `hf:<split>/<row>`), which is stable for one dataset
    revision but not comparable with the ids of the local files.
    """

    dataset: str
    configs: tuple[str, ...] = ()
    field_map: Mapping[str, str] = field(default_factory=dict)
    id_field: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "configs", tuple(self.configs))
        object.__setattr__(self, "field_map", MappingProxyType(dict(self.field_map)))


@dataclass(frozen=True)
class Task:
    """One benchmark: its data files per split, record parser, default prompt and grading policy.

    `splits` maps a split name to the data file's path relative to the data directory
    (laid out like `shared/data`, e.g. `"math/test.jsonl"`). `grading` holds the task's grading
    conventions (`evalkit.grading.policy.GradingPolicy`): how answers are extracted, decimal
    commas, numeric tolerance.
    """

    name: str
    description: str
    splits: Mapping[str, str]
    parse_record: RecordParser
    default_prompt_format: str
    grading: GradingPolicy = DEFAULT_POLICY
    hub: HubSource | None = None
    data_hint: str | None = None
    """How to get this task's data when a split's file is missing (for a task generated locally,
    how to generate it); None gives the general hint (a data directory, or the hub)."""

    def __post_init__(self) -> None:
        if not isinstance(self.grading, GradingPolicy):
            raise ValueError(f"task {self.name!r}: grading must be a GradingPolicy, got {type(self.grading).__name__}")
        if not self.splits:
            raise ValueError(f"task {self.name!r} declares no splits")
        object.__setattr__(self, "splits", MappingProxyType(dict(self.splits)))

    @property
    def answer_style(self) -> str:
        """How answers are extracted from responses (the policy's `extraction`)."""
        return self.grading.extraction

    def load(self, split: str = "test", *, data_dir: Path | str | None = None,
             source: str | None = None) -> list[Problem]:
        """All problems of one split, in file order.

        By default the split's JSONL file is read from the data directory (`data_dir`, else
        `$EVALKIT_DATA_DIR`, else `./data`). `source="hf"` reads the task's Hugging Face
        dataset instead, and `source="hf:NAME[:CONFIG]"` any other dataset whose columns
        have the local field names.
        """
        from tasks.data import load_task_problems

        return load_task_problems(self, split, data_dir=data_dir, source=source)

    def file_for(self, split: str) -> str:
        """The data file of `split`, relative to the data directory; `InputError` for an unknown split."""
        try:
            return self.splits[split]
        except KeyError:
            raise InputError(f"task {self.name!r} has no split {split!r}; known splits: {', '.join(self.splits)}") from None


def build_registry(*tasks: Task) -> Mapping[str, Task]:
    """An immutable name -> task mapping; two tasks with one name are a programming error."""
    registry: dict[str, Task] = {}
    for task in tasks:
        if task.name in registry:
            raise ValueError(f"two tasks are named {task.name!r}")
        registry[task.name] = task
    return MappingProxyType(registry)


def lookup_task(registry: Mapping[str, Task], name: str) -> Task:
    """The task called `name`, or a `ConfigError` listing the known names."""
    try:
        return registry[name]
    except KeyError:
        raise ConfigError(f"unknown task {name!r}; known tasks: {', '.join(sorted(registry))}") from None
