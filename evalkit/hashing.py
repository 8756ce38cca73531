"""Content digests of files, read in chunks: the one place a file's SHA-256 is computed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

CHUNK_BYTES = 1 << 20


def file_chunks(path: str | Path, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The bytes of a file, `size` at a time (memory holds one chunk)."""
    with Path(path).open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def sha256_of(chunks: Iterable[bytes]) -> str:
    """The hex SHA-256 of a stream of bytes."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks."""
    return sha256_of(file_chunks(path))
