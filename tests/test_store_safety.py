"""The run store's guarantees, one by one: streaming readers, key-only id reads, exact text round
trips, atomic writes that leave nothing behind, the run-directory lock, the config hash over
sample-changing settings only, escaping of untrusted text, and outputs that would overwrite inputs."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from evalkit.config import SAMPLE_FIELDS, parse_config
from evalkit.errors import ConfigError, DiskError, EvalkitError, InputError
from evalkit.jsonl import (
    JsonlAppender,
    dumps_line,
    iter_jsonl,
    iter_keys,
    read_jsonl,
    reorder_jsonl,
    write_jsonl,
)
from evalkit.paths import refuse_output_over_inputs
from evalkit.pipeline.run import stored_config_hash
from evalkit.store import RunDir
from evalkit.store.lock import LOCK_FILE, RunDirBusy, RunLock
from evalkit.text_safety import for_markdown, for_terminal, visible_controls

HALF_EMOJI = "\ud83d"  # a lone surrogate, as json.loads gives for the JSON text "\ud83d"


# --------------------------------------------------------------------------- JSON Lines


def test_lone_surrogates_round_trip_through_a_line():
    record = {"problem_id": "p", "text": f"smile {HALF_EMOJI} and a whole 😀 and \udc00"}
    line = dumps_line(record)
    line.encode("utf-8")  # a valid UTF-8 line
    assert json.loads(line) == record
    assert "😀" in line  # what can be written as UTF-8 stays readable


def test_surrogates_survive_the_appender_and_the_readers(tmp_path):
    path = tmp_path / "samples.jsonl"
    with JsonlAppender(path) as out:
        out.write({"problem_id": f"a{HALF_EMOJI}", "text": HALF_EMOJI})
    assert read_jsonl(path) == [{"problem_id": f"a{HALF_EMOJI}", "text": HALF_EMOJI}]
    assert [keys for _, keys in iter_keys(path, ("problem_id",))] == [(f"a{HALF_EMOJI}",)]


def test_iter_jsonl_streams_lines_one_at_a_time(tmp_path):
    path = tmp_path / "big.jsonl"
    write_jsonl(path, ({"problem_id": str(i)} for i in range(3)))
    reader = iter_jsonl(path)
    assert next(reader) == (1, {"problem_id": "0"})
    with path.open("a") as handle:  # a reader that had read the whole file would not see this
        handle.write('{"problem_id": "late"}\n')
    assert [record["problem_id"] for _, record in reader] == ["1", "2", "late"]


def test_iter_keys_reads_the_leading_fields_and_falls_back_for_other_layouts(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"problem_id": "a", "scorer": "s", "scores": [1]}\n'
        '{"scores": [2], "scorer": "t", "problem_id": "b"}\n'
        '{  "problem_id" :  7 , "scorer":null}\n'
        '\n'
        '{"problem_id": "d", "scor'  # a writer killed mid-line
    )
    got = [keys for _, keys in iter_keys(path, ("problem_id", "scorer"), tolerate_partial_tail=True)]
    assert got == [("a", "s"), ("b", "t"), (7, None)]
    with pytest.raises(InputError, match=r"mixed.jsonl:5: not valid JSON"):
        list(iter_keys(path, ("problem_id",)))


def test_iter_keys_does_not_parse_the_rest_of_a_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text('{"problem_id": "a", "samples": [this is not JSON at all]}\n')
    assert [keys for _, keys in iter_keys(path, ("problem_id",))] == [("a",)]


def test_appender_mends_a_cut_line_longer_than_its_read_block(tmp_path):
    path = tmp_path / "samples.jsonl"
    whole = dumps_line({"problem_id": "a", "text": "x" * 200_000})
    path.write_text(whole + dumps_line({"problem_id": "b", "text": "y" * 150_000})[:-70_000])
    with JsonlAppender(path) as out:
        out.write({"problem_id": "c"})
    assert [record["problem_id"] for record in read_jsonl(path)] == ["a", "c"]


def test_reorder_puts_lines_in_the_given_order_and_leaves_an_ordered_file_alone(tmp_path):
    path = tmp_path / "samples.jsonl"
    write_jsonl(path, [{"problem_id": key, "v": key * 3} for key in ("c", "a", "b")])
    assert reorder_jsonl(path, "problem_id", ["a", "b", "c"]) is True
    assert [record["problem_id"] for record in read_jsonl(path)] == ["a", "b", "c"]
    before = path.stat().st_mtime_ns
    assert reorder_jsonl(path, "problem_id", ["a", "b", "c"]) is False
    assert path.stat().st_mtime_ns == before
    with pytest.raises(InputError, match="'z' is not among the expected records"):
        write_jsonl(path, [{"problem_id": "z"}])
        reorder_jsonl(path, "problem_id", ["a"])


def test_an_atomic_write_that_fails_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "out.jsonl"
    write_jsonl(path, [{"a": 1}])

    def failing():
        yield {"a": 2}
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_jsonl(path, failing())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    assert read_jsonl(path) == [{"a": 1}]  # the old content is intact


def test_a_full_or_read_only_disk_is_one_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "out.jsonl"
    real_open = Path.open

    def refusing_open(self, mode="r", *args, **kwargs):
        if "w" in mode or "a" in mode:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    with pytest.raises(DiskError, match=r"cannot write .*out.jsonl: the file system is read-only"):
        write_jsonl(path, [{"a": 1}])
    with pytest.raises(DiskError, match="read-only"):
        JsonlAppender(path)
    monkeypatch.setattr(Path, "open", real_open)
    assert list(tmp_path.iterdir()) == []


def test_appender_reports_a_full_disk(tmp_path, monkeypatch):
    appender = JsonlAppender(tmp_path / "samples.jsonl")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(appender._handle, "write", full)
    with pytest.raises(DiskError, match="the disk is full. Finished work is kept"):
        appender.write({"problem_id": "a"})


def test_an_interrupt_inside_a_write_cannot_leave_the_appender_waiting_forever(tmp_path, monkeypatch):
    # Ctrl-C or SIGTERM can land inside a `threading.Event.set` (in `Condition.__exit__`) and leave
    # its lock taken; a writer that shares such a lock with its fsync thread then waits forever in
    # `close` (seen once after SIGTERM while grading: the run hung instead of stopping).
    appender = JsonlAppender(tmp_path / "graded.jsonl", fsync_interval_s=0.05)
    appender.write({"problem_id": "a"})

    def interrupted_set(event: threading.Event) -> None:
        event._cond.acquire()  # taken, never given back: what the interrupt leaves behind
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(threading.Event, "set", interrupted_set)
        try:
            appender.write({"problem_id": "b"})
        except KeyboardInterrupt:
            pass
    time.sleep(0.6)  # the fsync thread wakes up and needs the lock
    closing = threading.Thread(target=appender.close, daemon=True)
    closing.start()
    closing.join(5)
    assert not closing.is_alive(), "close() waits forever"
    assert [record["problem_id"] for record in read_jsonl(tmp_path / "graded.jsonl")] == ["a", "b"]


# --------------------------------------------------------------------------- the lock


def _hold_lock_in_child(directory: Path) -> subprocess.Popen:
    code = textwrap.dedent(f"""
        import sys, time
        from evalkit.store.lock import RunLock
        lock = RunLock({str(directory)!r}, "a test").acquire()
        print("held", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path):
    child = _hold_lock_in_child(tmp_path / "run")
    try:
        with pytest.raises(RunDirBusy, match=rf"in use by .*\(pid {child.pid} on .*run this command for me again"):
            RunLock(tmp_path / "run", "me").acquire()
    finally:
        child.kill()
        child.wait()
    with RunLock(tmp_path / "run") as lock:  # a killed holder leaves no stale lock
        assert lock.held
    assert not (tmp_path / "run" / LOCK_FILE).exists()


def test_a_lock_that_made_its_directory_removes_it_when_nothing_was_written(tmp_path):
    with RunLock(tmp_path / "new"):
        assert (tmp_path / "new").is_dir()
    assert not (tmp_path / "new").exists()
    with RunLock(tmp_path / "kept"):
        (tmp_path / "kept" / "samples.jsonl").write_text("")
    assert (tmp_path / "kept" / "samples.jsonl").exists()


# --------------------------------------------------------------------------- claims and config hashes

BASE = {"model": "m", "task": "math500",
        "backend": {"name": "openai", "options": {"model": "served", "timeout": 60, "base_url": "http://a/v1"}}}


def test_only_sample_changing_settings_enter_the_hash():
    base = parse_config(BASE).config_hash()
    operational = {**BASE, "model": "another display name", "max_problems_in_flight": 5, "data_dir": "/x",
                   "grading": {"timeout": 1.0}, "report": {"ks": [1]},
                   "backend": {"name": "openai", "options": {"model": "served", "timeout": 600, "max_retries": 9,
                                                             "base_url": "http://b/v1", "max_in_flight": 8}}}
    assert parse_config(operational).config_hash() == base
    for changed in ({"sampling": {"n": 3}}, {"prompt": "chat"}, {"filters": {"limit": 2}},
                    {"backend": {"name": "openai", "options": {"model": "other", "timeout": 60}}}):
        assert parse_config({**BASE, **changed}).config_hash() != base, changed
    assert SAMPLE_FIELDS == ("task", "split", "data_source", "prompt", "filters", "backend", "sampling")


def test_batch_problems_is_read_as_the_in_flight_bound():
    assert parse_config({**BASE, "batch_problems": 7}).max_problems_in_flight == 7


def test_the_old_and_new_name_of_the_in_flight_bound_are_one_field():
    from evalkit.config import apply_override
    from evalkit.pipeline.flags import RunFlags, build_run_configs

    with pytest.raises(ConfigError, match="old name"):
        parse_config({**BASE, "batch_problems": 7, "max_problems_in_flight": 3})
    for old_or_new in ("batch_problems", "max_problems_in_flight"):
        data = {**BASE, old_or_new: 7}
        apply_override(data, "batch_problems", 2, source="test")  # a later --set wins, under either name
        assert parse_config(data).max_problems_in_flight == 2
        data = {**BASE, old_or_new: 7}
        apply_override(data, "max_problems_in_flight", 3, source="test")
        assert parse_config(data).max_problems_in_flight == 3
        [config] = build_run_configs(RunFlags(max_problems_in_flight=4), base={**BASE, old_or_new: 7})
        assert config.max_problems_in_flight == 4  # the flag overrides the YAML's bound


def test_a_changed_operational_setting_is_recorded_not_refused(tmp_path):
    from evalkit.config import dump_config

    run = RunDir(tmp_path / "run")
    first = parse_config(BASE)
    assert run.claim(dump_config(first), first.config_hash()) is True
    later = parse_config({**BASE, "backend": {"name": "openai", "options": {"model": "served", "timeout": 600,
                                                                             "base_url": "http://a/v1"}}})
    assert run.claim(dump_config(later), later.config_hash()) is False
    config = run.read_config()
    assert config["backend"]["options"]["timeout"] == 600
    assert config["changes"] == [{"backend.options.timeout": [60, 600]}]
    other = parse_config({**BASE, "sampling": {"n": 2}})
    with pytest.raises(ConfigError, match="different config"):
        run.claim(dump_config(other), other.config_hash())


def test_a_run_recorded_under_the_old_hash_rule_resumes(tmp_path):
    from evalkit.config import dump_config

    config = parse_config(BASE)
    old_text = dump_config(config).replace(config.config_hash(), "0123456789abcdef")
    run = RunDir(tmp_path / "run")
    run.claim(old_text, "0123456789abcdef")
    assert run.claim(dump_config(config), config.config_hash(), rehash=stored_config_hash) is False
    assert run.read_config()["config_hash"] == config.config_hash()
    assert run.read_config()["changes"][-1]["config_hash"] == ["0123456789abcdef", config.config_hash()]


def test_a_claim_released_before_any_sample_leaves_the_directory_free(tmp_path):
    run = RunDir(tmp_path / "run")
    run.claim("config_hash: a\n", "a")
    run.samples_path.touch()
    run.release_claim()
    assert list(run.path.iterdir()) == []
    run.claim("config_hash: b\n", "b")  # another config may now take it


def test_leftover_temporary_files_do_not_block_a_claim(tmp_path):
    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    (run.path / ".config.yaml.tmp").write_text("half")
    (run.path / LOCK_FILE).write_text("")
    assert run.claim("config_hash: a\n", "a") is True


def test_failed_run_before_sampling_does_not_claim_its_directory(tmp_path):
    from evalkit.pipeline.run import run_evaluation
    from rich.console import Console

    config = parse_config({"model": "m", "task": "math500",
                           "data_dir": str(Path(__file__).parent / "fixtures" / "pipeline_data"),
                           "backend": {"name": "hf", "options": {"model": str(tmp_path / "no-such-model")}},
                           "sampling": {"n": 1}})
    with pytest.raises(EvalkitError, match="model directory .* does not exist"):
        run_evaluation(config, out=tmp_path / "run", show_progress=False, console=Console(quiet=True))
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- escaping and paths


def test_terminal_text_cannot_carry_markup_or_control_codes():
    from rich.console import Console

    nasty = f"model[/] [bold]x[/bold] \x1b[2J\x07 {HALF_EMOJI}"
    console = Console(record=True, width=200, color_system=None)
    console.print(f"run {for_terminal(nasty)}")
    shown = console.export_text()
    assert "model[/] [bold]x[/bold]" in shown and "\\x1b[2J\\x07" in shown and "\\ud83d" in shown
    assert "\x1b" not in shown
    assert visible_controls("a\tb\nc") == "a\tb\nc"
    assert for_terminal("a\nb", keep_newlines=False) == "a\\nb"
    # by default one line: a model name or a server's message cannot print a line of its own
    fake_line = "good\nerror: samples.jsonl deleted"
    console.print(f"starting {for_terminal(fake_line)} on aime24")
    assert not any(line.startswith("error:") for line in console.export_text().splitlines())
    assert for_terminal(fake_line) == "good\\nerror: samples.jsonl deleted"
    assert for_terminal("two\nlines", keep_newlines=True) == "two\nlines"


def test_markdown_text_cannot_break_a_table_or_make_links():
    cell = for_markdown("a|b\n[click](javascript:x) *bold* <b> \x1b")
    assert "|" not in cell.replace("\\|", "") and "\n" not in cell
    assert "](" not in cell and "\\*bold\\*" in cell and "\\<b\\>" in cell and "\x1b" not in cell
    assert for_markdown("54.2 [50.1, 58.3]") == "54.2 [50.1, 58.3]"
    assert for_markdown("ckpt-$\\alpha$") == "ckpt-\\$\\\\alpha\\$"  # no math in a cell


def test_an_output_over_an_input_is_refused(tmp_path):
    source = tmp_path / "pairs.jsonl"
    source.write_text("")
    with pytest.raises(InputError, match="is the input"):
        refuse_output_over_inputs(source, [source])
    with pytest.raises(InputError, match="holds the input"):
        refuse_output_over_inputs(tmp_path, [source])
    (tmp_path / "link.jsonl").symlink_to(source)
    with pytest.raises(InputError, match="is the input"):
        refuse_output_over_inputs(tmp_path / "link.jsonl", [source])
    refuse_output_over_inputs(tmp_path / "other.jsonl", [source])


def test_cli_grade_refuses_out_equal_to_its_input(tmp_path):
    from typer.testing import CliRunner

    from evalkit.cli import app

    source = tmp_path / "pairs.jsonl"
    source.write_text('{"reference": "1", "answer": "1"}\n')
    result = CliRunner().invoke(app, ["grade", str(source), "--out", str(source), "--workers", "0"])
    assert result.exit_code != 0 and "is the input" in str(result.exception)
    assert source.read_text() == '{"reference": "1", "answer": "1"}\n'


def test_merge_refuses_out_equal_to_a_part(tmp_path):
    from evalkit.pipeline.merge import merge_runs

    part = RunDir(tmp_path / "part0")
    part.claim("config_hash: a\nshard: {index: 0, count: 1}\n", "a")
    with pytest.raises(InputError, match="is the input"):
        merge_runs([part.path], part.path)



def test_every_run_config_in_configs_validates():
    import yaml

    from evalkit.config import load_config

    configs = Path(__file__).resolve().parents[1] / "configs"
    run_configs = [path for path in sorted(configs.glob("*.yaml"))
                   if "backend" in (yaml.safe_load(path.read_text()) or {}) and "task" in yaml.safe_load(path.read_text())]
    assert len(run_configs) >= 3
    for path in run_configs:
        load_config(path)


def test_import_and_grade_keep_lone_surrogates(tmp_path):
    from typer.testing import CliRunner

    from evalkit.cli import app

    source = tmp_path / "dump.jsonl"
    source.write_text('{"id": "a\\ud83d", "question": "q \\ud83d", "reference": "1", '
                      '"samples": ["so \\\\boxed{1} \\ud83d", "\\ud83d"]}\n')
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(source), "--task", "math500", "--out", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0, result.output
    [record] = read_jsonl(tmp_path / "run" / "samples.jsonl")
    assert record["problem_id"] == f"a{HALF_EMOJI}" and record["samples"][1]["text"] == HALF_EMOJI
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"reference": "1", "response": "\\ud83d the answer is \\\\boxed{1}"}\n')
    result = runner.invoke(app, ["grade", str(pairs), "--out", str(tmp_path / "graded.jsonl"), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert len(read_jsonl(tmp_path / "graded.jsonl")) == 1  # graded without a crash (how: the grader's rule)


def test_whole_file_writes_keep_lone_surrogates_readable_back(tmp_path):
    from evalkit.jsonl import write_lines_atomic
    from evalkit.report.tables import write_metrics_json

    path = write_metrics_json(tmp_path / "metrics.json", {"run": {"model": f"m{HALF_EMOJI}"}})
    assert json.loads(path.read_text(encoding="utf-8")) == {"run": {"model": f"m{HALF_EMOJI}"}}
    write_lines_atomic(tmp_path / "notes.md", [f"name {HALF_EMOJI}\n"])
    assert (tmp_path / "notes.md").read_text(encoding="utf-8") == "name \\ud83d\n"


def test_a_read_error_while_writing_a_whole_file_is_one_line_naming_the_source(tmp_path):
    from evalkit.errors import DiskError
    from evalkit.jsonl import temporary_path, write_lines_atomic

    def lines_read_from_a_failing_disk():
        yield "first\n"
        raise OSError(errno.EIO, "Input/output error", str(tmp_path / "source.jsonl"))

    target = tmp_path / "out.txt"
    with pytest.raises(DiskError, match=r"cannot read .*source\.jsonl: "):
        write_lines_atomic(target, lines_read_from_a_failing_disk())
    assert not target.exists() and not temporary_path(target).exists()


def test_a_file_system_without_locks_gets_a_warning_not_a_refusal(tmp_path, monkeypatch, capsys):
    import fcntl

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with RunLock(tmp_path / "run") as lock:
        assert lock.held
    assert "without file locks" in capsys.readouterr().err
