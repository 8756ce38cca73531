"""Where a local model is, checked before a library tries to load it.

transformers and vLLM read a path that does not exist as a hub id ("Repo id must be in the
form 'repo_name'...") and a model directory without tokenizer files as a tokenizer to convert
(a page of text and a traceback). `check_model_location` says instead, in one line, which
directory is missing or what it lacks.
"""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import ConfigError

# Files one of which a Hugging Face model directory holds when it ships a tokenizer.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json", "vocab.json", "vocab.txt",
                   "spiece.model", "tekken.json")


def looks_like_a_path(model: str) -> bool:
    """Whether `model` can only be a local path, never a hub id (`org/name`): absolute, relative to
    `.` or `..`, in the home directory, or with more than one `/`."""
    return model.startswith(("/", "./", "../", "~", ".\\", "..\\")) or model in (".", "..") or model.count("/") > 1


def check_model_location(model: str | Path, *, needs_tokenizer: bool = True) -> None:
    """Refuse a local model path that does not exist, is a file or an empty directory, or a Hugging Face
    model directory (one with a `config.json`) that holds no tokenizer when `needs_tokenizer`; a hub id
    passes unchecked."""
    name = str(model)
    path = Path(name)
    if not path.exists():
        if looks_like_a_path(name):
            raise ConfigError(f"model directory '{name}' does not exist")
        return
    if path.is_file() and path.suffix.lower() != ".gguf":  # vLLM reads a GGUF model from one file
        raise ConfigError(f"model '{name}' is a file: give the model's directory (the one holding config.json)")
    if path.is_dir() and not (path / "config.json").is_file() and not any(path.iterdir()):
        raise ConfigError(f"model directory '{name}' is empty: no config.json, weights or tokenizer")
    if needs_tokenizer and path.is_dir() and (path / "config.json").is_file() and not any(
            (path / file).is_file() for file in TOKENIZER_FILES):
        raise ConfigError(f"model directory '{name}' has no tokenizer (none of {', '.join(TOKENIZER_FILES)}): "
                          "save the tokenizer next to the weights")


def model_load_errors() -> tuple[type[BaseException], ...]:
    """What loading a model directory with transformers raises when its files are damaged: missing or
    unreadable files (OSError), a config of the wrong types (ValueError, huggingface_hub's strict
    dataclass errors), weights cut short (safetensors' error), tensors of the wrong shape (RuntimeError)."""
    errors: list[type[BaseException]] = [OSError, ValueError, RuntimeError]
    try:
        from safetensors import SafetensorError
        errors.append(SafetensorError)
    except ImportError:  # safetensors comes with transformers; without it no such error can occur
        pass
    try:
        from huggingface_hub.errors import StrictDataclassError
        errors.append(StrictDataclassError)
    except ImportError:  # older huggingface_hub: config values are not validated by type
        pass
    return tuple(errors)


def loading_failure(model: str | Path, what: str, error: BaseException) -> ConfigError:
    """One line for a model that could not be loaded: which model, which part, and the library's reason."""
    reason = " ".join(str(error).split())[:400] or type(error).__name__
    return ConfigError(f"cannot load the {what} of model '{model}' with transformers: {type(error).__name__}: {reason}")
