"""`evalkit demo`: the AUROC function on hand cases, the report wording, and the quick demo end to end."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from evalkit.demo import (
    DemoLayout,
    DemoSettings,
    StepRecord,
    claim_out_dir,
    read_step,
    roc_auc,
    run_step,
    scr_verdict,
)
from evalkit.demo_cli import demo_command

# --- AUROC ------------------------------------------------------------------------------------


def test_auroc_perfect_separation_is_one():
    assert roc_auc([False, False, True, True], [0.1, 0.2, 0.8, 0.9]) == 1.0


def test_auroc_inverted_is_zero():
    assert roc_auc([True, True, False, False], [0.1, 0.2, 0.8, 0.9]) == 0.0


def test_auroc_all_tied_is_one_half():
    assert roc_auc([True, False, True, False, False], [0.5] * 5) == 0.5


def test_auroc_counts_a_tie_across_classes_as_one_half():
    # positive 0.7 beats both negatives; positive 0.4 ties one negative and beats the other: (2 + 1.5) / 4
    assert roc_auc([True, True, False, False], [0.7, 0.4, 0.4, 0.1]) == pytest.approx(3.5 / 4)


def test_auroc_matches_pairwise_definition_on_random_data():
    import random

    rng = random.Random(0)
    labels = [rng.random() < 0.4 for _ in range(60)]
    scores = [round(rng.random(), 1) for _ in range(60)]  # rounding makes many ties
    positives = [s for s, label in zip(scores, labels) if label]
    negatives = [s for s, label in zip(scores, labels) if not label]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    assert roc_auc(labels, scores) == pytest.approx(wins / (len(positives) * len(negatives)))


def test_auroc_undefined_with_one_class_and_checks_lengths():
    assert math.isnan(roc_auc([True, True], [0.1, 0.9]))
    with pytest.raises(ValueError):
        roc_auc([True], [0.1, 0.2])


# --- summary wording --------------------------------------------------------------------------


def comparison_document(value, low, high):
    return {"settings": {"confidence": 0.95},
            "comparisons": {"scr@16 - maj@16": {"value": value, "ci": [low, high]}}}


@pytest.mark.parametrize(("value", "low", "high", "expected"), [
    (0.05, 0.01, 0.09, "SCR beat majority vote"),
    (0.02, -0.01, 0.05, "ahead of majority vote, but not significantly"),
    (-0.02, -0.05, 0.01, "behind majority vote, but not significantly"),
    (-0.05, -0.09, -0.01, "SCR did worse than majority vote"),
    (0.0, -0.02, 0.02, "SCR tied with majority vote"),
])
def test_scr_verdict_is_honest_about_significance(value, low, high, expected):
    text = scr_verdict(comparison_document(value, low, high), 16)
    assert expected in text
    assert f"{100 * value:+.1f} points" in text


def test_scr_verdict_without_scores():
    assert "could not be compared" in scr_verdict({"settings": {"confidence": 0.95}, "comparisons": {}}, 16)


def test_run_step_skips_a_finished_step(tmp_path):
    from rich.console import Console

    layout = DemoLayout(tmp_path)
    calls = []
    console = Console(quiet=True)
    first = run_step(layout, "thing", "do a thing", lambda: calls.append(1) or {"value": 3}, console)
    again = run_step(layout, "thing", "do a thing", lambda: calls.append(1) or {"value": 4}, console)
    assert calls == [1]
    assert not first.skipped and again.skipped
    assert again.details == {"value": 3}
    assert read_step(layout, "other") is None
    assert isinstance(read_step(layout, "thing"), StepRecord)


def test_out_dir_of_other_settings_is_refused(tmp_path):
    from evalkit.errors import ConfigError

    layout = DemoLayout(tmp_path / "out")
    claim_out_dir(layout, DemoSettings.quick())
    claim_out_dir(layout, DemoSettings.quick())  # same settings: resumable
    with pytest.raises(ConfigError, match="other settings"):
        claim_out_dir(layout, DemoSettings.full())
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        claim_out_dir(DemoLayout(stranger), DemoSettings.quick())


# --- the quick demo, end to end ---------------------------------------------------------------

def demo_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("demo")(demo_command)

    @app.command("version")
    def version() -> None:  # a second command, so that typer keeps "demo" as a subcommand name
        print("test")

    return app


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("demo") / "out"
    started = time.perf_counter()
    result = CliRunner().invoke(demo_app(), ["demo", "--quick", "--out", str(out)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "demo finished" in result.output
    return out, elapsed


@pytest.mark.slow
def test_quick_demo_writes_leaderboard_with_cis(quick_demo):
    out, _ = quick_demo
    rows = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    assert sorted(row["model"] for row in rows) == ["sequential", "ssft"]
    for row in rows:
        assert row["task"] == "arith"
        n = row["n"]
        for name in ("pass@1", f"maj@{n}", f"scr@{n}", f"bon@{n}", f"pass@{n}"):
            estimate = row["metrics"][name]
            low, high = estimate["ci"]
            assert 0.0 <= low <= estimate["value"] <= high <= 1.0, (name, estimate)
    assert (out / "leaderboard.md").is_file()
    assert (out / "plots" / "ssft.png").stat().st_size > 0
    assert (out / "plots" / "sequential.png").stat().st_size > 0


@pytest.mark.slow
def test_quick_demo_evaluator_and_summary(quick_demo):
    out, _ = quick_demo
    evaluator = json.loads((out / "evaluator.json").read_text(encoding="utf-8"))
    assert evaluator["samples"] > 0
    assert 0 <= evaluator["positives"] <= evaluator["samples"]
    assert evaluator["auroc"] is None or 0.0 <= evaluator["auroc"] <= 1.0
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "SCR" in summary and "majority vote" in summary
    assert "paired-bootstrap CI" in summary
    assert "AUROC" in summary and "total" in summary


@pytest.mark.slow
def test_quick_demo_learns_something(quick_demo):
    out, _ = quick_demo
    rows = {row["model"]: row for row in json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))}
    n = rows["ssft"]["n"]
    # chance on arith is about zero; even the quick model solves some problems within n tries
    assert rows["ssft"]["metrics"][f"pass@{n}"]["value"] > 0.0


@pytest.mark.slow
def test_quick_demo_rerun_skips_finished_steps(quick_demo):
    out, first_seconds = quick_demo
    before = {path.name: path.stat().st_mtime for path in (out / "steps").iterdir()}
    started = time.perf_counter()
    result = CliRunner().invoke(demo_app(), ["demo", "--quick", "--out", str(out)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert result.output.count("skipped") >= 10
    after = {path.name: path.stat().st_mtime for path in (out / "steps").iterdir()}
    assert after == before
    assert elapsed < max(20.0, first_seconds / 3)
