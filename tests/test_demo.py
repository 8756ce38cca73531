"""`evalkit demo`: the claim wording, the output folder rules, and the quick demo end to end."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from evalkit.demo import DemoLayout, DemoSettings, claim_out_dir, claim_verdict, sequential_config
from evalkit.demo_cli import demo_command

# --- summary wording --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "low", "high", "expected"), [
    (0.05, 0.01, 0.09, "SCR beat majority vote"),
    (0.02, -0.01, 0.05, "ahead of majority vote, but not significantly"),
    (-0.02, -0.05, 0.01, "behind majority vote, but not significantly"),
    (-0.05, -0.09, -0.01, "SCR did worse than majority vote"),
    (0.0, -0.02, 0.02, "SCR tied with majority vote"),
])
def test_claim_verdict_is_honest_about_significance(value, low, high, expected):
    text = claim_verdict({"value": value, "ci": [low, high]}, "SCR", "majority vote", 0.95)
    assert expected in text
    assert f"{100 * value:+.1f} points" in text and "95% paired-bootstrap CI" in text


def test_claim_verdict_without_a_comparison():
    assert "could not be compared" in claim_verdict(None, "SCR", "majority vote", 0.95)


def test_each_preset_is_named_by_its_key():
    from evalkit.demo import DEMO_PRESETS

    assert sorted(DEMO_PRESETS) == ["full", "large", "quick"]
    for name, preset in DEMO_PRESETS.items():
        assert preset(3).preset == name and preset(3).seed == 3


def test_out_dir_of_other_settings_is_refused(tmp_path):
    from evalkit.errors import ConfigError

    layout = DemoLayout(tmp_path / "out")
    claim_out_dir(layout, DemoSettings.quick())
    claim_out_dir(layout, DemoSettings.quick())  # same settings: resumable
    with pytest.raises(ConfigError, match="other settings"):
        claim_out_dir(layout, DemoSettings.full())
    with pytest.raises(ConfigError, match=r"other settings: seed \(0 there, 1 now\) \(see "):
        claim_out_dir(layout, DemoSettings.quick(seed=1))
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        claim_out_dir(DemoLayout(stranger), DemoSettings.quick())


def test_a_folder_from_before_a_new_setting_resumes_while_the_setting_keeps_its_default(tmp_path):
    """Settings written before `evaluator_pairing` and `evaluator_deduplicate` existed: the quick
    preset keeps their defaults (the old behaviour) and resumes; the large preset changes them and
    is refused, with the settings named."""
    import json

    from evalkit.demo import SETTINGS_FILE
    from evalkit.errors import ConfigError

    for preset, resumes in ((DemoSettings.quick, True), (DemoSettings.large, False)):
        layout = DemoLayout(tmp_path / preset.__name__)
        claim_out_dir(layout, preset())
        stored = json.loads((layout.root / SETTINGS_FILE).read_text())
        del stored["evaluator_pairing"], stored["evaluator_deduplicate"]
        (layout.root / SETTINGS_FILE).write_text(json.dumps(stored))
        if resumes:
            claim_out_dir(layout, preset())
        else:
            with pytest.raises(ConfigError, match=r"evaluator_deduplicate \(None there, False now\), "
                                                  r"evaluator_pairing \(None there, 'all' now\)"):
                claim_out_dir(layout, preset())
    layout = DemoLayout(tmp_path / "nested")  # a nested field added later (StageTraining.objective was)
    claim_out_dir(layout, DemoSettings.quick())
    stored = json.loads((layout.root / SETTINGS_FILE).read_text())
    del stored["ssft"]["objective"], stored["model"]["pretrain"]["learning_rate"]  # both at their defaults
    (layout.root / SETTINGS_FILE).write_text(json.dumps(stored))
    claim_out_dir(layout, DemoSettings.quick())
    del stored["model"]["pretrain"]["warmup_steps"]  # 20 in the quick preset, 0 by default
    (layout.root / SETTINGS_FILE).write_text(json.dumps(stored))
    with pytest.raises(ConfigError, match=r"other settings: model.pretrain.warmup_steps \(None there, 20 now\) "):
        claim_out_dir(layout, DemoSettings.quick())
    layout = DemoLayout(tmp_path / "explicit-none")
    claim_out_dir(layout, DemoSettings.quick())
    stored = json.loads((layout.root / SETTINGS_FILE).read_text())
    stored["evaluator_pairing"] = None  # written, not missing: a real difference
    (layout.root / SETTINGS_FILE).write_text(json.dumps(stored))
    with pytest.raises(ConfigError, match="evaluator_pairing"):
        claim_out_dir(layout, DemoSettings.quick())


def test_the_demo_trains_through_the_sequential_config_of_evalkit_train(tmp_path):
    from evalkit.training.config import parse_train_config

    layout = DemoLayout(tmp_path)
    config = parse_train_config("sequential", sequential_config(layout, DemoSettings.full()))
    assert config.evaluator.sampling.max_problems == DemoSettings.full().evaluator_train_problems
    assert config.ssft.max_steps == DemoSettings.full().ssft.steps
    # the shipped evaluator is the two-way one: it learns whole texts, EOS included, as the measured recipe did
    assert config.evaluator.kind == "two_way" and config.evaluator.training.objective == "lm"
    assert config.evaluator.training.append_eos is True and config.evaluator.training.warmup_ratio == 0.05
    verdict = parse_train_config("sequential", sequential_config(layout, micro_settings()))
    assert verdict.evaluator.kind == "verdict" and verdict.evaluator.training.append_eos is False
    assert verdict.evaluator.training.warmup_ratio == 0.0


def test_an_unknown_evaluator_kind_is_refused():
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError, match="evaluator_kind 'oracle'"):
        DemoSettings(**{**DemoSettings.quick().__dict__, "evaluator_kind": "oracle"})


def test_the_large_preset_trains_a_deeper_model_and_the_joint_evaluator_on_every_training_problem(tmp_path):
    from evalkit.training.config import parse_train_config

    large, full = DemoSettings.large(seed=3), DemoSettings.full(seed=3)
    config = parse_train_config("sequential", sequential_config(DemoLayout(tmp_path), large))
    assert config.evaluator.training.objective == "joint" and config.evaluator.training.max_steps == 500
    assert config.evaluator.kind == "verdict"  # the large preset's figures are the verdict evaluator's
    assert (config.evaluator.data.pairing, config.evaluator.data.deduplicate) == ("all", False)
    full_config = parse_train_config("sequential", sequential_config(DemoLayout(tmp_path), full))
    assert (full_config.evaluator.data.pairing, full_config.evaluator.data.deduplicate) == ("round_robin", True)
    assert config.ssft_again == config.ssft  # stage 3 as long as stage 1
    assert config.evaluator.sampling.max_problems == large.train_problems == full.train_problems
    assert large.model.layers == 4 and large.model.hidden_size == full.model.hidden_size
    assert (large.test_problems, large.samples_per_problem, large.seed) == (full.test_problems, 16, 3)
    assert (large.preset, full.preset, DemoSettings.quick().preset) == ("large", "full", "quick")


def test_quick_and_large_together_are_refused_at_once(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "evalkit.cli", "demo", "--quick", "--large",
                             "--out", str(tmp_path / "out")], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip() == "error: --quick and --large are two different presets: give one of them"
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_is_one_line_before_anything_runs(tmp_path):
    """Before: a FileExistsError traceback from mkdir; now one line naming --out."""
    from evalkit.errors import ConfigError

    (tmp_path / "taken").write_text("mine", encoding="utf-8")
    for out in (tmp_path / "taken", tmp_path / "taken" / "demo"):
        with pytest.raises(ConfigError, match=r"^--out .*taken.* (is a file|is inside the file .*taken): give a folder"):
            claim_out_dir(DemoLayout(out), DemoSettings.quick())
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("seed", ["-5", str(2**32)])
def test_a_seed_numpy_cannot_take_is_refused_at_once(tmp_path, seed):
    """Before: `--seed -5` trained the base model for a minute, then ended in a numpy traceback
    ('Seed must be between 0 and 2**32 - 1'); now one line at once, and nothing is written."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "evalkit.cli", "demo", "--quick", "--seed", seed,
                             "--out", str(tmp_path / "out")], check=False, capture_output=True, text=True,
                             timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip() == f"error: --seed {seed}: expected an integer from 0 to {2**32 - 1} (the seeds numpy takes)"
    assert not (tmp_path / "out").exists()


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
    assert "Loading weights" not in result.output  # the libraries' own bars stay off: the demo draws its progress
    return out, elapsed


@pytest.mark.slow
def test_quick_demo_writes_leaderboard_predictions_and_honest_labels(quick_demo):
    out, _ = quick_demo
    rows = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    assert sorted(row["model"] for row in rows) == ["sequential", "ssft"]
    for row in rows:
        assert row["task"] == "arith" and not Path(row["run_dir"]).is_absolute()
        n = row["n"]
        for name in (f"avg@{n}", f"cons@{n}", f"scr@{n}", f"bon@{n}", f"pass@{n}"):
            estimate = row["metrics"][name]
            low, high = estimate["ci"]
            assert 0.0 <= low <= estimate["value"] <= high <= 1.0, (name, estimate)
        assert row["scoring"]["scorer"] == "evaluator" and row["scoring"]["coverage"] == 1.0
        assert row["scoring"]["selections"] == ["scr-top2", "all"]
        predictions = [json.loads(line) for line in (out / row["run_dir"] / "predictions.jsonl").read_text().splitlines()]
        scr = [p for p in predictions if p["rule"] == "scr"]
        assert len(scr) == json.loads((out / row["run_dir"] / "metrics.json").read_text())["run"]["problems"]
        assert sum(p["correct"] for p in scr) / len(scr) == pytest.approx(row["metrics"][f"scr@{n}"]["value"])
    assert (out / "plots" / "ssft.png").stat().st_size > 0


@pytest.mark.slow
def test_quick_demo_evaluator_and_summary(quick_demo):
    out, _ = quick_demo
    evaluator = json.loads((out / "evaluator.json").read_text(encoding="utf-8"))
    assert evaluator["samples"] > 0 and 0 <= evaluator["positives"] <= evaluator["samples"]
    assert evaluator["auroc"] is None or 0.0 <= evaluator["auroc"] <= 1.0
    assert "sequential pass@1 - ssft pass@1" in evaluator["comparisons"]
    # what re-ranking needs, beside what the generator itself knows (its logprobs are recorded while sampling)
    assert evaluator["within_problem_problems"] >= 0
    for name in ("within_problem_auroc", "generator_logprob_within_problem_auroc"):
        assert evaluator[name] is None or 0.0 <= evaluator[name] <= 1.0
    first = json.loads((out / "runs" / "ssft" / "samples.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert all(sample["logprob"] is not None and sample["logprob"] <= 0.0 for sample in first["samples"])
    summary = (out / "summary.md").read_text(encoding="utf-8")
    for text in ("Claim 1", "Claim 2", "Claim 3", "paired-bootstrap CI", "AUROC", "evaluator calls", "total"):
        assert text in summary
    from evalkit.training.config import load_train_config

    config = load_train_config("sequential", out / "train-sequential.yaml")  # what `evalkit train` reads
    assert Path(config.out) == out / "sequential"


@pytest.mark.slow
def test_quick_demo_rerun_resumes_without_retraining(quick_demo):
    out, first_seconds = quick_demo
    finals = sorted((out / "sequential").glob("*/result.json")) + [out / "base-model" / "config.json"]
    before = {path: path.stat().st_mtime for path in finals}
    metrics_before = json.loads((out / "runs" / "ssft" / "metrics.json").read_text())
    started = time.perf_counter()
    result = CliRunner().invoke(demo_app(), ["demo", "--quick", "--out", str(out), "--quiet"])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output + repr(result.exception)
    # --quiet: no progress and no summary printed (notes on what resumed stay), a last line that says where it is
    assert "━" not in result.output and "> data" not in result.output and "stage 1: SSFT" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("demo finished") and "summary.md" in last
    assert {path: path.stat().st_mtime for path in finals} == before
    assert json.loads((out / "runs" / "ssft" / "metrics.json").read_text()) == metrics_before
    assert elapsed < max(30.0, first_seconds / 2)


def micro_settings(seed: int = 0) -> DemoSettings:
    """Smaller than --quick: enough to run every step twice in a test. One-operation problems and
    400 pre-training steps make the stage-1 model right on a fair share of its training samples
    (19 of 63 with seed 3 here; 3 of 54 with two-step problems and 150 steps on an earlier machine,
    0 on this one): an evaluator is not trained on samples of one class, and float rounding differs
    between machines, so the margin must be wide."""
    from evalkit.demo import ModelShape, StageTraining
    from evalkit.testing.tiny_model import PretrainSettings
    from tasks.arith import ArithDifficulty

    return DemoSettings(
        train_problems=120, test_problems=8, pretrain_problems=200, difficulty=ArithDifficulty(min_steps=1, max_steps=1),
        model=ModelShape(pretrain=PretrainSettings(steps=400)), ssft=StageTraining(steps=6, batch_size=16, learning_rate=2e-3),
        evaluator=StageTraining(steps=4, batch_size=16, learning_rate=1e-3),
        sequential=StageTraining(steps=3, batch_size=16, learning_rate=1e-3),
        samples_per_problem=4, evaluator_train_problems=16, evaluator_samples_per_problem=4, max_tokens=48,
        seed=seed)


@pytest.mark.slow
def test_same_seed_gives_the_same_numbers(tmp_path):
    from rich.console import Console

    from evalkit.demo import run_demo

    first = run_demo(tmp_path / "a", settings=micro_settings(3), console=Console(quiet=True))
    second = run_demo(tmp_path / "b", settings=micro_settings(3), console=Console(quiet=True))
    for model in ("ssft", "sequential"):
        assert first.documents[model]["metrics"] == second.documents[model]["metrics"]
        assert first.documents[model]["scoring"] == second.documents[model]["scoring"]
    assert first.evaluator["auroc"] == second.evaluator["auroc"]
    assert first.comparisons == second.comparisons


def test_a_resumed_scoring_pass_is_not_reported_as_zero_calls():
    from evalkit.demo import scoring_pass_calls

    assert scoring_pass_calls({"evaluator_calls": 1033, "problems_scored_now": 190}) == \
        "the SCR scoring pass made 1033 distinct calls."
    resumed = scoring_pass_calls({"evaluator_calls": 0, "problems_scored_now": 0, "problems_already_scored": 190})
    assert "earlier invocation" in resumed and "0 distinct" not in resumed
    assert scoring_pass_calls({"evaluator_calls": 0, "problems_scored_now": 0, "problems_already_scored": 0}) == \
        "the SCR scoring pass made 0 distinct calls."  # nothing needed a score
