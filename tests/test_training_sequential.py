"""The sequential SSFT -> evaluator -> SSFT chain end to end on the tiny model, and `evalkit train`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from typer.testing import CliRunner

from evalkit.errors import ConfigError
from evalkit.jsonl import read_jsonl
from evalkit.training.cli import train_app
from evalkit.training.config import parse_train_config
from evalkit.training.sequential import run_sequential
from reranker.templates import EvaluatorTemplate

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "tasks_data"
FAST_TRAINING = {"learning_rate": 3e-3, "max_steps": 3, "batch_size": 2, "logging_steps": 1}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def sequential_config(model: Path, out: Path) -> dict:
    return {
        "model": str(model),
        "out": str(out),
        "problems": {"task": "math", "split": "train", "data_dir": str(FIXTURE_DATA)},
        "ssft": FAST_TRAINING,
        "evaluator": {
            "sampling": {"n": 4, "max_tokens": 24, "temperature": 1.0, "backend": {"name": "hf", "options": {"device": "cpu"}},
                         "grading": {"workers": 0}},
            "data": {"balance": False, "keep_unjudged": True},
            "training": {**FAST_TRAINING, "append_eos": False},
        },
    }


def test_sequential_chain_end_to_end_and_rerun_skips_finished_stages(tmp_path, tiny_model_dir):
    out = tmp_path / "chain"
    config = parse_train_config("sequential", sequential_config(tiny_model_dir, out))
    result = run_sequential(config, show_progress=False)

    stage1, stage2, stage3 = out / "stage1-ssft", out / "stage2-evaluator", out / "stage3-ssft"
    assert result.generator == stage3 / "final" and result.evaluator == stage2 / "final"
    for stage in (stage1, stage2, stage3):
        assert (stage / "final" / "model.safetensors").exists()
        assert {"train_config.json", "data.jsonl", "metrics.jsonl"} <= {path.name for path in stage.iterdir()}
    # Each stage starts from the previous stage's checkpoint.
    bases = [json.loads((stage / "train_config.json").read_text())["base_model"] for stage in (stage1, stage2, stage3)]
    assert bases == [str(tiny_model_dir), str(stage1 / "final"), str(stage2 / "final")]
    # Stage 2 learned from the stage-1 model's own graded samples of the training problems.
    samples = read_jsonl(stage2 / "samples" / "samples.jsonl")
    assert len(samples) == 2 and all(len(record["samples"]) == 4 for record in samples)
    assert (stage2 / "samples" / "graded.jsonl").exists()
    counts = json.loads((stage2 / "evaluator_data.json").read_text())
    evaluator_data = read_jsonl(stage2 / "data.jsonl")
    assert counts["correct"] + counts["incorrect"] == len(evaluator_data) > 0
    template = EvaluatorTemplate()
    first = samples[0]
    assert evaluator_data[0]["prompt"] == template.prompt(first["question"], first["samples"][0]["text"])
    assert {record["completion"] for record in evaluator_data} <= {" correct", " incorrect"}
    # Stages 1 and 3 train on the same SSFT data.
    assert read_jsonl(stage1 / "data.jsonl") == read_jsonl(stage3 / "data.jsonl")
    summary = json.loads((out / "sequential.json").read_text())
    assert summary["generator"] == str(stage3 / "final") and summary["stage2"]["steps"] == 3

    stamps = {path: path.stat().st_mtime_ns for path in
              (stage1 / "final" / "model.safetensors", stage2 / "samples" / "samples.jsonl",
               stage3 / "final" / "model.safetensors")}
    again = run_sequential(config, show_progress=False)
    assert again == result
    assert {path: path.stat().st_mtime_ns for path in stamps} == stamps


def test_train_ssft_command_on_a_tmp_config(tmp_path, tiny_model_dir):
    config = {"model": str(tiny_model_dir), "problems": {"task": "gsm8k", "data_dir": str(FIXTURE_DATA),
                                                           "prompt": "gsm8k_cot"},
              "training": {**FAST_TRAINING, "max_length": 2048}}
    path = tmp_path / "ssft.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    result = CliRunner().invoke(train_app, ["ssft", "--config", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "model:" in result.output and (out / "final" / "config.json").exists()
    data = read_jsonl(out / "data.jsonl")
    assert data[0]["completion"].endswith("The answer is \\boxed{30}.")


def test_train_command_reports_bad_config_fields(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"model": "m", "problems": {"task": "math"}, "training": {"epochs": -1}}))
    result = CliRunner().invoke(train_app, ["ssft", "--config", str(path), "--out", str(tmp_path / "out")])
    assert isinstance(result.exception, ConfigError)
    assert "field 'training.epochs'" in str(result.exception)
    missing_out = tmp_path / "no_out.yaml"
    missing_out.write_text(yaml.safe_dump({"model": "m", "problems": {"task": "math"}}))
    result = CliRunner().invoke(train_app, ["ssft", "--config", str(missing_out)])
    assert isinstance(result.exception, ConfigError) and "--out" in str(result.exception)
    help_text = CliRunner().invoke(train_app, ["--help"]).output
    assert all(name in help_text for name in ("ssft", "evaluator", "sequential"))


def test_train_evaluator_command_with_a_given_graded_run_and_pairwise_objective(tmp_path, tiny_model_dir):
    from evalkit.jsonl import write_jsonl

    run = tmp_path / "graded_run"
    write_jsonl(run / "samples.jsonl", [
        {"problem_id": f"p{a}", "task": "math", "question": f"What is {a} + {a}?", "reference": str(2 * a), "meta": {},
         "samples": [{"text": f"{a} + {a} = \\boxed{{{2 * a}}}"}, {"text": f"{a} + {a} = \\boxed{{{2 * a + 1}}}"}]}
        for a in range(2, 6)])
    write_jsonl(run / "graded.jsonl", [
        {"problem_id": f"p{a}", "answers": [str(2 * a), str(2 * a + 1)], "clusters": [0, 1],
         "correct": [True, False], "reasons": ["ok", "ok"]} for a in range(2, 6)])
    config = {"model": str(tiny_model_dir), "problems": {"task": "math"},
              "evaluator": {"samples_run": str(run),
                            "training": {**FAST_TRAINING, "objective": "pairwise", "append_eos": False}}}
    path = tmp_path / "evaluator.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "evaluator"
    result = CliRunner().invoke(train_app, ["evaluator", "--config", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    pairs = read_jsonl(out / "data.jsonl")
    assert len(pairs) == 4 and all(pair["completion"] == " correct" for pair in pairs)
    assert all("\\boxed{" in pair["rejected_prompt"] for pair in pairs)
    assert json.loads((out / "evaluator_data.json").read_text())["pairs"] == 4
    assert (out / "final" / "model.safetensors").exists()
