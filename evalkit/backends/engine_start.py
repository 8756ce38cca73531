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
  so the command prints its one "interrupted" line and exits.
- A new child process that has exited (and stays so for `grace_s`) while the start is still
  waiting ends it with one `EvalkitError`; the child's own error message is on stderr above it.
- Otherwise the start's result (or its exception) is returned (raised) as if called directly.

Only processes created during the start are stopped, never ones the caller had before (a grading
worker pool, say). The helper thread is a daemon thread: after a failed or interrupted start it
is left blocked in the engine's poll and ends with the interpreter.
"""

from __future__ import annotations

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
    """This process's live child processes (all descendants with `recursive`), by pid (psutil objects)."""
    import psutil

    try:
        return {child.pid: child for child in psutil.Process().children(recursive=recursive)}
    except psutil.Error:
        return {}


def _has_exited(process: Any) -> bool:
    """Whether a child process has exited and not been waited for yet. It is never waited for here:
    its parent's own bookkeeping (multiprocessing's `is_alive`, say) must still see the exit."""
    import psutil

    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False  # gone: waited for by its parent, which reacts to it


def stop_processes(processes: dict[int, Any], wait_s: float = STOP_WAIT_S) -> None:
    """SIGTERM the processes, then SIGKILL those still alive after `wait_s` seconds."""
    import psutil

    alive = [process for process in processes.values() if process.is_running()]
    for process in alive:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _, still = psutil.wait_procs(alive, timeout=wait_s)
    for process in still:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(still, timeout=wait_s)


def start_watched(start: Callable[[], T], *, what: str, poll_s: float = POLL_S, grace_s: float = GRACE_S) -> T:
    """`start()` run in a helper thread, watched as the module docstring says; `what` names the
    engine in the error (e.g. "vLLM on model 'x'")."""
    before = set(_children())
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = start()
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome["error"] = error

    thread = threading.Thread(target=run, name="engine-start", daemon=True)
    exited_at: dict[int, float] = {}
    try:
        thread.start()
        while thread.is_alive():
            thread.join(poll_s)
            if not thread.is_alive():
                break
            now = time.monotonic()
            for pid, process in _children(recursive=False).items():
                if pid in before or not _has_exited(process):
                    continue
                if now - exited_at.setdefault(pid, now) >= grace_s:
                    raise EvalkitError(f"{what}: its engine process (pid {pid}) exited while starting; "
                                       "its error is printed above")
    except BaseException:
        stop_processes({pid: process for pid, process in _children().items() if pid not in before})
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]

