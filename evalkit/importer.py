"""`evalkit import`: turn someone else's samples into a run directory that evalkit grades and reports.

Canonical input, one JSON object per line and per problem:

    {"id": "test/algebra/1.json", "question": "...", "reference": "7",
     "samples": [{"text": "...", "score": 0.9}, ...]}

`samples` may also be a list of plain strings, and scores may come as a parallel list
(`"scores": [0.9, 0.1]` or `[[0.9], [0.1]]`, as in the Qwen2.5-Math and
math-evaluation-harness dumps). Other layouts are read through a field mapping such as
`question=query,reference=gt,samples=code,scores=pred_score`, whose paths may be dotted
(`reference=answer.value`, `samples=outputs.0.texts`). The dumps of other tools are read with a
preset instead (`--preset qwen25-math | lm-eval | lighteval | plain`, see `evalkit.import_presets`),
which turns each of their records into this canonical form.

A line without its question or reference (outputs of a generation script that kept only the
problem id, or only the question) takes them from the task's own data: the problem of the
`--split` (default `test`) with the same id, else with the same question (white space aside).
A line whose id names a task problem with another question is refused, never mixed; the run's
config records which split filled how many problems and a digest of what was filled.

Every bad line is reported, with its line number, in one error, and then nothing is written:
an import is all or nothing, and no problem is silently dropped. The file is parsed once and
streamed: each problem is checked and written to staged files at once, which replace the run's
files only when the whole file is good, so a dump of long reasoning outputs is never held in
memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Optional

import typer
import yaml

from evalkit.errors import ConfigError, EvalkitError, InputError
from evalkit.hashing import file_sha256
from evalkit.import_presets import ImportPreset, RecordError, get_preset, parquet_rows
from evalkit.jsonl import JSON_ARRAY_MESSAGE, UTF16_BOMS, UTF16_MESSAGE, StagedFile, json_error_text
from evalkit.paths import refuse_output_over_inputs
from evalkit.progress import make_progress
from evalkit.records import (
    Problem,
    Sample,
    canonical_finish_reason,
    misspelled_sample_field,
    parse_reference,
    question_key,
)
from evalkit.store import RunDir
from evalkit.store.scores import SELECTION_IMPORTED
from evalkit.text_safety import for_terminal
from tasks.math import parse_level
from tasks.registry import RecordSource

IMPORT_FIELDS = ("id", "question", "reference", "samples", "scores", "subject", "level")
REQUIRED_FIELDS = ("question", "reference", "samples")
DEFAULT_MAPPING: Mapping[str, str] = MappingProxyType({field: field for field in IMPORT_FIELDS})
IMPORTED_SCORER = "imported"
MAX_REPORTED_ERRORS = 20
MISSING = object()
"""What `resolve_path` returns when a path leads nowhere (distinct from a JSON null)."""


class TaskProblems:
    """The problems of one split of a task, by id and by question, read when first needed: what
    fills an import line's missing question or reference. A question asked by several problems
    of the split finds none of them (it could not say which)."""

    def __init__(self, task: Any, split: str, data_dir: Path | str | None) -> None:
        self.task, self.split, self.data_dir = task, split, data_dir
        self._by_id: dict[str, Problem] | None = None
        self._by_question: dict[str, Problem | None] = {}
        self._unreadable: str | None = None

    @property
    def name(self) -> str:
        return f"{self.task.name} {self.split}"

    def _load(self) -> dict[str, Problem]:
        if self._by_id is None:
            problems = self.task.load(self.split, data_dir=self.data_dir)
            self._by_id = {problem.id: problem for problem in problems}
            for problem in problems:
                key = question_key(problem.question)
                self._by_question[key] = None if key in self._by_question else problem
        return self._by_id

    def readable(self) -> bool:
        """Whether the split's data can be read here (a line that needs nothing from it is still
        checked against it when it can)."""
        if self._by_id is None and self._unreadable is None:
            try:
                self._load()
            except EvalkitError as error:
                self._unreadable = str(error)
        return self._by_id is not None

    def find(self, problem_id: str | None, question: str | None) -> tuple[Problem, str] | None:
        """The task problem with this id, else with this question, and which of the two found it."""
        by_id = self._load()
        if problem_id is not None and problem_id in by_id:
            return by_id[problem_id], "id"
        found = self._by_question.get(question_key(question)) if question is not None else None
        return (found, "question") if found is not None else None


@dataclass(frozen=True)
class ImportedProblem:
    """One problem read from an import file: the problem, its samples and, if given, their scores."""

    line: int
    problem: Problem
    samples: tuple[Sample, ...]
    scores: tuple[float | None, ...] | None
    id_from_line_number: bool
    one_sample_line: bool = False  # the line held one sample (a string), not a list: lines of one id join
    filled_by: str | None = None  # "id" or "question": the question or reference came from the task's data
    outside_task: bool = False  # neither its id nor its question is a problem of the task's split
    other_reference: str | None = None  # the split's reference for its question, where the line gives another


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote (or found already written, when `fresh` is False)."""

    run_dir: Path
    problems: int
    samples: int
    min_samples: int
    max_samples: int
    has_scores: bool
    ids_from_line_numbers: int
    config_hash: str
    fresh: bool
    filled: Mapping[str, Any] | None = None
    outside_task: int = 0
    """Problems that are not the task split's (by id or question): graded by its conventions, not its benchmark."""
    other_references: int = 0
    """Problems found by their question whose reference is not the split's (their own reference is kept)."""
    first_other_reference: str | None = None
    """Where the first of those is and what differs, for the note (`line 3, problem '0': '999', where ...`)."""


# --- mapping and field access -------------------------------------------------------------------

def parse_mapping(specs: str | Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    """The full field mapping: the defaults overridden by `FIELD=PATH` items (comma-separated or a list).

    Known fields are `id`, `question`, `reference`, `samples`, `scores`, `subject` and `level`.
    """
    mapping = dict(DEFAULT_MAPPING)
    if specs is None:
        return mapping
    if isinstance(specs, Mapping):
        items = [f"{key}={value}" for key, value in specs.items()]
    else:
        texts = [specs] if isinstance(specs, str) else list(specs)
        items = [item.strip() for text in texts for item in text.split(",") if item.strip()]
    seen: set[str] = set()
    for item in items:
        field, sep, path = (part.strip() for part in item.partition("="))
        if not sep or not field or not path:
            raise ConfigError(f"--map item {item!r}: expected FIELD=PATH, e.g. reference=gt or reference=answer.value")
        if field not in IMPORT_FIELDS:
            raise ConfigError(f"--map item {item!r}: unknown field {field!r}; known fields: {', '.join(IMPORT_FIELDS)}")
        if field in seen:
            raise ConfigError(f"--map: field {field!r} is mapped twice")
        if any(not segment for segment in path.split(".")):
            raise ConfigError(f"--map item {item!r}: empty segment in path {path!r}")
        seen.add(field)
        mapping[field] = path
    return mapping


def explicit_fields(mapping: Mapping[str, str]) -> set[str]:
    """The fields whose path differs from the default: those must be present on every line."""
    return {field for field, path in mapping.items() if DEFAULT_MAPPING.get(field) != path}


def resolve_path(record: Any, dotted: str) -> Any:
    """The value at a dotted path (`answer.value`, `outputs.0.text`), or `MISSING`."""
    value = record
    for segment in dotted.split("."):
        if isinstance(value, Mapping) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment.lstrip("-").isdigit() and -len(value) <= int(segment) < len(value):
            value = value[int(segment)]
        else:
            return MISSING
    return value


# --- one line ---------------------------------------------------------------------------------

def _finite_number(value: Any, *, where: str) -> float:
    """A JSON number as a finite float; strings, booleans, NaN and infinities are rejected."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {json.dumps(value)[:40]}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{where}: expected a finite number, got {value}")
    return number


def parse_score(value: Any, *, where: str) -> float | None:
    """One score: a number, a one-element list holding a number, or null (not scored)."""
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError(f"{where}: expected a number or a one-element list, got a list of {len(value)}")
        value = value[0]
    return _finite_number(value, where=where)


def _token_count(value: int | None, where: str) -> int | None:
    """A sample's token count: a non-negative integer, or None (unknown), as the replay backend reads it."""
    if value is not None and value < 0:
        raise ValueError(f"{where}: 'num_tokens' must be a non-negative integer or null, got {value}")
    return value


def _optional_typed(item: Mapping[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    value = item.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
        raise ValueError(f"{where}: '{key}' must be {' or '.join(k.__name__ for k in kinds)} or null")
    return value


def _duplicate_id_message(item: ImportedProblem, first: tuple[int, str, bool]) -> str:
    """Why a line's id repeats an earlier one, naming the line that numbered itself where one did (a line
    without an id takes its line number as id, which can meet another line's own id)."""
    first_line, _, first_numbered = first
    numbered = [f"line {number} has no id and takes its line number"
                for number, by_line in ((first_line, first_numbered), (item.line, item.id_from_line_number)) if by_line]
    if not numbered:
        return f"duplicate id {item.problem.id!r} (first on line {first_line})"
    return (f"duplicate id {item.problem.id!r} (first on line {first_line}): {' and '.join(numbered)}; "
            "give every line an id, or none")


def parse_samples(raw: Any, problem_id: str) -> tuple[tuple[Sample, ...], tuple[float | None, ...] | None]:
    """Samples given as strings or `{"text", "score"?, "finish_reason"?, "num_tokens"?, "logprob"?}` objects
    (an OpenAI chat completion's `choices` too: the text is `message.content`).

    Returns the samples and the per-sample scores (None when no sample carries a score).
    """
    if not isinstance(raw, list):
        raise ValueError(f"expected a list of samples, got {type(raw).__name__}")
    if not raw:
        raise ValueError("no samples")
    samples: list[Sample] = []
    scores: list[float | None] = []
    for index, item in enumerate(raw):
        where = f"sample {index}"
        if isinstance(item, str):
            samples.append(Sample(problem_id=problem_id, index=index, text=item))
            scores.append(None)
            continue
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: expected a string or an object with 'text', got {type(item).__name__}")
        text = item.get("text")
        message = item.get("message")
        if text is None and isinstance(message, Mapping):  # an OpenAI chat completion's choice
            text = message.get("content")
            if text is None and isinstance(item.get("finish_reason"), str):
                text = ""  # no content, e.g. finish_reason "content_filter": a sample without an answer
        if not isinstance(text, str):
            raise ValueError(f"{where}: 'text' (or a chat choice's 'message.content') must be a string")
        misspelled = misspelled_sample_field(item)
        if misspelled is not None:
            raise ValueError(f"{where}: {misspelled[0]!r} is not a field evalkit reads; did you mean {misspelled[1]!r}? "
                             "(spelled this way it would be read as absent)")
        logprob = _optional_typed(item, "logprob", (int, float), where)
        samples.append(Sample(
            problem_id=problem_id, index=index, text=text,
            finish_reason=canonical_finish_reason(_optional_typed(item, "finish_reason", (str,), where)),
            num_tokens=_token_count(_optional_typed(item, "num_tokens", (int,), where), where),
            logprob=None if logprob is None else _finite_number(logprob, where=f"{where} logprob"),
        ))
        scores.append(parse_score(item.get("score"), where=f"{where} score"))
    has_scores = any(score is not None for score in scores)
    return tuple(samples), tuple(scores) if has_scores else None


def parse_import_record(record: Mapping[str, Any], *, line: int, task: str, mapping: Mapping[str, str],
                        path: str, known: TaskProblems | None = None) -> ImportedProblem:
    """One input line as an `ImportedProblem`; `InputError` naming the line and field otherwise.

    With `known`, a question or reference the line lacks (and `--map` did not name) is taken from
    the task problem of the same id, else of the same question (see the module docstring)."""
    required = set(REQUIRED_FIELDS) | explicit_fields(mapping)
    if known is not None:
        required -= {"question", "reference"} - explicit_fields(mapping)

    def field_value(name: str) -> Any:
        value = resolve_path(record, mapping[name])
        if value is MISSING and name in required:
            raise InputError(f"missing (looked for '{mapping[name]}')", path=path, line=line, field=name)
        return value

    def fail(name: str, error: Exception) -> InputError:
        return InputError(str(error), path=path, line=line, field=name)

    raw_id = field_value("id")
    if raw_id is MISSING or raw_id is None:
        problem_id, id_from_line = str(line), True
    elif isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool):
        problem_id, id_from_line = str(raw_id), False
        if not problem_id.strip():
            raise InputError("an empty id (leave the field out to number problems by their line)", path=path,
                             line=line, field="id")
    else:
        raise InputError(f"expected a string or an integer, got {type(raw_id).__name__}", path=path, line=line, field="id")

    question, raw_reference = field_value("question"), field_value("reference")
    filled_by, meta_from_task = None, {}
    if known is not None and (question is MISSING or raw_reference is MISSING):
        found = _task_problem(known, None if id_from_line else problem_id, question, path=path, line=line,
                              missing="question" if question is MISSING else "reference", mapping=mapping)
        match, filled_by = found
        if question is not MISSING and isinstance(question, str):
            _refuse_another_question(known, match, question, path=path, line=line)
        if raw_reference is not MISSING and raw_reference is not None and question is MISSING \
                and not same_reference(raw_reference, match.reference):
            raise InputError(f"{raw_reference!r} differs from the reference {match.reference!r} of {known.name} "
                             f"problem {match.id!r}, whose question would be taken: is the file of another task "
                             "or split?", path=path, line=line, field="reference")
        if filled_by == "question" and id_from_line:
            problem_id, id_from_line = match.id, False
        question = match.question if question is MISSING else question
        raw_reference = match.reference if raw_reference is MISSING else raw_reference
        meta_from_task = dict(match.meta)
    if not isinstance(question, str):
        raise InputError(f"expected a string, got {type(question).__name__}", path=path, line=line, field="question")
    outside_task, other_reference = False, None
    if known is not None and filled_by is None and known.readable():
        found_in_task, other_reference = _check_against_task(known, None if id_from_line else problem_id, question,
                                                             raw_reference, path=path, line=line)
        outside_task = not found_in_task
    try:
        reference = parse_reference(raw_reference)
    except ValueError as error:
        raise fail("reference", error) from None
    raw_samples = field_value("samples")
    one_sample_line = isinstance(raw_samples, str)  # a file with one line per sample
    try:
        samples, sample_scores = parse_samples([raw_samples] if one_sample_line else raw_samples, problem_id)
    except ValueError as error:
        raise fail("samples", error) from None

    scores = sample_scores
    raw_scores = field_value("scores")
    if one_sample_line and raw_scores is not MISSING and not isinstance(raw_scores, list):
        raw_scores = [raw_scores]
    if raw_scores is not MISSING:
        if sample_scores is not None:
            raise InputError("scores given both per sample and as a list", path=path, line=line, field="scores")
        if not isinstance(raw_scores, list):
            raise InputError(f"expected a list, got {type(raw_scores).__name__}", path=path, line=line, field="scores")
        if len(raw_scores) != len(samples):
            raise InputError(f"{len(raw_scores)} scores for {len(samples)} samples", path=path, line=line, field="scores")
        try:
            scores = tuple(parse_score(value, where=f"score {index}") for index, value in enumerate(raw_scores))
        except ValueError as error:
            raise fail("scores", error) from None

    meta = dict(record["meta"]) if isinstance(record.get("meta"), Mapping) else meta_from_task
    subject = field_value("subject")
    if subject is not MISSING and subject is not None:
        if not isinstance(subject, str):
            raise InputError("expected a string", path=path, line=line, field="subject")
        meta["subject"] = subject
    level = field_value("level")
    if level is not MISSING and level is not None:
        meta["level"] = parse_level(level, RecordSource(location=path, line=line, index=line - 1, split="import"))

    try:
        json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InputError(f"cannot be stored as JSON ({error}; NaN and Infinity are not allowed)",
                         path=path, line=line, field="meta") from None
    problem = Problem(id=problem_id, task=task, question=question, reference=reference, meta=meta)
    return ImportedProblem(line=line, problem=problem, samples=samples, scores=scores, id_from_line_number=id_from_line,
                           one_sample_line=one_sample_line, filled_by=filled_by, outside_task=outside_task,
                           other_reference=other_reference)


def same_reference(given: Any, task_reference: str) -> bool:
    """Whether a line's reference says what the task's reference for the problem says: the same
    text, the same canonical answer, or the same exact number (`204`, `204.0`, `\\boxed{204}`)."""
    from evalkit.grading.normalize import NormalizationError, normalize_answer
    from evalkit.grading.numbers import parse_exact_number

    try:
        text = parse_reference(given)
    except ValueError:
        return False
    if " ".join(text.split()) == " ".join(task_reference.split()):
        return True
    try:
        ours, theirs = normalize_answer(text), normalize_answer(task_reference)
    except NormalizationError:
        return False
    if ours == theirs:
        return True
    first, second = parse_exact_number(ours), parse_exact_number(theirs)
    return first is not None and second is not None and first.value == second.value


def _check_against_task(known: TaskProblems, problem_id: str | None, question: str, raw_reference: Any, *,
                        path: str, line: int) -> tuple[bool, str | None]:
    """Whether a complete line (question and reference given) is a problem of the task's split, and the split's
    reference where the line, found by its question, gives another. One whose id names a problem of the split
    must have its question and reference (`InputError` otherwise): a line of another task or split would be
    graded and ranked as this task's (two benchmarks number their problems alike). Under an id of its own, a
    line may give its own reference for a question of the split (kept, and counted for a note: a dump's
    gold answer mangled is graded against as it is); a line that is none of the split's problems is imported
    (a user's own problems graded by the task's conventions) and counted."""
    found = known.find(problem_id, question)
    if found is None:
        return False, None
    match, by = found
    if by == "id":
        _refuse_another_question(known, match, question, path=path, line=line)
    if by == "id" and raw_reference is not None and not same_reference(raw_reference, match.reference):
        raise InputError(f"{str(raw_reference)[:60]!r} differs from the reference {match.reference!r} of {known.name} "
                         f"problem {match.id!r}", path=path, line=line, field="reference")
    if raw_reference is not None and not same_reference(raw_reference, match.reference):
        return True, match.reference
    return True, None


def _refuse_another_question(known: TaskProblems, match: Problem, question: str, *, path: str, line: int) -> None:
    """An `InputError` when a line under the id of a task problem asks another question (white space aside)."""
    if question_key(question) != question_key(match.question):
        raise InputError(f"differs from the question of {known.name} problem {match.id!r} (same id): is the file of "
                         "another task or split?", path=path, line=line, field="question")


def _task_problem(known: TaskProblems, problem_id: str | None, question: Any, *, path: str, line: int, missing: str,
                  mapping: Mapping[str, str]) -> tuple[Problem, str]:
    """The task problem that fills a line's missing field, or an `InputError` naming the field."""
    try:
        found = known.find(problem_id, question if isinstance(question, str) else None)
    except InputError as error:
        raise InputError(f"missing (looked for '{mapping[missing]}'), and the task's data to fill it in could not "
                         f"be read: {error}", path=path, line=line, field=missing) from None
    if found is None:
        by = " or ".join(what for what, given in (("id", problem_id), ("question", question)) if isinstance(given, str))
        raise InputError(f"missing (looked for '{mapping[missing]}'), and no {known.name} problem has this "
                         f"{by or 'id or question'} to fill it in (--task/--split name the problems)",
                         path=path, line=line, field=missing)
    return found


def join_sample_lines(first: ImportedProblem, line: ImportedProblem, path: str) -> ImportedProblem:
    """The problem of `first` with the sample of the next line of the same id added (files with one
    line per sample); the two lines must agree on the question and the reference."""
    for name in ("question", "reference"):
        if getattr(first.problem, name) != getattr(line.problem, name):
            raise InputError(f"differs from line {first.line}, an earlier line of the same id {first.problem.id!r}",
                             path=path, line=line.line, field=name)
    samples = first.samples + tuple(replace(sample, index=len(first.samples) + offset)
                                    for offset, sample in enumerate(line.samples))
    scores = None
    if first.scores is not None or line.scores is not None:
        scores = (first.scores or (None,) * len(first.samples)) + (line.scores or (None,) * len(line.samples))
    return replace(first, samples=samples, scores=scores)


# --- the whole file ---------------------------------------------------------------------------

def count_lines(path: Path) -> int:
    """The number of lines of a file (a last line without newline counts), read in chunks."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"),
               (b"PK\x03\x04", "zip"))
_PARQUET_MAGIC = b"PAR1"


def file_kind(path: Path) -> str | None:
    """`"parquet"`, `"json-array"`, a compression format's name, or None (text, read as JSON Lines), from the
    first bytes."""
    with path.open("rb") as handle:
        start = handle.read(4096)
    if start.startswith(_PARQUET_MAGIC):
        return "parquet"
    if start.startswith(UTF16_BOMS):
        return "utf-16"
    if re.match(rb"\[\s*\{", start.lstrip(b"\xef\xbb\xbf \t\r\n")):
        return "json-array"  # `[{...}, ...]`, on one line or many
    return next((name for magic, name in _COMPRESSED if start.startswith(magic)), None)


def not_json_lines_error(path: Path, kind: str) -> InputError:
    """One line saying that a compressed or Parquet file is not JSON Lines, and what to do."""
    if kind == "json-array":
        return InputError(JSON_ARRAY_MESSAGE, path=path)
    if kind == "utf-16":
        return InputError(UTF16_MESSAGE, path=path)
    if kind == "parquet":
        return InputError("a Parquet file, not JSON Lines: --preset lighteval reads lighteval's Parquet details; "
                          "convert another layout to JSON Lines first", path=path)
    return InputError(f"a {kind}-compressed file, not JSON Lines: decompress it first and import the file inside",
                      path=path)


def jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | InputError]]:
    """`(line_number, record)` for each non-empty line; a line that is not a JSON object gives an `InputError`.
    A UTF-8 byte-order mark at the start of the file (as some Windows tools write) is skipped."""
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                yield line, InputError(json_error_text(error), path=path, line=line)
                continue
            except RecursionError:
                yield line, InputError("not valid JSON (nested too deeply)", path=path, line=line)
                continue
            if not isinstance(record, dict):
                yield line, InputError(f"expected a JSON object, got {type(record).__name__}", path=path, line=line)
                continue
            yield line, record


def _texts_digest(item: ImportedProblem) -> str:
    """A digest of a problem's sample texts: what tells a repeated record from a conflicting one
    without keeping the texts of every problem in memory."""
    texts = json.dumps([sample.text for sample in item.samples], ensure_ascii=True)
    return hashlib.sha256(texts.encode()).hexdigest()


def iter_import_file(path: Path, *, task: str, mapping: Mapping[str, str], preset: ImportPreset | None = None,
                     show_progress: bool = True, known: TaskProblems | None = None) -> Iterator[ImportedProblem]:
    """The problems of an import file, in file order, as they are read (the file is streamed, never
    held whole); after the last one, one `InputError` listing every bad line (up to a limit) if
    there were any. A caller that writes what it gets must discard it when that error comes.

    With a `preset`, each record is first converted from the preset's layout (and a `.parquet`
    file is read by rows when the preset allows it); line numbers are then row numbers.
    """
    errors: list[str] = []
    scattered_seen, scattered_more = False, 0  # lines of ids not next to each other: one cause, named once
    first_of: dict[str, tuple[int, str, bool]] = {}  # problem id -> (its line, digest of its sample texts, id from the line number)
    pending: ImportedProblem | None = None  # the last problem read, held while lines of its id may follow
    copies_allowed = preset is not None and preset.repeated_ids_are_copies
    kind = file_kind(path)
    if preset is not None and preset.parquet and (kind == "parquet" or path.suffix == ".parquet"):
        total, rows = parquet_rows(path)
    elif kind is not None:
        raise not_json_lines_error(path, kind)
    else:
        total, rows = (count_lines(path) if show_progress else None), jsonl_records(path)
    with make_progress(disable=not show_progress) as progress:
        bar = progress.add_task(f"importing {path.name}", total=total)
        for position, (line, record) in enumerate(rows):
            progress.update(bar, completed=line)
            try:
                if isinstance(record, InputError):
                    raise record
                if preset is not None:
                    try:
                        record = preset.convert(record, position)
                    except RecordError as error:
                        raise InputError(f"{error} ({preset.name} layout)", path=path, line=line,
                                         field=error.field) from None
                item = parse_import_record(record, line=line, task=task, mapping=mapping, path=str(path), known=known)
                if pending is not None and item.one_sample_line and pending.one_sample_line \
                        and not item.id_from_line_number and item.problem.id == pending.problem.id:
                    pending = join_sample_lines(pending, item, str(path))
                    continue
                first = first_of.get(item.problem.id)
                if first is not None and item.one_sample_line and scattered_seen:
                    scattered_more += 1
                    continue
                if first is not None and item.one_sample_line:
                    scattered_seen = True
                    raise InputError(f"the lines of id {item.problem.id!r} are not next to each other (first on line "
                                     f"{first[0]}): a file with one sample per line needs each problem's lines together "
                                     "(sort it by id)", path=path, line=line, field="id")
                if first is not None:
                    if copies_allowed and first[1] == _texts_digest(item):
                        continue  # the same document logged again (e.g. once per lm-eval filter)
                    raise InputError(_duplicate_id_message(item, first), path=path, line=line, field="id")
            except InputError as error:
                errors.append(str(error))
                continue
            first_of[item.problem.id] = (item.line, _texts_digest(item) if copies_allowed else "", item.id_from_line_number)
            if pending is not None and not errors:
                yield pending  # after the first bad line nothing more is written: only checked
            pending = item
    if pending is not None and not errors:
        yield pending
    if errors:
        shown = "\n  ".join(errors[:MAX_REPORTED_ERRORS])
        more = f"\n  ... and {len(errors) - MAX_REPORTED_ERRORS} more" if len(errors) > MAX_REPORTED_ERRORS else ""
        if scattered_more:
            more += f"\n  ... and {scattered_more} more line(s) of ids whose lines are not next to each other"
        raise InputError(f"{len(errors) + scattered_more} bad line(s); nothing was written:\n  {shown}{more}", path=path)
    if not first_of:
        raise InputError("no problems in the file", path=path)


def samples_line(item: ImportedProblem) -> dict[str, Any]:
    """One `samples.jsonl` line, the layout of `evalkit.store.ProblemSamples.to_dict`, built directly
    (dataclass `asdict` deep-copies every field and would dominate the time of a large import)."""
    problem = item.problem
    return {
        "problem_id": problem.id, "task": problem.task, "question": problem.question,
        "reference": problem.reference, "meta": problem.meta,
        "samples": [
            {"index": sample.index, "text": sample.text, "finish_reason": sample.finish_reason,
             "num_tokens": sample.num_tokens, "logprob": sample.logprob}
            for sample in item.samples
        ],
    }


def scores_line(item: ImportedProblem) -> dict[str, Any]:
    """One `scores.jsonl` line; a problem given without scores gets nulls (not scored)."""
    scores = list(item.scores) if item.scores is not None else [None] * len(item.samples)
    return {"problem_id": item.problem.id, "scorer": IMPORTED_SCORER, "selection": SELECTION_IMPORTED, "scores": scores}


def import_config(*, path: Path, sha256: str, mapping: Mapping[str, str], model: str, task: str,
                  answer_style: str, min_samples: int, max_samples: int, preset: str | None = None,
                  keep_first: int | None = None, filled: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The run config of an import, with its `config_hash`.

    The hash covers what decides the run directory's content: the file's bytes (sha256), the
    mapping (or preset), model, task, grading style and n. The file's path is recorded but not
    hashed, so the same file imported from another place is the same run.
    """
    identity = {
        "source": "import", "sha256": sha256, "mapping": dict(mapping), "model": model, "task": task,
        "answer_style": answer_style, "n": max_samples,
    }
    if preset is not None:
        identity["preset"] = preset
    if keep_first is not None:
        identity["keep_first"] = keep_first
    if filled:
        identity["filled"] = dict(filled)
    canonical = json.dumps(identity, sort_keys=True, ensure_ascii=True)
    return {
        "source": "import", "file": str(path.resolve()), "sha256": sha256, "mapping": dict(mapping),
        **({"preset": preset} if preset is not None else {}),
        **({"keep_first": keep_first} if keep_first is not None else {}),
        **({"filled": dict(filled)} if filled else {}),
        "model": model, "task": task, "answer_style": answer_style, "n": max_samples,
        "samples_per_problem": {"min": min_samples, "max": max_samples},
        "config_hash": hashlib.sha256(canonical.encode()).hexdigest()[:16],
    }


IDENTITY_KEYS = ("sha256", "mapping", "preset", "keep_first", "model", "task", "answer_style", "n", "filled")
KNOWN_AFTER_READING = ("n", "filled")
"""Identity fields known only once the whole file is read."""


def check_run_dir(run_dir: RunDir, config: Mapping[str, Any], *, known: Sequence[str] = IDENTITY_KEYS) -> None:
    """Refuse a run directory that holds something other than this very import. `known`: the
    identity fields `config` already holds (before the file is read, `n` is not known yet)."""
    if not run_dir.config_path.exists():
        return
    existing = run_dir.read_config()
    if existing.get("config_hash") == config["config_hash"]:
        return
    if existing.get("source") != "import":
        reason = "it holds a run that was not imported"
    else:
        changed = [key for key in known if existing.get(key) != config.get(key)]
        if not changed and len(known) < len(IDENTITY_KEYS):
            return  # the same import so far; checked again once the file is read
        if config.get("file") is not None and existing.get("file") != config.get("file"):
            reason = f"it was imported from another file, {existing.get('file')}"
        else:
            reason = f"it was imported from {existing.get('file')} with a different {', '.join(changed) or 'config'}"
    raise ConfigError(f"refusing to overwrite {run_dir.path}: {reason}. Choose another --out directory.")


def import_samples(path: str | Path, *, task: str, out: str | Path, mapping: str | Sequence[str] | Mapping[str, str] | None = None,
                   model: str | None = None, preset: str | None = None, keep_first: int | None = None,
                   show_progress: bool = True, split: str = "test", data_dir: str | Path | None = None) -> ImportSummary:
    """Read an import file and write `config.yaml`, `samples.jsonl` and (with scores) `scores.jsonl`.

    `preset` names a known dump layout (`evalkit.import_presets`); it excludes `mapping`.
    `keep_first` keeps the first N samples of each problem (metrics need the same n for every
    problem); a problem with fewer is an error naming its line.
    Re-importing the same file with the same options into the same directory leaves it as it is
    (scores other scorers appended are kept); a non-empty directory made from anything else is
    refused, before the file is read. A line's missing question or reference is filled from the
    task's `split` (read from `data_dir`, else where tasks look by default), see the module docstring.
    """
    from tasks import get_task

    path = Path(path)
    if keep_first is not None and keep_first < 1:
        raise ConfigError(f"--keep-first must be 1 or more, got {keep_first}")
    if preset is not None and mapping:
        raise ConfigError("--preset and --map exclude each other: a preset already says where every field is")
    layout = get_preset(preset) if preset is not None else None
    if not path.is_file():
        raise InputError("a directory, not a file to import" if path.is_dir() else "file not found", path=path)
    refuse_output_over_inputs(out, [path])
    task_def = get_task(task)
    task_def.file_for(split)  # an unknown split is one line now, not one per line of the file
    resolved_mapping = parse_mapping(mapping)
    known = TaskProblems(task_def, split, data_dir)
    filled_by: dict[str, int] = {"id": 0, "question": 0}
    filled_digest = hashlib.sha256()

    def config_for(sha256: str, counts: tuple[int, int], filled: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return import_config(path=path, sha256=sha256, mapping=resolved_mapping, model=model or path.stem,
                             task=task_def.name, answer_style=task_def.answer_style, min_samples=counts[0],
                             max_samples=counts[1], preset=preset, keep_first=keep_first, filled=filled)

    run_dir = RunDir(Path(out))
    problems = samples = ids_from_line_numbers = outside_task = other_references = 0
    first_other_reference: str | None = None
    min_samples, max_samples, has_scores = math.inf, 0, False
    with run_dir.lock("evalkit import"):  # a directory it makes is removed again if the import fails
        # refuse a directory of another run before reading a file that may take minutes
        run_dir.refuse_foreign_files()
        check_run_dir(run_dir, config_for("", (0, 0)),
                      known=[key for key in IDENTITY_KEYS if key not in ("sha256", *KNOWN_AFTER_READING)])
        sha256 = file_sha256(path)
        check_run_dir(run_dir, config_for(sha256, (0, 0)),
                      known=[key for key in IDENTITY_KEYS if key not in KNOWN_AFTER_READING])
        # One pass over the file, streamed: each problem is checked and written to the staged files
        # at once; they replace samples.jsonl / scores.jsonl only once the whole file is good (an
        # import is all or nothing).
        with StagedFile(run_dir.samples_path) as samples_file, StagedFile(run_dir.scores_path) as scores_file:
            too_few: list[str] = []
            for item in iter_import_file(path, task=task_def.name, mapping=resolved_mapping, preset=layout,
                                         show_progress=show_progress, known=known):
                if item.filled_by is not None:
                    filled_by[item.filled_by] += 1
                    filled_digest.update(json.dumps([item.problem.id, item.problem.question, item.problem.reference],
                                                    ensure_ascii=True).encode() + b"\n")
                if keep_first is not None:
                    if len(item.samples) < keep_first:
                        too_few.append(f"line {item.line}: problem '{item.problem.id}' has {len(item.samples)}")
                        continue
                    item = dataclasses.replace(item, samples=item.samples[:keep_first],
                                               scores=None if item.scores is None else item.scores[:keep_first])
                samples_file.write_record(samples_line(item))
                scores_file.write_record(scores_line(item))
                problems += 1
                samples += len(item.samples)
                min_samples, max_samples = min(min_samples, len(item.samples)), max(max_samples, len(item.samples))
                has_scores = has_scores or item.scores is not None
                ids_from_line_numbers += item.id_from_line_number
                outside_task += item.outside_task
                if item.other_reference is not None:
                    other_references += 1
                    first_other_reference = first_other_reference or (
                        f"line {item.line}, problem '{item.problem.id}': {item.problem.reference[:60]!r} where "
                        f"{task_def.name}'s is {item.other_reference[:60]!r}")
            if too_few:
                listed = "; ".join(too_few[:10]) + (f"; and {len(too_few) - 10} more" if len(too_few) > 10 else "")
                raise InputError(f"--keep-first {keep_first}: {len(too_few)} problem(s) have fewer samples ({listed})",
                                 path=path)
            filled = None
            if any(filled_by.values()):
                filled = {"split": split, "problems_by_id": filled_by["id"],
                          "problems_by_question": filled_by["question"], "sha256": filled_digest.hexdigest()}
            config = config_for(sha256, (int(min_samples), max_samples), filled)
            check_run_dir(run_dir, config)
            fresh = run_dir.claim(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), config["config_hash"])
            # The same import already in place stays as it is (scores another scorer appended since,
            # e.g. by `evalkit rerank`, are kept); a file it lacks (a killed import) is put in place.
            # Staged files not committed are removed when the block ends.
            try:
                if fresh or not run_dir.samples_path.exists():
                    samples_file.commit()
                if has_scores and (fresh or not run_dir.scores_path.exists()):
                    scores_file.commit()
            except BaseException:
                if fresh:  # nothing of this import may stay behind half-written
                    run_dir.scores_path.unlink(missing_ok=True)
                    run_dir.samples_path.unlink(missing_ok=True)
                    run_dir.release_claim()
                raise
    return ImportSummary(
        run_dir=run_dir.path, problems=problems, samples=samples, min_samples=int(min_samples),
        max_samples=max_samples, has_scores=has_scores, ids_from_line_numbers=ids_from_line_numbers,
        config_hash=config["config_hash"], fresh=fresh, filled=filled, outside_task=outside_task,
        other_references=other_references, first_other_reference=first_other_reference,
    )


def import_command(
    file: Annotated[Path, typer.Argument(help="JSON Lines file of samples: one problem per line (see `--map` for other layouts).")],
    task: Annotated[str, typer.Option("--task", help="Task the problems belong to (aime24, math500, gsm8k, ...); sets each problem's task and the grading policy.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory to write (config.yaml, samples.jsonl, scores.jsonl).")],
    mapping: Annotated[Optional[list[str]], typer.Option(
        "--map", help="Where the fields are, as FIELD=PATH items, comma-separated or repeated; dotted paths reach "
                      "nested fields. Fields: id, question, reference, samples, scores, subject, level. "
                      "E.g. --map question=query,reference=gt,samples=code,scores=pred_score")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model name shown in reports (default: the file name).")] = None,
    preset: Annotated[Optional[str], typer.Option(
        "--preset", help="A known layout instead of --map: qwen25-math (Qwen2.5-Math math_eval.py output), lm-eval "
                         "(lm-evaluation-harness --log_samples), lighteval (details .parquet/.jsonl), plain "
                         "({id, reference, responses}).")] = None,
    keep_first: Annotated[Optional[int], typer.Option(
        "--keep-first", help="Keep the first N samples of each problem (metrics need the same n for every "
                             "problem); a problem with fewer is an error.")] = None,
    split: Annotated[str, typer.Option(
        "--split", help="The task's split whose problems fill a line's missing question or reference "
                        "(found by id, else by question).")] = "test",
    data_dir: Annotated[Optional[Path], typer.Option(
        "--data-dir", help="Where the task's data is (laid out like shared/data); default: $EVALKIT_DATA_DIR, "
                           "./data, then the test sets shipped with evalkit.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Import samples generated elsewhere as a run directory, ready for `evalkit grade-run` and reports."""
    from rich.console import Console

    console = Console()
    summary = import_samples(file, task=task, out=out, mapping=mapping, model=model, preset=preset,
                             keep_first=keep_first, show_progress=not quiet, split=split, data_dir=data_dir)
    spread = (f"{summary.min_samples}" if summary.min_samples == summary.max_samples
              else f"{summary.min_samples} to {summary.max_samples}")
    console.print(f"imported {summary.problems} problem{'' if summary.problems == 1 else 's'}, {summary.samples} "
                  f"sample{'' if summary.samples == 1 else 's'} ({spread} per problem)"
                  f"{', with scores' if summary.has_scores else ''} into {for_terminal(summary.run_dir)}"
                  f"{'' if summary.fresh else ' (already imported: same file and options)'}", highlight=False)
    if summary.filled:
        console.print(f"[yellow]note:[/] questions or references taken from {for_terminal(task)} "
                      f"{for_terminal(summary.filled['split'])}: {summary.filled['problems_by_id']} problem(s) "
                      f"found by id, {summary.filled['problems_by_question']} by question", highlight=False)
    if summary.outside_task:
        console.print(f"[yellow]note:[/] {summary.outside_task} of {summary.problems} problem(s) are not "
                      f"{for_terminal(task)} {for_terminal(split)} problems (neither their id nor their question): "
                      f"they are graded by {for_terminal(task)}'s conventions, but the run is not that benchmark",
                      highlight=False)
    if summary.other_references:
        console.print(f"[yellow]note:[/] {summary.other_references} of {summary.problems} problem(s) give another "
                      f"reference than the {for_terminal(task)} {for_terminal(split)} problem with their question, "
                      f"and are graded against their own (first: {for_terminal(summary.first_other_reference)})",
                      highlight=False)
    if summary.ids_from_line_numbers:
        console.print(f"[yellow]note:[/] {summary.ids_from_line_numbers} problem(s) had no id; "
                      "their line numbers are used as ids")
    if summary.min_samples != summary.max_samples:
        console.print(f"[yellow]note:[/] problems have different numbers of samples "
                      f"(min {summary.min_samples}, max {summary.max_samples}): they are graded, but "
                      "`evalkit report` needs the same number for every problem: import again with "
                      f"--keep-first {summary.min_samples} (into another --out)")
