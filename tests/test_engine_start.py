"""Starting an engine under watch (`evalkit.backends.engine_start`): Ctrl-C and a failed engine
process end the start at once, instead of the wait vLLM's start would otherwise sit in."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from evalkit.backends.engine_start import start_watched
from evalkit.errors import EvalkitError

psutil = pytest.importorskip("psutil")
REPO = Path(__file__).resolve().parents[1]


def _sleep_forever() -> None:
    while True:
        time.sleep(1)


def _fail_at_once() -> None:
    raise SystemExit(3)


def _kill_itself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _blocking_start(target, started: list) -> object:
    """A start like vLLM's: launches an engine process, then waits for it with no way out."""
    process = multiprocessing.get_context("fork").Process(target=target, daemon=False)
    process.start()
    started.append(process)
    threading.Event().wait()  # never set: only the watcher can end this start
    return "never"


def test_a_start_that_returns_or_raises_is_passed_through():
    assert start_watched(lambda: 42, what="engine") == 42
    with pytest.raises(ValueError, match="bad option"):
        start_watched(lambda: (_ for _ in ()).throw(ValueError("bad option")), what="engine")


@pytest.mark.parametrize("target, status", [(_fail_at_once, "exit status 3"),
                                            (_kill_itself, "killed by SIGKILL (out of memory?)")])
def test_an_engine_process_that_fails_while_starting_ends_the_start_with_one_error(target, status):
    started: list = []
    began = time.monotonic()
    expected = rf"vLLM on model 'm': its engine process .* failed while starting \({re.escape(status)}\)"
    with pytest.raises(EvalkitError, match=expected):
        start_watched(lambda: _blocking_start(target, started), what="vLLM on model 'm'", poll_s=0.05, grace_s=0.2)
    assert time.monotonic() - began < 10
    started[0].join(5)  # never waited for by the watcher: the parent's own bookkeeping still sees the exit
    assert started[0].exitcode == (3 if target is _fail_at_once else -signal.SIGKILL)


def test_a_helper_process_that_finishes_is_not_taken_for_a_failed_engine():
    # before: any child that had exited and was not yet waited for (a finished `true`) aborted the start
    def start() -> str:
        helper = subprocess.Popen(["true"])
        time.sleep(1.0)  # exited with status 0, not waited for yet
        helper.wait()
        return "ready"

    assert start_watched(start, what="engine", poll_s=0.05, grace_s=0.2) == "ready"


@pytest.fixture
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt here even when the suite was started in the background, where the
    shell starts it with SIGINT ignored (and a test waiting for the interrupt would wait forever)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_ctrl_c_during_the_start_stops_it_and_the_engine_processes_it_started(ctrl_c_raises):
    started: list = []
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
    started[0].join(5)
    assert started[0].exitcode == -signal.SIGTERM, "the engine process started during the start is stopped"


def test_a_process_the_abandoned_start_creates_after_ctrl_c_is_stopped_at_exit(tmp_path):
    # before: Ctrl-C before the engine process existed left the start running; the process it created
    # afterwards was waited for by multiprocessing at exit (a hang) or left behind
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import multiprocessing, os, signal, threading, time
        from evalkit.backends.engine_start import start_watched

        signal.signal(signal.SIGINT, signal.default_int_handler)  # ignored when the suite runs in the background

        def forever():
            while True:
                time.sleep(1)

        def start():
            time.sleep(1.0)  # Ctrl-C comes before the engine process exists
            process = multiprocessing.get_context("fork").Process(target=forever, daemon=False)
            process.start()
            open({str(pid_file)!r}, "w").write(str(process.pid))
            threading.Event().wait()

        threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            start_watched(start, what="engine", poll_s=0.05)
        except KeyboardInterrupt:
            time.sleep(1.5)  # the command prints its line; the abandoned start creates its process
            print("interrupted", flush=True)
    """)
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.strip() == "interrupted", done.stderr
    assert time.monotonic() - began < 15, "exit did not wait for the process the start made"
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the process the abandoned start created outlived the command"
        time.sleep(0.1)


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
