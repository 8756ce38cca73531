"""Fault injection: whatever happens to `evalkit run`, nothing is lost, mixed or stranded.

Every test runs the real command line against a deterministic fake OpenAI-compatible server
(`fake_openai_server`) and ends by comparing the run directory's final files, byte for byte,
with those of one uninterrupted run on a healthy server: kill -9 at random moments (while
sampling, while grading, or anywhere), two runs started on one directory, a server that drops
connections, hangs and answers 500 and 429, a problem that fails for good, Ctrl-C, and a disk
that refuses to take more bytes (a file size limit, which fails writes just as a full disk does).
The data hold a subject with rich markup and an escape sequence and the model writes lone
surrogates, so every file and every printed line has to cope with them.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_openai_server import Faults, FakeOpenAIServer  # noqa: E402

pytestmark = [pytest.mark.faults, pytest.mark.slow]

PROBLEMS = 40
FINAL_FILES = ("config.yaml", "samples.jsonl", "graded.jsonl", "metrics.json", "report.md", "metrics.csv")
# Slow enough that a run can be caught mid-way, fast enough for the suite.
DELAY = (0.02, 0.12)
SLOW_DELAY = (0.25, 0.35)
"""For a test that must act while the run is still sampling, on a machine busy with other tests."""
ROOT = Path(__file__).resolve().parents[1]


def _write_data(root: Path) -> Path:
    subjects = ["Algebra", "[bold red]Markup[/]", "Escape\x1b[2J", "Number Theory"]
    lines = []
    for i in range(PROBLEMS):
        a, b = 3 + 7 * i, 2 + (i * 5) % 13
        lines.append(json.dumps({
            "problem": f"What is ${a} + {b}$?", "solution": f"$\\boxed{{{a + b}}}$", "answer": str(a + b),
            "subject": subjects[i % len(subjects)], "level": 1 + i % 5, "unique_id": f"test/fault/{i}.json",
        }))
    (root / "math").mkdir(parents=True, exist_ok=True)
    (root / "math" / "math500.jsonl").write_text("\n".join(lines) + "\n")
    return root


def _config(root: Path, url: str) -> Path:
    config = {
        "model": "fake[/]model\x1b[31m", "task": "math500", "data_dir": str(root / "data"),
        "backend": {"name": "openai", "options": {
            "model": "fake", "base_url": url, "max_in_flight": 4, "timeout": 1.0, "max_retries": 6,
            "backoff_base": 0.01, "backoff_max": 0.05}},
        "sampling": {"n": 4, "temperature": 1.0, "max_tokens": 64, "seed": 0},
        "grading": {"workers": 1},
        "report": {"resamples": 50},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def _with_default_sigint() -> None:
    """In the child before exec: Ctrl-C as a terminal's foreground process gets it. A test runner started
    in the background of a script has SIGINT ignored, and an ignored signal stays ignored across exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _evalkit(root: Path, out: Path, log: Path, **popen) -> subprocess.Popen:
    popen.setdefault("preexec_fn", _with_default_sigint)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT),
           "COLUMNS": "200"}
    handle = log.open("a")
    return subprocess.Popen([sys.executable, "-m", "evalkit.cli", "run", str(root / "config.yaml"), "--out", str(out),
                             "--quiet"], env=env, stdout=handle, stderr=subprocess.STDOUT, text=True, **popen)


def _finish(process: subprocess.Popen, log: Path, timeout: float = 300) -> str:
    process.wait(timeout=timeout)
    output = log.read_text(errors="replace")
    assert process.returncode == 0, output
    return output


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _wait_for_lines(process: subprocess.Popen, path: Path, count: int, log: Path, *, timeout_s: float,
                    poll_s: float) -> None:
    """Wait until `path` has `count` lines, failing if the process ends first or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while _lines(path) < count:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline
        time.sleep(poll_s)


def _final(run_dir: Path) -> dict[str, bytes]:
    return {name: (run_dir / name).read_bytes() for name in FINAL_FILES}


def _no_leftovers(run_dir: Path) -> None:
    names = sorted(p.name for p in run_dir.iterdir())
    assert not [name for name in names if name.endswith(".tmp") or name == ".evalkit.lock"], names


def _point_config_at(setup: dict, root: Path, server: FakeOpenAIServer) -> None:
    """Write `root/config.yaml`: the reference run's config with `server` as its backend."""
    config = yaml.safe_load((setup["root"] / "config.yaml").read_text())
    config["backend"]["options"]["base_url"] = server.url
    (root / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))


def _assert_same_as_reference(out: Path, setup: dict) -> None:
    """The run's files are the reference run's; its config differs only in the server address, an
    operational setting (same config hash)."""
    files = _final(out)
    reference_config = yaml.safe_load(setup["reference"]["config.yaml"])
    config_now = yaml.safe_load(files.pop("config.yaml"))
    assert config_now["config_hash"] == reference_config["config_hash"]
    assert {name: data for name, data in setup["reference"].items() if name != "config.yaml"} == files


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A data set, a server, and the files of one uninterrupted run on the healthy server."""
    root = tmp_path_factory.mktemp("faults")
    _write_data(root / "data")
    server = FakeOpenAIServer(Faults(delay_s=DELAY))
    with server:
        _config(root, server.url)
        reference = root / "reference"
        log = root / "reference.log"
        start = time.monotonic()
        output = _finish(_evalkit(root, reference, log), log)
        elapsed = time.monotonic() - start
        assert "Traceback" not in output
        assert _lines(reference / "samples.jsonl") == PROBLEMS
        yield {"root": root, "server": server, "reference": _final(reference), "elapsed": elapsed}


def test_reference_files_keep_surrogates_and_markup_safe(setup):
    samples = [json.loads(line) for line in setup["reference"]["samples.jsonl"].splitlines()]
    texts = [sample["text"] for record in samples for sample in record["samples"]]
    assert any("\ud83d" in text for text in texts)  # a lone surrogate survived the round trip
    assert [record["problem_id"] for record in samples] == [f"test/fault/{i}.json" for i in range(PROBLEMS)]
    report = setup["reference"]["report.md"].decode()
    assert "\x1b" not in report and "\\x1b" in report
    assert "fake\\[/\\]model" in report or "fake[/]model" in report


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_at_random_moments_then_resume_is_byte_identical(setup, tmp_path, seed):
    rng = random.Random(seed)
    out, log = tmp_path / "run", tmp_path / "run.log"
    kills = 0
    for _ in range(3):
        process = _evalkit(setup["root"], out, log)
        time.sleep(rng.uniform(0.5, max(1.0, setup["elapsed"])))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    _finish(_evalkit(setup["root"], out, log), log)
    assert kills >= 1
    assert _final(out) == setup["reference"]
    _no_leftovers(out)


@pytest.mark.parametrize("seed", [3, 4])
def test_kill_9_while_sampling_then_resume_is_byte_identical(setup, tmp_path, seed):
    out, log = tmp_path / "run", tmp_path / "run.log"
    target = random.Random(seed).randint(1, PROBLEMS - 5)
    with FakeOpenAIServer(Faults(delay_s=SLOW_DELAY)) as server:
        _point_config_at(setup, tmp_path, server)
        process = _evalkit(tmp_path, out, log)
        _wait_for_lines(process, out / "samples.jsonl", target, log, timeout_s=120, poll_s=0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert _lines(out / "samples.jsonl") < PROBLEMS
        output = _finish(_evalkit(tmp_path, out, log), log)
    assert "resuming" in output
    _assert_same_as_reference(out, setup)


def test_kill_9_while_grading_then_resume_is_byte_identical(setup, tmp_path):
    out, log = tmp_path / "run", tmp_path / "run.log"
    process = _evalkit(setup["root"], out, log)
    _wait_for_lines(process, out / "graded.jsonl", 1, log, timeout_s=120, poll_s=0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    graded = _lines(out / "graded.jsonl")
    _finish(_evalkit(setup["root"], out, log), log)
    assert _final(out) == setup["reference"], f"killed after {graded} graded problems"


def test_two_runs_on_one_directory_one_is_refused(setup, tmp_path):
    out = tmp_path / "run"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with FakeOpenAIServer(Faults(delay_s=SLOW_DELAY)) as server:
        _point_config_at(setup, tmp_path, server)
        first = _evalkit(tmp_path, out, first_log)
        _wait_for_lines(first, out / "samples.jsonl", 2, first_log, timeout_s=60, poll_s=0.01)
        second = _evalkit(tmp_path, out, second_log)
        second.wait(timeout=120)
        message = second_log.read_text()
        assert second.returncode == 2, message
        assert "is in use by" in message and f"pid {first.pid}" in message and "Traceback" not in message
        _finish(first, first_log)
    _assert_same_as_reference(out, setup)


def test_flaky_server_drops_hangs_and_errors_yet_the_files_are_identical(setup, tmp_path):
    faults = Faults(drop=0.12, hang=0.06, error500=0.12, error429=0.12, attempts=2, hang_s=2.0, delay_s=DELAY, seed=5)
    with FakeOpenAIServer(faults) as server:
        _point_config_at(setup, tmp_path, server)
        out, log = tmp_path / "run", tmp_path / "run.log"
        output = _finish(_evalkit(tmp_path, out, log), log)
    assert set(server.state.injected) == {"drop", "hang", "error500", "error429"}, server.state.injected
    assert "retry" in output and "Traceback" not in output
    _assert_same_as_reference(out, setup)


def test_a_problem_that_fails_for_good_is_named_and_the_rest_are_kept(setup, tmp_path):
    broken = Faults(delay_s=DELAY, broken=("What is $24 + 4$?",))
    out, log = tmp_path / "run", tmp_path / "run.log"
    with FakeOpenAIServer(broken) as server:
        _point_config_at(setup, tmp_path, server)
        process = _evalkit(tmp_path, out, log)
        process.wait(timeout=300)
    output = log.read_text()
    assert process.returncode == 2, output
    assert "1 problems could not be sampled: test/fault/3.json" in output and "Traceback" not in output
    assert _lines(out / "samples.jsonl") == PROBLEMS - 1
    with FakeOpenAIServer(Faults(delay_s=DELAY)) as server:
        _point_config_at(setup, tmp_path, server)
        _finish(_evalkit(tmp_path, out, log), log)
    _assert_same_as_reference(out, setup)


def test_trickling_empty_and_non_utf8_replies_are_retried_yet_the_files_are_identical(setup, tmp_path):
    # before: each trickling reply held its request for all of trickle_s (for a real fault, forever)
    faults = Faults(trickle=0.05, empty_choices=0.15, bad_utf8=0.15, attempts=1, trickle_s=60.0, delay_s=DELAY,
                    seed=7)
    config = yaml.safe_load((setup["root"] / "config.yaml").read_text())
    with FakeOpenAIServer(faults) as server:
        config["backend"]["options"].update(base_url=server.url, connect_timeout=1.0)  # operational: same hash
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
        out, log = tmp_path / "run", tmp_path / "run.log"
        start = time.monotonic()
        output = _finish(_evalkit(tmp_path, out, log), log)
        elapsed = time.monotonic() - start
    assert set(server.state.injected) == {"trickle", "empty_choices", "bad_utf8"}, server.state.injected
    assert elapsed < 40, f"took {elapsed:.0f} s"  # a liveness bound: about 10 s here
    assert "retrying" in output and "Traceback" not in output
    _assert_same_as_reference(out, setup)


def test_replies_with_fewer_choices_are_topped_up_and_no_sample_is_lost_or_mixed(setup, tmp_path):
    with FakeOpenAIServer(Faults(partial=0.5, attempts=1, delay_s=DELAY, seed=2)) as server:
        _point_config_at(setup, tmp_path, server)
        out, log = tmp_path / "run", tmp_path / "run.log"
        _finish(_evalkit(tmp_path, out, log), log)
    assert server.state.injected.get("partial", 0) >= 5, server.state.injected
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert [record["problem_id"] for record in records] == [f"test/fault/{i}.json" for i in range(PROBLEMS)]
    for i, record in enumerate(records):
        assert [sample["index"] for sample in record["samples"]] == [0, 1, 2, 3]
        assert all(f"We add {3 + 7 * i} and {2 + (i * 5) % 13}." in sample["text"] for sample in record["samples"])
    assert _lines(out / "graded.jsonl") == PROBLEMS


@pytest.mark.parametrize(("fault", "named"), [("bad_utf8", "HTTP 200 but not valid UTF-8 (invalid start byte"),
                                              ("empty_choices", "HTTP 200 but an empty 'choices' list")])
def test_a_reply_that_stays_broken_stops_the_run_in_one_line_and_a_rerun_resumes(setup, tmp_path, fault, named):
    out, log = tmp_path / "run", tmp_path / "run.log"
    with FakeOpenAIServer(Faults(delay_s=DELAY, broken=("What is $24 + 4$?",), broken_with=fault)) as server:
        _point_config_at(setup, tmp_path, server)
        process = _evalkit(tmp_path, out, log)
        process.wait(timeout=300)
    output = log.read_text()
    assert process.returncode == 2, output
    error_lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "Traceback" not in output, output
    assert "1 problems could not be sampled: test/fault/3.json: " in error_lines[0] and named in error_lines[0]
    assert _lines(out / "samples.jsonl") == PROBLEMS - 1
    with FakeOpenAIServer(Faults(delay_s=DELAY)) as server:
        _point_config_at(setup, tmp_path, server)
        assert "resuming" in _finish(_evalkit(tmp_path, out, log), log)
    _assert_same_as_reference(out, setup)


def test_a_prompt_the_server_refuses_strands_no_run_when_recorded(setup, tmp_path):
    """HTTP 400 (too long for the context) every time: by default the problem stays unsampled and
    the error says how to finish; with rejected_prompts=record the run completes, the problem has
    n empty samples graded as no answer, and the report counts it."""
    root = tmp_path
    refusing = Faults(delay_s=DELAY, broken=("What is $24 + 4$?",), broken_with="error400")
    out, log = root / "run", root / "run.log"
    config = yaml.safe_load((setup["root"] / "config.yaml").read_text())
    with FakeOpenAIServer(refusing) as server:
        config["backend"]["options"]["base_url"] = server.url
        (root / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
        process = _evalkit(root, out, log)
        process.wait(timeout=300)
        output = log.read_text()
        assert process.returncode == 2, output
        assert "1 of them the backend refuses as written" in output and "rejected_prompts=record" in output
        assert _lines(out / "samples.jsonl") == PROBLEMS - 1
        config["rejected_prompts"] = "record"  # not a sample setting: the same run resumes
        (root / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
        _finish(_evalkit(root, out, log), log)
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    refused = [line for line in lines if line["problem_id"] == "test/fault/3.json"]
    assert len(lines) == PROBLEMS and len(refused) == 1
    assert "maximum context length" in refused[0]["rejected"]
    assert {(s["text"], s["finish_reason"]) for s in refused[0]["samples"]} == {("", "rejected")}
    grades = [json.loads(line) for line in (out / "graded.jsonl").read_text().splitlines()]
    assert next(g for g in grades if g["problem_id"] == "test/fault/3.json")["reasons"] == ["no_answer"] * 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["outputs"]["rejected_problems"]["count"] == 1
    assert "problems whose prompt the backend refused" in (out / "report.md").read_text()


def test_ctrl_c_stops_within_seconds_and_says_how_to_resume(setup, tmp_path):
    out, log = tmp_path / "run", tmp_path / "run.log"
    with FakeOpenAIServer(Faults(delay_s=SLOW_DELAY)) as server:
        _point_config_at(setup, tmp_path, server)
        process = _evalkit(tmp_path, out, log)
        _wait_for_lines(process, out / "samples.jsonl", 3, log, timeout_s=60, poll_s=0.01)
        start = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        stopped_in = time.monotonic() - start
        output = log.read_text()
        assert process.returncode == 130, output
        # A liveness bound, not a speed goal: the old client needed minutes; this stops in about a second,
        # and the bound leaves room for a busy machine.
        assert stopped_in < 30, f"took {stopped_in:.1f} s to stop"
        assert "run the same command again" in output.lower() and "Traceback" not in output
        _no_leftovers(out)
        _finish(_evalkit(tmp_path, out, log), log)
    _assert_same_as_reference(out, setup)


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_disk_that_takes_no_more_bytes_gives_one_line_and_blocks_no_retry(setup, tmp_path):
    out, log = tmp_path / "run", tmp_path / "run.log"
    process = _evalkit(setup["root"], out, log, preexec_fn=_limit_file_size(6000))
    process.wait(timeout=300)
    output = log.read_text()
    assert process.returncode == 2, output
    assert "cannot write" in output and "samples.jsonl" in output and "Traceback" not in output
    error_lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    _no_leftovers(out)
    assert 0 < _lines(out / "samples.jsonl") < PROBLEMS
    _finish(_evalkit(setup["root"], out, log), log)
    assert _final(out) == setup["reference"]


def test_sigterm_stops_like_ctrl_c_so_the_backend_is_closed_and_the_run_resumes(setup, tmp_path):
    """`kill PID` (or `timeout`, or a job manager) sends SIGTERM to evalkit alone: before, Python died on the
    spot, leaving a vLLM engine's processes orphaned and the lock file behind; now it stops as Ctrl-C does."""
    out, log = tmp_path / "run", tmp_path / "run.log"
    with FakeOpenAIServer(Faults(delay_s=SLOW_DELAY)) as server:
        _point_config_at(setup, tmp_path, server)
        process = _evalkit(tmp_path, out, log)
        _wait_for_lines(process, out / "samples.jsonl", 3, log, timeout_s=60, poll_s=0.01)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        output = log.read_text()
        assert process.returncode == 128 + signal.SIGTERM, output
        assert "sampling stopped" in output and "run the same command again" in output.lower(), output
        assert "Traceback" not in output
        _no_leftovers(out)
        _finish(_evalkit(tmp_path, out, log), log)
    _assert_same_as_reference(out, setup)
