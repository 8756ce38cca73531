"""The streaming sampling stage with scripted backends: order, failures, mixing guards, bounds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from evalkit.backends.base import Completion, SampleRequest, SampleResult, SamplingParams, stream_requests
from evalkit.config import dump_config, parse_config
from evalkit.errors import EvalkitError, Interrupted
from evalkit.jsonl import read_jsonl
from evalkit.pipeline.sample import sample_stage
from evalkit.records import Problem
from evalkit.store import RunDir

N = 2
SAMPLING = SamplingParams(temperature=1.0, max_tokens=8, seed=0)


def _problems(count: int) -> list[Problem]:
    return [Problem(id=f"p{i}", task="t", question=f"question {i}", reference=str(i)) for i in range(count)]


def _completions(key: str) -> tuple[Completion, ...]:
    return tuple(Completion(text=f"{key} sample {i}", finish_reason="stop", num_tokens=3) for i in range(N))


class ScriptedBackend:
    """Yields results in reverse order of the requests (as a stream may), failing some keys."""

    name = "scripted"

    def __init__(self, failing: Iterable[str] = (), interrupt_after: int | None = None,
                 refusing: Iterable[str] = ()) -> None:
        self.failing = set(failing)
        self.refusing = set(refusing)
        self.interrupt_after = interrupt_after
        self.windows: list[int | None] = []
        self.closed = False

    def stream(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams, *,
               window: int | None = None) -> Iterator[SampleResult]:
        self.windows.append(window)
        for count, request in enumerate(reversed(list(requests))):
            if self.interrupt_after is not None and count == self.interrupt_after:
                raise KeyboardInterrupt
            if request.key in self.refusing:
                yield SampleResult(request.key, error="prompt too long", rejected=True)
            elif request.key in self.failing:
                yield SampleResult(request.key, error="server said no")
            else:
                yield SampleResult(request.key, _completions(request.key))

    def close(self) -> None:
        self.closed = True


def _run(tmp_path, backend, problems, **config_fields):
    config = parse_config({"model": "m", "task": "math500", "backend": {"name": "hf"}, "sampling": {"n": N},
                           **config_fields})
    run = RunDir(tmp_path / "run")
    run.claim(dump_config(config), config.config_hash())
    result = sample_stage(config, run, problems, make_backend=lambda: backend, prompt_of=lambda p: p.question,
                          sampling=SAMPLING, show_progress=False)
    return run, result


def test_results_in_any_order_end_in_problem_order(tmp_path):
    backend = ScriptedBackend()
    run, result = _run(tmp_path, backend, _problems(5), max_problems_in_flight=3)
    assert result.sampled_now == 5 and backend.windows == [3]
    assert not backend.closed  # one backend may serve several runs: closing it is its owner's business
    records = read_jsonl(run.samples_path)
    assert [r["problem_id"] for r in records] == ["p0", "p1", "p2", "p3", "p4"]
    assert records[2]["samples"][1]["text"] == "p2 sample 1"


def test_a_failed_problem_is_named_and_the_others_are_kept(tmp_path):
    with pytest.raises(EvalkitError, match=r"1 problems could not be sampled: p1: server said no.*run the same "
                                           r"command again"):
        _run(tmp_path, ScriptedBackend(failing=["p1"]), _problems(4))
    run = RunDir(tmp_path / "run")
    assert sorted(run.sampled_ids()) == ["p0", "p2", "p3"]
    _, result = _run(tmp_path, ScriptedBackend(), _problems(4))  # running again samples only what is missing
    assert result.already_done == 3 and result.sampled_now == 1
    assert [r["problem_id"] for r in read_jsonl(run.samples_path)] == ["p0", "p1", "p2", "p3"]


def test_ctrl_c_keeps_finished_problems_and_says_how_to_go_on(tmp_path):
    with pytest.raises(Interrupted, match="2 problems sampled now are saved .* Run the same command again"):
        _run(tmp_path, ScriptedBackend(interrupt_after=2), _problems(5))
    assert sorted(RunDir(tmp_path / "run").sampled_ids()) == ["p3", "p4"]


def test_when_nothing_finished_the_error_says_nothing_was_written(tmp_path):
    with pytest.raises(EvalkitError, match=r"2 problems could not be sampled: .*\. No problem was sampled now, so "
                                           r"nothing was written; run the same command again"):
        _run(tmp_path, ScriptedBackend(failing=["p0", "p1"]), _problems(2))
    with pytest.raises(Interrupted, match="sampling stopped; no problem was sampled now, so nothing was written"):
        _run(tmp_path / "b", ScriptedBackend(interrupt_after=0), _problems(2))


def test_a_backend_that_fails_every_problem_from_the_start_is_stopped_early(tmp_path):
    from evalkit.pipeline.sample import STOP_AFTER_FIRST_FAILURES

    problems = _problems(20)
    backend = ScriptedBackend(failing=[p.id for p in problems])
    with pytest.raises(EvalkitError, match=rf"the first {STOP_AFTER_FIRST_FAILURES} problems all failed and none "
                                           rf"succeeded, so the run stopped without finishing the other "
                                           rf"{20 - STOP_AFTER_FIRST_FAILURES}"
                                           r".*server said no\)\. No problem was sampled now, so nothing was written"):
        _run(tmp_path, backend, problems)
    # once one problem has succeeded, failures are collected to the end and the rest is still tried
    failing = [p.id for p in problems[:-1]]  # the scripted stream answers the last problem first
    with pytest.raises(EvalkitError, match=r"19 problems could not be sampled"):
        _run(tmp_path / "b", ScriptedBackend(failing=failing), problems)
    assert set(RunDir(tmp_path / "b" / "run").sampled_ids()) == {"p19"}


def test_an_error_that_stops_the_backend_says_what_was_kept(tmp_path):
    class Stops(ScriptedBackend):
        def stream(self, requests, n, sampling, *, window=None):
            requests = list(requests)
            if self.failing:
                yield SampleResult(requests[0].key, _completions(requests[0].key))
            raise EvalkitError("the server at http://x is unreachable")

    with pytest.raises(EvalkitError, match=r"^the server at http://x is unreachable\. No problem was sampled now, "
                                           r"so nothing was written\.$"):
        _run(tmp_path, Stops(), _problems(3))
    with pytest.raises(EvalkitError, match=r"unreachable\. The 1 problems sampled now are saved in .*samples\.jsonl\.$"):
        _run(tmp_path / "b", Stops(failing=["x"]), _problems(3))
    assert len(RunDir(tmp_path / "b" / "run").sampled_ids()) == 1


def test_a_result_for_a_problem_not_asked_for_or_twice_is_refused(tmp_path):
    class Confused(ScriptedBackend):
        def stream(self, requests, n, sampling, *, window=None):
            requests = list(requests)
            yield SampleResult(requests[0].key, _completions(requests[0].key))
            yield SampleResult(requests[0].key, _completions(requests[0].key))

    with pytest.raises(EvalkitError, match="not asked for or was already answered"):
        _run(tmp_path, Confused(), _problems(2))
    assert [r["problem_id"] for r in read_jsonl(RunDir(tmp_path / "run").samples_path)] == ["p0"]


def test_wrong_number_of_completions_is_an_error(tmp_path):
    class Short(ScriptedBackend):
        def stream(self, requests, n, sampling, *, window=None):
            for request in requests:
                yield SampleResult(request.key, _completions(request.key)[:1])

    with pytest.raises(EvalkitError, match="returned 1 completions for problem 'p0', expected 2"):
        _run(tmp_path, Short(), _problems(1))


def test_a_backend_with_only_generate_works_a_window_at_a_time():
    calls: list[int] = []

    class Old:
        name = "old"

        def generate(self, prompts, n, sampling):
            calls.append(len(prompts))
            return [[Completion(text=p, finish_reason="stop", num_tokens=1)] * n for p in prompts]

    requests = [SampleRequest(f"k{i}", f"prompt {i}") for i in range(5)]
    results = list(stream_requests(Old(), requests, 2, SAMPLING, window=2))
    assert calls == [2, 2, 1]
    assert [r.key for r in results] == [f"k{i}" for i in range(5)]
    assert results[4].completions[1].text == "prompt 4"


def test_nothing_to_do_touches_an_empty_file_and_builds_no_backend(tmp_path):
    config = parse_config({"model": "m", "task": "math500", "backend": {"name": "hf"}})
    run = RunDir(tmp_path / "run")
    run.claim(dump_config(config), config.config_hash())

    def no_backend():
        raise AssertionError("built a backend with nothing to sample")

    result = sample_stage(config, run, [], make_backend=no_backend, prompt_of=lambda p: p.question,
                          sampling=SAMPLING, show_progress=False)
    assert result.sampled_now == 0 and run.samples_path.read_text() == ""


def test_refused_prompts_are_recorded_unanswered_only_once_the_backend_answered_something(tmp_path):
    problems = _problems(4)
    # the stream answers the last problem first: p3 and p2 are refused before any answer, then held
    run, result = _run(tmp_path, ScriptedBackend(refusing=["p3", "p2"]), problems, rejected_prompts="record")
    records = {r["problem_id"]: r for r in read_jsonl(run.samples_path)}
    assert result.sampled_now == 2 and sorted(records) == ["p0", "p1", "p2", "p3"]
    assert records["p3"]["rejected"] == "prompt too long" and "rejected" not in records["p0"]
    assert [(s["text"], s["finish_reason"], s["num_tokens"]) for s in records["p2"]["samples"]] == [("", "rejected", 0)] * N
    # a backend that refuses every prompt is broken: nothing is recorded, the refusals are failures
    with pytest.raises(EvalkitError, match=r"2 problems could not be sampled: p1: prompt too long"):
        _run(tmp_path / "b", ScriptedBackend(refusing=["p0", "p1"]), _problems(2), rejected_prompts="record")
    assert not RunDir(tmp_path / "b" / "run").sampled_ids()


def test_by_default_a_refused_prompt_fails_and_the_error_says_how_to_finish(tmp_path):
    with pytest.raises(EvalkitError, match=r"1 of them the backend refuses as written .* --set rejected_prompts=record"):
        _run(tmp_path, ScriptedBackend(refusing=["p1"]), _problems(3))
    assert sorted(RunDir(tmp_path / "run").sampled_ids()) == ["p0", "p2"]


def test_when_every_prompt_is_refused_the_error_says_the_settings_do_not_fit(tmp_path):
    from evalkit.pipeline.sample import STOP_AFTER_FIRST_FAILURES

    problems = _problems(STOP_AFTER_FIRST_FAILURES + 2)
    with pytest.raises(EvalkitError, match=r"refused every one of their prompts as written.*lower --max-tokens"):
        _run(tmp_path, ScriptedBackend(refusing=[p.id for p in problems]), problems)
    with pytest.raises(EvalkitError, match=r"2 problems could not be sampled.*refused every prompt as written"):
        _run(tmp_path / "b", ScriptedBackend(refusing=["p0", "p1"]), _problems(2), rejected_prompts="record")
