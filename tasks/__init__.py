"""Benchmarks: each task is one small module; this file gathers them into the registry.

To add a task, write `tasks/<name>.py` defining `TASK = Task(...)`, then import it below and
add it to the `build_registry` call. To ship its test set with the package, add the file to
`scripts/ship_test_sets.py` and run it (it copies the file and records its sha256 in
`tasks/testsets/manifest.json`).
"""

from __future__ import annotations

from tasks import aime24, aime25, amc23, arith, gsm8k, math, math500, minerva_math, olympiadbench
from tasks.data import filter_problems, resolve_data_dir
from tasks.prompts import PromptFormat, get_prompt_format, list_prompt_formats
from tasks.registry import HubSource, RecordSource, Task, build_registry, lookup_task

TASKS = build_registry(
    math.TASK, math500.TASK, gsm8k.TASK, aime24.TASK, aime25.TASK, amc23.TASK, minerva_math.TASK, olympiadbench.TASK,
    arith.TASK,
)


def get_task(name: str) -> Task:
    """The task called `name` (`ConfigError` listing the known names otherwise)."""
    return lookup_task(TASKS, name)


def run_prompt_format(task: str, prompt: str | None) -> PromptFormat:
    """The prompt format a run of `task` uses: the one named `prompt`, else the task's default."""
    return get_prompt_format(prompt or get_task(task).default_prompt_format)


def list_tasks() -> list[str]:
    """The names of all registered tasks, sorted."""
    return sorted(TASKS)


__all__ = [
    "HubSource", "PromptFormat", "RecordSource", "TASKS", "Task", "filter_problems", "get_prompt_format",
    "get_task", "list_prompt_formats", "list_tasks", "resolve_data_dir", "run_prompt_format",
]
