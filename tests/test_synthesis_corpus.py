"""Reading and chunking the corpus: stable ids, sources, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import ConfigError, InputError
from evalkit.synthesis.config import CorpusConfig, parse_synth_config
from evalkit.synthesis.corpus import (
    RawText,
    build_corpus,
    chunk_id,
    chunk_text,
    corpus_from_config,
    texts_from_dataset,
)
from evalkit.synthesis.demo_corpus import DEMO_PASSAGES, templated_exercise
from evalkit.synthesis.prompts import STAGES, format_exercise, parse_exercise


def test_chunks_pack_paragraphs_and_never_exceed_size():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 30 for i in range(6))
    chunks = chunk_text(text, 400)
    assert all(len(c) <= 400 for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())
    long_paragraph = "x" * 10 + " " + "abc " * 300
    assert all(len(c) <= 100 for c in chunk_text(long_paragraph, 100))


def test_ids_are_content_hashes_and_repeats_are_dropped():
    raw = [RawText("Alpha beta gamma delta epsilon zeta.", "a:1"), RawText("Alpha  beta gamma delta epsilon zeta.", "b:1"),
           RawText("short", "c:1")]
    result = build_corpus(raw, size=200, min_chars=10)
    assert [c.id for c in result.chunks] == [chunk_id("Alpha beta gamma delta epsilon zeta.")]
    assert result.duplicate_chunks == 1 and result.dropped_short == 1
    assert chunk_id("x y") == chunk_id("x   y") != chunk_id("x z")


def test_jsonl_and_text_sources(tmp_path: Path):
    (tmp_path / "texts.jsonl").write_text('{"body": "First text about fractions and ratios."}\n'
                                          '{"body": "Second text about prime numbers and divisors."}\n')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("A markdown note on triangles and their angles.")
    config = CorpusConfig(sources=[{"kind": "jsonl", "path": str(tmp_path / "texts.jsonl"), "field": "body"},
                                   {"kind": "text", "path": str(tmp_path / "docs")}], chunk_size=300, min_chars=10)
    result = corpus_from_config(config)
    assert [c.origin for c in result.chunks] == [f"{tmp_path / 'texts.jsonl'}:1", f"{tmp_path / 'texts.jsonl'}:2",
                                                 str(tmp_path / "docs" / "a.md")]


def test_bad_jsonl_field_names_file_and_line(tmp_path: Path):
    (tmp_path / "t.jsonl").write_text('{"text": "ok text here"}\n{"text": 5}\n')
    config = CorpusConfig(sources=[{"kind": "jsonl", "path": str(tmp_path / "t.jsonl")}])
    with pytest.raises(InputError, match=r"t.jsonl:2: field 'text': expected a string"):
        corpus_from_config(config)


def test_datasets_rows_map_to_texts():
    datasets = pytest.importorskip("datasets")
    table = datasets.Dataset.from_dict({"content": ["Text one on algebra.", "Text two on geometry."], "n": [1, 2]})
    texts = list(texts_from_dataset(table, "content", "hf:local"))
    assert [(t.text, t.origin) for t in texts] == [("Text one on algebra.", "hf:local:1"), ("Text two on geometry.", "hf:local:2")]
    with pytest.raises(InputError, match="field 'missing'"):
        list(texts_from_dataset(table, "missing", "hf:local"))


def test_token_chunking_uses_a_tokenizer(tiny_model_dir: Path):
    config = CorpusConfig(sources=[{"kind": "demo", "limit": 4}], unit="tokens", chunk_size=24,
                          tokenizer=str(tiny_model_dir), min_chars=5)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    result = corpus_from_config(config)
    assert len(result.chunks) > 4
    assert all(len(tokenizer(c.text, add_special_tokens=False)["input_ids"]) <= 24 for c in result.chunks)


def test_demo_corpus_covers_every_stage_and_templates_parse():
    assert 30 <= len(DEMO_PASSAGES) <= 60
    assert {p.stage for p in DEMO_PASSAGES} == set(STAGES)
    for passage in DEMO_PASSAGES:
        parsed = parse_exercise(format_exercise(*templated_exercise(passage.text, passage.stage)))
        assert parsed is not None and parsed.answer


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="field 'teacher.stagez': unknown field"):
        parse_synth_config({"corpus": {"sources": [{"kind": "demo"}]}, "teacher": {"stagez": 1}})
    with pytest.raises(ConfigError, match="needs 'path'"):
        parse_synth_config({"corpus": {"sources": [{"kind": "jsonl"}]}})
    with pytest.raises(ConfigError, match="unknown stages"):
        parse_synth_config({"corpus": {"sources": [{"kind": "demo"}]}, "teacher": {"stages": ["kindergarten"]}})


def test_an_empty_jsonl_source_is_named(tmp_path: Path):
    from evalkit.synthesis.corpus import read_jsonl_texts

    # before: an empty source gave no texts without a word (the corpus was silently smaller, or empty)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.jsonl.*no records: the corpus source is empty"):
        list(read_jsonl_texts(empty, "text"))
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    assert [raw.text for raw in read_jsonl_texts(good, "text", limit=1)] == ["a"]
    assert [raw.text for raw in read_jsonl_texts(good, "text")] == ["a", "b"]
