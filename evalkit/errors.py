"""User-facing errors: each carries a message that names the problem (file, line, field).

The CLI prints these as one red line and exits with status 2; anything else is a bug.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


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


def run_cli(app: Callable[[], object]) -> None:
    """Run a command-line app; a user error prints one red line and exits with status 2."""
    try:
        app()
    except EvalkitError as error:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        sys.exit(2)
