"""One-line runs (`evalkit run --model M --backend B --tasks a,b ...`): flags to config, the models x
tasks table, and the issue's acceptance command from an empty directory with no data and no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evalkit.config import parse_config, parse_override
from evalkit.errors import ConfigError
from evalkit.pipeline.flags import RunFlags, build_run_configs, display_name, flag_overrides, parse_task_list
from evalkit.report.task_table import resolve_metric, row_labels, task_table_cells, task_table_markdown, write_task_table

FULL_FLAGS = RunFlags(model="Qwen/Qwen3-8B", backend="vllm", tasks=("aime24", "aime25", "math500"), n=16,
                      temperature=0.6, max_tokens=32768, limit=5, seed=3, top_p=0.95, prompt="reasoning")


def test_flags_map_onto_config_fields():
    assert flag_overrides(FULL_FLAGS) == {
        "backend.name": "vllm", "model": "Qwen/Qwen3-8B", "backend.options.model": "Qwen/Qwen3-8B",
        "sampling.n": 16, "sampling.temperature": 0.6, "sampling.top_p": 0.95, "sampling.max_tokens": 32768,
        "sampling.seed": 3, "filters.limit": 5, "prompt": "reasoning"}
    configs = build_run_configs(FULL_FLAGS)
    assert [config.task for config in configs] == ["aime24", "aime25", "math500"]
    first = configs[0]
    assert (first.model, first.backend.name, first.backend.options) == ("Qwen/Qwen3-8B", "vllm", {"model": "Qwen/Qwen3-8B"})
    assert (first.sampling.n, first.sampling.temperature, first.sampling.max_tokens) == (16, 0.6, 32768)
    assert first.filters.limit == 5 and first.prompt == "reasoning"


def test_a_one_line_run_is_the_same_config_as_its_yaml():
    yaml_config = parse_config({
        "model": "Qwen/Qwen3-8B", "task": "aime25", "prompt": "reasoning", "filters": {"limit": 5},
        "backend": {"name": "vllm", "options": {"model": "Qwen/Qwen3-8B"}},
        "sampling": {"n": 16, "temperature": 0.6, "top_p": 0.95, "max_tokens": 32768, "seed": 3}})
    assert build_run_configs(FULL_FLAGS)[1].config_hash() == yaml_config.config_hash()


def test_flags_override_a_yaml_config_and_set_comes_last():
    base = {"model": "m", "task": "math500", "backend": {"name": "hf", "options": {"model": "/models/m", "batch_size": 4}},
            "sampling": {"n": 8, "temperature": 0.8}}
    configs = build_run_configs(RunFlags(n=2, tasks=("gsm8k", "amc23")), base=base,
                                overrides=dict([parse_override("sampling.n=3")]), source="cfg.yaml")
    assert [c.task for c in configs] == ["gsm8k", "amc23"]
    assert configs[0].sampling.n == 3 and configs[0].sampling.temperature == 0.8
    assert configs[0].backend.options == {"model": "/models/m", "batch_size": 4}
    single = build_run_configs(RunFlags(max_tokens=64), base=base)
    assert [c.task for c in single] == ["math500"] and single[0].sampling.max_tokens == 64


def test_replay_and_display_names(tmp_path):
    dump = tmp_path / "dump.jsonl"
    configs = build_run_configs(RunFlags(model="their-model", backend="replay", tasks=("aime24",), samples=str(dump)))
    assert configs[0].backend.options == {"path": str(dump)} and configs[0].model == "their-model"
    model_dir = tmp_path / "checkpoints" / "step-500"
    model_dir.mkdir(parents=True)
    assert display_name(str(model_dir)) == "step-500"
    assert display_name("Qwen/Qwen3-8B") == "Qwen/Qwen3-8B" and display_name("builtin:tiny") == "builtin:tiny"
    named = build_run_configs(RunFlags(model=str(model_dir), model_name="mine", backend="hf", tasks=("aime24",)))
    assert named[0].model == "mine" and named[0].backend.options["model"] == str(model_dir)


@pytest.mark.parametrize("flags, message", [
    (RunFlags(backend="hf", tasks=("aime24",)), "needs --model"),
    (RunFlags(model="m", tasks=("aime24",)), "needs --backend"),
    (RunFlags(model="m", backend="hf"), "needs --tasks"),
    (RunFlags(model="m", backend="replay", tasks=("aime24",)), "--samples"),
    (RunFlags(model="m", backend="hf", tasks=("aime24",), samples="s.jsonl"), "--samples replays stored samples: it needs --backend replay, not hf"),
    (RunFlags(model="m", backend="tgi", tasks=("aime24",)), "backend.name"),
    (RunFlags(model="m", backend="hf", tasks=("aime24",), n=0), "sampling.n"),
    (RunFlags(model="m", backend="hf", tasks=("aime24",), prompt="r1"), "unknown prompt format 'r1'"),
])
def test_bad_flags_say_what_is_wrong(flags, message):
    with pytest.raises(ConfigError, match=message):
        build_run_configs(flags)


def test_task_lists():
    assert parse_task_list("aime24, math500,aime24") == ("aime24", "math500")
    assert parse_task_list(None) == ()
    with pytest.raises(ConfigError, match="known tasks"):
        parse_task_list("aime24,aime2024")
    with pytest.raises(ConfigError, match="at least one task"):
        parse_task_list(" , ")


# --- the models x tasks table -----------------------------------------------------------------

def _row(model, task, n, pass1, majn, config_hash="h"):
    return {"model": model, "task": task, "n": n, "config_hash": config_hash, "run_dir": f"runs/{model}-{task}",
            "metrics": {"pass@1": {"value": pass1, "ci": [pass1 - 0.1, pass1 + 0.1]},
                        f"maj@{n}": {"value": majn, "ci": [majn - 0.1, majn + 0.1]}}}


def test_task_table_cells_resolve_each_runs_own_n(tmp_path):
    rows = [_row("a", "aime24", 16, 0.5, 0.6), _row("a", "math500", 4, 0.8, 0.85), _row("b|x", "aime24", 16, 0.3, 0.4)]
    assert resolve_metric("maj@n", 16) == "maj@16" and resolve_metric("pass@1", 16) == "pass@1"
    cells = task_table_cells(rows, "maj@n")
    assert [(c["model"], c["task"], c["metric"], c["value"]) for c in cells] == [
        ("a", "aime24", "maj@16", 0.6), ("a", "math500", "maj@4", 0.85), ("b|x", "aime24", "maj@16", 0.4)]
    text = task_table_markdown(rows)
    assert "| model | aime24 | math500 |" in text
    assert "| a | 50.0 [40.0, 60.0] | 80.0 [70.0, 90.0] |" in text
    assert "| b\\|x | 30.0 [20.0, 40.0] | — |" in text  # escaped pipe, missing cell
    written = write_task_table(rows, tmp_path)
    assert set(written) == {"models_x_tasks.md", "models_x_tasks.csv", "models_x_tasks.json"}
    records = json.loads((tmp_path / "models_x_tasks.json").read_text())
    assert len(records) == 6 and records[3]["metric"] == "maj@16"


def test_two_runs_of_one_model_and_task_get_separate_rows():
    rows = [_row("a", "aime24", 2, 0.0, 0.0, "11111111aaaa"), _row("a", "aime24", 16, 0.5, 0.5, "22222222bbbb"),
            _row("b", "aime24", 2, 0.1, 0.1)]
    assert row_labels(rows) == ["a [11111111]", "a [22222222]", "b"]


def test_two_runs_sharing_model_task_and_config_hash_both_get_a_cell(tmp_path):
    # e.g. a run and a regraded copy of it: the same config hash, different numbers
    first, copy = _row("a", "aime24", 4, 0.5, 0.5), _row("a", "aime24", 4, 0.2, 0.25)
    first["run_dir"], copy["run_dir"] = str(tmp_path / "runs" / "a"), str(tmp_path / "runs" / "a-regraded")
    rows = [first, copy, _row("b", "aime24", 4, 0.1, 0.1)]
    assert row_labels(rows) == [f"a [h] ({first['run_dir']})", f"a [h] ({copy['run_dir']})", "b"]
    cells = task_table_cells(rows, "pass@1")
    assert [c["value"] for c in cells] == [0.5, 0.2, 0.1]
    write_task_table(rows, tmp_path / "board")
    text = (tmp_path / "board" / "models_x_tasks.md").read_text()
    assert "| a [h] \\(../runs/a\\) | 50.0" in text and "| a [h] \\(../runs/a-regraded\\) | 20.0" in text
    records = json.loads((tmp_path / "board" / "models_x_tasks.json").read_text())
    assert {r["run_dir"] for r in records if r["model"].startswith("a ")} == {"../runs/a", "../runs/a-regraded"}
    assert not any(str(tmp_path) in r["run_dir"] for r in records)  # paths relative to the table's folder


# --- the acceptance command -------------------------------------------------------------------

@pytest.mark.slow
def test_one_line_run_from_an_empty_directory_without_data_or_network(tmp_path, tiny_model_dir):
    """`evalkit run --tasks aime24,amc23 --model builtin:tiny --backend hf --n 2 --max-tokens 16 --limit 3 --out X`."""
    cache = tmp_path / "cache"
    shutil.copytree(tiny_model_dir, cache / "tiny-v1")  # the built-in model, already built (saves ~15 s of training)
    workdir = tmp_path / "empty"
    workdir.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("EVALKIT_DATA_DIR", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    env.update({"EVALKIT_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "NO_PROXY": "*",
                "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    command = [sys.executable, "-m", "evalkit.cli", "run", "--tasks", "aime24,amc23", "--model", "builtin:tiny",
               "--backend", "hf", "--n", "2", "--max-tokens", "16", "--limit", "3", "--out", "X", "--quiet"]
    first = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Loading weights" not in first.stderr and "it/s" not in first.stderr  # --quiet silences the libraries too
    out = workdir / "X"
    run_dirs = sorted(path for path in out.iterdir() if path.is_dir())
    assert [path.name.rsplit("-", 1)[0] for path in run_dirs] == ["builtin-tiny-aime24", "builtin-tiny-amc23"]
    for run_dir, task in zip(run_dirs, ("aime24", "amc23")):
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        assert (config["task"], config["model"], config["backend"]) == (task, "builtin:tiny",
                                                                        {"name": "hf", "options": {"model": "builtin:tiny"}})
        assert (config["sampling"]["n"], config["sampling"]["max_tokens"], config["filters"]["limit"]) == (2, 16, 3)
        samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
        assert len(samples) == 3 and all(len(line["samples"]) == 2 for line in samples)
        assert all(s["num_tokens"] is not None and s["num_tokens"] <= 16 for line in samples for s in line["samples"])
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert metrics["run"]["problems"] == 3 and metrics["outputs"]["samples"] == 6
    table = (out / "models_x_tasks.md").read_text()
    assert "| model | aime24 | amc23 |" in table and "| builtin:tiny |" in table
    assert json.loads((out / "leaderboard.json").read_text())[0]["model"] == "builtin:tiny"
    assert not (workdir / "data").exists()

    board = subprocess.run([sys.executable, "-m", "evalkit.cli", "leaderboard", "X", "--metric", "pass@1", "--out",
                            "board"], cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    assert board.returncode == 0, board.stdout + board.stderr
    assert (workdir / "board" / "models_x_tasks.md").read_text() == table

    again = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("resuming") == 2
    assert all(len((run_dir / "samples.jsonl").read_text().splitlines()) == 3 for run_dir in run_dirs)


def test_run_without_config_or_flags_is_one_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", "--tasks", "aime24"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert result.returncode == 2
    assert "needs --model, --backend" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("model, expected_start", [(".hidden", "hidden-aime24-"), ("../up", "up-aime24-"),
                                                   ("...", "aime24-"), ("Qwen/Qwen3-8B", "Qwen-Qwen3-8B-aime24-")])
def test_default_run_directories_are_one_visible_name(model, expected_start):
    from evalkit.pipeline.run import default_run_dir

    [config] = build_run_configs(RunFlags(model=model, backend="hf", tasks=("aime24",)))
    path = default_run_dir(config, None)
    assert path.parent == Path("runs") and path.name.startswith(expected_start), path


def test_model_names_that_differ_only_in_letters_a_folder_name_drops_get_their_own_folders():
    """Before: `Org/模型 α:v1` and `Org/другой β:v1` both became `Org-v1-aime24-<hash>`, and the second run took over
    the first's folder as a rename of it."""
    from evalkit.pipeline.run import default_run_dir

    names = ("Org/模型 α:v1", "Org/другой β:v1", "Qwen/Qwen3-8B")
    paths = [default_run_dir(build_run_configs(RunFlags(model=name, backend="hf", tasks=("aime24",)))[0], None)
             for name in names]
    assert len({path.name for path in paths}) == 3
    assert paths[0].name.startswith("Org-v1-aime24-") and paths[2].name.startswith("Qwen-Qwen3-8B-aime24-")
    assert len(paths[2].name) == len("Qwen-Qwen3-8B-aime24-") + 8  # an ASCII name's folder is as before


def test_a_long_model_name_gives_a_run_directory_the_file_system_takes(tmp_path):
    """File systems refuse names over 255 bytes: the slug keeps the end of a long model path (its own
    name and the task), and the config hash keeps runs of different models apart."""
    from evalkit.pipeline.run import default_run_dir

    names = []
    for tail in ("a", "b"):
        [config] = build_run_configs(RunFlags(model="/checkpoints/" + "d" * 300 + f"/step-{tail}", backend="hf",
                                              tasks=("aime24",)))
        path = default_run_dir(config, None)
        assert len(path.name) <= 220 and path.name.endswith(config.config_hash()[:8]), path.name
        assert f"-step-{tail}-aime24-" in path.name
        (tmp_path / path.name).mkdir()
        names.append(path.name)
    assert names[0] != names[1]


def _aime24_replay_file(tmp_path: Path) -> Path:
    """A replay file of aime24's first two problems, each answered right once."""
    import tasks

    problems = tasks.get_task("aime24").load()[:2]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"id": p.id, "question": p.question, "reference": p.reference,
                                           "samples": [f"\\boxed{{{p.reference}}}"]}) + "\n" for p in problems))
    return samples


def test_paths_with_rich_markup_are_printed_as_written(tmp_path):
    # `--out "exp[v2]"` printed `wrote .../exp/leaderboard.md`, and `[/]` in a path crashed the run
    # after it had finished (rich read the path as markup)
    samples = _aime24_replay_file(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "COLUMNS": "400"}
    for name in ("exp[v2]", "a[/]b", "[red]x"):
        out = tmp_path / name
        result = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", "--model", "m", "--backend", "replay",
                                 "--samples", str(samples), "--tasks", "aime24", "--n", "1", "--limit", "2", "--out",
                                 str(out), "--quiet"], capture_output=True, text=True, timeout=300, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"wrote {out / 'leaderboard.md'}" in result.stdout.replace("\n", "")


def test_the_folders_leaderboard_holds_every_graded_run_in_it(tmp_path):
    """`--out runs/` for one model, then for another: runs/leaderboard.md ranks both (it held only the
    last command's runs), and a run of the folder with no grades is left out with a note."""
    samples = _aime24_replay_file(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "COLUMNS": "200"}
    out = tmp_path / "runs"
    (out / "killed-while-sampling").mkdir(parents=True)
    (out / "killed-while-sampling" / "samples.jsonl").write_text("")
    for model in ("first-model", "second-model"):
        result = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", "--model", model, "--backend", "replay",
                                 "--samples", str(samples), "--tasks", "aime24", "--n", "1", "--limit", "2", "--out",
                                 str(out), "--quiet"], capture_output=True, text=True, timeout=300, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    board = json.loads((out / "leaderboard.json").read_text())
    assert sorted(row["model"] for row in board) == ["first-model", "second-model"]
    assert "1 other run(s)" in result.stdout.replace("\n", " ") and "not graded" in result.stdout


def test_a_task_the_replay_file_lacks_does_not_stop_the_other_tasks(tmp_path):
    samples = _aime24_replay_file(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "COLUMNS": "300"}
    out = tmp_path / "runs"
    result = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", "--model", "m", "--backend", "replay",
                             "--samples", str(samples), "--tasks", "amc23,aime24", "--n", "1", "--limit", "2", "--out",
                             str(out), "--quiet"], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "1 of 2 runs are incomplete" in result.stderr and "amc23: " in result.stderr
    assert [row["task"] for row in json.loads((out / "leaderboard.json").read_text())] == ["aime24"]


def test_a_run_directorys_own_config_runs_again(tmp_path):
    # the way to repeat or resume a run started with flags: its config.yaml was refused for the
    # keys the run keeps for itself (config_hash, num_problems, inputs, changes)
    samples = _aime24_replay_file(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    first = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", "--model", "m", "--backend", "replay",
                            "--samples", str(samples), "--tasks", "aime24", "--n", "1", "--limit", "2", "--out",
                            str(tmp_path / "runs"), "--quiet"], capture_output=True, text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    [run_dir] = [path for path in (tmp_path / "runs").iterdir() if path.is_dir()]
    before = (run_dir / "samples.jsonl").read_bytes()
    again = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", str(run_dir / "config.yaml"), "--out",
                            str(run_dir), "--quiet"], capture_output=True, text=True, timeout=300, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (run_dir / "samples.jsonl").read_bytes() == before


def test_an_unknown_built_in_model_is_named_with_the_known_ones():
    from evalkit.pipeline.run import resolve_backend_options

    [config] = build_run_configs(RunFlags(model="builtin:huge", backend="hf", tasks=("aime24",)))
    with pytest.raises(ConfigError, match=r"unknown built-in model 'builtin:huge' \(known: builtin:tiny\)"):
        resolve_backend_options(config)


def test_a_replay_file_without_questions_is_matched_by_id_with_a_note(tmp_path):
    import tasks

    problems = tasks.get_task("aime24").load()[:2]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "COLUMNS": "400"}
    with_questions, ids_only = _aime24_replay_file(tmp_path), tmp_path / "ids.jsonl"
    ids_only.write_text("".join(json.dumps({"id": p.id, "samples": ["\\boxed{1}"]}) + "\n" for p in problems))
    notes = []
    for samples in (with_questions, ids_only):
        result = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", "--model", "m", "--backend", "replay",
                                 "--samples", str(samples), "--tasks", "aime24", "--n", "1", "--limit", "2", "--out",
                                 str(tmp_path / samples.stem), "--quiet"], capture_output=True, text=True, timeout=300,
                                env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        notes.append("matched to the problems by id alone" in result.stdout.replace("\n", ""))
    assert notes == [False, True]
