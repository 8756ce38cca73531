"""Ctrl-C while the command line's modules load ends with one line and status 130."""

from __future__ import annotations

import builtins
import sys

import pytest

from evalkit import entry


def test_ctrl_c_while_the_cli_loads_is_one_line_and_status_130(monkeypatch, capsys):
    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "evalkit.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "evalkit.cli", raising=False)
    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "interrupted while starting: nothing was done\n"


def test_the_console_script_runs_the_cli(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["evalkit", "version"])
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code in (0, None)
    assert capsys.readouterr().out.strip()
