"""evalkit: evaluate and improve the mathematical reasoning of language models."""

__version__ = "0.1.0"
