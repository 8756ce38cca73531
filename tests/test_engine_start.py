"""Starting an engine under watch (`evalkit.backends.engine_start`): Ctrl-C and a dead engine
process end the start at once, instead of the wait vLLM's start would otherwise sit in."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from evalkit.backends.engine_start import start_watched
from evalkit.errors import EvalkitError

psutil = pytest.importorskip("psutil")


def _sleep_forever() -> None:
    while True:
        time.sleep(1)


def _fail_at_once() -> None:
    raise SystemExit(3)


def _blocking_start(target, started: list) -> object:
    """A start like vLLM's: launches an engine process, then waits for it with no way out."""
    process = multiprocessing.get_context("fork").Process(target=target, daemon=False)
    process.start()
    started.append(process.pid)
    threading.Event().wait()  # never set: only the watcher can end this start
    return "never"


def test_a_start_that_returns_or_raises_is_passed_through():
    assert start_watched(lambda: 42, what="engine") == 42
    with pytest.raises(ValueError, match="bad option"):
        start_watched(lambda: (_ for _ in ()).throw(ValueError("bad option")), what="engine")


def test_an_engine_process_that_dies_while_starting_ends_the_start_with_one_error():
    started: list[int] = []
    began = time.monotonic()
    with pytest.raises(EvalkitError, match="engine process .* exited while starting"):
        start_watched(lambda: _blocking_start(_fail_at_once, started), what="vLLM on model 'm'",
                      poll_s=0.05, grace_s=0.2)
    assert time.monotonic() - began < 10


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_ctrl_c_during_the_start_stops_it_and_the_engine_processes_it_started():
    started: list[int] = []
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    began = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            start_watched(lambda: _blocking_start(_sleep_forever, started), what="engine", poll_s=0.05)
    finally:
        timer.cancel()
    assert time.monotonic() - began < 10
    assert started, "the engine process had started"
    assert not psutil.pid_exists(started[0]), "the engine process started during the start is stopped"


def test_processes_the_caller_had_before_are_never_stopped():
    keeper = multiprocessing.get_context("fork").Process(target=_sleep_forever, daemon=True)
    keeper.start()
    try:
        with pytest.raises(EvalkitError):
            start_watched(lambda: _blocking_start(_fail_at_once, []), what="engine", poll_s=0.05, grace_s=0.2)
        assert keeper.is_alive()
    finally:
        keeper.kill()
        keeper.join()
