"""`evalkit merge`: parts must be shards 0..N-1 of one config, complete, and are joined in order."""

from __future__ import annotations

import pytest
import yaml

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_jsonl
from evalkit.pipeline.merge import merge_runs
from evalkit.records import Problem, Sample
from evalkit.store import ProblemGrades, ProblemSamples, RunDir, Shard


def _write_part(root, index, count, ids, *, config_hash="h1", graded=True, num_problems=None):
    run = RunDir(root / f"part{index}")
    text = yaml.safe_dump({"model": "m", "task": "t", "config_hash": config_hash,
                           "num_problems": len(ids) if num_problems is None else num_problems})
    run.claim(text, config_hash, Shard(index, count))
    with run.samples_appender() as out:
        for pid in ids:
            problem = Problem(pid, "t", "q", "1")
            out.write(ProblemSamples(problem, [Sample(pid, 0, "\\boxed{1}")]).to_dict())
    if graded:
        with run.grades_appender() as out:
            for pid in ids:
                out.write(ProblemGrades(pid, ["1"], [0], [True], ["ok"]).to_dict())
    return run.path


def test_merge_joins_in_shard_order(tmp_path):
    parts = [_write_part(tmp_path, 1, 2, ["c", "d"]), _write_part(tmp_path, 0, 2, ["a", "b"])]
    merged = merge_runs(parts, tmp_path / "merged")
    assert [r["problem_id"] for r in read_jsonl(merged.samples_path)] == ["a", "b", "c", "d"]
    assert [r["problem_id"] for r in read_jsonl(merged.graded_path)] == ["a", "b", "c", "d"]
    config = merged.read_config()
    assert config["num_problems"] == 4 and "shard" not in config and config["config_hash"] == "h1"


def test_merge_refuses_different_configs(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"], config_hash="h2")]
    with pytest.raises(ConfigError, match="different configs"):
        merge_runs(parts, tmp_path / "merged")


def test_merge_refuses_missing_or_repeated_shards(tmp_path):
    parts = [_write_part(tmp_path, 0, 3, ["a"]), _write_part(tmp_path, 2, 3, ["c"])]
    with pytest.raises(ConfigError, match=r"missing \[1\]"):
        merge_runs(parts, tmp_path / "merged")


def test_merge_refuses_incomplete_part(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"], num_problems=2), _write_part(tmp_path, 1, 2, ["b"])]
    with pytest.raises(InputError, match="incomplete"):
        merge_runs(parts, tmp_path / "merged")


def test_merge_refuses_grades_in_only_some_parts(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"], graded=False)]
    with pytest.raises(InputError, match="graded.jsonl is missing .*part1; run `evalkit grade-run` on each"):
        merge_runs(parts, tmp_path / "merged")


def test_merge_refuses_a_problem_in_two_parts(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["a"])]
    with pytest.raises(InputError, match="two parts"):
        merge_runs(parts, tmp_path / "merged")


def test_merge_keeps_several_scoring_passes_of_a_problem_within_one_part(tmp_path):
    from evalkit.jsonl import JsonlAppender

    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    for part, pid in zip(parts, ["a", "b"]):
        with JsonlAppender(part / "scores.jsonl") as out:
            out.write({"problem_id": pid, "scorer": "e", "selection": "scr-top1", "scores": [0.5]})
            out.write({"problem_id": pid, "scorer": "e", "selection": "all", "scores": [0.6]})
    merged = merge_runs(parts, tmp_path / "merged")
    assert [(r["problem_id"], r["selection"]) for r in read_jsonl(merged.scores_path)] == [
        ("a", "scr-top1"), ("a", "all"), ("b", "scr-top1"), ("b", "all")]


def test_merge_refuses_a_problem_twice_in_one_part(tmp_path):
    from evalkit.jsonl import JsonlAppender

    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    with JsonlAppender(parts[1] / "graded.jsonl") as out:
        out.write(ProblemGrades("b", ["1"], [0], [True], ["ok"]).to_dict())
    with pytest.raises(InputError, match="'b' appears twice"):
        merge_runs(parts, tmp_path / "merged")


def test_merge_names_a_part_given_twice(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    with pytest.raises(ConfigError, match=r"^part given twice: .*part1$"):
        merge_runs([parts[0], parts[1], parts[1]], tmp_path / "merged")
    with pytest.raises(ConfigError, match="part given twice"):
        merge_runs([parts[0], parts[1], tmp_path / "." / "part1"], tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


def _write_complete_run(path, ids, text="\\boxed{2}"):
    """An unsharded run of config h1 with samples, grades, metrics and a report."""
    run = RunDir(path)
    run.claim(yaml.safe_dump({"model": "m", "task": "t", "config_hash": "h1", "num_problems": len(ids)}), "h1")
    with run.samples_appender() as out:
        for pid in ids:
            out.write(ProblemSamples(Problem(pid, "t", "q", "1"), [Sample(pid, 0, text)]).to_dict())
    with run.grades_appender() as out:
        for pid in ids:
            out.write(ProblemGrades(pid, ["2"], [0], [False], ["wrong"]).to_dict())
    (path / "metrics.json").write_text('{"pass@1": 0.0}')
    (path / "report.md").write_text("old report")
    return path


def test_merge_refuses_a_target_holding_another_runs_files(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a", "b"]), _write_part(tmp_path, 1, 2, ["c", "d"])]
    target = _write_complete_run(tmp_path / "full", ["a", "b", "c", "d"])
    before = {path.name: path.read_bytes() for path in target.iterdir()}
    with pytest.raises(ConfigError, match=r"already holds run files .*samples.jsonl.*would change.*empty --out"):
        merge_runs(parts, target)
    assert {path.name: path.read_bytes() for path in target.iterdir()} == before


def test_merge_refuses_a_target_whose_scores_it_would_not_write(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    merged = merge_runs(parts, tmp_path / "merged")
    merged.scores_path.write_text('{"problem_id": "a", "scorer": "e", "selection": "all", "scores": [0.5]}\n')
    with pytest.raises(ConfigError, match="scores.jsonl would change"):
        merge_runs(parts, tmp_path / "merged")


def test_merging_again_into_identical_files_changes_nothing(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    merged = merge_runs(parts, tmp_path / "merged")
    (merged.path / "metrics.json").write_text('{"pass@1": 1.0}')
    before = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in merged.path.iterdir()}
    merge_runs(parts, tmp_path / "merged")
    assert {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in merged.path.iterdir()} == before


def test_merge_completes_a_merge_interrupted_between_files(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    merged = merge_runs(parts, tmp_path / "merged")
    merged.graded_path.unlink()
    merge_runs(parts, tmp_path / "merged")
    assert [r["problem_id"] for r in read_jsonl(merged.graded_path)] == ["a", "b"]
    (merged.path / "metrics.json").write_text("{}")  # reports beside incomplete files: not taken
    merged.graded_path.unlink()
    with pytest.raises(ConfigError, match="lacks graded.jsonl"):
        merge_runs(parts, tmp_path / "merged")


def test_merge_refuses_parts_that_replayed_different_file_content(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    for part, digest in zip(parts, ["0" * 64, "1" * 64]):
        config = yaml.safe_load((part / "config.yaml").read_text())
        config["inputs"] = {"backend.options.path": {"file": "r.jsonl", "size": 10, "sha256": digest}}
        (part / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match="different content for backend.options.path"):
        merge_runs(parts, tmp_path / "merged")


@pytest.mark.parametrize("shard", ["1", {"index": "one", "count": 2}, {"index": 2, "count": 2}, {"count": 2}])
def test_merge_names_a_malformed_shard_entry(tmp_path, shard):
    """A part whose config.yaml has a hand-edited `shard`: before, a TypeError or AttributeError
    traceback; now one line naming the file and field."""
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    config = yaml.safe_load((parts[1] / "config.yaml").read_text())
    config["shard"] = shard
    (parts[1] / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(InputError, match=r"part1/config\.yaml: field 'shard': expected index and count"):
        merge_runs(parts, tmp_path / "merged")


def test_merge_refuses_a_part_killed_while_grading(tmp_path):
    """Before: a part whose graded.jsonl was cut short (killed while grading) was merged, giving a
    run with grades for only some of its problems; now the part is named with what to run."""
    parts = [_write_part(tmp_path, 0, 2, ["a", "b"]), _write_part(tmp_path, 1, 2, ["c", "d"])]
    graded = parts[1] / "graded.jsonl"
    graded.write_text(graded.read_text().splitlines(keepends=True)[0])
    with pytest.raises(InputError, match=r"part1: shard 1 is not fully graded \(1 of 2 problems\).*grade-run"):
        merge_runs(parts, tmp_path / "merged")
    assert not (tmp_path / "merged" / "samples.jsonl").exists()


def test_merge_keeps_the_rerank_records_every_part_agrees_on(tmp_path):
    parts = [RunDir(_write_part(tmp_path, i, 2, [f"p{i}"])) for i in range(2)]
    parts[0].record_rerank("ev", "scr", 3)
    parts[1].record_rerank("ev", "scr", 3)
    parts[0].record_rerank("other", "scr", 2)
    parts[1].record_rerank("other", "scr", 4)
    merged = merge_runs([part.path for part in parts], tmp_path / "merged")
    assert merged.read_config()["reranked"] == {"ev": {"method": "scr", "top_clusters": 3}}


def test_merge_into_a_part_names_it_as_a_directory(tmp_path):
    parts = [_write_part(tmp_path, 0, 2, ["a"]), _write_part(tmp_path, 1, 2, ["b"])]
    with pytest.raises(InputError, match="--out is the input directory .*part0; writing there would overwrite it"):
        merge_runs(parts, parts[0])
