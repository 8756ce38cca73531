"""Run configs: validation errors name the field; the hash covers only what decides samples."""

from __future__ import annotations

import pytest

from evalkit.config import dump_config, load_config, parse_config, parse_override, read_yaml_config
from evalkit.errors import ConfigError

BASE = {"model": "m", "task": "math500", "backend": {"name": "hf", "options": {"model": "dir"}}}


def test_defaults_and_hash_is_stable():
    first = parse_config(BASE)
    second = parse_config(dict(BASE))
    assert first.sampling.n == 8
    assert first.config_hash() == second.config_hash()
    assert len(first.config_hash()) == 16


def test_hash_changes_with_sampling_but_not_with_report_or_grading():
    base = parse_config(BASE)
    more_samples = parse_config({**BASE, "sampling": {"n": 16}})
    other_report = parse_config({**BASE, "report": {"ks": [1, 2]}, "grading": {"timeout": 1.0}})
    assert more_samples.config_hash() != base.config_hash()
    assert other_report.config_hash() == base.config_hash()


def test_defaults_written_out_hash_as_the_defaults_they_are():
    # before: a config that wrote out the task's default prompt, its stop strings or a backend option's
    # default got another hash than the same config relying on the defaults, so a resume was refused
    # as "a different config" although the samples are the same
    implicit = parse_config(BASE)
    explicit = parse_config({**BASE, "prompt": "minerva", "sampling": {"stop": ["\n\nProblem:", "\n\n\n"]},
                             "backend": {"name": "hf", "options": {"model": "dir", "device": "auto", "dtype": "auto",
                                                                   "trust_remote_code": False}}})
    assert explicit.config_hash() == implicit.config_hash() == "99409a0e75df545f"  # the hash runs were made with
    openai = {"model": "m", "task": "gsm8k", "backend": {"name": "openai", "options": {"model": "x"}}}
    assert parse_config({**openai, "backend": {"name": "openai", "options": {"model": "x", "mode": "auto"}},
                         "prompt": "gsm8k_cot"}).config_hash() == parse_config(openai).config_hash()


def test_values_other_than_the_defaults_still_change_the_hash():
    base = parse_config(BASE).config_hash()
    assert parse_config({**BASE, "prompt": "zero_shot_cot"}).config_hash() != base
    assert parse_config({**BASE, "sampling": {"stop": []}}).config_hash() != base
    assert parse_config({**BASE, "sampling": {"stop": ["\n\nProblem:"]}}).config_hash() != base
    assert parse_config({**BASE, "backend": {"name": "hf", "options": {"model": "dir", "dtype": "float32"}}}
                        ).config_hash() != base
    # the stop strings of the prompt format chosen, not of the task's default, are that format's default
    chosen = parse_config({**BASE, "prompt": "zero_shot_cot"})
    import tasks
    own_stop = list(tasks.get_prompt_format("zero_shot_cot").stop)
    assert parse_config({**BASE, "prompt": "zero_shot_cot", "sampling": {"stop": own_stop}}).config_hash() \
        == chosen.config_hash()


def test_the_table_of_backend_defaults_matches_the_constructors():
    import inspect

    from evalkit.backends.registry import OPERATIONAL_OPTIONS, SAMPLE_OPTION_DEFAULTS, backend_class

    for name in ("openai", "replay", "vllm", "hf"):
        if name == "hf":
            pytest.importorskip("torch")
        parameters = inspect.signature(backend_class(name)).parameters.values()
        defaults = {parameter.name: parameter.default for parameter in parameters
                    if parameter.default is not inspect.Parameter.empty and parameter.name not in OPERATIONAL_OPTIONS[name]
                    and parameter.name not in ("console",)}
        assert SAMPLE_OPTION_DEFAULTS[name] == defaults, name


def test_unknown_and_bad_fields_are_named(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: m\ntask: math\nbackend: {name: hf}\nsampling: {n: 0, temprature: 1}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "bad.yaml:4: field 'sampling.n'" in message
    assert "bad.yaml:4: field 'sampling.temprature': unknown field" in message


def test_config_errors_name_the_line_of_the_field_in_the_file(tmp_path):
    """Before: `typo.yaml: field 'sampling.temprature'` named no line, though broken YAML got one."""
    from evalkit.pipeline.flags import RunFlags, build_run_configs

    text = "model: m\ntask: math\nbackend:\n  name: hf\nsampling:\n  n: 4\n  temprature: 0.0\nfilters:\n  limit: 5\n"
    path = tmp_path / "typo.yaml"
    path.write_text(text)
    base, lines = read_yaml_config(path)
    assert lines["sampling.temprature"] == 7 and lines["backend.name"] == 4 and base["sampling"]["n"] == 4
    with pytest.raises(ConfigError, match=r"typo.yaml:7: field 'sampling.temprature': unknown field"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"^typo.yaml:7: field 'sampling.temprature'"):
        build_run_configs(RunFlags(), base=base, source="typo.yaml", lines=lines)
    # a bad value a flag gave is the command line's, not the file's line
    with pytest.raises(ConfigError, match=r"command line: field 'sampling.n'"):
        build_run_configs(RunFlags(n=0), base={**base, "sampling": {"n": 4}}, source="typo.yaml", lines=lines)


def test_unknown_task_or_prompt_in_a_run_config_names_file_and_field(tmp_path):
    from evalkit.pipeline.flags import RunFlags, build_run_configs

    path = tmp_path / "run.yaml"
    with pytest.raises(ConfigError, match=r"run.yaml: field 'task': unknown task 'nope'; known tasks: .*math500"):
        build_run_configs(RunFlags(), base={"model": "m", "task": "nope", "backend": {"name": "hf"}}, source=str(path))
    with pytest.raises(ConfigError, match=r"run.yaml: field 'prompt': unknown prompt format 'r1'"):
        build_run_configs(RunFlags(), base={"model": "m", "task": "math", "prompt": "r1", "backend": {"name": "hf"}},
                          source=str(path))
    written = {"model": "m", "task": "math", "backend": {"name": "hf"}}  # a good file, a bad value from the command line
    with pytest.raises(ConfigError, match=r"^--set prompt: field 'prompt': unknown prompt format 'r1'"):
        build_run_configs(RunFlags(), base=written, overrides={"prompt": "r1"}, source=str(path))
    with pytest.raises(ConfigError, match=r"^--prompt: field 'prompt': unknown prompt format 'r1'"):
        build_run_configs(RunFlags(prompt="r1"), base=written, source=str(path))


def test_unknown_backend_is_rejected():
    with pytest.raises(ConfigError, match="backend.name"):
        parse_config({**BASE, "backend": {"name": "tensorflow"}})


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("model: m\ntask: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+: not valid YAML"):
        load_config(path)


def test_a_key_given_twice_is_refused_not_the_last_one_kept(tmp_path):
    """PyYAML keeps the last of two equal keys: `task: aime24` then `task: amc23` ran amc23."""
    path = tmp_path / "twice.yaml"
    path.write_text("model: m\ntask: aime24\ntask: amc23\nbackend: {name: replay, options: {path: x.jsonl}}\n")
    with pytest.raises(ConfigError, match=r"twice.yaml:3: not valid YAML \(duplicate key 'task' \(first on line 2\)\)"):
        load_config(path)
    nested = tmp_path / "nested.yaml"
    nested.write_text("model: m\nsampling:\n  n: 4\n  n: 8\n")
    with pytest.raises(ConfigError, match=r"nested.yaml:4: .*duplicate key 'n'"):
        load_config(nested)
    merged = tmp_path / "merged.yaml"  # a YAML merge key may be overridden: that is not a duplicate
    merged.write_text("defaults: &d {n: 4, seed: 1}\nsampling:\n  <<: *d\n  n: 8\n")
    assert read_yaml_config(merged)[0]["sampling"] == {"n": 8, "seed": 1}


def test_missing_file():
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("/nonexistent/config.yaml")


def test_a_directory_given_as_the_config_is_named_as_one(tmp_path):
    # before: "DIR: config file not found", while the path is there
    with pytest.raises(ConfigError, match=r": is a directory, not a YAML config file$"):
        load_config(tmp_path)


def test_overrides_are_applied_and_typed(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: m\ntask: math\nbackend: {name: hf}\n")
    config = load_config(path, dict([parse_override("sampling.n=4"), parse_override("filters.limit=3")]))
    assert config.sampling.n == 4 and config.filters.limit == 3
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_override("sampling.n")


def test_dump_contains_hash():
    config = parse_config(BASE)
    assert f"config_hash: {config.config_hash()}" in dump_config(config)


def test_a_user_error_is_one_line_whatever_the_terminal_width(tmp_path, monkeypatch, capsys):
    from evalkit.errors import run_cli
    from evalkit.store import RunDir

    monkeypatch.setenv("COLUMNS", "40")
    (tmp_path / "config.yaml").write_text("model: [a, b\n")  # PyYAML's own message spans several lines

    def app() -> None:
        RunDir(tmp_path).read_config()

    with pytest.raises(SystemExit) as stopped:
        run_cli(app)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "config.yaml:2: not valid YAML" in err


def test_a_config_file_that_is_not_utf8_is_one_line_naming_file_line_and_byte(tmp_path):

    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"task: aime24\nmodel: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin1.yaml:2: not UTF-8 text \(byte 0xe9 at offset 23\)"):
        read_yaml_config(path)


@pytest.mark.parametrize("field, value", [("n", True), ("temperature", False), ("seed", True), ("max_tokens", True)])
def test_true_or_false_is_not_a_number(field, value):
    # pydantic took `sampling.n: true` as n = 1
    with pytest.raises(ConfigError, match=f"field 'sampling.{field}': expected a number, got {str(value).lower()}"):
        parse_config({"model": "m", "task": "aime24", "backend": {"name": "hf"}, "sampling": {field: value}})


def test_true_is_still_true_where_a_switch_is_meant():
    config = parse_config({"model": "m", "task": "aime24", "backend": {"name": "hf"}, "sampling": {"logprobs": True}})
    assert config.sampling.logprobs is True


def test_problem_ids_written_as_yaml_numbers_are_ids():
    """AIME's ids are numbers: `filters.ids: [60, 61]` names problems '60' and '61'; a float or a
    boolean is still refused."""
    config = parse_config({**BASE, "filters": {"ids": [60, "61"]}})
    assert config.filters.ids == ["60", "61"]
    for bad in (1.5, True):
        with pytest.raises(ConfigError, match="filters.ids"):
            parse_config({**BASE, "filters": {"ids": [bad]}})


def test_the_data_source_as_the_docs_name_its_default_and_a_bad_one_named_by_its_field(tmp_path):
    base = "model: m\ntask: gsm8k\nbackend: {name: replay, options: {path: x.jsonl}}\n"
    (tmp_path / "files.yaml").write_text(base + "data_source: files\n")
    (tmp_path / "plain.yaml").write_text(base)
    assert load_config(tmp_path / "files.yaml").data_source is None
    assert load_config(tmp_path / "files.yaml").identity() == load_config(tmp_path / "plain.yaml").identity()
    (tmp_path / "bad.yaml").write_text(base + "data_source: fils\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:4: field 'data_source': 'fils': expected files, hf or hf:NAME"):
        load_config(tmp_path / "bad.yaml")
    (tmp_path / "hub.yaml").write_text(base + "data_source: hf:openai/gsm8k:main\n")
    assert load_config(tmp_path / "hub.yaml").data_source == "hf:openai/gsm8k:main"


def test_a_bad_field_that_a_set_override_gave_is_named_by_its_set(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model: m\ntask: gsm8k\nbackend: {name: replay, options: {path: x.jsonl}}\nsampling: {n: two}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {"foo.bar": 1, "sampling.temperature": "hot"})
    lines = str(caught.value).splitlines()
    assert "--set foo.bar: field 'foo': unknown field" in lines
    assert any(line.startswith("--set sampling.temperature: field 'sampling.temperature':") for line in lines)
    assert any(line.startswith(f"{path}:4: field 'sampling.n':") for line in lines)  # the file's own mistake
