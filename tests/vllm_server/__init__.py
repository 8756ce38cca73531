"""Tests against one vLLM OpenAI-compatible server (package-scoped: started once, stopped after the last)."""
