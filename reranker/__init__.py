"""Solution evaluator and Solution-Cluster Reranking (Liu et al. 2023).

- `reranker.templates`: how a solution is shown to the evaluator, and its two verdicts.
- `reranker.evaluator`: `SolutionEvaluator`, p(correct) / (p(correct) + p(incorrect)) of a solution.
- `reranker.two_way`: `TwoWayEvaluator`, a solution scored by how well it and its problem explain
  each other (p(solution | problem) and p(problem | solution) per token), not the paper's evaluator.
- `reranker.scoring`: `score_run`, scoring the samples of a graded run that a method needs
  (SCR: only the top answer clusters) into `scores.jsonl` (through `evalkit.store.scores`), resumably.
- `reranker.cli`: `evalkit rerank`.

The selection rules themselves (SCR, best-of-n, weighted) are in `evalkit.selection`; their
accuracies in `evalkit.metrics`.
"""

from reranker.evaluator import (
    DEFAULT_EVALUATOR_TEMPLATE,
    SolutionEvaluator,
    verdict_probability,
)
from reranker.scoring import (
    METHODS,
    ScoreSummary,
    score_run,
    select_samples,
    top_cluster_ids,
)
from reranker.templates import DEFAULT_TEMPLATE, EvaluatorTemplate
from reranker.two_way import TwoWayEvaluator, two_way_examples

__all__ = [
    "DEFAULT_EVALUATOR_TEMPLATE",
    "DEFAULT_TEMPLATE",
    "METHODS",
    "EvaluatorTemplate",
    "ScoreSummary",
    "SolutionEvaluator",
    "TwoWayEvaluator",
    "score_run",
    "select_samples",
    "top_cluster_ids",
    "two_way_examples",
    "verdict_probability",
]
