"""Models evalkit can build itself, for runs on a machine with no hub and no GPU.

`builtin:tiny` is a small LLaMA-style model with a locally trained tokenizer, trained for a
few hundred steps on a built-in corpus of arithmetic solutions. It exercises every stage
of the pipeline in about a minute on a laptop CPU; its accuracy is not the point.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

TINY_MODEL_VERSION = "tiny-v1"
TINY_TRAIN_STEPS = 200
BUILTIN_TINY_MODEL = "builtin:tiny"
BUILTIN_PREFIX = "builtin:"


def builtin_model_dir(name: str) -> Path | None:
    """The directory of the built-in model `name` names (`builtin:tiny`, built on first use), None when `name` is
    not a built-in model's name; an unknown `builtin:` name is a `ConfigError`."""
    from evalkit.errors import ConfigError

    if not name.startswith(BUILTIN_PREFIX):
        return None
    if name != BUILTIN_TINY_MODEL:
        raise ConfigError(f"unknown built-in model '{name}' (known: {BUILTIN_TINY_MODEL})")
    return cached_tiny_model()


def cache_root() -> Path:
    """`$EVALKIT_CACHE`, else `~/.cache/evalkit`."""
    return Path(os.environ.get("EVALKIT_CACHE") or Path.home() / ".cache" / "evalkit")


def cached_tiny_model(root: Path | None = None) -> Path:
    """The built-in tiny model's directory, built on first use (atomically, so a crash leaves no half model)."""
    from evalkit.testing.tiny_model import build_tiny_model

    target = (root or cache_root()) / TINY_MODEL_VERSION
    if (target / "config.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tiny-", dir=target.parent))
    try:
        build_tiny_model(staging, train_steps=TINY_TRAIN_STEPS, seed=0)
        try:
            staging.rename(target)
        except OSError:  # another process finished first
            if not (target / "config.json").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
