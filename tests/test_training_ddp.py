"""Data-parallel training for real: two CPU processes in one gloo process group, started by
`accelerate launch` with `configs/accelerate/ddp-cpu.yaml`, running the unchanged `evalkit train` CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from evalkit.jsonl import read_jsonl, write_jsonl

REPO = Path(__file__).resolve().parents[1]
FIXTURE_DATA = Path(__file__).parent / "fixtures" / "tasks_data"


@pytest.mark.slow
def test_two_process_gloo_ddp_training(tmp_path, tiny_model_dir):
    if shutil.which("accelerate") is None:
        pytest.skip("the accelerate launcher is not installed")
    synthetic = tmp_path / "synthetic.jsonl"
    write_jsonl(synthetic, [{"problem": f"What is {a} + {a}?", "solution": f"{a} + {a} = \\boxed{{{2 * a}}}",
                             "answer": str(2 * a)} for a in range(2, 16)])
    out = tmp_path / "out"
    config = {
        "model": str(tiny_model_dir),
        "problems": {"task": "math", "data_dir": str(FIXTURE_DATA), "synthetic": [str(synthetic)]},
        "training": {"learning_rate": 3e-3, "max_steps": 8, "batch_size": 2, "logging_steps": 1, "save_steps": 4},
    }
    config_path = tmp_path / "ssft.yaml"
    config_path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = ["accelerate", "launch", "--config_file", str(REPO / "configs" / "accelerate" / "ddp-cpu.yaml"),
               "-m", "evalkit.training.cli", "ssft", "--config", str(config_path), "--out", str(out), "--quiet"]
    completed = subprocess.run(command, check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]

    # Both ranks ran: one process group of two, so each optimizer step consumed 2 x 2 examples.
    train_config = json.loads((out / "train_config.json").read_text())
    assert train_config["world_size"] == 2 and train_config["train_examples"] == 16
    records = [record for record in read_jsonl(out / "metrics.jsonl") if "loss" in record]
    assert [record["step"] for record in records] == list(range(1, 9))  # logged once, by rank 0
    assert records[3]["epoch"] == pytest.approx(1.0)  # 16 examples / (2 ranks x batch 2) = 4 steps an epoch
    losses = [record["loss"] for record in records]
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3
    # The final checkpoint was written once, completely, and loads.
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["checkpoints", "data.jsonl", "final", "metrics.jsonl", "result.json", "train_config.json"])
    assert sorted(path.name for path in (out / "checkpoints").iterdir()) == ["checkpoint-4", "checkpoint-8"]
    assert completed.stdout.count("model:") == 1  # only rank 0 reports
    from transformers import AutoModelForCausalLM

    assert type(AutoModelForCausalLM.from_pretrained(out / "final")).__name__ == "LlamaForCausalLM"
