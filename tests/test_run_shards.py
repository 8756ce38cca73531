"""`--shard i/N` + `evalkit merge` give the very samples of one unsharded run, empty shards included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from evalkit.config import parse_config
from evalkit.errors import ConfigError
from evalkit.jsonl import read_jsonl
from evalkit.pipeline.merge import merge_runs
from evalkit.pipeline.run import run_evaluation
from evalkit.store import Shard

DATA_DIR = Path(__file__).parent / "fixtures" / "pipeline_data"


def _config(model_dir: Path, limit: int, batch_problems: int):
    return parse_config({
        "model": "tiny", "task": "math500", "data_dir": str(DATA_DIR), "filters": {"limit": limit},
        "backend": {"name": "hf", "options": {"model": str(model_dir), "batch_size": 8}},
        "sampling": {"n": 2, "temperature": 1.0, "max_tokens": 12, "seed": 5},
        "batch_problems": batch_problems, "grading": {"workers": 1},
    })


def _run(config, out: Path, shard: Shard | None = None) -> Path:
    run_evaluation(config, out=out, shard=shard, write_report=False, show_progress=False,
                   console=Console(quiet=True))
    return out


def _texts(run_dir: Path) -> dict[str, list[str]]:
    return {r["problem_id"]: [s["text"] for s in r["samples"]] for r in read_jsonl(run_dir / "samples.jsonl")}


@pytest.mark.slow
def test_sharded_and_merged_equals_unsharded_whatever_the_batching(tmp_path, tiny_model_dir):
    whole = _run(_config(tiny_model_dir, 5, 4), tmp_path / "whole")
    parts = [_run(_config(tiny_model_dir, 5, 1), tmp_path / f"part{i}", Shard(i, 3)) for i in range(3)]
    merged = merge_runs(parts, tmp_path / "merged")
    assert list(_texts(merged.path)) == list(_texts(whole))
    assert _texts(merged.path) == _texts(whole)


def test_empty_shards_finish_and_merge(tmp_path, tiny_model_dir):
    config = _config(tiny_model_dir, 2, 4)
    parts = [_run(config, tmp_path / f"part{i}", Shard(i, 3)) for i in range(3)]
    assert [len(read_jsonl(part / "samples.jsonl")) for part in parts] == [0, 1, 1]
    merged = merge_runs(parts, tmp_path / "merged")
    assert len(read_jsonl(merged.graded_path)) == 2


def _replay_config(replay: Path, data_dir: Path):
    return parse_config({
        "model": "m", "task": "math500", "data_dir": str(data_dir), "filters": {"limit": 4},
        "backend": {"name": "replay", "options": {"path": str(replay)}},
        "sampling": {"n": 1}, "grading": {"workers": 0},
    })


def test_merge_refuses_shards_cut_from_different_data(tmp_path):
    """Shard 1 run on a copy of the data whose reference changed: before, the merge joined the two
    versions into one run without a word; now it names the parts and their problem lists."""
    source = DATA_DIR / "math" / "math500.jsonl"
    records = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps({"id": r["unique_id"], "samples": ["\\boxed{3}"]}) + "\n" for r in records))
    edited = tmp_path / "edited" / "math"
    edited.mkdir(parents=True)
    records[3]["answer"] = "999"  # the fourth of four problems: shard 1 of 2 holds it
    edited.joinpath("math500.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    parts = [_run(_replay_config(replay, DATA_DIR), tmp_path / "part0", Shard(0, 2)),
             _run(_replay_config(replay, edited.parent), tmp_path / "part1", Shard(1, 2))]
    with pytest.raises(ConfigError, match=r"cut from different problem lists \(.*part0: 4 problems.*part1: 4 problems"):
        merge_runs(parts, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()
    parts[1] = _run(_replay_config(replay, DATA_DIR), tmp_path / "part1again", Shard(1, 2))
    assert len(read_jsonl(merge_runs(parts, tmp_path / "merged").samples_path)) == 4
