"""The `openai` backend: any OpenAI-compatible server (vLLM's server, a hosted model) via `openai`.

- Requests go through the official async client (`AsyncOpenAI`), at most `max_in_flight` at
  once (default 256, sized for a vLLM server; lower it for rate-limited hosted APIs). The
  sampling stage's `stream` keeps every pending problem queued behind that bound and yields
  each problem the moment its completions are in, so a slow or failing request never holds up
  or throws away its neighbours. An event loop in a helper thread runs the requests; Ctrl-C
  cancels them all at once (in well under a second) and the client connections close.
- Retries (the client's own are off, so that this module can count and report them): HTTP
  408/409/429/5xx, connection errors, timeouts and malformed replies (HTTP 200 with a body that
  is not the JSON response asked for: cut short, not UTF-8, a proxy's HTML page, no or empty `choices`) are retried
  up to `max_retries` times with exponential back-off and full jitter (`backoff_base *
  2**attempt`, capped at `backoff_max`), or after the server's `Retry-After` (`retry-after-ms`)
  when it sends one. Retries are told in few lines (`server_watch`): the first at once, then one
  summary line at most every `retry_report_s` seconds. A request that still fails gives its
  problem an error result, one line naming what the server sent (escaped, shortened; named at
  the end of the stage, retried by running again); 400-class errors other than these fail their
  problem at once, except 401/403/404 (a bad key, a wrong model or URL), which stop everything
  at once since every request would fail alike.
- A request that is not served (it cannot connect, or HTTP 502/503/504: the server restarting or a
  short outage, also behind a proxy or load balancer) is retried past `max_retries`, until the
  server is taken to be gone:
- A server that is gone stops the stream early with one line naming it: `max_retries + 1`
  requests in a row that are not served (refused, unknown or unreachable host, 502/503/504) when it has
  never answered otherwise, or as many spread over `unreachable_after_s` (30 s) since it last answered
  (see `server_watch`). After `FAILURE_STREAK_LIMIT` problems in a row fail for good (a server
  that answers, but only with errors), the server is taken to be down and the stream stops with
  that error rather than grinding through the rest.
- Timeouts: `connect_timeout` (10 s) to open a connection, `timeout` (600 s) for an answer;
  `timeout + connect_timeout` bounds the whole request, from sending it to the last byte of the
  reply, so a server that keeps a reply coming a few bytes at a time (never a gap as long as
  `timeout`) is timed out and retried like a silent one instead of holding its problem forever.
  Answers are not streamed, so `timeout` must cover the longest generation: raise it for
  reasoning models with very long outputs. While requests wait longer than `stall_warning_s`
  (60 s) without an answer, a line every `stall_warning_s` says how many and for how long, and
  whether the server still answers a quick `GET /models` (alive and busy, or hung).
- String prompts go to the completions endpoint, chat prompts (message lists) to the chat
  endpoint (`mode="auto"`); `mode="chat"` sends strings as one user message, and
  `mode="completions"` refuses chat prompts.
- `n` is passed through; when a server returns fewer choices (some ignore `n`), the missing
  ones are requested again (each later call with a seed derived from `sampling.seed` and the
  call number, so a seeded server does not repeat itself) until there are `n`. Choices are taken
  in the order of their `index`, whatever order the reply lists them in.
  Greedy (`temperature == 0`) requests one choice and copies it `n` times.
- `num_tokens` is the number of token log-probabilities when the server returned them, else
  `usage.completion_tokens` (split evenly over the choices of one response when it has several:
  an approximation only for servers that honour `n` but not `logprobs`), else None (unknown).
- The text is cut at the first stop string here too, for servers that ignore `stop`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import queue
import random
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar

import openai
from rich.console import Console
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from evalkit.backends.base import (
    Completion,
    Prompt,
    SampleRequest,
    SampleResult,
    SamplingParams,
    collect_stream,
    indexed_requests,
    truncate_at_stop,
)
from evalkit.backends.server_watch import ServerWatch, UnreachablePolicy
from evalkit.errors import ConfigError, EvalkitError
from evalkit.text_safety import for_terminal, visible_controls

RETRYABLE_STATUS = frozenset({408, 409, 429})
# The server, or a proxy or load balancer in front of it, is not serving now (down, restarting, not ready):
# like a refused connection, not like an answer (`server_watch`).
NOT_SERVING_STATUS = frozenset({502, 503, 504})
# Errors that every request would meet alike: stop at once instead of failing each problem.
FATAL_STATUS = frozenset({401, 403, 404})
FATAL_STATUS_HINTS = {
    401: " (check the API key: `api_key_env` names the variable that holds it)",
    403: " (the API key is not allowed to use this model or endpoint)",
    404: " (check that `base_url` is the server's OpenAI API root, usually ending in /v1, and that it serves `model`)",
}
RETRY_AFTER_LIMIT = 300.0  # seconds; a longer Retry-After is cut to this
TOP_LOGPROBS = 20  # vLLM's default limit on `logprobs`, and the OpenAI API's maximum for chat
FAILURE_STREAK_LIMIT = 32
HEALTH_CHECK_TIMEOUT_S = 10.0
REPLY_EXCERPT_CHARS = 200  # of a malformed reply's body, in its error message
# Exceptions that mean a request never reached the server, named as both httpx and httpcore
# (and their forks that some openai releases use) name them.
CONNECT_FAILURES = frozenset({"ConnectError", "ConnectTimeout"})
Result = TypeVar("Result")
# One choice read from a reply: its text, finish reason and token log-probabilities.
Piece = tuple[str, "str | None", "list[float] | None"]


class _FatalRequestError(EvalkitError):
    """A failure that every request would meet (bad key, unknown model): stop everything."""


class _RequestFailed(EvalkitError):
    """One request failed for good (after its retries, or at once for a client error, which the
    server would give again: `rejected`)."""

    def __init__(self, message: str, *, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected


class MalformedReply(Exception):
    """An HTTP 200 reply that is not the response asked for (not JSON, or JSON without its
    fields): transient, since a proxy or an overloaded server may answer properly next time."""

    def __init__(self, what: str, body: str) -> None:
        super().__init__(f"HTTP 200 but {what}: {reply_excerpt(body)}")


class ReplyTimeout(Exception):
    """No whole reply within a request's time limit (`timeout + connect_timeout`), however steadily
    its bytes came: transient, like the client's own timeouts."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"no whole answer within {limit_s:g} s")


class _BadShape(Exception):
    """A parsed reply lacks a field or has one of the wrong type (becomes a MalformedReply)."""


def reply_excerpt(body: str, limit: int = REPLY_EXCERPT_CHARS) -> str:
    """The start of a reply's body, quoted with its control characters escaped (`repr`), and
    its full length when it is cut."""
    if len(body) <= limit:
        return repr(body)
    return f"{body[:limit]!r}... ({len(body)} characters in all)"


def cannot_connect(error: BaseException) -> bool:
    """Whether a request failed before reaching the server (connection refused, unknown or
    unreachable host, connect timeout), rather than losing its connection or waiting too long."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if type(cause).__name__ in CONNECT_FAILURES or isinstance(cause, (ConnectionRefusedError, socket.gaierror)):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def not_served(error: BaseException) -> bool:
    """Whether a request failed because the server was not serving: it cannot connect, or the server (or a proxy
    in front of it) answered HTTP 502, 503 or 504."""
    if isinstance(error, openai.APIStatusError):
        return error.status_code in NOT_SERVING_STATUS
    return cannot_connect(error)


def _root_cause(error: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        cause = error.__cause__ or error.__context__
        if cause is None:
            break
        error = cause
    return error


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


def is_transient(error: BaseException) -> bool:
    """Whether a request that failed with `error` may succeed when sent again."""
    if isinstance(error, openai.APIStatusError):
        return error.status_code in RETRYABLE_STATUS or error.status_code >= 500
    return isinstance(error, (openai.APITimeoutError, openai.APIConnectionError, MalformedReply, ReplyTimeout))


def read_reply(raw: Any, read: Callable[[Any], Result]) -> Result:
    """`read` of the parsed body of a raw 200 reply (`with_raw_response`); `MalformedReply`
    when the body is not UTF-8, not JSON, or `read` finds it lacking (`_BadShape`)."""
    body = raw.text
    try:
        parsed = raw.parse()
    except UnicodeDecodeError as error:  # a ValueError too, but "not valid JSON" would mislead
        raise MalformedReply(f"not valid UTF-8 ({error.reason} at byte {error.start})", body) from None
    except ValueError:  # not JSON (json.JSONDecodeError), or a model that cannot be built
        raise MalformedReply("not valid JSON", body) from None
    except RecursionError:
        raise MalformedReply("JSON nested too deeply", body) from None
    if not isinstance(parsed, openai.BaseModel):  # a non-JSON content type comes back as text
        raise MalformedReply("not a JSON object", body)
    try:
        return read(parsed)
    except _BadShape as error:
        raise MalformedReply(str(error), body) from None


def _choices(response: Any) -> list[Any]:
    """A reply's choices in the order of their `index` (a server may send them in any order, and
    sample i must be the same whichever it does). An empty list is malformed, so it is retried."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list):
        raise _BadShape("no 'choices' list")
    if not choices:
        raise _BadShape("an empty 'choices' list")
    if not all(isinstance(choice, openai.BaseModel) for choice in choices):
        raise _BadShape("a choice that is not a JSON object")
    indices = [getattr(choice, "index", None) for choice in choices]
    if all(isinstance(index, int) and not isinstance(index, bool) for index in indices) \
            and len(set(indices)) == len(indices):
        return [choice for _, choice in sorted(zip(indices, choices), key=lambda pair: pair[0])]
    return choices


def _optional_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _BadShape(f"a choice whose {field!r} is not a string")
    return value


def _numbers(values: Any, field: str) -> list[float] | None:
    """Log-probabilities (None entries, such as the first token of an echo, left out)."""
    if values is None:
        return None
    if not isinstance(values, list):
        raise _BadShape(f"{field!r} that is not a list")
    numbers = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _BadShape(f"{field!r} holding {type(value).__name__} values")
        numbers.append(float(value))
    return numbers


def _finish_reason(choice: Any) -> str | None:
    reason = getattr(choice, "finish_reason", None)
    return reason if isinstance(reason, str) else None


def _usage_tokens(response: Any) -> int | None:
    tokens = getattr(getattr(response, "usage", None), "completion_tokens", None)
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0 else None


def completion_pieces(response: Any) -> tuple[list[Piece], int | None]:
    """The choices of a completions reply, and its `usage.completion_tokens` (None if absent)."""
    pieces: list[Piece] = []
    for choice in _choices(response):
        logprobs = getattr(choice, "logprobs", None)
        values = None if logprobs is None else getattr(logprobs, "token_logprobs", None)
        pieces.append((_optional_text(getattr(choice, "text", None), "text"), _finish_reason(choice),
                       _numbers(values, "token_logprobs")))
    return pieces, _usage_tokens(response)


def chat_pieces(response: Any) -> tuple[list[Piece], int | None]:
    """The choices of a chat reply, and its `usage.completion_tokens` (None if absent)."""
    pieces: list[Piece] = []
    for choice in _choices(response):
        message = getattr(choice, "message", None)
        if not isinstance(message, openai.BaseModel):
            raise _BadShape("a choice without a 'message' object")
        logprobs = getattr(choice, "logprobs", None)
        content = None if logprobs is None else getattr(logprobs, "content", None)
        values = None
        if content is not None:
            if not isinstance(content, list):
                raise _BadShape("'logprobs.content' that is not a list")
            values = _numbers([getattr(item, "logprob", None) for item in content], "logprobs.content")
        finish_reason = _finish_reason(choice)
        pieces.append((_message_text(message, finish_reason), finish_reason, values))
    return pieces, _usage_tokens(response)


_REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Where servers put a reasoning model's thinking apart from its answer: vLLM's and SGLang's
reasoning parsers, DeepSeek's API (`reasoning_content`); newer vLLM and OpenRouter (`reasoning`)."""


def _message_text(message: Any, finish_reason: str | None) -> str:
    """A chat message as the model wrote it: the thinking a server's reasoning parser split off is
    put back as `<think>...</think>` before the content, so a sample's text, length and answer are
    the same whether or not the server parses reasoning (grading reads after the last `</think>`).
    Thinking cut at `max_tokens` (no content, finish reason `length`) stays an unclosed block, as
    the raw output would be."""
    content = _optional_text(getattr(message, "content", None), "content")
    for name in _REASONING_FIELDS:
        reasoning = getattr(message, name, None)
        if isinstance(reasoning, str) and reasoning:
            cut_while_thinking = not content and finish_reason == "length"
            return f"<think>{reasoning}" if cut_while_thinking else f"<think>{reasoning}</think>{content}"
    return content


def checked_choices(response: Any) -> Any:
    """A completions reply, once it is known to hold a list of choices (for scoring)."""
    _choices(response)
    return response


class _LoopThread:
    """Runs one coroutine in an event loop on a helper thread; results pass through a queue.

    The coroutine gets `emit(item)` to hand items to the caller's thread. `items()` yields them
    until the coroutine ends and re-raises its exception; closing the iterator early (an error,
    Ctrl-C, the caller stopping) cancels the coroutine and waits briefly for it to unwind.
    """

    _DONE = object()

    def __init__(self, main: Callable[[Callable[[Any], None]], Awaitable[None]]) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._main = main
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="evalkit-openai", daemon=True)

    def _run(self) -> None:
        async def wrapper() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            self._ready.set()
            await self._main(self._queue.put)

        try:
            asyncio.run(wrapper())
        except asyncio.CancelledError:
            pass
        except BaseException as error:  # noqa: BLE001 -- handed to the caller's thread
            self._queue.put(error)
        finally:
            self._ready.set()
            self._queue.put(self._DONE)

    def items(self) -> Iterator[Any]:
        self._thread.start()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                if item is self._DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.cancel()

    def cancel(self, wait_s: float = 5.0) -> None:
        self._ready.wait(timeout=wait_s)
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass  # the loop closed in the meantime
        self._thread.join(timeout=wait_s)


class OpenAIBackend:
    """Sampling through an OpenAI-compatible HTTP API (see the module docstring).

    The API key is read from the environment variable `api_key_env`; with a `base_url` (a local
    server) a missing key becomes the dummy "EMPTY". `concurrency` is the old name of
    `max_in_flight`. `backoff_base` and `backoff_max` (seconds) shape the retry back-off; tests
    make them tiny. `unreachable_after_s` and `retry_report_s` (seconds) are explained in the
    module docstring. Retry and stall messages go to `console` (stderr by default).
    """

    name = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 max_in_flight: int = 256, concurrency: int | None = None, max_retries: int = 5,
                 timeout: float = 600.0, connect_timeout: float = 10.0,
                 mode: Literal["auto", "chat", "completions"] = "auto",
                 backoff_base: float = 1.0, backoff_max: float = 60.0, stall_warning_s: float = 60.0,
                 unreachable_after_s: float = 30.0, retry_report_s: float = 10.0,
                 console: Console | None = None) -> None:
        if mode not in ("auto", "chat", "completions"):
            raise ConfigError(f"mode must be 'auto', 'chat' or 'completions', got {mode!r}")
        if concurrency is not None:
            max_in_flight = concurrency
        if (max_in_flight < 1 or max_retries < 0 or timeout <= 0 or connect_timeout <= 0 or stall_warning_s <= 0
                or unreachable_after_s < 0 or retry_report_s < 0):
            raise ConfigError(f"need max_in_flight >= 1, max_retries >= 0, timeout, connect_timeout, "
                              f"stall_warning_s > 0 and unreachable_after_s, retry_report_s >= 0; got {max_in_flight}, "
                              f"{max_retries}, {timeout}, {connect_timeout}, {stall_warning_s}, {unreachable_after_s}, "
                              f"{retry_report_s}")
        if base_url is not None and not re.match(r"https?://[^/\s]", base_url):
            raise ConfigError(f"base_url must start with http:// or https:// and a host, got {base_url!r} "
                              "(for vLLM's server: http://HOST:8000/v1)")
        api_key = os.environ.get(api_key_env)
        if not api_key:
            if base_url is None:
                raise ConfigError(f"set the environment variable {api_key_env} to your API key "
                                  f"(or give base_url for a local server, which needs none)")
            api_key = "EMPTY"
        self.model = model
        self.mode = mode
        self.max_in_flight = max_in_flight
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stall_warning_s = stall_warning_s
        self.unreachable_after_s = unreachable_after_s
        self.retry_report_s = retry_report_s
        self.timeout = openai.Timeout(timeout, connect=connect_timeout)
        self.request_limit_s = timeout + connect_timeout  # the whole request, however its bytes trickle in
        self._client_options = {"api_key": api_key, "base_url": base_url, "timeout": self.timeout, "max_retries": 0}
        # A synchronous client for what needs no event loop (its URL, its key, listing models).
        self.client = openai.OpenAI(**self._client_options)
        self.server = str(self.client.base_url).rstrip("/")
        self.console = console or Console(stderr=True)
        self.retries = 0  # retried requests so far, for reports and tests
        self._rng = random.Random()

    @property
    def concurrency(self) -> int:
        """The old name of `max_in_flight`."""
        return self.max_in_flight

    # -- requests with retries -------------------------------------------------------------

    def _wait_seconds(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        retry_after = None
        if isinstance(error, openai.APIStatusError):
            retry_after = parse_retry_after(error.response.headers)
        return backoff_delay(state.attempt_number - 1, self.backoff_base, self.backoff_max, retry_after, self._rng)

    def _describe(self, error: BaseException | None) -> str:
        if isinstance(error, openai.APIStatusError):
            return f"HTTP {error.status_code}: {_error_detail(error)}"
        if isinstance(error, openai.APIConnectionError) and cannot_connect(error):  # a connect timeout too
            cause = _root_cause(error)
            return f"cannot connect ({type(cause).__name__}: {cause})"
        if isinstance(error, openai.APITimeoutError):
            return f"no answer within {self.timeout.read:g} s"
        if isinstance(error, openai.APIConnectionError):
            cause = _root_cause(error)
            return f"connection lost ({type(cause).__name__}: {cause})"
        if isinstance(error, (MalformedReply, ReplyTimeout)):
            return str(error)
        return f"{type(error).__name__}: {error}"

    @staticmethod
    def _kind(error: BaseException | None) -> str:
        """A short name for the kind of a transient error, for the retry summary."""
        if isinstance(error, openai.APIStatusError):
            return f"HTTP {error.status_code}"
        if isinstance(error, openai.APIConnectionError) and cannot_connect(error):
            return "cannot connect"
        if isinstance(error, (openai.APITimeoutError, ReplyTimeout)):
            return "no answer in time"
        if isinstance(error, openai.APIConnectionError):
            return "connection lost"
        if isinstance(error, MalformedReply):
            return "malformed reply"
        return type(error).__name__

    def _watch(self) -> ServerWatch:
        """A new watch over the requests of one stream (or one scoring call)."""
        return ServerWatch(self.server, self.console, report_every_s=self.retry_report_s,
                           policy=UnreachablePolicy(min_failures=self.max_retries + 1,
                                                    after_s=self.unreachable_after_s))

    async def _request(self, watch: ServerWatch, label: str, create: Callable[..., Awaitable[Any]],
                       read: Callable[[Any], Result], **params: Any) -> Result:
        """`read` of the reply to `await create(**params)` (a `with_raw_response` method) with
        retries (see the module docstring); failures raise `_RequestFailed` (this request) or
        `_FatalRequestError` (every request: a refusal that every request would meet, or a
        server that `watch` finds unreachable)."""

        def announce(state: RetryCallState) -> None:
            self.retries += 1
            delay = state.next_action.sleep if state.next_action is not None else 0.0
            error = state.outcome.exception() if state.outcome is not None else None
            watch.retrying(label, state.attempt_number, self.max_retries, delay, self._kind(error),
                           self._describe(error))

        async def attempt_once() -> Result:
            try:
                raw = await asyncio.wait_for(create(**params), self.request_limit_s)
            except asyncio.TimeoutError:  # the client's own timeouts bound each gap between bytes only
                raise ReplyTimeout(self.request_limit_s) from None
            except openai.APIStatusError as error:
                if not_served(error):
                    stop = watch.turned_away(self._describe(error))
                    if stop is not None:
                        raise _FatalRequestError(stop) from None
                else:
                    watch.answered()
                raise
            except openai.APIConnectionError as error:  # timeouts included
                if cannot_connect(error):
                    stop = watch.connect_failed(self._describe(error))
                    if stop is not None:
                        raise _FatalRequestError(stop) from None
                raise
            watch.answered()
            return read_reply(raw, read)

        retrying = AsyncRetrying(stop=self._stop_retrying, wait=self._wait_seconds,
                                 retry=retry_if_exception(is_transient), before_sleep=announce, reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    return await attempt_once()
        except openai.APIStatusError as error:
            if error.status_code in FATAL_STATUS:
                raise _FatalRequestError(f"server {self.server} refused the request: HTTP {error.status_code}: "
                                         f"{_error_detail(error)}{FATAL_STATUS_HINTS[error.status_code]}") from None
            if not is_transient(error):
                raise _RequestFailed(f"server {self.server} refused the request: HTTP {error.status_code}: "
                                     f"{_error_detail(error)}", rejected=True) from None
            raise _RequestFailed(self._gave_up(error, retrying.statistics.get("attempt_number"))) from None
        except (openai.APITimeoutError, openai.APIConnectionError, MalformedReply, ReplyTimeout) as error:
            raise _RequestFailed(self._gave_up(error, retrying.statistics.get("attempt_number"))) from None
        except openai.APIResponseValidationError as error:
            raise _RequestFailed(f"server {self.server} sent an answer that is not a valid response: "
                                 f"{str(error)[:300]}") from None
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    def _stop_retrying(self, state: RetryCallState) -> bool:
        """After `max_retries` retries, except for a request that was not served (it cannot connect, or HTTP
        502/503/504) or lost its connection (a server going down drops the requests it holds, and one that
        reaches it while it shuts down): that one is retried until the server watch calls the server unreachable
        (`unreachable_after_s` since it last answered), so that a server's restart or a short outage, also behind a
        proxy, costs no problem (bounded by `unreachable_after_s + backoff_max`)."""
        if state.attempt_number < self.max_retries + 1:
            return False
        error = state.outcome.exception() if state.outcome is not None else None
        lost = isinstance(error, openai.APIConnectionError) and not isinstance(error, openai.APITimeoutError)
        return not (error is not None and (not_served(error) or lost)
                    and state.seconds_since_start < self.unreachable_after_s + self.backoff_max)

    def _gave_up(self, error: BaseException, attempts: int | None = None) -> str:
        return (f"server {self.server} failed after {attempts or self.max_retries + 1} attempts; "
                f"last error: {self._describe(error)}")

    def _async_client(self) -> openai.AsyncOpenAI:
        """A new async client, made in the calling thread with its endpoints resolved, so that the
        event loop's thread imports as little as possible (CPython 3.11.7 and older can fail when
        two threads compile modules at once: "AST constructor recursion depth mismatch")."""
        client = openai.AsyncOpenAI(**self._client_options)
        _ = (client.completions.with_raw_response, client.chat.completions.with_raw_response, client.models)
        return client

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

    async def _ask(self, client: openai.AsyncOpenAI, watch: ServerWatch, label: str, prompt: Prompt, count: int,
                   seed: int | None, sampling: SamplingParams) -> list[Completion]:
        """One request for `count` choices of one prompt, converted to completions."""
        params = self._sampling_params(sampling, count, seed)
        if self._endpoint(prompt) == "chat":
            messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
            if sampling.logprobs:
                params["logprobs"] = True
            pieces, usage_tokens = await self._request(watch, label, client.chat.completions.with_raw_response.create,
                                                       chat_pieces, messages=messages, **params)
        else:
            if sampling.logprobs:
                params["logprobs"] = 1
            pieces, usage_tokens = await self._request(watch, label, client.completions.with_raw_response.create,
                                                       completion_pieces, prompt=prompt, **params)
        return [_completion(text, reason, logprobs, usage_tokens, len(pieces), sampling)
                for text, reason, logprobs in pieces]

    async def _sample_prompt(self, client: openai.AsyncOpenAI, watch: ServerWatch, request: SampleRequest, n: int,
                             sampling: SamplingParams) -> list[Completion]:
        """`n` completions of one prompt, topping up when the server returns fewer choices."""
        wanted = 1 if sampling.temperature == 0 else n
        collected: list[Completion] = []
        call_index = 0
        label = f"problem {request.key}"
        while len(collected) < wanted:
            missing = wanted - len(collected)
            got = await self._ask(client, watch, label, request.prompt, missing, call_seed(sampling.seed, call_index),
                                  sampling)  # never empty: a reply without choices is malformed and retried
            collected.extend(got[:missing])
            call_index += 1
        return collected * n if wanted == 1 and n > 1 else collected

    def stream(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams, *,
               window: int | None = None) -> Iterator[SampleResult]:
        """Each request's `n` completions as soon as they are in (see the module docstring).

        `window` bounds the problems taken from `requests` before earlier ones finish (default:
        twice `max_in_flight`, so the request bound, not the window, is what limits the server).
        """
        if n < 1:
            raise ConfigError(f"n must be >= 1, got {n}")
        window = window or 2 * self.max_in_flight
        client = self._async_client()

        async def main(emit: Callable[[Any], None]) -> None:
            async with client:
                await self._stream_all(client, self._watch(), iter(requests), n, sampling, window, emit)

        yield from _LoopThread(main).items()

    async def _stream_all(self, client: openai.AsyncOpenAI, watch: ServerWatch, pending: Iterator[SampleRequest],
                          n: int, sampling: SamplingParams, window: int, emit: Callable[[Any], None]) -> None:
        gate = asyncio.Semaphore(self.max_in_flight)
        started: dict[asyncio.Task, float] = {}
        streak = 0

        async def one(request: SampleRequest) -> SampleResult:
            self._endpoint(request.prompt)  # a chat prompt in completions mode: a config error, raised
            async with gate:
                started[asyncio.current_task()] = time.monotonic()
                try:
                    completions = await self._sample_prompt(client, watch, request, n, sampling)
                    return SampleResult(request.key, tuple(completions))
                except _RequestFailed as error:
                    return SampleResult(request.key, error=str(error), rejected=error.rejected)

        watcher = asyncio.create_task(self._watch_stalls(client, started))
        tasks: set[asyncio.Task] = set()
        try:
            exhausted = False
            while True:
                while not exhausted and len(tasks) < window:
                    request = next(pending, None)
                    if request is None:
                        exhausted = True
                    else:
                        tasks.add(asyncio.create_task(one(request)))
                if not tasks:
                    return
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    tasks.discard(task)
                    started.pop(task, None)
                    result = task.result()  # a fatal error propagates from here
                    streak = streak + 1 if result.error is not None else 0
                    emit(result)
                    if streak >= FAILURE_STREAK_LIMIT:
                        raise EvalkitError(f"{streak} problems in a row failed for good; the server seems down "
                                           f"(last error: {result.error}).")
        finally:
            watcher.cancel()
            for task in tasks:
                task.cancel()
            # Collect every outcome (finished ones not handled yet included), so none is left unretrieved.
            await asyncio.gather(watcher, *tasks, return_exceptions=True)
            watch.flush()

    async def _watch_stalls(self, client: openai.AsyncOpenAI, started: dict[asyncio.Task, float]) -> None:
        """Every `stall_warning_s`, say how many requests wait that long, and whether the server
        still answers a quick `GET /models`."""
        while True:
            await asyncio.sleep(self.stall_warning_s)
            now = time.monotonic()
            waiting = [now - since for since in started.values() if now - since >= self.stall_warning_s]
            if not waiting:
                continue
            try:
                await client.models.list(timeout=HEALTH_CHECK_TIMEOUT_S)
                health = "the server answers /models, so it is probably busy generating"
            except openai.APIError as error:
                health = f"the server does not answer /models either ({self._describe(error)}): it may be hung"
            self.console.print(
                f"[yellow]waiting:[/] {len(waiting)} requests to {for_terminal(self.server)} have had no answer for "
                f"{max(waiting):.0f} s or more; {health}. A request gives up after {self.request_limit_s:g} s "
                "(backend options `timeout` + `connect_timeout`); Ctrl-C stops and keeps finished problems.", highlight=False)

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, exactly `n` completions (see the module docstring); the first
        problem that fails for good raises `EvalkitError`."""
        if n < 1:
            raise ConfigError(f"n must be >= 1, got {n}")
        for prompt in prompts:
            self._endpoint(prompt)  # refuse a bad mode before sending anything
        requests = indexed_requests(prompts)
        return collect_stream(self.stream(requests, n, sampling), len(requests))

    # -- verdict probabilities -----------------------------------------------------------

    async def _echo(self, client: openai.AsyncOpenAI, watch: ServerWatch, text: str, logprobs: int = 1):
        """A completions request that echoes `text` with its prompt log-probabilities."""
        return await self._request(watch, "scoring request", client.completions.with_raw_response.create,
                                   checked_choices, model=self.model, prompt=text, max_tokens=1, temperature=0.0,
                                   echo=True, logprobs=logprobs)

    async def _score_prompt(self, client: openai.AsyncOpenAI, watch: ServerWatch, prompt: str,
                            candidates: Sequence[str]) -> dict[str, float]:
        """Log-probabilities of each candidate's first token after `prompt` (see next_token_logprobs)."""
        scores: dict[str, float] = {}
        base = await self._echo(client, watch, prompt)
        prompt_tokens = getattr(base.usage, "prompt_tokens", None)
        base_logprobs = base.choices[0].logprobs if base.choices else None
        # A server that ignores `echo` returns only the generated token; a one-token prompt
        # cannot tell the two apart, so it takes the fallback.
        echo_works = (prompt_tokens is not None and prompt_tokens >= 2 and base_logprobs is not None
                      and base_logprobs.tokens is not None and len(base_logprobs.tokens) >= prompt_tokens)
        if echo_works:
            for candidate in candidates:
                response = await self._echo(client, watch, prompt + candidate)
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
            response = await self._request(watch, "scoring request", client.completions.with_raw_response.create,
                                           checked_choices, model=self.model, prompt=prompt, max_tokens=1,
                                           temperature=0.0, logprobs=TOP_LOGPROBS)
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
        `-inf`. One request per prompt plus one per candidate. The first failure raises.
        """
        if not candidates or any(not candidate for candidate in candidates):
            raise ConfigError("next_token_logprobs needs non-empty candidate strings")
        prompts = list(prompts)

        client = self._async_client()

        async def main(emit: Callable[[Any], None]) -> None:
            gate = asyncio.Semaphore(self.max_in_flight)
            watch = self._watch()
            async with client:
                async def one(index: int, prompt: str) -> None:
                    async with gate:
                        emit((index, await self._score_prompt(client, watch, prompt, candidates)))

                tasks = [asyncio.create_task(one(index, prompt)) for index, prompt in enumerate(prompts)]
                try:
                    await asyncio.gather(*tasks)  # the first failure raises; the rest are cancelled below
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    watch.flush()

        results: list[dict[str, float] | None] = [None] * len(prompts)
        for index, scores in _LoopThread(main).items():
            results[index] = scores
        return results  # type: ignore[return-value]


def _error_detail(error: openai.APIStatusError) -> str:
    """The server's error message, shortened, on one line (it ends up inside evalkit's own messages)."""
    body = error.body
    message = error.message
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and inner.get("message"):
            message = inner["message"]
        elif body.get("message"):
            message = body["message"]
    return visible_controls(str(message)[:300], keep_newlines=False)


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
