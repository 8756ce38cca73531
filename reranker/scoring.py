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
from evalkit.store import ProblemGrades, ProblemSamples, RunDir
from evalkit.store.scores import SELECTION_ALL, ScoresAppender, read_scores, scr_selection
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
    samples_total: int
    samples_answered: int
    samples_selected: int
    samples_scored_now: int
    evaluator_calls: int
    undefined_scores: int
    truncated_prompts: int
    seconds: float

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


def _paired_problems(run: RunDir) -> list[tuple[ProblemSamples, ProblemGrades]]:
    """Each graded problem with its samples, checked to agree (same problems, same sample counts)."""
    grades = run.read_grades()
    samples = {item.problem.id: item for item in run.read_samples()}
    graded_ids = {item.problem_id for item in grades}
    ungraded = [problem_id for problem_id in samples if problem_id not in graded_ids]
    if ungraded:
        raise InputError(f"problem '{ungraded[0]}' (and {len(ungraded) - 1} more) was sampled but not graded; "
                         f"run `evalkit grade-run {run.path}` first", path=run.graded_path)
    pairs = []
    for item in grades:
        sampled = samples.get(item.problem_id)
        if sampled is None:
            raise InputError(f"problem '{item.problem_id}' is graded but has no samples", path=run.graded_path,
                             field="problem_id")
        if len(sampled.samples) != len(item.clusters):
            raise InputError(f"problem '{item.problem_id}' has {len(sampled.samples)} samples but "
                             f"{len(item.clusters)} grades; grade the run again", path=run.graded_path,
                             field="clusters")
        pairs.append((sampled, item))
    if not pairs:
        raise InputError("no graded problems", path=run.graded_path)
    return pairs


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
    pairs = _paired_problems(run)
    existing = read_scores(run.scores_path, {s.problem.id: len(s.samples) for s, _ in pairs}).scorers.get(
        evaluator.name)
    mine = existing.by_problem if existing is not None else {}
    truncated_before = evaluator.truncated
    label = selection_label(method, top_clusters)

    todo: list[tuple[str, str, list[int]]] = []  # (problem id, question, sample indices to score)
    samples_total = samples_answered = samples_selected = 0
    for sampled, grades in pairs:
        selected = select_samples(grades.clusters, method, top_clusters)
        samples_total += len(grades.clusters)
        samples_answered += sum(1 for cluster in grades.clusters if cluster >= 0)
        samples_selected += len(selected)
        have = mine.get(sampled.problem.id)
        missing = selected if have is None else [i for i in selected if have[i] is None]
        if missing:
            todo.append((sampled.problem.id, sampled.problem.question, missing))
    texts = {sampled.problem.id: [sample.text for sample in sampled.samples] for sampled, _ in pairs}

    scored_now = calls = undefined = 0
    with make_progress(disable=not show_progress) as progress:
        task = progress.add_task(f"scoring with {evaluator.name} ({label})", total=len(todo))
        appender = ScoresAppender(run.scores_path) if todo else None
        for chunk in _chunks(todo, chunk_calls):
            assert appender is not None
            questions = [question for _, question, indices in chunk for _ in indices]
            solutions = [texts[problem_id][i] for problem_id, _, indices in chunk for i in indices]
            values = evaluator.score(questions, solutions, batch_size=batch_size)
            calls += len(set(zip(questions, solutions)))
            position = 0
            for problem_id, _, indices in chunk:
                line: list[float | None] = [None] * len(texts[problem_id])
                for index in indices:
                    value = values[position]
                    position += 1
                    if math.isnan(value):
                        undefined += 1
                    else:
                        line[index] = value
                        scored_now += 1
                appender.append(problem_id, evaluator.name, line, selection=label)
            progress.advance(task, len(chunk))
        if appender is not None:
            appender.close()

    return ScoreSummary(
        scorer=evaluator.name, method=method, top_clusters=top_clusters, problems=len(pairs),
        problems_scored_now=len(todo), problems_already_scored=len(pairs) - len(todo),
        samples_total=samples_total, samples_answered=samples_answered, samples_selected=samples_selected,
        samples_scored_now=scored_now, evaluator_calls=calls, undefined_scores=undefined,
        truncated_prompts=evaluator.truncated - truncated_before, seconds=time.perf_counter() - started,
    )


def _chunks(todo: list[tuple[str, str, list[int]]], chunk_calls: int) -> list[list[tuple[str, str, list[int]]]]:
    """Consecutive groups of problems holding about `chunk_calls` samples to score each
    (a problem is never split; a problem with nothing to score still gets its line written)."""
    chunks: list[list[tuple[str, str, list[int]]]] = []
    current: list[tuple[str, str, list[int]]] = []
    size = 0
    for item in todo:
        current.append(item)
        size += len(item[2])
        if size >= chunk_calls:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks
