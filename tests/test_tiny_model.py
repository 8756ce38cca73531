"""The tiny test model: loadable by transformers, LLaMA-shaped for vLLM, deterministic, trained."""

from __future__ import annotations

import json
import math

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from evalkit.testing.tiny_model import build_tiny_model, main, math_corpus


def test_corpus_is_math_with_boxed_answers():
    corpus = math_corpus()
    assert 4_000 < sum(len(text) for text in corpus) < 40_000
    assert all("\\boxed{" in text and text.startswith("Problem: ") for text in corpus)
    assert math_corpus(seed=1) != corpus and math_corpus() == corpus


def test_fixture_model_loads_with_expected_shape(tiny_model_dir):
    names = {path.name for path in tiny_model_dir.iterdir()}
    assert {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"} <= names
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["model_type"] == "llama"
    assert config["hidden_size"] // config["num_attention_heads"] == 32
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    params = sum(p.numel() for p in model.parameters())
    assert 200_000 < params < 1_000_000
    size = sum(path.stat().st_size for path in tiny_model_dir.iterdir())
    assert size < 4 * 2**20


def test_tokenizer_special_tokens_and_chat_template(tiny_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token) == ("<s>", "</s>", "<pad>")
    text = "Problem: Ava has 3 apples. The answer is $\\boxed{3}$."
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.bos_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2+2?"}], tokenize=False, add_generation_prompt=True
    )
    assert rendered.startswith("<s>") and "What is 2+2?" in rendered and rendered.endswith("### Assistant:\n")


def test_training_lowers_the_loss(tiny_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    ids = tokenizer("".join(math_corpus()[:8]), return_tensors="pt")["input_ids"][:, :256]
    with torch.no_grad():
        loss = model(input_ids=ids, labels=ids).loss.item()
    assert loss < math.log(len(tokenizer)) - 2  # an untrained model sits near log(vocab) = 6.2


def test_same_seed_builds_identical_files_and_cli_works(tmp_path):
    first = build_tiny_model(tmp_path / "a", train_steps=2, seed=3)
    main([str(tmp_path / "b"), "--train-steps", "2", "--seed", "3"])
    second = tmp_path / "b"
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_bad_shape_is_refused(tmp_path):
    with pytest.raises(ValueError, match="divisible"):
        build_tiny_model(tmp_path, hidden_size=100, heads=3)
