"""`evalkit synth` and `evalkit decontaminate` as typer commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_jsonl, write_jsonl
from evalkit.synthesis.cli import decontaminate_command, synth_command

FIXTURE_DATA = Path(__file__).resolve().parent / "fixtures" / "tasks_data"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("synth")(synth_command)
    app.command("decontaminate")(decontaminate_command)
    return app


def test_decontaminate_command_reports_and_writes_both_files(tmp_path: Path):
    source = tmp_path / "data.jsonl"
    write_jsonl(source, [
        {"id": "mine-1", "problem": "A farmer plants 12 rows of 15 trees and 7 trees die. How many trees live?"},
        {"id": "copied", "problem": "Simplify $\\frac{6}{8}$."},
        {"id": "mine-2", "question": "What is the least prime larger than 90?"},
    ])
    out = tmp_path / "clean.jsonl"
    result = CliRunner().invoke(_app(), ["decontaminate", str(source), "--against", "gsm8k,math,math500",
                                         "--out", str(out), "--data-dir", str(FIXTURE_DATA), "--ngram", "13"])
    assert result.exit_code == 0, result.output
    assert "removed copied: overlaps math:test/algebra/20.json" in result.output
    assert [r["id"] for r in read_jsonl(out)] == ["mine-1", "mine-2"]
    assert [r["id"] for r in read_jsonl(tmp_path / "clean.removed.jsonl")] == ["copied"]


def test_decontaminate_rejects_unknown_benchmark(tmp_path: Path):
    source = tmp_path / "data.jsonl"
    write_jsonl(source, [{"problem": "x"}])
    result = CliRunner().invoke(_app(), ["decontaminate", str(source), "--against", "aime",
                                         "--out", str(tmp_path / "o.jsonl"), "--data-dir", str(FIXTURE_DATA)])
    assert isinstance(result.exception, ConfigError) and "unknown task 'aime'" in str(result.exception)


def test_synth_command_rejects_bad_config_and_steps(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("corpus:\n  sources: []\n")
    result = CliRunner().invoke(_app(), ["synth", "--config", str(bad), "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, ConfigError) and "corpus.sources" in str(result.exception)
    good = tmp_path / "good.yaml"
    good.write_text("corpus:\n  sources: [{kind: demo, limit: 3}]\n")
    result = CliRunner().invoke(_app(), ["synth", "--config", str(good), "--out", str(tmp_path / "o"),
                                         "--steps", "corpus,bake"])
    assert isinstance(result.exception, ConfigError) and "unknown steps" in str(result.exception)
    result = CliRunner().invoke(_app(), ["synth", "--config", str(good), "--out", str(tmp_path / "o"),
                                         "--steps", "corpus", "--quiet"])
    assert result.exit_code == 0, result.output
    assert len(read_jsonl(tmp_path / "o" / "corpus.jsonl")) == 3
    assert "no synthetic.jsonl yet" in " ".join(result.output.split())  # no path to a file that is not there
    run_dir = tmp_path / "a-run"
    run_dir.mkdir()
    (run_dir / "samples.jsonl").write_text("")
    result = CliRunner().invoke(_app(), ["synth", "--config", str(good), "--out", str(run_dir), "--steps", "corpus"])
    assert isinstance(result.exception, InputError) and "another evalkit command" in str(result.exception)
    assert not (run_dir / "corpus.jsonl").exists()


def test_decontaminate_checks_every_registered_benchmark_by_default(tmp_path: Path):
    source = tmp_path / "data.jsonl"
    write_jsonl(source, [{"id": "copied", "problem": "Fresh words.", "solution": "Simplify $\\frac{6}{8}$."},
                         {"id": "mine", "problem": "What is the least prime larger than 90?"}])
    out = tmp_path / "clean.jsonl"
    result = CliRunner().invoke(_app(), ["decontaminate", str(source), "--out", str(out),
                                         "--data-dir", str(FIXTURE_DATA)], env={"EVALKIT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    # before: a long "file not found (expected arith/test.jsonl under the data directory ./data) ..." that named
    # the default directory, not --data-dir, and the summary left arith out without saying so
    assert f"not checked: arith (no data in {FIXTURE_DATA} or {tmp_path})" in flat and flat.count("arith") == 2
    summary = json.loads(next(line for line in result.output.splitlines() if line.startswith("{")))
    assert summary["benchmarks_not_checked"] == {"arith": f"no data in {FIXTURE_DATA} or {tmp_path}"}
    assert "arith" not in summary["benchmarks_checked"]
    assert "removed copied: overlaps math:" in result.output, "a record's solution is checked too"
    assert [r["id"] for r in read_jsonl(out)] == ["mine"]
    removed = read_jsonl(tmp_path / "clean.removed.jsonl")
    assert removed[0]["matched_count"] == len(removed[0]["matched"]) >= 1


def test_synth_refuses_an_out_that_holds_its_corpus_or_is_a_file(tmp_path: Path):
    # before: --out DIR with the corpus at DIR/corpus.jsonl overwrote the user's corpus with the corpus
    # step's output, and an --out that is a file gave a FileExistsError traceback
    texts = tmp_path / "mine"
    texts.mkdir()
    corpus = texts / "corpus.jsonl"
    write_jsonl(corpus, [{"text": f"Tom has {n} apples and buys {n + 2} more, so he has {2 * n + 2} apples now."}
                         for n in range(3)])
    original = corpus.read_bytes()
    config = tmp_path / "synth.yaml"
    config.write_text(f"corpus:\n  sources: [{{kind: jsonl, path: {corpus}}}]\n")
    result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(texts), "--steps", "corpus"])
    assert isinstance(result.exception, InputError) and "--out holds the input file" in str(result.exception)
    assert corpus.read_bytes() == original and [path.name for path in texts.iterdir()] == ["corpus.jsonl"]
    for out, words in ((corpus, "is a file"), (corpus / "sub", f"is inside the file {corpus}")):
        result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(out), "--steps", "corpus"])
        assert isinstance(result.exception, InputError) and words in str(result.exception)
    assert corpus.read_bytes() == original
    result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(tmp_path / "o"),
                                         "--steps", "corpus", "--quiet"])
    assert result.exit_code == 0, result.output
    assert len(read_jsonl(tmp_path / "o" / "corpus.jsonl")) == 3


def test_decontaminate_refuses_to_write_over_its_input_or_into_a_directory(tmp_path: Path):
    # before: `decontaminate X.removed.jsonl --out X.jsonl` replaced the input with the (empty) removed records,
    # and an --out that is a directory failed only after all the work ("cannot write DIR: Is a directory")
    source = tmp_path / "clean.removed.jsonl"
    write_jsonl(source, [{"id": "mine-1", "problem": "A farmer plants 12 rows of 15 trees. How many trees?"}])
    original = source.read_bytes()
    for out, words in ((tmp_path / "clean.jsonl", "clean.removed.jsonl: is the input file"),
                       (tmp_path, "is a directory")):
        result = CliRunner().invoke(_app(), ["decontaminate", str(source), "--against", "gsm8k", "--out", str(out),
                                             "--data-dir", str(FIXTURE_DATA)])
        assert isinstance(result.exception, InputError) and words in str(result.exception)
    assert source.read_bytes() == original and not (tmp_path / "clean.jsonl").exists()


def test_a_second_synthesis_in_a_busy_output_folder_is_refused_by_name(tmp_path: Path):
    # before: two syntheses into one --out both ran, and both paid for the teacher's calls
    from evalkit.store.lock import RunDirBusy, RunLock

    corpus = tmp_path / "texts.jsonl"
    write_jsonl(corpus, [{"text": f"Tom has {n} apples and buys {n + 2} more, so he has {2 * n + 2} apples now."}
                         for n in range(3)])
    config = tmp_path / "synth.yaml"
    config.write_text(f"corpus:\n  sources: [{{kind: jsonl, path: {corpus}}}]\n")
    out = tmp_path / "o"
    with RunLock(out, "evalkit synth"):
        result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(out), "--steps", "corpus"])
    assert isinstance(result.exception, RunDirBusy) and "is in use by" in str(result.exception)
    assert not (out / "corpus.jsonl").exists()
    result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(out), "--steps", "corpus", "--quiet"])
    assert result.exit_code == 0, result.output
    assert ".evalkit.lock" not in {path.name for path in out.iterdir()} and (out / "corpus.jsonl").is_file()


def test_decontaminate_help_names_the_file_it_writes_the_removed_records_to(tmp_path: Path):
    # before: --help said OUT.removed.jsonl (clean.jsonl.removed.jsonl), the command wrote clean.removed.jsonl
    result = CliRunner().invoke(_app(), ["decontaminate", "--help"], terminal_width=200)
    flat = " ".join(result.output.replace("│", " ").split())
    assert "NAME.removed.jsonl for --out NAME.jsonl (clean.jsonl -> clean.removed.jsonl)" in flat
    assert "OUT.removed.jsonl" not in flat
    source = tmp_path / "data.jsonl"
    write_jsonl(source, [{"id": "copied", "problem": "Simplify $\\frac{6}{8}$."}])
    result = CliRunner().invoke(_app(), ["decontaminate", str(source), "--against", "math", "--out",
                                         str(tmp_path / "clean.jsonl"), "--data-dir", str(FIXTURE_DATA)])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in read_jsonl(tmp_path / "clean.removed.jsonl")] == ["copied"]
    assert not (tmp_path / "clean.jsonl.removed.jsonl").exists()
