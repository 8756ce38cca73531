"""The one protocol every sampling backend implements.

A prompt is either a plain string (sent as is, for base models and few-shot prompts) or a
list of chat messages `[{"role": ..., "content": ...}]` (rendered with the model's chat
template, for instruct models).

Two ways to sample, one code path in each backend:

- `stream(requests, n, sampling)`: the sampling stage's interface. Requests are keyed (by
  problem id); the backend keeps as many in flight as it can (at most `window` unfinished at
  once when given) and yields one `SampleResult` per request the moment its last completion is
  done, in whatever order they finish. A request that fails for good yields a result with an
  `error` instead of completions; the others go on.
- `generate(prompts, n, sampling)`: for each prompt, in order, `n` completions; it raises on
  the first failure. Backends implement it by collecting their own stream (`collect_stream`).

A backend written against the older protocol (only `generate`) still works in the sampling
stage through `stream_requests`, one window of requests per `generate` call.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol, Union, runtime_checkable

ChatMessage = dict[str, str]
Prompt = Union[str, list[ChatMessage]]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. `temperature == 0` means greedy decoding (then n copies are identical).

    `seed` makes sampling repeatable where the backend supports it: the same seed, prompt
    and parameters give the same completions.
    """

    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 1024
    stop: tuple[str, ...] = ()
    seed: int | None = 0
    logprobs: bool = False

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        object.__setattr__(self, "stop", tuple(self.stop))


@dataclass(frozen=True)
class Completion:
    """One generated continuation.

    `finish_reason` is "stop" (end of sequence or a stop string) or "length" (hit
    `max_tokens`). `num_tokens` is None when the backend cannot count tokens. `logprob` is the sum of the sampled tokens' log-probabilities, when the
    backend was asked for them (`SamplingParams.logprobs`) and can give them.
    """

    text: str
    finish_reason: str
    num_tokens: int | None
    logprob: float | None = None
    token_logprobs: tuple[float, ...] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # A token the sampler's own distribution gave no mass (a server's `-Infinity`, a NaN) leaves the
        # solution's log-probability unknown: kept as None, which the run files can hold and JSON can.
        values = (self.logprob,) + tuple(self.token_logprobs or ())
        if any(value is not None and not math.isfinite(value) for value in values):
            object.__setattr__(self, "logprob", None)
            object.__setattr__(self, "token_logprobs", None)


@dataclass(frozen=True)
class SampleRequest:
    """One prompt to sample, under a key (the problem id) that its result comes back with."""

    key: str
    prompt: Prompt


@dataclass(frozen=True)
class SampleResult:
    """The outcome of one request: its `n` completions, or why it failed for good."""

    key: str
    completions: tuple[Completion, ...] = ()
    error: str | None = None
    rejected: bool = False
    """The backend refuses this prompt as written (longer than the context window, a client error
    the server gives every time): retrying cannot help, unlike a timeout or a dropped connection."""

    @property
    def ok(self) -> bool:
        return self.error is None


@runtime_checkable
class StreamingBackend(Protocol):
    """A backend that yields each request's completions as soon as they are all done."""

    name: str

    def stream(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams, *,
               window: int | None = None) -> Iterator[SampleResult]:
        """One result per request, in the order they finish; at most `window` requests
        unfinished at once (None: the backend's own default)."""
        ...


@runtime_checkable
class Backend(Protocol):
    """A model that samples completions."""

    name: str

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, `n` completions (a list of length `len(prompts)` of lists of length `n`)."""
        ...


def collect_stream(results: Iterable[SampleResult], count: int) -> list[list[Completion]]:
    """`generate`'s answer from a stream over requests keyed "0", "1", ...: completions in request
    order; the first failed request raises `EvalkitError` with its message."""
    from evalkit.errors import EvalkitError

    collected: list[list[Completion] | None] = [None] * count
    for result in results:
        if result.error is not None:
            raise EvalkitError(result.error)
        collected[int(result.key)] = list(result.completions)
    missing = [index for index, item in enumerate(collected) if item is None]
    if missing:
        raise EvalkitError(f"the backend returned no result for prompt {missing[0]} (of {count})")
    return collected  # type: ignore[return-value]


def indexed_requests(prompts: Sequence[Prompt]) -> list[SampleRequest]:
    """Requests keyed by position ("0", "1", ...), for `generate` built on `stream`."""
    return [SampleRequest(str(index), prompt) for index, prompt in enumerate(prompts)]


def stream_requests(backend: Backend, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams, *,
                    window: int | None = None) -> Iterator[SampleResult]:
    """Results for `requests` from any backend: its own `stream` when it has one, else `generate`
    on one window of requests at a time (default 16), each result yielded as its window returns."""
    stream = getattr(backend, "stream", None)
    if callable(stream):
        yield from stream(requests, n, sampling, window=window)
        return
    pending = iter(requests)
    size = window or 16
    while True:
        chunk = list(islice(pending, size))
        if not chunk:
            return
        groups = backend.generate([request.prompt for request in chunk], n, sampling)
        for request, completions in zip(chunk, groups, strict=True):
            yield SampleResult(request.key, tuple(completions))


def prompt_seed(seed: int | None, prompt: Prompt, *salt: object) -> int | None:
    """A 63-bit sampling seed from the run's seed, the prompt's content and any `salt` (e.g. a
    sample index); None when `seed` is None. Seeding by content, not by position, makes samples
    independent of batching, sharding and resuming (two identical prompts get identical samples)."""
    if seed is None:
        return None
    key = json.dumps([seed, prompt, *salt], ensure_ascii=False, sort_keys=True)
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") >> 1


def context_window_problem(label: object, prompt_tokens: int, max_tokens: int, context_window: int | None,
                           model: str) -> str | None:
    """Why a prompt of `prompt_tokens` cannot be sampled with `max_tokens` in a model's context window
    (None: it fits, or the window is unknown). Every local backend refuses such a prompt rather than cut
    its samples short at the window's end: past its trained length a model's output is not what it
    would be, and a sample cut there would be recorded as reaching max_tokens when it did not."""
    if context_window and prompt_tokens + max_tokens > context_window:
        return (f"prompt {label} has {prompt_tokens} tokens; with max_tokens={max_tokens} it exceeds the "
                f"context window of {context_window} tokens of model {model!r}")
    return None


def truncate_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut `text` before the first occurrence of any stop string; say whether one was found."""
    cut = len(text)
    for marker in stop:
        if marker:
            position = text.find(marker)
            if position != -1:
                cut = min(cut, position)
    return text[:cut], cut < len(text)


@runtime_checkable
class NextTokenScorer(Protocol):
    """A model that reads next-token log-probabilities (what the solution evaluator needs).

    For each prompt, the log-probability that the next token is each candidate's first token
    (a candidate of several tokens is scored by its first token only). The `hf`, `vllm` and
    `openai` backends implement it.
    """

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        ...
