"""The teacher's cache, budget, retries and cost report, with fake backends that count calls."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from evalkit.backends.base import Completion, SamplingParams
from evalkit.errors import ConfigError, EvalkitError, InputError
from evalkit.synthesis.corpus import Chunk, chunk_id
from evalkit.synthesis.teacher import (
    Budget,
    CachedCaller,
    Pricing,
    RetryPolicy,
    ask_teacher,
    cost_report,
    count_statuses,
    request_key,
)

SAMPLING = SamplingParams(temperature=0.0, max_tokens=64, seed=0)


class CountingBackend:
    """Answers every prompt with a well-formed exercise; counts prompts it was sent."""

    name = "fake"

    def __init__(self) -> None:
        self.prompts_seen = 0
        self.calls = 0

    def generate(self, prompts: Sequence, n: int, sampling: SamplingParams) -> list[list[Completion]]:
        self.calls += 1
        self.prompts_seen += len(prompts)
        return [[Completion(text=f" Q{len(str(p))}?\nSolution: so $\\boxed{{{len(str(p))}}}$.", finish_reason="stop",
                            num_tokens=10)] * n for p in prompts]


class FlakyBackend(CountingBackend):
    """Fails the first `failures` calls, then answers."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        super().__init__()
        self.failures = failures
        self.error = error or ConnectionError("server unavailable")

    def generate(self, prompts, n, sampling):
        if self.failures > 0:
            self.failures -= 1
            self.calls += 1
            raise self.error
        return super().generate(prompts, n, sampling)


def _chunks(count: int) -> list[Chunk]:
    texts = [f"Passage number {i} about adding {i} apples and {i + 1} pears." for i in range(count)]
    return [Chunk(id=chunk_id(t), text=t, origin=f"test:{i}") for i, t in enumerate(texts)]


def test_rerun_is_answered_from_the_cache(tmp_path: Path):
    cache = tmp_path / "cache" / "teacher.jsonl"
    backend = CountingBackend()
    first = CachedCaller(backend, "fake-model", cache)
    records = ask_teacher(_chunks(5), first, mode="round_robin", stages=("grade_school", "college"), chat=False,
                          sampling=SAMPLING, batch_size=2, show_progress=False)
    assert backend.prompts_seen == 5 and first.this_run.calls == 5
    assert count_statuses(records) == {"ok": 5}
    assert all(r["raw"].startswith("Problem:") for r in records)

    again = CachedCaller(backend, "fake-model", cache)
    records_again = ask_teacher(_chunks(5), again, mode="round_robin", stages=("grade_school", "college"), chat=False,
                                sampling=SAMPLING, batch_size=2, show_progress=False)
    assert backend.prompts_seen == 5, "a fully cached rerun must not call the backend"
    assert again.this_run.calls == 0 and again.total.calls == 5
    assert records_again == records


def test_cache_key_depends_on_model_prompt_and_sampling():
    key = request_key("m", "p", 1, SAMPLING)
    assert key == request_key("m", "p", 1, SAMPLING)
    assert key != request_key("m2", "p", 1, SAMPLING)
    assert key != request_key("m", "p2", 1, SAMPLING)
    assert key != request_key("m", "p", 2, SAMPLING)
    assert key != request_key("m", "p", 1, SamplingParams(temperature=0.5, max_tokens=64, seed=0))


def test_new_texts_only_pay_for_themselves(tmp_path: Path):
    backend = CountingBackend()
    cache = tmp_path / "c.jsonl"
    CachedCaller(backend, "m", cache).run(["a", "b"], 1, SAMPLING, show_progress=False)
    caller = CachedCaller(backend, "m", cache)
    outcomes = caller.run(["a", "b", "c", "c"], 1, SAMPLING, show_progress=False)
    assert [o.status for o in outcomes] == ["cached", "cached", "new", "cached"]
    assert backend.prompts_seen == 3 and caller.this_run.calls == 1


def test_call_budget_stops_cleanly_and_records_skipped(tmp_path: Path):
    backend = CountingBackend()
    caller = CachedCaller(backend, "m", tmp_path / "c.jsonl", budget=Budget(max_calls=3))
    records = ask_teacher(_chunks(7), caller, mode="grade_school", stages=("grade_school",), chat=False,
                          sampling=SAMPLING, batch_size=2, show_progress=False)
    assert backend.prompts_seen == 3
    assert count_statuses(records) == {"ok": 3, "skipped": 4}
    skipped = [r for r in records if r["status"] == "skipped"]
    assert all("max_calls=3" in r["reason"] for r in skipped)
    assert len({r["source_id"] for r in records}) == 7, "no text may be lost"
    # The budget counts calls of earlier runs too: a rerun with the same budget pays nothing more.
    again = CachedCaller(backend, "m", tmp_path / "c.jsonl", budget=Budget(max_calls=3))
    ask_teacher(_chunks(7), again, mode="grade_school", stages=("grade_school",), chat=False,
                sampling=SAMPLING, batch_size=2, show_progress=False)
    assert backend.prompts_seen == 3


def test_token_budget_stops_calls(tmp_path: Path):
    backend = CountingBackend()
    caller = CachedCaller(backend, "m", tmp_path / "c.jsonl", budget=Budget(max_tokens=25),
                          count_tokens=lambda text: 5)
    outcomes = caller.run([f"p{i}" for i in range(6)], 1, SAMPLING, batch_size=1, show_progress=False)
    # each call costs 5 prompt + 10 completion tokens: after 2 calls (30 tokens) the budget is spent
    assert [o.status for o in outcomes] == ["new", "new", "skipped", "skipped", "skipped", "skipped"]
    assert "max_tokens=25" in outcomes[-1].reason


def test_failing_backend_is_retried_with_exponential_backoff(tmp_path: Path):
    backend = FlakyBackend(failures=3)
    delays: list[float] = []
    caller = CachedCaller(backend, "m", tmp_path / "c.jsonl", retry=RetryPolicy(max_retries=4, base=0.001, cap=0.003),
                          sleep=delays.append)
    outcomes = caller.run(["a", "b"], 1, SAMPLING, show_progress=False)
    assert [o.status for o in outcomes] == ["new", "new"]
    assert delays == [0.001, 0.002, 0.003]
    assert caller.retries_this_run == 3 and backend.calls == 4


def test_retries_give_up_with_a_clear_error_and_keep_earlier_answers(tmp_path: Path):
    cache = tmp_path / "c.jsonl"
    CachedCaller(CountingBackend(), "m", cache).run(["a"], 1, SAMPLING, show_progress=False)
    backend = FlakyBackend(failures=10)
    caller = CachedCaller(backend, "m", cache, retry=RetryPolicy(max_retries=2, base=0.0, cap=0.0), sleep=lambda s: None)
    with pytest.raises(EvalkitError, match="giving up after 3 attempts"):
        caller.run(["a", "b"], 1, SAMPLING, show_progress=False)
    assert backend.calls == 3
    assert CachedCaller(CountingBackend(), "m", cache).total.calls == 1


def test_configuration_errors_are_not_retried(tmp_path: Path):
    backend = FlakyBackend(failures=5, error=ConfigError("bad model"))
    caller = CachedCaller(backend, "m", tmp_path / "c.jsonl", sleep=lambda s: None)
    with pytest.raises(ConfigError):
        caller.run(["a"], 1, SAMPLING, show_progress=False)
    assert backend.calls == 1


def test_cost_report_prices_tokens(tmp_path: Path):
    caller = CachedCaller(CountingBackend(), "m", tmp_path / "c.jsonl", count_tokens=lambda text: 100)
    caller.run(["a", "b"], 1, SAMPLING, show_progress=False)
    report = cost_report(caller, Pricing(prompt_per_1k=1.0, completion_per_1k=2.0))
    assert report["total"] == {"calls": 2, "prompt_tokens": 200, "completion_tokens": 20, "usd": 0.24}
    assert report["this_run"]["calls"] == 2


def test_malformed_and_mixed_stage_answers(tmp_path: Path):
    class Mixed(CountingBackend):
        def generate(self, prompts, n, sampling):
            self.prompts_seen += len(prompts)
            return [[Completion(text="no labels here", finish_reason="stop", num_tokens=3)] * n for _ in prompts]

    caller = CachedCaller(Mixed(), "m", tmp_path / "c.jsonl")
    records = ask_teacher(_chunks(2), caller, mode="mixed", stages=("grade_school", "college"), chat=True,
                          sampling=SAMPLING, batch_size=4, show_progress=False)
    assert [(r["stage"], r["status"]) for r in records] == [
        ("grade_school", "malformed"), ("college", "malformed")] * 2


def test_source_stage_uses_the_label_of_the_source():
    from evalkit.synthesis.teacher import plan_requests

    labelled = Chunk(id="a", text="Tom has 3 apples.", origin="demo:1", stage_hint="college")
    unlabelled = Chunk(id="b", text="Compute the derivative of x^3.", origin="x:1")
    stages = [r.stage for r in plan_requests([labelled, unlabelled], "source", ("college", "grade_school"))]
    assert stages == ["college", "college"]
    assert [r.stage for r in plan_requests([labelled], "source", ("grade_school",))] == ["grade_school"]


def test_corrupt_cache_line_is_named(tmp_path: Path):
    cache = tmp_path / "c.jsonl"
    cache.write_text('{"key": "k", "completions": []}\n{"no_key": 1}\n')
    with pytest.raises(InputError, match=r"c.jsonl:2: not a cache entry"):
        CachedCaller(CountingBackend(), "m", cache)


def test_backend_errors_are_final_and_name_what_is_cached(tmp_path: Path):
    """An EvalkitError is the backend's last word (a refused request, or its own retries spent):
    no second attempt here, and one line saying what is cached."""
    cache = tmp_path / "c.jsonl"
    CachedCaller(CountingBackend(), "m", cache).run(["a"], 1, SAMPLING, show_progress=False)
    refused = EvalkitError("server http://x/v1 refused the request: HTTP 401: invalid API key")
    backend = FlakyBackend(failures=5, error=refused)
    caller = CachedCaller(backend, "m", cache, retry=RetryPolicy(max_retries=4, base=0.0), sleep=lambda s: None)
    with pytest.raises(EvalkitError) as raised:
        caller.run(["a", "b", "c"], 1, SAMPLING, show_progress=False)
    message = str(raised.value)
    assert backend.calls == 1 and caller.retries_this_run == 0
    assert "\n" not in message and "HTTP 401" in message and "1 in all) are cached" in message


def test_a_retried_batch_asks_only_prompts_without_an_answer(tmp_path: Path):
    class Recording(FlakyBackend):
        def __init__(self) -> None:
            super().__init__(failures=0)
            self.batches: list[list[str]] = []

        def generate(self, prompts, n, sampling):
            self.batches.append(list(prompts))
            if len(self.batches) == 2:  # the second batch fails once
                raise TimeoutError("read timed out")
            return super().generate(prompts, n, sampling)

    backend = Recording()
    caller = CachedCaller(backend, "m", tmp_path / "c.jsonl", retry=RetryPolicy(max_retries=2, base=0.0),
                          sleep=lambda s: None)
    outcomes = caller.run(["a", "b", "c", "d", "e"], 1, SAMPLING, batch_size=2, show_progress=False)
    assert [o.status for o in outcomes] == ["new"] * 5
    assert backend.batches == [["a", "b"], ["c", "d"], ["c", "d"], ["e"]]
    asked = [prompt for batch in backend.batches for prompt in batch]
    assert asked.count("a") == 1 and asked.count("e") == 1


def test_new_calls_stream_and_each_answer_is_cached_as_it_arrives(tmp_path: Path):
    """A backend with its own `stream` gets every new request through it (as evaluation runs do), with
    at most `batch_size` in flight; answers come back in finish order and each is in the cache at once,
    so a stream that breaks after two answers costs only the rest on the retry."""
    from evalkit.backends.base import SampleResult

    class Streaming(CountingBackend):
        def __init__(self) -> None:
            super().__init__()
            self.windows: list[int | None] = []
            self.asked: list[list[str]] = []

        def generate(self, prompts, n, sampling):  # pragma: no cover - must not be used
            raise AssertionError("generate called on a streaming backend")

        def stream(self, requests, n, sampling, *, window=None):
            self.windows.append(window)
            pending = list(requests)
            self.asked.append([request.prompt for request in pending])
            answered = CountingBackend.generate(self, [request.prompt for request in pending], n, sampling)
            for position, (request, completions) in enumerate(reversed(list(zip(pending, answered)))):
                if len(self.asked) == 1 and position == 2:
                    raise ConnectionError("stream dropped")
                yield SampleResult(request.key, tuple(completions))

    backend = Streaming()
    cache = tmp_path / "c.jsonl"
    caller = CachedCaller(backend, "m", cache, retry=RetryPolicy(max_retries=1, base=0.0), sleep=lambda s: None)
    outcomes = caller.run(["a", "bb", "ccc", "dddd"], 1, SAMPLING, batch_size=3, show_progress=False)
    assert [o.status for o in outcomes] == ["new"] * 4
    assert backend.windows == [3, 3]
    assert backend.asked == [["a", "bb", "ccc", "dddd"], ["a", "bb"]]  # the retry re-asks only the unanswered
    assert caller.retries_this_run == 1 and caller.this_run.calls == 4
    assert len(cache.read_text().splitlines()) == 4
    assert CachedCaller(Streaming(), "m", cache).run(["dddd"], 1, SAMPLING, show_progress=False)[0].status == "cached"


def test_a_request_the_backend_gives_up_on_keeps_the_answers_before_it(tmp_path: Path):
    from evalkit.backends.base import SampleResult

    class OneFails(CountingBackend):
        def stream(self, requests, n, sampling, *, window=None):
            for request in requests:
                if request.prompt == "b":
                    yield SampleResult(request.key, error="HTTP 500 after 4 retries")
                    return
                yield SampleResult(request.key, tuple(CountingBackend.generate(self, [request.prompt], n, sampling)[0]))

    caller = CachedCaller(OneFails(), "m", tmp_path / "c.jsonl", sleep=lambda s: None)
    with pytest.raises(EvalkitError) as raised:
        caller.run(["a", "b", "c"], 1, SAMPLING, show_progress=False)
    assert "HTTP 500" in str(raised.value) and "1 in all) are cached" in str(raised.value)
    assert caller.retries_this_run == 0


def test_a_fully_cached_or_budget_spent_run_builds_no_model(tmp_path: Path):
    from evalkit.synthesis.pipeline import LazyBackend

    built = []

    def factory():
        built.append(1)
        return CountingBackend()

    cache = tmp_path / "c.jsonl"
    assert [o.status for o in CachedCaller(LazyBackend("lazy", factory), "m", cache).run(
        ["a", "b"], 1, SAMPLING, show_progress=False)] == ["new", "new"]
    assert len(built) == 1
    again = CachedCaller(LazyBackend("lazy", factory), "m", cache)
    assert [o.status for o in again.run(["a", "b"], 1, SAMPLING, show_progress=False)] == ["cached", "cached"]
    spent = CachedCaller(LazyBackend("lazy", factory), "m", cache, budget=Budget(max_calls=2))
    assert [o.status for o in spent.run(["c"], 1, SAMPLING, show_progress=False)] == ["skipped"]
    assert len(built) == 1


def test_a_failure_while_recording_is_not_retried_as_a_transport_error(tmp_path: Path):
    backend = CountingBackend()
    caller = CachedCaller(backend, "m", tmp_path / "c.jsonl", retry=RetryPolicy(max_retries=4, base=0.0),
                          sleep=lambda s: None, count_tokens=lambda text: 1 // 0)
    with pytest.raises(ZeroDivisionError):
        caller.run(["a", "b"], 1, SAMPLING, show_progress=False)
    assert backend.calls == 1 and caller.retries_this_run == 0


def test_a_request_the_backend_never_answers_is_an_error_not_a_skip(tmp_path: Path):
    from evalkit.backends.base import SampleResult

    class Drops(CountingBackend):
        def stream(self, requests, n, sampling, *, window=None):
            for request in requests:
                if request.prompt != "b":
                    yield SampleResult(request.key, tuple(CountingBackend.generate(self, [request.prompt], n, sampling)[0]))

    caller = CachedCaller(Drops(), "m", tmp_path / "c.jsonl", sleep=lambda s: None)
    with pytest.raises(EvalkitError, match="no answer for 1 request"):
        caller.run(["a", "b", "c"], 1, SAMPLING, show_progress=False)
    assert caller.this_run.calls == 2  # a and c are cached
