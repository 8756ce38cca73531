"""Sampling backends behind one protocol (see `evalkit.backends.base`).

Backends are created by name through `create_backend`; heavy imports (torch, vllm) happen
only when that backend is built, so the rest of evalkit works without them.
"""

from evalkit.backends.base import Backend, Completion, Prompt, SamplingParams
from evalkit.backends.registry import backend_names, create_backend

__all__ = ["Backend", "Completion", "Prompt", "SamplingParams", "backend_names", "create_backend"]
