"""Fault injection for `evalkit rerank`: kill -9 while it scores, then run it again.

The scores of a killed and resumed rerank must equal those of one uninterrupted rerank: every
problem scored once, in the same order, nothing lost or doubled, no lock left behind, and the
same metrics. The evaluator is the session's tiny model on the hf backend, so the scores are real
forward passes; a run of 160 problems x 4 samples is scored in three chunks (256 evaluator calls
each, the last one short), each appended to `scores.jsonl` as it finishes. The kills come when a
chunk's lines appear (not after a random sleep, which mostly hits the start-up), and a line cut
in half, as a kill in the middle of a write leaves it, is made on purpose.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_rerank import write_run

pytestmark = [pytest.mark.faults, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = 160


def _problems() -> list[dict]:
    rng = random.Random(0)
    problems = []
    for _ in range(PROBLEMS):
        clusters = [rng.randrange(3) for _ in range(4)]
        problems.append({"clusters": clusters, "correct": [cluster == 0 for cluster in clusters],
                         "scores": [round(rng.uniform(0.05, 0.95), 2) for _ in range(4)]})
    return problems


def _rerank(run_dir: Path, model: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT),
           "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "evalkit.cli", "rerank", str(run_dir), "--evaluator", str(model),
                             "--method", "all", "--device", "cpu", "--batch-size", "32", "--scorer-name", "tiny"],
                            env=env, stdout=log.open("a"), stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen, log: Path) -> None:
    process.wait(timeout=300)
    assert process.returncode == 0, log.read_text(errors="replace")


def _lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    complete = path.read_bytes().rsplit(b"\n", 1)[0] if b"\n" in path.read_bytes() else b""
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


def _check_same_scores(run_dir: Path, reference: Path) -> None:
    got, want = _lines(run_dir / "scores.jsonl"), _lines(reference / "scores.jsonl")
    assert [line["problem_id"] for line in got] == [line["problem_id"] for line in want]
    for mine, theirs in zip(got, want):
        assert mine["scores"] == pytest.approx(theirs["scores"], abs=1e-5), mine["problem_id"]
    metrics = json.loads((run_dir / "metrics.json").read_text())["metrics"]
    expected = json.loads((reference / "metrics.json").read_text())["metrics"]
    assert metrics == expected
    assert not (run_dir / ".evalkit.lock").exists()
    assert not [path.name for path in run_dir.iterdir() if path.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tiny_model_dir):
    root = tmp_path_factory.mktemp("rerank-faults")
    run_dir = write_run(root, _problems(), name="graded")
    reference = root / "reference"
    shutil.copytree(run_dir, reference)
    log = root / "reference.log"
    _finish(_rerank(reference, tiny_model_dir, log), log)
    assert len(_lines(reference / "scores.jsonl")) == PROBLEMS
    return {"run": run_dir, "reference": reference, "model": tiny_model_dir}


def _kill_when_more_lines_than(process: subprocess.Popen, scores: Path, count: int, log: Path) -> int:
    """kill -9 the process as soon as `scores` holds more than `count` complete lines; the lines then."""
    deadline = time.monotonic() + 240
    while len(_lines(scores)) <= count:
        assert process.poll() is None, f"finished before the kill: {log.read_text(errors='replace')}"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return len(_lines(scores))


def test_kill_9_after_each_chunk_then_resume_scores_only_the_rest(setup, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(setup["run"], run_dir)
    log = tmp_path / "run.log"
    scores = run_dir / "scores.jsonl"
    first = _kill_when_more_lines_than(_rerank(run_dir, setup["model"], log), scores, 0, log)
    assert 0 < first < PROBLEMS, f"the kill came too late to test a resume ({first} problems scored)"
    # the second run resumes, and is killed as soon as it has added a chunk of its own
    second = _kill_when_more_lines_than(_rerank(run_dir, setup["model"], log), scores, first, log)
    assert first < second < PROBLEMS, f"the second kill came too late ({second} problems scored)"
    log.write_text("")
    _finish(_rerank(run_dir, setup["model"], log), log)
    # only the problems the killed runs had not finished are scored again
    assert f"({second} already scored, {PROBLEMS - second} scored now, 0 needing no score" in log.read_text(
        errors="replace")
    _check_same_scores(run_dir, setup["reference"])


def test_a_line_cut_in_half_by_a_kill_is_mended_and_its_problem_scored_again(setup, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(setup["run"], run_dir)
    whole = (setup["reference"] / "scores.jsonl").read_bytes().splitlines(keepends=True)
    kept = 70
    (run_dir / "scores.jsonl").write_bytes(b"".join(whole[:kept]) + whole[kept][: len(whole[kept]) // 2])
    log = tmp_path / "run.log"
    _finish(_rerank(run_dir, setup["model"], log), log)
    assert f"({kept} already scored, {PROBLEMS - kept} scored now, 0 needing no score" in log.read_text(
        errors="replace")
    _check_same_scores(run_dir, setup["reference"])
