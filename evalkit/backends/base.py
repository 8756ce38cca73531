"""The one protocol every sampling backend implements.

A prompt is either a plain string (sent as is, for base models and few-shot prompts) or a
list of chat messages `[{"role": ..., "content": ...}]` (rendered with the model's chat
template, for instruct models). `generate` returns, for each prompt, `n` completions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
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


@runtime_checkable
class Backend(Protocol):
    """A model that samples completions."""

    name: str

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, `n` completions (a list of length `len(prompts)` of lists of length `n`)."""
        ...


def prompt_seed(seed: int | None, prompt: Prompt, *salt: object) -> int | None:
    """A 63-bit sampling seed from the run's seed, the prompt's content and any `salt` (e.g. a
    sample index); None when `seed` is None. Seeding by content, not by position, makes samples
    independent of batching, sharding and resuming (two identical prompts get identical samples)."""
    if seed is None:
        return None
    key = json.dumps([seed, prompt, *salt], ensure_ascii=False, sort_keys=True)
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") >> 1


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
