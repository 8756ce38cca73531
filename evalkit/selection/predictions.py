"""Per-problem predictions of the selection rules: the answer each rule picks, not only a rate.

`predict` applies one rule (`evalkit.selection.rules`) to every problem's n samples and
returns one `Prediction` per problem: the chosen answer, the sample it came from, the size
and score of its cluster, whether it is correct (and, with ties, the share of the tied
candidates that are), the evaluator calls it needed and whether all of them had a score.
`predictions.jsonl` holds one JSON line per problem and rule (`Prediction.to_dict`);
`evalkit.report` writes it beside `metrics.json`, and the metric at k = n of a rule is exactly
the mean of its predictions' `credit` (their `correct` where nothing is tied), because both come
from the same selection function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evalkit.selection.rules import DEFAULT_TOP_CLUSTERS, RULES, SetStructure, selector

PREDICTIONS_FILE = "predictions.jsonl"


@dataclass(frozen=True)
class Prediction:
    """What one rule answered for one problem (from all n samples).

    `correct`: whether the chosen answer is right. `tied`: how many candidates ranked equal to it
    (1: no tie); the choice among them is the first to appear, and `credit` is the share of them
    that are right: what the rule's metric counts (`Choices.credit`), so that it does not depend on
    the order of the samples. `score`: what a score rule ranked by: the chosen solution's evaluator score (`bon`, `scr`), or
    the sum of its cluster's scores (`wmaj`, `wscr`); None for `first` and `maj`, which use no
    score (`cluster_size` is what majority vote ranks by), and when nothing was scored.
    """

    problem_id: str
    rule: str
    paper_name: str
    answer: str | None
    sample_index: int | None
    cluster_size: int
    score: float | None
    correct: bool
    credit: float
    tied: int
    evaluator_calls: int
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def predict(rule: str, problem_ids: Sequence[str], answers: Sequence[Sequence[str | None]], clusters: np.ndarray,
            correct: np.ndarray, scores: np.ndarray | None = None, *,
            top_clusters: int = DEFAULT_TOP_CLUSTERS) -> list[Prediction]:
    """One `Prediction` per problem for `rule` over all n samples (rows of `clusters`, `correct`, `scores`)."""
    clusters = np.asarray(clusters)
    correct = np.asarray(correct, dtype=bool)
    if clusters.shape != correct.shape or len(problem_ids) != clusters.shape[0] or len(answers) != clusters.shape[0]:
        raise ValueError("problem_ids, answers, clusters and correct must describe the same problems and samples")
    choices = selector(rule, top_clusters)(SetStructure.of(clusters), scores)
    is_correct = choices.correct(correct)
    credit = choices.credit(correct)
    tied = choices.tied_count()
    paper_name = RULES[rule].paper_name.replace("K", str(top_clusters)) if rule in ("scr", "wscr") \
        else RULES[rule].paper_name
    predictions = []
    for row, problem_id in enumerate(problem_ids):
        column = int(choices.column[row])
        value = float(choices.value[row])
        predictions.append(Prediction(
            problem_id=problem_id, rule=rule, paper_name=paper_name,
            answer=answers[row][column] if column >= 0 else None,
            sample_index=column if column >= 0 else None,
            cluster_size=int(choices.cluster_size[row]),
            score=None if math.isnan(value) or not RULES[rule].needs_scores else value,
            correct=bool(is_correct[row]),
            credit=float(credit[row]),
            tied=int(tied[row]),
            evaluator_calls=int(choices.calls[row]),
            complete=bool(choices.complete[row]),
        ))
    return predictions
