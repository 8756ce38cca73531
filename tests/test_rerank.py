"""Tests of `reranker.scoring` (which samples get scored, scores.jsonl, resume) and `evalkit rerank`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_jsonl
from reranker.cli import rerank_command
from reranker.evaluator import SolutionEvaluator
from evalkit.store.scores import read_scores
from reranker.scoring import score_run, select_samples, top_cluster_ids

SCORE_IN_TEXT = re.compile(r"score=([0-9.]+)")


class TextScoredBackend:
    """A fake evaluator backend: each solution carries its own score as `score=0.NN`, which the
    backend turns into the two verdict log-probabilities. Records every prompt it is sent."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.prompts: list[str] = []
        self.fail_after = fail_after

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        if self.fail_after is not None and len(self.prompts) + len(prompts) > self.fail_after:
            raise KeyboardInterrupt("simulated kill")
        self.prompts.extend(prompts)
        rows = []
        for prompt in prompts:
            score = float(SCORE_IN_TEXT.findall(prompt)[-1])
            rows.append({candidates[0]: math.log(score), candidates[1]: math.log(1.0 - score)})
        return rows

    def scored_solutions(self) -> list[str]:
        return [re.search(r"candidate solution: (.*)\n", prompt).group(1) for prompt in self.prompts]


def solution(problem: int, index: int, score: float) -> str:
    return f"p{problem} s{index}: the answer is boxed. score={score:.2f}"


def write_run(root: Path, problems: list[dict], *, name: str = "run", graded: bool = True) -> Path:
    """A run directory by hand. Each problem: `clusters`, `correct`, `scores` (one per sample, the
    score the fake evaluator will give), optional `texts` (default: made from the scores)."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    n = len(problems[0]["clusters"])
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"model": "tiny", "task": "math500", "n": n,
                                                         "config_hash": f"hash-{name}"}))
    samples, grades = [], []
    for p, spec in enumerate(problems):
        texts = spec.get("texts") or [solution(p, i, s) for i, s in enumerate(spec["scores"])]
        samples.append({"problem_id": f"prob-{p}", "task": "math500", "question": f"Question number {p}?",
                        "reference": "1", "meta": {"level": f"Level {1 + p % 2}"},
                        "samples": [{"index": i, "text": text} for i, text in enumerate(texts)]})
        grades.append({"problem_id": f"prob-{p}", "clusters": spec["clusters"], "correct": spec["correct"],
                       "answers": [None if c < 0 else str(c) for c in spec["clusters"]],
                       "reasons": ["no_answer" if c < 0 else "ok" for c in spec["clusters"]]})
    (run_dir / "samples.jsonl").write_text("".join(json.dumps(line) + "\n" for line in samples))
    if graded:
        (run_dir / "graded.jsonl").write_text("".join(json.dumps(line) + "\n" for line in grades))
    return run_dir


# Problem 0: cluster sizes 3, 2, 2, 1 and one abstention; the top-1 cluster is {0}, the top-2
# clusters are {0, 1} (1 and 2 tie for second place: 1 appears first). The singleton cluster 3
# holds the highest-scored solution, which is wrong; cluster 1 holds the right answer.
PROBLEM_0 = {"clusters": [0, 0, 0, 1, 1, 2, 2, 3, -1],
             "correct": [False, False, False, True, True, False, False, False, False],
             "scores": [0.30, 0.20, 0.25, 0.80, 0.70, 0.40, 0.10, 0.99, 0.95]}
# Problem 1: 4 + 3 + 1 + 1, the majority is right.
PROBLEM_1 = {"clusters": [0, 1, 0, 0, 2, 1, 3, 1, 0],
             "correct": [True, False, True, True, False, False, False, False, True],
             "scores": [0.60, 0.65, 0.55, 0.50, 0.90, 0.70, 0.30, 0.20, 0.52]}


def test_top_cluster_ids_keeps_exactly_k_and_ignores_abstentions():
    assert top_cluster_ids(PROBLEM_0["clusters"], 1) == {0}
    assert top_cluster_ids(PROBLEM_0["clusters"], 2) == {0, 1}
    assert top_cluster_ids(PROBLEM_0["clusters"], 3) == {0, 1, 2}
    assert top_cluster_ids([3, 2, 1, 0, 0], 2) == {0, 3}  # the 1-1-1 tie goes to cluster 3, seen first
    assert top_cluster_ids(PROBLEM_0["clusters"], 4) == {0, 1, 2, 3}
    assert top_cluster_ids([-1, -1], 8) == set()
    with pytest.raises(ConfigError):
        top_cluster_ids([0], 0)


def test_select_samples_by_method():
    assert select_samples(PROBLEM_0["clusters"], "scr", 1) == []  # one cluster kept: decided, no call
    assert select_samples(PROBLEM_0["clusters"], "scr", 2) == [0, 1, 2, 3, 4]
    assert select_samples(PROBLEM_0["clusters"], "all", 1) == [0, 1, 2, 3, 4, 5, 6, 7]
    with pytest.raises(ConfigError, match="unknown scoring method"):
        select_samples([0], "bon", 1)


@pytest.mark.parametrize("top_k, expected_indices", [(2, {0: [0, 1, 2, 3, 4], 1: [0, 1, 2, 3, 5, 7, 8]}),
                                                     (3, {0: [0, 1, 2, 3, 4, 5, 6], 1: [0, 1, 2, 3, 4, 5, 7, 8]})])
def test_scr_scores_only_the_top_k_clusters(tmp_path, top_k, expected_indices):
    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    backend = TextScoredBackend()
    summary = score_run(run_dir, SolutionEvaluator(backend, name="fake"), method="scr", top_clusters=top_k,
                        show_progress=False)
    specs = [PROBLEM_0, PROBLEM_1]
    expected_texts = sorted(solution(p, i, specs[p]["scores"][i]) for p, idx in expected_indices.items() for i in idx)
    assert sorted(backend.scored_solutions()) == expected_texts
    lines = read_jsonl(run_dir / "scores.jsonl")
    assert [line["problem_id"] for line in lines] == ["prob-0", "prob-1"]
    for p, line in enumerate(lines):
        assert line["scorer"] == "fake" and line["selection"] == f"scr-top{top_k}"
        for i, value in enumerate(line["scores"]):
            if i in expected_indices[p]:
                assert value == pytest.approx(specs[p]["scores"][i])
            else:
                assert value is None
    selected = sum(len(v) for v in expected_indices.values())
    assert summary.samples_total == 18 and summary.samples_answered == 17
    assert summary.samples_selected == selected == summary.samples_scored_now == summary.evaluator_calls
    assert summary.calls_saved == 17 - selected  # against the answered samples, not all 18


def test_all_scores_every_answered_sample_and_dedupes_identical_solutions(tmp_path):
    texts = ["same text score=0.60", "same text score=0.60", "other score=0.30", "no answer score=0.50"]
    run_dir = write_run(tmp_path, [{"clusters": [0, 0, 1, -1], "correct": [True, True, False, False],
                                    "scores": [0.6, 0.6, 0.3, 0.5], "texts": texts}])
    backend = TextScoredBackend()
    summary = score_run(run_dir, SolutionEvaluator(backend, name="fake"), method="all", show_progress=False)
    assert sorted(backend.scored_solutions()) == ["other score=0.30", "same text score=0.60"]
    [line] = read_jsonl(run_dir / "scores.jsonl")
    assert line["scores"][3] is None and line["scores"][:3] == pytest.approx([0.6, 0.6, 0.3])
    assert summary.samples_scored_now == 3 and summary.evaluator_calls == 2


def test_killed_scoring_resumes_with_only_the_rest(tmp_path):
    problems = [{"clusters": [0, 1, 2], "correct": [True, False, False], "scores": [0.1 + p / 100, 0.5, 0.7]}
                for p in range(6)]
    run_dir = write_run(tmp_path, problems)
    killed = TextScoredBackend(fail_after=9)
    with pytest.raises(KeyboardInterrupt):
        score_run(run_dir, SolutionEvaluator(killed, name="fake"), method="all", chunk_calls=3, show_progress=False)
    assert len(killed.prompts) == 9
    assert [line["problem_id"] for line in read_jsonl(run_dir / "scores.jsonl")] == ["prob-0", "prob-1", "prob-2"]

    resumed = TextScoredBackend()
    summary = score_run(run_dir, SolutionEvaluator(resumed, name="fake"), method="all", chunk_calls=3,
                        show_progress=False)
    assert sorted(resumed.scored_solutions()) == sorted(solution(p, i, problems[p]["scores"][i])
                                                        for p in range(3, 6) for i in range(3))
    assert summary.problems_already_scored == 3 and summary.problems_scored_now == 3
    lines = read_jsonl(run_dir / "scores.jsonl")
    assert [line["problem_id"] for line in lines] == [f"prob-{p}" for p in range(6)]
    assert all(None not in line["scores"] for line in lines)

    again = TextScoredBackend()
    assert score_run(run_dir, SolutionEvaluator(again, name="fake"), method="all", show_progress=False
                     ).samples_scored_now == 0
    assert again.prompts == []


def test_widening_scr_to_all_scores_only_the_missing_samples_and_keeps_other_scorers(tmp_path):
    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    other = {"problem_id": "prob-1", "scorer": "other", "scores": [0.5] * 9}
    (run_dir / "scores.jsonl").write_text(json.dumps(other) + "\n")
    first = TextScoredBackend()
    score_run(run_dir, SolutionEvaluator(first, name="fake"), method="scr", top_clusters=2, show_progress=False)
    second = TextScoredBackend()
    summary = score_run(run_dir, SolutionEvaluator(second, name="fake"), method="all", show_progress=False)
    assert len(first.prompts) == 12 and len(second.prompts) == 17 - 12 == summary.samples_scored_now
    assert not set(first.prompts) & set(second.prompts)
    lines = read_jsonl(run_dir / "scores.jsonl")
    assert lines[0] == other  # appended after, never rewritten
    assert [(line["problem_id"], line.get("selection")) for line in lines[1:]] == [
        ("prob-0", "scr-top2"), ("prob-1", "scr-top2"), ("prob-0", "all"), ("prob-1", "all")]
    merged = read_scores(run_dir / "scores.jsonl", {"prob-0": 9, "prob-1": 9}).choose("fake")
    fake = merged.by_problem
    assert merged.selections == ("scr-top2", "all")
    assert fake["prob-0"][:8] == pytest.approx(PROBLEM_0["scores"][:8]) and fake["prob-0"][8] is None
    assert fake["prob-1"] == pytest.approx(PROBLEM_1["scores"])


def test_scr_picks_the_best_solution_inside_the_top_clusters_through_the_metrics(tmp_path):
    from evalkit.report import build_run_metrics

    run_dir = write_run(tmp_path, [PROBLEM_0])
    score_run(run_dir, SolutionEvaluator(TextScoredBackend(), name="fake"), method="all", show_progress=False)
    metrics = build_run_metrics(run_dir, ks=[9], top_clusters=2, resamples=10, show_progress=False)["metrics"]
    # maj picks cluster 0 (wrong); best-of-n picks the 0.99 singleton outside the top clusters
    # (wrong); SCR keeps clusters {0, 1} and picks the 0.80 solution of cluster 1 (right).
    assert metrics["maj@9"]["value"] == 0.0
    assert metrics["bon@9"]["value"] == 0.0
    assert metrics["scr@9"]["value"] == 1.0

    scr_only = write_run(tmp_path, [PROBLEM_0], name="scr-only")
    score_run(scr_only, SolutionEvaluator(TextScoredBackend(), name="fake"), method="scr", top_clusters=2,
              show_progress=False)
    document = build_run_metrics(scr_only, ks=[9], top_clusters=2, resamples=10, show_progress=False)
    assert document["metrics"]["scr@9"]["value"] == 1.0
    assert document["evaluator_calls"]["scr@9"]["per_problem"] == 5.0
    assert document["evaluator_calls"]["scr@9"]["answered_per_problem"] == 8.0
    # best-of-n and W.RR need every answered sample scored: not reported, and the document says why
    assert "bon@9" not in document["metrics"] and "wmaj@9" not in document["metrics"]
    assert set(document["not_reported"]) == {"bon@9", "wmaj@9"}
    assert document["scoring"]["selections"] == ["scr-top2"] and document["scoring"]["scored"] == 5


def test_run_without_grades_is_a_clear_error(tmp_path):
    run_dir = write_run(tmp_path, [PROBLEM_0], graded=False)
    with pytest.raises(InputError, match="grade-run"):
        score_run(run_dir, SolutionEvaluator(TextScoredBackend()), show_progress=False)


def test_grades_that_do_not_match_the_samples_are_a_clear_error(tmp_path):
    run_dir = write_run(tmp_path, [PROBLEM_0])
    graded = read_jsonl(run_dir / "graded.jsonl")
    graded[0] = {**graded[0], **{key: graded[0][key][:-1] for key in ("clusters", "correct", "answers", "reasons")}}
    (run_dir / "graded.jsonl").write_text(json.dumps(graded[0]) + "\n")
    with pytest.raises(InputError, match="has 9 samples but 8 grades"):
        score_run(run_dir, SolutionEvaluator(TextScoredBackend()), show_progress=False)


def test_malformed_scores_file_is_a_clear_error(tmp_path):
    run_dir = write_run(tmp_path, [PROBLEM_0])
    (run_dir / "scores.jsonl").write_text(json.dumps({"problem_id": "prob-0", "scorer": "fake",
                                                      "scores": [0.5] * 3}) + "\n")
    with pytest.raises(InputError, match=r"scores.jsonl:1: field 'scores'"):
        score_run(run_dir, SolutionEvaluator(TextScoredBackend(), name="fake"), show_progress=False)


# ------------------------------------------------------------------ with the tiny model


class RecordingProxy:
    """Passes calls to a real backend, recording the prompts."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.tokenizer = backend.tokenizer
        self.model = backend.model
        self.prompts: list[str] = []

    def next_token_logprobs(self, prompts, candidates):
        self.prompts.extend(prompts)
        return self.backend.next_token_logprobs(prompts, candidates)


def test_scr_with_the_tiny_model_scores_only_the_top_clusters(tmp_path, tiny_model_dir):
    from evalkit.backends.hf import HFBackend

    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    proxy = RecordingProxy(HFBackend(tiny_model_dir, device="cpu", batch_size=4))
    evaluator = SolutionEvaluator(proxy, name="tiny")
    score_run(run_dir, evaluator, method="scr", top_clusters=2, show_progress=False)
    assert len(proxy.prompts) == 12
    lines = read_jsonl(run_dir / "scores.jsonl")
    expected = {0: [0, 1, 2, 3, 4], 1: [0, 1, 2, 3, 5, 7, 8]}
    for p, spec in enumerate([PROBLEM_0, PROBLEM_1]):
        scores = lines[p]["scores"]
        assert [i for i, value in enumerate(scores) if value is not None] == expected[p]
        texts = [solution(p, i, spec["scores"][i]) for i in expected[p]]
        direct = evaluator.score([f"Question number {p}?"] * len(texts), texts)
        assert [scores[i] for i in expected[p]] == pytest.approx(direct, abs=1e-5)
        assert all(0.0 <= scores[i] <= 1.0 for i in expected[p])


# ------------------------------------------------------------------ the command


@pytest.fixture
def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command("rerank")(rerank_command)

    @app.command("noop")
    def _noop() -> None:
        """A second command, so that `rerank` is called by name as in evalkit."""

    return app


def test_rerank_command_scores_and_reports(tmp_path, tiny_model_dir, cli_app):
    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    result = CliRunner().invoke(cli_app, ["rerank", str(run_dir), "--evaluator", str(tiny_model_dir),
                                          "--top-k", "2", "--batch-size", "4", "--scorer-name", "tiny-eval",
                                          "--device", "cpu"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    lines = read_jsonl(run_dir / "scores.jsonl")
    assert {line["scorer"] for line in lines} == {"tiny-eval"}
    assert sum(value is not None for line in lines for value in line["scores"]) == 12
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert {"scr@9", "wscr@9", "maj@9", "scr@1"} <= set(metrics["metrics"])
    assert {"bon@9", "wmaj@9"} <= set(metrics["not_reported"])
    assert metrics["run"]["scorer"] == "tiny-eval"
    assert metrics["settings"]["top_clusters"] == 2
    assert metrics["evaluator_calls"]["scr@9"]["per_problem"] == 6.0
    assert "5 evaluator calls saved" in result.output
    assert "\\n" not in result.output and "\n  problems: 2 (" in result.output  # the summary's lines are lines
    predictions = read_jsonl(run_dir / "predictions.jsonl")
    assert {p["rule"] for p in predictions} >= {"maj", "scr", "bon"}


def test_rerank_command_errors(tmp_path, cli_app):
    run_dir = write_run(tmp_path, [PROBLEM_0])
    missing = CliRunner().invoke(cli_app, ["rerank", str(run_dir), "--evaluator", str(tmp_path / "nowhere")])
    assert isinstance(missing.exception, ConfigError) and "evaluator model not found" in str(missing.exception)
    ungraded = write_run(tmp_path, [PROBLEM_0], name="ungraded", graded=False)
    result = CliRunner().invoke(cli_app, ["rerank", str(ungraded), "--evaluator", str(tmp_path / "nowhere")])
    assert isinstance(result.exception, InputError) and "grade-run" in str(result.exception)
    assert not (ungraded / "scores.jsonl").exists()
    bad_method = CliRunner().invoke(cli_app, ["rerank", str(run_dir), "--evaluator", "x", "--method", "bon"])
    assert bad_method.exit_code == 2 and "bon" in bad_method.output


def test_scoring_streams_the_samples_instead_of_holding_them(tmp_path):
    import tracemalloc

    padding = "a long line of reasoning. " * 800  # about 20 kB per solution
    problems = [{"clusters": [0, 1, 0, 1], "correct": [True, False, True, False],
                 "scores": [0.6, 0.4, 0.7, 0.3],
                 "texts": [padding + solution(p, i, s) for i, s in enumerate([0.6, 0.4, 0.7, 0.3])]}
                for p in range(200)]
    run_dir = write_run(tmp_path, problems)
    size = (run_dir / "samples.jsonl").stat().st_size
    assert size > 15_000_000
    class ForgetfulBackend(TextScoredBackend):
        """Keeps no record of the prompts, so that the peak is scoring's own."""

        def next_token_logprobs(self, prompts, candidates):
            rows = super().next_token_logprobs(prompts, candidates)
            self.prompts.clear()
            return rows

    backend = ForgetfulBackend()
    tracemalloc.start()
    try:
        summary = score_run(run_dir, SolutionEvaluator(backend, name="fake"), method="all", chunk_calls=32,
                            show_progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.samples_scored_now == 800 and summary.problems_scored_now == 200
    # the peak is a chunk of texts, not the run
    assert peak < size / 3, f"peak {peak / 1e6:.1f} MB for {size / 1e6:.1f} MB of samples"
    assert [line["problem_id"] for line in read_jsonl(run_dir / "scores.jsonl")] == [f"prob-{p}" for p in range(200)]


def test_scores_of_one_name_from_another_evaluator_are_refused_not_merged(tmp_path):
    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    first = SolutionEvaluator(TextScoredBackend(fail_after=10), name="evaluator", identity="aaaa")
    with pytest.raises(KeyboardInterrupt):  # killed after its first problem
        score_run(run_dir, first, method="all", chunk_calls=3, show_progress=False)
    assert [line["scorer_id"] for line in read_jsonl(run_dir / "scores.jsonl")] == ["aaaa"]
    retrained = SolutionEvaluator(TextScoredBackend(), name="evaluator", identity="bbbb")
    with pytest.raises(ConfigError, match="made by another evaluator.*--scorer-name"):
        score_run(run_dir, retrained, method="all", show_progress=False)
    assert len(read_jsonl(run_dir / "scores.jsonl")) == 1  # nothing appended
    # the same evaluator resumes; another name is a scorer of its own
    score_run(run_dir, SolutionEvaluator(TextScoredBackend(), name="evaluator", identity="aaaa"), method="all",
              show_progress=False)
    score_run(run_dir, SolutionEvaluator(TextScoredBackend(), name="evaluator-v2", identity="bbbb"), method="all",
              show_progress=False)
    merged = read_scores(run_dir / "scores.jsonl", {"prob-0": 9, "prob-1": 9})
    assert merged.scorers["evaluator"].identities == ("aaaa",) and merged.scorers["evaluator-v2"].identities == ("bbbb",)


def test_imported_scores_are_never_extended_by_an_evaluator_of_the_same_name(tmp_path):
    run_dir = write_run(tmp_path, [PROBLEM_0])
    imported = {"problem_id": "prob-0", "scorer": "imported", "selection": "imported", "scores": [0.5] * 9}
    (run_dir / "scores.jsonl").write_text(json.dumps(imported) + "\n")
    with pytest.raises(ConfigError, match="imported with the samples"):
        score_run(run_dir, SolutionEvaluator(TextScoredBackend(), name="imported", identity="cccc"), method="all",
                  show_progress=False)


def test_a_retrained_model_at_the_same_path_gets_another_fingerprint(tmp_path, tiny_model_dir):
    import shutil

    from reranker.evaluator import model_identity
    from reranker.templates import EvaluatorTemplate

    copy = tmp_path / "evaluator"
    shutil.copytree(tiny_model_dir, copy)
    template = EvaluatorTemplate()
    before = model_identity(copy, template)
    assert model_identity(copy, template) == before == model_identity(tiny_model_dir, template)
    weights = next(path for path in copy.iterdir() if path.suffix in (".safetensors", ".bin"))
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert model_identity(copy, template) != before
    assert model_identity(tiny_model_dir, EvaluatorTemplate(correct=" right", incorrect=" wrong")) != before


def test_rerank_with_one_cluster_kept_needs_no_score_and_still_reports(tmp_path, tiny_model_dir, cli_app):
    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    result = CliRunner().invoke(cli_app, ["rerank", str(run_dir), "--evaluator", str(tiny_model_dir),
                                          "--top-k", "1", "--device", "cpu"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "0 already scored, 0 scored now, 2 needing no score" in result.output
    assert "SCR at K = 1 is majority vote" in result.output
    assert not (run_dir / "scores.jsonl").exists()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["scoring"] is None and "maj@9" in metrics["metrics"]


def test_rerank_names_a_bad_device_in_one_line(tmp_path, tiny_model_dir, cli_app):
    run_dir = write_run(tmp_path, [PROBLEM_0])
    result = CliRunner().invoke(cli_app, ["rerank", str(run_dir), "--evaluator", str(tiny_model_dir),
                                          "--device", "nosuch"])
    assert isinstance(result.exception, ConfigError) and "device 'nosuch'" in str(result.exception)


def test_report_and_leaderboard_use_the_k_the_run_was_reranked_with(tmp_path, tiny_model_dir):
    """Before: after `evalkit rerank RUN --top-k 2` the K was kept nowhere, so a later `evalkit report RUN`
    or `evalkit leaderboard` reported SCR at the default K = 8, whose samples were never scored (scr@n
    shown as '—'), unless --top-clusters 2 was given again."""
    from evalkit.cli import app

    run_dir = write_run(tmp_path / "runs", [PROBLEM_0, PROBLEM_1])
    runner = CliRunner(env={"COLUMNS": "400"})
    result = runner.invoke(app, ["rerank", str(run_dir), "--evaluator", str(tiny_model_dir), "--top-k", "2",
                                 "--scorer-name", "ev", "--device", "cpu"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["reranked"] == {
        "ev": {"method": "scr", "top_clusters": 2}}
    reranked = json.loads((run_dir / "metrics.json").read_text())["metrics"]["scr@9"]

    result = runner.invoke(app, ["report", str(run_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    document = json.loads((run_dir / "metrics.json").read_text())
    assert document["settings"]["top_clusters"] == 2
    assert document["metrics"]["scr@9"] == reranked and "scr@9" not in document["not_reported"]
    assert {p["paper_name"] for p in read_jsonl(run_dir / "predictions.jsonl") if p["rule"] == "scr"} == {"RR.Top-2"}

    (run_dir / "metrics.json").unlink()  # the leaderboard computes the run afresh, with the run's own K
    result = runner.invoke(app, ["leaderboard", str(tmp_path / "runs"), "--out", str(tmp_path / "board")])
    assert result.exit_code == 0, result.output
    row = json.loads((tmp_path / "board" / "leaderboard.json").read_text())[0]
    assert row["top_clusters"] == 2 and row["metrics"]["scr@9"] == reranked
    assert "SCR keeps K = 2" in (tmp_path / "board" / "leaderboard.csv").read_text()

    # a flag still wins, and asking for clusters that were never scored says so in one line
    result = runner.invoke(app, ["report", str(run_dir), "--quiet", "--top-clusters", "4"])
    assert result.exit_code == 0, result.output
    document = json.loads((run_dir / "metrics.json").read_text())
    assert document["settings"]["top_clusters"] == 4 and "scr@9" in document["not_reported"]
    note = "SCR is asked to keep K = 4 clusters, but 'ev' scored the samples of the top 2 only (scr-top2)"
    assert note in result.output
    assert note.replace("(", "\\(").replace(")", "\\)") in (run_dir / "report.md").read_text()
    result = runner.invoke(app, ["leaderboard", str(tmp_path / "runs"), "--out", str(tmp_path / "board"),
                                 "--top-clusters", "4"])
    assert result.exit_code == 0, result.output
    assert f"note {run_dir}: {note}" in result.output
    # a later rerank of the same scorer without --top-k keeps the K it recorded
    result = runner.invoke(app, ["rerank", str(run_dir), "--evaluator", str(tiny_model_dir), "--method", "all",
                                 "--scorer-name", "ev", "--device", "cpu"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["reranked"] == {
        "ev": {"method": "all", "top_clusters": 2}}
    assert json.loads((run_dir / "metrics.json").read_text())["settings"]["top_clusters"] == 2


def test_a_malformed_rerank_record_is_one_clear_error(tmp_path):
    from evalkit.report import build_run_metrics

    run_dir = write_run(tmp_path, [PROBLEM_0])
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    (run_dir / "config.yaml").write_text(yaml.safe_dump({**config, "reranked": {"ev": {"top_clusters": "two"}}}))
    with pytest.raises(ConfigError, match=r"config.yaml: field 'reranked.ev.top_clusters': expected an integer"):
        build_run_metrics(run_dir, show_progress=False)


def test_a_problem_too_long_for_the_evaluator_is_named_and_the_scores_before_it_are_kept(tmp_path):
    """Before: the error quoted the question's first words and named neither the problem nor what was kept."""

    class ShortContextEvaluator(SolutionEvaluator):
        def problem_fits(self, problem: str) -> bool:
            return "number 1" not in problem

    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    with pytest.raises(InputError, match=r"samples.jsonl: field 'question': problem 'prob-1': its question alone does "
                                         r"not fit the evaluator's context of 64 tokens"):
        evaluator = ShortContextEvaluator(TextScoredBackend(), name="fake",
                                          tokenizer=lambda text, add_special_tokens: {"input_ids": text.split()},
                                          max_prompt_tokens=64)
        score_run(run_dir, evaluator, method="all", show_progress=False, chunk_calls=1)
    [kept] = read_jsonl(run_dir / "scores.jsonl")  # problem 0, scored in the chunk before
    assert kept["problem_id"] == "prob-0"
