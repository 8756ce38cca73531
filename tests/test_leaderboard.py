"""Tests of the leaderboard: gathering runs, ranking, files, and `evalkit leaderboard`."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
import typer
import yaml
from typer.testing import CliRunner

from evalkit.errors import ConfigError, InputError
from evalkit.metrics import pass_at_k
from evalkit.report import build_run_metrics, write_run_reports
from evalkit.report.cli import leaderboard_command
from evalkit.report.leaderboard import collect_leaderboard_rows, find_run_dirs, sort_rows, write_leaderboard
from evalkit.report.task_table import write_task_table


def make_run(root: Path, name: str, correct: list[list[int]], *, model: str, task: str = "gsm8k") -> Path:
    """A graded run directory where every sample is its own answer except that right ones agree."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(
        {"model": model, "task": task, "n": len(correct[0]), "config_hash": f"hash-{name}"}))
    lines = []
    for i, row in enumerate(correct):
        clusters, wrong_ids = [], {}
        for j, ok in enumerate(row):
            key = "right" if ok else f"wrong{j}"
            clusters.append(wrong_ids.setdefault(key, len(wrong_ids)))
        lines.append({"problem_id": f"p{i}", "answers": [str(c) for c in clusters], "clusters": clusters,
                      "correct": [bool(x) for x in row], "reasons": ["ok"] * len(row)})
    (run_dir / "graded.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return run_dir


STRONG = [[1, 1, 0, 1], [1, 1, 1, 1], [0, 1, 1, 0], [1, 0, 0, 0]]
WEAK = [[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0]]


def _expected_pass1(correct: list[list[int]]) -> float:
    array = np.array(correct)
    return float(pass_at_k(array.shape[1], array.sum(axis=1), 1).mean())


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    weak = make_run(root, "weak", WEAK, model="weak-model")
    make_run(root / "nested", "strong", STRONG, model="strong-model")
    write_run_reports(weak, build_run_metrics(weak, show_progress=False))  # one run with metrics.json
    return root


def test_find_run_dirs(runs: Path, tmp_path: Path):
    assert find_run_dirs([runs]) == [runs / "nested" / "strong", runs / "weak"]
    assert find_run_dirs([runs / "weak", runs]) == [runs / "weak", runs / "nested" / "strong"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no run directories"):
        find_run_dirs([tmp_path / "empty"])
    with pytest.raises(InputError, match="not a directory"):
        find_run_dirs([tmp_path / "nowhere"])


def test_rows_rank_and_files(runs: Path, tmp_path: Path):
    rows = collect_leaderboard_rows([runs], show_progress=False)
    written = write_leaderboard(rows, tmp_path / "board", metric="maj@4")
    assert {path.name for path in written.values()} == {"leaderboard.md", "leaderboard.csv", "leaderboard.json"}

    board = json.loads((tmp_path / "board" / "leaderboard.json").read_text())
    assert [row["model"] for row in board] == ["strong-model", "weak-model"]
    strong = board[0]
    assert strong["task"] == "gsm8k" and strong["n"] == 4 and strong["config_hash"] == "hash-strong"
    assert strong["config_path"].endswith("strong/config.yaml")
    assert strong["metrics"]["pass@1"]["value"] == pytest.approx(_expected_pass1(STRONG))
    assert board[1]["metrics"]["pass@1"]["value"] == pytest.approx(_expected_pass1(WEAK))
    # maj@4 by hand: the right answer wins with 3, 4, 2 (vs two singletons) and shares a tie of four
    # singletons
    assert strong["metrics"]["maj@4"]["value"] == pytest.approx(np.mean([1, 1, 1, 0.25]))
    assert strong["scoring"] is None and strong["not_reported"] == []
    assert not Path(strong["run_dir"]).is_absolute() and strong["run_dir"].endswith("strong")

    with (tmp_path / "board" / "leaderboard.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert [row["model"] for row in table] == ["strong-model", "weak-model"]
    assert float(table[0]["maj@4"]) == pytest.approx(strong["metrics"]["maj@4"]["value"])
    assert float(table[0]["maj@4 ci_low"]) == pytest.approx(strong["metrics"]["maj@4"]["ci"][0])

    markdown = (tmp_path / "board" / "leaderboard.md").read_text()
    assert "ranked by maj@4" in markdown and "hash-strong" in markdown
    assert markdown.index("strong-model") < markdown.index("weak-model")


def test_the_terminal_table_fits_a_narrow_terminal_without_cutting_figures(runs: Path):
    """Before: at 80 columns every figure came out as `5…` or `80…`."""
    from rich.console import Console

    from evalkit.report.leaderboard import leaderboard_rich_table

    rows = sort_rows(collect_leaderboard_rows([runs], show_progress=False), "maj@4")
    columns = ["pass@1", "pass@4", "maj@4", "bon@4", "scr@4", "wmaj@4", "wscr@4", "maj@2"]
    for width in (80, 100):
        console = Console(width=width, record=True)
        console.print(leaderboard_rich_table(rows, "maj@4", columns, width=width))
        shown = console.export_text()
        assert "…" not in shown and max(len(line) for line in shown.splitlines()) <= width
        strong = rows[0]["metrics"]["maj@4"]["value"]
        assert f"{100 * strong:.1f}" in shown and "maj@4" in shown  # the ranking's metric, whole
        assert "CIs, scorers and config hashes: leaderboard.md" in shown
        assert ("more metrics" in shown) == (width == 80)
    wide = Console(width=400, record=True)
    wide.print(leaderboard_rich_table(rows, "maj@4", columns[:3], width=400))
    shown = wide.export_text()
    assert "config hash" in shown and "[" in shown  # CIs where they fit


def test_rows_without_the_metric_go_last():
    rows = [
        {"model": "a", "task": "t", "n": 4, "config_hash": None, "run_dir": "a", "metrics": {}},
        {"model": "b", "task": "t", "n": 8, "config_hash": None, "run_dir": "b",
         "metrics": {"maj@8": {"value": 0.2, "ci": [0.1, 0.3]}}},
        {"model": "c", "task": "t", "n": 8, "config_hash": None, "run_dir": "c",
         "metrics": {"maj@8": {"value": 0.6, "ci": [0.5, 0.7]}}},
    ]
    assert [row["model"] for row in sort_rows(rows, "maj@8")] == ["c", "b", "a"]


def test_stale_metrics_are_recomputed_and_fresh_ones_reused(runs: Path):
    weak = runs / "weak"
    document = json.loads((weak / "metrics.json").read_text())
    document["metrics"]["pass@1"]["value"] = 0.999  # a marker only a reused file can carry
    (weak / "metrics.json").write_text(json.dumps(document))
    later = (weak / "graded.jsonl").stat().st_mtime + 10
    os.utime(weak / "metrics.json", (later, later))
    (reused,) = collect_leaderboard_rows([weak], show_progress=False)
    assert reused["metrics"]["pass@1"]["value"] == 0.999
    os.utime(weak / "graded.jsonl", (later + 10, later + 10))
    (recomputed,) = collect_leaderboard_rows([weak], show_progress=False)
    assert recomputed["metrics"]["pass@1"]["value"] == pytest.approx(_expected_pass1(WEAK))


def test_metrics_json_of_other_settings_is_recomputed_with_the_leaderboards(runs: Path, tmp_path: Path):
    """Before: after `evalkit report RUN --k 3` the leaderboard took that metrics.json as it was: the run's
    pass@1, maj@4 and its models x tasks cells were '—' and the ranking metric jumped to a k no run had in
    common; and a metrics.json made with `--seed 7` (or `--top-clusters 1`) kept its settings whatever the leaderboard asked for."""
    weak = runs / "weak"
    write_run_reports(weak, build_run_metrics(weak, ks=[3], show_progress=False))
    expected = build_run_metrics(weak, show_progress=False)
    (row,) = collect_leaderboard_rows([weak], show_progress=False)
    assert row["metrics"] == expected["metrics"]
    assert row["recomputed"] == ("its metrics.json was made with other settings (ks [3]): recomputed with the run's "
                                 "recorded ones (rerank --top-k, config.yaml `report:`) (ks [1, 2, 4]), so that every "
                                 "row is made the same way")
    result = CliRunner(env={"COLUMNS": "400"}).invoke(_cli_app(), ["leaderboard", str(runs), "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert f"note {weak}: its metrics.json was made with other settings (ks [3])" in result.output  # said, not silent
    board = {row["model"]: row for row in json.loads((tmp_path / "b" / "leaderboard.json").read_text())}
    assert "recomputed" in board["weak-model"] and "recomputed" not in board["strong-model"]
    assert "ranked by maj@4" in (tmp_path / "b" / "leaderboard.md").read_text()
    assert "—" not in (tmp_path / "b" / "models_x_tasks.md").read_text()

    rng = np.random.default_rng(0)
    big = make_run(tmp_path, "big", rng.integers(0, 2, size=(40, 4)).tolist(), model="big-model")
    other_seed = build_run_metrics(big, seed=7, show_progress=False)
    assert other_seed["metrics"] != build_run_metrics(big, show_progress=False)["metrics"]  # other bootstrap CIs
    write_run_reports(big, other_seed)
    (own,) = collect_leaderboard_rows([big], show_progress=False)
    (asked,) = collect_leaderboard_rows([big], seed=7, show_progress=False)
    assert own["metrics"] == build_run_metrics(big, show_progress=False)["metrics"]
    assert asked["metrics"] == other_seed["metrics"] and "recomputed" not in asked
    assert "seed 7): recomputed with the run's recorded ones" in own["recomputed"]


def test_the_leaderboard_takes_subsets_as_a_report_does(tmp_path: Path):
    # a run reported with exact k < n estimates (--subsets large) is kept exact when the leaderboard asks for as many
    rng = np.random.default_rng(1)
    run = make_run(tmp_path / "runs", "r", rng.integers(0, 2, size=(30, 16)).tolist(), model="m")
    exact = build_run_metrics(run, subsets=100000, show_progress=False)
    write_run_reports(run, exact)
    (default,) = collect_leaderboard_rows([run], show_progress=False)
    assert default["metrics"]["maj@4"] != exact["metrics"]["maj@4"] and "subsets 100000" in default["recomputed"]
    result = CliRunner(env={"COLUMNS": "400"}).invoke(
        _cli_app(), ["leaderboard", str(run), "--out", str(tmp_path / "b"), "--subsets", "100000"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads((tmp_path / "b" / "leaderboard.json").read_text())
    assert row["metrics"]["maj@4"] == exact["metrics"]["maj@4"] and "recomputed" not in row
    assert "note" not in result.output
    result = CliRunner().invoke(_cli_app(), ["leaderboard", str(run), "--out", str(tmp_path / "c"), "--subsets", "0"])
    assert isinstance(result.exception, ConfigError) and "--subsets must be 1 or more, got 0" in str(result.exception)


def test_bad_metrics_json_is_a_clear_error(tmp_path: Path):
    run_dir = tmp_path / "broken"
    run_dir.mkdir()
    (run_dir / "metrics.json").write_text('{"run": {}, "metrics": {"pass@1": {"value": "high"}}}')
    with pytest.raises(InputError, match="metrics.pass@1"):
        collect_leaderboard_rows([run_dir])


def _cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command("leaderboard")(leaderboard_command)

    @app.command("version")
    def _version() -> None:
        """A second command, so that typer keeps `leaderboard` as a subcommand."""

    return app


def test_leaderboard_command(runs: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        _cli_app(), ["leaderboard", str(runs), "--out", str(out), "--metric", "pass@4", "--columns", "pass@1,pass@4,maj@2"])
    assert result.exit_code == 0, result.output
    assert "strong-model" in result.output and "weak-model" in result.output
    assert "leaderboard.json" in result.output
    board = json.loads((out / "leaderboard.json").read_text())
    assert board[0]["model"] == "strong-model"
    header = (out / "leaderboard.csv").read_text().splitlines()[0]
    assert header.startswith("rank,model,task,n,problems,config_hash,run_dir,scores,pass@1,")
    assert "maj@2 ci_high" in header and "maj@4" not in header


def test_leaderboard_command_errors(runs: Path, tmp_path: Path):
    result = CliRunner().invoke(_cli_app(), ["leaderboard", str(runs), "--metric", "majority"])
    assert isinstance(result.exception, ConfigError)
    result = CliRunner().invoke(_cli_app(), ["leaderboard", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert isinstance(result.exception, InputError)
    # a metric no run has ranked nothing and showed a column of dashes; a file as --out was a traceback
    result = CliRunner().invoke(_cli_app(), ["leaderboard", str(runs), "--metric", "foo@1", "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, ConfigError) and "no run has this metric; they have" in str(result.exception)
    assert "pass@1" in str(result.exception) and not (tmp_path / "o").exists()
    a_file = tmp_path / "board.md"
    a_file.write_text("mine")
    result = CliRunner().invoke(_cli_app(), ["leaderboard", str(runs), "--out", str(a_file)])
    assert isinstance(result.exception, InputError) and "is a file; --out names a folder" in str(result.exception)
    assert a_file.read_text() == "mine"


def test_one_broken_run_is_skipped_with_a_line_and_the_rest_make_the_table(runs: Path, tmp_path: Path):
    broken = runs / "broken"
    broken.mkdir()
    (broken / "metrics.json").write_text('{"run": {"model": "m"}, "metrics": {"pass@1": {"value": NaN, '
                                         '"ci": [0.04, 0.33]}}}')
    with pytest.raises(InputError, match="finite"):
        collect_leaderboard_rows([broken])
    out = tmp_path / "out"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(_cli_app(), ["leaderboard", str(runs), "--out", str(out),
                                                                   "--metric", "pass@1"])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "broken" in result.output
    board = json.loads((out / "leaderboard.json").read_text())
    assert {row["model"] for row in board} == {"strong-model", "weak-model"}
    only_broken = CliRunner().invoke(_cli_app(), ["leaderboard", str(broken), "--out", str(tmp_path / "o2")])
    assert isinstance(only_broken.exception, InputError) and "no readable run" in str(only_broken.exception)


def test_model_names_with_dollars_and_controls_do_not_break_the_plots(tmp_path: Path):
    run_dir = make_run(tmp_path, "odd", STRONG, model="ckpt-$\\alpha_{0.1$\x1b[31m")
    samples = [{"problem_id": f"p{i}", "task": "gsm8k", "question": "q", "reference": "1", "meta": {},
                "samples": [{"index": j, "text": "x" * (10 + 5 * j), "finish_reason": "stop", "num_tokens": 3 + j}
                            for j in range(4)]} for i in range(4)]
    (run_dir / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    written = write_run_reports(run_dir, build_run_metrics(run_dir, show_progress=False))
    assert "accuracy_vs_length.png" in written and written["accuracy_vs_length.png"].stat().st_size > 0


def test_without_a_metric_runs_rank_by_majority_vote_at_the_largest_k_every_run_has(runs: Path, tmp_path: Path):
    make_run(runs, "two-samples", [[1, 0], [0, 0], [1, 1], [0, 1]], model="two-sample-model")
    out = tmp_path / "out"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(_cli_app(), ["leaderboard", str(runs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ranked by maj@2" in (out / "leaderboard.md").read_text()
    header = (out / "leaderboard.csv").read_text().splitlines()[0]
    assert "maj@2" in header and "maj@8" not in header and "maj@4" not in header
    board = json.loads((out / "leaderboard.json").read_text())
    assert all("maj@2" in row["metrics"] for row in board)
    rows = collect_leaderboard_rows([runs / "weak", runs / "nested"])
    write_leaderboard(rows, tmp_path / "four")
    assert "ranked by maj@4" in (tmp_path / "four" / "leaderboard.md").read_text()


def test_a_run_without_the_ranking_metric_gets_no_rank_and_equal_values_share_one(tmp_path: Path):
    """Before: ranks were row numbers, so a run with no bon@8 at all was '#2 by bon@8' and two runs
    with the same maj@8 were #1 and #2 (by model name)."""
    def row(model: str, metrics: dict) -> dict:
        return {"model": model, "task": "t", "n": 8, "config_hash": None, "run_dir": str(tmp_path / model),
                "metrics": metrics}

    same = {"bon@8": {"value": 0.5, "ci": [0.4, 0.6]}}
    rows = [row("unscored", {}), row("b", same), row("a", same), row("c", {"bon@8": {"value": 0.2, "ci": [0.1, 0.3]}})]
    write_leaderboard(rows, tmp_path / "board", metric="bon@8")
    with (tmp_path / "board" / "leaderboard.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert [(line["rank"], line["model"]) for line in table] == [("1", "a"), ("1", "b"), ("3", "c"), ("", "unscored")]
    markdown_rows = [line for line in (tmp_path / "board" / "leaderboard.md").read_text().splitlines()
                     if line.startswith("| ") and not line.startswith(("| #", "| ---"))]
    assert [line.split(" | ")[0:2] for line in markdown_rows] == [["| 1", "a"], ["| 1", "b"], ["| 3", "c"],
                                                                   ["| —", "unscored"]]


def test_the_tables_name_the_confidence_level_the_runs_were_reported_at(runs: Path, tmp_path: Path):
    """Before: models_x_tasks.md said '95% bootstrap confidence interval' whatever level the runs'
    report.confidence asked for (a run at 0.5 showed its 50% intervals labelled 95%)."""
    strong = runs / "nested" / "strong"
    config = yaml.safe_load((strong / "config.yaml").read_text())
    (strong / "config.yaml").write_text(yaml.safe_dump({**config, "report": {"confidence": 0.5}}))
    write_task_table(collect_leaderboard_rows([strong], show_progress=False), tmp_path / "one")
    assert "each with its 50% bootstrap confidence interval" in (tmp_path / "one" / "models_x_tasks.md").read_text()
    result = CliRunner(env={"COLUMNS": "200"}).invoke(_cli_app(), ["leaderboard", str(runs), "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    for name in ("leaderboard.md", "models_x_tasks.md"):
        text = (tmp_path / "b" / name).read_text()
        assert "bootstrap confidence interval at its run's level (50% or 95%)" in text, text


def test_the_scores_cell_says_which_samples_were_scored():
    from evalkit.report.leaderboard import scoring_cell

    scoring = {"scorer": "evaluator", "coverage": 0.37, "selections": ["scr-top2"]}
    assert scoring_cell({"scoring": scoring}) == "evaluator, 37% of answered samples (scr-top2)"
    assert scoring_cell({"scoring": {**scoring, "selections": []}}) == "evaluator, 37% of answered samples"
    assert scoring_cell({"scoring": None}) == "none"


def test_the_csv_tables_label_a_run_stopped_before_every_problem_was_sampled(tmp_path: Path):
    """Before: leaderboard.md and the terminal said '2 of 5 problems (incomplete)' while leaderboard.csv
    and models_x_tasks.csv gave the run's figures with nothing to tell it from a finished run."""
    stopped = make_run(tmp_path / "runs", "stopped", [[1, 0], [0, 0]], model="stopped-model")
    config = yaml.safe_load((stopped / "config.yaml").read_text())
    (stopped / "config.yaml").write_text(yaml.safe_dump({**config, "num_problems": 5}))
    make_run(tmp_path / "runs", "finished", [[1, 1], [0, 1]], model="finished-model")
    rows = collect_leaderboard_rows([tmp_path / "runs"], show_progress=False)
    write_leaderboard(rows, tmp_path / "board")
    write_task_table(rows, tmp_path / "board")
    with (tmp_path / "board" / "leaderboard.csv").open() as handle:
        table = {line["model"]: line for line in csv.DictReader(handle)}
    assert table["stopped-model"]["problems"] == "2 of 5 problems (incomplete)"
    assert table["finished-model"]["problems"] == "2 problems"
    with (tmp_path / "board" / "models_x_tasks.csv").open() as handle:
        cells = list(csv.DictReader(handle))
    assert {cell["problems"] for cell in cells if cell["model"] == "stopped-model"} == {"2 of 5 problems (incomplete)"}


def test_the_leaderboard_names_the_k_and_the_run_of_each_row():
    """Before: rows of runs reranked with different K sat in one scr@8 column with nothing saying which K,
    and the 'Not reported' note named rows by model, ambiguous when two runs share one."""
    from evalkit.report.leaderboard import leaderboard_markdown, scoring_cell

    scoring = {"scorer": "evaluator", "coverage": 1.0, "selections": ["all"]}
    assert scoring_cell({"scoring": scoring, "top_clusters": 3}) == \
        "evaluator, 100% of answered samples (all); SCR keeps K = 3"
    rows = [{"model": "m", "task": "t", "n": 8, "run_dir": "runs/a", "config_path": None, "metrics": {},
             "not_reported": ["bon@8"]},
            {"model": "m", "task": "t", "n": 8, "run_dir": "runs/b", "config_path": None, "metrics": {},
             "not_reported": []}]
    assert "m \\(runs/a\\): bon@8." in leaderboard_markdown(rows, "maj@8", ["maj@8"])


def test_a_run_not_graded_yet_is_named_not_dropped_silently(runs: Path, tmp_path: Path):
    """A run killed while sampling (or imported and never graded) has samples but no grades: the
    leaderboard says it left it out, and how to grade it."""
    sampled = runs / "sampled-only"
    sampled.mkdir()
    (sampled / "samples.jsonl").write_text('{"problem_id": "1", "samples": []}\n')
    result = CliRunner(env={"COLUMNS": "200"}).invoke(_cli_app(), ["leaderboard", str(runs), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "sampled-only: not graded yet" in result.output.replace("\n", "")
    with pytest.raises(InputError, match="not graded yet"):
        collect_leaderboard_rows([sampled])


def test_one_part_of_a_sharded_run_is_labelled_as_a_part_and_every_row_says_how_many_problems_it_covers(tmp_path: Path):
    """Before: a shard part (2 of the 6 problems) showed as an ordinary row, with the whole run's config hash and
    no problem count in leaderboard.md or the terminal, and could rank above the whole run."""
    part = make_run(tmp_path / "runs", "part0", [[1, 1], [1, 1]], model="m")
    config = yaml.safe_load((part / "config.yaml").read_text())
    (part / "config.yaml").write_text(yaml.safe_dump({**config, "num_problems": 2, "shard": {
        "count": 3, "index": 0, "whole_problems": 6, "whole_sha256": "0" * 64}}))
    make_run(tmp_path / "runs", "whole", [[1, 1], [1, 0], [0, 0], [1, 1], [0, 1], [0, 0]], model="m")
    rows = collect_leaderboard_rows([tmp_path / "runs"], show_progress=False)
    write_leaderboard(rows, tmp_path / "board")
    write_task_table(rows, tmp_path / "board")
    board = (tmp_path / "board" / "leaderboard.md").read_text()
    assert "| m: 2 of 6 problems \\(shard 0/3\\) | gsm8k | 2 | 2 |" in board  # Markdown escapes the parentheses
    assert "| m | gsm8k | 6 | 2 |" in board
    with (tmp_path / "board" / "leaderboard.csv").open() as handle:
        assert {line["problems"] for line in csv.DictReader(handle)} == {"2 of 6 problems (shard 0/3)", "6 problems"}
    assert "2 of 6 problems \\(shard 0/3\\)" in (tmp_path / "board" / "models_x_tasks.md").read_text()
