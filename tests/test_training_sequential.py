"""The sequential SSFT -> evaluator -> SSFT chain end to end on the tiny model, and `evalkit train`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
import yaml
from typer.testing import CliRunner

import tasks
from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_jsonl, write_jsonl
from evalkit.training.checks import check_samples_run
from evalkit.training.cli import train_app
from evalkit.training.config import ProblemsConfig, parse_train_config
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
    # 30 SSFT steps make the tiny model write the two training solutions often enough for its samples
    # to hold correct and incorrect ones (an evaluator needs both)
    return {
        "model": str(model),
        "out": str(out),
        "problems": {"task": "math", "split": "train", "data_dir": str(FIXTURE_DATA)},
        "ssft": {**FAST_TRAINING, "max_steps": 30},
        "ssft_again": FAST_TRAINING,
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
    assert bases == [str(path.resolve()) for path in (tiny_model_dir, stage1 / "final", stage2 / "final")]
    assert [json.loads((stage / "stage_base.json").read_text())["base_model"] for stage in (stage1, stage2, stage3)] \
        == bases
    # Stage 2 learned from the stage-1 model's own graded samples of the training problems.
    samples = read_jsonl(stage2 / "samples" / "samples.jsonl")
    assert len(samples) == 2 and all(len(record["samples"]) == 4 for record in samples)
    assert (stage2 / "samples" / "graded.jsonl").exists()
    counts = json.loads((stage2 / "evaluator_data.json").read_text())
    evaluator_data = read_jsonl(stage2 / "data.jsonl")
    assert counts["correct"] + counts["incorrect"] == len(evaluator_data) and counts["correct"] and counts["incorrect"]
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
    # stage 1 trained again (here: its model changed in place): stages 2 and 3 are not resumed from the old one
    with (stage1 / "final" / "config.json").open("a") as handle:
        handle.write("\n")
    with pytest.raises(ConfigError, match=r"stage2-evaluator was built from another model than .*stage1-ssft/final is "
                                          r"now \(stage1-ssft was trained again since\): delete .*stage2-evaluator and "
                                          r".*stage3-ssft and run again"):
        run_sequential(config, show_progress=False)


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
    recorded = json.loads((out / "train_config.json").read_text())
    assert recorded["base_model"] == str(tiny_model_dir.resolve()) and recorded["base_model_identity"]
    source = recorded["source"]
    assert source["problems"] == {**config["problems"], "split": "train", "data_source": None, "synthetic": [],
                                  "filters": {"subjects": None, "levels": None, "ids": None, "limit": None}}
    assert source["config_file"] == str(path.resolve()) and source["config_text"] == path.read_text()
    assert source["config"]["training"]["max_steps"] == FAST_TRAINING["max_steps"]


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


def train_evaluator_on_a_graded_run(tmp_path: Path, model_dir: Path, objective: str, data: dict | None = None) -> Path:
    """`evalkit train evaluator` with the objective on `graded_run`'s samples; the output folder."""
    run = graded_run(tmp_path / "graded_run", {"model": "m", "task": "math", "split": "train"})
    config = {"model": str(model_dir), "problems": {"task": "math"},
              "evaluator": {"samples_run": str(run), "data": data or {},
                            "training": {**FAST_TRAINING, "objective": objective, "append_eos": False}}}
    path = tmp_path / "evaluator.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "evaluator"
    result = CliRunner().invoke(train_app, ["evaluator", "--config", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "final" / "model.safetensors").exists()
    return out


def test_train_evaluator_command_with_a_given_graded_run_and_pairwise_objective(tmp_path, tiny_model_dir):
    out = train_evaluator_on_a_graded_run(tmp_path, tiny_model_dir, "pairwise")
    pairs = read_jsonl(out / "data.jsonl")
    assert len(pairs) == 4 and all(pair["completion"] == " correct" for pair in pairs)
    assert all("\\boxed{" in pair["rejected_prompt"] for pair in pairs)
    assert json.loads((out / "evaluator_data.json").read_text())["pairs"] == 4
    source = json.loads((out / "train_config.json").read_text())["source"]
    assert source["samples_run"] == str((tmp_path / "graded_run").resolve()) and source["problems"]["task"] == "math"


def test_a_refused_evaluator_rerun_leaves_the_finished_runs_data_summary(tmp_path, tiny_model_dir):
    out = train_evaluator_on_a_graded_run(tmp_path, tiny_model_dir, "pairwise")
    before = (out / "evaluator_data.json").read_text()
    config = yaml.safe_load((tmp_path / "evaluator.yaml").read_text())
    config["evaluator"]["training"]["objective"] = "lm"
    (tmp_path / "evaluator.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(train_app, ["evaluator", "--config", str(tmp_path / "evaluator.yaml"), "--out", str(out),
                                            "--quiet"])
    assert isinstance(result.exception, ConfigError) and "other inputs" in str(result.exception)
    assert (out / "evaluator_data.json").read_text() == before  # still what final/ was trained on


def test_a_second_train_command_in_a_busy_output_folder_is_refused_by_name(tmp_path, tiny_model_dir):
    from evalkit.store.lock import RunDirBusy, RunLock

    config = tmp_path / "ssft.yaml"
    config.write_text(yaml.safe_dump({"model": str(tiny_model_dir), "problems": {"task": "gsm8k", "data_dir": str(FIXTURE_DATA)},
                                      "training": FAST_TRAINING}))
    out = tmp_path / "busy"
    with RunLock(out, "evalkit train ssft"):
        result = CliRunner().invoke(train_app, ["ssft", "--config", str(config), "--out", str(out), "--quiet"])
    assert isinstance(result.exception, RunDirBusy) and "is in use by" in str(result.exception)
    assert not (out / "train_config.json").exists()


def test_train_evaluator_command_with_the_joint_objective(tmp_path, tiny_model_dir):
    out = train_evaluator_on_a_graded_run(tmp_path, tiny_model_dir, "joint", data={"balance": False})
    examples = read_jsonl(out / "data.jsonl")
    singles = [example for example in examples if "rejected_prompt" not in example]
    assert len(singles) == 8 and len(examples) == 12
    assert {(example["completion"], example["alternative"]) for example in singles} == \
        {(" correct", " incorrect"), (" incorrect", " correct")}
    summary = json.loads((out / "evaluator_data.json").read_text())
    assert (summary["pairs"], summary["correct"], summary["incorrect"]) == (4, 4, 4)


def graded_run(run: Path, config: dict, questions: list[str] | None = None) -> Path:
    """A graded run of 4 problems, each with a correct and an incorrect sample, with `config` as its config.yaml."""
    questions = questions or [f"What is {a} + {a}?" for a in range(2, 6)]
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    write_jsonl(run / "samples.jsonl", [
        {"problem_id": f"p{a}", "task": "math", "question": question, "reference": str(2 * a), "meta": {},
         "samples": [{"text": f"{a} + {a} = \\boxed{{{2 * a}}}"}, {"text": f"{a} + {a} = \\boxed{{{2 * a + 1}}}"}]}
        for a, question in zip(range(2, 6), questions)])
    write_jsonl(run / "graded.jsonl", [
        {"problem_id": f"p{a}", "answers": [str(2 * a), str(2 * a + 1)], "clusters": [0, 1],
         "correct": [True, False], "reasons": ["ok", "ok"]} for a in range(2, 6)])
    return run


def test_samples_run_of_other_problems_is_refused(tmp_path):
    problems = ProblemsConfig(task="math", split="train", data_dir=str(FIXTURE_DATA))
    with pytest.raises(InputError, match="field 'evaluator.samples_run': samples run .*nosuch not found"):
        check_samples_run(tmp_path / "nosuch", problems)
    (tmp_path / "samples.jsonl").write_text("{}\n")
    with pytest.raises(InputError, match="samples run .*samples.jsonl is a file, not a run directory"):
        check_samples_run(tmp_path / "samples.jsonl", problems)
    test_split = graded_run(tmp_path / "test", {"model": "m", "task": "math", "split": "test"})
    with pytest.raises(ConfigError, match="holds samples of task math, split test, but the config's problems are "
                                          "task math, split train"):
        check_samples_run(test_split, problems)
    other_task = graded_run(tmp_path / "other", {"model": "m", "task": "math500", "split": "train"})
    with pytest.raises(ConfigError, match="task math500"):
        check_samples_run(other_task, problems)
    # an imported run records no split: its questions must be the configured split's
    imported = graded_run(tmp_path / "imported", {"source": "import", "model": "m", "task": "math"})
    with pytest.raises(ConfigError, match=r"records no split, and 4 of its 4 problems \(first: p2\) are not problems "
                                          "of the config's task math, split train"):
        check_samples_run(imported, problems)
    with pytest.raises(InputError, match="field 'problems.data_dir': the data directory .*nodata does not exist"):
        check_samples_run(imported, ProblemsConfig(task="math", data_dir=str(tmp_path / "nodata")))
    train_questions = [problem.question for problem in tasks.get_task("math").load("train", data_dir=FIXTURE_DATA)]
    ours = graded_run(tmp_path / "ours", {"source": "import", "model": "m", "task": "math"},
                      questions=(train_questions * 4)[:4])
    check_samples_run(ours, problems)
    # filters choose problems to sample; a run sampled already is used whole (they were ignored silently)
    limited = ProblemsConfig(task="math", split="train", data_dir=str(FIXTURE_DATA), filters={"limit": 2})
    with pytest.raises(ConfigError, match="problems.filters select training problems to sample, but "
                                          "evaluator.samples_run .* is used whole"):
        check_samples_run(ours, limited)


def test_train_commands_refuse_bad_models_and_folders_before_writing(tmp_path, tiny_model_dir):
    def invoke(kind: str, config: dict, *args: str):
        path = tmp_path / f"{kind}.yaml"
        path.write_text(yaml.safe_dump(config))
        return CliRunner().invoke(train_app, [kind, "--config", str(path), *args, "--quiet"])

    problems = {"task": "gsm8k", "data_dir": str(FIXTURE_DATA)}
    for kind in ("ssft", "evaluator", "sequential"):
        result = invoke(kind, {"model": str(tmp_path / "nosuchdir"), "out": str(tmp_path / kind), "problems": problems})
        assert isinstance(result.exception, ConfigError) and "base model not found" in str(result.exception)
        assert not (tmp_path / kind).exists()
    result = invoke("ssft", {"model": str(tiny_model_dir), "out": str(tmp_path / "o"),
                             "problems": {"task": "gsm8k", "data_dir": str(tmp_path / "nodata")}})
    assert str(result.exception) == f"field 'problems.data_dir': the data directory {tmp_path / 'nodata'} does not exist"
    result = invoke("evaluator", {"model": str(tiny_model_dir), "out": str(tmp_path / "o"), "problems": problems,
                                  "evaluator": {"samples_run": str(tmp_path / "nosuch")}})
    assert "not found" in str(result.exception) and "grade" not in str(result.exception)
    assert not (tmp_path / "o").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("mine")
    result = invoke("sequential", {"model": str(tiny_model_dir), "out": str(mine), "problems": problems})
    assert isinstance(result.exception, ConfigError) and "(thesis.tex)" in str(result.exception)
    assert [path.name for path in mine.iterdir()] == ["thesis.tex"]


def test_quiet_silences_the_libraries_progress_bars(tmp_path, monkeypatch):
    from transformers.utils import logging as transformers_logging

    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    path = tmp_path / "ssft.yaml"
    path.write_text(yaml.safe_dump({"model": str(tmp_path / "nosuchdir"), "problems": {"task": "math"}}))
    try:
        CliRunner().invoke(train_app, ["ssft", "--config", str(path), "--out", str(tmp_path / "out"), "-q"])
        assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
        assert not transformers_logging.is_progress_bar_enabled()
    finally:
        transformers_logging.enable_progress_bar()
