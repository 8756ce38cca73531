"""Import presets: the sample dumps of other evaluation tools, read as evalkit import records.

Each preset turns one record of its tool's layout into the canonical import record
`{"id", "question", "reference", "samples": [{"text", "num_tokens"?}], "scores"?, "subject"?, "level"?}`
that `evalkit.importer` reads (`evalkit import FILE --preset NAME --task T --out DIR`):

- `qwen25-math`: Qwen2.5-Math's `evaluation/math_eval.py --save_outputs` (and math-evaluation-harness),
  one line per problem: `{"idx", "question", "gt_cot", "gt", <dataset fields>, "code": [responses],
  "pred": [...], "report": [...], "score": [...]}`, and `"pred_score": [[s], ...]` in reward-model
  dumps. id = `idx`, reference = `gt`, samples = `code`, scores = `pred_score`, subject = `type`,
  level = `level`. Their `pred` and `score` are ignored: evalkit grades the responses itself.
- `lm-eval`: lm-evaluation-harness `--log_samples` files (`samples_<task>_<date>.jsonl`):
  `{"doc_id", "doc": {...}, "target", "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {...}}},
  "resps": [[responses]], "filtered_resps", "filter", "metrics", "doc_hash", "prompt_hash", ...}`.
  id = `doc_id`, question = the doc's problem field (`problem`, `Problem`, `question`, ...; else
  the prompt), reference = `target`, samples = `resps` (with `repeats: n`, the n responses).
  A task with several filters logs each document once per filter with the same responses; the
  repeated lines are dropped (responses that differ are an error).
- `lighteval`: lighteval details (`details_<task>_<date>.parquet`, or the same rows as JSON Lines).
  Current layout `{"doc": {"query", "choices", "gold_index", "id", ...}, "model_response": {"text":
  [...], "output_tokens": [[...]], ...}, "metric": {...}}`: reference = `choices[gold_index]`,
  samples = `text`, token counts = lengths of `output_tokens`. Older layout (before mid-2025)
  `{"example", "gold", "predictions", "cont_tokens", ...}`: reference = `gold[0]`, samples =
  `predictions`, token counts = lengths of `cont_tokens`. id = `doc.id`, else the row number.
- `plain`: `{"id", "reference", "responses": [...]}`, optionally `question`; responses are
  strings or objects `{"text", "finish_reason"?, "num_tokens"?, "logprob"?, "score"?}`. What a
  line lacks of `question` and `reference` is the task problem's of the same id (a line with a
  `question` and no `id`: of the same question), and a `reference` given without the question must
  agree with that problem's: a file of another task is refused, not imported under this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evalkit.errors import ConfigError


class RecordError(ValueError):
    """A record that does not have its preset's layout; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ImportPreset:
    """A known dump layout: how one record (and its 0-based position in the file) becomes a canonical
    import record.

    `repeated_ids_are_copies`: a record whose id was seen already repeats that problem (same
    samples) and is skipped. `parquet`: `.parquet` files are read as well as JSON Lines.
    """

    name: str
    description: str
    convert: Callable[[Mapping[str, Any], int], dict[str, Any]]
    repeated_ids_are_copies: bool = False
    parquet: bool = False


def _get(record: Mapping[str, Any], field: str, *, required: bool = True) -> Any:
    if field not in record or record[field] is None:
        if required:
            raise RecordError(field, "missing")
        return None
    return record[field]


def _string_list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise RecordError(field, "expected a non-empty list of responses")
    return value


def _optional(record: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {name: record[name] for name in names if record.get(name) is not None}


# --- Qwen2.5-Math ------------------------------------------------------------------------------

def convert_qwen25_math(record: Mapping[str, Any], position: int = 0) -> dict[str, Any]:
    """One `math_eval.py` output line (see the module docstring)."""
    converted = {
        "id": _get(record, "idx"),
        "question": _get(record, "question"),
        "reference": _get(record, "gt"),
        "samples": _string_list(_get(record, "code"), "code"),
    }
    if record.get("pred_score") is not None:
        converted["scores"] = record["pred_score"]
    if record.get("type") is not None:
        converted["subject"] = record["type"]
    if record.get("level") is not None:
        converted["level"] = record["level"]
    return converted


# --- lm-evaluation-harness ---------------------------------------------------------------------

LM_EVAL_QUESTION_FIELDS = ("problem", "Problem", "question", "Question", "query", "input")
LM_EVAL_SUBJECT_FIELDS = ("type", "subject")


def _lm_eval_prompt(record: Mapping[str, Any]) -> str | None:
    arguments = record.get("arguments")
    if isinstance(arguments, Mapping):
        first = arguments.get("gen_args_0")
        if isinstance(first, Mapping) and isinstance(first.get("arg_0"), str):
            return first["arg_0"]
    if isinstance(arguments, list) and arguments and isinstance(arguments[0], list) and arguments[0]:
        prompt = arguments[0][0]
        return prompt if isinstance(prompt, str) else None
    return None


def _flat_responses(resps: Any) -> list[Any]:
    """`[[r1, ..., rn]]` (one request, n repeats) or `[[r1], [r2]]` -> `[r1, ..., rn]`."""
    if not isinstance(resps, list) or not resps:
        raise RecordError("resps", "expected a non-empty list of response lists")
    flat: list[Any] = []
    for item in resps:
        flat.extend(item if isinstance(item, list) else [item])
    if not flat or not all(isinstance(text, str) for text in flat):
        raise RecordError("resps", "expected response strings")
    return flat


def convert_lm_eval(record: Mapping[str, Any], position: int = 0) -> dict[str, Any]:
    """One line of an lm-evaluation-harness `--log_samples` file."""
    doc = _get(record, "doc")
    if not isinstance(doc, Mapping):
        raise RecordError("doc", "expected an object")
    question = next((doc[name] for name in LM_EVAL_QUESTION_FIELDS if isinstance(doc.get(name), str)), None)
    if question is None:
        question = _lm_eval_prompt(record)
    if question is None:
        raise RecordError("doc", f"no question field ({', '.join(LM_EVAL_QUESTION_FIELDS)}) and no prompt in arguments")
    converted: dict[str, Any] = {
        "id": _get(record, "doc_id"),
        "question": question,
        "reference": _get(record, "target"),
        "samples": _flat_responses(_get(record, "resps")),
    }
    subject = next((doc[name] for name in LM_EVAL_SUBJECT_FIELDS if isinstance(doc.get(name), str)), None)
    if subject is not None:
        converted["subject"] = subject
    if doc.get("level") is not None:
        converted["level"] = doc["level"]
    return converted


# --- lighteval ---------------------------------------------------------------------------------

def _token_counts(token_lists: Any, count: int) -> list[int | None]:
    """Lengths of per-sample token id lists, when there is one list per sample."""
    if isinstance(token_lists, list) and len(token_lists) == count and all(isinstance(t, list) for t in token_lists):
        return [len(tokens) for tokens in token_lists]
    return [None] * count


def _lighteval_samples(texts: Any, token_lists: Any, field: str) -> list[dict[str, Any]]:
    texts = _string_list(texts, field)
    if not all(isinstance(text, str) for text in texts):
        raise RecordError(field, "expected response strings")
    return [{"text": text, **({"num_tokens": count} if count is not None else {})}
            for text, count in zip(texts, _token_counts(token_lists, len(texts)))]


def convert_lighteval(record: Mapping[str, Any], position: int = 0) -> dict[str, Any]:
    """One row of lighteval details, current (`doc` / `model_response`) or older (`example` / `predictions`) layout.
    Rows without an id get their position (lighteval numbers docs the same way)."""
    row_id = str(position)
    if isinstance(record.get("doc"), Mapping) and isinstance(record.get("model_response"), Mapping):
        doc, response = record["doc"], record["model_response"]
        choices = _get(doc, "choices")
        gold = _get(doc, "gold_index")
        gold_index = gold[0] if isinstance(gold, list) and gold else gold
        if not isinstance(choices, list) or not isinstance(gold_index, int) or not 0 <= gold_index < len(choices):
            raise RecordError("doc.gold_index", f"no gold answer: choices {choices!r:.80}, gold_index {gold!r}")
        question = doc.get("original_query") or _get(doc, "query")
        return {
            "id": doc.get("id") if doc.get("id") not in (None, "") else row_id,
            "question": question,
            "reference": choices[gold_index],
            "samples": _lighteval_samples(response.get("text"), response.get("output_tokens"), "model_response.text"),
        }
    if "predictions" in record:
        gold = _get(record, "gold")
        if not isinstance(gold, list) or not gold:
            raise RecordError("gold", "expected a non-empty list of gold answers")
        return {
            "id": row_id,
            "question": record.get("example") or record.get("full_prompt") or "",
            "reference": gold[0],
            "samples": _lighteval_samples(record.get("predictions"), record.get("cont_tokens"), "predictions"),
        }
    raise RecordError("doc", "neither lighteval layout: expected 'doc' and 'model_response', or 'predictions'")


# --- plain ---------------------------------------------------------------------------------------

def convert_plain(record: Mapping[str, Any], position: int = 0) -> dict[str, Any]:
    """`{"id", "reference", "responses"}` (optionally `question`). What a line lacks of its question
    and reference comes from the task problem of the same id, or of the same question for a line
    without an id, and what it has must agree with that problem (`evalkit.importer`)."""
    question = record.get("question")
    if question is not None and not isinstance(question, str):
        raise RecordError("question", "expected a string")
    converted: dict[str, Any] = {"samples": _string_list(_get(record, "responses"), "responses")}
    if "id" in record or question is None:  # a line with its question alone is found by its question
        converted["id"] = _get(record, "id")
    if "reference" in record:
        converted["reference"] = record["reference"]
    if question is not None:
        converted["question"] = question
    return converted


PRESETS: Mapping[str, ImportPreset] = MappingProxyType({preset.name: preset for preset in (
    ImportPreset("qwen25-math", "Qwen2.5-Math math_eval.py output (idx, question, gt, code, pred_score)",
                 convert_qwen25_math),
    ImportPreset("lm-eval", "lm-evaluation-harness --log_samples (doc_id, doc, target, resps)", convert_lm_eval,
                 repeated_ids_are_copies=True),
    ImportPreset("lighteval", "lighteval details, .parquet or .jsonl (doc, model_response)", convert_lighteval,
                 parquet=True),
    ImportPreset("plain", "{id, reference, responses}", convert_plain),
)})


def get_preset(name: str) -> ImportPreset:
    """The preset called `name`, or a `ConfigError` listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown import preset {name!r}; known presets: {', '.join(sorted(PRESETS))}") from None


def parquet_rows(path: Path) -> tuple[int, Iterator[tuple[int, dict[str, Any]]]]:
    """The row count of a Parquet file and its rows as `(row_number, record)` (1-based), read in batches."""
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise ConfigError("reading .parquet files needs pyarrow (pip install pyarrow)") from None
    try:
        handle = parquet.ParquetFile(path)
    except Exception as error:  # pyarrow raises several kinds for a file that is not Parquet
        raise ConfigError(f"{path}: not a readable Parquet file ({error})") from None

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        for batch in handle.iter_batches(batch_size=256):
            for record in batch.to_pylist():
                number += 1
                yield number, record

    return handle.metadata.num_rows, rows()
