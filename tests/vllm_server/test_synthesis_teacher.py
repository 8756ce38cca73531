"""The OpenAI-compatible teacher for real: `evalkit synth`'s teacher step against vLLM's OpenAI
server on CPU, through a small proxy that counts every request per prompt and injects failures.

One server (`conftest.py`: the vLLM environment's, started once for this folder, with an API
key) serves the session's tiny model. Checked end to end: the cache (a rerun sends
nothing), the budget stop (and a later run paying only for what was skipped), retries that
re-send only the failed requests, a request that keeps failing (one line; what was answered
stays cached), and a bad key (one line, HTTP 401, no retries).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from evalkit.errors import EvalkitError
from evalkit.jsonl import read_jsonl
from evalkit.synthesis.config import parse_synth_config
from evalkit.synthesis.pipeline import run_synthesis

from .conftest import API_KEY as SERVER_KEY
from .conftest import SERVED_MODEL, Server

pytestmark = [pytest.mark.vllm, pytest.mark.slow, pytest.mark.xdist_group("vllm_server")]

REPO = Path(__file__).resolve().parents[2]
KEY_ENV = "EVALKIT_TEST_TEACHER_KEY"
TEXTS = [f"Passage {i}: {name} has {i + 3} apples and buys {i + 2} more, so {name} has {2 * i + 5} apples."
         for i, name in enumerate(("Ava", "Ben", "Cara", "Dev", "Emma", "Finn"))]
STEPS = ["corpus", "select", "teacher"]


@dataclass
class Proxy:
    """Forwards requests to the server; counts them per text passage; fails some on purpose."""

    upstream: str
    url: str = ""
    asked: Counter = field(default_factory=Counter)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    fail_first: dict[str, tuple[int, int]] = field(default_factory=dict)  # passage -> (failures left, status)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.asked.clear()
            self.statuses.clear()
            self.fail_first.clear()

    def passage(self, body: dict) -> str:
        prompt = body.get("prompt") or json.dumps(body.get("messages"))
        return next((f"Passage {i}" for i in range(len(TEXTS)) if f"Passage {i}:" in str(prompt)), "other")


def _handler(proxy: Proxy):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            request = urllib.request.Request(proxy.upstream + self.path, headers=dict(self.headers))
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    self._reply(response.status, response.read())
            except urllib.error.HTTPError as error:
                self._reply(error.code, error.read())

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            passage = proxy.passage(json.loads(raw or b"{}"))
            with proxy.lock:
                proxy.asked[passage] += 1
                left, status = proxy.fail_first.get(passage, (0, 0))
                if left:
                    proxy.fail_first[passage] = (left - 1, status)
            if left:
                proxy.statuses.append((passage, status))
                self._reply(status, json.dumps({"error": {"message": f"injected {status}"}}).encode())
                return
            headers = {key: value for key, value in self.headers.items() if key.lower() in ("authorization", "content-type")}
            request = urllib.request.Request(proxy.upstream + self.path, data=raw, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status, body = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, body = error.code, error.read()
            with proxy.lock:
                proxy.statuses.append((passage, status))
            self._reply(status, body)

    return Handler


@pytest.fixture(scope="module")
def proxy(vllm_server: Server) -> Iterator[Proxy]:
    state = Proxy(upstream=vllm_server.root)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def fresh_proxy(proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> Proxy:
    proxy.reset()
    monkeypatch.setenv(KEY_ENV, SERVER_KEY)
    return proxy


def _config_data(tmp_path: Path, proxy: Proxy, **teacher) -> dict:
    corpus = tmp_path / "texts.jsonl"
    corpus.write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS))
    return {
        "corpus": {"sources": [{"kind": "jsonl", "path": str(corpus)}], "min_chars": 10},
        "select": {"enabled": False},
        "teacher": {
            "backend": "openai",
            "options": {"model": SERVED_MODEL, "base_url": f"{proxy.url}/v1", "api_key_env": KEY_ENV,
                        "concurrency": 3, "timeout": 60.0},
            "chat": False, "stage": "random", "batch_size": 3,
            "sampling": {"temperature": 0.7, "max_tokens": 16, "seed": 0},
            "max_retries": 2, "backoff_base": 0.01, "backoff_max": 0.05, **teacher,
        },
    }


def _run(tmp_path: Path, proxy: Proxy, out: str = "out", **teacher) -> dict:
    config = parse_synth_config(_config_data(tmp_path, proxy, **teacher))
    return run_synthesis(config, tmp_path / out, STEPS, show_progress=False)


def _passages(indices) -> set[str]:
    return {f"Passage {i}" for i in indices}


def test_teacher_calls_are_cached_and_a_rerun_sends_nothing(tmp_path: Path, fresh_proxy: Proxy):
    report = _run(tmp_path, fresh_proxy)
    assert report["teacher_calls"] == 6 and report["teacher_calls_this_run"] == 6
    assert fresh_proxy.asked == Counter({passage: 1 for passage in _passages(range(6))})
    records = read_jsonl(tmp_path / "out" / "teacher.jsonl")
    assert len(records) == 6 and {r["status"] for r in records} <= {"ok", "malformed"}
    assert sum(report["teacher_stages"].values()) == 6
    cost = report["cost"]["total"]
    assert cost["calls"] == 6 and cost["completion_tokens"] > 0 and cost["prompt_tokens"] > 0

    fresh_proxy.asked.clear()
    again = _run(tmp_path, fresh_proxy)
    assert sum(fresh_proxy.asked.values()) == 0, "a fully cached rerun must not send a request"
    assert again["teacher_calls_this_run"] == 0 and again["teacher_calls"] == 6
    assert read_jsonl(tmp_path / "out" / "teacher.jsonl") == records


def test_budget_stops_calls_and_a_later_run_pays_only_for_the_rest(tmp_path: Path, fresh_proxy: Proxy):
    report = _run(tmp_path, fresh_proxy, max_calls=4)
    assert report["teacher_calls"] == 4 and report["teacher_skipped"] == 2
    assert set(fresh_proxy.asked) == _passages(range(4)) and set(fresh_proxy.asked.values()) == {1}
    skipped = [r for r in read_jsonl(tmp_path / "out" / "teacher.jsonl") if r["status"] == "skipped"]
    assert len(skipped) == 2 and all("max_calls=4" in r["reason"] for r in skipped)

    fresh_proxy.asked.clear()
    report = _run(tmp_path, fresh_proxy, max_calls=10)
    assert report["teacher_calls_this_run"] == 2 and report["teacher_skipped"] == 0
    assert fresh_proxy.asked == Counter({passage: 1 for passage in _passages((4, 5))})


def test_failed_requests_are_retried_alone(tmp_path: Path, fresh_proxy: Proxy):
    fresh_proxy.fail_first.update({"Passage 1": (1, 500), "Passage 4": (2, 503), "Passage 5": (1, 429)})
    report = _run(tmp_path, fresh_proxy)
    assert report["teacher_calls"] == 6
    assert fresh_proxy.asked == Counter({"Passage 0": 1, "Passage 1": 2, "Passage 2": 1, "Passage 3": 1,
                                         "Passage 4": 3, "Passage 5": 2})
    assert [status for passage, status in fresh_proxy.statuses if passage == "Passage 4"] == [503, 503, 200]


def test_a_request_that_keeps_failing_stops_with_one_line_and_keeps_what_was_answered(tmp_path: Path,
                                                                                      fresh_proxy: Proxy):
    fresh_proxy.fail_first["Passage 4"] = (100, 500)
    with pytest.raises(EvalkitError) as raised:
        _run(tmp_path, fresh_proxy)
    message = str(raised.value)
    assert "\n" not in message and "HTTP 500" in message and "rerun to resume" in message
    assert fresh_proxy.asked["Passage 4"] == 3, "the backend's retries: 1 attempt + max_retries=2"
    # every answer that came back was cached, those in flight when passage 4 gave up included (the
    # first window, passages 0-2, at least); the server heals; a rerun asks only what has no answer
    answered = {passage for passage, status in fresh_proxy.statuses if status == 200}
    assert _passages(range(3)) <= answered and "Passage 4" not in answered
    fresh_proxy.reset()
    report = _run(tmp_path, fresh_proxy)
    assert report["teacher_calls"] == 6
    assert set(fresh_proxy.asked) == _passages(range(6)) - answered
    assert set(fresh_proxy.asked.values()) == {1}


def test_a_bad_key_fails_at_once_with_one_line(tmp_path: Path, fresh_proxy: Proxy):
    config = tmp_path / "teacher.yaml"
    config.write_text(yaml.safe_dump(_config_data(tmp_path, fresh_proxy)))
    env = {**os.environ, KEY_ENV: "not-the-key", "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
           "COLUMNS": "400"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "evalkit.cli", "synth", "--config", str(config),
                             "--out", str(tmp_path / "out"), "--steps", ",".join(STEPS), "--quiet"],
                            capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "HTTP 401" in errors[0] and SERVED_MODEL in errors[0]
    assert lines[-1] == errors[0]
    # no retries: every request the proxy saw was answered 401, and no passage was asked twice
    assert fresh_proxy.statuses and {status for _, status in fresh_proxy.statuses} == {401}
    assert max(fresh_proxy.asked.values()) == 1 and sum(fresh_proxy.asked.values()) <= 3
    assert elapsed < 120
