"""SIGTERM during a command: the command stops as on Ctrl-C (tests/test_faults.py runs it end to end);
a process forked inside it still dies on SIGTERM as it would have."""

from __future__ import annotations

import os
import signal
import time

import pytest

from evalkit.errors import sigterm_as_interrupt


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
