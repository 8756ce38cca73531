"""`evalkit run` end to end on a tiny local model: SIGKILL mid-run, resume, nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from evalkit.jsonl import read_jsonl

DATA_DIR = Path(__file__).parent / "fixtures" / "pipeline_data"
NUM_PROBLEMS = 12


def _config(tmp_path: Path, model_dir: Path, **sampling) -> Path:
    config = {
        "model": "tiny", "task": "math500", "data_dir": str(DATA_DIR),
        "backend": {"name": "hf", "options": {"model": str(model_dir), "batch_size": 4}},
        "sampling": {"n": 2, "temperature": 1.0, "max_tokens": 24, "seed": 7, **sampling},
        "batch_problems": 1,
        "grading": {"workers": 1},
        "report": {"resamples": 50},
    }
    path = tmp_path / f"config-{len(sampling)}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _evalkit(*args: str, log: Path | None = None) -> subprocess.Popen:
    """Start `evalkit ARGS`; output goes to `log` when given (a pipe nobody reads could fill and stall it)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    stdout = log.open("w") if log is not None else subprocess.PIPE
    return subprocess.Popen([sys.executable, "-m", "evalkit.cli", *args], env=env,
                            stdout=stdout, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen, timeout: float = 400) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def _count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
def test_sigkill_then_resume_loses_nothing_and_duplicates_nothing(tmp_path, tiny_model_dir):
    config = _config(tmp_path, tiny_model_dir)
    killed_dir = tmp_path / "killed"
    log = tmp_path / "killed.log"
    process = _evalkit("run", str(config), "--out", str(killed_dir), "--quiet", "--no-report", log=log)
    deadline = time.monotonic() + 300
    while _count_lines(killed_dir / "samples.jsonl") < 3:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the run never wrote three problems"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written_before = _count_lines(killed_dir / "samples.jsonl")
    assert 3 <= written_before < NUM_PROBLEMS

    output = _finish(_evalkit("run", str(config), "--out", str(killed_dir), "--quiet"))
    assert "resuming" in output
    resumed = read_jsonl(killed_dir / "samples.jsonl")
    ids = [record["problem_id"] for record in resumed]
    assert len(ids) == NUM_PROBLEMS == len(set(ids))
    assert len(read_jsonl(killed_dir / "graded.jsonl")) == NUM_PROBLEMS
    assert (killed_dir / "metrics.json").exists()

    # The same config run without interruption gives the very same samples.
    clean_dir = tmp_path / "clean"
    _finish(_evalkit("run", str(config), "--out", str(clean_dir), "--quiet", "--no-report"))
    clean = {r["problem_id"]: [s["text"] for s in r["samples"]] for r in read_jsonl(clean_dir / "samples.jsonl")}
    assert clean == {r["problem_id"]: [s["text"] for s in r["samples"]] for r in resumed}


@pytest.mark.slow
def test_run_into_directory_of_another_config_is_refused(tmp_path, tiny_model_dir):
    run_dir = tmp_path / "run"
    _finish(_evalkit("run", str(_config(tmp_path, tiny_model_dir)), "--out", str(run_dir), "--quiet",
                     "--set", "filters.limit=2"))
    other = _evalkit("run", str(_config(tmp_path, tiny_model_dir, top_p=0.9)), "--out", str(run_dir), "--quiet",
                     "--set", "filters.limit=2")
    output, _ = other.communicate(timeout=120)
    assert other.returncode == 2
    assert "different config" in output and "Traceback" not in output
