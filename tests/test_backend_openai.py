"""The OpenAI-compatible backend against a fake local server: answers, n, logprobs, faults.

The fake server speaks just enough of the completions and chat APIs. Its "model" is a
deterministic function: words are tokens, and a token `t` after `k` earlier tokens has
log-probability `-0.1 * (len(t) + k % 5)`.
"""

from __future__ import annotations

import json
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fake_openai_server import Faults, FakeOpenAIServer, write_json

from evalkit.backends.base import Backend, SampleRequest, SamplingParams
from evalkit.backends.openai_backend import (
    OpenAIBackend,
    backoff_delay,
    call_seed,
    first_token_logprob,
    parse_retry_after,
)
from evalkit.backends.registry import create_backend
from evalkit.errors import ConfigError, EvalkitError

VERDICTS = (" yes", " no", " maybe")


def tokenize(text: str) -> list[str]:
    return re.findall(r"\s*\S+", text)


def token_logprob(position: int, token: str) -> float:
    return -0.1 * (len(token) + position % 5)


@dataclass
class FakeState:
    """What the fake server does; `failures` are answered (status, headers) before any success."""

    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    always_fail: int | None = None
    ignore_n: bool = False
    ignore_echo: bool = False
    ignore_stop: bool = False
    reverse_choices: bool = False
    empty_choices_first: int = 0  # the first this many replies have an empty `choices` list
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def generated_tokens(seed, choice: int, max_tokens: int) -> list[str]:
    return [f" s{seed}", f" c{choice}", " x", "\n", " y", " z", " w", " v"][:max_tokens]


def completion_body(state: FakeState, request: dict) -> dict:
    prompt = request["prompt"]
    prompt_tokens = tokenize(prompt)
    n = 1 if state.ignore_n else request.get("n", 1)
    choices = []
    completion_tokens = 0
    for index in range(n):
        tokens = generated_tokens(request.get("seed"), index, request.get("max_tokens", 16))
        text, finish = "".join(tokens), "length"
        stop = request.get("stop") or []
        if not state.ignore_stop:
            for marker in stop:
                if marker in text:
                    text, finish = text[: text.find(marker)], "stop"
                    tokens = tokenize(text)
        completion_tokens += len(tokens)
        logprobs = None
        if request.get("logprobs") is not None:
            echo = request.get("echo") and not state.ignore_echo
            shown = (prompt_tokens if echo else []) + tokens
            start = 0 if echo else len(prompt_tokens)
            values = [token_logprob(start + i, t) for i, t in enumerate(shown)]
            if echo:
                values[0] = None
            top = [{v: token_logprob(start + i, v) for v in VERDICTS} for i in range(len(shown))]
            offsets = [sum(len(t) for t in shown[:i]) for i in range(len(shown))]
            logprobs = {"tokens": shown, "token_logprobs": values, "top_logprobs": top, "text_offset": offsets}
            if echo:
                text = prompt + text
        choices.append({"index": index, "text": text, "finish_reason": finish, "logprobs": logprobs})
    usage = {"prompt_tokens": len(prompt_tokens), "completion_tokens": completion_tokens,
             "total_tokens": len(prompt_tokens) + completion_tokens}
    if state.reverse_choices:
        choices.reverse()
    with state.lock:
        if state.empty_choices_first > 0:
            state.empty_choices_first -= 1
            choices = []
    return {"id": "cmpl-fake", "object": "text_completion", "created": 0, "model": request["model"],
            "choices": choices, "usage": usage}


def chat_body(state: FakeState, request: dict) -> dict:
    n = 1 if state.ignore_n else request.get("n", 1)
    prompt_tokens = tokenize(" ".join(m["content"] for m in request["messages"]))
    choices = []
    completion_tokens = 0
    for index in range(n):
        tokens = generated_tokens(request.get("seed"), index, request.get("max_tokens", 16))
        completion_tokens += len(tokens)
        logprobs = None
        if request.get("logprobs"):
            logprobs = {"content": [
                {"token": t, "logprob": token_logprob(len(prompt_tokens) + i, t), "bytes": None, "top_logprobs": []}
                for i, t in enumerate(tokens)
            ]}
        choices.append({"index": index, "message": {"role": "assistant", "content": "".join(tokens)},
                        "finish_reason": "length", "logprobs": logprobs})
    usage = {"prompt_tokens": len(prompt_tokens), "completion_tokens": completion_tokens,
             "total_tokens": len(prompt_tokens) + completion_tokens}
    return {"id": "chat-fake", "object": "chat.completion", "created": 0, "model": request["model"],
            "choices": choices, "usage": usage}


def make_handler(state: FakeState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            return

        def send_json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            write_json(self, status, body, headers)

        def do_POST(self):
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.requests.append(request)
                failure = state.failures.pop(0) if state.failures else None
            if state.delay:
                time.sleep(state.delay)
            if state.always_fail is not None:
                failure = (state.always_fail, {})
            if failure is not None:
                status, headers = failure
                self.send_json(status, {"error": {"message": f"fake failure {status}", "type": "x"}}, headers)
            elif self.path.endswith("/chat/completions"):
                self.send_json(200, chat_body(state, request))
            elif self.path.endswith("/completions"):
                self.send_json(200, completion_body(state, request))
            else:
                self.send_json(404, {"error": {"message": "no such route"}})

    return Handler


@pytest.fixture
def fake():
    state = FakeState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def backend(url: str, **options) -> OpenAIBackend:
    options = {"backoff_base": 0.001, "backoff_max": 0.01, "max_retries": 3, "timeout": 5.0, **options}
    return OpenAIBackend("fake-model", base_url=url, api_key_env="EVALKIT_TEST_NO_SUCH_KEY", **options)


def test_completions_with_n_and_logprobs(fake):
    state, url = fake
    client = backend(url)
    assert isinstance(client, Backend) and client.name == "openai"
    sampling = SamplingParams(temperature=1.0, max_tokens=3, seed=5, logprobs=True)
    results = client.generate(["Problem: one", "Problem: two three"], 2, sampling)
    assert [[c.text for c in row] for row in results] == [[" s5 c0 x", " s5 c1 x"]] * 2
    first = results[1][0]
    assert first.num_tokens == 3 and first.finish_reason == "length"
    expected = [token_logprob(3 + i, t) for i, t in enumerate([" s5", " c0", " x"])]
    assert first.token_logprobs == pytest.approx(expected)
    assert first.logprob == pytest.approx(sum(expected))
    assert len(state.requests) == 2
    assert {r["n"] for r in state.requests} == {2} and all(r["logprobs"] == 1 for r in state.requests)
    assert client.retries == 0


def test_chat_prompts_go_to_the_chat_endpoint(fake):
    state, url = fake
    messages = [{"role": "user", "content": "What is 2+2?"}]
    [[completion]] = backend(url).generate([messages], 1, SamplingParams(max_tokens=2, seed=1, logprobs=True))
    assert completion.text == " s1 c0"
    assert completion.num_tokens == 2 and completion.logprob == pytest.approx(
        token_logprob(3, " s1") + token_logprob(4, " c0"))
    assert state.requests[0]["messages"] == messages and state.requests[0]["logprobs"] is True
    chat_mode = backend(url, mode="chat")
    chat_mode.generate(["plain text"], 1, SamplingParams(max_tokens=2))
    assert state.requests[1]["messages"] == [{"role": "user", "content": "plain text"}]
    with pytest.raises(ConfigError, match="mode='completions' cannot send chat prompts"):
        backend(url, mode="completions").generate([messages], 1, SamplingParams())


def test_stop_strings_are_applied_even_if_the_server_ignores_them(fake):
    state, url = fake
    state.ignore_stop = True
    [[completion]] = backend(url).generate(["p"], 1, SamplingParams(max_tokens=8, seed=0, stop=("\n",)))
    assert completion.text == " s0 c0 x" and completion.finish_reason == "stop"
    assert state.requests[0]["stop"] == ["\n"]


def test_fewer_choices_than_n_are_topped_up_with_new_seeds(fake):
    state, url = fake
    state.ignore_n = True
    [row] = backend(url).generate(["p"], 4, SamplingParams(temperature=1.0, max_tokens=2, seed=3))
    assert len(row) == 4 and len({c.text for c in row}) == 4
    assert [r["n"] for r in state.requests] == [4, 3, 2, 1]
    assert [r["seed"] for r in state.requests] == [call_seed(3, i) for i in range(4)]
    assert row[0].num_tokens == 2  # from usage, since one choice came per response


def test_choices_are_taken_in_index_order_and_an_empty_list_is_retried(fake):
    state, url = fake
    params = SamplingParams(temperature=1.0, max_tokens=2, seed=3)
    [expected] = backend(url).generate(["p"], 3, params)
    state.reverse_choices, state.empty_choices_first = True, 1
    [row] = backend(url).generate(["p"], 3, params)
    assert [c.text for c in row] == [c.text for c in expected] == [" s3 c0", " s3 c1", " s3 c2"]


def test_greedy_asks_once_and_copies(fake):
    state, url = fake
    [row] = backend(url).generate(["p"], 3, SamplingParams(temperature=0.0, max_tokens=2))
    assert len(row) == 3 and len({c.text for c in row}) == 1
    assert [r["n"] for r in state.requests] == [1]


def test_429_is_retried_after_retry_after(fake):
    state, url = fake
    state.failures = [(429, {"Retry-After": "0.3"})]
    client = backend(url)
    start = time.monotonic()
    [[completion]] = client.generate(["p"], 1, SamplingParams(max_tokens=2, seed=0))
    assert time.monotonic() - start >= 0.3
    assert completion.text == " s0 c0"
    assert client.retries == 1 and len(state.requests) == 2


def test_500_twice_then_success(fake):
    state, url = fake
    state.failures = [(500, {}), (503, {})]
    client = backend(url)
    [[completion]] = client.generate(["p"], 1, SamplingParams(max_tokens=2, seed=0))
    assert completion.text == " s0 c0"
    assert client.retries == 2 and len(state.requests) == 3


def test_always_500_gives_a_clear_error_after_max_retries(fake):
    state, url = fake
    state.always_fail = 500
    client = backend(url, max_retries=2)
    with pytest.raises(EvalkitError, match=r"server http://127\.0\.0\.1:\d+/v1 failed after 3 attempts; "
                                           r"last error: HTTP 500: fake failure 500"):
        client.generate(["p", "q", "r"], 1, SamplingParams(max_tokens=2))
    assert len(state.requests) <= 9


def test_client_errors_are_not_retried(fake):
    state, url = fake
    state.always_fail = 400
    with pytest.raises(EvalkitError, match="refused the request: HTTP 400: fake failure 400"):
        backend(url).generate(["p"], 1, SamplingParams(max_tokens=2))
    assert len(state.requests) == 1


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_server_down_fails_quickly():
    url = _closed_port_url()
    start = time.monotonic()
    with pytest.raises(EvalkitError, match=r"the server at http://127\.0\.0\.1:\d+/v1 is unreachable: \d+ requests in "
                                           r"a row could not connect and it has not answered once \(last: cannot "
                                           r"connect \(ConnectionRefusedError"):
        backend(url).generate(["p"] * 20, 2, SamplingParams(max_tokens=2))
    assert time.monotonic() - start < 10


def test_timeouts_are_retried_then_reported(fake):
    state, url = fake
    state.delay = 1.0
    with pytest.raises(EvalkitError, match="failed after 2 attempts; last error: no answer within"):
        backend(url, timeout=0.2, max_retries=1).generate(["p"], 1, SamplingParams(max_tokens=2))


def test_next_token_logprobs_exact_through_echo(fake):
    state, url = fake
    prompts = ["Is it right? Answer:", "Check this long solution now. Verdict:"]
    results = backend(url).next_token_logprobs(prompts, [" yes", " no", " correct answer"])
    for prompt, scores in zip(prompts, results):
        k = len(tokenize(prompt))
        assert scores[" yes"] == pytest.approx(token_logprob(k, " yes"))
        assert scores[" no"] == pytest.approx(token_logprob(k, " no"))
        assert scores[" correct answer"] == pytest.approx(token_logprob(k, " correct"))  # first token only
    assert all(r.get("echo") for r in state.requests)


def test_next_token_logprobs_falls_back_to_top_logprobs(fake):
    state, url = fake
    state.ignore_echo = True
    [scores] = backend(url).next_token_logprobs(["Is it right? Answer:"], [" yes", " maybe not", " correct"])
    assert scores[" yes"] == pytest.approx(token_logprob(4, " yes"))
    assert scores[" maybe not"] == pytest.approx(token_logprob(4, " maybe"))  # longest listed prefix
    assert scores[" correct"] == -math.inf  # not in the top list
    assert state.requests[-1]["logprobs"] == 20 and not state.requests[-1].get("echo")


def test_api_key_and_options(monkeypatch, fake):
    _, url = fake
    monkeypatch.delenv("EVALKIT_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="set the environment variable EVALKIT_TEST_KEY"):
        OpenAIBackend("m", api_key_env="EVALKIT_TEST_KEY")
    monkeypatch.setenv("EVALKIT_TEST_KEY", "sk-test")
    assert OpenAIBackend("m", base_url=url, api_key_env="EVALKIT_TEST_KEY").client.api_key == "sk-test"
    assert backend(url).client.api_key == "EMPTY"
    with pytest.raises(ConfigError, match="mode must be"):
        backend(url, mode="edits")
    created = create_backend("openai", model="m", base_url=url, concurrency=2)
    assert isinstance(created, OpenAIBackend) and created.concurrency == 2


def test_retry_helpers():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({}) is None
    import random

    rng = random.Random(0)
    delays = [backoff_delay(attempt, 1.0, 8.0, None, rng) for attempt in range(6)]
    assert all(0 <= d <= min(8.0, 2**a) for a, d in enumerate(delays))
    assert backoff_delay(0, 1.0, 8.0, 3.5, rng) == 3.5
    assert call_seed(7, 0) == 7 and call_seed(7, 1) != call_seed(7, 2) and call_seed(None, 3) is None
    assert first_token_logprob(" Yes", {" Yes": -0.1, " Y": -2.0}) == -0.1


# ---------------------------------------------------------------------------------------------
# The streaming interface of the sampling stage


def _stream_backend(url: str, **options):
    from rich.console import Console

    console = Console(record=True, width=300, color_system=None)
    return backend(url, console=console, **options), console


def _serve(state_fails_on: dict[str, int]):
    """A fake server answering `status` to prompts that contain a marker of `state_fails_on`."""
    state = FakeState()
    base = make_handler(state)

    class Handler(base):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            body = self.rfile.read(length)
            try:
                request = json.loads(body)
            except ValueError:  # the client went away before its request arrived (a cancelled call)
                return
            with state.lock:
                state.requests.append(request)
            for marker, status in state_fails_on.items():
                if marker in str(request.get("prompt", "")):
                    self.send_json(status, {"error": {"message": f"no {marker}"}})
                    return
            if state.delay:
                time.sleep(state.delay)
            self.send_json(200, completion_body(state, request))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, state, f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_stream_keeps_finished_problems_when_a_neighbour_fails():
    from evalkit.backends.base import SampleRequest

    server, state, url = _serve({"bad": 400, "flaky": 500})
    try:
        client, console = _stream_backend(url, max_retries=2)
        requests = [SampleRequest("ok1", "good one"), SampleRequest("b", "bad one"), SampleRequest("f", "flaky one"),
                    SampleRequest("ok2", "good two")]
        results = {r.key: r for r in client.stream(requests, 2, SamplingParams(max_tokens=2, seed=0))}
    finally:
        server.shutdown()
        server.server_close()
    assert set(results) == {"ok1", "b", "f", "ok2"}
    assert results["ok1"].ok and len(results["ok1"].completions) == 2 and results["ok2"].ok
    assert "refused the request: HTTP 400: no bad" in results["b"].error
    assert "failed after 3 attempts; last error: HTTP 500: no flaky" in results["f"].error
    shown = console.export_text()
    assert shown.count("problem f in") == 2 and "(attempt 1/3 failed): HTTP 500: no flaky" in shown


def _serve_turning_away(after: int, for_s: float, status: int):
    """A fake server that answers `status` to every request for `for_s` seconds from its `after`-th request on (all
    of them when `after` is 0), as a proxy does in front of a server that restarts."""
    state = FakeState()
    base = make_handler(state)
    window: list[float] = []

    class Handler(base):
        def do_POST(self):
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.requests.append(request)
                if len(state.requests) > after and not window:
                    window.append(time.monotonic())
                away = bool(window) and time.monotonic() - window[0] < for_s
            if away:
                self.send_json(status, {"error": {"message": f"upstream unavailable ({status})"}})
                return
            self.send_json(200, completion_body(state, request))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, state, f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_proxy_turning_requests_away_while_the_server_restarts_costs_no_problem(status):
    # two attempts per request would give up within half a second; a request turned away waits for the server instead
    from evalkit.backends.base import SampleRequest

    server, state, url = _serve_turning_away(after=2, for_s=1.5, status=status)
    try:
        client, console = _stream_backend(url, max_in_flight=2, max_retries=1, backoff_base=0.05, backoff_max=0.2,
                                          unreachable_after_s=10.0)
        results = list(client.stream([SampleRequest(str(i), f"p{i}") for i in range(8)], 1,
                                     SamplingParams(max_tokens=2, seed=0)))
    finally:
        server.shutdown()
        server.server_close()
    assert len(results) == 8 and all(result.ok for result in results), [r.error for r in results if not r.ok]
    assert f"HTTP {status}" in console.export_text()


def test_a_proxy_whose_server_never_came_up_stops_the_stream_with_one_line():
    from evalkit.backends.base import SampleRequest

    server, state, url = _serve_turning_away(after=0, for_s=3600.0, status=502)
    try:
        client, _ = _stream_backend(url, max_in_flight=2, max_retries=2)
        with pytest.raises(EvalkitError, match=r"unreachable: 3 requests in a row were turned away with HTTP "
                                               r"502/503/504 and it has not served a request yet \(last: HTTP 502: "
                                               r"upstream unavailable \(502\)\)"):
            list(client.stream([SampleRequest(str(i), f"p{i}") for i in range(20)], 1, SamplingParams(max_tokens=2)))
    finally:
        server.shutdown()
        server.server_close()
    assert len(state.requests) <= 6


def test_a_wrong_key_or_model_stops_everything_at_once():
    from evalkit.backends.base import SampleRequest

    server, state, url = _serve({"any": 401})
    try:
        client, _ = _stream_backend(url, max_in_flight=4)
        with pytest.raises(EvalkitError, match="HTTP 401.*check the API key"):
            list(client.stream([SampleRequest(str(i), f"any {i}") for i in range(20)], 1,
                               SamplingParams(max_tokens=2)))
    finally:
        server.shutdown()
        server.server_close()
    assert len(state.requests) <= 8  # about the in-flight bound, not all twenty


def test_requests_in_flight_are_bounded(fake):
    from evalkit.backends.base import SampleRequest

    state, url = fake
    state.delay = 0.2
    client, _ = _stream_backend(url, max_in_flight=3)
    start = time.monotonic()
    results = list(client.stream([SampleRequest(str(i), f"p{i}") for i in range(9)], 1, SamplingParams(max_tokens=2)))
    elapsed = time.monotonic() - start
    assert len(results) == 9 and all(r.ok for r in results)
    assert elapsed >= 0.55  # 9 requests of 0.2 s, three at a time


def test_a_silent_server_is_reported_while_waiting(fake):
    state, url = fake
    state.delay = 1.5
    client, console = _stream_backend(url, stall_warning_s=0.5, timeout=5.0)
    client.generate(["p"], 1, SamplingParams(max_tokens=2))
    shown = console.export_text()
    assert "1 requests to" in shown and "have had no answer for" in shown
    assert "does not answer /models either" in shown  # this fake server has no /models: it looks hung


# ---------------------------------------------------------------------------------------------
# Malformed replies and servers that are gone (the fault-injecting `fake_openai_server`)


def _questions(count: int) -> list[SampleRequest]:
    return [SampleRequest(str(i), f"What is ${i} + 1$?") for i in range(count)]


def test_malformed_200_replies_are_retried_like_server_errors():
    faults = Faults(truncated=0.3, html=0.3, no_choices=0.3, attempts=1, seed=3)
    with FakeOpenAIServer(faults) as server:
        client, console = _stream_backend(server.url, max_in_flight=4)
        results = list(client.stream(_questions(12), 2, SamplingParams(max_tokens=8, seed=0)))
    assert sorted(int(r.key) for r in results) == list(range(12)) and all(r.ok for r in results)
    assert set(server.state.injected) == {"truncated", "html", "no_choices"}, server.state.injected
    assert client.retries == sum(server.state.injected.values())
    assert "HTTP 200 but" in console.export_text()


@pytest.mark.parametrize(("kind", "shown"), [
    ("truncated", "HTTP 200 but not valid JSON: '{\"id\": \"cmpl-fake\", \"object\": \"text_comp'"),
    ("html", "HTTP 200 but not a JSON object: '<html><body><h1>502 Bad Gateway</h1>\\n\\x1b[31m[bold]nginx[/]"),
    ("no_choices", "HTTP 200 but no 'choices' list: '{\"id\": \"cmpl-fake\""),
    ("empty_choices", "HTTP 200 but an empty 'choices' list: '{\"id\": \"cmpl-fake\""),
    ("bad_utf8", "HTTP 200 but not valid UTF-8 (invalid start byte at byte 164): '{\"id\": \"cmpl-fake\""),
])
def test_a_reply_that_stays_malformed_fails_only_its_problem_in_one_line(kind, shown):
    with FakeOpenAIServer(Faults(broken=("$7 + 1$",), broken_with=kind)) as server:
        client, console = _stream_backend(server.url, max_retries=2)
        results = {r.key: r for r in client.stream(_questions(10), 2, SamplingParams(max_tokens=8, seed=0))}
    assert set(results) == {str(i) for i in range(10)}
    assert all(results[str(i)].ok for i in range(10) if i != 7)
    error = results["7"].error
    assert error.startswith(f"server {server.url} failed after 3 attempts; last error: {shown}"), error
    assert "\n" not in error and "\x1b" not in error  # escaped, one line
    assert len(error) < 500
    assert client.retries == 2


def test_a_server_that_is_not_there_stops_the_stream_at_once_in_few_lines():
    client, console = _stream_backend(_closed_port_url(), max_in_flight=64, max_retries=5, backoff_base=0.05,
                                      backoff_max=0.2)
    start = time.monotonic()
    with pytest.raises(EvalkitError, match=r"is unreachable: \d+ requests in a row could not connect and it has not "
                                           r"answered once .* run the same command again to resume"):
        list(client.stream(_questions(200), 2, SamplingParams(max_tokens=2)))
    assert time.monotonic() - start < 5
    lines = console.export_text().splitlines()
    assert 1 <= len(lines) <= 3, lines  # one line at the first retry, one summary of the rest
    assert client.retries < 64


def test_a_server_that_dies_midway_stops_the_stream_and_keeps_what_finished():
    with FakeOpenAIServer(Faults(die_after=10)) as server:
        client, console = _stream_backend(server.url, max_in_flight=3, max_retries=80, backoff_base=0.01,
                                          backoff_max=0.05, unreachable_after_s=0.5)
        results = []
        start = time.monotonic()
        with pytest.raises(EvalkitError, match=r"the server at .* is unreachable: \d+ requests in a row could not "
                                               r"connect over \d+ s since it last answered"):
            for result in client.stream(_questions(60), 1, SamplingParams(max_tokens=2)):
                results.append(result)
        elapsed = time.monotonic() - start
    assert len(results) >= 7 and all(result.ok for result in results)  # ten answered, some of them in flight
    assert elapsed < 5  # a bound for liveness on a busy machine: about 0.5 s after the death
    lines = console.export_text().splitlines()
    assert len(lines) <= 3, lines



def test_thinking_split_off_by_a_reasoning_parser_is_kept_in_the_sample_text():
    # before: only `message.content` was kept, so with vLLM's --reasoning-parser (or DeepSeek's API)
    # a sample lost its thinking: its text, length and evaluator input differed from the same
    # model served without the parser
    from openai.types.chat import ChatCompletion

    from evalkit.backends.openai_backend import chat_pieces
    from evalkit.grading import extract_answer

    def choice(index, finish_reason, **message):
        return {"index": index, "finish_reason": finish_reason, "message": {"role": "assistant", **message}}

    reply = ChatCompletion.model_validate({"id": "r", "object": "chat.completion", "created": 0, "model": "m", "choices": [
        choice(0, "stop", content="So $\\boxed{4}$.", reasoning_content="maybe \\boxed{5}? no, 2+2=4"),
        choice(1, "length", content=None, reasoning="still thinking about \\boxed{5}"),
        choice(2, "stop", content="", reasoning="I give up"),
        choice(3, "stop", content="The answer is 4."),
    ]})
    pieces, _ = chat_pieces(reply)
    texts = [text for text, _, _ in pieces]
    assert texts == ["<think>maybe \\boxed{5}? no, 2+2=4</think>So $\\boxed{4}$.", "<think>still thinking about \\boxed{5}",
                     "<think>I give up</think>", "The answer is 4."]
    assert [extract_answer(text) for text in texts] == ["4", None, None, "4"]


# ---------------------------------------------------------------------------------------------
# Replies that come too slowly, short or not as UTF-8


def test_a_reply_that_trickles_in_times_out_as_a_whole_and_is_retried():
    # before: the client's `timeout` bounds each gap between bytes, so a server that sends a byte
    # every 0.1 s held the request until the reply ended (here 20 s, for a real fault forever); now
    # `timeout + connect_timeout` bounds the whole request, which is retried and then fails alone
    faults = Faults(broken=("$7 + 1$",), broken_with="trickle", trickle_s=20.0, trickle_gap_s=0.1)
    with FakeOpenAIServer(faults) as server:
        client, console = _stream_backend(server.url, timeout=1.0, connect_timeout=2.0, max_retries=1)
        start = time.monotonic()
        results = {r.key: r for r in client.stream(_questions(9), 2, SamplingParams(max_tokens=8, seed=0))}
        elapsed = time.monotonic() - start
    assert all(results[str(i)].ok for i in range(9) if i != 7)
    assert results["7"].error.endswith("failed after 2 attempts; last error: no whole answer within 3 s")
    assert elapsed < 12, f"took {elapsed:.1f} s"  # two attempts of 3 s, with room for a busy machine
    assert "(attempt 1/2 failed): no whole answer within 3 s" in console.export_text()


def test_a_trickling_reply_is_retried_and_the_retry_completes():
    faults = Faults(trickle=0.5, attempts=1, trickle_s=20.0, trickle_gap_s=0.1, seed=1)
    with FakeOpenAIServer(faults) as server:
        client, _ = _stream_backend(server.url, timeout=1.0, connect_timeout=2.0, max_in_flight=8)
        start = time.monotonic()
        results = list(client.stream(_questions(8), 2, SamplingParams(max_tokens=8, seed=0)))
        elapsed = time.monotonic() - start
    assert server.state.injected.get("trickle", 0) >= 1, server.state.injected
    assert sorted(int(r.key) for r in results) == list(range(8)) and all(r.ok for r in results)
    assert client.retries == server.state.injected["trickle"]
    assert elapsed < 12, f"took {elapsed:.1f} s"


def test_short_empty_and_non_utf8_replies_lose_and_mix_no_sample():
    # a reply with fewer choices than n is topped up, one with none or with bytes that are not
    # UTF-8 is retried: every problem gets its n samples, each of them an answer to its own question
    faults = Faults(partial=0.3, empty_choices=0.3, bad_utf8=0.3, attempts=1, seed=3)
    with FakeOpenAIServer(faults) as server:
        client, console = _stream_backend(server.url, max_in_flight=4)
        results = list(client.stream(_questions(12), 4, SamplingParams(max_tokens=8, seed=0)))
    assert set(server.state.injected) == {"partial", "empty_choices", "bad_utf8"}, server.state.injected
    assert sorted(int(r.key) for r in results) == list(range(12)) and all(r.ok for r in results)
    for result in results:
        assert len(result.completions) == 4
        assert all(f"We add {result.key} and 1." in c.text and "\ufffd" not in c.text for c in result.completions)
    assert client.retries == server.state.injected["empty_choices"] + server.state.injected["bad_utf8"]
    assert "HTTP 200 but not valid UTF-8" in console.export_text()


def test_a_lost_connection_waits_for_the_server_like_one_that_cannot_connect():
    """A server going down drops the requests it holds (and one that reaches it while it shuts down): such a request
    waits for it within the unreachable window instead of failing its problem after max_retries."""
    import types

    import httpx2 as httpx
    import openai

    backend = OpenAIBackend("fake-model", base_url="http://127.0.0.1:9/v1", api_key_env="EVALKIT_TEST_NO_SUCH_KEY",
                            max_retries=2, unreachable_after_s=20.0)
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/completions")

    def state(error: BaseException, seconds: float) -> object:
        return types.SimpleNamespace(attempt_number=5, seconds_since_start=seconds,
                                     outcome=types.SimpleNamespace(exception=lambda: error))

    lost = openai.APIConnectionError(request=request)
    assert backend._stop_retrying(state(lost, 1.0)) is False
    assert backend._stop_retrying(state(lost, 1000.0)) is True  # past the window: the problem fails
    assert backend._stop_retrying(state(openai.APITimeoutError(request=request), 1.0)) is True  # a slow server
