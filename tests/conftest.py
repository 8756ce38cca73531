"""Shared pytest fixtures.

`tiny_model_dir`: a tiny LLaMA-style model directory (weights, tokenizer with a chat template,
generation config), built once per test session with `evalkit.testing.tiny_model` and briefly
trained so its samples look like math text. Any backend can load it (transformers, vLLM, an
OpenAI-compatible server). Treat it as read-only: copy it before changing anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TINY_MODEL_TRAIN_STEPS = 60
TINY_MODEL_SEED = 0


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to the session's tiny model directory (built on first use, about 10 s)."""
    from evalkit.testing.tiny_model import build_tiny_model

    out_dir = tmp_path_factory.mktemp("tiny_model")
    return build_tiny_model(out_dir, train_steps=TINY_MODEL_TRAIN_STEPS, seed=TINY_MODEL_SEED)
