"""Create a sampling backend by name, importing its heavy dependencies only then.

`create_backend("hf", model="...")` imports torch and transformers; `create_backend("openai",
...)` needs neither. Options are passed to the backend's constructor as keyword arguments.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import typing
from typing import Any

import pydantic

from evalkit.backends.base import Backend
from evalkit.errors import ConfigError

# name -> (module, class); the modules are imported on first use.
BACKENDS: dict[str, tuple[str, str]] = {
    "hf": ("evalkit.backends.hf", "HFBackend"),
    "vllm": ("evalkit.backends.vllm_backend", "VLLMBackend"),
    "openai": ("evalkit.backends.openai_backend", "OpenAIBackend"),
    "replay": ("evalkit.backends.replay", "ReplayBackend"),
}


# Options that decide how fast or where a backend samples, never what it samples: they stay out
# of a run's config hash, so changing them (a longer timeout, more engines, another server
# address) resumes the run instead of stranding its samples. Any other option, and any option
# of a backend not listed here, is taken to change the samples.
OPERATIONAL_OPTIONS: dict[str, frozenset[str]] = {
    "hf": frozenset({"batch_size", "show_progress"}),
    "vllm": frozenset({
        "tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size", "distributed_executor_backend",
        "ray_address", "gpu_memory_utilization", "kv_cache_memory_bytes", "max_num_seqs",
        "max_num_batched_tokens", "enable_chunked_prefill", "enable_prefix_caching", "enforce_eager",
        "show_progress", "max_requests_in_flight",
    }),
    "openai": frozenset({
        "base_url", "api_key_env", "concurrency", "max_in_flight", "max_retries", "timeout", "connect_timeout",
        "backoff_base", "backoff_max", "stall_warning_s", "unreachable_after_s", "retry_report_s",
    }),
    "replay": frozenset(),
}


# The defaults of the options that change the samples, as each backend's constructor has them
# (tests check the two agree; the constructors are not imported here, since that would import torch
# to hash a config). An option written out with its default value is the same setting as the option
# left out, so it stays out of the config hash as well.
SAMPLE_OPTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "hf": {"device": "auto", "dtype": "auto", "trust_remote_code": False, "chat_template": None},
    "vllm": {"dtype": "auto", "max_model_len": None, "seed": 0},
    "openai": {"mode": "auto"},
    "replay": {},
}


def _is_default(value: Any, default: Any) -> bool:
    """Whether an option's value is its default (of the same type: `1` is not `True`)."""
    return type(value) is type(default) and value == default


def sample_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """The backend options that change the samples (all but the operational ones), without those
    that only repeat their default."""
    operational = OPERATIONAL_OPTIONS.get(name, frozenset())
    defaults = SAMPLE_OPTION_DEFAULTS.get(name, {})
    return {key: value for key, value in options.items()
            if key not in operational and not (key in defaults and _is_default(value, defaults[key]))}


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
    """Build the backend registered under `name` with `options` as constructor keywords, each
    checked against (and, where lax, converted to: `"5"` -> 5) the type its constructor declares."""
    cls = backend_class(name)
    signature = inspect.signature(cls)
    try:
        signature.bind(**options)
    except TypeError as error:
        known = [parameter.name for parameter in signature.parameters.values()
                 if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)]
        unknown = [option for option in options if option not in known]
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=1)
            raise ConfigError(f"field 'backend.options.{unknown[0]}': not an option of backend {name!r}"
                              f"{f'; did you mean {close[0]!r}?' if close else ''} (its options: {', '.join(known)})"
                              ) from None
        raise ConfigError(f"bad options for backend {name!r}: {error}") from None
    return cls(**typed_options(cls, name, options))


def typed_options(cls: type, name: str, options: dict[str, Any]) -> dict[str, Any]:
    """`options` validated against the annotations of `cls`'s constructor (pydantic's lax mode: an
    integer field takes `5` or `"5"`, not `2.5` or `"abc"`); a `ConfigError` naming the first bad option."""
    try:
        hints = typing.get_type_hints(cls.__init__)
    except (NameError, TypeError):  # an annotation that cannot be resolved here: the constructor checks
        return dict(options)
    fields: dict[str, Any] = {key: (hints[key], ...) for key in options if key in hints}
    if not fields:
        return dict(options)
    model = pydantic.create_model(f"{cls.__name__}Options", __config__=pydantic.ConfigDict(arbitrary_types_allowed=True),
                                  **fields)
    try:
        checked = model.model_validate({key: options[key] for key in fields})
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"][:1])
        raise ConfigError(f"backend {name!r}: option {key!r}: {first['msg']}, got {options.get(key)!r}") from None
    return dict(options) | {key: getattr(checked, key) for key in fields}
