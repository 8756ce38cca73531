"""Typed records that flow between the stages of an evaluation.

Every record converts to and from a plain JSON-compatible dict, which is the on-disk
interchange format (JSON Lines) of a run directory.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


def question_key(question: str) -> str:
    """A question with its white space collapsed: how two copies of one problem's question are
    compared (an import line and a task problem, a replay file and the problem asked, a run's
    problems and a training split)."""
    return " ".join(question.split())


@dataclass(frozen=True)
class Problem:
    """One benchmark problem. `id` is stable across runs (e.g. MATH's `unique_id`)."""

    id: str
    task: str
    question: str
    reference: str
    solution: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(
            id=str(data["id"]),
            task=str(data["task"]),
            question=str(data["question"]),
            reference=str(data["reference"]),
            solution=data.get("solution"),
            meta=dict(data.get("meta") or {}),
        )


FINISH_STOP = "stop"
"""The finish reason of a sample the model ended on its own."""
FINISH_LENGTH = "length"
"""The finish reason of a sample cut at `max_tokens`."""
FINISH_REJECTED = "rejected"
"""The finish reason of the empty samples of a problem whose prompt the backend refused, in a run
that records such problems (`rejected_prompts: record`)."""


FINISH_REASONS = {
    "stop": "stop", "end_turn": "stop", "stop_sequence": "stop", "eos": "stop", "eos_token": "stop",
    "end_of_turn": "stop", "complete": "stop", "completed": "stop", "finished": "stop",
    "length": "length", "max_tokens": "length", "max_length": "length", "max_output_tokens": "length",
    "max_new_tokens": "length", "token_limit": "length", "truncated": "length",
}
"""The finish reasons other servers and tools write, as the two that grading and the report read: `stop` (the
model ended on its own: OpenAI and vLLM `stop`, Anthropic `end_turn` and `stop_sequence`, Gemini `STOP`, TGI
`eos_token`) and `length` (cut at the token limit: Anthropic and Gemini `max_tokens`/`MAX_TOKENS`, ...). Case
is ignored; any other reason is kept as written (`content_filter`, `tool_calls`)."""


def canonical_finish_reason(reason: str | None) -> str | None:
    """`reason` as `stop` or `length` where it means one of them (`FINISH_REASONS`), else as written."""
    if reason is None:
        return None
    return FINISH_REASONS.get(reason.strip().lower().replace("-", "_").replace(" ", "_"), reason)


SAMPLE_FIELDS_READ_FROM_FILES = {"finish_reason": (str,), "num_tokens": (int,), "logprob": (int, float)}
"""The optional fields of a stored sample whose loss changes a report without a word, with the JSON types
they hold: a misspelling of one of them (`finsh_reason`, `finishReason`, `num_token`) is refused where
samples are read from a file."""


def spelled_like(written: str, meant: str, cutoff: float = 0.8) -> bool:
    """Whether a key is spelled nearly like the field `meant` (`questoin`, `finsh_reason`, `sampels`; case and `-` for
    `_` aside): their similarity (`difflib`) is at least `cutoff`."""
    return difflib.SequenceMatcher(None, written.lower().replace("-", "_"), meant).ratio() >= cutoff


def misspelled_sample_field(sample: Mapping[str, Any]) -> tuple[str, str] | None:
    """`(written, meant)` when `sample` lacks one of `SAMPLE_FIELDS_READ_FROM_FILES` but has a key spelled
    nearly like it whose value has that field's type (the field would otherwise be read as absent); None
    otherwise. A look-alike holding another type is another field (an OpenAI choice's `logprobs` object)."""
    for meant, types in SAMPLE_FIELDS_READ_FROM_FILES.items():
        if meant in sample:
            continue
        for written, value in sample.items():
            if not isinstance(written, str) or written in SAMPLE_FIELDS_READ_FROM_FILES \
                    or isinstance(value, bool) or not isinstance(value, types):
                continue
            if spelled_like(written, meant, 0.85):
                return written, meant
    return None


@dataclass(frozen=True)
class Sample:
    """One sampled solution of one problem."""

    problem_id: str
    index: int
    text: str
    finish_reason: str | None = None
    num_tokens: int | None = None
    logprob: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem_id": self.problem_id, "index": self.index, "text": self.text,
            "finish_reason": self.finish_reason, "num_tokens": self.num_tokens, "logprob": self.logprob,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        return cls(
            problem_id=str(data["problem_id"]),
            index=int(data["index"]),
            text=str(data["text"]),
            finish_reason=data.get("finish_reason"),
            num_tokens=data.get("num_tokens"),
            logprob=data.get("logprob"),
        )


@dataclass(frozen=True)
class Graded:
    """The grade of one sample: its extracted answer, cluster and correctness.

    `cluster` is -1 when no answer could be extracted; otherwise it numbers the
    sample's answer cluster within its problem, in order of first appearance.
    `reason` is "ok" or why the answer could not be judged ("no_answer",
    "parse_error", "timeout", ...).
    """

    problem_id: str
    index: int
    answer: str | None
    cluster: int
    correct: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Graded:
        return cls(
            problem_id=str(data["problem_id"]),
            index=int(data["index"]),
            answer=data.get("answer"),
            cluster=int(data["cluster"]),
            correct=bool(data["correct"]),
            reason=str(data["reason"]),
        )


def parse_reference(value: Any) -> str:
    """A reference answer as a string; numbers (GSM8K dumps often store `18`) are written out as is.
    An empty one is refused: no answer could be right against it."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("empty: no answer can be graded right against it (is the field the reference answer?)")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    raise ValueError(f"expected a string or a number, got {json.dumps(value)[:40]}")
