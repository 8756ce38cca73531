"""The benchmark test sets shipped inside the package, so evaluations need no data directory.

`tasks/testsets/` holds byte-for-byte copies of the test sets of the eight benchmarks (laid out
like `shared/data`: `aime24/test.jsonl`, `math/math500.jsonl`, ...) and `manifest.json`, which
records for each file the task and split it serves, its record count, size, sha256, source and
licence (written by `scripts/ship_test_sets.py`). A shipped file is checked against its sha256
the first time a process reads it, so an edited or damaged copy is refused instead of being
evaluated silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from evalkit.errors import InputError
from evalkit.hashing import file_sha256

SHIPPED_DIR = Path(__file__).resolve().parent / "testsets"
MANIFEST_FILE = SHIPPED_DIR / "manifest.json"
_FIELDS = ("task", "split", "records", "bytes", "sha256", "source", "license")


@dataclass(frozen=True)
class ShippedFile:
    """One shipped data file and what the manifest says about it."""

    relative: str
    task: str
    split: str
    records: int
    bytes: int
    sha256: str
    source: str
    license: str

    @property
    def path(self) -> Path:
        return SHIPPED_DIR / self.relative


@lru_cache(maxsize=1)
def shipped_files() -> Mapping[str, ShippedFile]:
    """The manifest: relative path (`aime24/test.jsonl`) -> `ShippedFile`; empty when nothing is shipped."""
    if not MANIFEST_FILE.is_file():
        return MappingProxyType({})
    try:
        document = json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))
        entries = document["files"]
        files = {relative: ShippedFile(relative=relative, **{name: entry[name] for name in _FIELDS})
                 for relative, entry in entries.items()}
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"the manifest of the shipped test sets is damaged ({error}); reinstall evalkit",
                         path=MANIFEST_FILE) from None
    return MappingProxyType(files)


@lru_cache(maxsize=None)
def _verified(relative: str) -> Path:
    entry = shipped_files()[relative]
    if not entry.path.is_file():
        raise InputError(f"the shipped copy of {relative} is missing; reinstall evalkit", path=entry.path)
    actual = file_sha256(entry.path)
    if actual != entry.sha256:
        raise InputError(f"the shipped copy of {relative} does not match its manifest (sha256 {actual[:12]}..., "
                         f"expected {entry.sha256[:12]}...); reinstall evalkit", path=entry.path)
    return entry.path


def shipped_path(relative: str) -> Path | None:
    """The verified shipped copy of a data file (`aime24/test.jsonl`), or None when it is not shipped."""
    if relative not in shipped_files():
        return None
    return _verified(relative)
