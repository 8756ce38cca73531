"""Checks on the paths a command writes to, before it writes anything."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from evalkit.errors import InputError


def _same_or_inside(candidate: Path, container: Path) -> bool:
    try:
        return candidate == container or candidate.is_relative_to(container)
    except ValueError:
        return False


def refuse_output_over_inputs(out: str | Path, inputs: Iterable[str | Path], *, option: str = "--out") -> None:
    """Refuse an output path that is one of the inputs, or a directory that holds one of them:
    writing there would overwrite what is being read."""
    out_path = Path(os.path.realpath(out))
    for item in inputs:
        source = Path(os.path.realpath(item))
        if _same_or_inside(source, out_path):
            relation = "is" if source == out_path else "holds"
            kind = "directory" if Path(item).is_dir() else "file"
            raise InputError(f"{option} {relation} the input {kind} {item}; writing there would overwrite it. "
                             f"Choose another {option}.", path=out)


def file_in_the_way(directory: str | Path) -> str | None:
    """Why `directory` cannot be made, when a file stands where it or one of its parents would be
    (`is a file`, `is inside the file X`); None when it is, or can become, a directory."""
    directory = Path(directory)
    existing = next((path for path in (directory, *directory.parents) if path.exists()), None)
    if existing is None or existing.is_dir():
        return None
    return "is a file" if existing == directory else f"is inside the file {existing}"
