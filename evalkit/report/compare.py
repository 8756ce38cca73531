"""`evalkit compare`: two runs of one task, metric by metric, paired by problem.

Two models (or two settings of one model) sampled on the same problems are compared on the
problems both runs hold, matched by problem id: for each metric, each run's accuracy on those
problems and the difference A - B with a paired percentile-bootstrap interval (problems resampled
jointly, so the interval reflects how much the two runs agree problem by problem, which is far
tighter than two independent intervals), and how many problems each run does better on (per-problem
accuracy: pass@k's estimate, or a rule's credit). `comparison.json` also keeps the bootstrap share of
resamples in which A is not ahead (`fraction_not_positive`).

Rules and per-problem values are those of `evalkit report` (`evalkit.metrics`); a k above either
run's n is refused, and score rules (bon, scr, wmaj, wscr) need both runs scored (by the scorer
`--scorer` names when a run holds several), every sample a rule needs carrying a score, and SCR
keeping the same K in both (`--top-clusters`). Problems that only one run holds are counted and left
out, never filled in; runs of different tasks are refused, since their problem ids name different
problems, and so are runs whose grades are older than their samples (`evalkit report` grades them
again). The sampling settings of both runs are listed, with those that differ named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import ConfigError, InputError
from evalkit.metrics import (
    ALIASES_AT_N,
    RULE_ORDER,
    SCORE_RULES,
    evaluate_rules,
    metric_name,
    paired_bootstrap,
    pass_at_k,
    split_metric_name,
)
from evalkit.records import question_key
from evalkit.report import RunMatrices, load_run_matrices
from evalkit.report.settings import ReportSettings
from evalkit.report.tables import markdown_table
from evalkit.store import RunDir
from evalkit.text_safety import for_markdown

COMPARISON_JSON = "comparison.json"
COMPARISON_MD = "comparison.md"
FEW_PAIRED_PROBLEMS = 30
"""Below this many paired problems, a bootstrap interval says little: the output says so."""
SAMPLING_FIELDS = ("n", "temperature", "top_p", "max_tokens", "seed")
SAME = 1e-12


def default_comparison_metrics(n_a: int, n_b: int) -> list[str]:
    """pass@1 and maj@k at the largest k both runs have (k = the smaller n)."""
    k = min(n_a, n_b)
    return ["pass@1"] if k == 1 else ["pass@1", f"maj@{k}"]


def parse_comparison_metrics(names: Sequence[str], n_a: int, n_b: int) -> list[str]:
    """The metrics asked for, each as `rule@k` with a known rule and 1 <= k <= both n (`avg@k` is pass@1,
    `cons@k` maj@k), in the order given and each once; a `ConfigError` naming the first that is not."""
    known = [rule for rule in RULE_ORDER if rule != "first"]
    parsed: list[str] = []
    for name in names:
        try:
            rule, k = split_metric_name(name.strip())
        except ValueError as error:
            raise ConfigError(f"--metrics: {error}") from None
        if rule in ALIASES_AT_N:  # avg@n is pass@1 whatever n; cons@k is maj@k
            rule, k = split_metric_name(ALIASES_AT_N[rule].format(n=k))
        if rule not in known:
            raise ConfigError(f"--metrics {name}: unknown rule '{rule}'; known: {', '.join(known)} (and avg, cons)")
        if not 1 <= k <= min(n_a, n_b):
            raise ConfigError(f"--metrics {name}: needs 1 <= k <= n, and the runs have n = {n_a} and {n_b}")
        if metric_name(rule, k) not in parsed:
            parsed.append(metric_name(rule, k))
    return parsed


def _name(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value else None


def sampling_of(config: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that shape a run's samples, as its config records them (an import records none)."""
    sampling = config.get("sampling") if isinstance(config.get("sampling"), Mapping) else {}
    found = {name: sampling.get(name) for name in SAMPLING_FIELDS if sampling.get(name) is not None}
    prompt = config.get("prompt")
    if isinstance(prompt, (str, Mapping)):
        found["prompt"] = _name(config, "prompt")
    return found


def _check_graded(run: RunDir) -> None:
    from evalkit.pipeline.grade import needs_grading

    if needs_grading(run):
        raise InputError("its grades are older than its samples (or some problems are not graded yet): "
                         "`evalkit report` on it grades it again", path=run.path)


def _per_problem(matrices: RunMatrices, rows: np.ndarray, metric: str, *, top_clusters: int, subsets: int,
                 seed: int, path: Path) -> np.ndarray:
    rule, k = split_metric_name(metric)
    correct, clusters = matrices.correct[rows], matrices.clusters[rows]
    if rule == "pass":
        return pass_at_k(correct.shape[1], correct.sum(axis=1), k)
    scores = matrices.scores[rows] if matrices.scores is not None and rule in SCORE_RULES else None
    values = evaluate_rules(correct, clusters, scores, ks=[k], rules=[rule], top_clusters=top_clusters,
                            subsets=subsets, seed=seed)[metric]
    if rule in SCORE_RULES and not np.all(values.coverage >= 1.0):
        share = float(np.mean(values.coverage >= 1.0))
        raise InputError(f"{metric} needs a score on every sample it looks at, and {100 * share:.1f}% of the "
                         f"paired problems have them (`evalkit rerank` scores the rest)", path=path)
    return values.accuracy


def compare_runs(run_a: str | Path, run_b: str | Path, *, metrics: Sequence[str] | None = None,
                 top_clusters: int | None = None, subsets: int | None = None, seed: int = 0,
                 confidence: float = 0.95, resamples: int = 1000, scorer: str | None = None) -> dict[str, Any]:
    """The comparison document of two graded runs (module docstring): `runs` (model, task, n, problems,
    scorer, sampling, path), `problems` (paired, only in A, only in B), `sampling_differs`, `settings`, and per
    metric `a`, `b` (means over the paired problems), `difference` (value, ci, fraction_not_positive),
    `a_better`, `b_better`, `same`."""
    paths = (Path(run_a), Path(run_b))
    if paths[0].resolve() == paths[1].resolve():
        raise ConfigError(f"compare: both runs are {paths[0]}; give two different run directories")
    runs = [RunDir(path) for path in paths]
    configs = [run.read_config() for run in runs]
    for run in runs:
        _check_graded(run)
    tasks = [_name(config, "task") for config in configs]
    if tasks[0] != tasks[1]:
        raise ConfigError(f"compare: {paths[0]} is a run of {tasks[0] or 'an unnamed task'} and {paths[1]} of "
                          f"{tasks[1] or 'an unnamed task'}; problem ids of different tasks name different problems")
    # a score rule is never an alias, so the rules asked for say whether scores are read, before n is known
    uses_scores = any(name.rpartition("@")[0].strip() in SCORE_RULES for name in metrics or ())
    matrices = [load_run_matrices(path, scorer=scorer, with_scores=uses_scores) for path in paths]
    ns = [item.correct.shape[1] for item in matrices]
    names = parse_comparison_metrics(metrics, *ns) if metrics else default_comparison_metrics(*ns)
    if uses_scores:
        unscored = [str(path) for path, item in zip(paths, matrices) if item.scores is None]
        if unscored:
            raise ConfigError(f"compare: the score rules asked for need evaluator scores, and {', '.join(unscored)} "
                              "has none (`evalkit rerank` scores a run)")
        if top_clusters is None:
            ks = [ReportSettings.for_run(config, scorer=item.scorer, source=str(run.config_path)).top_clusters
                  for config, item, run in zip(configs, matrices, runs)]
            if ks[0] != ks[1]:
                raise ConfigError(f"compare: the runs were reranked keeping K = {ks[0]} and K = {ks[1]} clusters; "
                                  "give --top-clusters to compare SCR with one K")
            top_clusters = ks[0]
    top_clusters = top_clusters if top_clusters is not None else ReportSettings().top_clusters
    subsets = subsets if subsets is not None else ReportSettings().subsets

    ids_b = set(matrices[1].problem_ids)
    paired = [problem for problem in matrices[0].problem_ids if problem in ids_b]
    if not paired:
        raise InputError(f"compare: no problem id is in both runs ({paths[0]}: {len(matrices[0].problem_ids)} "
                         f"problems, {paths[1]}: {len(matrices[1].problem_ids)}), so there is nothing to pair")
    _check_same_problems(matrices, paths, paired)
    rows = [_rows_of(item.problem_ids, paired) for item in matrices]
    results: dict[str, Any] = {}
    for name in names:
        a, b = (_per_problem(item, row, name, top_clusters=top_clusters, subsets=subsets, seed=seed, path=path)
                for item, row, path in zip(matrices, rows, paths))
        difference = paired_bootstrap(a, b, confidence=confidence, resamples=resamples, seed=seed)
        results[name] = {"a": float(a.mean()), "b": float(b.mean()), "difference": difference.to_dict(),
                         "a_better": int(np.sum(a > b + SAME)), "b_better": int(np.sum(b > a + SAME)),
                         "same": int(np.sum(np.abs(a - b) <= SAME))}
    sampling = [sampling_of(config) for config in configs]
    differs = sorted(name for name in set(sampling[0]) | set(sampling[1]) if sampling[0].get(name) != sampling[1].get(name))
    return {
        "runs": [{"label": label, "path": str(path), "model": _name(config, "model") or path.name,
                  "task": _name(config, "task"), "n": n, "problems": len(item.problem_ids), "scorer": item.scorer,
                  "sampling": settings}
                 for label, path, config, item, n, settings in zip("AB", paths, configs, matrices, ns, sampling)],
        "problems": {"paired": len(paired), "only_in_a": len(matrices[0].problem_ids) - len(paired),
                     "only_in_b": len(matrices[1].problem_ids) - len(paired)},
        "sampling_differs": differs,
        "settings": {"confidence": confidence, "resamples": resamples, "seed": seed, "subsets": subsets,
                     "top_clusters": top_clusters if uses_scores else None},
        "metrics": results,
    }


def _check_same_problems(matrices: Sequence[RunMatrices], paths: Sequence[Path], paired: Sequence[str]) -> None:
    """Refuse to pair problems whose ids are the same but whose questions differ: the ids of the two runs then
    name different problems (an import numbered by its tool's index, `0`, `1`, ..., in another order)."""
    questions = [dict(zip(item.problem_ids, item.questions)) for item in matrices]
    differ = [problem for problem in paired if questions[0].get(problem) is not None
              and questions[1].get(problem) is not None
              and question_key(questions[0][problem]) != question_key(questions[1][problem])]
    if differ:
        more = f" (and {len(differ) - 1} more of the {len(paired)} paired)" if len(differ) > 1 else ""
        raise InputError(f"compare: problem '{differ[0]}' has another question in {paths[0]} than in "
                         f"{paths[1]}{more}: the two runs' ids name different problems, so pairing them by id "
                         "would compare unrelated problems (an import keeps its tool's own ids, often its line index)")


def _rows_of(problem_ids: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    position = {problem: index for index, problem in enumerate(problem_ids)}
    return np.array([position[problem] for problem in wanted], dtype=np.int64)


def _points(value: float, signed: bool = False) -> str:
    """A fraction in percentage points to one decimal; a value that rounds to zero prints without a minus sign."""
    points = round(100 * value, 1) or 0.0  # -0.0 is 0.0
    return f"{points:+.1f}" if signed else f"{points:.1f}"


def comparison_header(document: Mapping[str, Any]) -> list[str]:
    level = round(100 * document["settings"]["confidence"])
    return ["metric", "A, %", "B, %", f"A - B, points [{level}% CI]", "problems A better / B better / same"]


def comparison_rows(document: Mapping[str, Any]) -> list[list[str]]:
    """Table rows: metric, A and B in %, A - B in points with its interval, problems A better / B better / same."""
    rows = []
    for name, item in document["metrics"].items():
        difference = item["difference"]
        low, high = difference["ci"]
        rows.append([name, _points(item["a"]), _points(item["b"]),
                     f"{_points(difference['value'], True)} [{_points(low, True)}, {_points(high, True)}]",
                     f"{item['a_better']} / {item['b_better']} / {item['same']}"])
    return rows


def problems_line(document: Mapping[str, Any]) -> str:
    """How many problems were paired, and how many only one run holds."""
    problems = document["problems"]
    line = f"{problems['paired']} problems in both runs"
    left = [f"{problems[key]} only in {label}" for key, label in (("only_in_a", "A"), ("only_in_b", "B"))
            if problems[key]]
    return line + (f" ({', '.join(left)}: left out)" if left else "")


def comparison_notes(document: Mapping[str, Any]) -> list[str]:
    """What a reader of the table must know: few paired problems, sampling settings that differ, the scorers
    and the K of SCR."""
    notes = []
    paired = document["problems"]["paired"]
    if paired < FEW_PAIRED_PROBLEMS:
        notes.append(f"only {paired} paired problem{'s' if paired != 1 else ''}: with so few, the interval says "
                     "little about the models")
    differs = document.get("sampling_differs") or []
    if differs:
        a, b = (run["sampling"] for run in document["runs"])
        notes.append("the runs were sampled with other settings: " + "; ".join(
            f"{name} {a.get(name, 'not recorded')} (A) vs {b.get(name, 'not recorded')} (B)" for name in differs))
    top_clusters = document["settings"].get("top_clusters")
    if top_clusters is not None:
        scorers = [run["scorer"] for run in document["runs"]]
        notes.append(f"scores by {scorers[0]} (A) and {scorers[1]} (B); SCR keeps K = {top_clusters} clusters")
    return notes


def comparison_markdown(document: Mapping[str, Any]) -> str:
    """`comparison.md`: the two runs, the problems paired, the notes and the table (every text escaped)."""
    settings = document["settings"]
    lines = ["# Comparison of two runs, paired by problem", ""]
    lines += [f"- {run['label']}: " + for_markdown(f"{run['model']} on {run['task'] or 'an unnamed task'}, n = {run['n']}, "
                                                 f"{run['problems']} problems ({run['path']})")
              for run in document["runs"]]
    lines += ["", for_markdown(problems_line(document)) + ".", ""]
    lines += [f"Note: {for_markdown(note)}." for note in comparison_notes(document)]
    lines += ["", markdown_table(comparison_header(document), comparison_rows(document), [False] + [True] * 4),
              f"Accuracy over the paired problems; A - B with a {round(100 * settings['confidence'])}% paired "
              f"percentile-bootstrap interval ({settings['resamples']} resamples of the problems, seed "
              f"{settings['seed']}); a problem counts as better for the run with the higher per-problem value "
              "(pass@k's estimate, or the rule's credit)."]
    return "\n".join(lines) + "\n"
