"""The base model of a training run: where it is, and what it holds.

A training run is identified by its base model's content, not by the string it was given: a
local directory is resolved to an absolute path and fingerprinted with
`evalkit.hashing.directory_identity` (names, sizes and the ends of every file), so a model
rewritten at the same path is a different base model. A Hugging Face hub id is kept as given
(its files are the hub's to version). `resolve_base_model` also refuses, in one line and
before any data is loaded or anything written, a model that is neither a model directory nor
a hub id the hub (or its local cache) knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.hashing import directory_identity


@dataclass(frozen=True)
class BaseModelRef:
    """A base model as given, its resolved local directory (None for a hub id) and its content identity."""

    given: str
    directory: Path | None
    identity: str | None

    @property
    def location(self) -> str:
        """The resolved directory, or the hub id."""
        return str(self.directory) if self.directory is not None else self.given

    @property
    def key(self) -> str:
        """What the run fingerprint holds: the content identity of a directory, the id of a hub model."""
        return f"dir:{self.identity}" if self.directory is not None else f"hub:{self.given}"

    def to_dict(self) -> dict[str, Any]:
        """The fields `train_config.json` records."""
        return {"base_model": self.location, "base_model_given": self.given, "base_model_identity": self.identity}


def same_base_model(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether two `BaseModelRef.to_dict()` records name the same model: the same content identity,
    and, for hub models (no identity), the same id."""
    if recorded.get("base_model_identity") != current.get("base_model_identity"):
        return False
    return current.get("base_model_identity") is not None or recorded.get("base_model") == current.get("base_model")


def _hub_id_problem(name: str) -> str | None:
    """Why `name` cannot be a hub repo id (None when it can be one)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError as error:
        return str(error).splitlines()[0]
    return None


def resolve_base_model(model: str | Path) -> BaseModelRef:
    """The base model `model` names, checked: a directory with a `config.json`, a built-in model
    (`builtin:tiny`, built on first use), or a hub id whose config the hub (or the local cache,
    offline) can give. Anything else is a `ConfigError`."""
    from evalkit.pipeline.builtin_models import builtin_model_dir

    given = str(model)
    built = builtin_model_dir(given)
    path = built if built is not None else Path(given).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"base model {given}: the directory has no config.json (give a model directory, "
                              "e.g. a training run's final/, or a Hugging Face hub id)")
        return BaseModelRef(given, path.resolve(), directory_identity(path))
    if path.exists():
        raise ConfigError(f"base model {given} is a file, not a model directory")
    if _hub_id_problem(given) is not None:
        raise ConfigError(f"base model not found: {given} does not exist (and is not a Hugging Face hub id)")
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(given)
    except (OSError, ValueError) as error:
        reason = (str(error).splitlines() or ["no reason given"])[0]
        raise ConfigError(f"base model not found: {given} is not a local directory, and the Hugging Face hub "
                          f"did not give it ({reason})") from None
    return BaseModelRef(given, None, None)


def as_base_model(model: str | Path | BaseModelRef) -> BaseModelRef:
    """`model` resolved and checked, unless it already is."""
    return model if isinstance(model, BaseModelRef) else resolve_base_model(model)
