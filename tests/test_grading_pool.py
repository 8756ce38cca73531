"""The worker pool: per-item hard time limits, dead workers, order, threads, memory caps."""

from __future__ import annotations

import os
import threading
import time

import pytest

from evalkit.grading.pool import TaskResult, WorkerPool, call_with_timeout

TIMEOUT_S = 1.0


def square(value: int) -> int:
    return value * value


def misbehave(value: object) -> object:
    """Workers' test function: sleep forever, die, raise, or return the value."""
    if value == "sleep":
        time.sleep(100)
    if value == "exit":
        os._exit(1)
    if value == "raise":
        raise ValueError("bad item")
    return value


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes << 20))


def unpicklable_result(_: object) -> object:
    return lambda: None


@pytest.fixture(scope="module")
def pool() -> WorkerPool:
    with WorkerPool(2, timeout=TIMEOUT_S) as shared:
        shared.map(square, [0])  # start the fork server and the workers once for the module
        yield shared


def test_results_in_input_order(pool: WorkerPool) -> None:
    results = pool.map(square, range(500))
    assert [result.value for result in results] == [i * i for i in range(500)]
    assert all(result.status == "ok" for result in results)


@pytest.mark.timeout(120)
def test_sleeping_item_times_out_and_others_finish(pool: WorkerPool) -> None:
    items = [1, 2, "sleep", 3, 4, 5]
    results = pool.map(misbehave, items)  # the sleeper never wakes: only the kill can end it
    assert [result.status for result in results] == ["ok", "ok", "timeout", "ok", "ok", "ok"]
    assert [result.value for result in results] == [1, 2, None, 3, 4, 5]


@pytest.mark.timeout(120)
def test_batch_time_is_bounded_with_many_stuck_items(pool: WorkerPool) -> None:
    items = ["sleep"] * 4 + list(range(20))
    results = pool.map(misbehave, items)
    assert [result.status for result in results] == ["timeout"] * 4 + ["ok"] * 20


def test_crashing_worker_is_an_error_and_the_pool_goes_on(pool: WorkerPool) -> None:
    results = pool.map(misbehave, [1, "exit", 2, "raise", 3])
    assert [result.status for result in results] == ["ok", "error", "ok", "error", "ok"]
    assert "exit code 1" in (results[1].error or "")
    assert results[3].error == "ValueError: bad item"
    assert [result.value for result in pool.map(square, [4, 5])] == [16, 25]


def test_unpicklable_result_is_an_error(pool: WorkerPool) -> None:
    result = pool.map(unpicklable_result, [1])[0]
    assert result.status == "error"
    assert "Error" in (result.error or "")


def test_lambda_is_rejected_up_front(pool: WorkerPool) -> None:
    with pytest.raises(TypeError, match="picklable top-level function"):
        pool.map(lambda value: value, [1])


def test_works_from_a_thread() -> None:
    outcome: list[list[TaskResult]] = []

    def run() -> None:
        with WorkerPool(2, timeout=TIMEOUT_S) as threaded:
            outcome.append(threaded.map(misbehave, [1, "sleep", 2]))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert [result.status for result in outcome[0]] == ["ok", "timeout", "ok"]


def test_memory_cap_turns_runaway_allocation_into_error() -> None:
    with WorkerPool(1, timeout=10.0, memory_limit_bytes=1 << 30) as capped:
        results = capped.map(allocate, [1, 2048, 1])
    assert [result.status for result in results] == ["ok", "error", "ok"]
    assert "MemoryError" in (results[1].error or "")


def test_in_process_mode_has_no_workers() -> None:
    with WorkerPool(0) as inline:
        results = inline.map(misbehave, [1, "raise", 2], progress=True)
    assert [result.status for result in results] == ["ok", "error", "ok"]


def test_closed_pool_refuses_work() -> None:
    closed = WorkerPool(1, timeout=TIMEOUT_S)
    closed.close()
    with pytest.raises(RuntimeError, match="closed"):
        closed.map(square, [1])


@pytest.mark.timeout(120)
def test_call_with_timeout_kills_a_stuck_item(pool: WorkerPool) -> None:
    assert call_with_timeout(square, 3, timeout=TIMEOUT_S) == TaskResult("ok", 9)
    result = call_with_timeout(misbehave, "sleep", timeout=TIMEOUT_S)
    assert result.status == "timeout"


def _run_python(args, source, tmp_path):
    import subprocess
    import sys

    return subprocess.run([sys.executable, *args], input=source, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)


GRADING_SCRIPT = (
    "from evalkit.grading import equivalent, grade\n"
    "print('verdict', grade(['\\\\boxed{(1, 2]}'], ['(1,2]'], workers=1)[0].correct, equivalent('1/2', '0.5'))\n"
)


def test_grading_works_from_a_script_without_a_main_guard(tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text(GRADING_SCRIPT)
    result = _run_python([str(script)], None, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("verdict True True") == 1  # the script ran once, not once per worker


def test_grading_works_from_a_script_read_on_stdin(tmp_path):
    result = _run_python(["-"], GRADING_SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "verdict True True" in result.stdout and "Traceback" not in result.stderr


def test_workers_that_cannot_start_raise_a_clear_error(tmp_path):
    script = tmp_path / "pool_no_guard.py"
    script.write_text(
        "from evalkit.grading.pool import WorkerPool\n"
        "import math\n"
        "with WorkerPool(1, timeout=5) as pool:\n"
        "    print(pool.map(math.sqrt, [4.0]))\n"
    )
    result = _run_python([str(script)], None, tmp_path)
    assert result.returncode != 0
    assert "could not start" in result.stderr and '__name__ == "__main__"' in result.stderr
