"""What `evalkit synth` refuses before any step runs: missing models and targets, an --out with other files."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_jsonl, write_jsonl
from evalkit.synthesis.checks import check_synth_inputs, models_used
from evalkit.synthesis.cli import synth_command
from evalkit.synthesis.config import parse_synth_config
from evalkit.synthesis.pipeline import STEPS

FIXTURE_DATA = Path(__file__).resolve().parent / "fixtures" / "tasks_data"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("synth")(synth_command)
    app.command("other")(lambda: None)  # a second command, so that typer keeps `synth` as a subcommand
    return app


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "texts.jsonl"
    write_jsonl(corpus, [{"text": f"Tom has {n} apples and buys {n + 2} more, so he has {2 * n + 2} apples now."}
                         for n in range(3)])
    return corpus


def _model_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    return path


def test_missing_models_and_targets_are_refused_before_the_corpus_step(tmp_path: Path):
    # before: the corpus step ran, then select failed with transformers' "Repo id must use alphanumeric chars"
    # for a local path that does not exist; a bad target split was found only by the select step
    config = tmp_path / "synth.yaml"
    config.write_text(f"""
corpus: {{sources: [{{kind: jsonl, path: {_corpus(tmp_path)}}}]}}
select: {{model: ../tinyy, targets: ["gsm8k:trian", "missing.jsonl", "arith:train", "gsm8k:train"], data_dir: {FIXTURE_DATA}}}
teacher: {{backend: hf, options: {{model: ../tinyy}}}}
distill: {{base_model: demo:teachr}}
filter: {{data_dirs: [{tmp_path / "no-data"}]}}
""")
    out = tmp_path / "o"
    result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(out), "--quiet"])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).splitlines() == [
        "field 'select.model': model not found: ../tinyy does not exist (and is not a Hugging Face hub id)",
        "field 'teacher.options.model': model not found: ../tinyy does not exist (and is not a Hugging Face hub id)",
        "field 'distill.base_model': unknown demo model 'demo:teachr' (known: demo:base, demo:teacher)",
        "field 'select.targets': gsm8k:trian: task 'gsm8k' has no split 'trian'; known splits: test, train",
        "field 'select.targets': missing.jsonl not found",
        f"field 'select.targets': arith:train: arith/train.jsonl not found in the data directory {FIXTURE_DATA} "
        "(arith is generated, not downloaded: `evalkit demo` writes it into its folder's data/, or "
        "tasks.arith.write_arith_data(DATA_DIR) into any folder; use that folder as the data directory (--data-dir, "
        "a config's data_dir or problems.data_dir, or EVALKIT_DATA_DIR))",
        f"field 'filter.data_dirs': the data directory {tmp_path / 'no-data'} does not exist",
    ]
    assert not out.exists(), "nothing was written: no step ran"


def test_only_the_models_of_the_steps_to_run_are_checked(tmp_path: Path):
    model = _model_dir(tmp_path / "model")
    config = parse_synth_config({
        "corpus": {"sources": [{"kind": "jsonl", "path": str(_corpus(tmp_path))}]},
        "select": {"model": str(model), "targets": ["gsm8k:train"], "data_dir": str(FIXTURE_DATA)},
        "teacher": {"backend": "hf", "options": {"model": str(tmp_path / "not-yet-downloaded")}},
        "distill": {"base_model": "demo:base"},
        "filter": {"consistency": {"solver": "teacher"}},
    })
    check_synth_inputs(config, ["corpus", "select"])  # the teacher is not needed yet
    assert models_used(config, STEPS) == [("select.model", str(model)),
                                          ("teacher.options.model", str(tmp_path / "not-yet-downloaded")),
                                          ("distill.base_model", "demo:base")]
    for steps in (["teacher"], ["filter"]):  # the filter's answer check asks the teacher
        try:
            check_synth_inputs(config, steps)
        except ConfigError as error:
            assert str(error) == (f"field 'teacher.options.model': model not found: {tmp_path / 'not-yet-downloaded'} "
                                  "does not exist (and is not a Hugging Face hub id)")
        else:
            raise AssertionError(f"{steps}: the missing teacher was not refused")


def test_an_out_with_other_files_is_refused_and_a_synthesis_folder_is_resumed(tmp_path: Path):
    # before: --out o_other with the user's notes.txt ran and wrote corpus.jsonl, report.json, ... beside it
    config = tmp_path / "synth.yaml"
    config.write_text(f"corpus:\n  sources: [{{kind: jsonl, path: {_corpus(tmp_path)}}}]\n")
    other = tmp_path / "o_other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    (other / "report.json").write_text("{\"mine\": true}")
    result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(other), "--steps", "corpus"])
    assert isinstance(result.exception, InputError)
    assert str(result.exception) == (f"{other}: holds files that are not a synth run's (notes.txt, report.json): "
                                     "give another --out (a new or empty directory)")
    assert sorted(path.name for path in other.iterdir()) == ["notes.txt", "report.json"]
    out = tmp_path / "o"
    for _ in range(2):  # a new folder, then the same synthesis's folder again (resume, --steps reruns)
        result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(out), "--steps", "corpus",
                                             "--quiet"])
        assert result.exit_code == 0, result.output
    (out / "my-notes.txt").write_text("a note the user keeps with the run")
    result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(out), "--steps", "corpus", "--quiet"])
    assert result.exit_code == 0, result.output
    assert len(read_jsonl(out / "corpus.jsonl")) == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(_app(), ["synth", "--config", str(config), "--out", str(empty), "--steps", "corpus", "--quiet"])
    assert result.exit_code == 0, result.output
