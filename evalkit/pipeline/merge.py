"""Joining the shards of a split run (`evalkit run --shard i/N`) into one run directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import iter_jsonl, write_jsonl
from evalkit.store import RunDir
from evalkit.store.rundir import GRADED_FILE, SAMPLES_FILE, SCORES_FILE


def _check_parts(parts: Sequence[RunDir]) -> list[tuple[RunDir, dict]]:
    configs = [(part, part.read_config()) for part in parts]
    hashes = {config.get("config_hash") for _, config in configs}
    if len(hashes) != 1:
        listing = ", ".join(f"{part.path}: {config.get('config_hash')}" for part, config in configs)
        raise ConfigError(f"the parts come from different configs ({listing})")
    counts = {config.get("shard", {}).get("count") for _, config in configs}
    if len(counts) != 1 or None in counts:
        raise ConfigError("every part must be a shard of the same split (`evalkit run --shard i/N`)")
    count = counts.pop()
    indices = sorted(config["shard"]["index"] for _, config in configs)
    if indices != list(range(count)):
        missing = sorted(set(range(count)) - set(indices))
        repeated = sorted({i for i in indices if indices.count(i) > 1})
        raise ConfigError(f"the parts do not form shards 0..{count - 1} exactly once "
                          f"(missing {missing}, repeated {repeated})")
    configs.sort(key=lambda item: item[1]["shard"]["index"])
    for part, config in configs:
        expected = config.get("num_problems")
        have = len(part.sampled_ids())
        if expected is not None and have != expected:
            raise InputError(f"shard {config['shard']['index']} is incomplete ({have} of {expected} problems "
                             "sampled): resume it with the same command first", path=part.path)
    return configs


def merge_runs(part_paths: Sequence[str | Path], out: str | Path) -> RunDir:
    """Check that the parts are the shards 0..N-1 of one config, then join them in order."""
    if not part_paths:
        raise ConfigError("no parts given")
    configs = _check_parts([RunDir(Path(p)) for p in part_paths])
    target = RunDir(Path(out))
    merged_config = {key: value for key, value in configs[0][1].items() if key != "shard"}
    merged_config["num_problems"] = sum(config.get("num_problems", 0) for _, config in configs)
    merged_config["merged_from"] = [str(part.path) for part, _ in configs]
    target.claim(yaml.safe_dump(merged_config, sort_keys=False, allow_unicode=True), merged_config["config_hash"])
    for name in (SAMPLES_FILE, GRADED_FILE, SCORES_FILE):
        present = [(part.path / name).exists() for part, _ in configs]
        if not any(present):
            continue
        if not all(present):
            lacking = [str(part.path) for (part, _), has in zip(configs, present) if not has]
            raise InputError(f"{name} is missing from some parts: {', '.join(lacking)}")
        seen: set[tuple[str, str]] = set()
        records = []
        for part, _ in configs:
            path = part.path / name
            for line, record in iter_jsonl(path, tolerate_partial_tail=True):
                key = (str(record.get("problem_id")), str(record.get("scorer", "")))
                if key in seen:
                    raise InputError(f"problem '{key[0]}' appears in two parts", path=path, line=line)
                seen.add(key)
                records.append(record)
        write_jsonl(target.path / name, records)
    return target
