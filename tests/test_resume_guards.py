"""A resumed run never mixes data of two sources: the task's problems must be the ones stored,
a replay file must hold the content it held when the run started, and the folder of a
multi-task run is never a run directory."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from evalkit.config import RunConfig, parse_config
from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_jsonl
from evalkit.pipeline.run import run_evaluation
from evalkit.store import RunDir

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "pipeline_data"
REPO = Path(__file__).resolve().parents[1]
LIMIT = 4


def _data_copy(root: Path, *, altered: bool = False) -> Path:
    """A copy of the fixture data; `altered`: every question prefixed and every answer "1"."""
    target = root / ("altered" if altered else "data")
    shutil.copytree(FIXTURE_DATA, target)
    if altered:
        path = target / "math" / "math500.jsonl"
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        path.write_text("".join(json.dumps({**r, "problem": "ALTERED " + r["problem"], "answer": "1"}) + "\n"
                                for r in records))
    return target


def _problem_ids() -> list[str]:
    path = FIXTURE_DATA / "math" / "math500.jsonl"
    return [json.loads(line)["unique_id"] for line in path.read_text().splitlines() if line.strip()][:LIMIT]


def _write_replay(path: Path, answer: str) -> Path:
    path.write_text("".join(json.dumps({"id": pid, "samples": [f"\\boxed{{{answer}}}", "\\boxed{0}"]}) + "\n"
                            for pid in _problem_ids()))
    return path


def _config(replay: Path, data_dir: Path | None = None) -> RunConfig:
    return parse_config({"model": "m", "task": "math500", "data_dir": str(data_dir) if data_dir else None,
                         "backend": {"name": "replay", "options": {"path": str(replay)}},
                         "sampling": {"n": 2}, "filters": {"limit": LIMIT}, "grading": {"workers": 0}})


def _run(config: RunConfig, out: Path):
    return run_evaluation(config, out=out, write_report=False, show_progress=False, console=Console(quiet=True))


def _a_finished_run(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """A finished replay run of the fixture problems: the replay file, the data copy, the run directory and the
    text of its `samples.jsonl`."""
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    data = _data_copy(tmp_path)
    out = tmp_path / "run"
    _run(_config(replay, data), out)
    return replay, data, out, (out / "samples.jsonl").read_text()


def _keep_first_lines(run: Path, count: int) -> None:
    samples = run / "samples.jsonl"
    samples.write_text("".join(samples.read_text().splitlines(keepends=True)[:count]))
    (run / "graded.jsonl").unlink()


# --- 1. problem data changed between start and resume ------------------------------------------

def test_resume_with_other_problem_data_is_refused_naming_line_problem_and_fields(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    out = tmp_path / "run"
    _run(_config(replay, _data_copy(tmp_path, altered=True)), out)
    _keep_first_lines(out, 1)

    with pytest.raises(InputError) as caught:
        _run(_config(replay, _data_copy(tmp_path)), out)
    message = str(caught.value)
    assert f"{out / 'samples.jsonl'}:1:" in message
    assert repr(_problem_ids()[0]) in message
    assert "question" in message and "reference" in message and "'1'" in message
    assert "data changed since the run started" in message and "--out" in message
    assert len(read_jsonl(out / "samples.jsonl")) == 1  # nothing was added to the mixed run


def test_resume_with_the_same_data_finishes(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    data = _data_copy(tmp_path)
    out = tmp_path / "run"
    _run(_config(replay, data), out)
    _keep_first_lines(out, 1)
    summary = _run(_config(replay, data), out)
    assert summary.sampling.already_done == 1 and summary.sampling.sampled_now == LIMIT - 1
    assert [r["problem_id"] for r in read_jsonl(out / "samples.jsonl")] == _problem_ids()


def test_a_stored_problem_the_config_does_not_select_is_refused(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    out = tmp_path / "run"
    _run(_config(replay, _data_copy(tmp_path)), out)
    lines = (out / "samples.jsonl").read_text().splitlines(keepends=True)
    record = json.loads(lines[1])
    (out / "samples.jsonl").write_text(lines[0] + json.dumps({**record, "problem_id": "stranger"}) + "\n")
    with pytest.raises(InputError, match=r"samples.jsonl:2: problem 'stranger' is not selected"):
        _run(_config(replay, _data_copy(tmp_path / "again")), out)


def test_one_clear_line_from_the_command(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    altered = _data_copy(tmp_path, altered=True)
    original = _data_copy(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "2000"}
    options = {"check": False, "capture_output": True, "text": True, "timeout": 300, "env": env}
    command = [sys.executable, "-m", "evalkit.cli", "run", "--model", "m", "--backend", "replay", "--samples",
               str(replay), "--tasks", "math500", "--n", "2", "--limit", str(LIMIT), "--out", str(tmp_path / "runs"),
               "-q", "--no-report", "--set", "grading.workers=0"]
    first = subprocess.run([*command, "--data-dir", str(altered)], **options)
    assert first.returncode == 0, first.stdout + first.stderr
    (run,) = [path for path in (tmp_path / "runs").iterdir() if path.is_dir()]
    _keep_first_lines(run, 1)
    again = subprocess.run([*command, "--data-dir", str(original)], **options)
    assert again.returncode == 2
    assert "Traceback" not in again.stderr
    assert again.stderr.strip().count("\n") == 0 and "data changed since the run started" in again.stderr


def test_a_resume_with_other_sampling_settings_names_what_changed(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    out = tmp_path / "run"
    _run(_config(replay, FIXTURE_DATA), out)
    changed = parse_config({"model": "m", "task": "math500", "data_dir": str(FIXTURE_DATA),
                            "backend": {"name": "replay", "options": {"path": str(replay)}},
                            "sampling": {"n": 2, "temperature": 0.5, "seed": 3}, "filters": {"limit": LIMIT},
                            "grading": {"workers": 1}})
    with pytest.raises(ConfigError) as refused:
        _run(changed, out)
    message = str(refused.value)
    assert "different config" in message
    assert "sampling.temperature (0.7 on disk, 0.5 now)" in message and "sampling.seed (0 on disk, 3 now)" in message
    assert "grading" not in message  # not a sample-deciding setting: it may change on resume


def test_a_problem_sampled_anew_is_graded_anew(tmp_path):
    """A problem whose samples line was deleted (e.g. damaged) is sampled again on resume; its old grades
    were made from the old samples (another draw, from a server without seeds) and must go with them.
    Before: grading skipped every problem graded.jsonl named, so the stale line stayed beside the new samples."""
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    data = _data_copy(tmp_path)
    out = tmp_path / "run"
    _run(_config(replay, data), out)
    samples = (out / "samples.jsonl").read_text().splitlines(keepends=True)
    dropped = json.loads(samples[1])["problem_id"]
    (out / "samples.jsonl").write_text("".join(samples[:1] + samples[2:]))
    graded = [json.loads(line) for line in (out / "graded.jsonl").read_text().splitlines()]
    for grades in graded:  # the grades of the earlier draw: other answers
        if grades["problem_id"] == dropped:
            grades.update(answers=["7", "7"], correct=[False, False])
    (out / "graded.jsonl").write_text("".join(json.dumps(grades) + "\n" for grades in graded))

    summary = _run(_config(replay, data), out)
    assert summary.sampling.sampled_now == 1 and summary.grading.graded_now == 1
    regraded = read_jsonl(out / "graded.jsonl")
    assert [grades["problem_id"] for grades in regraded] == _problem_ids()
    again = next(grades for grades in regraded if grades["problem_id"] == dropped)
    assert again["answers"] == ["3", "0"]  # read from the new samples, not kept from the old


@pytest.mark.parametrize("damage", ["garbage", "cut inside"])
def test_a_damaged_samples_line_is_named_with_how_to_resample_it(tmp_path, damage):
    """Before: "samples.jsonl:2: not valid JSON (...)" alone, from the sampling stage (a garbage line) or
    only from grading (a line whose start is whole); now the message names the problem when its start
    can be read and says that deleting the line makes the run sample that problem anew, which it does."""
    replay, data, out, whole = _a_finished_run(tmp_path)
    lines = whole.splitlines(keepends=True)
    lines[1] = "{oops\n" if damage == "garbage" else lines[1][:-12] + "\n"
    (out / "samples.jsonl").write_text("".join(lines))
    (out / "graded.jsonl").unlink()

    with pytest.raises(InputError) as caught:
        _run(_config(replay, data), out)
    message = str(caught.value)
    assert message.startswith(f"{out / 'samples.jsonl'}:2: ") and "\n" not in message
    assert "not valid JSON" in message
    assert "is damaged: delete it and run again to sample that problem anew" in message
    assert (f"(problem {_problem_ids()[1]!r})" in message) == (damage == "cut inside")

    (out / "samples.jsonl").write_text("".join(lines[:1] + lines[2:]))  # as the message says
    summary = _run(_config(replay, data), out)
    assert summary.sampling.sampled_now == 1
    assert (out / "samples.jsonl").read_text() == whole


def test_a_last_line_cut_short_is_named_when_the_resume_drops_it(tmp_path):
    """Before: a last line cut by a crash or a full disk was dropped and its problem sampled again with no
    word in the terminal; now the resume says which problem's line it dropped, and ends as before."""
    import io

    replay, data, out, whole = _a_finished_run(tmp_path)
    lines = whole.splitlines(keepends=True)
    (out / "samples.jsonl").write_text("".join(lines[:2]) + lines[2][:60])
    (out / "graded.jsonl").unlink()

    buffer = io.StringIO()
    summary = run_evaluation(_config(replay, data), out=out, write_report=False, show_progress=False,
                             console=Console(file=buffer, width=400))
    assert (f"note: the last line of {out / 'samples.jsonl'} was cut short by an interrupted write "
            f"(problem {_problem_ids()[2]!r}, 60 bytes): it is dropped and its problem sampled again") in buffer.getvalue()
    assert summary.sampling.sampled_now == 2
    assert (out / "samples.jsonl").read_text() == whole

    buffer = io.StringIO()  # a resume of a whole file says nothing of the kind
    run_evaluation(_config(replay, data), out=out, write_report=False, show_progress=False,
                   console=Console(file=buffer, width=400))
    assert "cut short" not in buffer.getvalue()


def test_a_run_resumes_when_its_defaults_are_written_out(tmp_path):
    """Before: a run started with the defaults and resumed with the same values written out (the task's
    prompt format, its stop strings, the openai backend's mode) was refused as "a different config"."""
    from fake_openai_server import FakeOpenAIServer

    import tasks

    data = _data_copy(tmp_path)
    stop = list(tasks.get_prompt_format("minerva").stop)
    with FakeOpenAIServer() as server:
        def config(**written_out):
            options = {"model": "fake", "base_url": server.url, **written_out.pop("options", {})}
            return parse_config({"model": "m", "task": "math500", "data_dir": str(data),
                                 "backend": {"name": "openai", "options": options},
                                 "sampling": {"n": 2, "seed": 0, **written_out.pop("sampling", {})},
                                 "filters": {"limit": LIMIT}, "grading": {"workers": 0}, **written_out})

        whole = tmp_path / "whole"
        _run(config(), whole)
        out = tmp_path / "run"
        _run(config(), out)
        _keep_first_lines(out, 1)
        summary = _run(config(prompt="minerva", sampling={"stop": stop}, options={"mode": "auto"}), out)
    assert summary.sampling.already_done == 1 and summary.sampling.sampled_now == LIMIT - 1
    assert (out / "samples.jsonl").read_bytes() == (whole / "samples.jsonl").read_bytes()


# --- 2. the replay file changed under the same path --------------------------------------------

def test_replay_run_records_the_files_size_and_sha256(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    out = tmp_path / "run"
    config = _config(replay, _data_copy(tmp_path))
    _run(config, out)
    stored = RunDir(out).read_config()
    content = replay.read_bytes()
    assert stored["inputs"]["backend.options.path"] == {
        "file": str(replay), "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    assert stored["config_hash"] == config.config_hash()  # the content is recorded, not hashed into the name


def test_resume_with_other_replay_content_is_refused_and_the_same_content_resumes(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    out = tmp_path / "run"
    config = _config(replay, _data_copy(tmp_path))
    _run(config, out)
    _keep_first_lines(out, 2)
    original = replay.read_bytes()

    _write_replay(replay, "4")
    with pytest.raises(ConfigError, match="changed since the run started"):
        _run(config, out)
    assert len(read_jsonl(out / "samples.jsonl")) == 2

    replay.write_bytes(original)
    summary = _run(config, out)
    assert summary.sampling.sampled_now == LIMIT - 2
    assert {r["samples"][0]["text"] for r in read_jsonl(out / "samples.jsonl")} == {"\\boxed{3}"}


def test_a_replay_file_short_of_samples_is_refused_before_any_sample_and_resumes_once_completed(tmp_path):
    """Before: the run stopped at the first problem short of samples after sampling the ones before it, named only
    that one, and once the file was completed the resume was refused: the file had changed since the start."""
    ids = _problem_ids()
    replay = tmp_path / "replay.jsonl"
    replay.write_text(json.dumps({"id": ids[0], "samples": ["\\boxed{3}", "\\boxed{0}"]}) + "\n"
                      + json.dumps({"id": ids[1], "samples": ["\\boxed{3}"]}) + "\n"
                      + json.dumps({"id": ids[3], "samples": ["\\boxed{3}", "\\boxed{0}"]}) + "\n")
    out = tmp_path / "run"
    config = _config(replay, _data_copy(tmp_path))
    with pytest.raises(InputError) as caught:
        _run(config, out)
    message = str(caught.value)
    assert f"2 of the {LIMIT} problems asked for have fewer stored samples than the 2 requested" in message
    assert f"{ids[1]!r} has 1" in message and f"{ids[2]!r} has none" in message
    assert not (out / "samples.jsonl").exists() or not read_jsonl(out / "samples.jsonl")

    _write_replay(replay, "3")  # the file completed: the same run resumes and samples every problem
    summary = _run(config, out)
    assert summary.sampling.sampled_now == LIMIT
    assert "inputs" in yaml.safe_load((out / "config.yaml").read_text())


def test_a_replay_run_recorded_before_fingerprints_resumes_and_gets_one(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    out = tmp_path / "run"
    config = _config(replay, _data_copy(tmp_path))
    _run(config, out)
    stored = RunDir(out).read_config()
    del stored["inputs"]
    (out / "config.yaml").write_text(yaml.safe_dump(stored, sort_keys=False))
    _keep_first_lines(out, 2)
    _run(config, out)
    resumed = RunDir(out).read_config()
    assert resumed["inputs"]["backend.options.path"]["size"] == replay.stat().st_size
    assert "changes" not in resumed


# --- 5. the folder of a multi-task run is not a run directory ----------------------------------

def test_folder_of_runs_that_is_a_run_directory_is_refused(tmp_path):
    from evalkit.pipeline.run import refuse_run_dir_as_folder

    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    out = tmp_path / "run"
    _run(_config(replay, _data_copy(tmp_path)), out)
    with pytest.raises(ConfigError, match="is a run directory"):
        refuse_run_dir_as_folder(out)
    with pytest.raises(ConfigError, match="lies inside"):
        refuse_run_dir_as_folder(out / "sub")
    refuse_run_dir_as_folder(tmp_path / "runs")  # a new folder is fine
    refuse_run_dir_as_folder(tmp_path)  # the folder that holds the run is fine


def test_multi_task_command_into_a_run_directory_writes_nothing(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    out = tmp_path / "run"
    _run(_config(replay, _data_copy(tmp_path)), out)
    before = sorted(path.name for path in out.iterdir())
    result = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "run", "--model", "m", "--backend", "replay", "--samples", str(replay),
         "--tasks", "gsm8k", "--n", "2", "--limit", "2", "--out", str(out), "-q"],
        check=False, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "2000"})
    assert result.returncode == 2 and "is a run directory" in result.stderr and "Traceback" not in result.stderr
    assert sorted(path.name for path in out.iterdir()) == before


def test_a_local_model_rewritten_in_place_is_refused_on_resume(tmp_path, tiny_model_dir):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    config = parse_config({"model": "mine", "task": "math500", "data_dir": str(_data_copy(tmp_path)),
                           "backend": {"name": "hf", "options": {"model": str(model)}},
                           "sampling": {"n": 1, "max_tokens": 4}, "filters": {"limit": 2}, "grading": {"workers": 0}})
    out = tmp_path / "run"
    _run(config, out)
    recorded = RunDir(out).read_config()["inputs"]["backend.options.model"]
    assert recorded["file"] == str(model) and recorded["size"] > 0 and len(recorded["sha256"]) == 16
    _keep_first_lines(out, 1)
    weights = model / "model.safetensors"
    original = weights.read_bytes()
    weights.write_bytes(original[:-8] + bytes(8))  # "retrained" in place: same path, other content
    with pytest.raises(ConfigError, match=r"changed since the run started.*restore it to resume"):
        _run(config, out)
    assert len(read_jsonl(out / "samples.jsonl")) == 1  # nothing mixed in
    weights.write_bytes(original)
    assert _run(config, out).sampling.sampled_now == 1


def test_a_problem_sampled_anew_is_scored_anew(tmp_path):
    """Its evaluator scores were made from the old samples too. Before: they stayed in scores.jsonl and
    `evalkit report` (and `evalkit rerank`, which skips what is scored) used them for the new samples."""
    from evalkit.report import load_run_matrices
    from evalkit.store.scores import ScoresAppender, read_scores

    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    data = _data_copy(tmp_path)
    out = tmp_path / "run"
    _run(_config(replay, data), out)
    ids = _problem_ids()
    with ScoresAppender(out / "scores.jsonl") as appender:
        for problem_id in ids:
            appender.append(problem_id, "ev", [0.9, 0.1], selection="all")
    samples = (out / "samples.jsonl").read_text().splitlines(keepends=True)
    dropped = json.loads(samples[1])["problem_id"]
    (out / "samples.jsonl").write_text("".join(samples[:1] + samples[2:]))

    _run(_config(replay, data), out)
    lines = read_jsonl(out / "scores.jsonl")
    assert lines[:len(ids)] == [{"problem_id": p, "scorer": "ev", "selection": "all", "scores": [0.9, 0.1]} for p in ids]
    assert lines[len(ids):] == [{"problem_id": dropped, "reset": "resampled"}], "appended, the old lines kept"
    scores = read_scores(out / "scores.jsonl", {problem_id: 2 for problem_id in ids}).scorers["ev"].by_problem
    assert dropped not in scores and all(scores[p] == [0.9, 0.1] for p in ids if p != dropped)
    matrices = load_run_matrices(out)
    row = matrices.problem_ids.index(dropped)
    assert all(value != value for value in matrices.scores[row])  # NaN: not scored yet
    _run(_config(replay, data), out)  # nothing sampled anew: no further reset line
    assert len(read_jsonl(out / "scores.jsonl")) == len(ids) + 1


def test_running_a_reranked_run_again_reports_with_the_k_it_was_reranked_with(tmp_path):
    """Before: `evalkit run` on a run that `evalkit rerank --top-k 3` had scored wrote its report with the
    config's K (8), so its metrics.json and the leaderboard's figures for the same run differed."""
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    data = _data_copy(tmp_path)
    out = tmp_path / "run"
    _run(_config(replay, data), out)
    RunDir(out).record_rerank("ev", "scr", 3)
    run_evaluation(_config(replay, data), out=out, write_report=True, show_progress=False,
                   console=Console(quiet=True))
    assert json.loads((out / "metrics.json").read_text())["settings"]["top_clusters"] == 3
    assert yaml.safe_load((out / "config.yaml").read_text())["reranked"] == {"ev": {"method": "scr", "top_clusters": 3}}


def test_a_run_whose_samples_mostly_have_no_answer_says_so(tmp_path):
    """Before: a server that answered every request with empty content gave a run at 0% with no word in the
    terminal; the report's `no answer at all: 100.0%` was the only sign."""
    import io

    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps({"id": pid, "samples": ["", "Hmm."]}) + "\n" for pid in _problem_ids()))
    buffer = io.StringIO()
    run_evaluation(_config(replay, _data_copy(tmp_path)), out=tmp_path / "run", write_report=False,
                   show_progress=False, console=Console(file=buffer, width=300))
    assert f"note: {2 * LIMIT} of the {2 * LIMIT} samples graded now have no answer" in buffer.getvalue()


# --- problems not sampled yet changed, and lines of another config's run ---------------------------

def _edit_question(data: Path, position: int) -> None:
    path = data / "math" / "math500.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    records[position] = {**records[position], "problem": "EDITED " + records[position]["problem"]}
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def test_a_resume_after_a_problem_not_sampled_yet_changed_is_refused(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    data = _data_copy(tmp_path)
    out = tmp_path / "run"
    _run(_config(replay, data), out)
    _keep_first_lines(out, 1)
    _edit_question(data, LIMIT - 1)  # the last selected problem, which the kept line is not
    with pytest.raises(ConfigError, match=r"the problems of task math500 \(test\) \(task\.problems\) changed since "
                                          r"the run started"):
        _run(_config(replay, data), out)
    assert len(read_jsonl(out / "samples.jsonl")) == 1  # nothing was sampled from the edited data


def test_a_problem_outside_the_selection_may_change(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    data = _data_copy(tmp_path)
    out = tmp_path / "run"
    _run(_config(replay, data), out)
    _keep_first_lines(out, 1)
    _edit_question(data, LIMIT)  # past the limit: not one of the run's problems
    summary = _run(_config(replay, data), out)
    assert summary.sampling.sampled_now == LIMIT - 1


def test_a_line_sampled_by_another_config_is_refused_naming_it(tmp_path):
    replay = _write_replay(tmp_path / "replay.jsonl", "3")
    data = _data_copy(tmp_path)
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    _run(_config(replay, data), ours)
    other = parse_config({"model": "m", "task": "math500", "data_dir": str(data),
                          "backend": {"name": "replay", "options": {"path": str(replay)}},
                          "sampling": {"n": 2, "seed": 7}, "filters": {"limit": LIMIT}, "grading": {"workers": 0}})
    _run(other, theirs)
    lines = (ours / "samples.jsonl").read_text().splitlines(keepends=True)
    (ours / "samples.jsonl").write_text(lines[0] + (theirs / "samples.jsonl").read_text().splitlines(keepends=True)[1])
    (ours / "graded.jsonl").unlink()
    with pytest.raises(InputError, match=r"samples.jsonl:2: .*was sampled by another config \(config_hash "):
        _run(_config(replay, data), ours)
    stamps = {record.get("config_hash") for record in read_jsonl(theirs / "samples.jsonl")}
    assert stamps == {yaml.safe_load((theirs / "config.yaml").read_text())["config_hash"]}
