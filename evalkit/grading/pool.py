"""Worker processes with a hard time limit per item: nothing a model writes can hang a run.

All SymPy and latex2sympy work runs here. An item that runs past its time limit gets its worker
killed (SIGKILL) and replaced; the item is marked `timeout` and the batch goes on. A worker that
dies (segfault, `os._exit`, the kernel's OOM killer) marks its item `error`, likewise.

How it works:
- Persistent workers take items in chunks (one pipe message per chunk, for throughput) and report
  each item as it finishes. The parent knows which item of a chunk is running and since when
  (the time it received the previous report), so the limit is per item, not per chunk. When a
  worker is killed, the rest of its chunk goes back to the queue.
- SIGALRM is not used: it only works in the main thread, and cannot stop C code that never returns
  to the interpreter. Killing the process always works.
- Start method: `forkserver`, with the grading modules (sympy, latex2sympy2_extended, evalkit's
  grading modules) preloaded in the fork server. Plain `fork` is faster still, but forking a
  parent that runs threads (torch, OpenMP, a progress bar, a web server) can deadlock the child
  on a lock some thread held; `spawn` is safe but re-imports SymPy in every new worker (about
  0.6 s here), which is paid again after every timeout. A fork server is a clean single-threaded
  process started once, from which each worker forks in milliseconds with SymPy already imported.
  The server is per parent process and starts on first use (about one second).
- Each worker caps its address space (`RLIMIT_AS`, 4 GiB by default) so a runaway SymPy
  computation fails with MemoryError, which is reported as `error`, instead of taking the machine
  down.
- `workers=0` runs every item in the calling process, without time limits or memory caps:
  for debugging with breakpoints and readable tracebacks only.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from evalkit.errors import EvalkitError
from evalkit.progress import make_progress

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MEMORY_LIMIT_BYTES = 4 << 30
"""Address-space cap of each worker process (RLIMIT_AS)."""

WORKER_START_TIMEOUT_S = 60.0
"""How long a worker may take to start (initializer included) before it counts as stuck."""

MAX_ERROR_CHARS = 300
"""Error messages in results are cut to this length."""

FORKSERVER_PRELOAD = (
    "evalkit.grading.pool",
    "sympy",
    "latex2sympy2_extended",
    "evalkit.grading.extract",
    "evalkit.grading.values",
    "evalkit.grading.compare",
    "evalkit.grading.keys",
    "evalkit.grading.jobs",
)
"""Modules imported once in the fork server, so that every worker starts with them loaded.
A module that cannot be imported is skipped by the fork server."""

_KILL_WAIT_S = 5.0

_WARM_UP_LATEX = (
    r"\frac{x^{2}+1}{2}", r"x \cdot x", r"2x+3y-z", r"\sqrt{2}", r"3.5", r"\pi", r"-\infty",
    r"\left( 3, \frac{\pi}{2} \right)", r"[0, 1)", r"\{1, 2\}", r"x = 3", r"a_{1}",
    r"\sin x + \cos(2\theta)", r"10^{3}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"5!", r"\log_2 8",
)
"""Parsed once in the fork server. latex2sympy's ANTLR parser fills its prediction caches on
first use of each grammar path (about 0.5 s per fresh process for common answers); filling them
there means every worker forked from the server starts with them filled."""


def _imported_by_fork_server() -> bool:
    """True while this module is being imported by `multiprocessing.forkserver.main` (preload)."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and code.co_filename.endswith(os.path.join("multiprocessing", "forkserver.py")):
            return True
        frame = frame.f_back
    return False


def _warm_up_latex_parser() -> None:
    """Fill latex2sympy's parser caches (see `_WARM_UP_LATEX`); a missing package is no error."""
    try:
        from latex2sympy2_extended.latex2sympy2 import latex2sympy
    except ImportError:
        return
    for text in _WARM_UP_LATEX:
        try:
            latex2sympy(text)
        except Exception:  # noqa: BLE001 - warming up is an optimisation only
            continue


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one item: `ok` with fn's return value, `timeout`, or `error` with a message."""

    status: str
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _error_text(error: BaseException) -> str:
    """`ExceptionType: message`, cut to `MAX_ERROR_CHARS`."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 3] + "..."


def _run_item(fn: Callable[[Any], Any], item: Any) -> TaskResult:
    """Call fn on one item and catch whatever it raises (MemoryError and RecursionError included)."""
    try:
        return TaskResult("ok", fn(item))
    except Exception as error:  # noqa: BLE001 - every failure of fn is the item's result
        return TaskResult("error", error=_error_text(error))


def _mp_context() -> multiprocessing.context.BaseContext:
    """The forkserver context with the grading modules preloaded (see the module docstring).

    The preload list is read when the fork server starts, i.e. at the first worker started by
    this process; setting it again later changes nothing.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(FORKSERVER_PRELOAD))
    return context


@contextmanager
def _ctrl_c_held_back() -> Iterator[None]:
    """SIGINT blocked in this thread while a process starts (the fork server at the first worker): the
    child inherits the block and never prints a KeyboardInterrupt traceback of its own when Ctrl-C reaches
    the process group, and a SIGINT that arrives meanwhile is delivered here once the block is lifted."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def _main_module_hidden(always: bool) -> Iterator[None]:
    """Keep a worker from running the user's main script again while it starts.

    multiprocessing's forkserver and spawn methods re-import the parent's main script in every
    worker, so that functions defined there can be unpickled. Workers whose functions all live in
    importable modules need no such thing (`always=True`: evalkit's own grading); and a main
    module that cannot be run again (`python - < script`, path `<stdin>`) is always hidden.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    if not always and os.path.exists(path):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _cap_memory(limit_bytes: int | None) -> None:
    """Lower this process's address-space limit to `limit_bytes` (never raise it)."""
    if limit_bytes is None:
        return
    try:
        import resource
    except ImportError:  # not on POSIX: no cap available
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = limit_bytes if hard == resource.RLIM_INFINITY else min(limit_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    """Send one message; a value that cannot be pickled becomes an `error` result."""
    try:
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # noqa: BLE001 - fn returned something that cannot travel
        kind, index = message[0], message[1]
        payload = pickle.dumps((kind, index, TaskResult("error", error=_error_text(error))))
    conn.send_bytes(payload)


def _worker_main(conn: Connection, initializer: Callable[[], None] | None, memory_limit: int | None) -> None:
    """Worker loop: take a chunk `(fn, [(index, item), ...])`, report `("started",)` and then
    `("done", index, TaskResult)` per item; stop at `None` or when the parent goes away."""
    # Ctrl-C reaches the whole process group: the parent stops the run and closes its workers, which
    # must not print a KeyboardInterrupt traceback of their own over its one line
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _cap_memory(memory_limit)
        if initializer is not None:
            initializer()
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises it
        conn.send(("init_failed", _error_text(error)))
        return
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            message = pickle.loads(raw)
        except Exception as error:  # noqa: BLE001 - e.g. fn's module cannot be imported here
            conn.send(("chunk_failed", _error_text(error)))
            continue
        if message is None:
            return
        fn, chunk = message
        conn.send(("started",))
        for index, item in chunk:
            _send(conn, ("done", index, _run_item(fn, item)))


@dataclass
class _Worker:
    """The parent's view of one worker process and the chunk it is working on."""

    process: multiprocessing.process.BaseProcess
    conn: Connection
    pending: deque[tuple[int, Any]] = field(default_factory=deque)
    started: bool = False
    since: float = 0.0
    served: bool = False  # has taken at least one chunk: the process did start up

    @property
    def busy(self) -> bool:
        return bool(self.pending)


def _stop_process(process: multiprocessing.process.BaseProcess) -> None:
    """Kill a worker process and reap it."""
    if process.is_alive():
        process.kill()
    process.join(_KILL_WAIT_S)


@contextmanager
def _progress(enabled: bool, description: str, total: int) -> Iterator[Callable[[], None]]:
    """Yield an `advance()` callback, backed by a rich progress bar when `enabled`."""
    if not enabled:
        yield lambda: None
        return
    with make_progress() as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


class WorkerPool:
    """A pool of worker processes with a hard time limit per item. Reusable for many `map` calls.

    Use as a context manager (or call `close`): closing kills any worker still running.
    `workers=None` uses `os.cpu_count()` workers; `workers=0` runs items in the calling process
    with no time limit and no memory cap (for debugging). `memory_limit_bytes=None` lifts the cap.
    `import_main=False` starts workers without re-running the caller's main script (see
    `_main_module_hidden`): right when every `fn` lives in an importable module.
    One `map` runs at a time per pool; calls from several threads take turns.
    """

    def __init__(self, workers: int | None = None, *, timeout: float = 5.0,
                 initializer: Callable[[], None] | None = None,
                 memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES, import_main: bool = True) -> None:
        if workers is not None and workers < 0:
            raise ValueError(f"workers must be >= 0 or None, got {workers}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.timeout = float(timeout)
        self.initializer = initializer
        self.memory_limit_bytes = memory_limit_bytes
        self.import_main = import_main
        self._context = _mp_context() if self.workers > 0 else None
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop all workers: ask idle ones to exit, kill what is left."""
        with self._lock:
            self._closed = True
            workers, self._idle = self._idle, []
            for worker in workers:
                try:
                    worker.conn.send_bytes(pickle.dumps(None))
                except OSError:
                    pass
            for worker in workers:
                worker.process.join(0.5)
                _stop_process(worker.process)
                worker.conn.close()

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, progress: bool = False,
            description: str = "grading") -> list[TaskResult]:
        """Apply `fn` (a picklable top-level function) to every item; results in input order."""
        if self._closed:
            raise RuntimeError("this WorkerPool is closed")
        items = list(items)
        with self._lock, _progress(progress, description, len(items)) as advance:
            if self.workers == 0:
                return self._map_in_process(fn, items, advance)
            return self._map_in_workers(fn, items, advance)

    def _map_in_process(self, fn: Callable[[Any], Any], items: list[Any],
                        advance: Callable[[], None]) -> list[TaskResult]:
        results = []
        for item in items:
            results.append(_run_item(fn, item))
            advance()
        return results

    def _chunk_size(self, count: int) -> int:
        """Chunks small enough to balance the load (about 4 per worker), at most 64 items."""
        return max(1, min(64, count // (self.workers * 4)))

    def _start_worker(self) -> _Worker:
        assert self._context is not None
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main, args=(child_conn, self.initializer, self.memory_limit_bytes),
            name="evalkit-grading-worker", daemon=True)
        with _main_module_hidden(always=not self.import_main), _ctrl_c_held_back():
            process.start()
        child_conn.close()
        return _Worker(process=process, conn=parent_conn)

    def _map_in_workers(self, fn: Callable[[Any], Any], items: list[Any],
                        advance: Callable[[], None]) -> list[TaskResult]:
        try:
            pickle.dumps(fn)
        except Exception as error:  # noqa: BLE001 - lambdas, closures, bound methods of local classes
            raise TypeError(f"fn must be a picklable top-level function: {_error_text(error)}") from None
        results: list[TaskResult | None] = [None] * len(items)
        queue: deque[list[tuple[int, Any]]] = deque()
        size = self._chunk_size(len(items))
        indexed = list(enumerate(items))
        for start in range(0, len(indexed), size):
            queue.append(indexed[start:start + size])
        active: list[_Worker] = []
        remaining = len(items)

        def finish(index: int, result: TaskResult) -> None:
            nonlocal remaining
            if results[index] is None:
                results[index] = result
                remaining -= 1
                advance()

        def replace(worker: _Worker, status: str, error: str | None) -> None:
            """Kill a worker, give its current item `status` and requeue the rest of its chunk."""
            _stop_process(worker.process)
            worker.conn.close()
            active.remove(worker)
            if worker.pending:
                index, _ = worker.pending.popleft()
                finish(index, TaskResult(status, error=error))
            if worker.pending:
                queue.appendleft(list(worker.pending))

        try:
            while remaining:
                while queue and (self._idle or len(active) < self.workers):
                    worker = self._idle.pop() if self._idle else self._start_worker()
                    chunk = queue.popleft()
                    worker.pending = deque(chunk)
                    worker.started = False
                    worker.since = time.monotonic()
                    try:
                        worker.conn.send_bytes(pickle.dumps((fn, chunk), protocol=pickle.HIGHEST_PROTOCOL))
                    except OSError as error:  # the worker died before taking its chunk
                        _stop_process(worker.process)
                        worker.conn.close()
                        finish(chunk[0][0], TaskResult("error", error=f"worker unreachable: {_error_text(error)}"))
                        if chunk[1:]:
                            queue.appendleft(chunk[1:])
                        continue
                    active.append(worker)
                if not remaining:
                    break
                now = time.monotonic()
                deadlines = [w.since + (self.timeout if w.started else WORKER_START_TIMEOUT_S) for w in active]
                wait_s = max(0.0, min(deadlines) - now) if deadlines else 0.1
                handles: list[Any] = [w.conn for w in active] + [w.process.sentinel for w in active]
                ready = set(multiprocessing.connection.wait(handles, timeout=wait_s))
                for worker in list(active):
                    if worker.conn in ready or worker.process.sentinel in ready:
                        self._drain(worker, finish, replace)
                now = time.monotonic()
                for worker in list(active):
                    if worker not in active or not worker.busy:
                        continue
                    if worker.started and now - worker.since > self.timeout:
                        replace(worker, "timeout", None)
                    elif not worker.started and now - worker.since > WORKER_START_TIMEOUT_S:
                        replace(worker, "error", f"worker did not start within {WORKER_START_TIMEOUT_S:.0f} s")
                for worker in list(active):
                    if not worker.busy:
                        active.remove(worker)
                        self._idle.append(worker)
        finally:
            for worker in active:
                _stop_process(worker.process)
                worker.conn.close()
        return [result if result is not None else TaskResult("error", error="lost") for result in results]

    def _drain(self, worker: _Worker, finish: Callable[[int, TaskResult], None],
               replace: Callable[[_Worker, str, str | None], None]) -> None:
        """Read every message a worker has sent; handle its death if it died."""
        try:
            while worker.conn.poll():
                message = pickle.loads(worker.conn.recv_bytes())
                kind = message[0]
                if kind == "started":
                    worker.started = True
                    worker.served = True
                    worker.since = time.monotonic()
                elif kind == "done":
                    _, index, result = message
                    if worker.pending and worker.pending[0][0] == index:
                        worker.pending.popleft()
                    finish(index, result)
                    worker.since = time.monotonic()
                elif kind == "chunk_failed":
                    for index, _ in worker.pending:
                        finish(index, TaskResult("error", error=message[1]))
                    worker.pending.clear()
                elif kind == "init_failed":
                    replace(worker, "error", message[1])
                    raise RuntimeError(f"worker initializer failed: {message[1]}")
        except (EOFError, OSError):
            pass
        if worker.conn.closed or worker.process.is_alive():
            return
        worker.process.join(_KILL_WAIT_S)
        exit_code = worker.process.exitcode
        replace(worker, "error", f"worker process died (exit code {exit_code})")
        if not worker.served:
            raise EvalkitError(
                f"grading worker processes could not start (exit code {exit_code}). Worker processes "
                "import your main script again, as multiprocessing does: put the code that grades under "
                "`if __name__ == \"__main__\":`, or pass workers=0 to grade in this process without time limits."
            )


def call_with_timeout(fn: Callable[[T], R], item: T, *, timeout: float,
                      memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES,
                      import_main: bool = True) -> TaskResult:
    """Run `fn(item)` in a fresh short-lived worker process; kill it after `timeout` seconds.

    The clock starts when the worker has received the item (the worker itself starts in a few
    milliseconds once the fork server runs; the first call in a process also starts the fork
    server, about a second). For many items use a `WorkerPool`, which reuses its workers.
    """
    with WorkerPool(1, timeout=timeout, memory_limit_bytes=memory_limit_bytes, import_main=import_main) as pool:
        return pool.map(fn, [item])[0]


if _imported_by_fork_server():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the fork server too (module notes of `_worker_main`)
    _warm_up_latex_parser()
