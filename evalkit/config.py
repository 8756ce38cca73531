"""Run configuration: a YAML file validated by pydantic, with errors that name the field.

Only the fields that decide which samples a run produces enter the run's `config_hash`
(`SAMPLE_FIELDS`): task, split, data source, problem filters, prompt, backend name, the
backend options that change samples (all but `evalkit.backends.registry.OPERATIONAL_OPTIONS`)
and sampling. The display name `model`, `data_dir`, `max_problems_in_flight`, `rejected_prompts`,
grading and report settings, and operational backend options (timeouts, retries, concurrency, server address,
parallelism, memory settings) can change between invocations of one run without invalidating
the samples on disk; the run directory records such changes. A value written out that equals its
default (the task's prompt format, that format's stop strings, a backend option's default) hashes
as the default does, so a run started with defaults resumes with them spelled out, and back. What a path points to is checked
instead of hashed (runs stay portable): a resume refuses problems whose question or reference
differ from the stored ones, and a replay file whose content differs from the one recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from evalkit.backends.registry import sample_options
from evalkit.errors import ConfigError, EvalkitError

ModelT = TypeVar("ModelT", bound=BaseModel)

# The run-config fields that decide the samples: exactly these enter `config_hash`
# (of `backend`, its name and the options that are not operational).
SAMPLE_FIELDS = ("task", "split", "data_source", "prompt", "filters", "backend", "sampling")


MIN_RESAMPLES = 10
"""The fewest bootstrap resamples a confidence interval is drawn from (config and `--resamples`)."""


def _is_number_type(annotation: Any) -> bool:
    """Whether a field holds a number (`int`, `float`, optionally None), where YAML's `true` is a slip."""
    if annotation in (int, float):
        return True
    arguments = getattr(annotation, "__args__", ())
    return bool(arguments) and all(argument in (int, float, type(None)) for argument in arguments) \
        and any(argument in (int, float) for argument in arguments)


class StrictFields(BaseModel):
    """Config records: unknown fields refused, frozen, and `true`/`false` never read as a number
    (pydantic would take `n: true` as n = 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: Any) -> Any:
        if isinstance(value, bool) and info.field_name and _is_number_type(cls.model_fields[info.field_name].annotation):
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value


class BackendConfig(StrictFields):
    """Which backend samples, and the options passed to its constructor."""

    name: Literal["hf", "vllm", "openai", "replay"]
    options: dict[str, Any] = Field(default_factory=dict)


class SamplingConfig(StrictFields):
    n: int = Field(8, ge=1, description="samples per problem")
    temperature: float = Field(0.7, ge=0.0, allow_inf_nan=False)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(1024, ge=1)
    seed: int | None = 0
    stop: list[str] | None = Field(None, description="stop strings; None = the prompt format's own")
    logprobs: bool = False


def _id_as_text(value: Any) -> Any:
    """A problem id written as a YAML number (`ids: [60, 61]`, AIME's ids) is that id's text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ProblemId = Annotated[str, BeforeValidator(_id_as_text)]


class FilterConfig(StrictFields):
    subjects: list[str] | None = None
    levels: list[int] | None = None
    ids: list[ProblemId] | None = None
    limit: int | None = Field(None, ge=1)


class GradingConfig(StrictFields):
    workers: int | None = Field(None, ge=0)
    timeout: float = Field(5.0, gt=0.0, allow_inf_nan=False)


class ReportConfig(StrictFields):
    ks: list[Annotated[int, Field(ge=1)]] | None = None
    top_clusters: int = Field(8, ge=1)
    confidence: float = Field(0.95, gt=0.0, lt=1.0)
    resamples: int = Field(1000, ge=MIN_RESAMPLES)
    seed: int = 0


class RunConfig(StrictFields):
    """A whole evaluation run."""

    model: str = Field(description="display name of the model in reports and leaderboards")
    task: str
    split: str = "test"
    data_dir: str | None = None
    data_source: str | None = Field(
        None, description="None = files in the data directory; 'hf' = the task's Hugging Face dataset; "
        "'hf:NAME[:CONFIG]' = another dataset with the task's field names")
    prompt: str | None = Field(None, description="prompt format name; None = the task's default")
    filters: FilterConfig = Field(default_factory=FilterConfig)
    backend: BackendConfig
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    max_problems_in_flight: int | None = Field(
        None, ge=1, validation_alias=AliasChoices("max_problems_in_flight", "batch_problems"),
        description="memory bound: at most this many problems are given to the backend before earlier ones "
        "finish (None: the backend's default, which keeps the engine busy); `batch_problems` is its old name")
    rejected_prompts: Literal["fail", "record"] = Field(
        "fail", description="a prompt the backend refuses as written (longer than the context window, an HTTP 400 "
        "the server gives every time): 'fail' leaves the problem unsampled (the run stops incomplete and a rerun "
        "tries it again); 'record' writes it with n empty samples (finish_reason 'rejected', graded as no answer) "
        "so that the run completes, and its report counts it")
    grading: GradingConfig = Field(default_factory=GradingConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)

    @field_validator("model", "task", "split")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("data_source")
    @classmethod
    def _data_source(cls, value: str | None) -> str | None:
        """`files` (the default, as the docs name it) is None; otherwise `hf` or `hf:NAME[:CONFIG]`."""
        from tasks.data import HUB_PREFIX, parse_hub_spec

        if value is None or value.strip() == "files":
            return None
        if value != HUB_PREFIX:
            try:
                parse_hub_spec(value)  # the one reading of `hf:NAME[:CONFIG]`, which loading uses
            except ConfigError:
                raise ValueError(f"{value!r}: expected files, hf or hf:NAME[:CONFIG] (e.g. hf:openai/gsm8k:main)") from None
        return value

    def identity(self) -> dict[str, Any]:
        """The fields that decide the samples (`SAMPLE_FIELDS`); their hash names the run. A value
        written out that equals its default (the task's prompt format, that format's stop strings,
        a backend option's default) reads as left out, so both spellings name one run."""
        prompt, stop = _prompt_and_stop_as_set(self.task, self.prompt, self.sampling.stop)
        return {
            "task": self.task,
            "split": self.split,
            "data_source": self.data_source,
            "prompt": prompt,
            "filters": self.filters.model_dump(),
            "backend": {"name": self.backend.name,
                        "options": sample_options(self.backend.name, dict(self.backend.options))},
            "sampling": {**self.sampling.model_dump(), "stop": stop},
        }

    def config_hash(self) -> str:
        canonical = json.dumps(self.identity(), sort_keys=True, ensure_ascii=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _prompt_and_stop_as_set(task: str, prompt: str | None, stop: list[str] | None) -> tuple[str | None, list[str] | None]:
    """`prompt` and `stop` with None for a value that only repeats its default: the task's default
    prompt format, and the stop strings of the prompt format the run uses. A task or format that is
    not known (a run imported from elsewhere) leaves them as they are."""
    import tasks

    try:
        default = tasks.get_task(task).default_prompt_format
        format_stop = tasks.run_prompt_format(task, prompt).stop
    except EvalkitError:
        return prompt, stop
    return (None if prompt == default else prompt), (None if stop is not None and tuple(stop) == format_stop else stop)


def validate_mapping(model: type[ModelT], data: Any, *, source: str = "<config>",
                     source_of: Callable[[str], str] | None = None, lines: Mapping[str, int] | None = None) -> ModelT:
    """Validate a config mapping against a pydantic model; errors name the source and every bad field
    (`source_of(field)`, where given, names where a field came from: a `--set` rather than the file), with the line
    of the file that writes it where `lines` (`read_yaml_config`) knows it."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of fields, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]) or "(top level)"
            message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"].removeprefix("Value error, ")
            where = source_of(field) if source_of else source
            line = _line_of(field, lines or {}) if where == source else None
            problems.append(f"{where}{f':{line}' if line is not None else ''}: field '{field}': {message}")
        raise ConfigError("\n".join(problems)) from None


def _line_of(field: str, lines: Mapping[str, int]) -> int | None:
    """The line that writes `field` (`sampling.temprature`), else the line of the nearest section holding it."""
    parts = field.split(".")
    while parts:
        line = lines.get(".".join(parts))
        if line is not None:
            return line
        parts.pop()
    return None


def _key_lines(root: yaml.Node | None) -> dict[str, int]:
    """The line (from 1) of each key of a composed YAML document by its dotted path (`sampling.n`, `tasks.0.name`)."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node | None, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    path = f"{prefix}{key_node.value}"
                    lines.setdefault(path, key_node.start_mark.line + 1)
                    walk(value_node, path + ".")
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines.setdefault(f"{prefix}{index}", item.start_mark.line + 1)
                walk(item, f"{prefix}{index}.")

    walk(root, "")
    return lines


def check_known_names(source: str, fields: dict[str, tuple[str, str | None]]) -> None:
    """Fields that name a registered task or prompt format (`{field path: ("task" | "prompt", value)}`,
    None values skipped) must name a known one; one line per bad field, naming the source and field."""
    import tasks

    lookups = {"task": tasks.get_task, "prompt": tasks.get_prompt_format}
    problems = []
    for field, (kind, value) in fields.items():
        if value is None:
            continue
        try:
            lookups[kind](value)
        except ConfigError as error:
            problems.append(f"{source}: field '{field}': {error}")
    if problems:
        raise ConfigError("\n".join(problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that names one key twice (PyYAML keeps the last
    silently: `task: aime24` then `task: amc23` ran amc23)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults`: merged keys may be overridden, as YAML says
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) or key is None:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def read_yaml_config(path: str | Path) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML config file's content (an empty file is an empty mapping) and the line of each of its keys by dotted path
    (`sampling.temprature`: 9), from one parse; errors name file and line."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory, not a YAML config file")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:  # `error.object` holds the bytes read
        line = error.object[:error.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset "
                          f"{error.start}); save the file as UTF-8") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror or error})") from None
    loader = _UniqueKeyLoader(text)  # a SafeLoader
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of fields, got {type(data).__name__}")
    return data, _key_lines(root)


RENAMED_FIELDS: dict[str, str] = {"batch_problems": "max_problems_in_flight"}
"""Old top-level field names still read, and the current name of each."""


def parse_config(data: Any, *, source: str = "<config>", source_of: Callable[[str], str] | None = None,
                 lines: Mapping[str, int] | None = None) -> RunConfig:
    """Validate a run config mapping; errors name the source (and line, from `lines`) and every bad field."""
    if isinstance(data, dict):
        for old, new in RENAMED_FIELDS.items():
            if old in data and new in data:
                raise ConfigError(f"{source}: '{old}' is the old name of '{new}'; give only '{new}'")
    return validate_mapping(RunConfig, data, source=source, source_of=source_of, lines=lines)


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read a YAML run config, apply dotted-key overrides (`sampling.n=4`), validate it."""
    data, lines = read_yaml_config(path)
    for dotted, value in (overrides or {}).items():
        apply_override(data, dotted, value, source=f"--set {dotted}")
    return parse_config(data, source=str(path), source_of=lambda field: _source_of(field, str(path), overrides or {}),
                        lines=lines)


def _source_of(field: str, path: str, overrides: Mapping[str, Any]) -> str:
    """Where a field of a config file came from: the `--set` that gave it, where one did (`--set foo.bar=1` makes
    the field `foo` the file never had), else the file."""
    for dotted in overrides:
        if field == dotted or field.startswith(dotted + ".") or dotted.startswith(field + "."):
            return f"--set {dotted}"
    return path


def apply_override(data: dict[str, Any], dotted: str, value: Any, *, source: str) -> None:
    """Set `data["a"]["b"] = value` for `dotted == "a.b"`, creating mappings on the way."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of fields")
    for old_name, current in RENAMED_FIELDS.items():  # one field under either name
        if dotted in (old_name, current):
            data.pop(old_name, None)
            dotted = current
    keys = dotted.split(".")
    target = data
    for key in keys[:-1]:
        child = target.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{source}: field '{dotted}': '{key}' is not a mapping")
        target = child
    target[keys[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """`key.sub=value` from the command line; the value is read as YAML (`4`, `true`, `[1, 2]`)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override '{text}': expected KEY=VALUE, e.g. sampling.n=4")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def dump_config(config: RunConfig) -> str:
    """The resolved config as YAML, with its hash, for `config.yaml` in the run directory."""
    data = config.model_dump(mode="json")
    data["config_hash"] = config.config_hash()
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
