"""`evalkit run` on an OpenAI-compatible server that misbehaves: malformed replies, a server that
is not there, a server that dies mid-run. Each ends with one clear line (never a traceback) that
tells the truth about what was kept, and running the same command again finishes the run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml
from fake_openai_server import Faults, FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = 12


def _data(root: Path) -> Path:
    lines = [json.dumps({"problem": f"What is ${i} + 2$?", "solution": f"$\\boxed{{{i + 2}}}$", "answer": str(i + 2),
                         "subject": "Algebra", "level": 1, "unique_id": f"test/stop/{i}.json"})
             for i in range(PROBLEMS)]
    (root / "math").mkdir(parents=True, exist_ok=True)
    (root / "math" / "math500.jsonl").write_text("\n".join(lines) + "\n")
    return root


def _config(root: Path, url: str, **options) -> Path:
    config = {
        "model": "fake", "task": "math500", "data_dir": str(_data(root / "data")),
        "backend": {"name": "openai", "options": {
            "model": "fake", "base_url": url, "max_in_flight": 3, "timeout": 5.0, "max_retries": 4,
            "backoff_base": 0.01, "backoff_max": 0.05, **options}},
        "sampling": {"n": 2, "temperature": 1.0, "max_tokens": 32, "seed": 0},
        "grading": {"workers": 1},
        "report": {"resamples": 20},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _run(config: Path, out: Path) -> tuple[int, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "COLUMNS": "1000"}
    done = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", str(config), "--out", str(out), "--quiet"],
                          env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def _sampled(out: Path) -> int:
    path = out / "samples.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def test_malformed_replies_are_retried_and_one_that_stays_malformed_fails_its_problem_alone(tmp_path):
    out = tmp_path / "run"
    faults = Faults(truncated=0.2, html=0.2, no_choices=0.2, attempts=1, broken=("$5 + 2$",), broken_with="html")
    with FakeOpenAIServer(faults) as server:
        code, output = _run(_config(tmp_path, server.url), out)
    assert code == 2, output
    assert "Traceback" not in output and "JSONDecodeError" not in output
    assert set(server.state.injected) >= {"truncated", "no_choices", "html"}, server.state.injected
    error = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(error) == 1, output
    assert ("1 problems could not be sampled: test/stop/5.json: server " in error[0]
            and "failed after 5 attempts; last error: HTTP 200 but not a JSON object: '<html><body>" in error[0])
    assert f"The {PROBLEMS - 1} problems sampled now are saved in" in error[0]
    assert _sampled(out) == PROBLEMS - 1
    with FakeOpenAIServer() as server:
        code, output = _run(_config(tmp_path, server.url), out)
    assert code == 0, output
    assert _sampled(out) == PROBLEMS


def test_a_server_that_is_not_there_stops_at_once_and_says_nothing_was_written(tmp_path):
    out = tmp_path / "run"
    code, output = _run(_config(tmp_path, _closed_port_url(), max_in_flight=64, backoff_base=1.0), out)
    assert code == 2, output
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) <= 4, output  # "starting ...", a retry line or two, the error
    assert "is unreachable" in lines[-1] and "No problem was sampled now, so nothing was written." in lines[-1]
    assert not (out / "samples.jsonl").exists()


def test_a_server_that_dies_midway_stops_early_and_the_rerun_resumes(tmp_path):
    out = tmp_path / "run"
    options = {"max_retries": 80, "unreachable_after_s": 0.5}
    with FakeOpenAIServer(Faults(die_after=8, delay_s=(0.01, 0.03))) as server:
        code, output = _run(_config(tmp_path, server.url, **options), out)
    assert code == 2, output
    assert "Traceback" not in output
    error = output.strip().splitlines()[-1]
    assert "is unreachable" in error and "since it last answered" in error, output
    kept = _sampled(out)
    assert 1 <= kept <= 8 and f"The {kept} problems sampled now are saved in" in error
    assert len(output.strip().splitlines()) <= 5, output
    # The server is back, at a new address; both that and the retry options are operational settings.
    with FakeOpenAIServer() as server:
        code, output = _run(_config(tmp_path, server.url), out)
    assert code == 0, output
    assert "resuming" in output and _sampled(out) == PROBLEMS


def test_a_task_with_a_failed_problem_does_not_keep_the_next_tasks_from_running(tmp_path):
    # `--tasks math500,aime24` overnight: one math500 problem fails for good; aime24 still runs and
    # is reported, and the one error line names the task to run again.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "COLUMNS": "1000"}
    data = _data(tmp_path / "data")
    with FakeOpenAIServer(Faults(broken=("$1 + 2$",))) as server:
        command = [sys.executable, "-m", "evalkit.cli", "run", "--model", "fake", "--backend", "openai",
                   "--tasks", "math500,aime24", "--prompt", "zero_shot_cot", "--n", "2", "--max-tokens", "32",
                   "--limit", "3",
                   "--data-dir", str(data), "--out", str(tmp_path / "runs"), "-q",
                   "--set", f"backend.options.base_url={server.url}", "--set", "backend.options.max_retries=1",
                   "--set", "backend.options.backoff_base=0.01", "--set", "grading.workers=1",
                   "--set", "report.resamples=20"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == 2, output
        assert "Traceback" not in output
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "math500" in errors[0] and "test/stop/1.json" in errors[0], output
        (math_run,) = (tmp_path / "runs").glob("fake-math500-*")
        (aime_run,) = (tmp_path / "runs").glob("fake-aime24-*")
        assert _sampled(math_run) == 2 and not (math_run / "metrics.json").exists()
        assert _sampled(aime_run) == 3 and (aime_run / "metrics.json").exists()


def test_a_server_that_restarts_within_the_unreachable_window_costs_no_problem(tmp_path):
    # a few attempts only, but requests that cannot connect wait for the server until it is called unreachable
    options = {"max_retries": 2, "backoff_base": 0.1, "backoff_max": 0.3, "unreachable_after_s": 20.0}
    first = FakeOpenAIServer(Faults(die_after=6, delay_s=(0.05, 0.1)))
    port = int(first.url.rsplit(":", 1)[1].split("/")[0])
    config = _config(tmp_path, first.url, **options)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "COLUMNS": "1000"}
    with first:
        run = subprocess.Popen([sys.executable, "-m", "evalkit.cli", "run", str(config), "--out", str(tmp_path / "run"),
                                "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while not first.state.dead and time.monotonic() < deadline:
            time.sleep(0.05)
    assert first.state.dead
    time.sleep(2.0)  # down for two seconds: far more than three attempts' back-off
    with FakeOpenAIServer(port=port):
        output, _ = run.communicate(timeout=120)
    assert run.returncode == 0, output
    assert _sampled(tmp_path / "run") == PROBLEMS
