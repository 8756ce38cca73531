"""Create a sampling backend by name, importing its heavy dependencies only then.

`create_backend("hf", model="...")` imports torch and transformers; `create_backend("openai",
...)` needs neither. Options are passed to the backend's constructor as keyword arguments.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from evalkit.backends.base import Backend
from evalkit.errors import ConfigError

# name -> (module, class); the modules are imported on first use.
BACKENDS: dict[str, tuple[str, str]] = {
    "hf": ("evalkit.backends.hf", "HFBackend"),
    "vllm": ("evalkit.backends.vllm_backend", "VLLMBackend"),
    "openai": ("evalkit.backends.openai_backend", "OpenAIBackend"),
    "replay": ("evalkit.backends.replay", "ReplayBackend"),
}


def backend_names() -> list[str]:
    """The names `create_backend` accepts, sorted."""
    return sorted(BACKENDS)


def backend_class(name: str) -> type:
    """The class registered under `name`, imported now.

    Raises `ConfigError` for an unknown name (listing the known ones) or when the backend's
    dependencies are not installed.
    """
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; choose one of: {', '.join(backend_names())}")
    module_name, class_name = BACKENDS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(f"backend {name!r} cannot be used here: {error}") from None
    return getattr(module, class_name)


def create_backend(name: str, **options: Any) -> Backend:
    """Build the backend registered under `name` with `options` as constructor keywords."""
    cls = backend_class(name)
    try:
        inspect.signature(cls).bind(**options)
    except TypeError as error:
        raise ConfigError(f"bad options for backend {name!r}: {error}") from None
    return cls(**options)
