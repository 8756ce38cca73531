"""`scores.jsonl`: evaluator scores of a run's samples, appended and never rewritten.

One JSON line per (problem, scorer, scoring pass):

    {"problem_id": "...", "scorer": "evaluator", "selection": "scr-top4", "scores": [0.91, null, ...]}

`scores` has one entry per sample of the problem, `null` where this line scored nothing.
`selection` says which samples the pass chose to score (`all` = every answered sample,
`scr-topK` = the samples of the K largest answer clusters, `imported` = given with the samples;
a line without the field reads as `unlabelled`). `scorer_id`, written by `evalkit rerank`, is the
fingerprint of the evaluator that made the line (`reranker.evaluator.model_identity`): lines of
one scorer name must come from one evaluator, so a retrained or another model with the same
name is refused instead of merged (`ScorerScores.identities`).
A problem may have several lines of one scorer (a narrower pass first, a wider one later):
they merge, a later non-null value replacing an earlier one. Lines are only ever appended
(`ScoresAppender`, flushed and fsynced per line), so a killed scorer loses at most the line
it was writing and an audit can see every pass.

A problem sampled anew (its samples line deleted and the run resumed) gets a reset line,
`{"problem_id": "...", "reset": "resampled"}` (`ScoresAppender.reset`): the lines above it scored
samples that no longer exist, so the reader forgets them, as the grades of such a problem are
dropped (`RunDir.drop_grades`); the file stays append-only and the old lines stay for an audit.

`read_scores` is the one reader: it checks every line (known problem, one entry per sample,
finite numbers or null) and names the file, line and field of anything wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import InputError
from evalkit.jsonl import JsonlAppender, is_finite_number, iter_jsonl

SCORES_FILE = "scores.jsonl"
SELECTION_ALL = "all"
SELECTION_IMPORTED = "imported"
SELECTION_UNLABELLED = "unlabelled"  # a line written without `selection` (older files, other tools)
SELECTION_SCR_PREFIX = "scr-top"
RESET_FIELD = "reset"
RESET_RESAMPLED = "resampled"


def scr_selection(top_clusters: int) -> str:
    """The `selection` label of a pass that scored the samples of the top-K clusters."""
    return f"{SELECTION_SCR_PREFIX}{top_clusters}"


def scored_top_clusters(selections: Sequence[str]) -> int | None:
    """The most clusters whose samples the scoring passes `selections` scored: K of the widest `scr-topK`
    pass, or None when a pass chose samples otherwise (`all`, `imported`, ...) or there is none."""
    widest = None
    for selection in selections:
        count = selection.removeprefix(SELECTION_SCR_PREFIX)
        if count == selection or not count.isdigit():
            return None
        widest = max(widest or 0, int(count))
    return widest


@dataclass(frozen=True)
class ScorerScores:
    """One scorer's merged scores: per problem a list with one float or None per sample."""

    name: str
    by_problem: dict[str, list[float | None]] = field(default_factory=dict)
    selections: tuple[str, ...] = ()
    identities: tuple[str | None, ...] = ()  # the `scorer_id`s of its lines (None: a line without one)

    def matrix(self, problem_ids: Sequence[str], num_samples: int) -> np.ndarray:
        """float[P, N] in the order of `problem_ids`; NaN where not scored (a problem without a line: all NaN)."""
        out = np.full((len(problem_ids), num_samples), np.nan)
        for row, problem_id in enumerate(problem_ids):
            values = self.by_problem.get(problem_id)
            if values is not None:
                out[row] = [np.nan if value is None else value for value in values]
        return out


@dataclass(frozen=True)
class ScoresFile:
    """Everything in a `scores.jsonl`, merged per scorer."""

    path: Path
    scorers: dict[str, ScorerScores]

    def choose(self, scorer: str | None = None) -> ScorerScores:
        """The named scorer, or the only one; an `InputError` when the choice is ambiguous or absent."""
        if not self.scorers:
            raise InputError("no scores", path=self.path)
        if scorer is None:
            if len(self.scorers) > 1:
                raise InputError(f"holds several scorers ({', '.join(sorted(self.scorers))}); choose one with --scorer",
                                 path=self.path)
            return next(iter(self.scorers.values()))
        if scorer not in self.scorers:
            raise InputError(f"no scores by '{scorer}' (found: {', '.join(sorted(self.scorers)) or 'none'})",
                             path=self.path)
        return self.scorers[scorer]


def _check_value(value: Any) -> bool:
    return value is None or is_finite_number(value)


def read_scores(path: str | Path, num_samples: Mapping[str, int]) -> ScoresFile:
    """Read and check `scores.jsonl` against the run's problems (`problem id -> samples`).

    A missing file gives no scorers. A line cut short at the end (a killed writer) is ignored.
    """
    path = Path(path)
    merged: dict[str, dict[str, list[float | None]]] = {}
    selections: dict[str, list[str]] = {}
    identities: dict[str, list[str | None]] = {}
    # lines that do not fit the run's problems: an error unless a later reset line forgets them (a
    # problem sampled anew and not graded again yet)
    misfits: dict[str, InputError] = {}
    if not path.exists():
        return ScoresFile(path, {})
    for line, record in iter_jsonl(path, tolerate_partial_tail=True):
        problem_id = record.get("problem_id")
        if not isinstance(problem_id, str):
            raise InputError("missing or not a string", path=path, line=line, field="problem_id")
        if RESET_FIELD in record:
            if not isinstance(record[RESET_FIELD], str):
                raise InputError("not a string", path=path, line=line, field=RESET_FIELD)
            for by_problem in merged.values():
                by_problem.pop(problem_id, None)
            misfits.pop(problem_id, None)
            continue
        scorer, scores = record.get("scorer"), record.get("scores")
        selection = record.get("selection", SELECTION_UNLABELLED)
        identity = record.get("scorer_id")
        if identity is not None and not isinstance(identity, str):
            raise InputError("not a string", path=path, line=line, field="scorer_id")
        if not isinstance(scorer, str) or not scorer:
            raise InputError("missing or not a string", path=path, line=line, field="scorer")
        if not isinstance(selection, str):
            raise InputError("not a string", path=path, line=line, field="selection")
        if not isinstance(scores, list):
            raise InputError("expected a list", path=path, line=line, field="scores")
        if not all(_check_value(value) for value in scores):
            raise InputError(f"problem '{problem_id}': scores must be finite numbers or null", path=path, line=line,
                             field="scores")
        if problem_id not in num_samples:
            misfits.setdefault(problem_id, InputError(f"problem '{problem_id}' is not in the run's graded.jsonl",
                                                      path=path, line=line, field="problem_id"))
            continue
        if len(scores) != num_samples[problem_id]:
            misfits.setdefault(problem_id, InputError(
                f"problem '{problem_id}' has {len(scores)} scores but {num_samples[problem_id]} samples",
                path=path, line=line, field="scores"))
            continue
        current = merged.setdefault(scorer, {}).setdefault(problem_id, [None] * len(scores))
        for index, value in enumerate(scores):
            if value is not None:
                current[index] = float(value)
        seen = selections.setdefault(scorer, [])
        if selection not in seen:
            seen.append(selection)
        known = identities.setdefault(scorer, [])
        if identity not in known:
            known.append(identity)
    if misfits:
        raise next(iter(misfits.values()))
    merged = {name: by_problem for name, by_problem in merged.items() if by_problem}
    return ScoresFile(path, {name: ScorerScores(name, by_problem, tuple(selections[name]), tuple(identities[name]))
                             for name, by_problem in merged.items()})


class ScoresAppender:
    """Appends score lines to `scores.jsonl` (each flushed and fsynced as written)."""

    def __init__(self, path: str | Path) -> None:
        self._appender = JsonlAppender(Path(path))

    def append(self, problem_id: str, scorer: str, scores: Sequence[float | None], *, selection: str,
               scorer_id: str | None = None) -> None:
        """Write one problem's line; `scores` has one entry per sample (None = not scored in this pass);
        `scorer_id` fingerprints the evaluator that made them."""
        if not all(_check_value(value) for value in scores):
            raise ValueError("scores must be finite numbers or None")
        record: dict[str, Any] = {"problem_id": problem_id, "scorer": scorer, "selection": selection}
        if scorer_id is not None:
            record["scorer_id"] = scorer_id
        record["scores"] = [None if value is None else float(value) for value in scores]
        self._appender.write(record)

    def reset(self, problem_id: str, reason: str = RESET_RESAMPLED) -> None:
        """Write a reset line: every earlier line of this problem scored samples that were replaced."""
        self._appender.write({"problem_id": problem_id, RESET_FIELD: reason})

    def close(self) -> None:
        self._appender.close()

    def __enter__(self) -> ScoresAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
