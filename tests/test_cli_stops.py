"""Stopping a command (Ctrl-C, SIGTERM) in any stage gives one line saying how to resume; a process
forked inside a command still dies on SIGTERM as it would have (tests/test_faults.py runs a SIGTERM
end to end)."""

from __future__ import annotations

import os
import signal
import time

import pytest
import typer

from evalkit.errors import run_cli, sigterm_as_interrupt


def _app(work) -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.command()
    def grade() -> None:
        work()

    return app


def test_ctrl_c_outside_sampling_is_one_line_not_a_silent_exit(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["evalkit"])
    # Typer turns a KeyboardInterrupt into a silent exit 130; grading and reporting have no
    # message of their own, so Ctrl-C there said nothing at all.
    def work() -> None:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as stopped:
        run_cli(_app(work))
    assert stopped.value.code == 130
    err = capsys.readouterr().err
    assert err.startswith("interrupted: ") and "run the same command again" in err and err.count("\n") == 1


def test_sigterm_stops_like_ctrl_c_with_its_own_exit_status(capsys, monkeypatch):
    # What a batch scheduler sends at its time limit or on `scancel`.
    monkeypatch.setattr("sys.argv", ["evalkit"])

    def unhandled(_signum, _frame) -> None:
        raise AssertionError("run_cli left SIGTERM to the caller's handler (by default: killed, no message)")

    def work() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        raise AssertionError("SIGTERM did not stop the command")

    before = signal.signal(signal.SIGTERM, unhandled)
    try:
        with pytest.raises(SystemExit) as stopped:
            run_cli(_app(work))
        assert signal.getsignal(signal.SIGTERM) is unhandled  # the caller's handler is back
    finally:
        signal.signal(signal.SIGTERM, before)
    assert stopped.value.code == 143
    err = capsys.readouterr().err
    assert err.startswith("interrupted: ") and "run the same command again" in err and err.count("\n") == 1


def test_sigterm_raises_keyboard_interrupt_once_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_as_interrupt() as received:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        os.kill(os.getpid(), signal.SIGTERM)  # during the cleanup: recorded, not raised
        time.sleep(0.05)
    assert received == [signal.SIGTERM, signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_still_dies_on_sigterm() -> None:
    with sigterm_as_interrupt():
        child = os.fork()
        if child == 0:  # the child: without the owner check it would raise KeyboardInterrupt and live on
            try:
                time.sleep(20)
            except KeyboardInterrupt:
                time.sleep(20)
            os._exit(0)
        time.sleep(0.3)
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM


def test_a_closed_standard_output_does_not_stop_the_work(tmp_path):
    """`evalkit ... | head -1`: the reader goes away after one line. The command said nothing and
    stopped with status 1 (a run cut off after sampling); it now goes on to the end of its work, and
    one line on stderr says that standard output was closed."""
    import subprocess
    import sys
    from pathlib import Path

    done = tmp_path / "done"
    script = ("import sys, time\n"
              "from pathlib import Path\n"
              "import typer\n"
              "from evalkit.errors import run_cli\n"
              "app = typer.Typer(add_completion=False)\n"
              "@app.command()\n"
              "def work() -> None:\n"
              "    for i in range(200):\n"
              "        print('line', i, flush=True)\n"
              "        time.sleep(0.005)\n"
              f"    Path({str(done)!r}).write_text('finished')\n"
              "run_cli(app)\n")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert process.stdout.readline().startswith(b"line 0")
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert done.read_text() == "finished"
    assert b"standard output was closed" in err and b"Traceback" not in err and b"BrokenPipe" not in err
