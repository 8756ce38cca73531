"""JSON Lines input and output: the one interchange format of evalkit.

Reading reports bad lines with their file and line number; writing appends whole lines
and flushes them to disk, so a killed process leaves at most one partial last line,
which readers of append-only files skip with `tolerate_partial_tail=True`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from evalkit.errors import InputError


def iter_jsonl(path: str | Path, *, tolerate_partial_tail: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield `(line_number, record)` for each non-blank line of a JSONL file.

    A line that is not a JSON object raises `InputError` naming the file and line,
    except a final line without its newline when `tolerate_partial_tail` is set: that
    is the trace of a writer killed mid-line, and it is skipped.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    with path.open("rb") as handle:
        raw_lines = handle.read().split(b"\n")
    last = len(raw_lines)
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        is_unterminated_tail = number == last
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            if tolerate_partial_tail and is_unterminated_tail:
                return
            raise InputError(f"not valid JSON ({error})", path=path, line=number) from None
        if not isinstance(record, dict):
            raise InputError(f"expected a JSON object, got {type(record).__name__}", path=path, line=number)
        yield number, record


def read_json_object(path: str | Path) -> dict[str, Any]:
    """A JSON file holding one object (a metrics document, a step record, a config copy)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read ({error})", path=path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"not valid JSON ({error})", path=path) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object, got {type(data).__name__}", path=path)
    return data


def read_jsonl(path: str | Path, *, tolerate_partial_tail: bool = False) -> list[dict[str, Any]]:
    """All records of a JSONL file (see `iter_jsonl`)."""
    return [record for _, record in iter_jsonl(path, tolerate_partial_tail=tolerate_partial_tail)]


def count_lines(path: str | Path) -> int:
    """Complete (newline-terminated), non-blank lines of a file, without parsing them."""
    count = 0
    with Path(path).open("rb") as handle:
        for raw in handle:
            if raw.endswith(b"\n") and raw.strip():
                count += 1
    return count


def dumps_line(record: dict[str, Any]) -> str:
    """One record as one JSON line (no newline inside, non-ASCII kept readable)."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"


def _is_json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw.decode("utf-8")), dict)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False


class JsonlAppender:
    """Appends records to a JSONL file, each flushed and fsynced as soon as it is written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._drop_partial_tail()
        self._handle = self.path.open("a", encoding="utf-8")

    def _drop_partial_tail(self) -> None:
        """Mend the end of the file before appending: a last line cut short by a killed writer
        is removed; a complete record that only lacks its newline (e.g. written by hand or by
        another tool) is kept and given one, as readers already count it."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        data = self.path.read_bytes()
        if data.endswith(b"\n"):
            return
        keep = data.rfind(b"\n") + 1
        if _is_json_object(data[keep:]):
            with self.path.open("ab") as handle:
                handle.write(b"\n")
            return
        with self.path.open("r+b") as handle:
            handle.truncate(keep)

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(dumps_line(record))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> None:
    """Write a whole JSONL file atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(dumps_line(record))
    os.replace(tmp, path)
