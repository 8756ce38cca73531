"""The `replay` backend: serve samples generated elsewhere, keyed by problem id.

It reads one JSONL file in any of these layouts (mixing them in one file is refused):

- the canonical import format, one problem a line:
  `{"id", "question", "reference", "samples": [{"text": ..., ...}] or ["...", ...]}`;
- a run's `samples.jsonl`, one problem a line: `{"problem_id" (or "id"), "samples": [...]}`;
- one sample a line, like `evalkit.records.Sample`: `{"problem_id", "index", "text", ...}`.

A sample given as an object may carry `finish_reason`, `num_tokens` and `logprob`; missing ones
default to "stop", 0 (unknown) and None. Other fields (an evaluator's `score`) are not read: a
backend serves texts, and `evalkit import` is the way in for samples with their scores.

`stream(requests, n, sampling)` is the exact path of the sampling stage: a request's key is its
problem id, and its result is the first `n` stored samples of that problem. `generate_for(problems,
n, sampling)` does the same for a list of problems. `generate(prompts, ...)` exists for the common
protocol: it finds the problem whose stored `question` occurs in
the prompt text (the one ending last, so few-shot examples before it do not match instead).
Sampling parameters are ignored: the samples are what they are. Asking for more samples than
are stored, or for an unknown problem, raises `InputError` naming the problem and the counts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.backends.base import (
    Completion,
    Prompt,
    SampleRequest,
    SampleResult,
    SamplingParams,
)
from evalkit.errors import InputError
from evalkit.hashing import file_sha256
from evalkit.jsonl import is_finite_number, iter_jsonl
from evalkit.records import Problem, canonical_finish_reason, misspelled_sample_field, question_key, spelled_like


@dataclass(frozen=True)
class ReplayEntry:
    """The stored samples of one problem, and its question text when the file has one."""

    problem_id: str
    question: str | None
    completions: tuple[Completion, ...]
    line: int | None = None
    """The file line that stored the problem (one-problem-a-line layouts)."""


def _completion(value: Any, *, path: Path, line: int, field: str) -> Completion:
    """One stored sample (a string or an object with `text`) as a `Completion`.

    `field` is the sample's place in the record (e.g. "samples[3]"), or "" for a
    one-sample-a-line record, to name bad fields precisely.
    """

    def bad(key: str, message: str) -> InputError:
        return InputError(message, path=path, line=line, field=f"{field}.{key}" if field else key)

    if isinstance(value, str):
        return Completion(text=value, finish_reason="stop", num_tokens=None)
    if not isinstance(value, dict):
        raise InputError(f"expected a string or an object, got {type(value).__name__}", path=path, line=line,
                         field=field or None)
    text = value.get("text")
    if not isinstance(text, str):
        raise bad("text", "missing or not a string")
    misspelled = misspelled_sample_field(value)
    if misspelled is not None:
        raise bad(misspelled[0], f"not a field evalkit reads; did you mean {misspelled[1]!r}? (spelled this way it "
                                 "would be read as absent)")
    finish_reason = value.get("finish_reason") or "stop"
    num_tokens = value.get("num_tokens")
    logprob = value.get("logprob")
    if not isinstance(finish_reason, str):
        raise bad("finish_reason", f"expected a string, got {finish_reason!r}")
    if num_tokens is not None and (not isinstance(num_tokens, int) or isinstance(num_tokens, bool) or num_tokens < 0):
        raise bad("num_tokens", f"expected a non-negative integer, got {num_tokens!r}")
    if logprob is not None and not is_finite_number(logprob):
        raise bad("logprob", f"expected a finite number, got {logprob!r}")
    return Completion(text=text, finish_reason=canonical_finish_reason(finish_reason), num_tokens=num_tokens,
                      logprob=None if logprob is None else float(logprob))


def _problem_id(record: dict[str, Any], *, path: Path, line: int) -> str:
    """The record's problem id, from `id` or `problem_id`."""
    for key in ("id", "problem_id"):
        if key in record:
            value = record[key]
            if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
                raise InputError(f"expected a non-empty string, got {value!r}", path=path, line=line, field=key)
            return str(value)
    raise InputError("missing (need 'id' or 'problem_id')", path=path, line=line, field="id")


def load_replay(path: str | Path) -> dict[str, ReplayEntry]:
    """Read a replay file into entries by problem id (see the module docstring for the layouts)."""
    path = Path(path)
    per_problem: dict[str, ReplayEntry] = {}
    per_sample: dict[str, dict[int, Completion]] = {}
    layout: str | None = None
    for line, record in iter_jsonl(path):
        problem_id = _problem_id(record, path=path, line=line)
        line_layout = "problem" if "samples" in record else "sample" if "text" in record or "index" in record else None
        if line_layout is None:
            look_alike = next((key for key in record if isinstance(key, str) and spelled_like(key, "samples")), None)
            if look_alike is not None:
                raise InputError("not a field evalkit reads; did you mean 'samples'?", path=path, line=line,
                                 field=look_alike)
            raise InputError("missing: a line gives a problem's 'samples' (a list), or one sample's 'index' and 'text'",
                             path=path, line=line, field="samples" if layout != "sample" else "text")
        if layout is not None and line_layout != layout:
            raise InputError(f"mixes one-problem-a-line and one-sample-a-line records (this line is a {line_layout})",
                             path=path, line=line)
        layout = line_layout
        if line_layout == "problem":
            samples = record["samples"]
            if not isinstance(samples, list):
                raise InputError(f"expected a list, got {type(samples).__name__}", path=path, line=line,
                                 field="samples")
            if problem_id in per_problem:
                raise InputError(f"problem {problem_id!r} appears twice", path=path, line=line, field="id")
            question = record.get("question")
            if question is not None and not isinstance(question, str):
                raise InputError("expected a string", path=path, line=line, field="question")
            completions = tuple(_completion(sample, path=path, line=line, field=f"samples[{i}]")
                                for i, sample in enumerate(samples))
            per_problem[problem_id] = ReplayEntry(problem_id, question, completions, line)
        else:
            index = record.get("index")
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise InputError(f"expected a non-negative integer, got {index!r}", path=path, line=line,
                                 field="index")
            stored = per_sample.setdefault(problem_id, {})
            if index in stored:
                raise InputError(f"sample {index} of problem {problem_id!r} appears twice", path=path, line=line,
                                 field="index")
            stored[index] = _completion(record, path=path, line=line, field="")
    for problem_id, by_index in per_sample.items():
        missing = sorted(set(range(len(by_index))) - set(by_index))
        if missing:
            raise InputError(f"problem {problem_id!r} lacks sample indices {missing[:5]} (indices must be 0..n-1)",
                             path=path)
        per_problem[problem_id] = ReplayEntry(problem_id, None, tuple(by_index[i] for i in range(len(by_index))))
    return per_problem


def replay_fingerprint(path: str | Path) -> dict[str, Any] | None:
    """`{"file", "size", "sha256"}` of a replay file (its path as given, and its content's size and
    hash, read in chunks); None when there is no such file. A run records it, so that resuming
    with other samples under the same path is refused."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return {"file": str(path), "size": path.stat().st_size, "sha256": file_sha256(path)}
    except OSError as error:
        raise InputError(f"cannot read ({error.strerror or error})", path=path) from None


def _prompt_text(prompt: Prompt) -> str:
    """The text to search for a question in: the string, or all message contents joined."""
    if isinstance(prompt, str):
        return prompt
    return "\n".join(str(message.get("content", "")) for message in prompt)


class ReplayBackend:
    """Serves stored samples (see the module docstring)."""

    name = "replay"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.entries = load_replay(self.path)
        questions = [entry for entry in self.entries.values() if entry.question]
        self._key_width = min([32, *(len(entry.question) for entry in questions)])
        self._question_index: dict[str, list[ReplayEntry]] = {}
        for entry in questions:
            self._question_index.setdefault(entry.question[:self._key_width], []).append(entry)

    def _take(self, problem_id: str, n: int, asked: str | None = None) -> list[Completion]:
        """The first `n` stored completions of a problem, or an `InputError` saying what is missing.

        `asked` is the text the problem is asked in (its prompt or question): a stored question
        that does not occur in it means the file holds another problem under this id (two
        benchmarks numbering their problems alike), whose samples are refused, never mixed in."""
        entry = self.entries.get(problem_id)
        if entry is None:
            raise InputError(f"no samples stored for problem {problem_id!r}", path=self.path)
        asked_key = question_key(asked) if asked is not None and entry.question else None
        if asked_key is not None and question_key(entry.question) not in asked_key:
            raise InputError(f"problem {problem_id!r} is stored with another question ({entry.question[:60]!r}), which "
                             f"this run's prompt for it does not contain (the prompt ends {asked_key[-60:]!r}): the "
                             "file holds another problem under this id",
                             path=self.path, line=entry.line, field="question")
        if len(entry.completions) < n:
            raise InputError(
                f"problem {problem_id!r} has {len(entry.completions)} stored samples, but {n} were requested",
                path=self.path,
            )
        return list(entry.completions[:n])

    def stream(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams, *,
               window: int | None = None) -> Iterator[SampleResult]:
        """The first `n` stored samples of each request's problem (its key is the problem id). Every problem the
        file cannot serve is named before any is served: a run stopped there has sampled nothing, so the file
        can be completed and the run resumed."""
        requests = list(requests)
        self._refuse_shortfalls([request.key for request in requests], n)
        for request in requests:
            yield SampleResult(request.key, tuple(self._take(request.key, n, _prompt_text(request.prompt))))

    def _refuse_shortfalls(self, problem_ids: Sequence[str], n: int) -> None:
        """One `InputError` naming the problems (the first five, and how many in all) with fewer than `n` stored
        samples or none."""
        short = [f"{problem_id!r} has {len(self.entries[problem_id].completions)}" if problem_id in self.entries
                 else f"{problem_id!r} has none" for problem_id in problem_ids
                 if problem_id not in self.entries or len(self.entries[problem_id].completions) < n]
        if short:
            more = f", and {len(short) - 5} more" if len(short) > 5 else ""
            raise InputError(f"{len(short)} of the {len(problem_ids)} problems asked for have fewer stored samples "
                             f"than the {n} requested ({'; '.join(short[:5])}{more}){self._ids_meant(problem_ids)}",
                             path=self.path)

    def _ids_meant(self, problem_ids: Sequence[str]) -> str:
        """`; line 3's id '2584' is none of the problems asked for (did it mean 'test/algebra/2584.json'?)` for the first
        stored ids, written another way, that an asked problem without samples looks like; "" when there are none."""
        asked = set(problem_ids)
        unmatched = [entry for entry in self.entries.values() if entry.problem_id not in asked]
        hints = []
        for problem_id in problem_ids:
            if problem_id in self.entries:
                continue
            meant = next((entry for entry in unmatched if entry.problem_id in problem_id
                          or difflib.SequenceMatcher(None, entry.problem_id, problem_id).ratio() >= 0.8), None)
            if meant is not None:
                where = f"line {meant.line}'s" if meant.line is not None else "the"
                hints.append(f"{where} id {meant.problem_id!r} is none of the problems asked for (did it mean "
                             f"{problem_id!r}?)")
        return "; " + "; ".join(hints[:3]) if hints else ""

    def generate_for(self, problems: Sequence[Problem], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each problem, its first `n` stored samples (matched by `Problem.id`)."""
        return [self._take(problem.id, n, problem.question) for problem in problems]

    def _match(self, prompt: Prompt) -> str:
        """The id of the stored problem whose question occurs in the prompt, ending last.

        Questions are indexed by their first characters, so matching costs one dictionary
        look-up per prompt position rather than one substring search per stored problem.
        """
        text = _prompt_text(prompt)
        if not self._question_index:
            raise InputError("the replay file stores no question texts, so prompts cannot be matched; "
                             "use generate_for(problems, ...)", path=self.path)
        best: tuple[int, int, str] | None = None
        width = self._key_width
        for start in range(len(text) - width + 1):
            for entry in self._question_index.get(text[start:start + width], ()):
                if text.startswith(entry.question, start):
                    key = (start + len(entry.question), len(entry.question), entry.problem_id)
                    best = key if best is None or key > best else best
        if best is None:
            raise InputError(f"no stored question occurs in the prompt {text[:80]!r}", path=self.path)
        return best[2]

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, the first `n` samples of the stored problem whose question it contains."""
        return [self._take(self._match(prompt), n) for prompt in prompts]
