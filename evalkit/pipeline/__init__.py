"""The stages of an evaluation run: sample -> grade -> report, each resumable from disk."""
