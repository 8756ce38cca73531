"""Calls to an expensive model, paid once: disk cache, retries with back-off, budget, cost report.

`CachedCaller` wraps any backend. Every request (one prompt, `n` completions) is keyed by a
hash of the model id, the prompt, `n` and the sampling parameters; answered requests are
appended to a JSONL cache the moment they arrive (new requests stream through the backend as
in evaluation runs), so a killed or repeated run never pays for them again. A transport failure
is retried with exponential back-off (`RetryPolicy`), re-sending only the requests without an
answer; configuration errors and refused requests are not retried. A `Budget` of calls and tokens, counted over the
whole cache (all runs so far), stops calls cleanly: the requests left are returned as
skipped, not dropped. Token counts come from the backend where it reports them, else from a
tokenizer or a characters/4 estimate, and `cost_report` prices them.

`ask_teacher` is the teacher step: one education-stage prompt per text (or one per stage,
`mode="mixed"`), parsed into problem / solution / answer.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evalkit.backends.base import Backend, Completion, Prompt, SampleRequest, SamplingParams, stream_requests
from evalkit.errors import ConfigError, EvalkitError, InputError
from evalkit.jsonl import JsonlAppender, iter_jsonl
from evalkit.progress import make_progress
from evalkit.synthesis.corpus import Chunk
from evalkit.synthesis.prompts import (
    choose_stage,
    parse_exercise,
    response_prefix,
    teacher_prompt,
)


@dataclass(frozen=True)
class Budget:
    """Limits over all calls recorded in the cache; None = no limit."""

    max_calls: int | None = None
    max_tokens: int | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Retry after a transport failure up to `max_retries` times, waiting `min(cap, base * 2**attempt)` seconds."""

    max_retries: int = 4
    base: float = 1.0
    cap: float = 60.0

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * (2 ** attempt))


@dataclass(frozen=True)
class CallOutcome:
    """The answer to one request: `status` is "new" (paid now), "cached" or "skipped" (budget)."""

    status: str
    completions: tuple[Completion, ...] = ()
    reason: str = ""


@dataclass
class Usage:
    """Running totals of calls and tokens (the cache's, and this run's)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def request_key(model_id: str, prompt: Prompt, n: int, sampling: SamplingParams) -> str:
    """SHA-256 of the canonical JSON of everything that decides a request's answer."""
    canonical = json.dumps({"model": model_id, "prompt": prompt, "n": n, "sampling": asdict(sampling)},
                           sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters a token) for backends that report none."""
    return max(1, (len(text) + 3) // 4)


def prompt_text(prompt: Prompt) -> str:
    """The text of a prompt, chat messages joined, for token counting."""
    if isinstance(prompt, str):
        return prompt
    return "\n".join(message.get("content", "") for message in prompt)


def _completion_to_dict(completion: Completion) -> dict[str, Any]:
    return {"text": completion.text, "finish_reason": completion.finish_reason, "num_tokens": completion.num_tokens}


def _completion_from_dict(data: dict[str, Any]) -> Completion:
    return Completion(text=str(data["text"]), finish_reason=str(data.get("finish_reason") or "stop"),
                      num_tokens=data.get("num_tokens"))


class CachedCaller:
    """A backend behind a disk cache, a retry policy and a budget (see the module docstring)."""

    def __init__(self, backend: Backend, model_id: str, cache_path: Path, *, budget: Budget = Budget(),
                 retry: RetryPolicy = RetryPolicy(), count_tokens: Callable[[str], int] = estimate_tokens,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.backend = backend
        self.model_id = model_id
        self.cache_path = Path(cache_path)
        self.budget = budget
        self.retry = retry
        self.count_tokens = count_tokens
        self.sleep = sleep
        self.total = Usage()
        self.this_run = Usage()
        self.retries_this_run = 0
        self._cache: dict[str, tuple[Completion, ...]] = {}
        if self.cache_path.exists():
            for line, entry in iter_jsonl(self.cache_path, tolerate_partial_tail=True):
                try:
                    completions = tuple(_completion_from_dict(c) for c in entry["completions"])
                    self._cache[str(entry["key"])] = completions
                    self.total.add(int(entry.get("prompt_tokens", 0)), int(entry.get("completion_tokens", 0)))
                except (KeyError, TypeError, ValueError) as error:
                    raise InputError(f"not a cache entry ({error!r}); delete the line or the file to re-ask",
                                     path=self.cache_path, line=line) from None

    def _budget_left(self) -> tuple[int | None, str]:
        """How many more calls the budget allows (None = unlimited), and why it is 0 when it is."""
        if self.budget.max_tokens is not None and self.total.tokens >= self.budget.max_tokens:
            return 0, f"budget: max_tokens={self.budget.max_tokens} reached"
        if self.budget.max_calls is not None:
            left = max(0, self.budget.max_calls - self.total.calls)
            return left, f"budget: max_calls={self.budget.max_calls} reached"
        return None, ""

    def _resume_hint(self) -> str:
        return (f"{self.this_run.calls} answers of this run (and {self.total.calls} in all) are cached in "
                f"{self.cache_path}; rerun to resume")

    def _record(self, appender: JsonlAppender, key: str, prompt: Prompt, completions: list[Completion]) -> None:
        prompt_tokens = self.count_tokens(prompt_text(prompt))
        completion_tokens = sum(c.num_tokens if c.num_tokens is not None else self.count_tokens(c.text)
                                for c in completions)
        appender.write({"key": key, "model": self.model_id, "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "completions": [_completion_to_dict(c) for c in completions]})
        self._cache[key] = tuple(completions)
        self.total.add(prompt_tokens, completion_tokens)
        self.this_run.add(prompt_tokens, completion_tokens)

    def run(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams, *, batch_size: int = 8,
            description: str = "teacher", show_progress: bool = True) -> list[CallOutcome]:
        """The outcome of each prompt, in order: cached answers first, then new calls.

        New calls go through the same streaming as evaluation runs (`stream_requests`: the
        backend's own `stream` where it has one): at most `batch_size` requests in flight, and
        each answer is cached the moment it arrives, so a slow prompt holds up no other and a
        kill loses only what was in flight.
        """
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        keys = [request_key(self.model_id, prompt, n, sampling) for prompt in prompts]
        outcomes: dict[int, CallOutcome] = {}
        pending = []
        for index, key in enumerate(keys):
            if key in self._cache:
                outcomes[index] = CallOutcome("cached", self._cache[key])
            else:
                pending.append(index)
        # One request per distinct key: identical prompts in one call are paid once.
        first_of_key: dict[str, int] = {}
        unique = [i for i in pending if first_of_key.setdefault(keys[i], i) == i]
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        progress = make_progress(disable=not show_progress or not unique)
        with progress, JsonlAppender(self.cache_path) as appender:
            task = progress.add_task(description, total=len(unique))
            self._call_with_retries(unique, keys, prompts, n, sampling, batch_size, appender, outcomes,
                                    lambda: progress.advance(task))
        for index in pending:
            if index not in outcomes:
                source = outcomes[first_of_key[keys[index]]]
                outcomes[index] = CallOutcome("cached" if source.status == "new" else source.status,
                                              source.completions, source.reason)
        return [outcomes[index] for index in range(len(prompts))]

    def _call_with_retries(self, unique: list[int], keys: list[str], prompts: Sequence[Prompt], n: int,
                           sampling: SamplingParams, window: int, appender: JsonlAppender,
                           outcomes: dict[int, CallOutcome], advance: Callable[[], None]) -> None:
        """Stream the unanswered requests of `unique` into `outcomes` (new answers recorded as they
        arrive, the rest "skipped" once the budget is spent).

        A request the backend reports as failed for good ends the call once the requests already
        in flight have come back (their answers are kept; a backend that reads requests ahead, as
        `openai` does, may have sent up to one more window). So does an `EvalkitError` from the
        backend, which it raises for what a retry cannot fix (such as HTTP 401) and after its own
        per-request retries (`openai` retries 408/409/429/5xx itself, honouring Retry-After). Any
        other exception from the backend (a transport error of a backend without retries of its
        own) is retried with back-off, re-sending only the requests that have no answer yet.
        Errors while recording an answer are not the backend's and are never retried.
        """
        attempt = 0
        while True:
            remaining = [index for index in unique if index not in outcomes]
            if not remaining:
                return
            budget = _BudgetGate(self)
            results = stream_requests(self.backend, budget.admit(SampleRequest(str(index), prompts[index])
                                                                 for index in remaining), n, sampling, window=window)
            failure, transport_error = "", None
            while True:
                try:
                    result = next(results, None)
                except ConfigError:
                    raise
                except EvalkitError as error:
                    raise EvalkitError(f"{self.model_id}: {error}; {self._resume_hint()}") from None
                except Exception as error:  # noqa: BLE001 -- a transport or server failure is worth another try
                    transport_error = error
                    break
                if result is None:
                    break
                index = int(result.key)
                if result.error is not None or len(result.completions) != n:
                    # failed for good: send nothing more, but keep every answer still in flight
                    failure = failure or result.error or f"{len(result.completions)} answers instead of {n}"
                    budget.close()
                    continue
                self._record(appender, keys[index], prompts[index], list(result.completions))
                outcomes[index] = CallOutcome("new", tuple(result.completions))
                advance()
            if transport_error is not None:
                if attempt >= self.retry.max_retries:
                    raise EvalkitError(
                        f"{self.model_id}: giving up after {attempt + 1} attempts: {type(transport_error).__name__}: "
                        f"{transport_error}; {self._resume_hint()}") from None
                self.sleep(self.retry.delay(attempt))
                attempt += 1
                self.retries_this_run += 1
                continue
            if failure:
                raise EvalkitError(f"{self.model_id}: {failure}; {self._resume_hint()}")
            unanswered = [key for key in budget.admitted if int(key) not in outcomes]
            if unanswered:
                raise EvalkitError(f"{self.model_id}: the backend returned no answer for {len(unanswered)} "
                                   f"request(s); {self._resume_hint()}")
            for index in remaining:
                if index not in outcomes:
                    outcomes[index] = CallOutcome("skipped", reason=budget.reason)
            return


class _BudgetGate:
    """Lets requests through while the caller's budget allows. Calls count from the moment they are
    sent (answered or still in flight); tokens count as answers arrive, so when the token budget
    runs out only the requests already in flight are answered beyond it. `reason` says why it
    stopped letting requests through ("" while it has not); `admitted` lists the keys it let through."""

    def __init__(self, caller: CachedCaller) -> None:
        self.caller = caller
        self.reason = ""
        self.closed = False
        self.admitted: list[str] = []

    def close(self) -> None:
        """Let no more requests through (a request failed for good)."""
        self.closed = True

    def admit(self, requests: Iterable[SampleRequest]) -> Iterator[SampleRequest]:
        answered_before = self.caller.total.calls
        for request in requests:
            if self.closed:
                return
            left, reason = self.caller._budget_left()
            in_flight = len(self.admitted) - (self.caller.total.calls - answered_before)
            if left is not None and left - in_flight <= 0:
                self.reason = reason
                return
            self.admitted.append(request.key)
            yield request


@dataclass(frozen=True)
class Pricing:
    prompt_per_1k: float = 0.0
    completion_per_1k: float = 0.0


def cost_report(caller: CachedCaller, pricing: Pricing = Pricing()) -> dict[str, Any]:
    """Calls, tokens and (when priced) dollars: over the whole cache and for this run alone."""

    def priced(usage: Usage) -> dict[str, Any]:
        dollars = (usage.prompt_tokens * pricing.prompt_per_1k + usage.completion_tokens * pricing.completion_per_1k) / 1000
        return {"calls": usage.calls, "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens, "usd": round(dollars, 6)}

    return {"model": caller.model_id, "total": priced(caller.total), "this_run": priced(caller.this_run),
            "retries_this_run": caller.retries_this_run,
            "pricing_per_1k": {"prompt": pricing.prompt_per_1k, "completion": pricing.completion_per_1k}}


@dataclass(frozen=True)
class ExerciseRequest:
    """One text to write about at one stage."""

    chunk: Chunk
    stage: str


def plan_requests(chunks: Sequence[Chunk], mode: str, stages: Sequence[str]) -> list[ExerciseRequest]:
    """Which stage(s) each text is asked at: one per text, or every stage for `mode="mixed"`.

    `mode="source"` takes the stage its source gave the text (the demo corpus labels its
    passages) when that stage is among `stages`, and the keyword heuristic otherwise.
    """
    if mode == "mixed":
        return [ExerciseRequest(chunk, stage) for chunk in chunks for stage in stages]
    if mode == "source":
        return [ExerciseRequest(chunk, chunk.stage_hint if chunk.stage_hint in stages
                                else choose_stage(chunk.text, index, "heuristic", tuple(stages)))
                for index, chunk in enumerate(chunks)]
    return [ExerciseRequest(chunk, choose_stage(chunk.text, index, mode, tuple(stages)))
            for index, chunk in enumerate(chunks)]


def exercise_records(requests: Sequence[ExerciseRequest], prompts: Sequence[Prompt],
                     outcomes: Sequence[CallOutcome]) -> list[dict[str, Any]]:
    """One record per request and completion: status ok / malformed / skipped, with the parsed parts."""
    records: list[dict[str, Any]] = []
    for request, prompt, outcome in zip(requests, prompts, outcomes):
        base = {"source_id": request.chunk.id, "stage": request.stage}
        if outcome.status == "skipped":
            records.append({**base, "status": "skipped", "reason": outcome.reason})
            continue
        for completion in outcome.completions:
            raw = response_prefix(prompt) + completion.text
            parsed = parse_exercise(raw)
            if parsed is None or parsed.answer is None:
                reason = "no Problem:/Solution: labels" if parsed is None else "no \\boxed{} answer"
                records.append({**base, "status": "malformed", "reason": reason, "raw": raw})
            else:
                records.append({**base, "status": "ok", "raw": raw, "problem": parsed.problem,
                                "solution": parsed.solution, "answer": parsed.answer})
    return records


def ask_teacher(chunks: Sequence[Chunk], caller: CachedCaller, *, mode: str, stages: Sequence[str], chat: bool,
                sampling: SamplingParams, batch_size: int, show_progress: bool = True) -> list[dict[str, Any]]:
    """The teacher step: prompt for each (text, stage), call through the cache, parse the answers."""
    requests = plan_requests(chunks, mode, stages)
    prompts = [teacher_prompt(request.chunk.text, request.stage, chat=chat) for request in requests]
    outcomes = caller.run(prompts, 1, sampling, batch_size=batch_size, description="teacher",
                          show_progress=show_progress)
    return exercise_records(requests, prompts, outcomes)


def count_statuses(records: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many records have each status."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    return counts
