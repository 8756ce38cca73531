"""Step 1: read math texts from their sources and cut them into chunks with stable ids.

A chunk's id is a hash of its content, so the same text gets the same id in every run and
from every source, and later steps (scores, teacher cache, outputs) can refer to it.
Chunks are packed from paragraphs up to `chunk_size` (characters, or tokens of a tokenizer);
a paragraph longer than that is split at word boundaries.
"""

from __future__ import annotations

import glob
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import iter_jsonl
from evalkit.synthesis.config import CorpusConfig, CorpusSource

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class RawText:
    """One text as read from a source; `origin` says where (file:line, dataset/row, demo/n)."""

    text: str
    origin: str
    stage_hint: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A piece of text the teacher and synthesizer work on."""

    id: str
    text: str
    origin: str
    stage_hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "origin": self.origin, "stage_hint": self.stage_hint}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Chunk:
        return cls(id=str(data["id"]), text=str(data["text"]), origin=str(data.get("origin", "")),
                   stage_hint=data.get("stage_hint"))


def chunk_id(text: str) -> str:
    """The stable id of a chunk: `c-` and 16 hex digits of the SHA-256 of its whitespace-normalised text."""
    normalised = " ".join(text.split())
    return "c-" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


def texts_from_records(records: Iterable[tuple[str, Mapping[str, Any]]], field: str,
                       location: str) -> Iterator[RawText]:
    """The `field` of each `(origin, record)`; a missing or non-string field is an `InputError`."""
    for origin, record in records:
        if field not in record:
            raise InputError("missing field", path=location, line=_line_of(origin), field=field)
        value = record[field]
        if not isinstance(value, str):
            raise InputError(f"expected a string, got {type(value).__name__}", path=location,
                             line=_line_of(origin), field=field)
        yield RawText(text=value, origin=origin)


def _line_of(origin: str) -> int | None:
    tail = origin.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def read_jsonl_texts(path: Path, field: str, limit: int | None = None) -> Iterator[RawText]:
    """Texts from the `field` of each line of a JSONL file; a file without records is an `InputError`."""
    records = ((f"{path}:{line}", record) for line, record in iter_jsonl(path))
    count = 0
    for count, raw in enumerate(texts_from_records(records, field, str(path)), start=1):
        if limit is not None and count > limit:
            return
        yield raw
    if count == 0:
        raise InputError("no records: the corpus source is empty (expected one JSON object a line)", path=path)


def read_text_files(pattern: str, limit: int | None = None) -> Iterator[RawText]:
    """Whole files as texts: one file, every `*.txt`/`*.md` of a directory, or a glob, in sorted order."""
    root = Path(pattern)
    if root.is_dir():
        paths = sorted(p for p in root.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
    elif root.is_file():
        paths = [root]
    else:
        paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not paths:
        raise InputError("no text files found", path=pattern)
    for count, path in enumerate(paths):
        if limit is not None and count >= limit:
            return
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"not UTF-8 text ({error})", path=path) from None
        yield RawText(text=text, origin=str(path))


def texts_from_dataset(dataset: Iterable[Mapping[str, Any]], field: str, name: str,
                       limit: int | None = None) -> Iterator[RawText]:
    """Texts from the rows of a `datasets.Dataset` (or any iterable of mappings), origin `name/row`."""
    rows = ((f"{name}:{index + 1}", row) for index, row in enumerate(dataset))
    for count, raw in enumerate(texts_from_records(rows, field, name)):
        if limit is not None and count >= limit:
            return
        yield raw


def load_hub_dataset(dataset: str, subset: str | None, split: str):
    """`datasets.load_dataset(dataset, subset, split=split)`, with a clear error when it cannot be read."""
    try:
        import datasets
    except ImportError as error:
        raise ConfigError(f"corpus source 'hf' needs the `datasets` package: {error}") from None
    try:
        return datasets.load_dataset(dataset, subset, split=split)
    except Exception as error:  # noqa: BLE001 -- network, missing dataset, bad split: one clear error
        raise ConfigError(f"cannot load dataset {dataset!r} (subset {subset!r}, split {split!r}): {error}") from None


def read_source(source: CorpusSource, world=None) -> Iterator[RawText]:
    """The texts of one configured source; `kind: demo` reads the demo world's corpus (`world`:
    its `WorldSizes`, default sizes when None)."""
    if source.kind == "jsonl":
        yield from read_jsonl_texts(Path(source.path), source.field, source.limit)
    elif source.kind == "text":
        yield from read_text_files(source.path, source.limit)
    elif source.kind == "hf":
        rows = load_hub_dataset(source.dataset, source.subset, source.split)
        yield from texts_from_dataset(rows, source.field, f"hf:{source.dataset}", source.limit)
    else:
        from evalkit.synthesis.demo_world import default_sizes, world_corpus

        for index, text in enumerate(world_corpus(world or default_sizes())[:source.limit]):
            yield RawText(text=text.text, origin=f"demo:{index + 1}", stage_hint=text.stage)


def _split_long(paragraph: str, size: int, measure: Callable[[str], int]) -> list[str]:
    """Split one paragraph that is longer than `size` into word-boundary pieces of at most `size`.

    The running size adds `measure(" " + word)` per word, so a paragraph costs one measurement
    per word rather than one per prefix; that sum is exact for characters and for tokenizers
    that split on spaces first. Each piece is measured whole once more, and a piece that still
    comes out too long is cut again, word by word, from its end.
    """
    pieces: list[str] = []
    current: list[str] = []
    running = 0
    for word in paragraph.split():
        cost = measure(word) if not current else measure(" " + word)
        if current and running + cost > size:
            pieces.append(" ".join(current))
            current, running = [word], measure(word)
        else:
            current.append(word)
            running += cost
    if current:
        pieces.append(" ".join(current))
    return [part for piece in pieces for part in _fit_exactly(piece, size, measure)]


def _fit_exactly(piece: str, size: int, measure: Callable[[str], int]) -> list[str]:
    """`[piece]` when it measures at most `size`; else it split by moving words to a next piece."""
    words = piece.split()
    parts: list[str] = []
    while words:
        take = len(words)
        while take > 1 and measure(" ".join(words[:take])) > size:
            take -= 1
        parts.append(" ".join(words[:take]))
        words = words[take:]
    return parts


def chunk_text(text: str, size: int, measure: Callable[[str], int] = len) -> list[str]:
    """Cut a text into chunks of at most `size` (as `measure` counts), packing whole paragraphs.

    A single word longer than `size` stays whole: chunks never cut inside a word.
    """
    chunks: list[str] = []
    current = ""
    for paragraph in _PARAGRAPH_BREAK.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        pieces = [paragraph] if measure(paragraph) <= size else _split_long(paragraph, size, measure)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if current and measure(candidate) > size:
                chunks.append(current)
                current = piece
            else:
                current = candidate
    if current:
        chunks.append(current)
    return chunks


def token_measure(tokenizer_name: str) -> Callable[[str], int]:
    """A function counting the tokens of a text with a transformers tokenizer."""
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(tokenizer_name)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot load tokenizer {tokenizer_name!r} for token-based chunking: {error}") from None
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


@dataclass(frozen=True)
class CorpusResult:
    chunks: list[Chunk]
    texts_read: int
    dropped_short: int
    duplicate_chunks: int


def build_corpus(raw_texts: Iterable[RawText], size: int, min_chars: int,
                 measure: Callable[[str], int] = len) -> CorpusResult:
    """Chunk every text; drop chunks shorter than `min_chars` and repeats of a chunk already seen."""
    chunks: list[Chunk] = []
    seen: set[str] = set()
    texts_read = dropped_short = duplicates = 0
    for raw in raw_texts:
        texts_read += 1
        for piece in chunk_text(raw.text, size, measure):
            if len(piece) < min_chars:
                dropped_short += 1
                continue
            identifier = chunk_id(piece)
            if identifier in seen:
                duplicates += 1
                continue
            seen.add(identifier)
            chunks.append(Chunk(id=identifier, text=piece, origin=raw.origin, stage_hint=raw.stage_hint))
    return CorpusResult(chunks=chunks, texts_read=texts_read, dropped_short=dropped_short, duplicate_chunks=duplicates)


def corpus_from_config(config: CorpusConfig, tokenizer: str | None = None, world=None) -> CorpusResult:
    """Read every configured source and chunk it (by tokens of `tokenizer` when `unit: tokens`)."""
    measure: Callable[[str], int] = len
    if config.unit == "tokens":
        name = config.tokenizer or tokenizer
        if not name:
            raise ConfigError("corpus.unit is 'tokens' but no corpus.tokenizer is set")
        measure = token_measure(name)

    def all_texts() -> Iterator[RawText]:
        for source in config.sources:
            yield from read_source(source, world)

    return build_corpus(all_texts(), config.chunk_size, config.min_chars, measure)
