"""Selection: which answer each rule picks from a problem's sampled solutions.

- `evalkit.selection.rules`: the rules (first, majority, best-of-n, SCR, weighted re-ranking and
  its top-K variant) as pure, vectorised functions over sample sets, with the tie rule and the
  evaluator calls each needs; names as in Liu et al. (2023).
- `evalkit.selection.predictions`: per-problem predictions (`predictions.jsonl`).

Metrics (`evalkit.metrics`) are averages of these choices over k-subsets of the samples.
"""

from evalkit.selection.predictions import PREDICTIONS_FILE, Prediction, predict
from evalkit.selection.rules import (
    DEFAULT_TOP_CLUSTERS,
    RULES,
    SCORE_RULES,
    Choices,
    RuleInfo,
    SetStructure,
    select,
    selector,
)

__all__ = [
    "DEFAULT_TOP_CLUSTERS", "PREDICTIONS_FILE", "RULES", "SCORE_RULES", "Choices", "Prediction", "RuleInfo",
    "SetStructure", "predict", "select", "selector",
]
