"""JSON Lines input and output: the one interchange format of evalkit.

Reading streams line by line (a file of any size is read in constant memory) and reports bad
lines with their file and line number. Writing appends whole lines and flushes each one, so a
killed process leaves at most one partial last line, which readers of append-only files skip
with `tolerate_partial_tail=True` and the next appender cuts off.

Text round-trips exactly, lone surrogates included: JSON allows `"\\ud83d"` (half an emoji, as
models sometimes write), Python reads it as a lone surrogate, and UTF-8 cannot encode that; such
characters are written back as the same `\\uXXXX` escapes, everything else as readable UTF-8.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError, InputError, disk_error

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"
_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-32's byte-order marks start with these too
UTF16_MESSAGE = ("a UTF-16 or UTF-32 file (it starts with that byte-order mark): JSON Lines are UTF-8; convert it "
                 "(e.g. `iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.jsonl`)")
# Leading fields are looked for in this many bytes of a line before the whole line is decoded.
_PREFIX_BYTES = 4096


def is_finite_number(value: Any) -> bool:
    """Whether a JSON value is a finite number (booleans, NaN and infinities are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """`(line_number, raw bytes without the newline, is_terminated)` for every line of a file."""
    if not path.exists():
        raise InputError("file not found", path=path)
    mode = path.stat().st_mode
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):  # `/dev/zero` has no line end: reading it would fill the memory
        raise InputError("a device, not a file of JSON lines", path=path)
    if stat.S_ISDIR(mode):
        raise InputError("a directory, not a file of JSON lines", path=path)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"cannot read ({error.strerror or error})", path=path) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]  # a byte-order mark, as some Windows tools write: not part of the JSON
            elif number == 1 and raw.startswith(UTF16_BOMS):
                raise InputError(UTF16_MESSAGE, path=path)
            if raw.endswith(b"\n"):
                yield number, raw[:-1], True
            else:
                yield number, raw, False


JSON_ARRAY_MESSAGE = ("a JSON array, not JSON Lines: write one object per line (`jq -c '.[]' FILE > FILE.jsonl` "
                      "converts it)")


def json_error_text(error: ValueError) -> str:
    """What is wrong with a line that does not decode, placed by its character in the line (the decoder's own
    `line 2 column 1` counts line breaks inside the text, which a reader takes for the file's lines)."""
    if isinstance(error, json.JSONDecodeError):
        joint = " " if error.msg.endswith(" at") else " at "  # "Unterminated string starting at"
        return f"not valid JSON ({error.msg}{joint}character {error.pos + 1})"
    return f"not valid JSON ({error})"


def _decode_object(raw: bytes, path: Path, number: int) -> dict[str, Any]:
    try:
        record = json.loads(raw.decode("utf-8"))
    except ValueError as error:  # also the digit limit of a JSON integer (over 4300 digits)
        if number == 1 and re.match(rb"\[\s*(?:\{|\Z)", raw.lstrip(b"\xef\xbb\xbf \t\r")):
            raise InputError(JSON_ARRAY_MESSAGE, path=path) from None
        raise InputError(json_error_text(error), path=path, line=number) from None
    except RecursionError:
        raise InputError("not valid JSON (nested too deeply)", path=path, line=number) from None
    if number == 1 and isinstance(record, list) and record and all(isinstance(item, dict) for item in record):
        raise InputError(JSON_ARRAY_MESSAGE, path=path)
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {type(record).__name__}", path=path, line=number)
    return record


def iter_jsonl(path: str | Path, *, tolerate_partial_tail: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield `(line_number, record)` for each non-blank line of a JSONL file, streaming.

    A line that is not a JSON object raises `InputError` naming the file and line, except a
    final line without its newline when `tolerate_partial_tail` is set: that is the trace of a
    writer killed mid-line, and it is skipped.
    """
    path = Path(path)
    for number, raw, terminated in _raw_lines(path):
        if not raw.strip():
            continue
        if not terminated and tolerate_partial_tail:
            try:
                record = _decode_object(raw, path, number)
            except InputError:
                return
            yield number, record
            return
        yield number, _decode_object(raw, path, number)


def _leading_fields(text: str, names: Sequence[str]) -> dict[str, Any] | None:
    """The values of `names` when they are the first keys of the JSON object in `text`, in that
    order (as evalkit writes them); None when the text is laid out otherwise or is cut short."""
    position = 0
    length = len(text)
    found: dict[str, Any] = {}
    try:
        while position < length and text[position] in _WHITESPACE:
            position += 1
        if text[position] != "{":
            return None
        position += 1
        for name in names:
            while text[position] in _WHITESPACE:
                position += 1
            if text[position] != '"':
                return None
            key, position = json.decoder.scanstring(text, position + 1)
            if key != name:
                return None
            while text[position] in _WHITESPACE:
                position += 1
            if text[position] != ":":
                return None
            position += 1
            while text[position] in _WHITESPACE:
                position += 1
            found[name], position = _DECODER.raw_decode(text, position)
            while text[position] in _WHITESPACE:
                position += 1
            if text[position] not in ",}":
                return None
            position += 1
    except (IndexError, ValueError):
        return None
    return found


def iter_keys(path: str | Path, names: Sequence[str], *, tolerate_partial_tail: bool = False
              ) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Yield `(line_number, values of names)` per record without parsing whole records.

    evalkit writes the key fields first (`{"problem_id": ..., "scorer": ..., ...}`), so only the
    start of each line is read; a line laid out otherwise is parsed in full. A missing field
    gives None. The last line when unterminated is checked in full, as in `iter_jsonl`.
    """
    path = Path(path)
    for number, raw, terminated in _raw_lines(path):
        if not raw.strip():
            continue
        if not terminated:
            try:
                record = _decode_object(raw, path, number)
            except InputError:
                if tolerate_partial_tail:
                    return
                raise
            yield number, tuple(record.get(name) for name in names)
            return
        yield number, record_keys(raw, names, path=path, line=number)


def leading_value(raw: bytes, name: str) -> Any:
    """The value of `name` when it is the first key of the JSON line `raw` (as evalkit writes its key
    field), read even when the rest of the line is damaged; None when it cannot be read."""
    fields = _leading_fields(raw[:_PREFIX_BYTES].decode("utf-8", errors="ignore"), (name,))
    return None if fields is None else fields[name]


def record_keys(raw: bytes, names: Sequence[str], *, path: Path, line: int) -> tuple[Any, ...]:
    """The values of `names` in one raw JSONL line: from its start when the line begins with
    them (as evalkit writes), else from the whole record (None for a missing field)."""
    fields = _leading_fields(raw[:_PREFIX_BYTES].decode("utf-8", errors="ignore"), names)
    if fields is None:
        record = _decode_object(raw, path, line)
        return tuple(record.get(name) for name in names)
    return tuple(fields[name] for name in names)


def reorder_jsonl(path: str | Path, key: str, order: Sequence[Any]) -> bool:
    """Rewrite a JSONL file so that its records follow `order` (the values of their field `key`,
    which must cover every record); True when the file was rewritten, False when it was already
    in order. One pass notes each line's offset and length, a second copies the lines in order
    into a temporary file that then replaces the original (`write_lines_atomic`); memory holds
    offsets, not records. A cut-short last line is dropped."""
    path = Path(path)
    if not path.exists():
        return False
    rank = {value: index for index, value in enumerate(order)}
    spans: list[tuple[int, int, int]] = []  # (rank, offset, length)
    offset = 0
    number = 0
    with path.open("rb") as handle:
        for raw in handle:
            number += 1
            if not raw.endswith(b"\n"):
                break
            if raw.strip():
                (value,) = record_keys(raw, (key,), path=path, line=number)
                if value not in rank:
                    raise InputError(f"{value!r} is not among the expected records", path=path, line=number,
                                     field=key)
                spans.append((rank[value], offset, len(raw)))
            offset += len(raw)
    in_order = all(spans[i][0] < spans[i + 1][0] for i in range(len(spans) - 1))
    if in_order and offset == path.stat().st_size:
        return False
    spans.sort()

    def lines() -> Iterator[str]:
        with path.open("rb") as source:
            for _, start, length in spans:
                source.seek(start)
                yield source.read(length).decode("utf-8")

    write_lines_atomic(path, lines())
    return True


def drop_records(path: str | Path, key: str, values: Iterable[Any]) -> int:
    """Rewrite a JSONL file without the records whose field `key` is one of `values` (atomically,
    streaming, only when one is there); returns how many were dropped. A cut-short last line is
    dropped too, as `reorder_jsonl` does."""
    path = Path(path)
    unwanted = set(values)
    if not path.exists() or not unwanted:
        return 0
    dropped = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.endswith(b"\n") and raw.strip() and record_keys(raw, (key,), path=path, line=number)[0] in unwanted:
                dropped += 1
    if not dropped:
        return 0

    def kept() -> Iterator[str]:
        with path.open("rb") as source:
            for number, raw in enumerate(source, start=1):
                if raw.endswith(b"\n") and (not raw.strip()
                                             or record_keys(raw, (key,), path=path, line=number)[0] not in unwanted):
                    yield raw.decode("utf-8")

    write_lines_atomic(path, kept())
    return dropped


def read_json_object(path: str | Path) -> dict[str, Any]:
    """A JSON file holding one object (a metrics document, a step record, a config copy)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read ({error})", path=path) from None
    except ValueError as error:  # also the digit limit of a JSON integer (over 4300 digits)
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


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps_line(record: dict[str, Any]) -> str:
    """One record as one JSON line (no newline inside, non-ASCII kept readable, lone surrogates
    escaped so that the line is valid UTF-8 and reads back as the same text)."""
    text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    if _LONE_SURROGATE.search(text):  # only inside strings: JSON syntax itself is ASCII
        text = _LONE_SURROGATE.sub(_escape_surrogate, text)
    return text + "\n"


def _is_json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw.decode("utf-8")), dict)
    except ValueError:
        return False


def _unterminated_tail(path: Path) -> tuple[int, bytes]:
    """`(offset, bytes)` of the file's last line when it lacks its newline (else `(size, b"")`),
    read backwards from the end so that a large file is not read whole."""
    size = path.stat().st_size
    if size == 0:
        return 0, b""
    block = 1 << 16
    with path.open("rb") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return size, b""
        end = size
        tail = b""
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            tail = handle.read(end - start) + tail
            cut = tail.rfind(b"\n", 0, len(tail) - (size - end))
            if cut != -1:
                return start + cut + 1, tail[cut + 1:]
            end = start
        return 0, tail


def cut_short_tail(path: str | Path) -> bytes | None:
    """The last line of a JSONL file when a killed writer cut it short (no newline and not a JSON
    object): what the next `JsonlAppender` removes and readers with `tolerate_partial_tail` skip.
    None when the file is missing or ends in a whole line."""
    path = Path(path)
    if not path.is_file():
        return None
    _, tail = _unterminated_tail(path)
    return tail if tail.strip() and not _is_json_object(tail) else None


class JsonlAppender:
    """Appends records to a JSONL file; each line is flushed to the operating system at once.

    A flushed line survives the process being killed. `fsync_interval_s` bounds what a power
    cut can lose: a helper thread fsyncs the file that often while lines keep coming, so the
    writer (an engine's step loop) never waits for the disk; closing fsyncs what is left.
    `fsync_interval_s=0` fsyncs every line in the writer instead. An fsync that fails in the
    helper thread is raised by the next `write` or by `close`. A write takes no lock that the
    helper thread needs (it sets a plain flag): Ctrl-C or SIGTERM can land anywhere in a write,
    and a lock left taken there would keep `close` waiting for the helper forever.
    """

    def __init__(self, path: str | Path, *, fsync_interval_s: float = 1.0) -> None:
        self.path = Path(path)
        self.fsync_interval_s = fsync_interval_s
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._mend_tail()
            self._handle = self.path.open("a", encoding="utf-8", errors="backslashreplace")
        except OSError as error:
            raise disk_error(self.path, error) from None
        self._dirty = False  # lines written since the last fsync; a plain flag, see the class docstring
        self._closing = threading.Event()
        self._sync_error: OSError | None = None
        self._syncer: threading.Thread | None = None
        if fsync_interval_s > 0:
            self._syncer = threading.Thread(target=self._sync_loop, name="evalkit-fsync", daemon=True)
            self._syncer.start()

    def _mend_tail(self) -> None:
        """Mend the end of the file before appending: a last line cut short by a killed writer
        is removed; a complete record that only lacks its newline (e.g. written by hand or by
        another tool) is kept and given one, as readers already count it."""
        if not self.path.exists():
            return
        offset, tail = _unterminated_tail(self.path)
        if not tail:
            return
        if _is_json_object(tail):
            with self.path.open("ab") as handle:
                handle.write(b"\n")
            return
        with self.path.open("r+b") as handle:
            handle.truncate(offset)

    def _sync_loop(self) -> None:
        descriptor = self._handle.fileno()
        while not self._closing.wait(self.fsync_interval_s):
            if self._dirty:
                self._dirty = False
                try:
                    os.fsync(descriptor)
                except OSError as error:
                    self._sync_error = error
                    return

    def _raise_sync_error(self) -> None:
        if self._sync_error is not None:
            error, self._sync_error = self._sync_error, None
            raise disk_error(self.path, error)

    def write(self, record: dict[str, Any]) -> None:
        self.write_line(dumps_line(record))

    def write_line(self, line: str) -> None:
        """Append one already serialised line (ending in a newline)."""
        self._raise_sync_error()
        try:
            self._handle.write(line)
            self._handle.flush()
            if self._syncer is None:
                os.fsync(self._handle.fileno())
            else:
                self._dirty = True
        except OSError as error:
            raise disk_error(self.path, error) from None

    def close(self) -> None:
        if self._handle.closed:
            return
        self._closing.set()
        if self._syncer is not None:
            self._syncer.join()
        try:
            self._raise_sync_error()
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as error:
            raise disk_error(self.path, error) from None
        finally:
            try:
                self._handle.close()
            except OSError:
                pass  # the error that matters was raised above

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def temporary_path(path: Path) -> Path:
    """The name under which `path` is written before it is renamed into place."""
    return path.with_name(f".{path.name}.tmp")


class StagedFile:
    """A text file written under its temporary name and renamed into place only on `commit`.

    Lines go to `temporary_path(path)` as they come; `commit` fsyncs and renames it over
    `path`, `discard` (or leaving the `with` block on an error) removes it, so a failed or
    abandoned write leaves nothing that could block a retry and never touches `path`. A lone
    surrogate, which UTF-8 cannot encode, is written as its escape `\\udXXX` (in JSON text, the
    very escape that reads back as it).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.temporary = temporary_path(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle: Any = self.temporary.open("w", encoding="utf-8", errors="backslashreplace")
        except OSError as error:
            raise disk_error(self.path, error) from None

    def write(self, line: str) -> None:
        try:
            self._handle.write(line)
        except OSError as error:
            self.discard()
            raise disk_error(self.path, error) from None

    def write_record(self, record: dict[str, Any]) -> None:
        self.write(dumps_line(record))

    def commit(self) -> None:
        """fsync the temporary file and rename it over `path`."""
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            os.replace(self.temporary, self.path)
        except OSError as error:
            self.discard()
            raise disk_error(self.path, error) from None

    def discard(self) -> None:
        """Remove the temporary file (nothing happens to `path`)."""
        try:
            self._handle.close()
        except OSError:
            pass
        try:
            self.temporary.unlink()
        except OSError:
            pass  # already renamed or removed, or the disk refuses even that

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None or not self._handle.closed:
            self.discard()


def write_lines_atomic(path: str | Path, lines: Iterable[str]) -> None:
    """Write a whole text file atomically from lines (a `StagedFile`: a temporary file beside it,
    fsynced, then renamed over `path`). On any failure (a full or read-only disk, an exception
    from `lines`) the temporary file is removed, so nothing is left that could block a retry."""
    with StagedFile(path) as staged:
        try:
            for line in lines:
                staged.write(line)
        except EvalkitError:
            raise
        except OSError as error:  # raised while producing the lines, e.g. reading the file they come from
            source = Path(error.filename) if error.filename else staged.path
            raise disk_error(source, error, action="read" if source != staged.path else "write") from None
        staged.commit()


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> None:
    """Write a whole JSONL file atomically (see `write_lines_atomic`)."""
    write_lines_atomic(path, (dumps_line(record) for record in records))
