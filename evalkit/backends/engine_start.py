"""Starting an inference engine that runs in child processes, with the caller still in control.

`vllm.LLM(...)` blocks for tens of seconds (minutes for a large model) while its engine
process loads the model, and it waits for that process in a ZeroMQ poll that neither Ctrl-C
nor the death of the engine process ends: a Ctrl-C during the start was ignored, and an engine
process that died while starting (not enough memory on a CPU, say) left evalkit waiting for
vLLM's ten-minute start timeout.

`start_watched` runs such a start in a helper thread while the calling thread waits in short,
interruptible steps and watches the child processes the start created:

- Ctrl-C (or SIGTERM turned into KeyboardInterrupt by `evalkit.errors.sigterm_as_interrupt`)
  ends the wait at once: the new child processes are stopped and the KeyboardInterrupt goes on,
  so the command prints its one "interrupted" line and exits. A process the abandoned start
  creates after that is stopped when the interpreter exits, before multiprocessing's exit hook
  would wait for it.
- A new child process that failed (a non-zero exit status, or killed by a signal, as the
  out-of-memory killer does) and stays unwaited-for for `grace_s` while the start is still
  waiting ends it with one `EvalkitError` naming the status. A child that exits with status 0 is
  a helper that finished, not a failure.
- Otherwise the start's result (or its exception) is returned (raised) as if called directly.

Children are never waited for here (exit statuses are read with `WNOWAIT`): their parent's own
bookkeeping (multiprocessing's `is_alive`, vLLM's shutdown) must still see each exit. Only
processes created during the start are stopped, never ones the caller had before (a grading
worker pool, say). The helper thread is a daemon thread: after a failed or interrupted start it
is left blocked in the engine's poll and ends with the interpreter.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from evalkit.errors import EvalkitError

T = TypeVar("T")
POLL_S = 0.25
GRACE_S = 2.0
STOP_WAIT_S = 5.0


def _children(recursive: bool = True) -> dict[int, Any]:
    """This process's child processes (all descendants with `recursive`), by pid (psutil objects)."""
    import psutil

    try:
        return {child.pid: child for child in psutil.Process().children(recursive=recursive)}
    except psutil.Error:
        return {}


def failed_child_status(pid: int) -> str | None:
    """How a direct child process failed, in words, when it has exited with a non-zero status or
    was killed by a signal; None while it runs, when it exited with status 0, or when it was
    already waited for. Reads the status without waiting for the child (`WNOWAIT`)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return None
    if info is None:
        return None
    if info.si_code == os.CLD_EXITED:
        return None if info.si_status == 0 else f"exit status {info.si_status}"
    try:
        name = signal.Signals(info.si_status).name
    except ValueError:
        name = f"signal {info.si_status}"
    hint = " (out of memory?)" if info.si_status == signal.SIGKILL else ""
    return f"killed by {name}{hint}"


def _has_exited(process: Any) -> bool:
    """Whether a process has exited (waited for or not)."""
    import psutil

    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def stop_processes(processes: dict[int, Any], wait_s: float = STOP_WAIT_S) -> None:
    """SIGTERM the processes, then SIGKILL those still running after `wait_s` seconds; none is
    waited for (reaped) here, so their parents' bookkeeping stays right."""
    import psutil

    def signal_all(send: str, targets: list[Any]) -> None:
        for process in targets:
            try:
                getattr(process, send)()
            except psutil.Error:
                pass

    running = [process for process in processes.values() if not _has_exited(process)]
    signal_all("terminate", running)
    deadline = time.monotonic() + wait_s
    while running and time.monotonic() < deadline:
        time.sleep(0.05)
        running = [process for process in running if not _has_exited(process)]
    signal_all("kill", running)


def _stop_new_children(before: set[int]) -> None:
    stop_processes({pid: process for pid, process in _children().items() if pid not in before})


def _at_exit_before_multiprocessing(function: Callable[..., None], *args: Any) -> None:
    """Call `function(*args)` when the interpreter exits, before multiprocessing's exit hook (which
    waits for every non-daemon child and re-registers itself as the last `atexit` hook): threading's
    exit hooks run first (`concurrent.futures` uses them the same way); plain `atexit` otherwise."""
    register = getattr(threading, "_register_atexit", None)
    try:
        if register is not None:
            register(function, *args)
            return
    except RuntimeError:  # already shutting down
        pass
    atexit.register(function, *args)


def start_watched(start: Callable[[], T], *, what: str, poll_s: float = POLL_S, grace_s: float = GRACE_S) -> T:
    """`start()` run in a helper thread, watched as the module docstring says; `what` names the
    engine in the error (e.g. "vLLM on model 'x'")."""
    before = set(_children())
    outcome: dict[str, Any] = {}
    finished = threading.Event()  # waited on instead of `Thread.join`, which a KeyboardInterrupt can leave
    # believing a running thread stopped (CPython's join releases the thread's state lock when interrupted)

    def run() -> None:
        try:
            outcome["result"] = start()
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome["error"] = error
        finally:
            finished.set()

    thread = threading.Thread(target=run, name="engine-start", daemon=True)
    failed_at: dict[int, float] = {}
    try:
        thread.start()
        while not finished.wait(poll_s):
            now = time.monotonic()
            for pid in _children(recursive=False):
                status = None if pid in before else failed_child_status(pid)
                if status is not None and now - failed_at.setdefault(pid, now) >= grace_s:
                    raise EvalkitError(f"{what}: its engine process (pid {pid}) failed while starting ({status}); "
                                       "any error it printed is above")
    except BaseException:
        if not finished.is_set():  # the abandoned start may still create processes: stop those at exit too
            _at_exit_before_multiprocessing(_stop_new_children, before)
        _stop_new_children(before)
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
