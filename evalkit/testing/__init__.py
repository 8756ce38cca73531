"""Helpers for tests: a tiny, locally built language model that every backend can load.

No pretrained weights can be downloaded in CI, so tests build their own model with
`evalkit.testing.tiny_model.build_tiny_model` (seconds, about 2 MB on disk). Import it from
`evalkit.testing.tiny_model`; this package itself imports nothing heavy.
"""
