"""Score the samples of a graded run with a solution evaluator, appending to `scores.jsonl`.

Which samples get a score depends on the method:

- `"scr"` (solution-cluster re-ranking, Liu et al. 2023): the samples of exactly the
  `top_clusters` largest answer clusters of each problem over all N samples, the rule of
  `evalkit.selection` (ties at the cut: the cluster that appears first). When they form a
  single cluster the answer is decided and nothing is scored. This is what `scr@N` and
  `wscr@N` need; for k < N a k-subset's top clusters can hold other samples, which stay
  unscored, so those figures are reported only where covered (see `evalkit.report`).
- `"all"`: every sample with an answer (best-of-n, W.RR, AUROC).

Samples without an answer (cluster -1) are never scored: no rule can pick them, and evaluator
calls are counted against answered samples only. Identical (problem, solution) pairs are
scored once.

Scores go through the store (`evalkit.store.scores`): one line per problem and pass is
appended, never rewritten, with `selection` saying which samples the pass chose. Scoring
resumes: a problem whose needed samples already carry this scorer's scores is skipped, and one
scored under a narrower method gets only its missing samples scored. Lines are appended as
each chunk of problems is scored, so a killed run loses at most the chunk in progress.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import ConfigError, InputError
from evalkit.progress import make_progress
from evalkit.selection import DEFAULT_TOP_CLUSTERS, SetStructure
from evalkit.store import ProblemSamples, RunDir
from evalkit.store.scores import (
    SELECTION_ALL,
    SELECTION_IMPORTED,
    ScorerScores,
    ScoresAppender,
    read_scores,
    scr_selection,
)
from reranker.evaluator import SolutionEvaluator

METHODS = ("scr", "all")
# Evaluator calls gathered (across problems) before they are scored and appended.
DEFAULT_CHUNK_CALLS = 256


@dataclass(frozen=True)
class ScoreSummary:
    """What one `score_run` did.

    `samples_selected`: the samples the method needs scored (already scored or not);
    `calls_saved`: answered samples that scoring every sample would score and the method does
    not need, `samples_answered - samples_selected`.
    `evaluator_calls`: distinct (problem, solution) pairs sent to the evaluator now.
    """

    scorer: str
    method: str
    top_clusters: int
    problems: int
    problems_scored_now: int
    problems_already_scored: int
    problems_needing_no_score: int  # the samples the method looks at share one answer (or none has one)
    samples_total: int
    samples_answered: int
    samples_selected: int
    samples_scored_now: int
    evaluator_calls: int
    undefined_scores: int
    truncated_prompts: int
    seconds: float
    scores_on_file: bool = True  # scores.jsonl holds lines of this scorer (False: nothing ever needed one)

    @property
    def calls_saved(self) -> int:
        return self.samples_answered - self.samples_selected

    @property
    def fraction_of_answered(self) -> float:
        """Selected samples as a fraction of the answered samples (1.0 = no saving)."""
        return self.samples_selected / self.samples_answered if self.samples_answered else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "calls_saved": self.calls_saved, "fraction_of_answered": self.fraction_of_answered}


def top_cluster_ids(clusters: Sequence[int], top_clusters: int) -> set[int]:
    """The ids of exactly the `top_clusters` largest answer clusters (all when fewer are present);
    clusters tied at the cut go to the one that appears first. -1 (no answer) never counts."""
    if top_clusters < 1:
        raise ConfigError(f"top_clusters must be >= 1, got {top_clusters}")
    row = np.asarray([list(clusters)], dtype=np.int64).reshape(1, -1)
    if row.size == 0:
        return set()
    kept = SetStructure.of(row).top_cluster_members(top_clusters)[0]
    return {int(cluster) for cluster, keep in zip(row[0], kept) if keep}


def select_samples(clusters: Sequence[int], method: str, top_clusters: int = DEFAULT_TOP_CLUSTERS) -> list[int]:
    """Indices of the samples the method needs scored (see the module docstring)."""
    if method == "all":
        return [index for index, cluster in enumerate(clusters) if cluster >= 0]
    if method == "scr":
        kept = top_cluster_ids(clusters, top_clusters)
        if len(kept) < 2:
            return []  # one answer left: decided without the evaluator
        return [index for index, cluster in enumerate(clusters) if cluster in kept]
    raise ConfigError(f"unknown scoring method {method!r}; choose one of: {', '.join(METHODS)}")


def selection_label(method: str, top_clusters: int) -> str:
    """The `selection` written with each line of `scores.jsonl`."""
    return scr_selection(top_clusters) if method == "scr" else SELECTION_ALL


@dataclass(frozen=True)
class _GradedProblem:
    """What scoring needs of one graded problem before its samples are read: its sample count and
    the samples the method selects (texts are read later, a chunk at a time)."""

    samples: int
    answered: int
    selected: tuple[int, ...]


@dataclass(frozen=True)
class _Pending:
    """One problem's samples waiting in a chunk to be scored."""

    problem_id: str
    question: str
    indices: tuple[int, ...]
    texts: tuple[str, ...]
    samples: int


def _graded_problems(run: RunDir, method: str, top_clusters: int) -> dict[str, _GradedProblem]:
    """Each graded problem (in `graded.jsonl` order) with the samples the method selects, checked to
    cover exactly the sampled problems; read without the sample texts."""
    graded: dict[str, _GradedProblem] = {}
    for item in run.iter_grades():
        graded[item.problem_id] = _GradedProblem(
            samples=len(item.clusters), answered=sum(1 for cluster in item.clusters if cluster >= 0),
            selected=tuple(select_samples(item.clusters, method, top_clusters)))
    sampled = run.sampled_ids()
    ungraded = sorted(problem_id for problem_id in sampled if problem_id not in graded)
    if ungraded:
        raise InputError(f"problem '{ungraded[0]}' (and {len(ungraded) - 1} more) was sampled but not graded; "
                         f"run `evalkit grade-run {run.path}` first", path=run.graded_path)
    unsampled = [problem_id for problem_id in graded if problem_id not in sampled]
    if unsampled:
        raise InputError(f"problem '{unsampled[0]}' is graded but has no samples", path=run.graded_path,
                         field="problem_id")
    if not graded:
        raise InputError("no graded problems", path=run.graded_path)
    return graded


def _check_sample_count(sampled: ProblemSamples, graded: _GradedProblem, run: RunDir) -> None:
    if len(sampled.samples) != graded.samples:
        raise InputError(f"problem '{sampled.problem.id}' has {len(sampled.samples)} samples but "
                         f"{graded.samples} grades; grade the run again", path=run.graded_path, field="clusters")


def refuse_other_scorer(path: Path, existing: ScorerScores, evaluator: SolutionEvaluator) -> None:
    """Scores of one name must come from one evaluator: a ConfigError when `existing` (the lines
    already filed under `evaluator.name`) were imported with the samples or made by an evaluator
    with another fingerprint. Lines without a fingerprint (older files) are taken as this one's."""
    identity = getattr(evaluator, "identity", None)
    others = [known for known in existing.identities if known is not None and known != identity]
    if SELECTION_IMPORTED in existing.selections or others:
        made_by = "were imported with the samples" if SELECTION_IMPORTED in existing.selections else \
            f"were made by another evaluator (fingerprint {others[0]}, this one {identity or 'unknown'})"
        raise ConfigError(f"{path}: the scores named '{evaluator.name}' {made_by}; adding this evaluator's under "
                          "the same name would mix two scorers: give it another name with --scorer-name")


def score_run(run_dir: str | Path, evaluator: SolutionEvaluator, *, method: str = "scr",
              top_clusters: int = DEFAULT_TOP_CLUSTERS, batch_size: int | None = None,
              chunk_calls: int = DEFAULT_CHUNK_CALLS, show_progress: bool = True) -> ScoreSummary:
    """Score what `method` needs of the graded run in `run_dir`, appending to `scores.jsonl`.

    See the module docstring for the selection, deduplication and resume rules. `batch_size`
    goes to `SolutionEvaluator.score`; `chunk_calls` is how many evaluator calls are gathered
    before they are scored and appended.
    """
    select_samples([], method, top_clusters)  # validate method and top_clusters before any work
    if chunk_calls < 1:
        raise ConfigError(f"chunk_calls must be >= 1, got {chunk_calls}")
    started = time.perf_counter()
    run = RunDir(Path(run_dir))
    graded = _graded_problems(run, method, top_clusters)
    existing = read_scores(run.scores_path, {problem_id: item.samples for problem_id, item in graded.items()}
                           ).scorers.get(evaluator.name)
    if existing is not None:
        refuse_other_scorer(run.scores_path, existing, evaluator)
    mine = existing.by_problem if existing is not None else {}
    truncated_before = evaluator.truncated
    label = selection_label(method, top_clusters)

    todo: dict[str, list[int]] = {}  # problem id -> sample indices still to score, in graded order
    for problem_id, item in graded.items():
        have = mine.get(problem_id)
        missing = list(item.selected) if have is None else [i for i in item.selected if have[i] is None]
        if missing:
            todo[problem_id] = missing
    needing_none = sum(1 for item in graded.values() if not item.selected)
    samples_total = sum(item.samples for item in graded.values())
    samples_answered = sum(item.answered for item in graded.values())
    samples_selected = sum(len(item.selected) for item in graded.values())

    scored_now = calls = undefined = 0
    with make_progress(disable=not show_progress) as progress:
        task = progress.add_task(f"scoring with {evaluator.name} ({label})", total=len(todo))
        appender = ScoresAppender(run.scores_path) if todo else None

        def score_chunk(chunk: list[_Pending]) -> None:
            """Score one chunk of problems and append their lines."""
            nonlocal scored_now, calls, undefined
            assert appender is not None
            questions = [pending.question for pending in chunk for _ in pending.indices]
            solutions = [text for pending in chunk for text in pending.texts]
            values = evaluator.score(questions, solutions, batch_size=batch_size)
            calls += len(set(zip(questions, solutions)))
            position = 0
            for pending in chunk:
                line: list[float | None] = [None] * pending.samples
                for index in pending.indices:
                    value = values[position]
                    position += 1
                    if math.isnan(value):
                        undefined += 1
                    else:
                        line[index] = value
                        scored_now += 1
                appender.append(pending.problem_id, evaluator.name, line, selection=label,
                                scorer_id=getattr(evaluator, "identity", None))
            progress.advance(task, len(chunk))

        # The samples are streamed: only the texts of the chunk being gathered are in memory. A
        # chunk holds about `chunk_calls` samples to score; a problem is never split.
        chunk: list[_Pending] = []
        size = 0
        if todo:
            for sampled in run.iter_samples():
                item = graded[sampled.problem.id]
                _check_sample_count(sampled, item, run)
                indices = todo.get(sampled.problem.id)
                if indices is None:
                    continue
                fits = getattr(evaluator, "problem_fits", None)
                if fits is not None and not fits(sampled.problem.question):
                    raise InputError(
                        f"problem {sampled.problem.id!r}: its question alone does not fit the evaluator's context of "
                        f"{evaluator.max_prompt_tokens} tokens, so none of its solutions can be scored (the scores of "
                        f"{scored_now} samples scored before it are kept); rerank with an evaluator of a longer context",
                        path=run.samples_path, field="question")
                chunk.append(_Pending(sampled.problem.id, sampled.problem.question, tuple(indices),
                                      tuple(sampled.samples[i].text for i in indices), item.samples))
                size += len(indices)
                if size >= chunk_calls:
                    score_chunk(chunk)
                    chunk, size = [], 0
            if chunk:
                score_chunk(chunk)
        if appender is not None:
            appender.close()

    return ScoreSummary(
        scorer=evaluator.name, method=method, top_clusters=top_clusters, problems=len(graded),
        problems_scored_now=len(todo), problems_already_scored=len(graded) - len(todo) - needing_none,
        problems_needing_no_score=needing_none, scores_on_file=existing is not None or bool(todo),
        samples_total=samples_total, samples_answered=samples_answered, samples_selected=samples_selected,
        samples_scored_now=scored_now, evaluator_calls=calls, undefined_scores=undefined,
        truncated_prompts=evaluator.truncated - truncated_before, seconds=time.perf_counter() - started,
    )
