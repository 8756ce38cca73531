"""Score the samples of a graded run with a solution evaluator, writing `scores.jsonl`.

Which samples get a score depends on the method:

- `"scr"` (Solution-Cluster Reranking, Liu et al. 2023): only the samples in the `top_clusters`
  most frequent answer clusters of each problem, counted over all N samples. Clusters tied with
  the K-th are kept too, the rule of `evalkit.metrics`. This is what `scr@N` needs; for k < N a
  k-subset's top clusters can include others, whose samples stay unscored and are handled by the
  metrics' fallbacks, so for exact `scr@k`, `bon@k` and `wmaj@k` at every k use `"all"`.
- `"all"`: every sample with an answer (for best-of-n and weighted majority).

Samples without an answer (cluster -1) are never scored: no rule can pick them. Identical
(problem, solution) pairs are scored once.

`scores.jsonl` holds one line `{"problem_id", "scorer", "scores"}` per problem and scorer, with
`null` for an unscored sample. Lines of other scorers are kept as they are. Scoring resumes: a
problem whose samples already carry this scorer's scores is skipped, and one scored under a
narrower method gets only its missing samples scored. The whole file is rewritten atomically
after every chunk of problems, so a killed run loses at most the chunk in progress.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import iter_jsonl, write_jsonl
from evalkit.metrics import DEFAULT_TOP_CLUSTERS
from evalkit.progress import make_progress
from evalkit.store import ProblemGrades, ProblemSamples, RunDir
from reranker.evaluator import SolutionEvaluator

METHODS = ("scr", "all")
# Evaluator calls gathered (across problems) before they are scored and the file is rewritten.
DEFAULT_CHUNK_CALLS = 256


@dataclass(frozen=True)
class ScoreSummary:
    """What one `score_run` did.

    `samples_selected`: the samples the method needs scored (already scored or not);
    `calls_saved`: samples best-of-n would score that the method does not need,
    `samples_total - samples_selected` (the saving of SCR over scoring all).
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
        return self.samples_total - self.samples_selected

    @property
    def fraction_of_all(self) -> float:
        """Selected samples as a fraction of all samples (1.0 = no saving)."""
        return self.samples_selected / self.samples_total if self.samples_total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "calls_saved": self.calls_saved, "fraction_of_all": self.fraction_of_all}


def top_cluster_ids(clusters: Sequence[int], top_clusters: int) -> set[int]:
    """The ids of the `top_clusters` most frequent answer clusters (-1, no answer, never counts).

    Clusters tied in frequency with the K-th are all kept, as in `evalkit.metrics`.
    """
    if top_clusters < 1:
        raise ConfigError(f"top_clusters must be >= 1, got {top_clusters}")
    counts: dict[int, int] = {}
    for cluster in clusters:
        if cluster >= 0:
            counts[cluster] = counts.get(cluster, 0) + 1
    if not counts:
        return set()
    ranked = sorted(counts.values(), reverse=True)
    threshold = ranked[min(top_clusters, len(ranked)) - 1]
    return {cluster for cluster, count in counts.items() if count >= threshold}


def select_samples(clusters: Sequence[int], method: str, top_clusters: int = DEFAULT_TOP_CLUSTERS) -> list[int]:
    """Indices of the samples the method needs scored (see the module docstring)."""
    if method == "all":
        return [index for index, cluster in enumerate(clusters) if cluster >= 0]
    if method == "scr":
        kept = top_cluster_ids(clusters, top_clusters)
        return [index for index, cluster in enumerate(clusters) if cluster in kept]
    raise ConfigError(f"unknown scoring method {method!r}; choose one of: {', '.join(METHODS)}")


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


def read_scores_file(path: Path, num_samples: dict[str, int]) -> list[dict[str, Any]]:
    """The records of an existing `scores.jsonl`, checked: known problems, one line per problem
    and scorer, one finite number or null per sample. Missing file: no records."""
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in iter_jsonl(path, tolerate_partial_tail=True):
        problem_id, scorer, scores = record.get("problem_id"), record.get("scorer"), record.get("scores")
        if not isinstance(problem_id, str):
            raise InputError("missing or not a string", path=path, line=line, field="problem_id")
        if not isinstance(scorer, str):
            raise InputError("missing or not a string", path=path, line=line, field="scorer")
        if not isinstance(scores, list):
            raise InputError("expected a list", path=path, line=line, field="scores")
        if problem_id not in num_samples:
            raise InputError(f"problem '{problem_id}' is not in the run's graded.jsonl", path=path, line=line,
                             field="problem_id")
        if len(scores) != num_samples[problem_id]:
            raise InputError(f"problem '{problem_id}' has {len(scores)} scores but {num_samples[problem_id]} "
                             "samples", path=path, line=line, field="scores")
        if any(value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value)) for value in scores):
            raise InputError("scores must be finite numbers or null", path=path, line=line, field="scores")
        key = (problem_id, scorer)
        if key in seen:
            raise InputError(f"problem '{problem_id}' scored twice by '{scorer}' (first on line {seen[key]})",
                             path=path, line=line, field="problem_id")
        seen[key] = line
        records.append(record)
    return records


def score_run(run_dir: str | Path, evaluator: SolutionEvaluator, *, method: str = "scr",
              top_clusters: int = DEFAULT_TOP_CLUSTERS, batch_size: int | None = None,
              chunk_calls: int = DEFAULT_CHUNK_CALLS, show_progress: bool = True) -> ScoreSummary:
    """Score what `method` needs of the graded run in `run_dir` and write `scores.jsonl`.

    See the module docstring for the selection, deduplication and resume rules. `batch_size`
    goes to `SolutionEvaluator.score`; `chunk_calls` is how many evaluator calls are gathered
    before they are scored and the file is rewritten.
    """
    select_samples([], method, top_clusters)  # validate method and top_clusters before any work
    if chunk_calls < 1:
        raise ConfigError(f"chunk_calls must be >= 1, got {chunk_calls}")
    started = time.perf_counter()
    run = RunDir(Path(run_dir))
    pairs = _paired_problems(run)
    records = read_scores_file(run.scores_path, {s.problem.id: len(s.samples) for s, _ in pairs})
    mine = {record["problem_id"]: record for record in records if record["scorer"] == evaluator.name}
    truncated_before = evaluator.truncated

    todo: list[tuple[str, str, list[int]]] = []  # (problem id, question, sample indices to score)
    samples_total = samples_answered = samples_selected = 0
    for sampled, grades in pairs:
        selected = select_samples(grades.clusters, method, top_clusters)
        samples_total += len(grades.clusters)
        samples_answered += sum(1 for cluster in grades.clusters if cluster >= 0)
        samples_selected += len(selected)
        existing = mine.get(sampled.problem.id)
        missing = selected if existing is None else [i for i in selected if existing["scores"][i] is None]
        if existing is None or missing:
            todo.append((sampled.problem.id, sampled.problem.question, missing))
    texts = {sampled.problem.id: [sample.text for sample in sampled.samples] for sampled, _ in pairs}

    scored_now = calls = undefined = 0
    with make_progress(disable=not show_progress) as progress:
        task = progress.add_task(f"scoring with {evaluator.name} ({method})", total=len(todo))
        for chunk in _chunks(todo, chunk_calls):
            questions = [question for _, question, indices in chunk for _ in indices]
            solutions = [texts[problem_id][i] for problem_id, _, indices in chunk for i in indices]
            values = evaluator.score(questions, solutions, batch_size=batch_size)
            calls += len(set(zip(questions, solutions)))
            position = 0
            for problem_id, _, indices in chunk:
                record = mine.get(problem_id)
                if record is None:
                    record = {"problem_id": problem_id, "scorer": evaluator.name,
                              "scores": [None] * len(texts[problem_id])}
                    mine[problem_id] = record
                    records.append(record)
                for index in indices:
                    value = values[position]
                    position += 1
                    if math.isnan(value):
                        undefined += 1
                    else:
                        record["scores"][index] = value
                        scored_now += 1
            write_jsonl(run.scores_path, records)
            progress.advance(task, len(chunk))

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
