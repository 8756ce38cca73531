"""User-facing errors: each carries a message that names the problem (file, line, field).

The CLI prints these as one red line and exits with status 2; anything else is a bug.
A full, read-only or forbidden disk is reported the same way (one line naming the path), and
Ctrl-C stops a command with one line saying how to resume (exit status 130); so does SIGTERM (what
a batch scheduler sends at its time limit or on `scancel`; exit status 143).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class EvalkitError(Exception):
    """An error caused by the user's input or environment, with a clear message."""


class InputError(EvalkitError):
    """Bad input data: the message starts with `file:line: field 'name':` where known."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        location = str(path) if path is not None else ""
        if line is not None:
            location = f"{location}:{line}" if location else f"line {line}"
        if field is not None:
            location = f"{location}: field '{field}'" if location else f"field '{field}'"
        super().__init__(f"{location}: {message}" if location else message)
        self.path = path
        self.line = line
        self.field = field


class ConfigError(EvalkitError):
    """A config that cannot be used (unknown key, bad value, mismatch with a run directory)."""


class DiskError(EvalkitError):
    """A file could not be written or read because of the disk (full, read-only, no permission)."""


class Interrupted(EvalkitError):
    """Work stopped by the user (Ctrl-C); the message says what was kept and how to resume."""


DISK_PROBLEMS = {
    errno.ENOSPC: "the disk is full",
    errno.EFBIG: "the file size limit is reached",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def disk_error(path: str | Path, error: OSError, *, action: str = "write") -> EvalkitError:
    """One clear error for an `OSError` met while writing (or reading: `action`) `path`."""
    problem = DISK_PROBLEMS.get(error.errno or -1, error.strerror or str(error))
    return DiskError(f"cannot {action} {path}: {problem}. Finished work is kept; fix that and run the same "
                     "command again to continue.")


def _one_line(error: BaseException) -> str:
    """The message of an error as printed: rich markup and control characters made harmless."""
    from evalkit.text_safety import for_terminal

    return for_terminal(str(error), keep_newlines=True)


@contextmanager
def sigterm_as_interrupt(received: list[int] | None = None) -> Iterator[list[int]]:
    """While inside, SIGTERM (`kill PID`, `timeout`, a job manager) stops the work as Ctrl-C does: it
    raises KeyboardInterrupt once, so finished work is kept, the backend is closed (a vLLM engine's
    processes would otherwise outlive evalkit) and the lock is released. Yields the list that
    records the signals received (`received`, or a new one); a later SIGTERM during that cleanup is
    recorded, not raised."""
    received = [] if received is None else received
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    owner = os.getpid()

    def interrupt(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a forked child inherited this handler: it dies as it would have
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        received.append(signum)
        if len(received) == 1:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped_by_user(error: BaseException) -> bool:
    """Whether `error` is, or was caused by, a `KeyboardInterrupt` (Typer turns one into a silent
    `SystemExit(130)`)."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


class StdoutThatMayClose:
    """Standard output for a command whose reader may go away (`evalkit run ... | head -1`): once the
    pipe is closed, what the command prints is dropped and `on_close` says so once, and the command
    goes on to the end of its work (Click stopped it with status 1 and nothing said, a run cut off
    after sampling). Everything else is the wrapped stream's."""

    def __init__(self, stream: Any, on_close: Callable[[], None]) -> None:
        self._stream = stream
        self._on_close = on_close
        self._closed = False

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            try:  # nothing more reaches the closed pipe, not even the interpreter's flush at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
            except (OSError, ValueError, AttributeError):
                pass
            self._on_close()

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def run_cli(app: Callable[[], object]) -> None:
    """Run a command-line app; a user error prints one red line and exits with status 2.

    Disk problems (full, read-only, permissions) are user errors too; Ctrl-C prints one line
    and exits with status 130, SIGTERM likewise with status 143, whatever stage they stop.
    """
    from rich.console import Console

    console = Console(stderr=True)
    received: list[int] = []  # the stopping signal, when one came (recorded by `sigterm_as_interrupt`)

    def interrupted(message: str) -> None:
        console.print(f"[bold yellow]interrupted:[/] {message}", highlight=False, soft_wrap=True)
        sys.exit(128 + (received[0] if received else signal.SIGINT))

    def stdout_closed() -> None:
        console.print("[yellow]note:[/] standard output was closed; the command goes on without printing to it",
                      highlight=False)

    original_stdout, sys.stdout = sys.stdout, StdoutThatMayClose(sys.stdout, stdout_closed)
    try:
        with sigterm_as_interrupt(received):
            app()
    except Interrupted as error:
        interrupted(_one_line(error))
    except EvalkitError as error:
        console.print(f"[bold red]error:[/] {_one_line(error)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (KeyboardInterrupt, SystemExit) as error:
        if isinstance(error, SystemExit) and not (error.code == 130 and _stopped_by_user(error)):
            raise
        interrupted("finished work is saved; run the same command again to continue where it stopped")
    except OSError as error:
        if error.errno not in DISK_PROBLEMS:
            raise
        where = error.filename if error.filename is not None else "a file"
        console.print(f"[bold red]error:[/] {_one_line(disk_error(where, error, action='use'))}", highlight=False,
                      soft_wrap=True)
        sys.exit(2)
    finally:
        sys.stdout = original_stdout
