"""`evalkit import`: canonical and mapped inputs, scores, bad lines, idempotence, the command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from evalkit.errors import ConfigError, InputError
from evalkit.importer import MISSING, import_command, import_samples, parse_mapping, resolve_path
from evalkit.jsonl import read_jsonl
from evalkit.store import RunDir

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CANONICAL = FIXTURES / "import_canonical.jsonl"
QWEN_STYLE = FIXTURES / "import_qwen_style.jsonl"
QWEN_MAP = "id=idx,question=query,reference=answer.value,samples=code,scores=pred_score,subject=type,level=level"


def write_lines(path: Path, records: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def test_canonical_file_becomes_a_run_directory(tmp_path):
    out = tmp_path / "run"
    summary = import_samples(CANONICAL, task="math500", out=out, model="someone-7b", show_progress=False)
    assert (summary.problems, summary.samples, summary.min_samples, summary.max_samples) == (2, 6, 3, 3)
    assert summary.has_scores and summary.fresh and summary.ids_from_line_numbers == 0

    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["source"] == "import" and config["task"] == "math500" and config["model"] == "someone-7b"
    assert config["n"] == 3 and config["answer_style"] == "auto" and len(config["sha256"]) == 64
    assert config["config_hash"] == summary.config_hash and config["file"] == str(CANONICAL)

    lines = read_jsonl(out / "samples.jsonl")
    assert [line["problem_id"] for line in lines] == ["test/algebra/20.json", "test/prealgebra/11.json"]
    assert lines[0]["task"] == "math500" and lines[0]["reference"] == "\\frac{3}{4}"
    assert lines[0]["samples"][1] == {"index": 1, "text": "It is $\\boxed{0.75}$.", "finish_reason": None,
                                      "num_tokens": None, "logprob": None}
    read_back = RunDir(out).read_samples()
    assert [item.problem.id for item in read_back] == ["test/algebra/20.json", "test/prealgebra/11.json"]
    assert [item.to_dict() for item in read_back] == lines  # the store's own layout, field for field

    scores = read_jsonl(out / "scores.jsonl")
    assert scores == [
        {"problem_id": "test/algebra/20.json", "scorer": "imported", "selection": "imported", "scores": [0.9, 0.7, 0.1]},
        {"problem_id": "test/prealgebra/11.json", "scorer": "imported", "selection": "imported", "scores": [0.8, 0.2, None]},
    ]


def test_plain_string_samples_without_scores_and_without_ids(tmp_path):
    source = write_lines(tmp_path / "dump.jsonl", [
        {"question": "q1", "reference": "1", "samples": ["\\boxed{1}", "\\boxed{2}"]},
        "",
        {"question": "q2", "reference": 2, "samples": ["#### 2"]},
    ])
    summary = import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False)
    assert summary.ids_from_line_numbers == 2 and not summary.has_scores
    assert (summary.min_samples, summary.max_samples) == (1, 2)
    lines = read_jsonl(tmp_path / "run" / "samples.jsonl")
    assert [(line["problem_id"], line["reference"]) for line in lines] == [("1", "1"), ("3", "2")]
    assert not (tmp_path / "run" / "scores.jsonl").exists()
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["model"] == "dump" and config["answer_style"] == "gsm8k"
    assert config["samples_per_problem"] == {"min": 1, "max": 2}


def test_mapped_qwen_style_dump_with_nested_scores(tmp_path):
    summary = import_samples(QWEN_STYLE, task="gsm8k", out=tmp_path / "run", mapping=QWEN_MAP, show_progress=False)
    assert (summary.problems, summary.min_samples, summary.max_samples) == (2, 1, 2)
    lines = read_jsonl(tmp_path / "run" / "samples.jsonl")
    assert [line["problem_id"] for line in lines] == ["0", "1"]
    assert [line["reference"] for line in lines] == ["12", "1234"]
    assert lines[0]["question"].startswith("Ann has") and lines[0]["meta"] == {"subject": "Prealgebra", "level": 1}
    assert [s["text"] for s in lines[1]["samples"]] == ["1000+234=1234\n#### 1234"]
    assert read_jsonl(tmp_path / "run" / "scores.jsonl")[0]["scores"] == [0.93, 0.05]
    assert yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["mapping"]["reference"] == "answer.value"


def test_every_bad_line_is_reported_and_nothing_is_written(tmp_path):
    source = write_lines(tmp_path / "bad.jsonl", [
        {"id": "a", "question": "q", "reference": "1", "samples": ["x"], "scores": [0.5]},
        "{not json",
        {"id": "b", "question": "q", "reference": "1", "samples": ["x", "y"], "scores": [0.5]},
        {"id": "c", "question": "q", "reference": "1", "samples": ["x"], "scores": ["high"]},
        {"id": "d", "question": "q", "samples": ["x"]},
        {"id": "a", "question": "q", "reference": "1", "samples": ["x"]},
        {"id": "e", "question": "q", "reference": "1", "samples": []},
        {"id": "f", "question": "q", "reference": "1", "samples": [{"txt": "x"}]},
        [1, 2],
    ])
    out = tmp_path / "run"
    with pytest.raises(InputError) as caught:
        import_samples(source, task="math", out=out, show_progress=False)
    message = str(caught.value)
    assert "8 bad line(s); nothing was written" in message
    for fragment in (":2: not valid JSON", ":3: field 'scores': 1 scores for 2 samples", ":4: field 'scores'",
                     "expected a number", ":5: field 'reference': missing", ":6: field 'id': duplicate id 'a'",
                     ":7: field 'samples': no samples", ":8: field 'samples': sample 0", ":9: expected a JSON object"):
        assert fragment in message
    assert not out.exists()


def test_a_duplicate_id_made_by_a_line_number_says_so(tmp_path):
    source = write_lines(tmp_path / "mixed.jsonl", [
        {"question": "q1", "reference": "1", "samples": ["1"]},
        {"question": "q2", "reference": "2", "samples": ["2"]},
        {"id": "2", "question": "q3", "reference": "3", "samples": ["3"]},
        {"id": "a", "question": "q4", "reference": "4", "samples": ["4"]},
        {"id": "a", "question": "q5", "reference": "5", "samples": ["5"]},
    ])
    with pytest.raises(InputError) as caught:
        import_samples(source, task="math", out=tmp_path / "run", show_progress=False)
    message = str(caught.value)
    assert ("mixed.jsonl:3: field 'id': duplicate id '2' (first on line 2): line 2 has no id and takes its line "
            "number; give every line an id, or none") in message
    assert "mixed.jsonl:5: field 'id': duplicate id 'a' (first on line 4)\n" in message + "\n"


def test_error_list_is_capped(tmp_path):
    source = write_lines(tmp_path / "bad.jsonl", ["[]"] * 30)
    with pytest.raises(InputError, match=r"30 bad line\(s\)[\s\S]*and 10 more"):
        import_samples(source, task="math", out=tmp_path / "run", show_progress=False)


def test_explicitly_mapped_field_must_be_present(tmp_path):
    source = write_lines(tmp_path / "dump.jsonl", [{"query": "q", "gt": "1", "code": ["x"]},
                                                   {"query": "q", "gt": "1", "code": ["x"], "idx": 3}])
    with pytest.raises(InputError, match=r":1: field 'id': missing \(looked for 'idx'\)"):
        import_samples(source, task="math", out=tmp_path / "run",
                       mapping=["id=idx", "question=query,reference=gt", "samples=code"], show_progress=False)


def test_scores_both_per_sample_and_as_list_is_ambiguous(tmp_path):
    source = write_lines(tmp_path / "dump.jsonl", [
        {"question": "q", "reference": "1", "samples": [{"text": "x", "score": 1}], "scores": [0.2]}])
    with pytest.raises(InputError, match="both per sample and as a list"):
        import_samples(source, task="math", out=tmp_path / "run", show_progress=False)


def test_reimport_is_idempotent_and_other_files_are_refused(tmp_path):
    out = tmp_path / "run"
    first = import_samples(CANONICAL, task="math", out=out, show_progress=False)
    before = {name: (out / name).read_bytes() for name in ("config.yaml", "samples.jsonl", "scores.jsonl")}
    again = import_samples(CANONICAL, task="math", out=out, show_progress=False)
    assert again.config_hash == first.config_hash and not again.fresh
    assert {name: (out / name).read_bytes() for name in before} == before

    with pytest.raises(ConfigError, match="refusing to overwrite .*imported from another file, .*import_canonical"):
        import_samples(QWEN_STYLE, task="math", out=out, mapping=QWEN_MAP, show_progress=False)
    with pytest.raises(ConfigError, match="refusing to overwrite .*imported from another file"):
        import_samples(QWEN_STYLE, task="math", out=out, model="import_canonical", show_progress=False,
                       mapping="id=id,question=question,reference=reference,samples=samples,scores=scores,"
                               "subject=subject,level=level")
    with pytest.raises(ConfigError, match="different task"):
        import_samples(CANONICAL, task="gsm8k", out=out, show_progress=False)
    assert {name: (out / name).read_bytes() for name in before} == before
    # the same path with other content is told by its hash
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(CANONICAL.read_bytes())
    import_samples(copy, task="math", out=tmp_path / "copy-run", show_progress=False)
    copy.write_bytes(CANONICAL.read_bytes().replace(b"\\boxed", b"\\fbox", 1))
    with pytest.raises(ConfigError, match="refusing to overwrite .*different sha256"):
        import_samples(copy, task="math", out=tmp_path / "copy-run", show_progress=False)


def test_non_empty_directory_without_config_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        import_samples(CANONICAL, task="math", out=out, show_progress=False)


def test_unknown_task_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="unknown task"):
        import_samples(CANONICAL, task="mmlu", out=tmp_path / "run", show_progress=False)
    with pytest.raises(InputError, match="file not found"):
        import_samples(tmp_path / "nope.jsonl", task="math", out=tmp_path / "run", show_progress=False)
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match="folder: a directory, not a file to import"):
        import_samples(tmp_path / "folder", task="math", out=tmp_path / "run", show_progress=False)
    empty = write_lines(tmp_path / "empty.jsonl", [""])
    with pytest.raises(InputError, match="no problems"):
        import_samples(empty, task="math", out=tmp_path / "run", show_progress=False)


def test_parse_mapping_and_paths():
    mapping = parse_mapping(["question=query", "reference=answer.value,samples=code"])
    assert mapping["question"] == "query" and mapping["reference"] == "answer.value" and mapping["id"] == "id"
    assert parse_mapping({"scores": "pred_score"})["scores"] == "pred_score"
    for bad, message in (("question", "FIELD=PATH"), ("answer=gt", "unknown field"),
                         ("question=a,question=b", "mapped twice"), ("reference=a..b", "empty segment")):
        with pytest.raises(ConfigError, match=message):
            parse_mapping(bad)
    record = {"outputs": [{"text": "a"}, {"text": "b"}], "answer": {"value": 3}}
    assert resolve_path(record, "outputs.1.text") == "b"
    assert resolve_path(record, "answer.value") == 3
    assert resolve_path(record, "answer.unit") is MISSING and resolve_path(record, "outputs.5") is MISSING
    assert resolve_path({"a": None}, "a") is None


def test_command_line(tmp_path):
    app = typer.Typer()
    app.command("import")(import_command)
    app.command("noop")(lambda: None)
    runner = CliRunner()
    help_text = runner.invoke(app, ["import", "--help"]).output
    assert "--map" in help_text and "--task" in help_text and "--model" in help_text
    source = write_lines(tmp_path / "dump.jsonl", [{"question": "q", "reference": "1", "samples": ["\\boxed{1}"]}])
    result = runner.invoke(app, ["import", str(source), "--task", "math", "--out", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0, result.output
    assert "imported 1 problem, 1 sample" in result.output and "line numbers are used as ids" in result.output
    again = runner.invoke(app, ["import", str(source), "--task", "math", "--out", str(tmp_path / "run"), "-q"])
    assert "already imported" in again.output


def test_imported_run_is_graded_by_the_pipeline(tmp_path):
    """The point of importing: the grading stage reads the run directory as if evalkit had sampled it."""
    from evalkit.pipeline.grade import grade_stage

    out = tmp_path / "run"
    import_samples(CANONICAL, task="math500", out=out, show_progress=False)
    result = grade_stage(RunDir(out), workers=0, show_progress=False)
    assert (result.problems, result.graded_now) == (2, 2)
    grades = RunDir(out).read_grades()
    assert grades[0].correct == [True, True, False] and grades[0].clusters == [0, 0, 1]
    assert grades[1].correct[:2] == [True, False]


def test_meta_that_json_cannot_store_is_a_line_error_and_nothing_is_written(tmp_path):
    source = tmp_path / "nan.jsonl"
    source.write_text('{"question": "Q", "reference": "2", "samples": ["\\\\boxed{2}"], "meta": {"x": NaN}}\n')
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"nan.jsonl:1: field 'meta'"):
        import_samples(source, task="math500", out=out, show_progress=False)
    assert not out.exists() or not any(out.iterdir())


# --- streaming: the file is never held whole ------------------------------------------------------


def _long_dump(path: Path, problems: int, samples: int, chars: int) -> Path:
    """A dump of long reasoning-style samples (about problems x samples x chars bytes)."""
    with path.open("w", encoding="utf-8") as handle:
        for p in range(problems):
            texts = [f"<think>{('step %d of problem %d. ' % (s, p)) * (chars // 24)}</think> \\boxed{{{p}}}"
                     for s in range(samples)]
            handle.write(json.dumps({"id": f"p{p}", "question": f"Q{p}", "reference": str(p), "samples": texts,
                                     "scores": [0.5] * samples}) + "\n")
    return path


def test_a_large_import_is_streamed_not_held_in_memory(tmp_path):
    import tracemalloc

    source = _long_dump(tmp_path / "long.jsonl", problems=300, samples=4, chars=10_000)
    size = source.stat().st_size
    assert size > 10_000_000
    tracemalloc.start()
    try:
        summary = import_samples(source, task="math500", out=tmp_path / "run", show_progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (summary.problems, summary.samples) == (300, 1200)
    # the peak is a few records and read buffers, not the file
    assert peak < size / 5, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
    lines = read_jsonl(tmp_path / "run" / "samples.jsonl")
    assert [line["problem_id"] for line in lines] == [f"p{p}" for p in range(300)]
    assert len(read_jsonl(tmp_path / "run" / "scores.jsonl")) == 300


def test_a_bad_last_line_writes_nothing_and_leaves_no_staged_files(tmp_path):
    source = _long_dump(tmp_path / "long.jsonl", problems=20, samples=2, chars=200)
    with source.open("a") as handle:
        handle.write('{"id": "p0", "question": "Q", "reference": "1", "samples": ["again"]}\n')
    existing = tmp_path / "run"
    import_samples(CANONICAL, task="math500", out=existing, show_progress=False)
    before = {path.name: path.read_bytes() for path in existing.iterdir()}
    with pytest.raises(InputError, match=r"long.jsonl:21: field 'id': duplicate id 'p0'"):
        import_samples(source, task="math500", out=tmp_path / "fresh", show_progress=False)
    assert not (tmp_path / "fresh").exists()
    # a directory of another import is refused before the file is read; its files stay as they were
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        import_samples(source, task="math500", out=existing, show_progress=False)
    assert {path.name: path.read_bytes() for path in existing.iterdir()} == before


def test_a_directory_of_another_run_is_refused_before_the_file_is_read(tmp_path, monkeypatch):
    import evalkit.importer as importer

    existing = tmp_path / "run"
    import_samples(CANONICAL, task="math500", out=existing, show_progress=False)

    def must_not_read(*args, **kwargs):
        raise AssertionError("the file was read before the directory was checked")

    monkeypatch.setattr(importer, "iter_import_file", must_not_read)
    monkeypatch.setattr(importer, "file_sha256", must_not_read)
    with pytest.raises(ConfigError, match="with a different model"):
        import_samples(CANONICAL, task="math500", out=existing, model="another", show_progress=False)
    # a directory that holds files but no run is refused before the file is read, too
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("mine")
    with pytest.raises(ConfigError, match="is not empty and has no config.yaml"):
        import_samples(CANONICAL, task="math500", out=foreign, show_progress=False)
    assert sorted(path.name for path in foreign.iterdir()) == ["todo.txt"]


def test_a_failed_import_leaves_no_directory_it_made(tmp_path):
    source = write_lines(tmp_path / "bad.jsonl", [{"question": "Q", "samples": ["x"]}])
    with pytest.raises(InputError, match="field 'reference'"):
        import_samples(source, task="math500", out=tmp_path / "a" / "b" / "run", show_progress=False)
    assert not (tmp_path / "a").exists()


def test_reimporting_the_same_file_keeps_scores_that_a_rerank_appended(tmp_path):
    out = tmp_path / "run"
    import_samples(CANONICAL, task="math500", out=out, show_progress=False)
    with (out / "scores.jsonl").open("a") as handle:
        handle.write(json.dumps({"problem_id": read_jsonl(out / "samples.jsonl")[0]["problem_id"],
                                 "scorer": "tiny", "selection": "all", "scores": [0.5, 0.5, 0.5]}) + "\n")
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    summary = import_samples(CANONICAL, task="math500", out=out, show_progress=False)
    assert not summary.fresh and summary.problems == 2
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    # a file the import lacks (an import killed before it was in place) is written again
    (out / "scores.jsonl").unlink()
    import_samples(CANONICAL, task="math500", out=out, show_progress=False)
    assert len(read_jsonl(out / "scores.jsonl")) == 2


def test_staged_file_replaces_the_target_only_on_commit(tmp_path):
    from evalkit.jsonl import StagedFile, temporary_path

    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with StagedFile(target) as staged:
        staged.write_record({"a": 1})
        assert target.read_text() == "old\n" and temporary_path(target).exists()
    assert target.read_text() == "old\n" and not temporary_path(target).exists()  # left without commit
    with pytest.raises(RuntimeError), StagedFile(target) as staged:
        staged.write_record({"a": 2})
        raise RuntimeError("stop")
    assert target.read_text() == "old\n" and not temporary_path(target).exists()
    with StagedFile(target) as staged:
        staged.write_record({"a": 3})
        staged.commit()
    assert target.read_text() == '{"a": 3}\n' and not temporary_path(target).exists()


def test_a_byte_order_mark_at_the_start_is_skipped(tmp_path):
    source = tmp_path / "windows.jsonl"
    lines = [json.dumps({"id": "a", "question": "q1", "reference": "1", "samples": ["\\boxed{1}"]}),
             json.dumps({"id": "b", "question": "q2", "reference": "2", "samples": ["\\boxed{3}"]})]
    source.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n")
    summary = import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False)
    assert summary.problems == 2
    assert [line["problem_id"] for line in read_jsonl(tmp_path / "run" / "samples.jsonl")] == ["a", "b"]


def test_keep_first_makes_an_uneven_dump_reportable(tmp_path):
    from evalkit.report.cli import report_run

    source = write_lines(tmp_path / "uneven.jsonl", [
        {"id": "a", "question": "q1", "reference": "1", "samples": ["\\boxed{1}", "\\boxed{2}", "\\boxed{1}"],
         "scores": [0.9, 0.1, 0.8]},
        {"id": "b", "question": "q2", "reference": "2", "samples": ["\\boxed{2}", "\\boxed{3}"], "scores": [0.2, 0.7]},
    ])
    uneven = import_samples(source, task="gsm8k", out=tmp_path / "uneven", show_progress=False)
    assert (uneven.min_samples, uneven.max_samples) == (2, 3)
    with pytest.raises(InputError, match="--keep-first"):
        report_run(tmp_path / "uneven")
    kept = import_samples(source, task="gsm8k", out=tmp_path / "kept", keep_first=2, show_progress=False)
    assert (kept.min_samples, kept.max_samples) == (2, 2) and kept.config_hash != uneven.config_hash
    assert [len(line["samples"]) for line in read_jsonl(tmp_path / "kept" / "samples.jsonl")] == [2, 2]
    assert [line["scores"] for line in read_jsonl(tmp_path / "kept" / "scores.jsonl")] == [[0.9, 0.1], [0.2, 0.7]]
    assert report_run(tmp_path / "kept")["run"]["n"] == 2
    with pytest.raises(InputError, match=r"--keep-first 3: 1 problem\(s\) have fewer samples \(line 2: problem 'b'"):
        import_samples(source, task="gsm8k", out=tmp_path / "three", keep_first=3, show_progress=False)
    assert not (tmp_path / "three").exists()


def test_an_empty_id_is_refused_with_its_line(tmp_path):
    source = write_lines(tmp_path / "dump.jsonl", [
        {"id": "a", "question": "q1", "reference": "1", "samples": ["\\boxed{1}"]},
        {"id": " ", "question": "q2", "reference": "2", "samples": ["\\boxed{2}"]},
    ])
    with pytest.raises(InputError, match=r"dump.jsonl:2: field 'id': an empty id"):
        import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False)


def test_openai_chat_completion_choices_are_samples(tmp_path):
    record = {"custom_id": "q1", "question": "What is 2+3?", "answer": "5",
              "response": {"status_code": 200, "body": {"choices": [
                  {"index": 0, "message": {"role": "assistant", "content": "2+3 = \\boxed{5}"}, "finish_reason": "stop"},
                  {"index": 1, "message": {"role": "assistant", "content": "It is \\boxed{6}"}, "finish_reason": "length"},
              ]}}}
    source = write_lines(tmp_path / "batch.jsonl", [record])
    import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False,
                   mapping="id=custom_id,reference=answer,samples=response.body.choices")
    [line] = read_jsonl(tmp_path / "run" / "samples.jsonl")
    assert [s["text"] for s in line["samples"]] == ["2+3 = \\boxed{5}", "It is \\boxed{6}"]
    assert [s["finish_reason"] for s in line["samples"]] == ["stop", "length"]
    bad = write_lines(tmp_path / "bad.jsonl", [{**record, "response": {"body": {"choices": [{"message": {}}]}}}])
    with pytest.raises(InputError, match="message.content"):
        import_samples(bad, task="gsm8k", out=tmp_path / "run2", show_progress=False,
                       mapping="id=custom_id,reference=answer,samples=response.body.choices")


def test_a_file_with_one_line_per_sample_joins_the_lines_of_each_id(tmp_path):
    lines = [{"id": "a", "question": "1+1?", "reference": "2", "response": f"so \\boxed{{{answer}}}", "score": score}
             for answer, score in (("2", 0.9), ("3", 0.1), ("2", 0.8))]
    lines += [{"id": "b", "question": "2+2?", "reference": "4", "response": "\\boxed{4}", "score": 0.5}]
    source = write_lines(tmp_path / "per_sample.jsonl", lines)
    summary = import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False,
                             mapping="samples=response,scores=score")
    assert (summary.problems, summary.min_samples, summary.max_samples) == (2, 1, 3)
    written = read_jsonl(tmp_path / "run" / "samples.jsonl")
    assert [line["problem_id"] for line in written] == ["a", "b"]
    assert [s["text"] for s in written[0]["samples"]] == ["so \\boxed{2}", "so \\boxed{3}", "so \\boxed{2}"]
    assert [s["index"] for s in written[0]["samples"]] == [0, 1, 2]
    assert read_jsonl(tmp_path / "run" / "scores.jsonl")[0]["scores"] == [0.9, 0.1, 0.8]

    scattered = write_lines(tmp_path / "scattered.jsonl", [lines[0], lines[3], lines[1]])
    with pytest.raises(InputError, match=r"lines of id 'a' are not next to each other \(first on line 1\)"):
        import_samples(scattered, task="gsm8k", out=tmp_path / "run2", show_progress=False,
                       mapping="samples=response,scores=score")
    disagreeing = write_lines(tmp_path / "disagree.jsonl", [lines[0], {**lines[1], "reference": "3"}])
    with pytest.raises(InputError, match=r"disagree.jsonl:2: field 'reference': differs from line 1"):
        import_samples(disagreeing, task="gsm8k", out=tmp_path / "run3", show_progress=False,
                       mapping="samples=response,scores=score")
    assert not (tmp_path / "run2").exists() and not (tmp_path / "run3").exists()


def test_an_empty_reference_is_refused_with_its_line(tmp_path):
    """Before: a reference of "" (an unfilled `gt`, an lm-eval task without a target) was imported, and
    every sample of that problem was graded wrong without a word."""
    source = write_lines(tmp_path / "dump.jsonl", [
        {"id": "a", "question": "q1", "reference": "1", "samples": ["\\boxed{1}"]},
        {"id": "b", "question": "q2", "reference": "", "samples": ["\\boxed{2}"]},
        {"id": "c", "question": "q3", "reference": " \n", "samples": ["\\boxed{3}"]},
    ])
    with pytest.raises(InputError, match=r"dump.jsonl:2: field 'reference': empty.*\n.*dump.jsonl:3: field 'reference'"):
        import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False)
    assert not (tmp_path / "run").exists()


def test_a_compressed_or_parquet_file_is_one_line_naming_what_it_is(tmp_path):
    """Before: a .jsonl.gz (or a Parquet file without the lighteval preset) was read as text, and the
    error listed twenty lines of undecodable bytes plus '... and N more'."""
    import gzip

    lines = "".join(json.dumps({"id": str(i), "question": "q", "reference": "1", "samples": ["\\boxed{1}"]}) + "\n"
                    for i in range(200))
    packed = tmp_path / "dump.jsonl.gz"
    packed.write_bytes(gzip.compress(lines.encode()))
    with pytest.raises(InputError) as caught:
        import_samples(packed, task="gsm8k", out=tmp_path / "run", show_progress=False)
    message = str(caught.value)
    assert "gzip" in message and "decompress" in message and "\n" not in message, message
    parquet = tmp_path / "details.parquet"
    parquet.write_bytes(b"PAR1" + bytes(range(256)) * 40 + b"\n" * 30 + b"PAR1")
    with pytest.raises(InputError) as caught:
        import_samples(parquet, task="gsm8k", out=tmp_path / "run", show_progress=False)
    message = str(caught.value)
    assert "Parquet" in message and "lighteval" in message and "\n" not in message, message
    assert not (tmp_path / "run").exists()


# --- a line without its question or reference takes them from the task's own data -------------

def _math500_rows(count: int) -> list[dict]:
    from tasks.shipped import shipped_path

    with shipped_path("math/math500.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(next(handle)) for _ in range(count)]


def test_missing_question_or_reference_is_filled_from_the_task_by_id_then_by_question(tmp_path):
    rows = _math500_rows(3)
    spaced = "  " + rows[1]["problem"].replace(" ", "\n ")  # white space aside, the same question
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": rows[0]["unique_id"], "samples": ["\\boxed{" + rows[0]["answer"] + "}"]},
        {"question": spaced, "samples": ["\\boxed{0}"]},
        {"id": "mine-7", "question": rows[2]["problem"], "reference": "given", "samples": ["x"]},
    ])
    summary = import_samples(source, task="math500", out=tmp_path / "run", show_progress=False)
    lines = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert [line["problem_id"] for line in lines] == [rows[0]["unique_id"], rows[1]["unique_id"], "mine-7"]
    assert [line["reference"] for line in lines] == [rows[0]["answer"], rows[1]["answer"], "given"]
    assert lines[0]["question"] == rows[0]["problem"] and lines[1]["question"] == spaced
    assert lines[0]["meta"]["subject"] == rows[0]["subject"]
    assert summary.filled["problems_by_id"] == 1 and summary.filled["problems_by_question"] == 1
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["filled"]["split"] == "test" and len(config["filled"]["sha256"]) == 64


def test_an_id_of_the_task_with_another_question_is_refused_not_mixed(tmp_path):
    rows = _math500_rows(2)
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": rows[0]["unique_id"], "question": rows[1]["problem"], "samples": ["x"]},
        {"id": "not-a-math500-id", "samples": ["x"]},
    ])
    with pytest.raises(InputError) as caught:
        import_samples(source, task="math500", out=tmp_path / "run", show_progress=False)
    message = str(caught.value)
    assert ":1: field 'question': differs from the question of math500 test problem" in message
    assert ":2: field 'question': missing (looked for 'question'), and no math500 test problem has this id" in message
    assert not (tmp_path / "run").exists()


def test_a_reference_that_contradicts_the_task_problem_whose_question_is_taken_is_refused(tmp_path):
    rows = _math500_rows(2)
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": rows[0]["unique_id"], "reference": "999", "samples": ["x"]},
        {"id": rows[1]["unique_id"], "reference": f"\\boxed{{{rows[1]['answer']}}}", "samples": ["x"]},
    ])
    with pytest.raises(InputError) as caught:
        import_samples(source, task="math500", out=tmp_path / "run", show_progress=False)
    message = str(caught.value)
    assert f":1: field 'reference': '999' differs from the reference {rows[0]['answer']!r} of math500 test" in message
    assert ":2:" not in message  # the same answer written otherwise agrees
    assert not (tmp_path / "run").exists()


def test_an_unknown_split_to_fill_from_is_one_line_before_reading(tmp_path):
    source = write_lines(tmp_path / "outputs.jsonl", [{"id": "1", "samples": ["x"]}])
    with pytest.raises(InputError, match="task 'math500' has no split 'dev'; known splits: test"):
        import_samples(source, task="math500", out=tmp_path / "run", split="dev", show_progress=False)


def test_a_chat_choice_without_content_is_an_empty_sample(tmp_path):
    source = write_lines(tmp_path / "batch.jsonl", [{"id": "1", "question": "q", "reference": "2", "samples": [
        {"index": 0, "message": {"role": "assistant", "content": "\\boxed{2}"}, "finish_reason": "stop"},
        {"index": 1, "message": {"role": "assistant", "content": None}, "finish_reason": "content_filter"}]}])
    import_samples(source, task="math500", out=tmp_path / "run", show_progress=False)
    [line] = read_jsonl(tmp_path / "run" / "samples.jsonl")
    assert [(s["text"], s["finish_reason"]) for s in line["samples"]] == [("\\boxed{2}", "stop"), ("", "content_filter")]
    bad = write_lines(tmp_path / "bad.jsonl", [{"id": "1", "question": "q", "reference": "2",
                                                "samples": [{"message": {"content": None}}]}])
    with pytest.raises(InputError, match="must be a string"):
        import_samples(bad, task="math500", out=tmp_path / "run2", show_progress=False)


def test_a_complete_line_under_an_id_of_the_task_must_have_its_question_and_reference(tmp_path):
    rows = _math500_rows(3)
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": rows[0]["unique_id"], "question": rows[0]["problem"], "reference": "999", "samples": ["x"]},
        {"id": rows[1]["unique_id"], "question": "What is 1+1?", "reference": "2", "samples": ["x"]},
        {"id": rows[2]["unique_id"], "question": rows[2]["problem"], "reference": f"\\boxed{{{rows[2]['answer']}}}",
         "samples": ["x"]},
    ])
    with pytest.raises(InputError) as caught:
        import_samples(source, task="math500", out=tmp_path / "run", show_progress=False)
    message = str(caught.value)
    assert ":1: field 'reference': '999' differs from the reference" in message
    assert ":2: field 'question': differs from the question of math500 test problem" in message
    assert ":3:" not in message and not (tmp_path / "run").exists()


def test_problems_that_are_not_the_tasks_are_imported_and_counted(tmp_path):
    rows = _math500_rows(2)
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": rows[0]["unique_id"], "question": rows[0]["problem"], "reference": rows[0]["answer"], "samples": ["x"]},
        {"id": "mine-1", "question": "What is 2+2?", "reference": "4", "samples": ["\\boxed{4}"]},
    ])
    summary = import_samples(source, task="math500", out=tmp_path / "run", show_progress=False)
    assert summary.problems == 2 and summary.outside_task == 1


def test_finish_reasons_of_other_servers_read_as_stop_or_length(tmp_path):
    from evalkit.records import canonical_finish_reason

    assert [canonical_finish_reason(r) for r in ("MAX_TOKENS", "max_tokens", "Length", "end_turn", "STOP", "eos_token",
                                                 "content_filter", None)] == \
        ["length", "length", "length", "stop", "stop", "stop", "content_filter", None]
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": "p1", "question": "What is 2+2?", "reference": "4",
         "samples": [{"text": "<think>2+2", "finish_reason": "MAX_TOKENS"}, {"text": "\\boxed{4}", "finish_reason": "end_turn"}]},
    ])
    import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False)
    line = json.loads((tmp_path / "run" / "samples.jsonl").read_text().splitlines()[0])
    assert [sample["finish_reason"] for sample in line["samples"]] == ["length", "stop"]


def test_a_json_array_is_named_as_such_by_import_and_replay(tmp_path):
    from evalkit.backends.replay import ReplayBackend

    source = tmp_path / "dump.json"
    source.write_text(json.dumps([{"id": "p1", "question": "What is 2+2?", "reference": "4", "samples": ["4"]}],
                                 indent=2))
    with pytest.raises(InputError, match=r"dump.json: a JSON array, not JSON Lines: write one object per line"):
        import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False)
    with pytest.raises(InputError, match=r"dump.json: a JSON array, not JSON Lines"):
        ReplayBackend(source)
    source.write_text(json.dumps([{"id": "p1", "samples": ["4"]}]) + "\n")  # the array on one line
    with pytest.raises(InputError, match=r"a JSON array, not JSON Lines"):
        ReplayBackend(source)


def test_a_misspelled_sample_field_is_refused_not_read_as_absent(tmp_path):
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": "p1", "question": "What is 2+2?", "reference": "4", "samples": [{"text": "4", "finish_reason": "stop"}]},
        {"id": "p2", "question": "What is 3+3?", "reference": "6",
         "samples": [{"text": "6", "finishReason": "MAX_TOKENS"}]},
    ])
    with pytest.raises(InputError, match=r":2: field 'samples': sample 0: 'finishReason' is not a field evalkit "
                                         r"reads; did you mean 'finish_reason'\?"):
        import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False)
    # an OpenAI choice's `logprobs` (an object or null) is another field, not a misspelled `logprob`
    source = write_lines(tmp_path / "choices.jsonl", [
        {"id": "p1", "question": "What is 2+2?", "reference": "4",
         "samples": [{"index": 0, "message": {"role": "assistant", "content": "4"}, "logprobs": None,
                      "finish_reason": "stop"}]},
    ])
    summary = import_samples(source, task="gsm8k", out=tmp_path / "run2", show_progress=False)
    assert summary.samples == 1


def test_a_negative_token_count_is_refused_as_replay_refuses_it(tmp_path):
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": "p1", "question": "What is 2+2?", "reference": "4", "samples": [{"text": "4", "num_tokens": -5}]},
    ])
    with pytest.raises(InputError, match=r":1: field 'samples': sample 0: 'num_tokens' must be a non-negative"):
        import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False)


def test_a_line_that_is_not_json_is_placed_by_its_character_not_by_the_decoders_line(tmp_path):
    source = tmp_path / "broken.jsonl"
    source.write_text('{"id": "a", "question": "q", "reference": "1", "samples": ["1"]}\n'
                      '{"id": "b", "question": "q\\u2028", "reference": "1" "samples": ["1"]}\n')
    with pytest.raises(InputError) as caught:
        import_samples(source, task="math", out=tmp_path / "run", show_progress=False)
    message = str(caught.value)
    assert "broken.jsonl:2: not valid JSON (Expecting ',' delimiter at character " in message
    assert "column" not in message


def test_a_reference_other_than_the_tasks_for_its_question_is_kept_and_noted(tmp_path):
    # a dump of another tool numbers problems its own way: found by question, its reference is checked
    rows = _math500_rows(3)
    source = write_lines(tmp_path / "outputs.jsonl", [
        {"id": "0", "question": rows[0]["problem"], "reference": "999", "samples": ["x"]},
        {"id": "1", "question": rows[1]["problem"], "reference": f"\\boxed{{{rows[1]['answer']}}}", "samples": ["x"]},
        {"id": "2", "question": rows[2]["problem"], "reference": "-7", "samples": ["x"]},
    ])
    summary = import_samples(source, task="math500", out=tmp_path / "run", show_progress=False)
    assert summary.other_references == 2 and summary.outside_task == 0
    assert summary.first_other_reference == f"line 1, problem '0': '999' where math500's is {rows[0]['answer']!r}"
    app = typer.Typer()
    app.command("import")(import_command)
    app.command("noop")(lambda: None)
    result = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["import", str(source), "--task", "math500", "--out",
                                                            str(tmp_path / "run2"), "-q"])
    assert result.exit_code == 0, result.output
    assert "note: 2 of 3 problem(s) give another reference than the math500 test problem with their question" in \
        " ".join(result.output.split())


def test_a_file_of_one_sample_per_line_with_its_ids_interleaved_is_one_cause_named_once(tmp_path):
    # before: every line after the first round named the same cause, 20 lines and "... and N more"
    lines = [{"id": problem, "question": f"{problem}?", "reference": "2", "response": "\\boxed{2}"}
             for _ in range(10) for problem in ("a", "b", "c")]
    source = write_lines(tmp_path / "interleaved.jsonl", lines)
    with pytest.raises(InputError) as caught:
        import_samples(source, task="gsm8k", out=tmp_path / "run", show_progress=False, mapping="samples=response")
    message = str(caught.value)
    assert message.count("are not next to each other") == 2  # the first line of the cause, and the count of the rest
    assert "interleaved.jsonl:4: field 'id': the lines of id 'a' are not next to each other (first on line 1)" in message
    bad = int(re.search(r"(\d+) bad line\(s\); nothing was written", message).group(1))
    assert bad > 10 and f"... and {bad - 1} more line(s) of ids whose lines are not next to each other" in message
    assert not (tmp_path / "run").exists()
