"""Shared pytest fixtures.

`tiny_model_dir`: a tiny LLaMA-style model directory (weights, tokenizer with a chat template,
generation config), built once per test session with `evalkit.testing.tiny_model` and briefly
trained so its samples look like math text. Any backend can load it (transformers, vLLM, an
OpenAI-compatible server). Treat it as read-only: copy it before changing anything.

Parallel runs (`scripts/test.sh` runs pytest-xdist with `--dist loadgroup`): every test module is
one group, so a module's fixtures are built once, on one worker; a folder that shares a fixture
across modules (`vllm_server/`) marks its tests with one `xdist_group` of its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("COLUMNS", "240")
"""Wide enough that rich does not wrap a message around a long temporary path (under pytest-xdist the
paths grow by `popen-gwN/`), so tests read each message on one line, as a terminal user would."""

TINY_MODEL_TRAIN_STEPS = 60
FIRST_GROUPS = ("vllm_server",)
"""Groups that start first: long ones, so that no worker is left alone with one at the end."""
TINY_MODEL_SEED = 0


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to the session's tiny model directory (built on first use, about 10 s)."""
    from evalkit.testing.tiny_model import build_tiny_model

    out_dir = tmp_path_factory.mktemp("tiny_model")
    return build_tiny_model(out_dir, train_steps=TINY_MODEL_TRAIN_STEPS, seed=TINY_MODEL_SEED)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test without an `xdist_group` the group of its module; long groups go first."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    items.sort(key=lambda item: _group(item) not in FIRST_GROUPS)  # stable: the rest keep their order


def _group(item: pytest.Item) -> str:
    marker = item.get_closest_marker("xdist_group")
    return str(marker.kwargs.get("name", marker.args[0] if marker.args else "")) if marker else ""
