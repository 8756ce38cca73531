"""Content digests of files, read in chunks: the one place a file's SHA-256 is computed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

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


IDENTITY_SAMPLE_BYTES = 4 * 1024 * 1024
"""How much of each end of a file a directory identity reads."""


def update_with_directory(digest: Any, directory: str | Path) -> int:
    """Feed a directory's identity into `digest`: every file below it (relative name, size, and
    the first and last `IDENTITY_SAMPLE_BYTES`), in name order; return the files' total size. A
    model rewritten in place gets another identity; reading only the ends keeps this to a fraction
    of a second for models of many gigabytes."""
    directory = Path(directory)
    total = 0
    for path in sorted(item for item in directory.rglob("*") if item.is_file()):
        size = path.stat().st_size
        total += size
        digest.update(f"{path.relative_to(directory).as_posix()}\0{size}\0".encode())
        with path.open("rb") as handle:
            digest.update(handle.read(IDENTITY_SAMPLE_BYTES))
            if size > IDENTITY_SAMPLE_BYTES:
                handle.seek(max(IDENTITY_SAMPLE_BYTES, size - IDENTITY_SAMPLE_BYTES))
                digest.update(handle.read(IDENTITY_SAMPLE_BYTES))
    return total


def directory_identity_and_size(directory: str | Path) -> tuple[str, int]:
    """A short fingerprint of a directory's content (`update_with_directory`), e.g. a local model,
    and the total size of its files."""
    digest = hashlib.sha256()
    size = update_with_directory(digest, directory)
    return digest.hexdigest()[:16], size


def directory_identity(directory: str | Path) -> str:
    """A short fingerprint of a directory's content (`update_with_directory`), e.g. a local model."""
    return directory_identity_and_size(directory)[0]
