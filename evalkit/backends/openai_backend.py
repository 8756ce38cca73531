"""The `openai` backend: any OpenAI-compatible server (vLLM's server, a hosted model) via `openai`.

- Requests run in a thread pool of `concurrency` workers with the official synchronous client
  (its own retries are off: this module retries, so it can count, log and fail clearly).
- Retries: HTTP 408/409/429/5xx, connection errors and timeouts are retried up to `max_retries`
  times with exponential back-off and full jitter (`backoff_base * 2**attempt`, capped at
  `backoff_max`), or after the server's `Retry-After` when it sends one. Other HTTP errors
  (400, 401, 404, ...) fail at once. A failure raises `EvalkitError` naming the server URL and
  the last status; the other requests of the call are then abandoned rather than each retried.
- String prompts go to the completions endpoint, chat prompts (message lists) to the chat
  endpoint (`mode="auto"`); `mode="chat"` sends strings as one user message, and
  `mode="completions"` refuses chat prompts.
- `n` is passed through; when a server returns fewer choices (some ignore `n`), the missing
  ones are requested again (each later call with a seed derived from `sampling.seed` and the
  call number, so a seeded server does not repeat itself) until there are `n`.
  Greedy (`temperature == 0`) requests one choice and copies it `n` times.
- `num_tokens` is the number of token log-probabilities when the server returned them, else
  `usage.completion_tokens` (split evenly over the choices of one response when it has several:
  an approximation only for servers that honour `n` but not `logprobs`), else None (unknown).
- The text is cut at the first stop string here too, for servers that ignore `stop`.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar

import openai
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from evalkit.backends.base import Completion, Prompt, SamplingParams, truncate_at_stop
from evalkit.errors import ConfigError, EvalkitError

RETRYABLE_STATUS = frozenset({408, 409, 429})
RETRY_AFTER_LIMIT = 300.0  # seconds; a longer Retry-After is cut to this
TOP_LOGPROBS = 20  # vLLM's default limit on `logprobs`, and the OpenAI API's maximum for chat
Result = TypeVar("Result")


class _Abandoned(Exception):
    """Raised in a worker whose call was abandoned because another request failed for good."""


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), if given."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait before retry number `attempt + 1`.

    The server's `Retry-After` when it sent one (up to `RETRY_AFTER_LIMIT`), else "full jitter"
    exponential back-off: uniform in `[0, min(cap, base * 2**attempt)]`.
    """
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_LIMIT)
    return rng.uniform(0, min(cap, base * 2**attempt))


def call_seed(seed: int | None, call_index: int) -> int | None:
    """The seed of the `call_index`-th request for one prompt: `seed` first, then derived ones."""
    if seed is None or call_index == 0:
        return seed
    digest = hashlib.sha256(f"{seed}:{call_index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def first_token_logprob(candidate: str, top_logprobs: dict[str, float]) -> float:
    """A candidate's log-probability read from a top-k list of next tokens.

    The candidate itself if listed, else the longest listed token that begins it (its first
    token as the model spells it); `-inf` when no listed token begins it: the true value is
    then below the k-th best, but unknown.
    """
    if candidate in top_logprobs:
        return float(top_logprobs[candidate])
    prefixes = [token for token in top_logprobs if token and candidate.startswith(token)]
    if not prefixes:
        return float("-inf")
    return float(top_logprobs[max(prefixes, key=len)])


def _progress(description: str, total: int):
    """A rich progress bar on stderr."""
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    )
    return progress, progress.add_task(description, total=total)


class OpenAIBackend:
    """Sampling through an OpenAI-compatible HTTP API (see the module docstring).

    The API key is read from the environment variable `api_key_env`; with a `base_url` (a local
    server) a missing key becomes the dummy "EMPTY". `backoff_base` and `backoff_max` (seconds)
    shape the retry back-off; tests make them tiny.
    """

    name = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 concurrency: int = 8, max_retries: int = 5, timeout: float = 120.0,
                 mode: Literal["auto", "chat", "completions"] = "auto",
                 backoff_base: float = 1.0, backoff_max: float = 60.0) -> None:
        if mode not in ("auto", "chat", "completions"):
            raise ConfigError(f"mode must be 'auto', 'chat' or 'completions', got {mode!r}")
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ConfigError(f"need concurrency >= 1, max_retries >= 0, timeout > 0; got {concurrency}, "
                              f"{max_retries}, {timeout}")
        api_key = os.environ.get(api_key_env)
        if not api_key:
            if base_url is None:
                raise ConfigError(f"set the environment variable {api_key_env} to your API key "
                                  f"(or give base_url for a local server, which needs none)")
            api_key = "EMPTY"
        self.model = model
        self.mode = mode
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self.server = str(self.client.base_url).rstrip("/")
        self.retries = 0  # retried requests so far, for reports and tests
        self._lock = threading.Lock()
        self._rng = random.Random()

    # -- requests with retries -------------------------------------------------------------

    def _request(self, create: Callable[..., Result], abandon: threading.Event, **params: Any) -> Result:
        """Call `create(**params)`, retrying transient failures; raise `EvalkitError` at the end."""
        last_error = ""
        for attempt in range(self.max_retries + 1):
            if abandon.is_set():
                raise _Abandoned()
            retry_after = None
            try:
                return create(**params)
            except openai.APIStatusError as error:
                status = error.status_code
                detail = _error_detail(error)
                if status not in RETRYABLE_STATUS and status < 500:
                    raise EvalkitError(f"server {self.server} refused the request: HTTP {status}: {detail}") from None
                last_error = f"HTTP {status}: {detail}"
                retry_after = parse_retry_after(error.response.headers)
            except openai.APITimeoutError:
                last_error = f"no answer within {self.client.timeout} s"
            except openai.APIConnectionError as error:
                cause = error.__cause__ or error
                last_error = f"cannot connect ({type(cause).__name__}: {cause})"
            if attempt == self.max_retries:
                break
            with self._lock:
                self.retries += 1
                delay = backoff_delay(attempt, self.backoff_base, self.backoff_max, retry_after, self._rng)
            if abandon.wait(delay):
                raise _Abandoned()
        raise EvalkitError(
            f"server {self.server} failed after {self.max_retries + 1} attempts; last error: {last_error}"
        )

    def _run_all(self, work: Sequence[Callable[[threading.Event], Result]], description: str) -> list[Result]:
        """Run the work items in the thread pool, in order; the first hard failure stops the rest."""
        results: list[Any] = [None] * len(work)
        abandon = threading.Event()
        progress, task = _progress(description, len(work))
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="evalkit-openai")
        futures: dict[Future, int] = {pool.submit(item, abandon): index for index, item in enumerate(work)}
        try:
            with progress:
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    progress.advance(task)
        except BaseException:
            # Report now: queued work is cancelled and running workers stop at their next retry.
            abandon.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return results

    # -- sampling ------------------------------------------------------------------------

    def _endpoint(self, prompt: Prompt) -> str:
        """"chat" or "completions" for this prompt under the backend's mode."""
        if self.mode == "chat":
            return "chat"
        if isinstance(prompt, str):
            return "completions"
        if self.mode == "completions":
            raise ConfigError("mode='completions' cannot send chat prompts (message lists); use mode='auto'")
        return "chat"

    def _sampling_params(self, sampling: SamplingParams, count: int, seed: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model, "n": count, "temperature": sampling.temperature, "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
        }
        if sampling.stop:
            params["stop"] = list(sampling.stop)
        if seed is not None:
            params["seed"] = seed
        return params

    def _ask(self, prompt: Prompt, count: int, seed: int | None, sampling: SamplingParams,
             abandon: threading.Event) -> list[Completion]:
        """One request for `count` choices of one prompt, converted to completions."""
        params = self._sampling_params(sampling, count, seed)
        if self._endpoint(prompt) == "chat":
            messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
            if sampling.logprobs:
                params["logprobs"] = True
            response = self._request(self.client.chat.completions.create, abandon, messages=messages, **params)
            pieces = [
                (choice.message.content or "", choice.finish_reason,
                 None if choice.logprobs is None or choice.logprobs.content is None
                 else [item.logprob for item in choice.logprobs.content])
                for choice in response.choices
            ]
        else:
            if sampling.logprobs:
                params["logprobs"] = 1
            response = self._request(self.client.completions.create, abandon, prompt=prompt, **params)
            pieces = [
                (choice.text or "", choice.finish_reason,
                 None if choice.logprobs is None or choice.logprobs.token_logprobs is None
                 else [x for x in choice.logprobs.token_logprobs if x is not None])
                for choice in response.choices
            ]
        usage_tokens = getattr(response.usage, "completion_tokens", None)
        return [_completion(text, reason, logprobs, usage_tokens, len(pieces), sampling)
                for text, reason, logprobs in pieces]

    def _sample_prompt(self, prompt: Prompt, n: int, sampling: SamplingParams,
                       abandon: threading.Event) -> list[Completion]:
        """`n` completions of one prompt, topping up when the server returns fewer choices."""
        wanted = 1 if sampling.temperature == 0 else n
        collected: list[Completion] = []
        call_index = 0
        while len(collected) < wanted:
            missing = wanted - len(collected)
            got = self._ask(prompt, missing, call_seed(sampling.seed, call_index), sampling, abandon)
            if not got:
                raise EvalkitError(f"server {self.server} returned no choices for a request of {missing}")
            collected.extend(got[:missing])
            call_index += 1
        return collected * n if wanted == 1 and n > 1 else collected

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, exactly `n` completions (see the module docstring)."""
        if n < 1:
            raise ConfigError(f"n must be >= 1, got {n}")
        for prompt in prompts:
            self._endpoint(prompt)  # refuse a bad mode before sending anything
        work = [lambda abandon, p=prompt: self._sample_prompt(p, n, sampling, abandon) for prompt in prompts]
        return self._run_all(work, f"openai: sampling {len(prompts)} prompts x {n}")

    # -- verdict probabilities -----------------------------------------------------------

    def _echo(self, text: str, abandon: threading.Event, logprobs: int = 1):
        """A completions request that echoes `text` with its prompt log-probabilities."""
        return self._request(self.client.completions.create, abandon, model=self.model, prompt=text,
                             max_tokens=1, temperature=0.0, echo=True, logprobs=logprobs)

    def _score_prompt(self, prompt: str, candidates: Sequence[str], abandon: threading.Event) -> dict[str, float]:
        """Log-probabilities of each candidate's first token after `prompt` (see next_token_logprobs)."""
        scores: dict[str, float] = {}
        base = self._echo(prompt, abandon)
        prompt_tokens = getattr(base.usage, "prompt_tokens", None)
        base_logprobs = base.choices[0].logprobs if base.choices else None
        # A server that ignores `echo` returns only the generated token; a one-token prompt
        # cannot tell the two apart, so it takes the fallback.
        echo_works = (prompt_tokens is not None and prompt_tokens >= 2 and base_logprobs is not None
                      and base_logprobs.tokens is not None and len(base_logprobs.tokens) >= prompt_tokens)
        if echo_works:
            for candidate in candidates:
                response = self._echo(prompt + candidate, abandon)
                logprobs = response.choices[0].logprobs if response.choices else None
                if logprobs is None or logprobs.tokens is None or logprobs.token_logprobs is None:
                    continue
                aligned = (logprobs.tokens[:prompt_tokens] == base_logprobs.tokens[:prompt_tokens]
                           and len(logprobs.token_logprobs) > prompt_tokens
                           and logprobs.token_logprobs[prompt_tokens] is not None)
                if aligned:
                    scores[candidate] = float(logprobs.token_logprobs[prompt_tokens])
        missing = [candidate for candidate in candidates if candidate not in scores]
        if missing:
            response = self._request(self.client.completions.create, abandon, model=self.model, prompt=prompt,
                                     max_tokens=1, temperature=0.0, logprobs=TOP_LOGPROBS)
            logprobs = response.choices[0].logprobs if response.choices else None
            if logprobs is None or not logprobs.top_logprobs or logprobs.top_logprobs[0] is None:
                raise EvalkitError(f"server {self.server} returned no log-probabilities for model {self.model!r}; "
                                   f"next_token_logprobs needs a server that supports 'logprobs' (e.g. vLLM)")
            for candidate in missing:
                scores[candidate] = first_token_logprob(candidate, logprobs.top_logprobs[0])
        return {candidate: scores[candidate] for candidate in candidates}

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        """For each prompt, the log-probability of each candidate's FIRST token as the next token.

        Exact path (vLLM's server): echo `prompt + candidate` with prompt log-probabilities and
        read the token right after the prompt's own tokens (`usage.prompt_tokens` of an echo of
        the prompt alone); a candidate of several tokens is thus scored by its first token only.
        Used when the server echoes and the candidate starts on a token boundary.
        Fallback (other servers, or a candidate that merges with the prompt's last token): one
        request with `max_tokens=1, logprobs=20` and the candidate looked up in that top-20 list
        (`first_token_logprob`); a candidate whose first token is not among the top 20 gets
        `-inf`. One request per prompt plus one per candidate.
        """
        if not candidates or any(not candidate for candidate in candidates):
            raise ConfigError("next_token_logprobs needs non-empty candidate strings")
        work = [lambda abandon, p=prompt: self._score_prompt(p, candidates, abandon) for prompt in prompts]
        return self._run_all(work, f"openai: scoring {len(prompts)} prompts")


def _error_detail(error: openai.APIStatusError) -> str:
    """The server's error message, shortened."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if body.get("message"):
            return str(body["message"])[:300]
    return str(error.message)[:300]


def _completion(text: str, finish_reason: str | None, token_logprobs: list[float] | None, usage_tokens: int | None,
                num_choices: int, sampling: SamplingParams) -> Completion:
    """One choice as a `Completion` (see the module docstring for `num_tokens`)."""
    text, cut = truncate_at_stop(text, sampling.stop)
    reason = "stop" if cut or finish_reason in (None, "stop", "eos") else finish_reason
    if token_logprobs:
        num_tokens = len(token_logprobs)
    elif usage_tokens is not None:
        num_tokens = round(usage_tokens / max(num_choices, 1))
    else:
        num_tokens = None
    keep = sampling.logprobs and token_logprobs is not None
    return Completion(
        text=text,
        finish_reason=reason,
        num_tokens=num_tokens,
        logprob=float(sum(token_logprobs)) if keep else None,
        token_logprobs=tuple(float(x) for x in token_logprobs) if keep else None,
    )
