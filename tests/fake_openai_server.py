"""A deterministic OpenAI-compatible completions server for tests, with faults to inject.

Its "model" answers "What is $a + b$?" questions: each choice's text is a short solution whose
boxed answer is right or off by one, chosen by a hash of the prompt, the request's seed and the
choice index, so the same request always gets the same answer. Some texts end in a lone
surrogate (half an emoji, valid JSON as "\\ud83d"), as real model output sometimes does.

Faults, drawn per request from a hash of its body, its attempt number and `Faults.seed`, only on
the first `Faults.attempts` attempts of a body (so a client that retries enough always gets
through): `drop` closes the connection without an answer, `hang` answers only after `hang_s`
(past the client's timeout), `error500` and `error429` (with `Retry-After`) answer with those
statuses, and three malformed HTTP 200 replies: `truncated` (JSON cut short), `html` (a
gateway's HTML page) and `no_choices` (JSON without `choices`); `trickle` (a 200 whose body comes
a byte every `trickle_gap_s`, so that no gap between bytes reaches a client's read timeout, for
`trickle_s` before the reply ends), `partial` (fewer choices than `n`: the first half, at least
one), `empty_choices` (`"choices": []`) and `bad_utf8` (the first choice's text holds bytes that
are not UTF-8: a stray continuation byte and a sequence cut short). Prompts containing one of
`Faults.broken` always get the fault `Faults.broken_with` (HTTP 500 by default, or `error400`: the
refusal vLLM's server gives a prompt longer than the context window). After
`Faults.die_after` requests the server dies: it stops listening (new connections are refused)
and drops every request on connections kept alive, as a killed server would.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The faults a request can draw, in the order of their chances.
# New faults go at the end, so that a seed draws the same faults as before among the old ones.
FAULT_NAMES = ("drop", "hang", "error500", "error429", "truncated", "html", "no_choices", "trickle", "partial",
               "empty_choices", "bad_utf8")
BAD_UTF8 = b"\x80 and \xe2\x82"  # a stray continuation byte, then a 3-byte sequence cut short
QUESTION = re.compile(r"What is \$(\d+) \+ (\d+)\$\?")


@dataclass
class Faults:
    drop: float = 0.0
    hang: float = 0.0
    error500: float = 0.0
    error429: float = 0.0
    truncated: float = 0.0
    html: float = 0.0
    no_choices: float = 0.0
    trickle: float = 0.0
    partial: float = 0.0
    empty_choices: float = 0.0
    bad_utf8: float = 0.0
    attempts: int = 2
    hang_s: float = 3.0
    trickle_s: float = 60.0
    trickle_gap_s: float = 0.1
    retry_after_s: float = 0.05
    delay_s: tuple[float, float] = (0.0, 0.0)
    broken: tuple[str, ...] = ()
    broken_with: str = "error500"
    die_after: int | None = None
    seed: int = 0


@dataclass
class ServerState:
    faults: Faults = field(default_factory=Faults)
    attempts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    dead: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _unit(*parts: object) -> float:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def solution_text(prompt: str, seed: object, choice: int) -> str:
    """The deterministic answer of the fake model to one prompt, seed and choice index."""
    matches = QUESTION.findall(prompt)
    a, b = (int(x) for x in matches[-1]) if matches else (1, 1)
    draw = _unit(prompt, seed, choice)
    answer = a + b if draw < 0.6 else a + b + 1
    text = f" We add {a} and {b}. The answer is $\\boxed{{{answer}}}$."
    if draw > 0.9:
        text += " \ud83d"
    return text


def _completion_body(request: dict) -> dict:
    prompt = request["prompt"]
    n = request.get("n", 1)
    choices = [{"index": i, "text": solution_text(prompt, request.get("seed"), i), "finish_reason": "stop",
                "logprobs": None} for i in range(n)]
    return {"id": "cmpl-fake", "object": "text_completion", "created": 0, "model": request["model"],
            "choices": choices, "usage": {"prompt_tokens": 10, "completion_tokens": 12 * n, "total_tokens": 10 + 12 * n}}


def _fault(state: ServerState, body: bytes, prompt: str) -> str | None:
    faults = state.faults
    if any(marker in prompt for marker in faults.broken):
        return faults.broken_with
    key = hashlib.sha256(body).hexdigest()
    with state.lock:
        attempt = state.attempts.get(key, 0)
        state.attempts[key] = attempt + 1
    if attempt >= faults.attempts:
        return None
    draw = _unit(faults.seed, key, attempt)
    for name in FAULT_NAMES:
        chance = getattr(faults, name)
        if draw < chance:
            return name
        draw -= chance
    return None


def write_json(handler: BaseHTTPRequestHandler, status: int, body: dict,
               headers: dict[str, str] | None = None) -> None:
    """Answer the handler's request with `body` as JSON, `status` and any extra `headers`."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    try:
        handler.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up first (its timeout, on a loaded machine): nobody is left to answer


def write_raw(handler: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str) -> None:
    """Answer the handler's request with the bytes `data` as they are."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def malformed_reply(fault: str, request: dict) -> tuple[bytes, str]:
    """The body and content type of a malformed HTTP 200 reply (`truncated`, `html`, `no_choices`,
    `partial`, `empty_choices`, `bad_utf8`)."""
    if fault == "partial":
        body = _completion_body(request)
        body["choices"] = body["choices"][:max(1, len(body["choices"]) // 2)]
        return json.dumps(body).encode(), "application/json"
    if fault == "empty_choices":
        return json.dumps({**_completion_body(request), "choices": []}).encode(), "application/json"
    if fault == "bad_utf8":
        body = _completion_body(request)
        marker = "@@not-utf8@@"
        body["choices"][0]["text"] += marker
        return json.dumps(body).encode().replace(marker.encode(), BAD_UTF8), "application/json"
    if fault == "truncated":
        return json.dumps(_completion_body(request)).encode()[:40], "application/json"
    if fault == "html":
        return b"<html><body><h1>502 Bad Gateway</h1>\n\x1b[31m[bold]nginx[/]</body></html>", "text/html"
    if fault == "no_choices":
        return json.dumps({"id": "cmpl-fake", "object": "text_completion", "model": request.get("model")}).encode(), \
            "application/json"
    raise ValueError(f"not a malformed reply: {fault}")


def _handler(state: ServerState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            return

        def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            try:
                write_json(self, status, body, headers)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a hang past its timeout)

        def _send_raw(self, data: bytes, content_type: str) -> None:
            try:
                write_raw(self, 200, data, content_type)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _trickle(self, request: dict) -> None:
            """A 200 whose body (spaces, which JSON allows before a value, then the reply) comes a
            byte every `trickle_gap_s` for `trickle_s`, then the rest at once."""
            faults = state.faults
            data = b" " * max(1, int(faults.trickle_s / faults.trickle_gap_s)) + json.dumps(
                _completion_body(request)).encode()
            self.close_connection = True
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.flush()
                start = time.monotonic()
                sent = 0
                while time.monotonic() - start < faults.trickle_s and sent < len(data) - 1:
                    self.wfile.write(data[sent:sent + 1])
                    self.wfile.flush()
                    sent += 1
                    time.sleep(faults.trickle_gap_s)
                self.wfile.write(data[sent:])
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

        def _drop(self) -> None:
            """Close the connection without an answer."""
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def do_GET(self):
            if self.path.endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model", "created": 0,
                                                             "owned_by": "test"}]})
            else:
                self._send(404, {"error": {"message": "no such route"}})

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = json.loads(body)
            with state.lock:
                state.requests += 1
                dies = state.faults.die_after is not None and state.requests > state.faults.die_after
                dies_now = dies and not state.dead
                state.dead = state.dead or dies
            if dies_now:
                threading.Thread(target=_stop, args=(self.server,), daemon=True).start()
            if dies:
                self._drop()
                return
            low, high = state.faults.delay_s
            if high > 0:
                time.sleep(low + (high - low) * _unit("delay", body))
            fault = _fault(state, body, str(request.get("prompt", "")))
            if fault is not None:
                with state.lock:
                    state.injected[fault] = state.injected.get(fault, 0) + 1
            if fault == "drop":
                self._drop()
                return
            if fault == "hang":
                time.sleep(state.faults.hang_s)
                self.close_connection = True
                return
            if fault == "error500":
                self._send(500, {"error": {"message": "injected server error", "type": "server_error"}})
                return
            if fault == "error400":
                self._send(400, {"error": {"message": "This model's maximum context length is 2048 tokens. However, "
                                           "you requested 4100 tokens.", "type": "BadRequestError"}})
                return
            if fault == "error429":
                self._send(429, {"error": {"message": "injected rate limit", "type": "rate_limit"}},
                           {"Retry-After": str(state.faults.retry_after_s)})
                return
            if fault == "trickle":
                self._trickle(request)
                return
            if fault in ("truncated", "html", "no_choices", "partial", "empty_choices", "bad_utf8"):
                self._send_raw(*malformed_reply(fault, request))
                return
            if not self.path.endswith("/completions") or "prompt" not in request:
                self._send(404, {"error": {"message": "only the completions endpoint is faked"}})
                return
            self._send(200, _completion_body(request))

    return Handler


def _stop(server: ThreadingHTTPServer) -> None:
    """Stop serving and close the listening socket (new connections are refused)."""
    server.shutdown()
    server.server_close()


class FakeOpenAIServer:
    """The server on 127.0.0.1 (`port`, 0: any free one) in a background thread; `url` is its `/v1` base URL."""

    def __init__(self, faults: Faults | None = None, port: int = 0) -> None:
        self.state = ServerState(faults=faults or Faults())
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.state))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
