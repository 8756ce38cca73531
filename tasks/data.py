"""Finding and reading task data: the local data directory, the Hugging Face hub, and filters.

Local files are laid out like `shared/data` (`math/test.jsonl`, `gsm8k/train.jsonl`, ...).
The data directory is the `data_dir` argument, else `$EVALKIT_DATA_DIR`, else `./data`; one given
(argument or variable) must exist. A file the data directory does not hold is read from the test
sets shipped inside the package
(`tasks.shipped`: the test splits of every benchmark), so evaluations work with no data directory.
Hub datasets are read through `datasets.load_dataset`, with a column mapping to the local
field names, so that one record parser per task serves both sources.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import iter_jsonl
from evalkit.records import Problem

if TYPE_CHECKING:
    from tasks.registry import HubSource, RecordSource, Task

DATA_DIR_ENV = "EVALKIT_DATA_DIR"
HUB_PREFIX = "hf"


def resolve_data_dir(data_dir: Path | str | None = None) -> Path:
    """The data directory to read: the argument, else `$EVALKIT_DATA_DIR`, else `./data`."""
    if data_dir is not None:
        return Path(data_dir)
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env)
    return Path.cwd() / "data"


def data_file(relative: str, data_dir: Path | str | None = None, *, hint: str | None = None) -> Path:
    """The path of one data file: in the data directory, else its shipped copy; otherwise an
    `InputError` saying where it was expected and how to get it (`hint`, else how to point elsewhere)."""
    from tasks.shipped import shipped_path

    root = resolve_data_dir(data_dir)
    path = root / relative
    if path.is_file():
        return path
    explicit = data_dir is not None or bool(os.environ.get(DATA_DIR_ENV))
    if explicit and not root.is_dir():  # a mistyped --data-dir must not quietly read the shipped copy
        raise InputError(f"the data directory {root} {'is a file' if root.is_file() else 'does not exist'} (given by "
                         f"{'--data-dir or a config data_dir' if data_dir is not None else DATA_DIR_ENV})"
                         + (f"; {hint}" if hint else ""), path=root)
    shipped = shipped_path(relative)
    if shipped is not None:
        return shipped
    if hint is not None:
        raise InputError(f"data file not found (expected {relative} under the data directory {root}); {hint}",
                         path=path)
    raise InputError(
        f"data file not found (expected {relative} under the data directory {root}; only test sets ship "
        f"with evalkit); pass --data-dir DIR or set {DATA_DIR_ENV}=DIR to a directory laid out like shared/data "
        f"(math/train.jsonl, gsm8k/train.jsonl, ...), or read the hub with data_source: hf",
        path=path,
    )


def require_text(record: Mapping[str, Any], name: str, source: RecordSource) -> str:
    """The string field `name` of a raw record, or an `InputError` naming file, line and field."""
    if name not in record:
        raise InputError("missing field", path=source.location, line=source.line, field=name)
    value = record[name]
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {type(value).__name__}", path=source.location,
                         line=source.line, field=name)
    return value


def require_field(record: Mapping[str, Any], name: str, source: RecordSource) -> Any:
    """The field `name` of a raw record (any JSON value but null), or an `InputError` naming file, line and field."""
    if record.get(name) is None:
        raise InputError("missing field" if name not in record else "is null", path=source.location,
                         line=source.line, field=name)
    return record[name]


def id_text(record: Mapping[str, Any], name: str, source: RecordSource) -> str:
    """A record's id field as a string: ids are written as strings (`"0"`) or integers (`60`)."""
    value = require_field(record, name, source)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or (isinstance(value, str) and not value.strip()):
        raise InputError(f"expected a non-empty string or an integer, got {value!r}", path=source.location,
                         line=source.line, field=name)
    return str(value)


def answer_text(record: Mapping[str, Any], name: str, source: RecordSource) -> str:
    """A reference answer field as a string: text as it is (stripped), integers as written, and a float
    that is a whole number without its `.0` (AMC 2023 stores `27.0`); other floats as Python writes them."""
    value = require_field(record, name, source)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    raise InputError(f"expected an answer (text or a number), got {value!r}", path=source.location,
                     line=source.line, field=name)


def load_task_problems(task: Task, split: str, *, data_dir: Path | str | None = None,
                       source: str | None = None) -> list[Problem]:
    """The problems of one split of `task`, from local files or (with `source`) from the hub."""
    if source is not None:
        hub = hub_source_for(task, source)
        return load_hub_problems(task, split, hub)
    relative = task.file_for(split)
    path = data_file(relative, data_dir, hint=task.data_hint)
    problems = problems_from_rows(task, iter_jsonl(path), split=split, location=str(path))
    if not problems:  # an empty file is a broken copy, never a split of no problems
        raise InputError(f"no records: the {task.name} {split} file is empty (expected one JSON object a line)",
                         path=path)
    return problems


def problems_from_rows(task: Task, rows: Iterable[tuple[int, Mapping[str, Any]]], *, split: str,
                       location: str) -> list[Problem]:
    """Parse `(line_number, record)` pairs with the task's parser; duplicate ids are an error."""
    from tasks.registry import RecordSource

    problems: list[Problem] = []
    first_line_of: dict[str, int] = {}
    for index, (line, record) in enumerate(rows):
        source = RecordSource(location=location, line=line, index=index, split=split)
        problem = task.parse_record(record, source)
        if problem.id in first_line_of:
            raise InputError(f"duplicate problem id {problem.id!r} (first seen on line {first_line_of[problem.id]})",
                             path=location, line=line)
        first_line_of[problem.id] = line
        problems.append(problem)
    return problems


# --- Hugging Face hub -------------------------------------------------------------------------

def parse_hub_spec(spec: str) -> tuple[str, str | None]:
    """Split `hf:NAME[:CONFIG]` into the dataset name and configuration."""
    parts = spec.split(":")
    if parts[0] != HUB_PREFIX or len(parts) not in (2, 3) or not parts[1]:
        raise ConfigError(f"bad data source {spec!r}: expected 'hf' or 'hf:NAME[:CONFIG]' (e.g. hf:openai/gsm8k:main)")
    config = parts[2] if len(parts) == 3 and parts[2] else None
    return parts[1], config


def hub_source_for(task: Task, spec: str) -> HubSource:
    """The hub dataset named by `spec`: `"hf"` for the task's own, `"hf:NAME[:CONFIG]"` for another.

    Another dataset keeps the task's column mapping and id field, so it must use either the
    local field names or those of the task's usual hub dataset.
    """
    from tasks.registry import HubSource

    if spec == HUB_PREFIX:
        if task.hub is None:
            raise ConfigError(f"task {task.name!r} has no Hugging Face dataset; name one with hf:NAME[:CONFIG]")
        return task.hub
    name, config = parse_hub_spec(spec)
    template = task.hub
    return HubSource(
        dataset=name,
        configs=(config,) if config else (),
        field_map=template.field_map if template else {},
        id_field=template.id_field if template else None,
    )


def map_hub_row(row: Mapping[str, Any], hub: HubSource, *, synthetic_id: str) -> dict[str, Any]:
    """One hub row with its columns renamed to the local field names (unmapped columns kept as is).

    When the hub declares an `id_field` and the row lacks it, `synthetic_id` fills it.
    """
    renamed_columns = set(hub.field_map.values())
    record = {key: value for key, value in row.items() if key not in renamed_columns}
    for local_name, hub_name in hub.field_map.items():
        if hub_name in row:
            record[local_name] = row[hub_name]
    if hub.id_field is not None and record.get(hub.id_field) is None:
        record[hub.id_field] = synthetic_id
    return record


def hub_rows(rows: Iterable[Mapping[str, Any]], hub: HubSource, *, split: str,
             config: str | None) -> Iterable[tuple[int, dict[str, Any]]]:
    """`(row_number, local_record)` pairs of one hub split, row numbers 1-based."""
    prefix = f"{HUB_PREFIX}:{split}/{config}" if config else f"{HUB_PREFIX}:{split}"
    for number, row in enumerate(rows, start=1):
        yield number, map_hub_row(row, hub, synthetic_id=f"{prefix}/{number - 1}")


def problems_from_dataset(task: Task, dataset: Iterable[Mapping[str, Any]], hub: HubSource, *, split: str,
                          config: str | None = None) -> list[Problem]:
    """Problems from an already loaded `datasets.Dataset` (or any iterable of row dicts)."""
    location = f"{HUB_PREFIX}:{hub.dataset}" + (f":{config}" if config else "")
    return problems_from_rows(task, hub_rows(dataset, hub, split=split, config=config),
                              split=split, location=location)


def load_hub_problems(task: Task, split: str, hub: HubSource) -> list[Problem]:
    """Download (or read from the local `datasets` cache) one split of a hub dataset and parse it."""
    try:
        import datasets
    except ImportError as error:
        raise ConfigError("reading from the Hugging Face hub needs the `datasets` package (pip install datasets)") from error
    problems: list[Problem] = []
    for config in hub.configs or (None,):
        location = f"{HUB_PREFIX}:{hub.dataset}" + (f":{config}" if config else "")
        try:
            dataset = datasets.load_dataset(hub.dataset, config, split=split)
        except Exception as error:  # the hub client raises many kinds; all mean "could not load"
            raise InputError(f"could not load split {split!r} from the Hugging Face hub: {error}",
                             path=location) from None
        problems.extend(problems_from_dataset(task, dataset, hub, split=split, config=config))
    seen: set[str] = set()
    for problem in problems:
        if problem.id in seen:
            raise InputError(f"duplicate problem id {problem.id!r} across configurations", path=f"hf:{hub.dataset}")
        seen.add(problem.id)
    return problems


# --- Filters ----------------------------------------------------------------------------------

def subject_key(subject: str) -> str:
    """A subject name folded for matching: "Counting & Probability" and "counting_and_probability" agree."""
    folded = subject.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def _as_list(values: Iterable[Any] | str | None) -> list[Any]:
    """Filter values as a list; a lone string is one value, not a sequence of characters."""
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)


def filter_problems(problems: Sequence[Problem], *, subjects: Iterable[str] | None = None,
                    levels: Iterable[int] | None = None, ids: Iterable[str] | None = None,
                    limit: int | None = None) -> list[Problem]:
    """The problems that match every given filter, in their original order, cut to the first `limit`.

    Subjects match `meta["subject"]` case-insensitively, also in MATH's folder spelling
    (`number_theory`). A subject, level or id that matches no problem is an error rather
    than an empty result, so a typo cannot silently shrink an evaluation. An empty list is no
    filter, like None.
    """
    selected = list(problems)
    subjects, levels, ids = (_as_list(values) for values in (subjects, levels, ids))
    if subjects:
        wanted = {subject_key(subject): subject for subject in subjects}
        present = {subject_key(str(p.meta["subject"])): str(p.meta["subject"])
                   for p in selected if p.meta.get("subject") is not None}
        unknown = [name for key, name in wanted.items() if key not in present]
        if unknown:
            raise InputError(f"unknown subject(s) {', '.join(map(repr, unknown))}; "
                             f"available: {', '.join(sorted(present.values())) or 'none (this task has no subjects)'}")
        selected = [p for p in selected if p.meta.get("subject") is not None
                    and subject_key(str(p.meta["subject"])) in wanted]
    if levels:
        wanted_levels = set(levels)
        present_levels = {p.meta.get("level") for p in selected} - {None}
        missing = sorted(wanted_levels - present_levels)
        if missing:
            raise InputError(f"no problems at level(s) {', '.join(map(str, missing))}; "
                             f"available: {', '.join(map(str, sorted(present_levels))) or 'none (this task has no levels)'}")
        selected = [p for p in selected if p.meta.get("level") in wanted_levels]
    if ids:
        wanted_ids = list(dict.fromkeys(ids))
        known = {p.id for p in problems}
        unknown_ids = [problem_id for problem_id in wanted_ids if problem_id not in known]
        if unknown_ids:
            shown = ", ".join(map(repr, unknown_ids[:5])) + (f" and {len(unknown_ids) - 5} more" if len(unknown_ids) > 5 else "")
            raise InputError(f"{len(unknown_ids)} unknown problem id(s): {shown}")
        id_set = set(wanted_ids)
        selected = [p for p in selected if p.id in id_set]
    if limit is not None:
        if limit < 1:
            raise InputError(f"limit must be at least 1, got {limit}")
        selected = selected[:limit]
    return selected
