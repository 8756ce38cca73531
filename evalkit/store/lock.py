"""One process at a time in a run directory: an exclusive lock that names its holder.

The lock is an `flock` on `.evalkit.lock` inside the directory. The kernel releases it when its
process ends, however it ends (kill -9 included), so a lock is never stale on a local disk.
The file holds who took it (pid, host, command, time), so a second command can say which
process is in its way. The file is removed on release; a process that opened it just before
that notices (the path no longer names the file it locked) and starts over.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError, disk_error

LOCK_FILE = ".evalkit.lock"
# What flock fails with on file systems that do not support it.
_NO_LOCKS = frozenset({errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL})


def _warn(message: str) -> None:
    from rich.console import Console

    from evalkit.text_safety import for_terminal

    Console(stderr=True).print(f"[yellow]{for_terminal(message)}[/]", highlight=False)


class RunDirBusy(EvalkitError):
    """Another process holds the run directory."""


def _holder_text() -> str:
    return json.dumps({
        "pid": os.getpid(), "host": socket.gethostname(),
        "command": " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]])[:300] if sys.argv else "",
        "since": time.strftime("%Y-%m-%d %H:%M:%S"),
    }, ensure_ascii=True)


def _describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process"
    command = holder.get("command") or "a process"
    return (f"`{command}` (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
            f"since {holder.get('since', '?')})")


class RunLock:
    """An exclusive, non-blocking lock on a directory (see the module docstring).

    `acquire` creates the directory (and its missing parents) when needed and remembers which it
    made, so that a command whose work fails before anything was written leaves no trace:
    `release` removes them again while they are empty (`created_dir` says whether it made any).
    """

    def __init__(self, directory: str | Path, purpose: str = "") -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.purpose = purpose
        self._created: list[Path] = []  # the directories acquire made, deepest first
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    @property
    def created_dir(self) -> bool:
        """Whether `acquire` made the directory (and maybe parents above it)."""
        return bool(self._created)

    def acquire(self) -> RunLock:
        if self._fd is not None:
            return self
        try:
            if not self.directory.exists():
                missing = [folder for folder in (self.directory, *self.directory.parents) if not folder.exists()]
                self.directory.mkdir(parents=True)
                self._created = missing
        except FileExistsError:
            pass  # made by a concurrent process in the meantime; the lock decides below
        except OSError as error:
            raise disk_error(self.directory, error) from None
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise disk_error(self.path, error) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._read_holder(fd)
                os.close(fd)
                what = f" for {self.purpose}" if self.purpose else ""
                raise RunDirBusy(f"{self.directory} is in use by {_describe(holder)}; wait for it to finish or "
                                 f"stop it, then run this command{what} again") from None
            except OSError as error:
                if error.errno not in _NO_LOCKS:
                    os.close(fd)
                    raise EvalkitError(f"cannot lock {self.path}: {error.strerror or error}") from None
                # A file system without locks (e.g. Lustre mounted without `flock`): go on, but say
                # that nothing stops a second command here.
                _warn(f"warning: {self.directory} is on a file system without file locks; make sure no other "
                      "command works in it at the same time")
            try:
                same_file = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same_file = False
            if not same_file:  # released and removed by its holder after we opened it
                os.close(fd)
                continue
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, _holder_text().encode("ascii"), 0)
            except OSError:
                pass  # the holder note is a courtesy; the lock itself is held
            self._fd = fd
            return self

    @staticmethod
    def _read_holder(fd: int) -> dict[str, Any]:
        try:
            data = json.loads(os.pread(fd, 4096, 0).decode("ascii", errors="replace") or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        """Remove the lock file and release the lock; remove the directory too when this lock
        created it and nothing else was written into it."""
        if self._fd is None:
            return
        try:
            self.path.unlink()
        except OSError:
            pass  # read-only or already gone: the flock below is what others wait on
        fd, self._fd = self._fd, None
        os.close(fd)
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                break  # not empty: the work written there (and the folders above it) stays

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
