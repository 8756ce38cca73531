"""Tests of the run report: metrics of a run directory, its files, and `evalkit report`."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import typer
import yaml
from typer.testing import CliRunner

from evalkit.errors import ConfigError, InputError
from evalkit.report import build_run_metrics, load_run_matrices, write_run_reports
from evalkit.report.cli import parse_ks, report_command
from evalkit.report.tables import format_difference, format_percent

NAN = float("nan")

# Six problems, four samples each (see test_hand_built_run_metrics for the expected values).
CLUSTERS = [[0, 0, 1, -1], [0, 1, 1, 2], [-1, -1, -1, -1], [0, 1, 2, 3], [0, 0, 0, 0], [0, 1, 0, 1]]
CORRECT = [[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [1, 1, 1, 1], [0, 1, 0, 1]]
SCORES = [[0.9, 0.8, 0.95, 0.99], [0.95, 0.2, 0.3, 0.9], [0.5, 0.5, 0.5, 0.5], [0.1, 0.2, 0.7, 0.4],
          [NAN, NAN, NAN, NAN], [0.6, 0.5, 0.6, 0.1]]
SUBJECTS = ["Algebra", "Algebra", "Algebra", "Geometry", "Geometry", "Geometry"]
LEVELS = [1, 1, 2, 2, None, None]


def make_run(root: Path, name: str = "run", *, clusters=CLUSTERS, correct=CORRECT, scores=SCORES,
             subjects=SUBJECTS, levels=LEVELS, model: str = "tiny-model", task: str = "math500",
             scorer: str = "evaluator-v1") -> Path:
    """Write a run directory by hand: config.yaml, samples.jsonl, graded.jsonl, scores.jsonl."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(
        {"model": model, "task": task, "n": len(clusters[0]), "config_hash": f"hash-{name}"}))
    samples, graded, scored = [], [], []
    for i, (row_clusters, row_correct) in enumerate(zip(clusters, correct)):
        meta = {}
        if subjects is not None:
            meta["subject"] = subjects[i]
        if levels is not None and levels[i] is not None:
            meta["level"] = levels[i]
        samples.append({"problem_id": f"p{i}", "task": task, "question": f"q{i}", "reference": "1", "meta": meta,
                        "samples": [{"index": j, "text": f"answer {c}", "finish_reason": "stop", "num_tokens": 3,
                                     "logprob": None} for j, c in enumerate(row_clusters)]})
        graded.append({"problem_id": f"p{i}", "answers": [None if c < 0 else str(c) for c in row_clusters],
                       "clusters": list(row_clusters), "correct": [bool(x) for x in row_correct],
                       "reasons": ["no_answer" if c < 0 else "ok" for c in row_clusters]})
        if scores is not None:
            scored.append({"problem_id": f"p{i}", "scorer": scorer,
                           "scores": [None if math.isnan(s) else s for s in scores[i]]})
    for file_name, records in (("samples.jsonl", samples), ("graded.jsonl", graded), ("scores.jsonl", scored)):
        if records:
            (run_dir / file_name).write_text("".join(json.dumps(r) + "\n" for r in records))
    return run_dir


def comb_pass(n: int, c: int, k: int) -> float:
    return 1 - math.comb(n - c, k) / math.comb(n, k)


def test_hand_built_run_metrics(tmp_path):
    run_dir = make_run(tmp_path)
    document = build_run_metrics(run_dir, top_clusters=2, show_progress=False)
    metrics = document["metrics"]
    assert document["run"] == {"model": "tiny-model", "task": "math500", "n": 4, "config_hash": "hash-run",
                               "problems": 6, "scorer": "evaluator-v1"}
    assert document["settings"]["ks"] == [1, 2, 4]
    counts = [sum(row) for row in CORRECT]
    for k in (1, 2, 4):
        assert metrics[f"pass@{k}"]["value"] == pytest.approx(np.mean([comb_pass(4, c, k) for c in counts]))
    # maj@4 by hand (tied clusters share the credit): win, lose, all abstain, 4-way tie with one right
    # cluster, unanimous, 2-way tie of a wrong and a right cluster
    assert metrics["maj@4"]["value"] == pytest.approx(np.mean([1, 0, 0, 0.25, 1, 0.5]))
    assert metrics["cons@4"] == metrics["maj@4"] and metrics["avg@4"] == metrics["pass@1"]
    # bon@4 (RR.All): wrong top score, right, all abstain, right, one answer (no call needed), tie of wrong ones
    assert metrics["bon@4"]["value"] == pytest.approx(np.mean([0, 1, 0, 1, 1, 0]))
    # scr@4 with exactly two kept clusters: p0 picks the 0.95 of the wrong cluster, p3 keeps the first two
    # singletons (both wrong), p5 the first of two tied 0.6 (wrong)
    assert metrics["scr@4"]["value"] == pytest.approx(np.mean([0, 1, 0, 0, 1, 0]))
    for estimate in metrics.values():
        low, high = estimate["ci"]
        assert 0.0 <= low <= estimate["value"] <= high <= 1.0
    assert document["comparisons"]["bon@4 - maj@4"]["value"] == pytest.approx(1 / 24)
    assert document["comparisons"]["scr@4 - maj@4"]["value"] == pytest.approx(-1 / 8)
    calls = document["evaluator_calls"]["scr@4"]
    assert calls["per_problem"] == pytest.approx((3 + 3 + 0 + 2 + 0 + 4) / 6)
    assert calls["answered_per_problem"] == pytest.approx((3 + 4 + 0 + 4 + 4 + 4) / 6)
    assert document["scoring"] == {"scorer": "evaluator-v1", "selections": ["unlabelled"], "samples": 24,
                                   "answered": 19, "scored": 15, "coverage": pytest.approx(15 / 19),
                                   "scored_per_problem": pytest.approx(15 / 6)}
    assert document["not_reported"] == {}
    subject = document["breakdown"]["subject"]
    assert list(subject) == ["Algebra", "Geometry"]
    assert document["breakdown_sizes"]["subject"] == {"Algebra": 3, "Geometry": 3}
    assert subject["Geometry"]["maj@4"]["value"] == pytest.approx((0.25 + 1 + 0.5) / 3)
    assert document["breakdown_sizes"]["level"] == {"1": 2, "2": 2, "(none)": 2}
    json.dumps(document, allow_nan=False)


def test_run_without_scores_or_meta(tmp_path):
    run_dir = make_run(tmp_path, scores=None, subjects=None, levels=None)
    document = build_run_metrics(run_dir, ks=[1, 4], show_progress=False)
    assert set(document["metrics"]) == {"pass@1", "pass@4", "maj@1", "maj@4", "avg@4", "cons@4"}
    assert document["scoring"] is None and document["not_reported"] == {}
    assert document["comparisons"] == {} and document["breakdown"] == {} and document["run"]["scorer"] is None
    written = write_run_reports(run_dir, document)
    assert all(path.exists() for path in written.values())


def test_report_files(tmp_path):
    run_dir = make_run(tmp_path)
    document = build_run_metrics(run_dir, top_clusters=1, show_progress=False)
    written = write_run_reports(run_dir, document)
    assert set(written) == {"metrics.json", "report.md", "metrics.csv", "accuracy_vs_k.png", "accuracy_vs_length.png"}
    assert json.loads((run_dir / "metrics.json").read_text()) == document

    with (run_dir / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["metric"] for row in rows[:3]] == ["pass@1", "pass@2", "pass@4"]
    assert len(rows) == len(document["metrics"])
    maj = next(row for row in rows if row["metric"] == "maj@4")
    assert int(maj["k"]) == 4
    assert float(maj["value"]) == pytest.approx(document["metrics"]["maj@4"]["value"])
    assert float(maj["ci_low"]) == pytest.approx(document["metrics"]["maj@4"]["ci"][0])

    report = (run_dir / "report.md").read_text()
    assert "# tiny-model on math500" in report
    assert format_percent(document["metrics"]["scr@4"]) in report
    assert "| scr@4 - maj@4 |" in report and "## By subject" in report and "## By level" in report

    import matplotlib.image

    image = matplotlib.image.imread(run_dir / "accuracy_vs_k.png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image.std() > 0.01  # not a blank canvas


def test_format_helpers():
    assert format_percent({"value": 0.5423, "ci": [0.5012, 0.5834]}) == "54.2 [50.1, 58.3]"
    assert format_percent(None) == "—"
    assert format_difference({"value": 0.031, "ci": [0.01, 0.052]}) == "+3.1 [+1.0, +5.2]"


def test_missing_graded_file_says_to_grade_first(tmp_path):
    run_dir = make_run(tmp_path)
    (run_dir / "graded.jsonl").unlink()
    with pytest.raises(InputError, match="grade-run"):
        build_run_metrics(run_dir, show_progress=False)


def test_ragged_sample_counts_name_file_and_problem(tmp_path):
    clusters = [row[:] for row in CLUSTERS]
    correct = [row[:] for row in CORRECT]
    clusters[3] = clusters[3][:3]
    correct[3] = correct[3][:3]
    run_dir = make_run(tmp_path, clusters=clusters, correct=correct, scores=None)
    with pytest.raises(InputError) as error:
        build_run_metrics(run_dir, show_progress=False)
    message = str(error.value)
    assert "graded.jsonl:4" in message and "'p3'" in message and "3 samples" in message


@pytest.mark.parametrize("mutate, pattern", [
    (lambda r: r.update(clusters=[0, 0, 9, -1]), "cluster ids"),
    (lambda r: r.update(correct=[1, 1, 0, 0]), "true/false"),
    (lambda r: r.pop("clusters"), "field 'clusters'"),
    (lambda r: r.update(problem_id="p1"), "appears twice"),
])
def test_bad_graded_lines(tmp_path, mutate, pattern):
    run_dir = make_run(tmp_path, scores=None)
    lines = (run_dir / "graded.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    mutate(record)
    lines[0] = json.dumps(record)
    (run_dir / "graded.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=pattern):
        load_run_matrices(run_dir)


def test_score_file_problems(tmp_path):
    run_dir = make_run(tmp_path)
    scores_path = run_dir / "scores.jsonl"
    lines = scores_path.read_text().splitlines()
    scores_path.write_text("\n".join(lines[:-1]) + "\n")
    # p5 (two answers) has no scores now: rules that need all of them are not reported, and say why
    assert np.isnan(load_run_matrices(run_dir).scores[5]).all()
    document = build_run_metrics(run_dir, ks=[4], top_clusters=2, show_progress=False)
    assert "bon@4" not in document["metrics"] and "scr@4" not in document["metrics"]
    assert document["not_reported"]["bon@4"]["coverage"] == pytest.approx(5 / 6)
    assert "RR.All" in document["not_reported"]["bon@4"]["reason"]
    assert document["scoring"]["scored"] == 15 - 4
    other = [json.dumps({**json.loads(line), "scorer": "other"}) for line in lines]
    scores_path.write_text("\n".join(lines + other) + "\n")
    with pytest.raises(InputError, match="several scorers"):
        load_run_matrices(run_dir)
    assert load_run_matrices(run_dir, scorer="other").scorer == "other"
    bad = json.loads(lines[0])
    bad["scores"] = [0.1, "high", 0.2, 0.3]
    scores_path.write_text(json.dumps(bad) + "\n")
    with pytest.raises(InputError, match="finite numbers"):
        load_run_matrices(run_dir)


def test_sampled_but_ungraded_problem_is_an_error(tmp_path):
    run_dir = make_run(tmp_path, scores=None)
    graded = (run_dir / "graded.jsonl").read_text().splitlines()
    (run_dir / "graded.jsonl").write_text("\n".join(graded[:-1]) + "\n")
    with pytest.raises(InputError, match="'p5' was sampled but is not in graded.jsonl"):
        load_run_matrices(run_dir)


def test_k_larger_than_n_is_a_clear_error(tmp_path):
    run_dir = make_run(tmp_path)
    with pytest.raises(ConfigError, match="1..4"):
        build_run_metrics(run_dir, ks=[1, 8], show_progress=False)


def _cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command("report")(report_command)

    @app.command("version")
    def _version() -> None:
        """A second command, so that typer keeps `report` as a subcommand."""

    return app


def test_report_command(tmp_path):
    run_dir = make_run(tmp_path)
    result = CliRunner().invoke(_cli_app(), ["report", str(run_dir), "--k", "1,2,4", "--top-clusters", "1"])
    assert result.exit_code == 0, result.output
    assert "tiny-model on math500" in result.output
    assert "wrote" in result.output and "accuracy_vs_k.png" in result.output
    document = json.loads((run_dir / "metrics.json").read_text())
    # one kept cluster: SCR needs no evaluator call; it is majority vote except that clusters tied for
    # the largest are cut by first appearance (p3: the wrong first of four; p5: the wrong first of two),
    # where maj@4 shares the credit among them
    assert document["metrics"]["scr@4"]["value"] == pytest.approx(np.mean([1, 0, 0, 0, 1, 0]))
    assert document["metrics"]["maj@4"]["value"] == pytest.approx(np.mean([1, 0, 0, 0.25, 1, 0.5]))
    assert document["evaluator_calls"]["scr@4"]["per_problem"] == 0.0
    predictions = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines()]
    scr = [p for p in predictions if p["rule"] == "scr"]
    assert [p["problem_id"] for p in scr] == [f"p{i}" for i in range(6)]
    assert np.mean([p["credit"] for p in scr]) == pytest.approx(document["metrics"]["scr@4"]["value"])
    assert scr[0] == {"problem_id": "p0", "rule": "scr", "paper_name": "RR.Top-1", "answer": "0", "sample_index": 0,
                      "cluster_size": 2, "score": None, "correct": True, "credit": 1.0, "tied": 1,
                      "evaluator_calls": 0, "complete": True}
    maj = {p["problem_id"]: p for p in predictions if p["rule"] == "maj"}
    assert (maj["p5"]["correct"], maj["p5"]["credit"], maj["p5"]["tied"]) == (False, 0.5, 2)
    for name in ("report.md", "metrics.csv", "accuracy_vs_k.png"):
        assert (run_dir / name).stat().st_size > 0


def test_report_command_errors(tmp_path):
    run_dir = make_run(tmp_path)
    result = CliRunner().invoke(_cli_app(), ["report", str(run_dir), "--k", "1,16"])
    assert isinstance(result.exception, ConfigError)
    result = CliRunner().invoke(_cli_app(), ["report", str(tmp_path / "missing")])
    assert isinstance(result.exception, InputError)
    # the config's rule: a CI needs at least 10 resamples (--resamples 1 was taken)
    result = CliRunner().invoke(_cli_app(), ["report", str(run_dir), "--resamples", "1"])
    assert isinstance(result.exception, ConfigError) and "--resamples must be 10 or more" in str(result.exception)
    assert parse_ks("8, 1,4") == [1, 4, 8] and parse_ks(None) is None
    with pytest.raises(ConfigError):
        parse_ks("1,x")
    with pytest.raises(ConfigError):
        parse_ks("0,2")


def test_report_uses_the_runs_own_settings_unless_given(tmp_path):
    # a run made with report.top_clusters = 1 (and its own seed and resamples)
    run_dir = make_run(tmp_path)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["report"] = {"ks": [1, 2, 4, 16], "top_clusters": 1, "confidence": 0.9, "resamples": 50, "seed": 3}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(_cli_app(), ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    document = json.loads((run_dir / "metrics.json").read_text())
    # ks the run cannot report (16 > n = 4) are reported at n instead, said and recorded; the rest are the run's own
    assert document["settings"] == {"ks": [1, 2, 4], "top_clusters": 1, "seed": 3, "subsets": 64,
                                    "confidence": 0.9, "resamples": 50, "ks_left_out": [16]}
    assert "report.ks 16 reported at k = 4" in result.output and "4 samples per problem" in result.output
    # K = 1: SCR keeps the first of the largest clusters and needs no score, in the metrics and the predictions
    assert document["metrics"]["scr@4"]["value"] == pytest.approx(np.mean([1, 0, 0, 0, 1, 0]))
    assert document["evaluator_calls"]["scr@4"]["per_problem"] == 0
    predictions = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines()]
    assert {p["paper_name"] for p in predictions if p["rule"] == "scr"} == {"RR.Top-1"}
    # a flag still wins over the run's setting
    result = CliRunner().invoke(_cli_app(), ["report", str(run_dir), "--top-clusters", "2", "--seed", "0"])
    assert result.exit_code == 0, result.output
    document = json.loads((run_dir / "metrics.json").read_text())
    assert (document["settings"]["top_clusters"], document["settings"]["seed"]) == (2, 0)
    predictions = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines()]
    assert {p["paper_name"] for p in predictions if p["rule"] == "scr"} == {"RR.Top-2"}
    assert document["evaluator_calls"]["scr@4"]["per_problem"] > 0


def test_a_k_larger_than_n_is_reported_at_n_so_maj_at_n_is_never_lost(tmp_path):
    run_dir = make_run(tmp_path)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["report"] = {"ks": [1, 16]}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    document = build_run_metrics(run_dir, show_progress=False)
    assert document["settings"]["ks"] == [1, 4] and document["settings"]["ks_left_out"] == [16]
    assert "maj@4" in document["metrics"] and "pass@4" in document["metrics"]


def test_a_bad_report_section_is_one_clear_error(tmp_path):
    run_dir = make_run(tmp_path)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["report"] = {"top_clusters": "two"}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=r"config.yaml: field 'report.top_clusters': expected int"):
        build_run_metrics(run_dir, show_progress=False)


def test_a_stale_run_recomputed_for_a_leaderboard_keeps_its_own_top_clusters(tmp_path):
    from evalkit.report.leaderboard import load_run_row

    run_dir = make_run(tmp_path)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["report"] = {"top_clusters": 1}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    row = load_run_row(run_dir)  # no metrics.json yet: computed now
    reported = build_run_metrics(run_dir, show_progress=False)
    assert row["metrics"]["scr@4"] == reported["metrics"]["scr@4"]
    assert row["metrics"]["scr@4"]["value"] == pytest.approx(np.mean([1, 0, 0, 0, 1, 0]))  # K = 1


def test_a_run_stopped_before_every_problem_was_sampled_is_labelled_incomplete_everywhere(tmp_path):
    """Before: a run of 30 problems killed after 6 were sampled, then graded and reported, said
    'problems: 6' and stood in the leaderboard and models x tasks exactly like a finished run."""
    from evalkit.report.leaderboard import collect_leaderboard_rows, write_leaderboard
    from evalkit.report.task_table import write_task_table

    run_dir = make_run(tmp_path / "runs", scores=None)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    (run_dir / "config.yaml").write_text(yaml.safe_dump({**config, "num_problems": 30}))
    document = build_run_metrics(run_dir, show_progress=False)
    assert (document["run"]["problems"], document["run"]["planned_problems"]) == (6, 30)
    write_run_reports(run_dir, document)
    assert "- 6 of 30 problems (incomplete), samples per problem: 4" in (run_dir / "report.md").read_text()
    finished = make_run(tmp_path / "runs", "finished", scores=None)
    (finished / "config.yaml").write_text(yaml.safe_dump({**config, "config_hash": "hash-finished",
                                                          "num_problems": 6}))
    rows = collect_leaderboard_rows([tmp_path / "runs"], show_progress=False)
    write_leaderboard(rows, tmp_path / "board")
    write_task_table(rows, tmp_path / "board")
    for name in ("leaderboard.md", "models_x_tasks.md"):
        text = (tmp_path / "board" / name).read_text()
        assert text.count("6 of 30 problems \\(incomplete\\)") == (1 if name == "leaderboard.md" else 2), text
        assert "of 6 problems" not in text


def test_report_md_writes_its_own_code_spans_and_escapes_only_untrusted_text(tmp_path):
    """Before: report.md escaped the backticks it wrote itself ("Scorer \\`evaluator-v1\\` scored"), so the
    scorer showed with stray backslashes-turned-backticks instead of as code."""
    run_dir = make_run(tmp_path)
    write_run_reports(run_dir, build_run_metrics(run_dir, show_progress=False))
    text = (run_dir / "report.md").read_text()
    assert "- Scorer `evaluator-v1` scored" in text and "\\`" not in text
    # untrusted text stays inert: a scorer name with backticks and Markdown gets a longer fence, a model
    # name is escaped as before
    hostile = make_run(tmp_path, "hostile", model="m`x*", scorer="ev`l*|<b>")
    write_run_reports(hostile, build_run_metrics(hostile, show_progress=False))
    text = (hostile / "report.md").read_text()
    assert "- Scorer ``ev`l*|<b>`` scored" in text
    assert text.startswith("# m\\`x\\* on math500")
    from evalkit.text_safety import for_markdown_code

    assert for_markdown_code("a") == "`a`" and for_markdown_code("`a") == "`` `a ``"
    assert for_markdown_code("x``y\n\x1b") == "```x``y\\n\\x1b```"
