"""The run directory: config, samples, grades, scores and metrics of one evaluation on disk."""

from evalkit.store.rundir import ProblemGrades, ProblemSamples, RunDir, Shard, samples_digest

__all__ = ["ProblemGrades", "ProblemSamples", "RunDir", "Shard", "samples_digest"]
